// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_transport.h"

#include <optimystic/transport/transport.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_host.h"
#include "transport/nng/nng_options.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace optimystic::plugins::transport_nng {
namespace {

using namespace std::chrono_literals;
using transport::ReplyCallback;
using transport::RequestHandler;
using transport::Responder;

// Guards against a hang only; no test depends on how fast anything is.
constexpr auto kHangGuard = 60s;
constexpr int64_t kLongDeadlineMs = 30'000;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Receives one reply; Get() waits for it.
class Waiter final : public ReplyCallback {
 public:
  void OnReply(Result<std::string> reply) noexcept override {
    promise_.set_value(std::move(reply));
  }
  Result<std::string> Get() {
    std::future<Result<std::string>> future = promise_.get_future();
    if (future.wait_for(kHangGuard) != std::future_status::ready) {
      ADD_FAILURE() << "no reply";
      std::abort();  // the transport still owns this callback; nothing sensible can follow
    }
    return future.get();
  }

 private:
  std::promise<Result<std::string>> promise_;
};

class EchoHandler final : public RequestHandler {
 public:
  void OnRequest(std::string_view request, Responder& responder) noexcept override {
    if (request == "fail") {
      responder.Fail(Status::NotSupported("echo refuses 'fail'"));
    } else if (request.substr(0, 6) == "repeat") {
      responder.Reply(std::string(std::stoul(std::string(request.substr(6))), 'r'));
    } else {
      responder.Reply(request);
    }
  }
};

// Keeps every responder until the test answers.
class HoldingHandler final : public RequestHandler {
 public:
  void OnRequest(std::string_view request, Responder& responder) noexcept override {
    std::lock_guard lock(mu_);
    held_.push_back({std::string(request), &responder});
    arrived_.notify_all();
  }
  // Waits until `count` requests are held.
  void WaitFor(size_t count) {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(arrived_.wait_for(lock, kHangGuard, [&] { return held_.size() >= count; }));
  }
  std::vector<std::pair<std::string, Responder*>> Take() {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, Responder*>> taken(held_.begin(), held_.end());
    held_.clear();
    return taken;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return held_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable arrived_;
  std::deque<std::pair<std::string, Responder*>> held_;
};

class NngTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<NngTransport> Make(
      uint64_t max_message_bytes = NngOptions::kDefaultMaxMessageBytes,
      uint64_t close_drain_ms = 0) {
    NngOptions options;
    options.max_message_bytes = max_message_bytes;
    options.close_drain_ms = close_drain_ms;
    auto transport = NngTransport::Create(std::move(options), host_);
    EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
    return std::move(*transport);
  }
  int64_t Deadline(int64_t ms = kLongDeadlineMs) { return host_.clock().NowUnixMs() + ms; }
  Result<std::string> Call(NngTransport& t, const std::string& url, std::string_view request,
                           int64_t deadline_ms = kLongDeadlineMs) {
    Waiter waiter;
    t.Request(url, request, Deadline(deadline_ms), waiter);
    return waiter.Get();
  }
  double Counter(const std::string& name, metrics::Labels extra = {}) {
    metrics::Labels labels = {{"transport", "nng"}};
    labels.insert(labels.end(), extra.begin(), extra.end());
    test::TestCounter* c = host_.test_metrics().FindCounter(name, labels);
    return c == nullptr ? -1 : c->Value();
  }
  double Errors(const std::string& kind) {
    return Counter("optimystic_transport_errors_total", {{"kind", kind}});
  }
  // Waits until the log has a line containing `text`; false after the hang guard.
  bool WaitForLog(std::string_view text) {
    const auto give_up = std::chrono::steady_clock::now() + kHangGuard;
    while (!host_.test_logger().Contains(text)) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  }
  double Connections() {
    test::TestGauge* g =
        host_.test_metrics().FindGauge("optimystic_transport_connections", {{"transport", "nng"}});
    return g == nullptr ? -1 : g->Value();
  }

  test::TestHost host_;
  EchoHandler echo_;
};

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

TEST_F(NngTransportTest, EchoOverTcpWithPortZeroResolved) {
  auto t = Make();
  Result<std::string> bound = t->Listen("tcp://127.0.0.1:0", echo_);
  ASSERT_TRUE(bound.has_value()) << bound.status().ToString();
  EXPECT_EQ(bound->rfind("tcp://127.0.0.1:", 0), 0u) << *bound;
  EXPECT_GT(PortOf(*bound), 0);
  EXPECT_TRUE(host_.test_logger().Contains("transport.nng: listening on " + *bound));
  Result<std::string> reply = Call(*t, *bound, "hello");
  ASSERT_TRUE(reply.has_value()) << reply.status().ToString();
  EXPECT_EQ(*reply, "hello");
  const std::string binary("\0\xff\n\0", 4);
  EXPECT_EQ(Call(*t, *bound, binary).value(), binary);
  EXPECT_EQ(Call(*t, *bound, "").value(), "");
  // One transport is both ends here: 3 requests and 3 replies each way.
  EXPECT_EQ(Counter("optimystic_transport_messages_sent_total"), 6);
  EXPECT_EQ(Counter("optimystic_transport_messages_received_total"), 6);
  EXPECT_EQ(Counter("optimystic_transport_sent_bytes_total"), 2 * (5 + 4));
  EXPECT_EQ(Connections(), 2);  // the client's pipe and the server's
  EXPECT_TRUE(t->Close().ok());
  EXPECT_EQ(Connections(), 0);
  EXPECT_TRUE(t->Close().ok());  // idempotent
}

TEST_F(NngTransportTest, EchoOverIpc) {
  test::TempDir dir("optimystic-nng-ipc");
  auto t = Make();
  const std::string url = "ipc://" + dir.Sub("node.sock");
  Result<std::string> bound = t->Listen(url, echo_);
  ASSERT_TRUE(bound.has_value()) << bound.status().ToString();
  EXPECT_EQ(*bound, url);
  EXPECT_EQ(Call(*t, url, "over ipc").value(), "over ipc");
  EXPECT_TRUE(t->Close().ok());
}

TEST_F(NngTransportTest, HandlerFailureReachesTheCallerWithItsCode) {
  auto t = Make();
  std::string url = t->Listen("tcp://127.0.0.1:0", echo_).value();
  Result<std::string> reply = Call(*t, url, "fail");
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kNotSupported);
  EXPECT_EQ(reply.error().message(), "echo refuses 'fail'");
  EXPECT_EQ(Errors("io"), 0);  // a handler's answer is no transport error
}

TEST_F(NngTransportTest, MaxMessageSizeBoundaryBothWays) {
  auto t = Make(/*max_message_bytes=*/1024);
  std::string url = t->Listen("tcp://127.0.0.1:0", echo_).value();
  const std::string at_limit(1024, 'a');
  EXPECT_EQ(Call(*t, url, at_limit).value(), at_limit);
  Result<std::string> over = Call(*t, url, std::string(1025, 'a'));
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      Contains(over.error().message(), "of 1025 bytes is too large (max_message_bytes 1024)"))
      << over.error().ToString();
  EXPECT_EQ(Call(*t, url, "repeat1024").value(), std::string(1024, 'r'));
  Result<std::string> big_reply = Call(*t, url, "repeat1025");
  ASSERT_FALSE(big_reply.has_value());
  EXPECT_EQ(big_reply.error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(big_reply.error().message(),
                       "reply of 1025 bytes is too large (max_message_bytes 1024)"))
      << big_reply.error().ToString();
  EXPECT_EQ(Errors("too_large"), 2);  // the request refused here, the reply refused there
}

TEST_F(NngTransportTest, DeadlineExpiryIsTimedOutAndALateReplyIsDropped) {
  auto t = Make();
  HoldingHandler holding;
  std::string url = t->Listen("tcp://127.0.0.1:0", holding).value();
  Result<std::string> reply = Call(*t, url, "slow", /*deadline_ms=*/200);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kTimedOut) << reply.error().ToString();
  EXPECT_TRUE(Contains(reply.error().message(), "no reply before the deadline"));
  EXPECT_EQ(Errors("timeout"), 1);
  holding.WaitFor(1);
  for (auto& [request, responder] : holding.Take()) responder->Reply("too late");
  // The connection still serves.
  Waiter next;
  t->Request(url, "next", Deadline(), next);
  holding.WaitFor(1);
  for (auto& [request, responder] : holding.Take()) responder->Reply(request + "!");
  EXPECT_EQ(next.Get().value(), "next!");
  reply = Call(*t, url, "already late", /*deadline_ms=*/0);
  EXPECT_EQ(reply.error().code(), StatusCode::kTimedOut);
}

TEST_F(NngTransportTest, NobodyListeningIsUnavailableByTheDeadline) {
  auto server = Make();
  std::string url = server->Listen("tcp://127.0.0.1:0", echo_).value();
  ASSERT_TRUE(server->Close().ok());  // the port is now free and refuses connections
  auto t = Make();
  Result<std::string> reply = Call(*t, url, "anyone?", /*deadline_ms=*/300);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable) << reply.error().ToString();
  EXPECT_TRUE(Contains(reply.error().message(), url + ": no connection before the deadline"))
      << reply.error().ToString();
  EXPECT_EQ(Errors("refused"), 1);
}

TEST_F(NngTransportTest, ManyConcurrentRequestsAnsweredOutOfOrder) {
  constexpr size_t kRequests = 1000;
  auto server = Make();
  auto client = Make();
  HoldingHandler holding;
  std::string url = server->Listen("tcp://127.0.0.1:0", holding).value();
  std::vector<std::unique_ptr<Waiter>> waiters;
  for (size_t i = 0; i < kRequests; ++i) {
    waiters.push_back(std::make_unique<Waiter>());
    client->Request(url, "req-" + std::to_string(i), Deadline(), *waiters.back());
  }
  holding.WaitFor(kRequests);  // all of them held at once
  std::vector<std::pair<std::string, Responder*>> held = holding.Take();
  ASSERT_EQ(held.size(), kRequests);
  std::thread replier([&] {
    for (auto it = held.rbegin(); it != held.rend(); ++it) it->second->Reply("re:" + it->first);
  });
  for (size_t i = 0; i < kRequests; ++i) {
    Result<std::string> reply = waiters[i]->Get();
    ASSERT_TRUE(reply.has_value()) << i << ": " << reply.status().ToString();
    EXPECT_EQ(*reply, "re:req-" + std::to_string(i));
  }
  replier.join();
}

TEST_F(NngTransportTest, ClientCloseFailsRequestsInFlight) {
  auto server = Make();
  auto client = Make();
  HoldingHandler holding;
  std::string url = server->Listen("tcp://127.0.0.1:0", holding).value();
  std::vector<std::unique_ptr<Waiter>> waiters;
  for (int i = 0; i < 10; ++i) {
    waiters.push_back(std::make_unique<Waiter>());
    client->Request(url, "held", Deadline(), *waiters.back());
  }
  holding.WaitFor(10);
  ASSERT_TRUE(client->Close().ok());
  for (auto& waiter : waiters) {
    Result<std::string> reply = waiter->Get();
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable);
    EXPECT_TRUE(Contains(reply.error().message(), "transport closed")) << reply.error().ToString();
  }
  Result<std::string> after = Call(*client, url, "after close");
  EXPECT_EQ(after.error().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(after.error().message(), "transport closed"));
  for (auto& [request, responder] : holding.Take()) responder->Reply("nobody waits");
}

TEST_F(NngTransportTest, ServerCloseMidRequestFailsFastAndRespondersAfterCloseAreHarmless) {
  auto server = Make(NngOptions::kDefaultMaxMessageBytes, /*close_drain_ms=*/0);
  auto client = Make();
  HoldingHandler holding;
  std::string url = server->Listen("tcp://127.0.0.1:0", holding).value();
  Waiter waiter;
  client->Request(url, "held", Deadline(), waiter);
  holding.WaitFor(1);
  ASSERT_TRUE(server->Close().ok());
  EXPECT_TRUE(host_.test_logger().Contains("closed with 1 requests still unanswered"));
  Result<std::string> reply = waiter.Get();  // the connection drops: no wait for the deadline
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kUnavailable) << reply.error().ToString();
  EXPECT_TRUE(Contains(reply.error().message(), "connection lost before the reply"));
  std::vector<std::pair<std::string, Responder*>> held = holding.Take();
  ASSERT_EQ(held.size(), 1u);
  server.reset();  // even the transport is gone: the responder still works, and does nothing
  held[0].second->Reply("after close");
  EXPECT_EQ(Call(*client, url, "x", 200).error().code(), StatusCode::kUnavailable);
}

TEST_F(NngTransportTest, CloseWaitsForRequestsHeldByHandlersUpToTheDrainTime) {
  auto server = Make(NngOptions::kDefaultMaxMessageBytes, /*close_drain_ms=*/600'000);
  auto client = Make();
  HoldingHandler holding;
  std::string url = server->Listen("tcp://127.0.0.1:0", holding).value();
  Waiter waiter;
  client->Request(url, "held", Deadline(), waiter);
  holding.WaitFor(1);
  std::thread closer([&] { EXPECT_TRUE(server->Close().ok()); });
  ASSERT_TRUE(WaitForLog(": closing; waiting up to 600000 ms for 1 requests held by handlers"));
  for (auto& [request, responder] : holding.Take()) responder->Reply("answered while closing");
  EXPECT_EQ(waiter.Get().value(), "answered while closing");
  closer.join();
  EXPECT_FALSE(host_.test_logger().Contains("still unanswered"));
}

TEST_F(NngTransportTest, ReconnectsAfterThePeerRestarts) {
  auto client = Make();
  auto first = Make();
  std::string url = first->Listen("tcp://127.0.0.1:0", echo_).value();
  EXPECT_EQ(Call(*client, url, "before").value(), "before");
  ASSERT_TRUE(first->Close().ok());
  auto second = Make();
  Result<std::string> rebound = second->Listen(url, echo_);
  ASSERT_TRUE(rebound.has_value()) << rebound.status().ToString();
  EXPECT_EQ(*rebound, url);
  // nng redials by itself. A request may still go out on the old connection before the client
  // has seen it drop; it is not resent (at most once) but fails at once, and the next one waits
  // for the new connection.
  Result<std::string> after = Call(*client, url, "after");
  if (!after.has_value()) {
    EXPECT_EQ(after.error().code(), StatusCode::kUnavailable) << after.error().ToString();
    EXPECT_TRUE(Contains(after.error().message(), "connection lost before the reply"));
    after = Call(*client, url, "after");
  }
  ASSERT_TRUE(after.has_value()) << after.status().ToString();
  EXPECT_EQ(*after, "after");
}

// ---- Bytes from something that is not an nng peer ------------------------------------------

// A plain TCP connection to 127.0.0.1:`port`.
class RawSocket {
 public:
  explicit RawSocket(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads exactly `n` bytes; fewer when the peer closes first.
  std::string Read(size_t n) {
    std::string out;
    while (out.size() < n) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kHangGuard).count())) <= 0)
        break;
      char buf[4096];
      ssize_t got = ::recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  // True once the peer has closed the connection (after reading whatever it sent).
  bool ClosedByPeer() {
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kHangGuard).count())) <= 0) {
        return false;
      }
      char buf[256];
      ssize_t got = ::recv(fd_, buf, sizeof(buf), 0);
      if (got <= 0) return true;
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

// The SP-over-TCP greeting of a req0 peer: "\0SP\0", protocol 0x30 (req0), two reserved bytes.
const std::string kReqGreeting("\0SP\0\0\x30\0\0", 8);

std::string BigEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

TEST_F(NngTransportTest, GarbageConnectionsAreDroppedAndOthersStillServed) {
  auto t = Make(/*max_message_bytes=*/1024);
  std::string url = t->Listen("tcp://127.0.0.1:0", echo_).value();
  const int port = PortOf(url);
  RawSocket garbage(port);
  ASSERT_TRUE(garbage.connected());
  ASSERT_TRUE(garbage.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(garbage.ClosedByPeer());
  // A well-formed greeting, then a frame claiming 2^62 bytes.
  RawSocket oversize(port);
  ASSERT_TRUE(oversize.connected());
  ASSERT_TRUE(oversize.Send(kReqGreeting));
  EXPECT_EQ(oversize.Read(8).substr(0, 4), std::string("\0SP\0", 4));
  ASSERT_TRUE(oversize.Send(BigEndian64(1ull << 62)));
  EXPECT_TRUE(oversize.ClosedByPeer());
  // A frame too short to hold a request id.
  RawSocket truncated(port);
  ASSERT_TRUE(truncated.connected());
  ASSERT_TRUE(truncated.Send(kReqGreeting + BigEndian64(2) + "ab"));
  EXPECT_TRUE(truncated.ClosedByPeer());
  EXPECT_EQ(Call(*t, url, "still here").value(), "still here");
}

TEST_F(NngTransportTest, AHandWrittenSpRequestGetsTheDocumentedReply) {
  auto t = Make();
  std::string url = t->Listen("tcp://127.0.0.1:0", echo_).value();
  RawSocket raw(PortOf(url));
  ASSERT_TRUE(raw.connected());
  const std::string id("\x80\0\0\x07", 4);  // request id 7, high bit = end of the backtrace
  ASSERT_TRUE(raw.Send(kReqGreeting + BigEndian64(4 + 5) + id + "hello"));
  EXPECT_EQ(raw.Read(8), std::string("\0SP\0\0\x31\0\0", 8));  // rep0 answers
  EXPECT_EQ(raw.Read(8), BigEndian64(4 + 1 + 5));
  EXPECT_EQ(raw.Read(10), id + std::string("\0hello", 6));
}

TEST_F(NngTransportTest, NngcatGetsAReply) {
  auto t = Make();
  std::string url = t->Listen("tcp://127.0.0.1:0", echo_).value();
  test::RunResult run = test::RunToExit({"/usr/bin/nngcat", "--req", "--dial", url, "--data",
                                         "hello", "--quoted", "--recv-timeout", "30"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // The status byte 0 (OK), then the payload.
  EXPECT_EQ(run.out, "\"\\x00hello\"\n") << run.out;
  run = test::RunToExit({"/usr/bin/nngcat", "--req", "--dial", url, "--data", "fail", "--quoted",
                         "--recv-timeout", "30"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  // Status byte 5 (NotSupported), then the handler's message.
  EXPECT_EQ(run.out, "\"\\x05echo refuses 'fail'\"\n") << run.out;
}

}  // namespace
}  // namespace optimystic::plugins::transport_nng
