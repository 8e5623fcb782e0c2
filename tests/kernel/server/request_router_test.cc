// SPDX-License-Identifier: Apache-2.0
#include "server/request_router.h"

#include <optimystic/base/seeded_random.h>

#include "cluster/wire/envelope.h"
#include "cluster/wire/messages.h"
#include "kernel/cluster/wire/wire_test_util.h"
#include "support/fake_database.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace optimystic::server {
namespace {

namespace wire = cluster::wire;
using wire::test::FixedClock;
using wire::test::FromHex;
using wire::test::Hex;

// Keeps what the router answered through the transport's Responder.
class CapturingResponder final : public transport::Responder {
 public:
  void Reply(std::string_view bytes) noexcept override {
    ++replies_;
    bytes_ = std::string(bytes);
  }
  void Fail(const Status& error) noexcept override { failure_ = error; }

  int replies_ = 0;
  std::string bytes_;
  Status failure_;
};

class RequestRouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto router = RequestRouter::Create("peer-n", "0.1.0", clock_);
    ASSERT_TRUE(router.has_value()) << router.status().ToString();
    router_ = std::move(*router);
  }

  std::string Answer(std::string_view request) {
    CapturingResponder responder;
    router_->OnRequest(request, responder);
    EXPECT_EQ(responder.replies_, 1);
    EXPECT_TRUE(responder.failure_.ok()) << responder.failure_.ToString();
    return responder.bytes_;
  }

  FixedClock clock_{1764612000000};
  std::unique_ptr<RequestRouter> router_;
};

TEST_F(RequestRouterTest, AnswersPingWithPong) {
  // The ping of docs/protocol.md: id 7 from "peer-a", no deadline.
  const std::string ping = FromHex(
      "01a6 68646561646c696e6500 62696407 677061796c6f6164a0 6673656e646572 66706565722d61"
      " 6474797065 6470696e67 6776657273696f6e01");
  const std::string reply = Answer(ping);
  // {"deadline":0,"id":7,"payload":{"nodeVersion":"0.1.0","peerId":"peer-n",
  //  "protocolVersion":1},"sender":"peer-n","type":"pong","version":1}
  EXPECT_EQ(Hex(reply),
            "01a6"
            "68646561646c696e6500"
            "62696407"
            "677061796c6f6164"
            "a3"
            "6b6e6f646556657273696f6e"
            "65302e312e30"
            "66706565724964"
            "66706565722d6e"
            "6f70726f746f636f6c56657273696f6e"
            "01"
            "6673656e646572"
            "66706565722d6e"
            "6474797065"
            "64706f6e67"
            "6776657273696f6e01");
  Result<wire::Envelope> decoded = wire::DecodeEnvelope(reply);
  ASSERT_TRUE(decoded.has_value()) << decoded.status().ToString();
  Result<wire::Pong> pong = wire::PongFromPayload(decoded->payload);
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(*pong, (wire::Pong{"peer-n", 1, "0.1.0"}));
}

TEST_F(RequestRouterTest, AnswersGarbageWithAnErrorEnvelope) {
  const std::string reply = Answer("hello, are you a database?");
  Result<wire::Envelope> decoded = wire::DecodeEnvelope(reply);
  ASSERT_TRUE(decoded.has_value()) << decoded.status().ToString();
  EXPECT_EQ(decoded->type, wire::MessageType::kError);
  EXPECT_EQ(decoded->request_id, 0u);
  EXPECT_EQ(decoded->sender, "peer-n");
  Result<wire::ErrorReply> error = wire::ErrorReplyFromPayload(decoded->payload);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, StatusCode::kCorruption);
  EXPECT_EQ(error->message, "envelope: decode value: unsupported version 104");
}

TEST_F(RequestRouterTest, AnswersAnUnknownVersionWithAnErrorNamingIt) {
  wire::Envelope ping;
  ping.version = 2;
  ping.request_id = 31;
  Result<std::string> bytes = wire::EncodeEnvelope(ping);
  ASSERT_TRUE(bytes.has_value());
  Result<wire::Envelope> decoded = wire::DecodeEnvelope(Answer(*bytes));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->type, wire::MessageType::kError);
  EXPECT_EQ(decoded->request_id, 31u);
  Result<wire::ErrorReply> error = wire::ErrorReplyFromPayload(decoded->payload);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, StatusCode::kIncompatible);
  EXPECT_NE(error->message.find("unsupported protocol version 2"), std::string::npos);
}

TEST_F(RequestRouterTest, EveryRandomInputGetsAnErrorEnvelope) {
  base::SeededRandom random(5);
  for (int i = 0; i < 10000; ++i) {
    std::string bytes(random.Uniform(64), '\0');
    random.Fill(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
    Result<wire::Envelope> decoded = wire::DecodeEnvelope(router_->Route(bytes));
    ASSERT_TRUE(decoded.has_value()) << Hex(bytes);
    EXPECT_EQ(decoded->type, wire::MessageType::kError) << Hex(bytes);
  }
}

TEST(RequestRouter, CreateRefusesAPeerIdThatCannotBeSent) {
  FixedClock clock(0);
  auto router = RequestRouter::Create(std::string(1000, 'p'), "0.1.0", clock);
  ASSERT_FALSE(router.has_value());
  EXPECT_EQ(router.error().code(), StatusCode::kInvalidArgument);
}

// The error a router answers to a client message of `type`, as "Code: message", or the reply
// type's name when it is not an error.
std::string ClientReply(RequestRouter& router, wire::MessageType type, block::Value payload) {
  wire::Envelope request;
  request.type = type;
  request.request_id = 3;
  request.payload = std::move(payload);
  Result<std::string> bytes = wire::EncodeEnvelope(request);
  EXPECT_TRUE(bytes.has_value());
  Result<wire::Envelope> reply = wire::DecodeEnvelope(router.Route(*bytes));
  EXPECT_TRUE(reply.has_value());
  if (reply->type != wire::MessageType::kError) {
    return std::string(wire::MessageTypeName(reply->type));
  }
  return wire::ErrorReplyToStatus(*wire::ErrorReplyFromPayload(reply->payload)).ToString();
}

TEST_F(RequestRouterTest, WithoutADatabaseEveryClientMessageIsUnavailable) {
  const std::pair<wire::MessageType, block::Value> requests[] = {
      {wire::MessageType::kCollectionAct,
       wire::CollectionActToPayload({"c", "diary", true, {wire::test::MakeAction("append", 1)}})},
      {wire::MessageType::kCollectionQuery, wire::CollectionQueryToPayload({"c", "diary", "read"})},
      {wire::MessageType::kCollectionVerify, wire::CollectionVerifyToPayload({"c"})},
      {wire::MessageType::kNodeStatus, block::Value::object()},
  };
  for (const auto& [type, payload] : requests) {
    EXPECT_EQ(ClientReply(*router_, type, payload), "Unavailable: no database")
        << wire::MessageTypeName(type);
  }
}

TEST(RequestRouter, ServesClientMessagesFromItsDatabase) {
  FixedClock clock(1764612000000);
  test::FakeDatabase database;
  auto router = RequestRouter::Create("peer-n", "0.1.0", clock, &database);
  ASSERT_TRUE(router.has_value()) << router.status().ToString();
  EXPECT_EQ(ClientReply(**router, wire::MessageType::kCollectionAct,
                        wire::CollectionActToPayload(
                            {"c", "diary", true, {wire::test::MakeAction("append", 1)}})),
            "act.ok");
  EXPECT_EQ(ClientReply(**router, wire::MessageType::kCollectionQuery,
                        wire::CollectionQueryToPayload({"c", "diary", "read"})),
            "query.ok");
  EXPECT_EQ(ClientReply(**router, wire::MessageType::kCollectionVerify,
                        wire::CollectionVerifyToPayload({"c"})),
            "verify.ok");
  EXPECT_EQ(ClientReply(**router, wire::MessageType::kNodeStatus, block::Value::object()),
            "status.ok");
  EXPECT_EQ(database.calls().size(), 4u);
  // A reply type sent as a request has no handler.
  EXPECT_EQ(ClientReply(**router, wire::MessageType::kActOk, block::Value::object()),
            "NotSupported: no handler for message type 'act.ok' on this node");
}

// The traffic metrics' source: each decoded request with its bytes and its reply's, on the
// inline lane and on a worker lane alike; bytes that are no message are not reported.
TEST(RequestRouter, ReportsEachServedRequestsTypeAndBytes) {
  FixedClock clock(1764612000000);
  test::FakeDatabase database;
  std::mutex mu;
  std::vector<std::tuple<wire::MessageType, size_t, size_t>> served;
  RouterOptions options;
  options.on_served = [&](wire::MessageType type, size_t request_bytes, size_t reply_bytes) {
    std::lock_guard lock(mu);
    served.emplace_back(type, request_bytes, reply_bytes);
  };
  auto router = RequestRouter::Create("peer-n", "0.1.0", clock, &database, nullptr, {},
                                      std::move(options));
  ASSERT_TRUE(router.has_value()) << router.status().ToString();
  wire::Envelope status;
  status.type = wire::MessageType::kNodeStatus;
  status.request_id = 4;
  status.payload = block::Value::object();
  const std::string status_bytes = *wire::EncodeEnvelope(status);
  wire::Envelope ping = status;
  ping.type = wire::MessageType::kPing;
  ping.sender = "peer-a";
  ping.payload = wire::PingToPayload(wire::Ping{});
  const std::string ping_bytes = *wire::EncodeEnvelope(ping);

  CapturingResponder ping_reply, status_reply, junk_reply;
  (*router)->OnRequest(ping_bytes, ping_reply);
  (*router)->OnRequest(status_bytes, status_reply);
  (*router)->OnRequest("not a message", junk_reply);
  (*router)->Drain();  // the status request ran on a worker
  ASSERT_EQ(served.size(), 2u);
  std::sort(served.begin(), served.end());
  EXPECT_EQ(served[0], std::make_tuple(wire::MessageType::kPing, ping_bytes.size(),
                                       ping_reply.bytes_.size()));
  EXPECT_EQ(served[1], std::make_tuple(wire::MessageType::kNodeStatus, status_bytes.size(),
                                       status_reply.bytes_.size()));
  EXPECT_GT(status_reply.bytes_.size(), 0u);
  EXPECT_EQ(junk_reply.replies_, 1) << "bytes that are no message still get an error reply";
}

}  // namespace
}  // namespace optimystic::server
