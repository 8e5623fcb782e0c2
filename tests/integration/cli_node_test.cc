// SPDX-License-Identifier: Apache-2.0
// The whole single-node database from a user's seat: the real optimystic-node (storage, transport
// and collection plugins through dlopen) and the real `optimystic` CLI as separate processes on
// loopback. Tree, diary and counter commands, a JSONL import, --json output, racing CLI writers,
// a restart that must give everything back (on rocksdb and on file), bad input that must be
// refused with one line while the node keeps serving, and a log block corrupted on disk behind
// the node's back that `verify` must name.
#include <optimystic/block/codec.h>

#include "core/repository/repository_format.h"
#include "storage/rocksdb/rocksdb_storage_engine.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace optimystic {
namespace {

using test::Subprocess;
using namespace std::chrono_literals;

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliNodeTest : public ::testing::TestWithParam<std::string> {
 protected:
  // Starts the node on the parameter's storage plugin (kept in dir_/data across restarts) with
  // the tcp transport on a free port; fills url_ from the ready line.
  void StartNode(const std::string& extra_transport = "") {
    const std::string config = dir_.path() + "/node.yaml";
    std::ofstream(config) << "node:\n  data_dir: " << dir_.path() << "/data\n  log_level: warn\n"
                          << "storage:\n  plugin: " << GetParam() << "\n"
                          << "metrics:\n  enabled: false\n"
                          << "transport:\n  plugin: tcp\n  listen: tcp://127.0.0.1:0\n"
                          << extra_transport << "collections:\n  types:\n    tree: {}\n"
                          << "    diary: {}\n    counter: {}\n";
    node_ = std::make_unique<Subprocess>(
        std::vector<std::string>{OPTIMYSTIC_NODE_BINARY, "--config", config});
    ASSERT_TRUE(node_->Start());
    std::optional<std::string> ready = node_->WaitForLine("optimystic-node ready", 30s);
    ASSERT_TRUE(ready) << node_->stderr_text();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*ready, m, std::regex("client=(tcp://127\\.0\\.0\\.1:[0-9]+)")))
        << *ready;
    url_ = m[1].str();
  }

  void StopNode() {
    ASSERT_TRUE(node_->Signal(SIGTERM));
    EXPECT_EQ(node_->Wait(30s).value_or(-1), 0) << node_->stderr_text();
    node_.reset();
  }

  CliResult Cli(std::vector<std::string> args) {
    std::vector<std::string> argv{OPTIMYSTIC_CLI_BINARY, "--node", url_};
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess cli(std::move(argv));
    CliResult r;
    if (!cli.Start()) return r;
    r.exit_code = cli.Wait(120s).value_or(-1);
    r.out = cli.stdout_text();
    r.err = cli.stderr_text();
    return r;
  }

  // Runs a command that must succeed and returns its stdout.
  std::string Ok(std::vector<std::string> args) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    CliResult r = Cli(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << shown << "\nstdout: " << r.out << "\nstderr: " << r.err;
    return r.out;
  }

  nlohmann::json Json(std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    std::string out = Ok(std::move(args));
    nlohmann::json j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  test::TempDir dir_;
  std::unique_ptr<Subprocess> node_;
  std::string url_;
};

TEST_P(CliNodeTest, TreeDiaryCounterSurviveARestart) {
  ASSERT_NO_FATAL_FAILURE(StartNode());
  Ok({"tree", "put", "users", "alice", R"({"name":"Alice"})"});
  Ok({"tree", "put", "users", "bob", R"({"name":"Bob"})"});
  Ok({"tree", "put", "users", "carol", R"({"name":"Carol"})"});
  Ok({"tree", "put", "users", "7", R"({"n":7})"});
  Ok({"tree", "delete", "users", "bob"});
  EXPECT_EQ(Json({"tree", "get", "users", "alice"}), nlohmann::json({{"name", "Alice"}}));
  EXPECT_EQ(Json({"tree", "count", "users"}), 3);
  // Numbers sort before strings; --to is exclusive; --desc reverses; --limit cuts.
  nlohmann::json range = Json({"tree", "range", "users", "--from", "alice", "--to", "carol"});
  ASSERT_TRUE(range.is_array()) << range;
  ASSERT_EQ(range.size(), 1u) << range;
  EXPECT_EQ(range[0][0], "alice");
  nlohmann::json desc = Json({"tree", "range", "users", "--desc", "--limit", "2"});
  ASSERT_EQ(desc.size(), 2u) << desc;
  EXPECT_EQ(desc[0][0], "carol");
  EXPECT_EQ(desc[1][0], "alice");
  nlohmann::json all = Json({"tree", "range", "users"});
  ASSERT_EQ(all.size(), 3u) << all;
  EXPECT_EQ(all[0][0], 7);

  Ok({"diary", "append", "events", R"({"e":1})"});
  Ok({"diary", "append", "events", R"({"e":2})"});
  EXPECT_EQ(Json({"diary", "read", "events"}), nlohmann::json::parse(R"([{"e":1},{"e":2}])"));
  EXPECT_EQ(Json({"diary", "read", "events", "--desc", "--limit", "1"}),
            nlohmann::json::parse(R"([{"e":2}])"));

  Ok({"counter", "add", "hits", "5"});
  Ok({"counter", "add", "hits", "-2"});
  EXPECT_EQ(Json({"counter", "get", "hits"}), nlohmann::json({{"value", 3}}));
  EXPECT_NE(Ok({"status"}).find("users"), std::string::npos);
  EXPECT_EQ(Cli({"verify", "users"}).exit_code, 0);

  ASSERT_NO_FATAL_FAILURE(StopNode());
  ASSERT_NO_FATAL_FAILURE(StartNode());
  EXPECT_EQ(Json({"tree", "get", "users", "carol"}), nlohmann::json({{"name", "Carol"}}));
  EXPECT_EQ(Json({"tree", "count", "users"}), 3);
  EXPECT_EQ(Json({"diary", "read", "events"}), nlohmann::json::parse(R"([{"e":1},{"e":2}])"));
  EXPECT_EQ(Json({"counter", "get", "hits"}), nlohmann::json({{"value", 3}}));
  // Writes go on at the revision after the restart.
  Ok({"tree", "put", "users", "dave", R"({"name":"Dave"})"});
  EXPECT_EQ(Json({"tree", "count", "users"}), 4);
  ASSERT_NO_FATAL_FAILURE(StopNode());
}

TEST_P(CliNodeTest, ImportsTenThousandLines) {
  const std::string file = dir_.path() + "/people.jsonl";
  {
    std::ofstream out(file);
    for (int i = 0; i < 10'000; ++i) {
      out << R"({"id":"p)" << i << R"(","n":)" << i << "}\n";
    }
  }
  ASSERT_NO_FATAL_FAILURE(StartNode());
  CliResult r = Cli({"import", "people", file, "--key", "id", "--batch", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("/s"), std::string::npos) << "no final rate line: " << r.out;
  EXPECT_EQ(Json({"tree", "count", "people"}), 10'000);
  EXPECT_EQ(Json({"tree", "get", "people", "p9999"}),
            nlohmann::json::parse(R"({"id":"p9999","n":9999})"));
  EXPECT_EQ(Json({"tree", "get", "people", "p0"}), nlohmann::json::parse(R"({"id":"p0","n":0})"));
  ASSERT_NO_FATAL_FAILURE(StopNode());
}

TEST_P(CliNodeTest, RacingCliWritersLoseNoIncrement) {
  ASSERT_NO_FATAL_FAILURE(StartNode());
  auto writer = [&](int n) {
    for (int i = 0; i < n; ++i) {
      CliResult r = Cli({"counter", "add", "race", "1"});
      EXPECT_EQ(r.exit_code, 0) << r.err;
    }
  };
  std::thread a(writer, 30);
  std::thread b(writer, 30);
  a.join();
  b.join();
  EXPECT_EQ(Json({"counter", "get", "race"}), nlohmann::json({{"value", 60}}));
  ASSERT_NO_FATAL_FAILURE(StopNode());
}

TEST_P(CliNodeTest, BadInputIsRefusedAndTheNodeKeepsServing) {
  ASSERT_NO_FATAL_FAILURE(StartNode("  settings:\n    max_message_bytes: 65536\n"));
  CliResult malformed = Cli({"tree", "put", "users", "k", "{bad"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_NE(malformed.err.find("malformed JSON"), std::string::npos) << malformed.err;

  CliResult missing = Cli({"tree", "get", "nosuch", "k"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("collection nosuch not found"), std::string::npos) << missing.err;

  Ok({"diary", "append", "log", R"({"e":1})"});
  CliResult wrong_type = Cli({"tree", "put", "log", "k", R"({"v":1})"});
  EXPECT_EQ(wrong_type.exit_code, 1);
  EXPECT_NE(wrong_type.err.find("not a tree"), std::string::npos) << wrong_type.err;

  CliResult bad_delta = Cli({"counter", "add", "hits", "1.5"});
  EXPECT_NE(bad_delta.exit_code, 0);
  EXPECT_FALSE(bad_delta.err.empty());

  // Over the node's 64 KiB limit, under the kernel's 128 KiB limit on one argument.
  const std::string big(100'000, 'x');
  CliResult oversized = Cli({"tree", "put", "users", "big", "{\"v\":\"" + big + "\"}"});
  EXPECT_NE(oversized.exit_code, 0);
  EXPECT_FALSE(oversized.err.empty())
      << oversized.exit_code << " out: " << oversized.out.substr(0, 300);

  // One line per refusal, and the node still answers.
  for (const CliResult* r : {&missing, &wrong_type}) {
    EXPECT_EQ(std::count(r->err.begin(), r->err.end(), '\n'), 1) << r->err;
  }
  EXPECT_EQ(Cli({"status"}).exit_code, 0);
  Ok({"tree", "put", "users", "k", R"({"v":1})"});
  ASSERT_NO_FATAL_FAILURE(StopNode());
}

INSTANTIATE_TEST_SUITE_P(Storage, CliNodeTest, ::testing::Values("rocksdb", "file"));

// A log data block changed on disk while the node is down: the repository still serves it (it
// decodes), but the next block's priorHash no longer matches, and `verify` must say which block.
TEST(CliNodeCorruptionTest, VerifyNamesATamperedLogBlock) {
  test::TempDir dir;
  const std::string config = dir.path() + "/node.yaml";
  std::ofstream(config) << "node:\n  data_dir: " << dir.path() << "/data\n  log_level: warn\n"
                        << "storage:\n  plugin: rocksdb\n"
                        << "metrics:\n  enabled: false\n"
                        << "transport:\n  plugin: tcp\n  listen: tcp://127.0.0.1:0\n"
                        << "collections:\n  types:\n    diary: {}\n";
  auto start = [&](std::string& url) {
    auto node = std::make_unique<Subprocess>(
        std::vector<std::string>{OPTIMYSTIC_NODE_BINARY, "--config", config});
    EXPECT_TRUE(node->Start());
    std::optional<std::string> ready = node->WaitForLine("optimystic-node ready", 30s);
    EXPECT_TRUE(ready) << node->stderr_text();
    std::smatch m;
    if (ready && std::regex_search(*ready, m, std::regex("client=(tcp://[0-9.:]+)"))) {
      url = m[1].str();
    }
    return node;
  };
  auto cli = [&](const std::string& url, std::vector<std::string> args) {
    std::vector<std::string> argv{OPTIMYSTIC_CLI_BINARY, "--node", url};
    argv.insert(argv.end(), args.begin(), args.end());
    Subprocess p(std::move(argv));
    CliResult r;
    if (!p.Start()) return r;
    r.exit_code = p.Wait(60s).value_or(-1);
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    return r;
  };
  auto stop = [](std::unique_ptr<Subprocess>& node) {
    ASSERT_TRUE(node->Signal(SIGTERM));
    EXPECT_EQ(node->Wait(30s).value_or(-1), 0) << node->stderr_text();
  };

  std::string url;
  auto node = start(url);
  ASSERT_FALSE(url.empty());
  // More entries than one log block holds (32), so the head block is hashed by its successor.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(
        cli(url, {"diary", "append", "journal", "{\"i\":" + std::to_string(i) + "}"}).exit_code, 0);
  }
  EXPECT_EQ(cli(url, {"verify", "journal"}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(stop(node));

  // Find the log's head block through the collection header, then rewrite every stored
  // materialization of it with one entry's payload changed.
  std::string head_id;
  {
    plugins::storage_rocksdb::RocksDbOptions options;
    options.path = dir.path() + "/data/rocksdb";
    auto engine = plugins::storage_rocksdb::RocksDbStorageEngine::Open(options);
    ASSERT_TRUE(engine.has_value()) << engine.status().ToString();
    struct Collect final : storage::ScanSink {
      std::vector<std::pair<std::string, std::string>> entries;
      bool OnEntry(std::string_view k, std::string_view v) noexcept override {
        entries.emplace_back(std::string(k), std::string(v));
        return true;
      }
    };
    Collect header;
    ASSERT_TRUE((*engine)
                    ->Scan(storage::ScanRange::Prefix(core::repository::TagPrefix(
                               "journal", core::repository::kMaterializedTag)),
                           header)
                    .ok());
    ASSERT_FALSE(header.entries.empty());
    auto header_block = block::DecodeBlock(header.entries.back().second);
    ASSERT_TRUE(header_block.has_value());
    ASSERT_TRUE(header_block->contains("headId")) << header_block->dump();
    head_id = (*header_block)["headId"].get<std::string>();

    Collect head;
    ASSERT_TRUE((*engine)
                    ->Scan(storage::ScanRange::Prefix(core::repository::TagPrefix(
                               head_id, core::repository::kMaterializedTag)),
                           head)
                    .ok());
    ASSERT_FALSE(head.entries.empty());
    storage::WriteBatch batch;
    for (const auto& [key, value] : head.entries) {
      auto b = block::DecodeBlock(value);
      ASSERT_TRUE(b.has_value()) << b.status().ToString();
      ASSERT_TRUE(b->contains("entries") && !(*b)["entries"].empty()) << b->dump();
      (*b)["entries"][0]["timestamp"] = 1;  // history rewritten: still a valid entry
      batch.Put(key, block::EncodeBlock(*b));
    }
    ASSERT_TRUE((*engine)->Write(batch, {.sync = true}).ok());
    ASSERT_TRUE((*engine)->Close().ok());
  }

  node = start(url);
  ASSERT_FALSE(url.empty());
  CliResult verify = cli(url, {"verify", "journal"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_NE((verify.out + verify.err).find("priorHash mismatch"), std::string::npos)
      << verify.out << verify.err;
  EXPECT_NE((verify.out + verify.err).find(head_id), std::string::npos)
      << "the report should name the tampered block " << head_id << ": " << verify.out
      << verify.err;
  // Reading goes on: the node does not fall over on a broken chain.
  EXPECT_EQ(cli(url, {"status"}).exit_code, 0);
  ASSERT_NO_FATAL_FAILURE(stop(node));
}

}  // namespace
}  // namespace optimystic
