// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of envelope_fuzz: a few valid envelopes of each message type, made by
// the encoder itself so that the seeds always match the current format.
// Usage: envelope_fuzz_seeds DIR  (DIR must exist). Exits 1 when a file cannot be written.
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cluster/wire/envelope.h"
#include "cluster/wire/messages.h"

namespace {

namespace wire = optimystic::cluster::wire;

std::vector<wire::Envelope> Seeds() {
  std::vector<wire::Envelope> seeds;
  wire::Envelope ping;
  ping.type = wire::MessageType::kPing;
  ping.request_id = 7;
  ping.sender = "peer-a";
  seeds.push_back(ping);
  ping.request_id = 18446744073709551615ULL;
  ping.deadline_unix_ms = 1764612000000;
  ping.sender = "";
  seeds.push_back(ping);
  wire::Envelope pong = ping;
  pong.type = wire::MessageType::kPong;
  pong.payload = wire::PongToPayload(wire::Pong{"peer-b", 1, "0.1.0"});
  seeds.push_back(pong);
  wire::Envelope error = ping;
  error.type = wire::MessageType::kError;
  error.payload = wire::ErrorReplyToPayload(
      wire::ErrorReply{optimystic::StatusCode::kNotSupported, "unknown message type 'x'"});
  seeds.push_back(error);
  wire::Envelope mixed = ping;
  mixed.payload["list"] = optimystic::block::Value::array({1, -1, 1.5, "\xc3\xa9", nullptr});
  mixed.payload["map"] = optimystic::block::Value::object({{"k", true}});
  seeds.push_back(mixed);
  // The client messages, so that the fuzzer starts from each payload's shape.
  using optimystic::block::Value;
  auto with = [&](wire::MessageType type, Value payload) {
    wire::Envelope e = ping;
    e.type = type;
    e.payload = std::move(payload);
    seeds.push_back(std::move(e));
  };
  auto action = [](std::string type, Value data) {
    optimystic::collections::Action a;
    a.type = std::move(type);
    a.data = std::move(data);
    return a;
  };
  with(wire::MessageType::kCollectionAct,
       wire::CollectionActToPayload(
           wire::CollectionAct{"users",
                               "tree",
                               true,
                               {action("replace", Value::parse(R"([["alice",{"n":1}]])")),
                                action("replace", Value::parse(R"([[7]])"))}}));
  with(wire::MessageType::kActOk, wire::ActOkToPayload(wire::ActOk{12}));
  with(wire::MessageType::kCollectionQuery,
       wire::CollectionQueryToPayload(wire::CollectionQuery{
           "users", "tree", "range", Value::parse(R"({"from":"a","desc":true,"limit":5})")}));
  with(wire::MessageType::kQueryOk,
       wire::QueryOkToPayload(wire::QueryOk{Value::parse(R"([["a",{"n":1}]])")}));
  with(wire::MessageType::kCollectionVerify,
       wire::CollectionVerifyToPayload(wire::CollectionVerify{"users"}));
  with(wire::MessageType::kVerifyOk,
       wire::VerifyOkToPayload(wire::VerifyOk{Value::parse(R"({"ok":true})")}));
  with(wire::MessageType::kNodeStatus, wire::NodeStatusToPayload(wire::NodeStatus{}));
  with(wire::MessageType::kStatusOk,
       wire::StatusOkToPayload(wire::StatusOk{"peer-b", "0.1.0", 1, Value::object(),
                                              Value::parse(R"({"members":[]})")}));
  with(wire::MessageType::kTransaction,
       wire::TransactionToPayload(wire::Transaction{
           {R"({"collectionId":"users","actions":[{"type":"replace","data":[["bob",1]]}]})"}}));
  with(wire::MessageType::kTransactionOk,
       wire::TransactionOkToPayload(
           wire::TransactionOk{"tx:a",
                               false,
                               {"users"},
                               {"orders"},
                               wire::ErrorReply{optimystic::StatusCode::kAborted, "half"}}));
  return seeds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: envelope_fuzz_seeds DIR\n");
    return 2;
  }
  std::vector<wire::Envelope> seeds = Seeds();
  for (size_t i = 0; i < seeds.size(); ++i) {
    optimystic::Result<std::string> bytes = wire::EncodeEnvelope(seeds[i]);
    const std::string path = std::string(argv[1]) + "/seed-" + std::to_string(i);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!bytes || !out.write(bytes->data(), static_cast<std::streamsize>(bytes->size()))) {
      std::fprintf(stderr, "envelope_fuzz_seeds: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
