// SPDX-License-Identifier: Apache-2.0
#include "transport/tcp/tcp_transport.h"

#include <optimystic/abi/plugin_abi.h>
#include <optimystic/config/settings.h>
#include <optimystic/transport/transport.h>

#include "support/raw_socket.h"
#include "support/temp_dir.h"
#include "support/test_certs.h"
#include "support/test_host.h"
#include "transport/tcp/frame_format.h"
#include "transport/tcp/tcp_transport_factory.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace optimystic::plugins::transport_tcp {
namespace {

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// ---- Frame format --------------------------------------------------------------------------

TEST(FrameFormat, HeaderRoundTripsBigEndian) {
  const FrameHeader header{FrameKind::kReply, 0x0102030405060708ull, 0x0a0b0c0du};
  const FrameHeaderBytes bytes = EncodeFrameHeader(header);
  EXPECT_EQ(bytes[0], kFrameMagic);
  EXPECT_EQ(bytes[1], 2);
  EXPECT_EQ(bytes[2], 0x01);
  EXPECT_EQ(bytes[9], 0x08);
  EXPECT_EQ(bytes[10], 0x0a);
  EXPECT_EQ(bytes[13], 0x0d);
  Result<FrameHeader> decoded = DecodeFrameHeader(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->kind, FrameKind::kReply);
  EXPECT_EQ(decoded->request_id, header.request_id);
  EXPECT_EQ(decoded->length, header.length);
  EXPECT_EQ(EncodeFrame(FrameKind::kRequest, 1, "abc").size(), kFrameHeaderBytes + 3);
}

TEST(FrameFormat, BadMagicAndUnknownKindsAreCorruption) {
  FrameHeaderBytes bytes = EncodeFrameHeader({FrameKind::kRequest, 1, 0});
  bytes[0] = 'G';
  Result<FrameHeader> bad_magic = DecodeFrameHeader(bytes);
  ASSERT_FALSE(bad_magic.has_value());
  EXPECT_EQ(bad_magic.error().code(), StatusCode::kCorruption);
  EXPECT_EQ(bad_magic.error().message(), "bad frame magic 0x47 (expected 0xb7)");
  for (uint8_t kind : {0, 4, 255}) {
    bytes[0] = kFrameMagic;
    bytes[1] = kind;
    Result<FrameHeader> bad_kind = DecodeFrameHeader(bytes);
    ASSERT_FALSE(bad_kind.has_value());
    EXPECT_EQ(bad_kind.error().message(), "unknown frame kind " + std::to_string(kind));
  }
}

TEST(FrameFormat, ErrorPayloadsRoundTripAndBadOnesAreCorruption) {
  Status decoded = DecodeErrorPayload(EncodeErrorPayload(Status::NotFound("no such block")));
  EXPECT_EQ(decoded.code(), StatusCode::kNotFound);
  EXPECT_EQ(decoded.message(), "no such block");
  EXPECT_EQ(DecodeErrorPayload("").code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeErrorPayload(std::string(1, '\0')).code(), StatusCode::kCorruption);
  EXPECT_EQ(DecodeErrorPayload("\xc8 what").message(), "error reply with unknown status code 200");
}

// ---- Settings, through the plugin module -----------------------------------------------------

config::SettingsNode Scalar(std::string text, uint32_t line) {
  config::SettingsNode node;
  node.kind = config::SettingsNode::Kind::kScalar;
  node.scalar = std::move(text);
  node.line = line;
  node.column = 5;
  return node;
}

config::SettingsNode Map(std::vector<config::SettingsEntry> entries, uint32_t line) {
  config::SettingsNode node;
  node.kind = config::SettingsNode::Kind::kMap;
  node.children = std::move(entries);
  node.line = line;
  node.column = 3;
  return node;
}

config::SettingsNode TlsSettings(const test::CertFiles& files) {
  std::vector<config::SettingsEntry> tls;
  tls.emplace_back("ca_file", Scalar(files.ca_file, 3));
  tls.emplace_back("cert_file", Scalar(files.cert_file, 4));
  tls.emplace_back("key_file", Scalar(files.key_file, 5));
  std::vector<config::SettingsEntry> root;
  root.emplace_back("tls", Map(std::move(tls), 2));
  return Map(std::move(root), 1);
}

class TcpPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path =
        std::string(OPTIMYSTIC_PLUGIN_OUTPUT_DIR) + "/liboptimystic_transport_tcp.so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << ::dlerror();
    auto entry = reinterpret_cast<optimystic_plugin_entry_fn>(
        ::dlsym(handle_, "optimystic_plugin_entry_transport_tcp"));
    ASSERT_NE(entry, nullptr);
    const optimystic_plugin_descriptor* descriptor = entry();
    EXPECT_STREQ(descriptor->id, "transport.tcp");
    EXPECT_EQ(descriptor->kind, OPTIMYSTIC_KIND_TRANSPORT);
    factory_ = static_cast<transport::TransportFactory*>(descriptor->get_factory(
        transport::TransportFactory::kInterface, transport::TransportFactory::kVersion));
    ASSERT_NE(factory_, nullptr);
    Result<test::TestCertificateAuthority> ca =
        test::TestCertificateAuthority::Create(dir_.path(), "cluster");
    ASSERT_TRUE(ca.has_value()) << ca.status().ToString();
    Result<test::CertFiles> files = ca->Issue("node");
    ASSERT_TRUE(files.has_value()) << files.status().ToString();
    certs_ = *files;
  }
  void TearDown() override {
    if (handle_ != nullptr) {
      ::dlclose(handle_);
    }
  }

  Status Validate(const config::SettingsNode& node) {
    return factory_->Validate(config::Settings(&node, "transport.settings", "node.yaml"));
  }
  Status ValidateOne(const std::string& key, const std::string& value) {
    std::vector<config::SettingsEntry> entries;
    entries.emplace_back(key, Scalar(value, 2));
    return Validate(Map(std::move(entries), 1));
  }

  void* handle_ = nullptr;
  transport::TransportFactory* factory_ = nullptr;
  test::TempDir dir_{"optimystic-tcp-plugin"};
  test::CertFiles certs_;
};

TEST_F(TcpPluginTest, DefaultsAndGoodValuesAreAccepted) {
  EXPECT_TRUE(Validate(Map({}, 1)).ok());
  EXPECT_TRUE(ValidateOne("threads", "4").ok());
  EXPECT_TRUE(ValidateOne("max_message_bytes", "1024").ok());
  EXPECT_TRUE(ValidateOne("connect_timeout_ms", "250").ok());
  Status tls = Validate(TlsSettings(certs_));
  EXPECT_TRUE(tls.ok()) << tls.ToString();
}

TEST_F(TcpPluginTest, BadValuesAreRefusedWithTheirLocation) {
  Status unknown = ValidateOne("thread", "4");
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(unknown.message(), "thread")) << unknown.ToString();
  Status zero = ValidateOne("threads", "0");
  EXPECT_EQ(zero.message(),
            "node.yaml:2:5: transport.settings.threads: must be from 1 to 64, got 0");
  Status text = ValidateOne("max_message_bytes", "lots");
  EXPECT_EQ(text.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(text.message(), "node.yaml:2:5: transport.settings.max_message_bytes"))
      << text.ToString();
  Status huge = ValidateOne("max_message_bytes", "2000000000");
  EXPECT_TRUE(Contains(huge.message(), "must be from 1 to 1073741824")) << huge.ToString();
  Status tls = ValidateOne("tls", "yes");
  EXPECT_TRUE(Contains(tls.message(), "transport.settings.tls: expected a map")) << tls.ToString();
}

TEST_F(TcpPluginTest, MissingCertificateFileNamesTheSettingAndThePath) {
  test::CertFiles missing = certs_;
  missing.cert_file = dir_.Sub("nope.pem");
  Status s = Validate(TlsSettings(missing));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "node.yaml:4:5: transport.settings.tls.cert_file: cannot read '" +
                             missing.cert_file + "': No such file or directory")
      << s.ToString();
  test::CertFiles directory = certs_;
  directory.ca_file = dir_.path();
  Status d = Validate(TlsSettings(directory));
  EXPECT_EQ(d.message(), "node.yaml:3:5: transport.settings.tls.ca_file: '" + dir_.path() +
                             "' is not a regular file")
      << d.ToString();
  std::vector<config::SettingsEntry> tls;
  tls.emplace_back("ca_file", Scalar(certs_.ca_file, 3));
  tls.emplace_back("cert_file", Scalar(certs_.cert_file, 4));
  std::vector<config::SettingsEntry> root;
  root.emplace_back("tls", Map(std::move(tls), 2));
  Status absent = Validate(Map(std::move(root), 1));
  EXPECT_TRUE(Contains(absent.message(), "transport.settings.tls.key_file")) << absent.ToString();
}

TEST_F(TcpPluginTest, UnusableCertificateFilesAreRefusedWithThePath) {
  const std::string garbage = dir_.Sub("garbage.pem");
  std::ofstream(garbage) << "not a certificate\n";
  test::CertFiles bad = certs_;
  bad.cert_file = garbage;
  Status s = Validate(TlsSettings(bad));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "transport.settings.tls: cert_file '" + garbage + "': "))
      << s.ToString();
  // A key that belongs to another certificate.
  Result<test::TestCertificateAuthority> other =
      test::TestCertificateAuthority::Create(dir_.path(), "other");
  ASSERT_TRUE(other.has_value());
  Result<test::CertFiles> other_files = other->Issue("node");
  ASSERT_TRUE(other_files.has_value());
  test::CertFiles mismatched = certs_;
  mismatched.key_file = other_files->key_file;
  Status m = Validate(TlsSettings(mismatched));
  EXPECT_TRUE(Contains(m.message(), "key_file '" + mismatched.key_file + "'")) << m.ToString();
}

// ---- tcp-specific behaviour -----------------------------------------------------------------

class EchoHandler final : public transport::RequestHandler {
 public:
  void OnRequest(std::string_view request, transport::Responder& responder) noexcept override {
    responder.Reply(request);
    ++replies_;
  }
  int replies() const { return replies_.load(); }

 private:
  std::atomic<int> replies_{0};
};

class ReplyWaiter final : public transport::ReplyCallback {
 public:
  void OnReply(Result<std::string> reply) noexcept override {
    {
      std::lock_guard lock(mu_);
      reply_.emplace(std::move(reply));
    }
    cv_.notify_all();
  }
  Result<std::string> Wait() {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return reply_.has_value(); })) {
      return Status::Internal("no reply: the transport hung");
    }
    return *reply_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Result<std::string>> reply_;
};

constexpr uint32_t kMax = 4096;

class TcpTransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<transport::Transport> Make() {
    std::vector<config::SettingsEntry> entries;
    entries.emplace_back("max_message_bytes", Scalar(std::to_string(kMax), 2));
    const config::SettingsNode node = Map(std::move(entries), 1);
    auto transport =
        factory_.Create(config::Settings(&node, "transport.settings", "t.yaml"), host_);
    EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
    return transport ? std::move(transport).value() : nullptr;
  }
  Result<std::string> Call(transport::Transport& client, const std::string& url,
                           std::string_view payload, int64_t timeout_ms = 10'000) {
    ReplyWaiter& waiter = waiters_.emplace_back();
    client.Request(url, payload, host_.clock().NowUnixMs() + timeout_ms, waiter);
    return waiter.Wait();
  }

  test::TestHost host_;
  TcpTransportFactory factory_;
  EchoHandler echo_;
  std::deque<ReplyWaiter> waiters_;
};

TEST_F(TcpTransportTest, ListenRefusesBadUrlsAndBusyPorts) {
  auto server = Make();
  for (const char* url : {"nng://127.0.0.1:0", "tcp://127.0.0.1", "tcp://:80",
                          "tcp://127.0.0.1:99999", "tcp://127.0.0.1:8x", "tcp://[::1:0"}) {
    Result<std::string> bound = server->Listen(url, echo_);
    ASSERT_FALSE(bound.has_value()) << url;
    EXPECT_EQ(bound.error().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(Contains(bound.error().message(), std::string("bad url '") + url + "'"))
        << bound.error().ToString();
  }
  Result<std::string> first = server->Listen("tcp://127.0.0.1:0", echo_);
  ASSERT_TRUE(first.has_value()) << first.status().ToString();
  auto other = Make();
  Result<std::string> busy = other->Listen(*first, echo_);
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code(), StatusCode::kIOError);
  EXPECT_TRUE(Contains(busy.error().message(), "listen " + *first + ": bind: "))
      << busy.error().ToString();
}

TEST_F(TcpTransportTest, RequestErrorsAreNamed) {
  auto client = Make();
  Result<std::string> bad_url = Call(*client, "udp://127.0.0.1:1", "x");
  ASSERT_FALSE(bad_url.has_value());
  EXPECT_EQ(bad_url.error().code(), StatusCode::kInvalidArgument);

  Result<std::string> passed = Call(*client, "tcp://127.0.0.1:1", "x", -5);
  ASSERT_FALSE(passed.has_value());
  EXPECT_EQ(passed.error().code(), StatusCode::kTimedOut);

  // A port nobody listens on: take a free one, then close it.
  auto server = Make();
  Result<std::string> url = server->Listen("tcp://127.0.0.1:0", echo_);
  ASSERT_TRUE(url.has_value());
  ASSERT_TRUE(server->Close().ok());
  Result<std::string> refused = Call(*client, *url, "x");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(refused.error().message(), "connect to 127.0.0.1:"))
      << refused.error().ToString();
}

TEST_F(TcpTransportTest, OneConnectionPerPeerCarriesEveryRequest) {
  auto server = Make();
  auto client = Make();
  Result<std::string> url = server->Listen("tcp://127.0.0.1:0", echo_);
  ASSERT_TRUE(url.has_value());
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Call(*client, *url, "x").value_or("error"), "x");
  }
  // One client connection and the server's end of it.
  EXPECT_EQ(host_.test_metrics()
                .FindGauge("optimystic_transport_connections", {{"transport", "tcp"}})
                ->Value(),
            2);
}

bool SendAll(int fd, std::string_view bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// Reads one frame; nullopt when the connection closes or the read times out.
std::optional<std::pair<FrameHeader, std::string>> ReadFrame(int fd) {
  FrameHeaderBytes header_bytes{};
  if (::recv(fd, header_bytes.data(), header_bytes.size(), MSG_WAITALL) !=
      static_cast<ssize_t>(header_bytes.size())) {
    return std::nullopt;
  }
  Result<FrameHeader> header = DecodeFrameHeader(header_bytes);
  if (!header) {
    return std::nullopt;
  }
  std::string payload(header->length, '\0');
  if (header->length > 0 && ::recv(fd, payload.data(), payload.size(), MSG_WAITALL) !=
                                static_cast<ssize_t>(payload.size())) {
    return std::nullopt;
  }
  return std::make_pair(*header, payload);
}

uint16_t PortOf(const std::string& url) {
  return static_cast<uint16_t>(std::stoul(url.substr(url.rfind(':') + 1)));
}

TEST_F(TcpTransportTest, OversizeRequestGetsAnErrorReplyAndTheConnectionKeepsWorking) {
  auto server = Make();
  Result<std::string> url = server->Listen("tcp://127.0.0.1:0", echo_);
  ASSERT_TRUE(url.has_value());
  const int fd = test::RawConnect(PortOf(*url));
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, EncodeFrame(FrameKind::kRequest, 7, std::string(kMax + 1, 'o'))));
  ASSERT_TRUE(SendAll(fd, EncodeFrame(FrameKind::kRequest, 8, "ping")));
  auto error = ReadFrame(fd);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->first.kind, FrameKind::kError);
  EXPECT_EQ(error->first.request_id, 7u);
  Status status = DecodeErrorPayload(error->second);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "request message too large: 4097 bytes, max_message_bytes is 4096");
  auto reply = ReadFrame(fd);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->first.kind, FrameKind::kReply);
  EXPECT_EQ(reply->first.request_id, 8u);
  EXPECT_EQ(reply->second, "ping");
  ::close(fd);
}

TEST_F(TcpTransportTest, HugeDeclaredLengthIsNotAllocatedAndAReplyFrameIsAProtocolError) {
  auto server = Make();
  Result<std::string> url = server->Listen("tcp://127.0.0.1:0", echo_);
  ASSERT_TRUE(url.has_value());
  // 4 GiB declared: answered at once, its payload skipped as it comes (here: never).
  const int fd = test::RawConnect(PortOf(*url));
  ASSERT_GE(fd, 0);
  const FrameHeaderBytes huge = EncodeFrameHeader({FrameKind::kRequest, 1, 0xffffffffu});
  ASSERT_TRUE(
      SendAll(fd, std::string_view(reinterpret_cast<const char*>(huge.data()), huge.size())));
  auto error = ReadFrame(fd);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->first.kind, FrameKind::kError);
  ::close(fd);

  // Replies go server to client only.
  const int fd2 = test::RawConnect(PortOf(*url));
  ASSERT_GE(fd2, 0);
  ASSERT_TRUE(SendAll(fd2, EncodeFrame(FrameKind::kReply, 1, "unasked")));
  EXPECT_FALSE(ReadFrame(fd2).has_value());  // dropped
  ::close(fd2);
  EXPECT_TRUE(host_.test_logger().Contains("protocol error: unexpected reply frame"));
  EXPECT_EQ(host_.test_metrics()
                .FindCounter("optimystic_transport_errors_total",
                             {{"transport", "tcp"}, {"kind", "protocol"}})
                ->Value(),
            1);
}

TEST_F(TcpTransportTest, CloseWritesTheRepliesAlreadyGiven) {
  // A client that does not read yet: the server's replies pile up in its write queue once the
  // socket buffers are full. Close() must still write them all before it closes.
  constexpr int kRequests = 3000;  // 12 MB of replies, more than the socket buffers hold
  const std::string payload(kMax - 16, 'g');
  auto server = Make();
  Result<std::string> url = server->Listen("tcp://127.0.0.1:0", echo_);
  ASSERT_TRUE(url.has_value());
  const int fd = test::RawConnect(PortOf(*url));
  ASSERT_GE(fd, 0);
  std::string requests;
  for (int i = 0; i < kRequests; ++i) {
    requests += EncodeFrame(FrameKind::kRequest, i + 1, payload);
  }
  ASSERT_TRUE(SendAll(fd, requests));
  for (int spins = 0; echo_.replies() < kRequests && spins < 60'000; ++spins) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a wait, not an assertion
  }
  ASSERT_EQ(echo_.replies(), kRequests);
  std::thread closer([&] { EXPECT_TRUE(server->Close().ok()); });
  std::set<uint64_t> answered;  // handlers run in parallel: replies come in any order
  int replies = 0;
  while (auto frame = ReadFrame(fd)) {
    replies += frame->first.kind == FrameKind::kReply ? 1 : 0;
    answered.insert(frame->first.request_id);
  }
  closer.join();
  ::close(fd);
  EXPECT_EQ(replies, kRequests);
  ASSERT_EQ(answered.size(), static_cast<size_t>(kRequests));
  EXPECT_EQ(*answered.begin(), 1u);
  EXPECT_EQ(*answered.rbegin(), static_cast<uint64_t>(kRequests));
}

}  // namespace
}  // namespace optimystic::plugins::transport_tcp
