// SPDX-License-Identifier: Apache-2.0
// The real optimystic-node and the real `optimystic` CLI, each as its own process, on loopback:
// what a user types and sees. Tree, diary and counter commands, an import of 10k lines, verify and
// status, all read back after a restart, once on each durable storage plugin (rocksdb, file); a
// log block rewritten in storage while the node is stopped, which `verify` must report; bad
// input (malformed JSON, unknown collections, action types and payloads, messages over the
// transport's size limit) refused with one clear line while the node keeps serving; and two CLI
// processes racing on one counter.
#include <optimystic/block/codec.h>
#include <optimystic/block/value.h>
#include <optimystic/client/client.h>
#include <optimystic/config/settings.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transport/transport.h>

#include "core/repository/repository_format.h"
#include "storage/file/file_storage_engine.h"
#include "storage/rocksdb/rocksdb_storage_engine.h"
#include "support/run_checks.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/tcp_test_transport.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace optimystic {
namespace {

using block::Value;
using test::Capture;
using test::RunResult;
using test::Subprocess;
using test::Succeeded;
using namespace std::chrono_literals;

constexpr uint32_t kMaxMessageBytes = 64 * 1024;  // the node's limit in these tests
constexpr int kImportLines = 10'000;

// The JSON document printed on stdout, or a discarded value when it does not parse.
Value ParseJson(const std::string& text) { return Value::parse(text, nullptr, false); }

size_t LineCount(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

// A CLI run refused with exit `code` and one error line (a usage line may follow for exit 2)
// starting "optimystic: " and containing `needle`; nothing on stdout.
::testing::AssertionResult Refused(const RunResult& r, int code, const std::string& needle) {
  const std::string first = r.err.substr(0, r.err.find('\n'));
  const bool usage_hint = r.err.find("Run 'optimystic --help' for usage.") != std::string::npos;
  const size_t lines_max = code == 2 && usage_hint ? 2 : 1;
  if (r.exit_code != code || first.rfind("optimystic: ", 0) != 0 ||
      first.find(needle) == std::string::npos || LineCount(r.err) != lines_max || !r.out.empty()) {
    return ::testing::AssertionFailure()
           << "expected exit " << code << " and one line with '" << needle << "'; got exit "
           << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
  }
  return ::testing::AssertionSuccess();
}

class CliNodeTest : public ::testing::Test {
 protected:
  // A node on `storage` with the tcp transport on a free port and the three collection types.
  std::string WriteConfig(const std::string& storage) {
    const std::string path = dir_.path() + "/node.yaml";
    std::ofstream(path) << "node:\n  data_dir: " << data_dir() << "\n  log_level: info\n"
                        << "storage:\n  plugin: " << storage << "\n"
                        << "transport:\n  plugin: tcp\n  listen: tcp://127.0.0.1:0\n"
                        << "  settings:\n    max_message_bytes: " << kMaxMessageBytes << "\n"
                        << "metrics:\n  enabled: false\n"
                        << "collections:\n  types:\n"
                        << "    tree: {settings: {capacity: 16}}\n"
                        << "    diary: {}\n"
                        << "    counter: {resolver: sum}\n";
    return path;
  }

  // Starts the node on the config WriteConfig wrote last; fills url_ from its ready line.
  void StartNode() {
    node_ = std::make_unique<Subprocess>(
        std::vector<std::string>{OPTIMYSTIC_NODE_BINARY, "--config", dir_.path() + "/node.yaml"});
    ASSERT_TRUE(node_->Start());
    std::optional<std::string> ready = node_->WaitForLine("optimystic-node ready", 30s);
    ASSERT_TRUE(ready) << node_->stderr_text();
    url_ = Capture(*ready, "client=(tcp://127\\.0\\.0\\.1:[0-9]+)");
    ASSERT_FALSE(url_.empty()) << *ready;
  }

  void StopNode() {
    ASSERT_TRUE(node_->Signal(SIGTERM));
    EXPECT_EQ(node_->Wait(20s).value_or(-1), 0) << node_->stderr_text();
    node_.reset();
  }

  // Runs the CLI against the node; `limit` only guards against a hang (an import of 10k lines
  // takes about 4 s in the default build and 20 times that under ASan+UBSan).
  RunResult Cli(std::vector<std::string> args, std::chrono::milliseconds limit = 60s) {
    args.insert(args.begin(), {OPTIMYSTIC_CLI_BINARY, "--node", url_});
    return test::RunToExit(std::move(args), limit);
  }

  // The node answers `status` (it keeps serving after whatever came before).
  void ExpectServing() {
    RunResult status = Cli({"status"});
    EXPECT_TRUE(Succeeded(status));
    EXPECT_NE(status.out.find("node      " + url_), std::string::npos) << status.out;
  }

  std::string data_dir() const { return dir_.path() + "/data"; }

  test::TempDir dir_;
  std::unique_ptr<Subprocess> node_;
  std::string url_;
};

// Parameterized over the durable storage plugins.
class CliNodeStorageTest : public CliNodeTest, public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override { WriteConfig(GetParam()); }

  // Opens the node's storage directly, as its plugin does (the node must be stopped).
  std::unique_ptr<storage::StorageEngine> OpenStorage() {
    const std::string path = data_dir() + "/" + GetParam();
    if (GetParam() == "rocksdb") {
      plugins::storage_rocksdb::RocksDbOptions options;
      options.path = path;
      auto engine = plugins::storage_rocksdb::RocksDbStorageEngine::Open(options);
      EXPECT_TRUE(engine.has_value()) << engine.status().ToString();
      return engine.has_value() ? std::move(*engine) : nullptr;
    }
    plugins::storage_file::FileStorageOptions options;
    options.path = path;
    options.background_compaction = false;
    auto engine = plugins::storage_file::FileStorageEngine::Open(options, logger_);
    EXPECT_TRUE(engine.has_value()) << engine.status().ToString();
    return engine.has_value() ? std::move(*engine) : nullptr;
  }

  // Writes users (tree), events (diary), visits (counter) and imported (10k entries, by import).
  void WriteEverything() {
    for (const auto& [key, entry] :
         std::vector<std::pair<std::string, std::string>>{{"alice", R"({"name":"Alice","age":7})"},
                                                          {"bob", R"({"name":"Bob"})"},
                                                          {"carol", R"({"name":"Carol"})"},
                                                          {"dave", R"({"name":"Dave"})"},
                                                          {"42", R"({"answer":true})"}}) {
      RunResult put = Cli({"tree", "put", "users", key, entry});
      ASSERT_TRUE(Succeeded(put));
      EXPECT_TRUE(std::regex_match(put.out, std::regex("ok, revision [0-9]+\n"))) << put.out;
    }
    RunResult deleted = Cli({"tree", "delete", "users", "bob"});
    ASSERT_TRUE(Succeeded(deleted));
    EXPECT_EQ(deleted.out, "ok, revision 6\n");  // five puts, one delete

    for (const char* entry : {R"({"kind":"login"})", R"({"kind":"view","page":3})", "[1,2]"}) {
      ASSERT_TRUE(Succeeded(Cli({"diary", "append", "events", entry})));
    }
    for (const char* amount : {"5", "-2", "10"}) {
      ASSERT_TRUE(Succeeded(Cli({"counter", "add", "visits", amount})));
    }
    RunResult json_add = Cli({"--json", "counter", "add", "visits", "0"});
    ASSERT_TRUE(Succeeded(json_add));
    EXPECT_EQ(ParseJson(json_add.out), Value({{"revision", 4}})) << json_add.out;

    const std::string lines = dir_.path() + "/users.jsonl";
    {
      std::ofstream file(lines);
      for (int i = 0; i < kImportLines; ++i) {
        file << Value({{"id", "user" + std::to_string(100000 + i)}, {"n", i}}).dump() << "\n";
      }
    }
    RunResult imported = Cli({"import", "imported", lines, "--batch", "250"}, 300s);
    ASSERT_TRUE(Succeeded(imported, /*quiet_stderr=*/false));
    // Progress on stderr (not a terminal: one line at each tenth), the rate on stdout.
    EXPECT_NE(imported.err.find("imported 5000/10000 (50%)"), std::string::npos) << imported.err;
    EXPECT_TRUE(std::regex_match(imported.out,
                                 std::regex("imported 10000 entries into imported in [0-9.]+ s "
                                            "\\([0-9]+ entries/s\\), revision 40\n")))
        << imported.out;
    std::cout << "[ " << GetParam() << " ] " << imported.out;

    // A transfer across a tree, a diary and a counter, as one multi-collection transaction.
    ASSERT_TRUE(Succeeded(Cli({"tree", "put", "accounts", "alice", "100"})));
    ASSERT_TRUE(Succeeded(Cli({"tree", "put", "accounts", "bob", "20"})));
    ASSERT_TRUE(Succeeded(Cli({"diary", "append", "transfers", R"({"opened":true})"})));
    ASSERT_TRUE(Succeeded(Cli({"counter", "add", "moved", "0"})));
    const std::string transfer = dir_.path() + "/transfer.json";
    std::ofstream(transfer) << R"([
      {"collectionId": "accounts",
       "actions": [{"type": "replace", "data": [["alice", 70], ["bob", 50]]}]},
      {"collectionId": "transfers",
       "actions": [{"type": "append", "data": {"from": "alice", "to": "bob", "amount": 30}}]},
      {"collectionId": "moved", "actions": [{"type": "add", "data": {"delta": 30}}]}
    ])";
    RunResult txn = Cli({"txn", transfer});
    ASSERT_TRUE(Succeeded(txn));
    EXPECT_TRUE(std::regex_match(
        txn.out, std::regex("committed tx:[A-Za-z0-9]+ to accounts, moved, transfers\n")))
        << txn.out;
    // One naming a collection that does not exist commits nothing anywhere.
    const std::string stray = dir_.path() + "/stray.json";
    std::ofstream(stray) << R"([
      {"collectionId": "accounts", "actions": [{"type": "replace", "data": [["alice", 0]]}]},
      {"collectionId": "nosuch", "actions": [{"type": "append", "data": 1}]}
    ])";
    EXPECT_TRUE(Refused(Cli({"txn", stray}), 1, "NotFound: Collection not found: nosuch"));
  }

  // Reads everything WriteEverything wrote and checks it.
  void ReadEverything() {
    RunResult alice = Cli({"tree", "get", "users", "alice"});
    ASSERT_TRUE(Succeeded(alice));
    EXPECT_EQ(alice.out, "{\"age\":7,\"name\":\"Alice\"}\n");
    RunResult bob = Cli({"tree", "get", "users", "bob"});
    ASSERT_TRUE(Succeeded(bob));
    EXPECT_EQ(bob.out, "(no entry for bob)\n");
    RunResult json_bob = Cli({"--json", "tree", "get", "users", "bob"});
    EXPECT_EQ(json_bob.out, "null\n");
    RunResult numeric = Cli({"tree", "get", "users", "42"});
    EXPECT_EQ(numeric.out, "{\"answer\":true}\n");

    RunResult all = Cli({"tree", "range", "users"});
    ASSERT_TRUE(Succeeded(all));
    EXPECT_EQ(all.out,
              "42\t{\"answer\":true}\n"
              "alice\t{\"age\":7,\"name\":\"Alice\"}\n"
              "carol\t{\"name\":\"Carol\"}\n"
              "dave\t{\"name\":\"Dave\"}\n");
    RunResult bounded = Cli({"tree", "range", "users", "--from", "b", "--to", "dave"});
    EXPECT_EQ(bounded.out, "carol\t{\"name\":\"Carol\"}\n");  // to is exclusive
    RunResult desc = Cli({"tree", "range", "users", "--desc", "--limit", "2"});
    EXPECT_EQ(desc.out, "dave\t{\"name\":\"Dave\"}\ncarol\t{\"name\":\"Carol\"}\n");
    RunResult json_range = Cli({"--json", "tree", "range", "users", "--from", "a", "--limit", "2"});
    ASSERT_TRUE(Succeeded(json_range));
    EXPECT_EQ(ParseJson(json_range.out),
              Value::parse(R"([["alice",{"age":7,"name":"Alice"}],["carol",{"name":"Carol"}]])"))
        << json_range.out;
    EXPECT_EQ(Cli({"tree", "count", "users"}).out, "4\n");

    RunResult events = Cli({"diary", "read", "events"});
    ASSERT_TRUE(Succeeded(events));
    EXPECT_EQ(events.out, "{\"kind\":\"login\"}\n{\"kind\":\"view\",\"page\":3}\n[1,2]\n");
    EXPECT_EQ(Cli({"diary", "read", "events", "--desc", "--limit", "1"}).out, "[1,2]\n");
    RunResult json_events = Cli({"--json", "diary", "read", "events"});
    EXPECT_EQ(ParseJson(json_events.out).size(), 3u) << json_events.out;

    EXPECT_EQ(Cli({"counter", "get", "visits"}).out, "13\n");
    EXPECT_EQ(ParseJson(Cli({"--json", "counter", "get", "visits"}).out), Value({{"value", 13}}));

    EXPECT_EQ(Cli({"tree", "count", "imported"}).out, "10000\n");
    for (int i : {0, 4242, kImportLines - 1}) {
      const std::string key = "user" + std::to_string(100000 + i);
      RunResult got = Cli({"--json", "tree", "get", "imported", key});
      ASSERT_TRUE(Succeeded(got));
      EXPECT_EQ(ParseJson(got.out), Value({{"id", key}, {"n", i}})) << got.out;
    }
    RunResult tail = Cli({"--json", "tree", "range", "imported", "--desc", "--limit", "3"});
    ASSERT_EQ(ParseJson(tail.out).size(), 3u) << tail.out;
    EXPECT_EQ(ParseJson(tail.out)[0][0], "user109999");

    for (const char* collection : {"users", "events", "visits", "imported"}) {
      RunResult verified = Cli({"verify", collection});
      EXPECT_TRUE(Succeeded(verified));
      EXPECT_EQ(verified.out.rfind(std::string(collection) + ": log verified: ", 0), 0u)
          << verified.out;
    }
    RunResult accounts = Cli({"--json", "tree", "range", "accounts"});
    EXPECT_EQ(ParseJson(accounts.out), Value::parse(R"([["alice",70],["bob",50]])"))
        << accounts.out;
    EXPECT_EQ(ParseJson(Cli({"--json", "diary", "read", "transfers"}).out),
              Value::parse(R"([{"opened":true},{"from":"alice","to":"bob","amount":30}])"));
    EXPECT_EQ(Cli({"counter", "get", "moved"}).out, "30\n");
    for (const char* collection : {"accounts", "transfers", "moved"}) {
      EXPECT_TRUE(Succeeded(Cli({"verify", collection}))) << collection;
    }
    RunResult report = Cli({"--json", "verify", "imported"});
    ASSERT_TRUE(Succeeded(report));
    const Value parsed = ParseJson(report.out);
    EXPECT_EQ(parsed.value("ok", false), true) << report.out;
    EXPECT_EQ(parsed.value("entries", 0), 40) << report.out;  // one log entry per batch
  }

  test::TestLogger logger_;
};

TEST_P(CliNodeStorageTest, EverythingWrittenThroughTheCliReadsBackAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(StartNode());
  ASSERT_NO_FATAL_FAILURE(WriteEverything());
  ASSERT_NO_FATAL_FAILURE(ReadEverything());

  RunResult status = Cli({"status"});
  ASSERT_TRUE(Succeeded(status));
  EXPECT_NE(status.out.find("peer id   "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("(protocol 1)"), std::string::npos) << status.out;
  // One node without seeds: it is the whole cluster and owns the whole ring.
  EXPECT_NE(status.out.find("cluster   replication 1, virtual nodes 128, seeds none\n"),
            std::string::npos)
      << status.out;
  EXPECT_TRUE(std::regex_search(
      status.out,
      std::regex("member    [a-z2-7]{52}  up  active  100\\.0% of the ring  tcp://127\\.0\\.0\\.1:[0-9]+  "
                 "\\(this node\\)\n")))
      << status.out;
  RunResult json_status = Cli({"--json", "status"});
  ASSERT_TRUE(Succeeded(json_status));
  const Value parsed = ParseJson(json_status.out);
  ASSERT_TRUE(parsed.is_object()) << json_status.out;
  EXPECT_EQ(parsed.value("node", ""), url_);
  EXPECT_EQ(parsed.value("protocolVersion", 0), 1);
  ASSERT_TRUE(parsed.contains("database") && parsed["database"].contains("collections"));
  ASSERT_TRUE(parsed.contains("cluster") && parsed["cluster"].contains("members"))
      << json_status.out;
  ASSERT_EQ(parsed["cluster"]["members"].size(), 1u);
  EXPECT_EQ(parsed["cluster"]["members"][0].value("peerId", ""), parsed.value("peerId", "?"));
  EXPECT_EQ(parsed["cluster"]["members"][0].value("publicKey", "").size(), 52u);
  std::vector<std::string> names;
  for (const Value& c : parsed["database"]["collections"]) {
    names.push_back(c.value("name", "") + ":" + c.value("type", "") + ":" +
                    std::to_string(c.value("revision", 0)));
  }
  // The transaction took each of its three collections one revision further.
  EXPECT_EQ(names, (std::vector<std::string>{
                       "accounts:tree:3", "events:diary:3", "imported:tree:40", "moved:counter:2",
                       "transfers:diary:2", "users:tree:6", "visits:counter:4"}));

  ASSERT_NO_FATAL_FAILURE(StopNode());
  ASSERT_NO_FATAL_FAILURE(StartNode());
  ASSERT_NO_FATAL_FAILURE(ReadEverything());
  // Revisions go on from where they were.
  RunResult put = Cli({"tree", "put", "users", "erin", "{}"});
  EXPECT_TRUE(Succeeded(put));
  EXPECT_EQ(put.out, "ok, revision 7\n");
  EXPECT_EQ(Cli({"counter", "add", "visits", "1"}).out, "ok, revision 5\n");
  EXPECT_EQ(Cli({"counter", "get", "visits"}).out, "14\n");
  ASSERT_NO_FATAL_FAILURE(StopNode());
}

// Rewrites the stored materializations of the first data block of `collection`'s log with one
// entry's timestamp changed: the block still decodes, but its content is no longer what its
// successor's priorHash was computed over. Returns the successor's id (the link verify must
// name), or "" when no such block was found.
std::string CorruptFirstLogBlock(storage::StorageEngine& engine, const std::string& collection) {
  struct Collect final : storage::ScanSink {
    bool OnEntry(std::string_view key, std::string_view value) noexcept override {
      entries.emplace_back(key, value);
      return true;
    }
    std::vector<std::pair<std::string, std::string>> entries;
  } all;
  EXPECT_TRUE(engine.Scan(storage::ScanRange::Prefix("b/"), all).ok());
  std::string successor;
  storage::WriteBatch batch;
  for (const auto& [key, bytes] : all.entries) {
    Result<Value> block = block::DecodeBlock(bytes);
    if (!block.has_value()) {
      continue;  // metadata, transforms, revision index
    }
    const Value& header = (*block)["header"];
    const std::string id = header.value("id", "");
    if (header.value("type", "") != "LGD" || header.value("collectionId", "") != collection ||
        block->contains("priorId") || !block->contains("nextId") ||
        key.rfind(core::repository::TagPrefix(id, core::repository::kMaterializedTag), 0) != 0) {
      continue;  // not a materialization of the head data block
    }
    Value changed = *block;
    Value& timestamp = changed["entries"][0]["timestamp"];
    EXPECT_TRUE(timestamp.is_number_integer()) << changed.dump();
    timestamp = timestamp.get<int64_t>() + 1;
    batch.Put(key, block::EncodeBlock(changed));
    successor = (*block)["nextId"].get<std::string>();
  }
  EXPECT_FALSE(batch.empty()) << "no materialization of " << collection << "'s head log block";
  storage::WriteOptions sync;
  sync.sync = true;
  EXPECT_TRUE(engine.Write(batch, sync).ok());
  return successor;
}

TEST_P(CliNodeStorageTest, VerifyReportsALogBlockChangedInStorage) {
  ASSERT_NO_FATAL_FAILURE(StartNode());
  // 40 acts: 40 log entries, two log data blocks of 32 entries at most.
  const std::string lines = dir_.path() + "/ledger.jsonl";
  {
    std::ofstream file(lines);
    for (int i = 0; i < 40; ++i) {
      file << "{\"id\":" << i << "}\n";
    }
  }
  ASSERT_TRUE(Succeeded(Cli({"import", "ledger", lines, "--batch", "1"}), false));
  RunResult intact = Cli({"--json", "verify", "ledger"});
  ASSERT_TRUE(Succeeded(intact));
  EXPECT_EQ(ParseJson(intact.out), Value::parse(R"({"blocks":2,"collection":"ledger",
                                                    "entries":40,"ok":true})"))
      << intact.out;
  ASSERT_NO_FATAL_FAILURE(StopNode());

  std::string successor;
  {
    std::unique_ptr<storage::StorageEngine> engine = OpenStorage();
    ASSERT_NE(engine, nullptr);
    successor = CorruptFirstLogBlock(*engine, "ledger");
    ASSERT_TRUE(engine->Close().ok());
  }
  ASSERT_FALSE(successor.empty());

  ASSERT_NO_FATAL_FAILURE(StartNode());
  RunResult broken = Cli({"verify", "ledger"});
  EXPECT_EQ(broken.exit_code, 1) << broken.out << broken.err;
  EXPECT_EQ(broken.out.rfind("ledger: log BROKEN: ", 0), 0u) << broken.out;
  EXPECT_NE(broken.out.find("block " + successor + " (position 1): priorHash mismatch"),
            std::string::npos)
      << broken.out;
  RunResult json = Cli({"--json", "verify", "ledger"});
  EXPECT_EQ(json.exit_code, 1);
  const Value report = ParseJson(json.out);
  EXPECT_EQ(report.value("ok", true), false) << json.out;
  EXPECT_NE(report.value("error", "").find(successor), std::string::npos) << json.out;
  // Only the log is damaged: the tree still reads, and the node keeps serving.
  EXPECT_EQ(Cli({"tree", "count", "ledger"}).out, "40\n");
  ExpectServing();
  ASSERT_NO_FATAL_FAILURE(StopNode());
}

INSTANTIATE_TEST_SUITE_P(DurableStorage, CliNodeStorageTest,
                         ::testing::Values(std::string("rocksdb"), std::string("file")),
                         [](const auto& info) { return info.param; });

class CliNodeBadInputTest : public CliNodeTest {
 protected:
  void SetUp() override {
    WriteConfig("rocksdb");
    ASSERT_NO_FATAL_FAILURE(StartNode());
    ASSERT_TRUE(Succeeded(Cli({"tree", "put", "users", "alice", R"({"name":"Alice"})"})));
  }
  void TearDown() override {
    if (node_ != nullptr) {
      StopNode();
    }
  }
};

TEST_F(CliNodeBadInputTest, MalformedJsonIsRefusedBeforeAnythingIsSent) {
  EXPECT_TRUE(Refused(Cli({"tree", "put", "users", "bob", R"({"name": Bob})"}), 2,
                      "tree put: ENTRY (argument 3): malformed JSON at position 10"));
  EXPECT_TRUE(Refused(Cli({"diary", "append", "events", "{"}), 2,
                      "diary append: ENTRY (argument 2): malformed JSON"));
  EXPECT_TRUE(Refused(Cli({"counter", "add", "visits", "1.5"}), 2, "expected an integer"));
  EXPECT_TRUE(Refused(Cli({"tree", "put", "users", "alice", "null"}), 2,
                      "tree put: ENTRY (argument 3): null would delete KEY; use 'tree delete'"));
  const std::string lines = dir_.path() + "/bad.jsonl";
  std::ofstream(lines) << "{\"id\":1}\n{\"id\":2,}\n";
  EXPECT_TRUE(Refused(Cli({"import", "users", lines}), 2, "bad.jsonl:2: malformed JSON"));
  // Nothing was written.
  EXPECT_EQ(Cli({"tree", "count", "users"}).out, "1\n");
  EXPECT_TRUE(Refused(Cli({"diary", "read", "events"}), 1, "collection events not found"));
  ExpectServing();
}

TEST_F(CliNodeBadInputTest, BadTransactionsAreRefusedAndCommitNothing) {
  ASSERT_TRUE(Succeeded(Cli({"counter", "add", "visits", "1"})));
  const std::string file = dir_.path() + "/txn.json";
  const auto txn = [&](const std::string& text) {
    std::ofstream(file, std::ios::trunc) << text;
    return Cli({"txn", file});
  };
  EXPECT_TRUE(Refused(txn(R"([{"collectionId": "users", "actions": [)"), 2,
                      "txn.json: malformed JSON at position"));
  EXPECT_TRUE(Refused(txn(R"([{"collectionId": "users"}])"), 2,
                      "txn.json: statement 0: actions must be an array"));
  EXPECT_TRUE(Refused(txn("[]"), 2, "txn.json: no statements"));
  // The node judges what only it can: its collections and their action types.
  EXPECT_TRUE(Refused(txn(R"([{"collectionId": "users",
                                "actions": [{"type": "replace", "data": [["bob", 1]]}]},
                               {"collectionId": "visits",
                                "actions": [{"type": "explode", "data": 1}]}])"),
                      1, "visits"));
  EXPECT_TRUE(Refused(txn(R"([{"collectionId": "visits",
                                "actions": [{"type": "add", "data": {"delta": "many"}}]}])"),
                      1, "InvalidArgument"));
  EXPECT_EQ(Cli({"tree", "count", "users"}).out, "1\n");
  EXPECT_EQ(Cli({"counter", "get", "visits"}).out, "1\n");
  ExpectServing();
}

TEST_F(CliNodeBadInputTest, UnknownCollectionsAndWrongTypesAreRefusedByTheNode) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"tree", "get", "nosuch", "k"},
                                             {"tree", "range", "nosuch"},
                                             {"tree", "count", "nosuch"},
                                             {"tree", "delete", "nosuch", "k"},
                                             {"diary", "read", "nosuch"},
                                             {"counter", "get", "nosuch"},
                                             {"verify", "nosuch"}}) {
    RunResult r = Cli(args);
    EXPECT_TRUE(Refused(r, 1, "NotFound: collection nosuch not found")) << args[0] << args[1];
    EXPECT_EQ(r.err, "optimystic: NotFound: collection nosuch not found\n");
  }
  EXPECT_TRUE(Refused(Cli({"diary", "append", "users", "{}"}), 1,
                      "InvalidArgument: collection users is a tree, not a diary"));
  EXPECT_TRUE(Refused(Cli({"counter", "get", "users"}), 1, "users is a tree, not a counter"));
  ExpectServing();
}

// The CLI only sends well-formed actions, so unknown action types and payloads its commands
// cannot produce go through the client library it is built on; the node's refusals come back
// with its code and message, and the CLI still gets answers afterwards.
TEST_F(CliNodeBadInputTest, UnknownActionTypesAndInvalidPayloadsAreRefusedByTheNode) {
  test::TcpTestTransport transport("cli node test");
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  client::Client client(*transport, url_);
  using collections::Action;
  const auto act = [&](std::string_view collection, std::string_view type, std::string action_type,
                       Value data) {
    std::vector<Action> actions(1);
    actions[0].type = std::move(action_type);
    actions[0].data = std::move(data);
    return client.Act(collection, type, std::move(actions), client::CreateMode::kCreateIfAbsent);
  };
  const auto expect_refused = [](const auto& result, StatusCode code, const std::string& needle) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code(), code) << result.error().ToString();
    EXPECT_NE(result.error().message().find(needle), std::string::npos)
        << result.error().ToString();
  };
  expect_refused(act("users", "tree", "frobnicate", Value::array()), StatusCode::kInvalidArgument,
                 "tree: unknown action type 'frobnicate'");
  expect_refused(act("users", "tree", "replace", "not pairs"), StatusCode::kInvalidArgument,
                 "tree replace: data must be an array");
  expect_refused(act("users", "tree", "replace", Value::parse(R"([[{"k":1},{}]])")),
                 StatusCode::kInvalidArgument, "key must be a string or a finite number");
  expect_refused(act("visits", "counter", "add", Value({{"delta", "three"}})),
                 StatusCode::kInvalidArgument, "counter");
  expect_refused(act("things", "nosuchtype", "replace", Value::array()), StatusCode::kNotFound,
                 "unknown collection type nosuchtype");
  expect_refused(client.Query("users", "tree", "scan", Value::object()), StatusCode::kNotFound,
                 "tree: unknown query 'scan'");
  EXPECT_TRUE(transport->Close().ok());

  // Nothing was committed, and no collection was created by a refused act.
  EXPECT_EQ(Cli({"tree", "range", "users"}).out, "alice\t{\"name\":\"Alice\"}\n");
  EXPECT_TRUE(Refused(Cli({"counter", "get", "visits"}), 1, "collection visits not found"));
  ExpectServing();
}

TEST_F(CliNodeBadInputTest, MessagesOverTheNodesSizeLimitAreRefusedAndTheNodeKeepsServing) {
  const std::string big = Value({{"blob", std::string(kMaxMessageBytes + 1000, 'x')}}).dump();
  RunResult put = Cli({"tree", "put", "users", "big", big});
  EXPECT_TRUE(Refused(put, 1, "InvalidArgument: "));
  EXPECT_NE(put.err.find("request message too large"), std::string::npos) << put.err;
  ExpectServing();
  EXPECT_EQ(Cli({"tree", "get", "users", "big"}).out, "(no entry for big)\n");

  // Two entries that fit one by one, whose range does not fit one reply.
  const std::string half = Value({{"blob", std::string(kMaxMessageBytes * 3 / 4, 'y')}}).dump();
  ASSERT_TRUE(Succeeded(Cli({"tree", "put", "users", "h1", half})));
  ASSERT_TRUE(Succeeded(Cli({"tree", "put", "users", "h2", half})));
  RunResult range = Cli({"tree", "range", "users"});
  EXPECT_TRUE(Refused(range, 1, "InvalidArgument: "));
  EXPECT_NE(range.err.find("reply too large"), std::string::npos) << range.err;
  EXPECT_EQ(Cli({"tree", "range", "users", "--limit", "1"}).out, "alice\t{\"name\":\"Alice\"}\n");
  ExpectServing();
}

// An entry nested so deeply that the blocks holding it could not be decoded again (the wire lets
// it through) is refused before anything is stored, instead of being written unreadable.
TEST_F(CliNodeBadInputTest, EntriesNestedTooDeepToStoreAreRefusedAndNothingIsWritten) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(
      Refused(Cli({"tree", "put", "users", "deep", nested(250)}), 1, "InvalidArgument: pend "));
  RunResult again = Cli({"tree", "put", "users", "deep", nested(250)});
  EXPECT_NE(again.err.find("nests 260 containers deep, more than the 256"), std::string::npos)
      << again.err;
  EXPECT_TRUE(Refused(Cli({"diary", "append", "events", nested(250)}), 1, "containers deep"));
  EXPECT_TRUE(Refused(Cli({"diary", "read", "events"}), 1, "collection events not found"));
  EXPECT_EQ(Cli({"tree", "range", "users"}).out, "alice\t{\"name\":\"Alice\"}\n");
  // As deep as fits is stored and reads back.
  ASSERT_TRUE(Succeeded(Cli({"tree", "put", "users", "deep", nested(200)})));
  EXPECT_EQ(Cli({"tree", "get", "users", "deep"}).out, nested(200) + "\n");
  RunResult verified = Cli({"verify", "users"});
  EXPECT_TRUE(Succeeded(verified)) << verified.out;
  ExpectServing();
}

TEST_F(CliNodeBadInputTest, TwoCliProcessesRacingOnOneCounterEndAtTheExactSum) {
  // Each shell runs 50 `counter add` processes one after another; the two shells overlap.
  const auto adder = [&](int amount) {
    return std::make_unique<Subprocess>(std::vector<std::string>{
        "/bin/sh", "-c",
        "i=0; while [ $i -lt 50 ]; do \"$0\" --node \"$1\" counter add race \"$2\" >/dev/null || "
        "exit 1; i=$((i+1)); done",
        OPTIMYSTIC_CLI_BINARY, url_, std::to_string(amount)});
  };
  std::unique_ptr<Subprocess> ones = adder(1);
  std::unique_ptr<Subprocess> threes = adder(3);
  ASSERT_TRUE(ones->Start());
  ASSERT_TRUE(threes->Start());
  EXPECT_EQ(ones->Wait(120s).value_or(-1), 0) << ones->stderr_text();
  EXPECT_EQ(threes->Wait(120s).value_or(-1), 0) << threes->stderr_text();
  EXPECT_EQ(Cli({"counter", "get", "race"}).out, "200\n");
  RunResult report = Cli({"--json", "verify", "race"});
  EXPECT_TRUE(Succeeded(report));
  EXPECT_EQ(ParseJson(report.out).value("entries", 0), 100) << report.out;
}

}  // namespace
}  // namespace optimystic
