// SPDX-License-Identifier: Apache-2.0
// Three real optimystic-node processes on loopback, started from the example deployment in
// config/cluster/ (each node file as shipped, with its data dir, ports and seeds moved by
// --set so that runs do not collide), and the real `optimystic` CLI: the nodes find each other
// through their seeds, every block lands on the node the ring gives it, and a write through
// any node reads back through any other, including a transaction over several collections.
// A node killed with SIGKILL is reported down by the others, its blocks are unavailable (one
// copy each), and after a restart on the same data it is up again with everything it held.
// Writers on different nodes racing on one counter lose no increment.
#include <optimystic/block/value.h>

#include "support/http_get.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace optimystic {
namespace {

using block::Value;
using test::RunResult;
using test::Subprocess;
using namespace std::chrono_literals;

constexpr int kNodes = 3;

// A loopback port nobody listens on now (the kernel's pick for port 0).
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : "";
}

::testing::AssertionResult Succeeded(const RunResult& r) {
  if (r.exit_code != 0 || !r.err.empty()) {
    return ::testing::AssertionFailure()
           << "exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
  }
  return ::testing::AssertionSuccess();
}

class ClusterNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string seeds;
    for (int i = 0; i < kNodes; ++i) {
      ports_.push_back(FreePort());
      ASSERT_GT(ports_.back(), 0);
      seeds += std::string(i == 0 ? "" : ", ") + Url(i);
    }
    seeds_ = "[" + seeds + "]";
    nodes_.resize(kNodes);
    // All at once, as an operator starting a cluster would: none waits for the others.
    for (int i = 0; i < kNodes; ++i) StartNode(i);
    for (int i = 0; i < kNodes; ++i) WaitReady(i);
    for (int i = 0; i < kNodes; ++i) {
      ASSERT_TRUE(WaitForMembers(i, kNodes, 0)) << "node " << i << " never saw the cluster";
    }
  }

  std::string Url(int i) const { return "tcp://127.0.0.1:" + std::to_string(ports_[i]); }

  void StartNode(int i) {
    const std::string file = std::string(OPTIMYSTIC_SOURCE_DIR) + "/config/cluster/node" +
                             std::to_string(i + 1) + ".yaml";
    nodes_[i] = std::make_unique<Subprocess>(
        std::vector<std::string>{OPTIMYSTIC_NODE_BINARY, "--config", file, "--set",
                                 "node.data_dir=" + dir_.path() + "/node" + std::to_string(i + 1),
                                 "--set", "transport.listen=" + Url(i), "--set",
                                 "metrics.listen=127.0.0.1:0", "--set", "cluster.seeds=" + seeds_});
    ASSERT_TRUE(nodes_[i]->Start());
  }

  void WaitReady(int i) {
    std::optional<std::string> ready = nodes_[i]->WaitForLine("optimystic-node ready", 30s);
    ASSERT_TRUE(ready) << nodes_[i]->stderr_text();
    const std::string port = Capture(*ready, "metrics=http://127\\.0\\.0\\.1:([0-9]+)/metrics");
    ASSERT_FALSE(port.empty()) << *ready;
    if (metrics_ports_.size() < kNodes) metrics_ports_.resize(kNodes);
    metrics_ports_[i] = std::stoi(port);
  }

  RunResult Cli(int node, std::vector<std::string> args) {
    args.insert(args.begin(), {OPTIMYSTIC_CLI_BINARY, "--node", Url(node)});
    return test::RunToExit(std::move(args));
  }

  // node.status's cluster as node `i` sees it, or null.
  Value ClusterSeenBy(int i) {
    RunResult status = Cli(i, {"--json", "status"});
    if (status.exit_code != 0) return Value();
    Value doc = Value::parse(status.out, nullptr, false);
    return doc.is_discarded() ? Value() : doc["cluster"];
  }

  // Until node `i` sees `up` members up and `down` down (or 30 s pass).
  bool WaitForMembers(int i, int up, int down) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      Value cluster = ClusterSeenBy(i);
      if (cluster.is_object() && cluster["members"].is_array()) {
        int n_up = 0, n_down = 0;
        for (const Value& m : cluster["members"]) {
          (m["state"] == "up" ? n_up : n_down) += 1;
        }
        if (n_up == up && n_down == down) return true;
      }
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // A sample of node `i`'s /metrics, or -1 when it is not there.
  double Metric(int i, const std::string& sample) {
    test::HttpResponse r = test::HttpGet("127.0.0.1", metrics_ports_[i], "/metrics");
    const size_t at = r.body.find("\n" + sample + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + sample.size() + 2));
  }

  test::TempDir dir_;
  std::vector<int> ports_;
  std::vector<int> metrics_ports_;
  std::string seeds_;
  std::vector<std::unique_ptr<Subprocess>> nodes_;
};

TEST_F(ClusterNodeTest, EveryNodeSeesTheOthersUpWithTheirShareOfTheRing) {
  for (int i = 0; i < kNodes; ++i) {
    Value cluster = ClusterSeenBy(i);
    ASSERT_EQ(cluster["members"].size(), 3u) << cluster.dump();
    double total = 0;
    for (const Value& m : cluster["members"]) {
      EXPECT_EQ(m["state"], "up");
      EXPECT_GT(m["ownership"].get<double>(), 0.15) << "each of 3 owns about a third";
      total += m["ownership"].get<double>();
    }
    EXPECT_NEAR(total, 1.0, 1e-9);
    EXPECT_EQ(Metric(i, "optimystic_cluster_members{state=\"up\"}"), 3) << "node " << i;
    EXPECT_EQ(Metric(i, "optimystic_cluster_formed"), 1) << "node " << i;
  }
  RunResult status = Cli(0, {"status"});
  ASSERT_TRUE(Succeeded(status));
  EXPECT_NE(status.out.find("(this node)"), std::string::npos) << status.out;
  size_t members = 0;
  for (size_t at = status.out.find("\nmember "); at != std::string::npos;
       at = status.out.find("\nmember ", at + 1)) {
    ++members;
  }
  EXPECT_EQ(members, 3u) << status.out;
}

TEST_F(ClusterNodeTest, WritesThroughOneNodeReadBackThroughAnyOtherAndSpreadOverAll) {
  constexpr int kCollections = 10;
  for (int c = 0; c < kCollections; ++c) {
    const std::string name = "users" + std::to_string(c);
    for (int k = 0; k < 3; ++k) {
      ASSERT_TRUE(Succeeded(Cli(c % kNodes, {"tree", "put", name, "k" + std::to_string(k),
                                             "{\"c\":" + std::to_string(c) + "}"})));
    }
  }
  for (int c = 0; c < kCollections; ++c) {
    const std::string name = "users" + std::to_string(c);
    for (int reader = 0; reader < kNodes; ++reader) {
      RunResult got = Cli(reader, {"--json", "tree", "get", name, "k2"});
      ASSERT_TRUE(Succeeded(got)) << name << " through node " << reader;
      EXPECT_NE(got.out.find("\"c\":" + std::to_string(c)), std::string::npos) << got.out;
    }
  }
  // Some blocks of those collections are on each node: every store holds keys.
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_GT(Metric(i, "optimystic_storage_keys{plugin=\"rocksdb\"}"), 0) << "node " << i;
  }
}

TEST_F(ClusterNodeTest, ATransactionOverSeveralCollectionsCommitsAcrossNodes) {
  for (const char* account : {"alice", "bob"}) {
    ASSERT_TRUE(Succeeded(Cli(0, {"tree", "put", "accounts", account, "{\"balance\":100}"})));
  }
  const std::string file = dir_.path() + "/transfer.json";
  std::ofstream(file) << R"([
    {"collectionId": "accounts", "actions": [
      {"type": "replace", "data": [["alice", {"balance": 70}], ["bob", {"balance": 130}]]}]},
    {"collectionId": "transfers", "actions": [
      {"type": "replace", "data": [["t1", {"from": "alice", "to": "bob", "amount": 30}]]}]}
  ])";
  // transfers must exist first: a transaction does not create collections.
  ASSERT_TRUE(Succeeded(Cli(1, {"tree", "put", "transfers", "t0", "{}"})));
  RunResult txn = Cli(2, {"txn", file});
  ASSERT_TRUE(Succeeded(txn)) << txn.out;
  EXPECT_NE(txn.out.find("committed tx:"), std::string::npos) << txn.out;
  RunResult bob = Cli(1, {"--json", "tree", "get", "accounts", "bob"});
  ASSERT_TRUE(Succeeded(bob));
  EXPECT_NE(bob.out.find("130"), std::string::npos) << bob.out;
  RunResult t1 = Cli(0, {"--json", "tree", "get", "transfers", "t1"});
  ASSERT_TRUE(Succeeded(t1));
  EXPECT_NE(t1.out.find("\"amount\":30"), std::string::npos) << t1.out;
}

TEST_F(ClusterNodeTest, WritersOnDifferentNodesRacingOnOneCounterLoseNoIncrement) {
  ASSERT_TRUE(Succeeded(Cli(0, {"counter", "add", "race", "0"})));
  constexpr int kAddsPerNode = 8;
  std::vector<std::thread> writers;
  std::vector<int> failures(kNodes, 0);
  for (int i = 0; i < kNodes; ++i) {
    writers.emplace_back([&, i] {
      for (int k = 0; k < kAddsPerNode; ++k) {
        if (Cli(i, {"counter", "add", "race", "1"}).exit_code != 0) ++failures[i];
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures, std::vector<int>(kNodes, 0));
  for (int i = 0; i < kNodes; ++i) {
    RunResult got = Cli(i, {"--json", "counter", "get", "race"});
    ASSERT_TRUE(Succeeded(got));
    EXPECT_EQ(Value::parse(got.out, nullptr, false)["value"], kNodes * kAddsPerNode)
        << "through node " << i << ": " << got.out;
  }
}

TEST_F(ClusterNodeTest, AKilledNodeIsDownItsBlocksUnavailableAndItComesBackWithThem) {
  constexpr int kCollections = 12;
  for (int c = 0; c < kCollections; ++c) {
    ASSERT_TRUE(Succeeded(Cli(0, {"counter", "add", "hits" + std::to_string(c), "5"})));
  }
  ASSERT_TRUE(nodes_[1]->Signal(SIGKILL));
  (void)nodes_[1]->Wait(10s);
  ASSERT_TRUE(WaitForMembers(0, 2, 1)) << ClusterSeenBy(0).dump();
  ASSERT_TRUE(WaitForMembers(2, 2, 1)) << ClusterSeenBy(2).dump();
  EXPECT_EQ(Metric(0, "optimystic_cluster_members{state=\"down\"}"), 1);
  // With one copy of each block, a collection with a block on the dead node cannot be read;
  // the others can. Both kinds are among 12 collections (each has several blocks).
  int unavailable = 0;
  for (int c = 0; c < kCollections; ++c) {
    RunResult got = Cli(2, {"--json", "counter", "get", "hits" + std::to_string(c)});
    if (got.exit_code == 0) {
      EXPECT_NE(got.out.find('5'), std::string::npos) << got.out;
    } else {
      ++unavailable;
      EXPECT_NE(got.err.find("Unavailable"), std::string::npos) << got.err;
    }
  }
  EXPECT_GT(unavailable, 0);
  // Restarted on the same data, the node is up again and nothing it held is lost.
  StartNode(1);
  WaitReady(1);
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitForMembers(i, 3, 0)) << "node " << i;
  for (int c = 0; c < kCollections; ++c) {
    RunResult got = Cli(2, {"--json", "counter", "get", "hits" + std::to_string(c)});
    ASSERT_TRUE(Succeeded(got)) << "hits" << c;
    EXPECT_NE(got.out.find('5'), std::string::npos) << got.out;
  }
}

}  // namespace
}  // namespace optimystic
