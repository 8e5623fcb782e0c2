// SPDX-License-Identifier: Apache-2.0
// Starts the real optimystic-node with a transport plugin (loaded through dlopen) and talks to it
// over loopback as a peer or client does: a `ping` envelope in, a `pong` out; bytes that are no
// envelope in, an `error` envelope out; with TLS, a client holding a certificate of the cluster CA
// is answered and one without is refused. The client is the tcp plugin's own transport, built
// through its factory. The transport metrics are checked on the node's real /metrics endpoint.
#include <optimystic/config/settings.h>
#include <optimystic/transport/transport.h>

#include "cluster/wire/envelope.h"
#include "cluster/wire/messages.h"
#include "support/http_get.h"
#include "support/settings_nodes.h"
#include "support/run_checks.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_certs.h"
#include "support/test_host.h"
#include "transport/tcp/tcp_transport_factory.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace optimystic {
namespace {

using cluster::wire::Envelope;
using cluster::wire::MessageType;
using test::Capture;
using test::Subprocess;
using namespace std::chrono_literals;

constexpr int64_t kRequestDeadlineMs = 20'000;
constexpr const char* kOrigin = "node transport test";  // where test settings come from

// Waits for the one reply of one request.
class ReplyWaiter final : public transport::ReplyCallback {
 public:
  void OnReply(Result<std::string> reply) noexcept override {
    promise_.set_value(std::move(reply));
  }
  Result<std::string> Wait() {
    std::future<Result<std::string>> future = promise_.get_future();
    if (future.wait_for(60s) != std::future_status::ready) {
      return Status::TimedOut("no reply within 60 s");
    }
    return future.get();
  }

 private:
  std::promise<Result<std::string>> promise_;
};

std::string Ping(uint64_t request_id) {
  Envelope ping;
  ping.type = MessageType::kPing;
  ping.request_id = request_id;
  ping.payload = cluster::wire::PingToPayload(cluster::wire::Ping{});
  Result<std::string> bytes = cluster::wire::EncodeEnvelope(ping);
  EXPECT_TRUE(bytes.has_value()) << bytes.status().ToString();
  return bytes.value_or("");
}

class NodeTransportTest : public ::testing::Test {
 protected:
  // A node config with `transport` (YAML, indented under the key) and metrics on a free port.
  std::string WriteConfig(const std::string& transport) {
    const std::string path = dir_.path() + "/node.yaml";
    std::ofstream(path) << "node:\n  data_dir: " << dir_.path() << "/data\n  log_level: info\n"
                        << "storage:\n  plugin: memory\n"
                        << "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n"
                        << "transport:\n"
                        << transport;
    return path;
  }

  // Starts the node; fills url_, peer_id_ and metrics_port_ from its ready line.
  void StartNode(const std::string& transport) {
    node_ = std::make_unique<Subprocess>(
        std::vector<std::string>{OPTIMYSTIC_NODE_BINARY, "--config", WriteConfig(transport)});
    ASSERT_TRUE(node_->Start());
    std::optional<std::string> ready = node_->WaitForLine("optimystic-node ready", 30s);
    ASSERT_TRUE(ready) << node_->stderr_text();
    url_ = Capture(*ready, "client=(tcp://127\\.0\\.0\\.1:[0-9]+)");
    peer_id_ = Capture(*ready, "peer_id=([a-z2-7]+)");
    const std::string port = Capture(*ready, "metrics=http://127\\.0\\.0\\.1:([0-9]+)/metrics");
    ASSERT_FALSE(url_.empty()) << *ready;
    ASSERT_FALSE(peer_id_.empty()) << *ready;
    ASSERT_FALSE(port.empty()) << *ready;
    metrics_port_ = std::stoi(port);
  }

  void StopNode() {
    ASSERT_TRUE(node_->Signal(SIGTERM));
    EXPECT_EQ(node_->Wait(20s).value_or(-1), 0) << node_->stderr_text();
  }

  // A tcp client transport, with TLS when `tls` is given.
  std::unique_ptr<transport::Transport> TcpClient(const test::CertFiles* tls) {
    std::vector<config::SettingsEntry> entries;
    entries.emplace_back("threads", test::SettingsScalar("1", kOrigin));
    if (tls != nullptr) {
      std::vector<config::SettingsEntry> files;
      files.emplace_back("ca_file", test::SettingsScalar(tls->ca_file, kOrigin));
      files.emplace_back("cert_file", test::SettingsScalar(tls->cert_file, kOrigin));
      files.emplace_back("key_file", test::SettingsScalar(tls->key_file, kOrigin));
      entries.emplace_back("tls", test::SettingsMap(std::move(files), kOrigin));
    }
    const config::SettingsNode node = test::SettingsMap(std::move(entries), kOrigin);
    const config::Settings settings(&node, "transport.settings", "node transport test");
    Result<std::unique_ptr<transport::Transport>> client = tcp_factory_.Create(settings, host_);
    EXPECT_TRUE(client.has_value()) << client.status().ToString();
    return client.has_value() ? std::move(*client) : nullptr;
  }

  Result<std::string> Call(transport::Transport& client, const std::string& request) {
    ReplyWaiter waiter;
    client.Request(url_, request, host_.clock().NowUnixMs() + kRequestDeadlineMs, waiter);
    return waiter.Wait();
  }

  // Checks that `reply` is this node's pong to request `request_id`.
  void ExpectPong(const std::string& reply, uint64_t request_id) {
    Result<Envelope> pong = cluster::wire::DecodeEnvelope(reply);
    ASSERT_TRUE(pong.has_value()) << pong.status().ToString();
    EXPECT_EQ(pong->type, MessageType::kPong);
    EXPECT_EQ(pong->request_id, request_id);
    EXPECT_EQ(pong->sender, peer_id_);
    Result<cluster::wire::Pong> body = cluster::wire::PongFromPayload(pong->payload);
    ASSERT_TRUE(body.has_value()) << body.status().ToString();
    EXPECT_EQ(body->peer_id, peer_id_);
    EXPECT_EQ(body->protocol_version, 1u);
    EXPECT_EQ(body->node_version, OPTIMYSTIC_TEST_VERSION);
  }

  // Checks that `reply` is an error envelope with `code`.
  void ExpectError(const std::string& reply, StatusCode code) {
    Result<Envelope> error = cluster::wire::DecodeEnvelope(reply);
    ASSERT_TRUE(error.has_value()) << error.status().ToString();
    EXPECT_EQ(error->type, MessageType::kError);
    EXPECT_EQ(error->sender, peer_id_);
    Result<cluster::wire::ErrorReply> body = cluster::wire::ErrorReplyFromPayload(error->payload);
    ASSERT_TRUE(body.has_value()) << body.status().ToString();
    EXPECT_EQ(body->code, code) << body->message;
  }

  std::string Metrics() {
    test::HttpResponse response = test::HttpGet("127.0.0.1", metrics_port_, "/metrics");
    EXPECT_EQ(response.status, 200) << response.error;
    return response.body;
  }

  test::TempDir dir_;
  test::TestHost host_;
  plugins::transport_tcp::TcpTransportFactory tcp_factory_;
  std::unique_ptr<Subprocess> node_;
  std::string url_;
  std::string peer_id_;
  int metrics_port_ = 0;
};

TEST_F(NodeTransportTest, TcpNodeAnswersPingWithPongAndGarbageWithAnErrorEnvelope) {
  StartNode("  plugin: tcp\n  listen: tcp://127.0.0.1:0\n");
  std::unique_ptr<transport::Transport> client = TcpClient(nullptr);
  ASSERT_NE(client, nullptr);
  Result<std::string> pong = Call(*client, Ping(41));
  ASSERT_TRUE(pong.has_value()) << pong.status().ToString() << node_->stderr_text();
  ExpectPong(*pong, 41);
  Result<std::string> error = Call(*client, "hello, node");
  ASSERT_TRUE(error.has_value()) << error.status().ToString();
  ExpectError(*error, StatusCode::kCorruption);
  // The node is still serving after the garbage.
  Result<std::string> again = Call(*client, Ping(42));
  ASSERT_TRUE(again.has_value()) << again.status().ToString();
  ExpectPong(*again, 42);
  EXPECT_TRUE(client->Close().ok());

  const std::string text = Metrics();
  EXPECT_TRUE(std::regex_search(
      text, std::regex("optimystic_transport_messages_received_total\\{transport=\"tcp\"\\} 3")))
      << text;
  EXPECT_TRUE(std::regex_search(
      text, std::regex("optimystic_plugin_info\\{[^}]*name=\"transport.tcp\"[^}]*\\} 1")))
      << text;
  StopNode();
}

TEST_F(NodeTransportTest, TcpTlsNodeAnswersClusterClientsAndRefusesOthers) {
  Result<test::TestCertificateAuthority> cluster =
      test::TestCertificateAuthority::Create(dir_.path(), "cluster");
  Result<test::TestCertificateAuthority> other =
      test::TestCertificateAuthority::Create(dir_.path(), "other");
  ASSERT_TRUE(cluster.has_value() && other.has_value());
  Result<test::CertFiles> node_files = cluster->Issue("node");
  Result<test::CertFiles> client_files = cluster->Issue("client");
  Result<test::CertFiles> stranger_files = other->Issue("stranger");
  ASSERT_TRUE(node_files.has_value() && client_files.has_value() && stranger_files.has_value());
  StartNode("  plugin: tcp\n  listen: tcp://127.0.0.1:0\n  settings:\n    tls:\n" +
            ("      ca_file: " + node_files->ca_file + "\n") +
            ("      cert_file: " + node_files->cert_file + "\n") +
            ("      key_file: " + node_files->key_file + "\n"));

  std::unique_ptr<transport::Transport> member = TcpClient(&*client_files);
  ASSERT_NE(member, nullptr);
  Result<std::string> pong = Call(*member, Ping(7));
  ASSERT_TRUE(pong.has_value()) << pong.status().ToString() << node_->stderr_text();
  ExpectPong(*pong, 7);

  std::unique_ptr<transport::Transport> stranger = TcpClient(&*stranger_files);
  ASSERT_NE(stranger, nullptr);
  Result<std::string> refused = Call(*stranger, Ping(8));
  ASSERT_FALSE(refused.has_value()) << "a certificate of another CA was accepted";
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();

  std::unique_ptr<transport::Transport> plain = TcpClient(nullptr);
  ASSERT_NE(plain, nullptr);
  Result<std::string> no_tls = Call(*plain, Ping(9));
  EXPECT_FALSE(no_tls.has_value()) << "a client without TLS was answered";

  // The member is still served after the refusals.
  Result<std::string> again = Call(*member, Ping(10));
  ASSERT_TRUE(again.has_value()) << again.status().ToString();
  ExpectPong(*again, 10);
  for (auto* client : {member.get(), stranger.get(), plain.get()}) {
    EXPECT_TRUE(client->Close().ok());
  }
  EXPECT_TRUE(std::regex_search(
      Metrics(),
      std::regex("optimystic_transport_errors_total\\{[^}]*kind=\"tls\"[^}]*\\} [1-9]")));
  StopNode();
}

// The shipped examples are valid as they stand (apart from where their files live).
TEST_F(NodeTransportTest, ShippedTlsExampleValidatesWithItsCertificatesAndNamesAMissingOne) {
  const std::string example = OPTIMYSTIC_SOURCE_DIR "/config/examples/tcp-tls.yaml";
  Result<test::TestCertificateAuthority> cluster =
      test::TestCertificateAuthority::Create(dir_.path(), "cluster");
  ASSERT_TRUE(cluster.has_value());
  Result<test::CertFiles> files = cluster->Issue("node");
  ASSERT_TRUE(files.has_value());
  test::RunResult missing = test::RunToExit({OPTIMYSTIC_NODE_BINARY, "--validate-config", example});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("transport.settings.tls.ca_file: cannot read "
                             "'/etc/optimystic/tls/ca.pem'"),
            std::string::npos)
      << missing.err;
  test::RunResult valid =
      test::RunToExit({OPTIMYSTIC_NODE_BINARY, "--validate-config", example, "--set",
                       "transport.settings.tls.ca_file=" + files->ca_file, "--set",
                       "transport.settings.tls.cert_file=" + files->cert_file, "--set",
                       "transport.settings.tls.key_file=" + files->key_file});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
}

}  // namespace
}  // namespace optimystic
