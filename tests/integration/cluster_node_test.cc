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

#include "integration/cluster_nodes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace optimystic {
namespace {

using block::Value;
using test::ClusterNodes;
using test::RunResult;
using test::Subprocess;
using test::Succeeded;
using namespace std::chrono_literals;

constexpr int kNodes = 3;

class ClusterNodeTest : public ClusterNodes {
 protected:
  void SetUp() override { StartCluster("cluster", kNodes); }
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

// config/cluster-5: five nodes, each holding every block (replication 5); every node writes,
// every other reads.
TEST_F(ClusterNodes, FiveNodesFromTheExampleShareCollections) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("cluster-5", 5));
  for (int w = 0; w < 5; ++w) {
    ASSERT_TRUE(Succeeded(Cli(
        w, {"diary", "append", "log" + std::to_string(w), "{\"by\":" + std::to_string(w) + "}"})));
  }
  for (int w = 0; w < 5; ++w) {
    for (int r = 0; r < 5; ++r) {
      if (r == w) continue;
      RunResult got = Cli(r, {"--json", "diary", "read", "log" + std::to_string(w)});
      ASSERT_TRUE(Succeeded(got)) << "log" << w << " through node " << r;
      EXPECT_NE(got.out.find("\"by\":" + std::to_string(w)), std::string::npos) << got.out;
    }
  }
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Metric(i, "optimystic_cluster_members{state=\"up\"}"), 5) << "node " << i;
  }
}

// config/cluster-tls: the nodes talk mutual TLS; the CLI needs a certificate of the CA; a node
// whose certificate another CA signed never joins.
TEST_F(ClusterNodes, ATlsClusterServesCertifiedClientsAndKeepsForeignPeersOut) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("cluster-tls", kNodes, /*tls=*/true));
  ASSERT_TRUE(Succeeded(Cli(0, {"tree", "put", "secrets", "k", "{\"v\":1}"})));
  RunResult got = Cli(2, {"--json", "tree", "get", "secrets", "k"});
  ASSERT_TRUE(Succeeded(got));
  EXPECT_NE(got.out.find("\"v\":1"), std::string::npos) << got.out;
  RunResult plain = test::RunToExit({OPTIMYSTIC_CLI_BINARY, "--node", Url(1), "status"});
  EXPECT_EQ(plain.exit_code, 3) << "a client without TLS is not served: " << plain.err;

  // An intruder with a certificate of another CA, seeded with the cluster's nodes.
  auto other = test::TestCertificateAuthority::Create(dir_.path(), "other");
  ASSERT_TRUE(other.has_value());
  auto intruder_files = other->Issue("intruder");
  ASSERT_TRUE(intruder_files.has_value());
  ports_.push_back(test::FreePort());
  node_tls_.push_back(*intruder_files);
  nodes_.resize(n_ + 1);
  metrics_ports_.resize(n_ + 1);
  nodes_[n_] = std::make_unique<Subprocess>(NodeArgs(n_));
  ASSERT_TRUE(nodes_[n_]->Start());
  ASSERT_NO_FATAL_FAILURE(WaitReady(n_));
  std::this_thread::sleep_for(3s);  // six probe rounds
  for (int i = 0; i < n_; ++i) {
    EXPECT_EQ(ClusterSeenBy(i)["members"].size(), 3u) << "node " << i << " let the intruder in";
  }
  EXPECT_EQ(Metric(n_, "optimystic_cluster_formed"), 0) << "the intruder reached no seed";
  EXPECT_EQ(Metric(n_, "optimystic_cluster_members{state=\"up\"}"), 1);
}

}  // namespace
}  // namespace optimystic
