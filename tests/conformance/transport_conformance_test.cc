// SPDX-License-Identifier: Apache-2.0
#include <optimystic/config/settings.h>
#include <optimystic/transport/transport.h>

#include "support/raw_socket.h"
#include "support/settings_nodes.h"
#include "support/temp_dir.h"
#include "support/test_certs.h"
#include "support/test_host.h"
#include "transport/tcp/tcp_transport_factory.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::transport {
namespace {

// The Transport contract, run against every transport plugin, plain and TLS. A case says how
// to get the plugin's factory, how to write its settings (plain, or TLS with the given PEM
// files) and where to listen; everything else is the same for every plugin, so a new plugin is
// a new entry in AllCases() (TLS entries also run TransportTlsConformance) and its static
// library in this folder's CMakeLists.txt. Transports are built through the plugin's
// TransportFactory, as the node builds them; both ends of a test share one TestHost, so its
// metrics are the sum of client and server.

constexpr uint32_t kMaxMessageBytes = 64 * 1024;
constexpr const char* kOrigin = "conformance test";  // where test settings come from
constexpr int64_t kDeadlineMs = 20'000;              // for requests that must succeed
// Waits that end a test which would otherwise hang; never reached when the transport works.
constexpr auto kHangGuard = std::chrono::seconds(60);
constexpr int kRawSocketHangGuardSeconds = 30;

// What a case turns into its plugin's settings.
struct CaseSettings {
  uint32_t max_message_bytes = kMaxMessageBytes;
  const test::CertFiles* tls = nullptr;  // null: plain
};

struct TransportCase {
  const char* name;          // test name suffix
  const char* metrics_name;  // the transport="..." label of its TransportMetrics
  bool tls;
  TransportFactory& (*factory)();
  config::SettingsNode (*settings)(const CaseSettings&);
  const char* listen_url;  // on 127.0.0.1, port 0
};

void PrintTo(const TransportCase& c, std::ostream* os) { *os << c.name; }

// ---- The cases -----------------------------------------------------------------------------

TransportFactory& TcpFactory() {
  static plugins::transport_tcp::TcpTransportFactory factory;
  return factory;
}

config::SettingsNode TcpSettings(const CaseSettings& s) {
  std::vector<config::SettingsEntry> entries;
  entries.emplace_back("threads", test::SettingsScalar("2", kOrigin));
  entries.emplace_back("max_message_bytes",
                       test::SettingsScalar(std::to_string(s.max_message_bytes), kOrigin));
  entries.emplace_back("connect_timeout_ms", test::SettingsScalar("5000", kOrigin));
  if (s.tls != nullptr) {
    std::vector<config::SettingsEntry> tls;
    tls.emplace_back("ca_file", test::SettingsScalar(s.tls->ca_file, kOrigin));
    tls.emplace_back("cert_file", test::SettingsScalar(s.tls->cert_file, kOrigin));
    tls.emplace_back("key_file", test::SettingsScalar(s.tls->key_file, kOrigin));
    entries.emplace_back("tls", test::SettingsMap(std::move(tls), kOrigin));
  }
  return test::SettingsMap(std::move(entries), kOrigin);
}

const std::vector<TransportCase>& AllCases() {
  static const std::vector<TransportCase> cases = {
      {"tcp_plain", "tcp", false, &TcpFactory, &TcpSettings, "tcp://127.0.0.1:0"},
      {"tcp_tls", "tcp", true, &TcpFactory, &TcpSettings, "tcp://127.0.0.1:0"},
  };
  return cases;
}

std::vector<TransportCase> TlsCases() {
  std::vector<TransportCase> tls;
  std::copy_if(AllCases().begin(), AllCases().end(), std::back_inserter(tls),
               [](const TransportCase& c) { return c.tls; });
  return tls;
}

// ---- Certificates, made once per process ---------------------------------------------------

struct Pki {
  Pki() {
    Result<test::TestCertificateAuthority> cluster =
        test::TestCertificateAuthority::Create(dir.path(), "cluster");
    Result<test::TestCertificateAuthority> other =
        test::TestCertificateAuthority::Create(dir.path(), "other");
    if (!cluster || !other) {
      status = !cluster ? cluster.status() : other.status();
      return;
    }
    Result<test::CertFiles> s = cluster->Issue("server");
    Result<test::CertFiles> c = cluster->Issue("client");
    Result<test::CertFiles> o = other->Issue("client");
    if (!s || !c || !o) {
      status = !s ? s.status() : !c ? c.status() : o.status();
      return;
    }
    server = *s;
    client = *c;
    // Trusts the cluster CA but presents a certificate of another CA.
    foreign = *o;
    foreign.ca_file = cluster->ca_file();
  }
  test::TempDir dir{"optimystic-transport-certs"};
  Status status;
  test::CertFiles server;
  test::CertFiles client;
  test::CertFiles foreign;
};

const Pki& TestPki() {
  static const Pki pki;
  return pki;
}

// ---- Handlers and callbacks ----------------------------------------------------------------

std::string Text(const Result<std::string>& reply) {
  return reply.has_value() ? *reply : "<error " + reply.error().ToString() + ">";
}

class ReplyWaiter final : public ReplyCallback {
 public:
  void OnReply(Result<std::string> reply) noexcept override {
    {
      std::lock_guard lock(mu_);
      if (!reply_.has_value()) {
        reply_.emplace(std::move(reply));
      }
      ++calls_;
    }
    cv_.notify_all();
  }
  // The reply; Internal("no reply") if the transport never calls back (a hang).
  Result<std::string> Wait() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, kHangGuard, [&] { return calls_ > 0; })) {
      return Status::Internal("no reply: the transport hung");
    }
    return *reply_;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Result<std::string>> reply_;
  int calls_ = 0;
};

// Echoes each request, except that a request starting with "hold" is kept unanswered (see
// TakeHeld) and "size:N" is answered with N bytes.
class TestHandler final : public RequestHandler {
 public:
  void OnRequest(std::string_view request, Responder& responder) noexcept override {
    ++requests_;
    if (request.substr(0, 4) == "hold") {
      {
        std::lock_guard lock(mu_);
        held_.push_back(&responder);
      }
      cv_.notify_all();
    } else if (request.substr(0, 5) == "size:") {
      responder.Reply(std::string(std::stoul(std::string(request.substr(5))), 'r'));
    } else {
      responder.Reply(request);
    }
  }
  // Waits until `n` requests are held; false if they never come.
  bool WaitHeld(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kHangGuard, [&] { return held_.size() >= n; });
  }
  std::vector<Responder*> TakeHeld() {
    std::lock_guard lock(mu_);
    return std::exchange(held_, {});
  }
  int requests() const { return requests_.load(); }

 private:
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Responder*> held_;
};

// Holds the first `batch` requests and then answers them in reverse order, so that replies
// arrive in another order than the requests went out.
class ReversingHandler final : public RequestHandler {
 public:
  explicit ReversingHandler(size_t batch) : batch_(batch) {}
  void OnRequest(std::string_view request, Responder& responder) noexcept override {
    std::vector<std::pair<std::string, Responder*>> ready;
    {
      std::lock_guard lock(mu_);
      held_.emplace_back(std::string(request), &responder);
      if (held_.size() == batch_) {
        ready = std::exchange(held_, {});
      }
    }
    for (auto it = ready.rbegin(); it != ready.rend(); ++it) {
      it->second->Reply("reply:" + it->first);
    }
  }

 private:
  const size_t batch_;
  std::mutex mu_;
  std::vector<std::pair<std::string, Responder*>> held_;
};

// ---- Raw sockets, for bytes no transport would send -----------------------------------------

uint16_t PortOf(const std::string& url) {
  return static_cast<uint16_t>(std::stoul(url.substr(url.rfind(':') + 1)));
}

// True when the peer closes or resets the connection; false if it keeps it open.
bool ReadsUntilClosed(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      continue;  // e.g. a TLS alert before the close
    }
    if (n == 0) {
      return true;
    }
    if (errno == EINTR) {
      continue;
    }
    return errno != EAGAIN && errno != EWOULDBLOCK;  // those mean the hang guard ran out
  }
}

// ---- The suite -----------------------------------------------------------------------------

class TransportConformance : public ::testing::TestWithParam<TransportCase> {
 protected:
  void SetUp() override {
    if (GetParam().tls) {
      ASSERT_TRUE(TestPki().status.ok()) << TestPki().status.ToString();
    }
  }

  // A transport with the case's settings; `tls` is used only by TLS cases.
  Transport* Make(const test::CertFiles* tls, uint32_t max_message_bytes = kMaxMessageBytes) {
    CaseSettings case_settings;
    case_settings.max_message_bytes = max_message_bytes;
    case_settings.tls = GetParam().tls ? tls : nullptr;
    const config::SettingsNode node = GetParam().settings(case_settings);
    const config::Settings settings(&node, "transport.settings", "conformance.yaml");
    Result<std::unique_ptr<Transport>> transport = GetParam().factory().Create(settings, host_);
    EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
    if (!transport) {
      return nullptr;
    }
    transports_.push_back(std::move(transport).value());
    return transports_.back().get();
  }
  Transport* NewServer(uint32_t max_message_bytes = kMaxMessageBytes) {
    return Make(&TestPki().server, max_message_bytes);
  }
  Transport* NewClient(uint32_t max_message_bytes = kMaxMessageBytes) {
    return Make(&TestPki().client, max_message_bytes);
  }

  std::string Listen(Transport* server, RequestHandler& handler, const char* url = nullptr) {
    if (server == nullptr) {
      return "";
    }
    Result<std::string> bound =
        server->Listen(url != nullptr ? url : GetParam().listen_url, handler);
    EXPECT_TRUE(bound.has_value()) << bound.status().ToString();
    return bound.has_value() ? *bound : "";
  }

  ReplyWaiter& Send(Transport* client, const std::string& url, std::string_view payload,
                    int64_t timeout_ms = kDeadlineMs) {
    ReplyWaiter& waiter = waiters_.emplace_back();
    if (client == nullptr) {
      waiter.OnReply(Status::Internal("no client transport"));
      return waiter;
    }
    client->Request(url, payload, host_.clock().NowUnixMs() + timeout_ms, waiter);
    return waiter;
  }
  Result<std::string> Call(Transport* client, const std::string& url, std::string_view payload,
                           int64_t timeout_ms = kDeadlineMs) {
    return Send(client, url, payload, timeout_ms).Wait();
  }

  double Counter(const char* name, const char* kind = nullptr) {
    metrics::Labels labels = {{"transport", GetParam().metrics_name}};
    if (kind != nullptr) {
      labels.emplace_back("kind", kind);
    }
    const test::TestCounter* counter = host_.test_metrics().FindCounter(name, labels);
    return counter == nullptr ? -1 : counter->Value();
  }
  double OpenConnections() {
    const test::TestGauge* gauge = host_.test_metrics().FindGauge(
        "optimystic_transport_connections", {{"transport", GetParam().metrics_name}});
    return gauge == nullptr ? -1 : gauge->Value();
  }
  bool LoggedWarning() { return host_.test_logger().Contains("warn: "); }

  test::TestHost host_;
  TestHandler handler_;
  std::deque<ReplyWaiter> waiters_;                     // outlive the transports
  std::vector<std::unique_ptr<Transport>> transports_;  // destroyed first
};

TEST_P(TransportConformance, EchoRoundTrip) {
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);
  EXPECT_NE(PortOf(url), 0) << url;
  EXPECT_EQ(Text(Call(client, url, "hello")), "hello");
  const std::string binary("\0\1\2\xff\xfe\r\n", 7);
  EXPECT_EQ(Text(Call(client, url, binary)), binary);
  EXPECT_EQ(Text(Call(client, url, "")), "");
  EXPECT_EQ(handler_.requests(), 3);
}

TEST_P(TransportConformance, ThousandConcurrentRequestsAreMatchedToTheirReplies) {
  constexpr int kRequests = 1000;
  ReversingHandler reversing(kRequests);
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, reversing);
  std::vector<ReplyWaiter*> waiters;
  for (int i = 0; i < kRequests; ++i) {
    waiters.push_back(&Send(client, url, "request-" + std::to_string(i)));
  }
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(Text(waiters[i]->Wait()), "reply:request-" + std::to_string(i));
  }
  for (ReplyWaiter* waiter : waiters) {
    EXPECT_EQ(waiter->calls(), 1);
  }
}

TEST_P(TransportConformance, MaxSizeBoundary) {
  Transport* server = NewServer();
  Transport* client = NewClient();
  Transport* big_client = NewClient(4 * kMaxMessageBytes);  // sends what `server` must refuse
  const std::string url = Listen(server, handler_);
  const std::string exact(kMaxMessageBytes, 'x');
  EXPECT_EQ(Text(Call(client, url, exact)), exact);

  const std::string over(kMaxMessageBytes + 1, 'x');
  const int before = handler_.requests();
  Result<std::string> refused = Call(client, url, over);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument) << refused.error().ToString();
  EXPECT_NE(refused.error().message().find("too large"), std::string_view::npos)
      << refused.error().ToString();
  EXPECT_EQ(handler_.requests(), before);  // refused by the client, never sent

  Result<std::string> server_refused = Call(big_client, url, over);
  ASSERT_FALSE(server_refused.has_value());
  EXPECT_EQ(server_refused.error().code(), StatusCode::kInvalidArgument)
      << server_refused.error().ToString();
  EXPECT_NE(server_refused.error().message().find("too large"), std::string_view::npos)
      << server_refused.error().ToString();
  EXPECT_EQ(handler_.requests(), before);  // refused by the server, not handed to the handler

  // A reply over the limit becomes an error for its caller.
  Result<std::string> big_reply = Call(client, url, "size:" + std::to_string(kMaxMessageBytes + 1));
  ASSERT_FALSE(big_reply.has_value());
  EXPECT_EQ(big_reply.error().code(), StatusCode::kInvalidArgument) << big_reply.error().ToString();
  // Both connections still serve.
  EXPECT_EQ(Text(Call(big_client, url, "after")), "after");
  EXPECT_EQ(Text(Call(client, url, "after")), "after");
}

TEST_P(TransportConformance, DeadlineExpiryTimesOutAndDropsTheLateReply) {
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);
  ReplyWaiter& held = Send(client, url, "hold", 300);
  Result<std::string> expired = held.Wait();
  ASSERT_FALSE(expired.has_value());
  EXPECT_EQ(expired.error().code(), StatusCode::kTimedOut) << expired.error().ToString();
  ASSERT_TRUE(handler_.WaitHeld(1));
  for (Responder* responder : handler_.TakeHeld()) {
    responder->Reply("late");
  }
  // Sent after the late reply on the same peer: once it is answered, the late one was seen.
  EXPECT_EQ(Text(Call(client, url, "after")), "after");
  EXPECT_EQ(held.calls(), 1);
}

TEST_P(TransportConformance, PeerRestartMidStream) {
  Transport* first = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(first, handler_);
  EXPECT_EQ(Text(Call(client, url, "one")), "one");
  ReplyWaiter& in_flight = Send(client, url, "hold");
  ASSERT_TRUE(handler_.WaitHeld(1));

  ASSERT_TRUE(first->Close().ok());
  Result<std::string> broken = in_flight.Wait();
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().code(), StatusCode::kUnavailable) << broken.error().ToString();
  for (Responder* responder : handler_.TakeHeld()) {
    responder->Reply("too late");  // its connection is gone: dropped, safely
  }

  Transport* second = NewServer();
  EXPECT_EQ(Listen(second, handler_, url.c_str()), url);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Text(Call(client, url, "again-" + std::to_string(i))), "again-" + std::to_string(i));
  }
  EXPECT_EQ(in_flight.calls(), 1);
}

TEST_P(TransportConformance, PeerRestartBetweenRequests) {
  // Nothing is in flight when the peer goes: the client learns of it only from its idle
  // connection, and the first request after the restart must already succeed.
  Transport* first = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(first, handler_);
  EXPECT_EQ(Text(Call(client, url, "one")), "one");
  ASSERT_TRUE(first->Close().ok());
  Transport* second = NewServer();
  EXPECT_EQ(Listen(second, handler_, url.c_str()), url);
  EXPECT_EQ(Text(Call(client, url, "two")), "two");
}

TEST_P(TransportConformance, ServerCloseWithRequestsInFlightFailsThem) {
  constexpr size_t kInFlight = 10;
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);
  std::vector<ReplyWaiter*> waiters;
  for (size_t i = 0; i < kInFlight; ++i) {
    waiters.push_back(&Send(client, url, "hold"));
  }
  ASSERT_TRUE(handler_.WaitHeld(kInFlight));
  ASSERT_TRUE(server->Close().ok());
  for (ReplyWaiter* waiter : waiters) {
    Result<std::string> reply = waiter->Wait();
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable) << reply.error().ToString();
  }
  // Handlers that answer after Close: their replies are dropped, and nothing breaks.
  for (Responder* responder : handler_.TakeHeld()) {
    responder->Reply("after close");
  }
  for (ReplyWaiter* waiter : waiters) {
    EXPECT_EQ(waiter->calls(), 1);
  }
}

TEST_P(TransportConformance, ClientCloseFailsItsRequestsInFlight) {
  constexpr size_t kInFlight = 5;
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);
  std::vector<ReplyWaiter*> waiters;
  for (size_t i = 0; i < kInFlight; ++i) {
    waiters.push_back(&Send(client, url, "hold"));
  }
  ASSERT_TRUE(handler_.WaitHeld(kInFlight));
  ASSERT_TRUE(client->Close().ok());
  for (ReplyWaiter* waiter : waiters) {
    Result<std::string> reply = waiter->Wait();
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable) << reply.error().ToString();
  }
  Result<std::string> after = Call(client, url, "after close");
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().code(), StatusCode::kUnavailable) << after.error().ToString();
  for (Responder* responder : handler_.TakeHeld()) {
    responder->Reply("to nobody");
  }
}

TEST_P(TransportConformance, GarbageBytesDropThatConnectionAndOthersAreServed) {
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);
  EXPECT_EQ(Text(Call(client, url, "before")), "before");

  const int fd = test::RawConnect(PortOf(url), kRawSocketHangGuardSeconds);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::string junk = "GET / HTTP/1.1\r\nHost: optimystic\r\n\r\n";
  junk.append(64, '\xff');
  ASSERT_EQ(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(junk.size()));
  EXPECT_TRUE(ReadsUntilClosed(fd)) << "the server kept a connection that sent garbage";
  ::close(fd);

  EXPECT_EQ(Text(Call(client, url, "after")), "after");
  EXPECT_TRUE(LoggedWarning());
  EXPECT_EQ(handler_.requests(), 2);
}

TEST_P(TransportConformance, MetricsCountMessagesErrorsAndConnections) {
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);
  EXPECT_EQ(Text(Call(client, url, "hello")), "hello");
  // Both ends publish into the same registry: a request and a reply each way.
  EXPECT_GE(Counter("optimystic_transport_messages_sent_total"), 2);
  EXPECT_GE(Counter("optimystic_transport_messages_received_total"), 2);
  EXPECT_GE(Counter("optimystic_transport_sent_bytes_total"), 10);
  EXPECT_GE(Counter("optimystic_transport_received_bytes_total"), 10);
  EXPECT_GT(OpenConnections(), 0);
  const test::TestHistogram* latency = host_.test_metrics().FindHistogram(
      "optimystic_transport_request_duration_seconds", {{"transport", GetParam().metrics_name}});
  ASSERT_NE(latency, nullptr);
  EXPECT_GE(latency->observations().size(), 1u);

  EXPECT_EQ(Counter("optimystic_transport_errors_total", "timeout"), 0);
  EXPECT_FALSE(Call(client, url, "hold", 100).has_value());
  EXPECT_EQ(Counter("optimystic_transport_errors_total", "timeout"), 1);
  EXPECT_FALSE(Call(client, url, std::string(kMaxMessageBytes + 1, 'x')).has_value());
  EXPECT_GE(Counter("optimystic_transport_errors_total", "too_large"), 1);

  ASSERT_TRUE(handler_.WaitHeld(1));
  for (Responder* responder : handler_.TakeHeld()) {
    responder->Reply("late");
  }
  ASSERT_TRUE(client->Close().ok());
  ASSERT_TRUE(server->Close().ok());
  transports_.clear();
  EXPECT_EQ(OpenConnections(), 0);
}

INSTANTIATE_TEST_SUITE_P(AllTransports, TransportConformance, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<TransportCase>& info) {
                           return std::string(info.param.name);
                         });

// ---- TLS only: mutual authentication -------------------------------------------------------

class TransportTlsConformance : public TransportConformance {};

TEST_P(TransportTlsConformance, ClientWithCertificateFromAnotherCaIsRefused) {
  Transport* server = NewServer();
  Transport* foreign = Make(&TestPki().foreign);
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);
  Result<std::string> refused = Call(foreign, url, "let me in");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kUnavailable) << refused.error().ToString();
  EXPECT_EQ(handler_.requests(), 0);
  EXPECT_EQ(Text(Call(client, url, "member")), "member");
}

TEST_P(TransportTlsConformance, ClientWithoutCertificateIsRefused) {
  Transport* server = NewServer();
  Transport* client = NewClient();
  const std::string url = Listen(server, handler_);

  // A TLS client that trusts the cluster CA but has no certificate of its own.
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(context, nullptr);
  ASSERT_EQ(SSL_CTX_load_verify_locations(context, TestPki().server.ca_file.c_str(), nullptr), 1);
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  const int fd = test::RawConnect(PortOf(url), kRawSocketHangGuardSeconds);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  SSL* ssl = SSL_new(context);
  SSL_set_fd(ssl, fd);
  bool refused = SSL_connect(ssl) != 1;
  if (!refused) {
    // TLS 1.3: the client's handshake ends before the server has checked the client, which
    // then refuses it with an alert. Nothing is written: bytes that are no valid request would
    // get the connection dropped even by a server that took clients without certificates.
    char byte = 0;
    const int n = SSL_read(ssl, &byte, 1);
    refused = n <= 0 && SSL_get_error(ssl, n) != SSL_ERROR_WANT_READ;
  }
  SSL_free(ssl);
  SSL_CTX_free(context);
  ::close(fd);
  EXPECT_TRUE(refused);
  EXPECT_EQ(handler_.requests(), 0);
  EXPECT_EQ(Text(Call(client, url, "member")), "member");
}

TEST_P(TransportTlsConformance, ServerWithCertificateFromAnotherCaIsRefusedByTheClient) {
  Transport* impostor = Make(&TestPki().foreign);
  Transport* client = NewClient();
  const std::string url = Listen(impostor, handler_);
  Result<std::string> refused = Call(client, url, "are you a member?");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kUnavailable) << refused.error().ToString();
  EXPECT_EQ(handler_.requests(), 0);
}

INSTANTIATE_TEST_SUITE_P(TlsTransports, TransportTlsConformance, ::testing::ValuesIn(TlsCases()),
                         [](const ::testing::TestParamInfo<TransportCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace optimystic::transport
