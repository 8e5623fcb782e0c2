// SPDX-License-Identifier: Apache-2.0
// tls+tcp:// with throwaway certificates made at test time (support/test_certs.h): mutual
// authentication both ways, and every way a peer can fail it.
#include "transport/nng/nng_transport.h"

#include <optimystic/transport/transport.h>

#include "runtime/config/yaml_document.h"
#include "support/temp_dir.h"
#include "support/test_certs.h"
#include "support/test_host.h"
#include "transport/nng/nng_options.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>

namespace optimystic::plugins::transport_nng {
namespace {

using namespace std::chrono_literals;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

class Waiter final : public transport::ReplyCallback {
 public:
  void OnReply(Result<std::string> reply) noexcept override {
    promise_.set_value(std::move(reply));
  }
  Result<std::string> Get() {
    std::future<Result<std::string>> future = promise_.get_future();
    if (future.wait_for(60s) != std::future_status::ready) {
      ADD_FAILURE() << "no reply";
      std::abort();  // the transport still owns this callback
    }
    return future.get();
  }

 private:
  std::promise<Result<std::string>> promise_;
};

class CountingEcho final : public transport::RequestHandler {
 public:
  void OnRequest(std::string_view request, transport::Responder& responder) noexcept override {
    ++requests;
    responder.Reply(request);
  }
  std::atomic<int> requests{0};
};

class NngTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<test::TestCertificateAuthority> cluster =
        test::TestCertificateAuthority::Create(dir_.path(), "cluster");
    ASSERT_TRUE(cluster.has_value()) << cluster.status().ToString();
    Result<test::TestCertificateAuthority> other =
        test::TestCertificateAuthority::Create(dir_.path(), "other");
    ASSERT_TRUE(other.has_value()) << other.status().ToString();
    cluster_.emplace(std::move(*cluster));
    other_.emplace(std::move(*other));
    server_files_ = cluster_->Issue("server").value();
    client_files_ = cluster_->Issue("client").value();
  }

  // A transport with the `tls` settings written as YAML lines below `tls:`.
  std::unique_ptr<NngTransport> Make(const std::string& tls_lines) {
    Result<config::SettingsNode> root =
        runtime::config::ParseYamlDocument("tls:\n" + tls_lines, "node.yaml");
    EXPECT_TRUE(root.has_value()) << root.status().ToString();
    Result<NngOptions> options =
        ParseNngOptions(config::Settings(&*root, "transport.settings", "node.yaml"));
    EXPECT_TRUE(options.has_value()) << options.status().ToString();
    auto transport = NngTransport::Create(std::move(*options), host_);
    EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
    return std::move(*transport);
  }
  static std::string Lines(const test::CertFiles& files, const std::string& ca_file = "") {
    return "  ca_file: " + (ca_file.empty() ? files.ca_file : ca_file) +
           "\n  cert_file: " + files.cert_file + "\n  key_file: " + files.key_file + "\n";
  }
  // Starts the server with the cluster's certificate; returns its URL.
  std::string Serve() {
    server_ = Make(Lines(server_files_));
    Result<std::string> bound = server_->Listen("tls+tcp://127.0.0.1:0", echo_);
    EXPECT_TRUE(bound.has_value()) << bound.status().ToString();
    return bound.value();
  }
  Result<std::string> Call(NngTransport& client, const std::string& url, int64_t deadline_ms) {
    Waiter waiter;
    client.Request(url, "over tls", host_.clock().NowUnixMs() + deadline_ms, waiter);
    return waiter.Get();
  }
  // A client the handshake must refuse: the request never reaches the handler.
  void ExpectRefused(const std::string& client_tls_lines) {
    const std::string url = Serve();
    auto client = Make(client_tls_lines);
    Result<std::string> reply = Call(*client, url, 500);
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable) << reply.error().ToString();
    EXPECT_TRUE(Contains(reply.error().message(), "no connection before the deadline"))
        << reply.error().ToString();
    EXPECT_EQ(echo_.requests.load(), 0);
  }

  test::TempDir dir_{"optimystic-nng-tls"};
  std::optional<test::TestCertificateAuthority> cluster_;
  std::optional<test::TestCertificateAuthority> other_;
  test::CertFiles server_files_;
  test::CertFiles client_files_;
  test::TestHost host_;
  CountingEcho echo_;
  std::unique_ptr<NngTransport> server_;
};

TEST_F(NngTlsTest, MutuallyAuthenticatedEcho) {
  const std::string url = Serve();
  EXPECT_EQ(url.rfind("tls+tcp://127.0.0.1:", 0), 0u) << url;
  auto client = Make(Lines(client_files_));
  Result<std::string> reply = Call(*client, url, 30'000);
  ASSERT_TRUE(reply.has_value()) << reply.status().ToString();
  EXPECT_EQ(*reply, "over tls");
  EXPECT_EQ(echo_.requests.load(), 1);
}

TEST_F(NngTlsTest, ServerNameIsCheckedWhenSet) {
  const std::string url = Serve();
  auto client = Make(Lines(client_files_) + "  server_name: localhost\n");
  EXPECT_EQ(Call(*client, url, 30'000).value(), "over tls");
  auto wrong = Make(Lines(client_files_) + "  server_name: elsewhere.example\n");
  Result<std::string> reply = Call(*wrong, url, 500);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable) << reply.error().ToString();
  EXPECT_EQ(echo_.requests.load(), 1);
}

TEST_F(NngTlsTest, ClientWithACertificateFromAnotherCaIsRefused) {
  test::CertFiles stranger = other_->Issue("stranger").value();
  // It trusts the cluster CA, so only the server's check of its certificate can refuse it.
  ExpectRefused(Lines(stranger, cluster_->ca_file()));
}

TEST_F(NngTlsTest, ClientWithoutACertificateIsRefused) {
  ExpectRefused("  ca_file: " + cluster_->ca_file() + "\n");
}

TEST_F(NngTlsTest, ClientRefusesAServerFromAnotherCa) {
  ExpectRefused(Lines(client_files_, other_->ca_file()));
}

TEST_F(NngTlsTest, PlainClientOnATlsPortIsDroppedAndTheServerKeepsServing) {
  const std::string url = Serve();
  const std::string plain_url = "tcp://" + url.substr(std::string("tls+tcp://").size());
  NngOptions plain_options;
  auto plain = NngTransport::Create(std::move(plain_options), host_).value();
  Result<std::string> reply = Call(*plain, plain_url, 500);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable) << reply.error().ToString();
  auto client = Make(Lines(client_files_));
  EXPECT_EQ(Call(*client, url, 30'000).value(), "over tls");
}

TEST_F(NngTlsTest, ListeningNeedsACertificate) {
  auto client_only = Make("  ca_file: " + cluster_->ca_file() + "\n");
  Result<std::string> bound = client_only->Listen("tls+tcp://127.0.0.1:0", echo_);
  ASSERT_FALSE(bound.has_value());
  EXPECT_EQ(bound.error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(bound.error().message(), "ca_file, cert_file and key_file"))
      << bound.error().ToString();
}

TEST_F(NngTlsTest, AKeyThatDoesNotMatchItsCertificateIsASettingsError) {
  test::CertFiles other_leaf = cluster_->Issue("other-leaf").value();
  Result<config::SettingsNode> root = runtime::config::ParseYamlDocument(
      "tls:\n  ca_file: " + server_files_.ca_file + "\n  cert_file: " + server_files_.cert_file +
          "\n  key_file: " + other_leaf.key_file + "\n",
      "node.yaml");
  ASSERT_TRUE(root.has_value());
  Result<NngOptions> options =
      ParseNngOptions(config::Settings(&*root, "transport.settings", "node.yaml"));
  ASSERT_FALSE(options.has_value());
  EXPECT_EQ(options.error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(options.error().message(),
                       "node.yaml:4:13: transport.settings.tls.key_file: '" + other_leaf.key_file +
                           "' is not the private key of certificate '" + server_files_.cert_file +
                           "'"))
      << options.error().ToString();
}

}  // namespace
}  // namespace optimystic::plugins::transport_nng
