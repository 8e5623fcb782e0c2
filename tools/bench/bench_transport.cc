// SPDX-License-Identifier: Apache-2.0
#include "bench_transport.h"

#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>
#include <optimystic/metrics/metrics.h>
#include <optimystic/transport/transport.h>

#include "base/system_clock.h"
#include "bench_engines.h"
#include "support/test_certs.h"
#include "transport/tcp/frame_format.h"
#include "transport/tcp/tcp_transport_factory.h"
#include "transport/tcp/tls_context.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace optimystic::bench {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr size_t kWindow = 8;            // messages in flight in the pipelined benchmarks
constexpr int64_t kDeadlineMs = 30'000;  // never reached on loopback
constexpr size_t kPayloads[] = {1024, 64 * 1024};

enum class Security : uint8_t { kPlain, kTls };

const char* SecurityName(Security security) { return security == Security::kTls ? "tls" : "plain"; }

// ---- A host that keeps nothing --------------------------------------------------------------

class NullCounter final : public metrics::Counter {
 public:
  void Increment(double) noexcept override {}
  double Value() const noexcept override { return 0; }
};
class NullGauge final : public metrics::Gauge {
 public:
  void Set(double) noexcept override {}
  void Increment(double) noexcept override {}
  void Decrement(double) noexcept override {}
  double Value() const noexcept override { return 0; }
};
class NullHistogram final : public metrics::Histogram {
 public:
  void Observe(double) noexcept override {}
};
class NullMetrics final : public metrics::MetricsRegistry {
 public:
  Result<metrics::Counter*> AddCounter(std::string_view, std::string_view,
                                       const metrics::Labels&) noexcept override {
    return &counter_;
  }
  Result<metrics::Gauge*> AddGauge(std::string_view, std::string_view,
                                   const metrics::Labels&) noexcept override {
    return &gauge_;
  }
  Result<metrics::Histogram*> AddHistogram(std::string_view, std::string_view,
                                           const metrics::Labels&,
                                           const std::vector<double>&) noexcept override {
    return &histogram_;
  }

 private:
  NullCounter counter_;
  NullGauge gauge_;
  NullHistogram histogram_;
};

class BenchHost final : public host::HostServices {
 public:
  logging::Logger& logger() noexcept override { return logger_; }
  metrics::MetricsRegistry& metrics() noexcept override { return metrics_; }
  const time::Clock& clock() noexcept override { return clock_; }
  std::string_view data_dir() const noexcept override { return "/nonexistent"; }
  std::string_view peer_id() const noexcept override { return "bench"; }

 private:
  NullLogger logger_;
  NullMetrics metrics_;
  base::SystemClock clock_;
};

// ---- Certificates ---------------------------------------------------------------------------

struct BenchPki {
  std::unique_ptr<TempDir> dir;
  test::CertFiles server;
  test::CertFiles client;
  Status status;
};

const BenchPki& Pki() {
  static const BenchPki pki = [] {
    BenchPki made;
    Result<std::unique_ptr<TempDir>> dir = TempDir::Make();
    if (!dir) {
      made.status = dir.error();
      return made;
    }
    made.dir = std::move(dir).value();
    Result<test::TestCertificateAuthority> ca =
        test::TestCertificateAuthority::Create(made.dir->path(), "bench");
    Result<test::CertFiles> server = ca ? ca->Issue("server") : ca.status();
    Result<test::CertFiles> client = ca ? ca->Issue("client") : ca.status();
    if (!server || !client) {
      made.status = !server ? server.status() : client.status();
      return made;
    }
    made.server = *server;
    made.client = *client;
    return made;
  }();
  return pki;
}

// ---- The tcp plugin -------------------------------------------------------------------------

config::SettingsNode Scalar(std::string text) {
  config::SettingsNode node;
  node.kind = config::SettingsNode::Kind::kScalar;
  node.scalar = std::move(text);
  return node;
}

config::SettingsNode TcpSettings(const test::CertFiles* tls) {
  config::SettingsNode root;
  root.kind = config::SettingsNode::Kind::kMap;
  root.children.emplace_back("threads", Scalar("2"));
  if (tls != nullptr) {
    config::SettingsNode block;
    block.kind = config::SettingsNode::Kind::kMap;
    block.children.emplace_back("ca_file", Scalar(tls->ca_file));
    block.children.emplace_back("cert_file", Scalar(tls->cert_file));
    block.children.emplace_back("key_file", Scalar(tls->key_file));
    root.children.emplace_back("tls", std::move(block));
  }
  return root;
}

Result<std::unique_ptr<transport::Transport>> NewTcpTransport(Security security,
                                                              const test::CertFiles& certs,
                                                              host::HostServices& host) {
  static plugins::transport_tcp::TcpTransportFactory factory;
  const config::SettingsNode node = TcpSettings(security == Security::kTls ? &certs : nullptr);
  return factory.Create(config::Settings(&node, "transport.settings", "bench"), host);
}

class EchoHandler final : public transport::RequestHandler {
 public:
  void OnRequest(std::string_view request, transport::Responder& responder) noexcept override {
    responder.Reply(request);
  }
};

// Counts replies of requests sent with it, and lets the sender wait for room in the window.
class WindowCallback final : public transport::ReplyCallback {
 public:
  void OnReply(Result<std::string> reply) noexcept override {
    {
      std::lock_guard lock(mu_);
      --in_flight_;
      if (!reply && error_.ok()) {
        error_ = reply.error();
      }
    }
    cv_.notify_all();
  }
  // Waits until fewer than `limit` requests are in flight, then counts one more.
  void Acquire(size_t limit) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < limit; });
    ++in_flight_;
  }
  void WaitIdle() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }
  Status error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t in_flight_ = 0;
  Status error_;
};

void SetLatencyCounters(benchmark::State& state, std::vector<double>& latencies_us) {
  if (latencies_us.empty()) {
    return;
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  const auto at = [&](double q) {
    return latencies_us[std::min(
        latencies_us.size() - 1,
        static_cast<size_t>(q * static_cast<double>(latencies_us.size())))];
  };
  state.counters["p50_us"] = at(0.50);
  state.counters["p99_us"] = at(0.99);
}

void SetRateCounters(benchmark::State& state, size_t payload_bytes) {
  const double messages = static_cast<double>(state.iterations());
  state.counters["msgs_per_s"] = benchmark::Counter(messages, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(2 * payload_bytes) * state.iterations());
}

// One iteration: one message through the tcp plugin (echoed back). `window` 1 measures the
// round trip; more keeps that many in flight.
void BM_Transport(benchmark::State& state, Security security, size_t payload_bytes, size_t window) {
  if (!Pki().status.ok()) {
    return state.SkipWithError(Pki().status.ToString().c_str());
  }
  BenchHost host;
  EchoHandler echo;
  WindowCallback callback;  // outlives the transports
  auto server = NewTcpTransport(security, Pki().server, host);
  auto client = NewTcpTransport(security, Pki().client, host);
  if (!server || !client) {
    return state.SkipWithError((!server ? server.status() : client.status()).ToString().c_str());
  }
  Result<std::string> url = (*server)->Listen("tcp://127.0.0.1:0", echo);
  if (!url) {
    return state.SkipWithError(url.status().ToString().c_str());
  }
  const std::string payload(payload_bytes, 'p');
  callback.Acquire(1);  // warm-up: connect and handshake outside the timed loop
  (*client)->Request(*url, payload, host.clock().NowUnixMs() + kDeadlineMs, callback);
  callback.WaitIdle();
  std::vector<double> latencies_us;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    callback.Acquire(window);
    (*client)->Request(*url, payload, host.clock().NowUnixMs() + kDeadlineMs, callback);
    if (window == 1) {
      callback.WaitIdle();
      latencies_us.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
  }
  callback.WaitIdle();
  if (Status error = callback.error(); !error.ok()) {
    state.SkipWithError(error.ToString().c_str());
  }
  SetLatencyCounters(state, latencies_us);
  SetRateCounters(state, payload_bytes);
  (void)(*client)->Close();
  (void)(*server)->Close();
}

// ---- The raw Asio baseline ------------------------------------------------------------------

using plugins::transport_tcp::FrameHeaderBytes;

// Reads one frame (header and payload) from `stream` into `header`/`payload`.
template <class Stream>
bool ReadFrame(Stream& stream, FrameHeaderBytes& header, std::string& payload) {
  error_code ec;
  asio::read(stream, asio::buffer(header), ec);
  if (ec) {
    return false;
  }
  Result<plugins::transport_tcp::FrameHeader> decoded =
      plugins::transport_tcp::DecodeFrameHeader(header);
  if (!decoded) {
    return false;
  }
  payload.resize(decoded->length);
  asio::read(stream, asio::buffer(payload), ec);
  return !ec;
}

template <class Stream>
void EchoFrames(Stream& stream) {
  FrameHeaderBytes header{};
  std::string payload;
  while (ReadFrame(stream, header, payload)) {
    error_code ec;
    const std::vector<asio::const_buffer> frame = {asio::buffer(header), asio::buffer(payload)};
    asio::write(stream, frame, ec);
    if (ec) {
      return;
    }
  }
}

// Echoes the frames of one connection on its own thread, with blocking sockets.
class RawEchoServer final {
 public:
  Status Start(asio::ssl::context* tls) {
    error_code ec;
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    if (acceptor_.open(endpoint.protocol(), ec); !ec) {
      acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor_.listen(1, ec);
    }
    if (ec) {
      return Status::IOError("raw echo listen: " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    thread_ = std::thread([this, tls] { Serve(tls); });
    return Status::Ok();
  }
  ~RawEchoServer() {
    if (thread_.joinable()) {
      thread_.join();  // the client closes its end first, which ends Serve
    }
  }
  uint16_t port() const { return port_; }

 private:
  void Serve(asio::ssl::context* tls) {
    asio::ip::tcp::socket socket(io_);
    error_code ec;
    acceptor_.accept(socket, ec);
    if (ec) {
      return;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    if (tls == nullptr) {
      EchoFrames(socket);
      return;
    }
    asio::ssl::stream<asio::ip::tcp::socket&> stream(socket, *tls);
    if (stream.handshake(asio::ssl::stream_base::server, ec); !ec) {
      EchoFrames(stream);
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  uint16_t port_ = 0;
  std::thread thread_;
};

// One iteration: one message echoed by the raw server; with `window` > 1 the client writes
// `window` frames and then reads their replies, one batch every `window` iterations.
template <class Stream>
void RunRawClient(benchmark::State& state, Stream& stream, size_t payload_bytes, size_t window) {
  const std::string frame = plugins::transport_tcp::EncodeFrame(
      plugins::transport_tcp::FrameKind::kRequest, 1, std::string(payload_bytes, 'p'));
  FrameHeaderBytes header{};
  std::string reply;
  std::vector<double> latencies_us;
  size_t unanswered = 0;
  error_code ec;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    asio::write(stream, asio::buffer(frame), ec);
    ++unanswered;
    if (!ec && unanswered == window) {
      for (; unanswered > 0; --unanswered) {
        if (!ReadFrame(stream, header, reply)) {
          return state.SkipWithError("raw echo: read failed");
        }
      }
    }
    if (ec) {
      return state.SkipWithError(("raw echo: " + ec.message()).c_str());
    }
    if (window == 1) {
      latencies_us.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
  }
  for (; unanswered > 0; --unanswered) {
    ReadFrame(stream, header, reply);
  }
  SetLatencyCounters(state, latencies_us);
  SetRateCounters(state, payload_bytes);
}

void BM_RawAsio(benchmark::State& state, Security security, size_t payload_bytes, size_t window) {
  if (!Pki().status.ok()) {
    return state.SkipWithError(Pki().status.ToString().c_str());
  }
  std::unique_ptr<asio::ssl::context> server_tls;
  std::unique_ptr<asio::ssl::context> client_tls;
  if (security == Security::kTls) {  // the plugin's own TLS setup, on both sides
    auto server_context = plugins::transport_tcp::NewTlsContext(
        {Pki().server.ca_file, Pki().server.cert_file, Pki().server.key_file});
    auto client_context = plugins::transport_tcp::NewTlsContext(
        {Pki().client.ca_file, Pki().client.cert_file, Pki().client.key_file});
    if (!server_context || !client_context) {
      return state.SkipWithError("raw echo: tls context");
    }
    server_tls = std::move(server_context).value();
    client_tls = std::move(client_context).value();
  }
  RawEchoServer server;
  if (Status s = server.Start(server_tls.get()); !s.ok()) {
    return state.SkipWithError(s.ToString().c_str());
  }
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), server.port()}, ec);
  if (ec) {
    return state.SkipWithError(("raw echo connect: " + ec.message()).c_str());
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  if (client_tls == nullptr) {
    RunRawClient(state, socket, payload_bytes, window);
  } else {
    asio::ssl::stream<asio::ip::tcp::socket&> stream(socket, *client_tls);
    if (stream.handshake(asio::ssl::stream_base::client, ec); ec) {
      return state.SkipWithError(("raw echo handshake: " + ec.message()).c_str());
    }
    RunRawClient(state, stream, payload_bytes, window);
  }
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

std::string Name(const char* kind, Security security, size_t payload_bytes, size_t window) {
  return std::string(kind) + "/" + SecurityName(security) + "/" +
         std::to_string(payload_bytes / 1024) + "KiB/" +
         (window == 1 ? "rtt" : "window" + std::to_string(window));
}

}  // namespace

std::vector<benchmark::internal::Benchmark*> RegisterTransportBenchmarks() {
  std::vector<benchmark::internal::Benchmark*> all;
  for (Security security : {Security::kPlain, Security::kTls}) {
    for (size_t bytes : kPayloads) {
      for (size_t window : {size_t{1}, kWindow}) {
        all.push_back(
            benchmark::RegisterBenchmark(Name("BM_TransportTcp", security, bytes, window).c_str(),
                                         BM_Transport, security, bytes, window));
        all.push_back(
            benchmark::RegisterBenchmark(Name("BM_RawAsioEcho", security, bytes, window).c_str(),
                                         BM_RawAsio, security, bytes, window));
      }
    }
  }
  for (benchmark::internal::Benchmark* b : all) {
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
  return all;
}

std::vector<RatioRow> TransportRatios() {
  std::vector<RatioRow> rows;
  for (Security security : {Security::kPlain, Security::kTls}) {
    for (size_t bytes : kPayloads) {
      for (size_t window : {size_t{1}, kWindow}) {
        const std::string tail = Name("", security, bytes, window).substr(1);
        rows.push_back({"tcp " + tail, Name("BM_TransportTcp", security, bytes, window),
                        Name("BM_RawAsioEcho", security, bytes, window), "raw asio"});
      }
    }
  }
  return rows;
}

}  // namespace optimystic::bench
