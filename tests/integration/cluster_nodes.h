// SPDX-License-Identifier: Apache-2.0
// ClusterNodes: real optimystic-node processes started from one of the example deployments in
// config/ (each node file as shipped, with its data dir, ports and seeds moved by --set so that
// runs do not collide), and the real `optimystic` CLI against any of them.
#pragma once

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

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace optimystic::test {

using namespace std::chrono_literals;

// A loopback port nobody listens on now (the kernel's pick for port 0).
// A port to listen on that is free now, chosen below the kernel's ephemeral range (32768 up):
// a port from there could be handed to another test's outgoing connection or ":0" listener
// before the node binds it.
inline int FreePort() {
  static std::mt19937 draw{std::random_device{}()};
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int port = 20000 + static_cast<int>(draw() % 12000);
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (bound) {
      return port;
    }
  }
  return 0;
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
      auto ca = TestCertificateAuthority::Create(dir_.path(), "cluster");
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

  // Makes room for one more node beyond the cluster's (not started): it has its own port and
  // data dir, and the cluster's seeds, which do not name it. Returns its index.
  int AddNode() {
    ports_.push_back(FreePort());
    EXPECT_GT(ports_.back(), 0);
    nodes_.emplace_back();
    metrics_ports_.push_back(0);
    return static_cast<int>(ports_.size()) - 1;
  }

  // Starts node `i`, with `extra` arguments after NodeArgs' (e.g. "--set", "key=value").
  void StartNode(int i, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = NodeArgs(i);
    args.insert(args.end(), every_node_args_.begin(), every_node_args_.end());
    args.insert(args.end(), extra.begin(), extra.end());
    nodes_[i] = std::make_unique<Subprocess>(std::move(args));
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
    DrainNodes();
    std::vector<std::string> head = {OPTIMYSTIC_CLI_BINARY, "--node", Url(node)};
    if (client_tls_) {
      head.insert(head.end(), {"--tls-ca", client_tls_->ca_file, "--tls-cert",
                               client_tls_->cert_file, "--tls-key", client_tls_->key_file});
    }
    args.insert(args.begin(), head.begin(), head.end());
    return RunToExit(std::move(args));
  }

  // Reads what the nodes logged so far (a node whose pipe is full blocks).
  void DrainNodes() {
    for (auto& node : nodes_) {
      if (node) node->Drain();
    }
  }

  // The last `bytes` of what node `i` logged, for a failure's message.
  std::string LogTail(int i, size_t bytes = 3000) {
    DrainNodes();
    const std::string& log = nodes_[i]->stderr_text();
    return "node " + std::to_string(i) + " stderr:\n" +
           (log.size() > bytes ? log.substr(log.size() - bytes) : log) + "\n" +
           nodes_[i]->stdout_text().substr(
               nodes_[i]->stdout_text().size() > bytes ? nodes_[i]->stdout_text().size() - bytes
                                                       : 0);
  }

  // node.status's cluster as node `i` sees it, or null.
  block::Value ClusterSeenBy(int i) {
    RunResult status = Cli(i, {"--json", "status"});
    if (status.exit_code != 0) return block::Value();
    block::Value doc = block::Value::parse(status.out, nullptr, false);
    return doc.is_discarded() ? block::Value() : doc["cluster"];
  }

  // Until node `i` sees `up` members up and `down` down, of those that have not left (or 30 s
  // pass).
  bool WaitForMembers(int i, int up, int down) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      block::Value cluster = ClusterSeenBy(i);
      if (cluster.is_object() && cluster["members"].is_array()) {
        int n_up = 0, n_down = 0;
        for (const block::Value& m : cluster["members"]) {
          if (m.contains("role") && m["role"] == "left") continue;  // gone on purpose
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
    HttpResponse r = HttpGet("127.0.0.1", metrics_ports_[i], "/metrics");
    const size_t at = r.body.find("\n" + sample + " ");
    if (at == std::string::npos) return -1;
    return std::stod(r.body.substr(at + sample.size() + 2));
  }

  TempDir dir_;
  std::string example_;
  int n_ = 0;
  std::vector<int> ports_;
  std::vector<int> metrics_ports_;
  std::string seeds_;
  std::optional<TestCertificateAuthority> ca_;
  std::vector<CertFiles> node_tls_;
  std::optional<CertFiles> client_tls_;
  std::vector<std::unique_ptr<Subprocess>> nodes_;
  std::vector<std::string> every_node_args_;  // appended to each node's command line
};

}  // namespace optimystic::test
