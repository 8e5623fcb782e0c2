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
#include "support/run_checks.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_certs.h"

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
using test::Capture;
using test::RunResult;
using test::Subprocess;
using test::Succeeded;
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

// Real nodes started from one of the example deployments in config/.
class ClusterNodes : public ::testing::Test {
 protected:
  // Starts the `n` nodes of config/<example>/ at once, as an operator starting a cluster
  // would (none waits for the others), and waits until each sees all of them up. With `tls`,
  // every node gets a certificate of one test CA in place of the example's files.
  void StartCluster(const std::string& example, int n, bool tls = false) {
    example_ = example;
    n_ = n;
    if (tls) {
      auto ca = test::TestCertificateAuthority::Create(dir_.path(), "cluster");
      ASSERT_TRUE(ca.has_value()) << ca.status().ToString();
      ca_.emplace(std::move(*ca));
      auto client = ca_->Issue("client");
      ASSERT_TRUE(client.has_value());
      client_tls_ = *client;
    }
    std::string seeds;
    for (int i = 0; i < n; ++i) {
      ports_.push_back(FreePort());
      ASSERT_GT(ports_.back(), 0);
      seeds += std::string(i == 0 ? "" : ", ") + Url(i);
      if (tls) {
        auto files = ca_->Issue("node" + std::to_string(i + 1));
        ASSERT_TRUE(files.has_value());
        node_tls_.push_back(*files);
      }
    }
    seeds_ = "[" + seeds + "]";
    nodes_.resize(n);
    metrics_ports_.resize(n);
    for (int i = 0; i < n; ++i) StartNode(i);
    for (int i = 0; i < n; ++i) WaitReady(i);
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(WaitForMembers(i, n, 0)) << "node " << i << " never saw the cluster";
    }
  }

  std::string Url(int i) const { return "tcp://127.0.0.1:" + std::to_string(ports_[i]); }

  // The node's command line: the example's file, with data dir, ports, seeds (and
  // certificates) moved so that runs do not collide.
  std::vector<std::string> NodeArgs(int i) const {
    // A node beyond the example's (an intruder) uses the last file with its own data and port.
    const std::string file = std::string(OPTIMYSTIC_SOURCE_DIR) + "/config/" + example_ + "/node" +
                             std::to_string(std::min(i, n_ - 1) + 1) + ".yaml";
    std::vector<std::string> args = {
        OPTIMYSTIC_NODE_BINARY,
        "--config",
        file,
        "--set",
        "node.data_dir=" + dir_.path() + "/node" + std::to_string(i + 1),
        "--set",
        "transport.listen=" + Url(i),
        "--set",
        "metrics.listen=127.0.0.1:0",
        "--set",
        "cluster.seeds=" + seeds_};
    if (!node_tls_.empty()) {
      for (const auto& [key, value] : {std::pair{"ca_file", node_tls_[i].ca_file},
                                       std::pair{"cert_file", node_tls_[i].cert_file},
                                       std::pair{"key_file", node_tls_[i].key_file}}) {
        args.insert(args.end(),
                    {"--set", std::string("transport.settings.tls.") + key + "=" + value});
      }
    }
    return args;
  }

  void StartNode(int i) {
    nodes_[i] = std::make_unique<Subprocess>(NodeArgs(i));
    ASSERT_TRUE(nodes_[i]->Start());
  }

  void WaitReady(int i) {
    std::optional<std::string> ready = nodes_[i]->WaitForLine("optimystic-node ready", 30s);
    ASSERT_TRUE(ready) << nodes_[i]->stderr_text();
    const std::string port = Capture(*ready, "metrics=http://127\\.0\\.0\\.1:([0-9]+)/metrics");
    ASSERT_FALSE(port.empty()) << *ready;
    metrics_ports_[i] = std::stoi(port);
  }

  // The CLI against node `node`, with the client certificate when the cluster runs TLS.
  RunResult Cli(int node, std::vector<std::string> args) {
    std::vector<std::string> head = {OPTIMYSTIC_CLI_BINARY, "--node", Url(node)};
    if (client_tls_) {
      head.insert(head.end(), {"--tls-ca", client_tls_->ca_file, "--tls-cert",
                               client_tls_->cert_file, "--tls-key", client_tls_->key_file});
    }
    args.insert(args.begin(), head.begin(), head.end());
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
  std::string example_;
  int n_ = 0;
  std::vector<int> ports_;
  std::vector<int> metrics_ports_;
  std::string seeds_;
  std::optional<test::TestCertificateAuthority> ca_;
  std::vector<test::CertFiles> node_tls_;
  std::optional<test::CertFiles> client_tls_;
  std::vector<std::unique_ptr<Subprocess>> nodes_;
};

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

// config/cluster-5: five nodes; every node writes, every other reads.
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
  ports_.push_back(FreePort());
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
