// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_options.h"

#include <optimystic/abi/plugin_abi.h>
#include <optimystic/config/settings.h>
#include <optimystic/transport/transport.h>

#include "runtime/config/yaml_document.h"
#include "support/temp_dir.h"
#include "support/test_host.h"
#include "transport/nng/nng_reply_format.h"
#include "transport/nng/nng_status.h"
#include "transport/nng/nng_url.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <nng/nng.h>

#include <fstream>
#include <string>

namespace optimystic::plugins::transport_nng {
namespace {

using transport::TransportErrorKind;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

TEST(NngUrl, ParsesTheThreeSchemes) {
  Result<NngUrl> tcp = ParseNngUrl("tcp://127.0.0.1:7400");
  ASSERT_TRUE(tcp.has_value()) << tcp.status().ToString();
  EXPECT_EQ(tcp->scheme, NngScheme::kTcp);
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 7400u);
  EXPECT_FALSE(tcp->tls());
  Result<NngUrl> tls = ParseNngUrl("tls+tcp://[::1]:0");
  ASSERT_TRUE(tls.has_value()) << tls.status().ToString();
  EXPECT_TRUE(tls->tls());
  EXPECT_EQ(tls->host, "[::1]");
  EXPECT_EQ(tls->WithPort(9000), "tls+tcp://[::1]:9000");
  Result<NngUrl> ipc = ParseNngUrl("ipc:///tmp/x.sock");
  ASSERT_TRUE(ipc.has_value()) << ipc.status().ToString();
  EXPECT_EQ(ipc->scheme, NngScheme::kIpc);
  EXPECT_EQ(ipc->path, "/tmp/x.sock");
  EXPECT_EQ(ipc->WithPort(5), "ipc:///tmp/x.sock");
  EXPECT_EQ(ParseNngUrl("tcp://localhost:1")->WithPort(65535), "tcp://localhost:65535");
}

TEST(NngUrl, RejectsBadUrlsNamingThem) {
  for (const char* url :
       {"http://x:1", "tcp://", "tcp://host", "tcp://:80", "tcp://h:65536", "tcp://h:12a",
        "tcp://h:", "ipc://", "tcp://[::1:80", "ws://h:1", "tcp://a/b:1", ""}) {
    Result<NngUrl> parsed = ParseNngUrl(url);
    ASSERT_FALSE(parsed.has_value()) << url;
    EXPECT_EQ(parsed.error().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(Contains(parsed.error().message(), "nng url '" + std::string(url) + "'"))
        << parsed.error().ToString();
  }
  EXPECT_TRUE(Contains(ParseNngUrl("ws://h:1").error().message(), "unsupported scheme"));
}

TEST(NngReplyFormat, RoundTripsPayloadsAndErrors) {
  EXPECT_EQ(EncodeOkReply("hello"), std::string("\0hello", 6));
  EXPECT_EQ(DecodeReply(EncodeOkReply("hello")).value(), "hello");
  EXPECT_EQ(DecodeReply(EncodeOkReply("")).value(), "");
  const std::string binary("\0\1\2\xff", 4);
  EXPECT_EQ(DecodeReply(EncodeOkReply(binary)).value(), binary);
  Result<std::string> error = DecodeReply(EncodeErrorReply(Status::NotSupported("no ping yet")));
  ASSERT_FALSE(error.has_value());
  EXPECT_EQ(error.error().code(), StatusCode::kNotSupported);
  EXPECT_EQ(error.error().message(), "no ping yet");
}

TEST(NngReplyFormat, DecodingIsTotal) {
  EXPECT_EQ(DecodeReply("").error().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(DecodeReply("").error().message(), "empty reply"));
  for (int byte = 0; byte < 256; ++byte) {
    std::string body(1, static_cast<char>(byte));
    body += "rest";
    Result<std::string> r = DecodeReply(body);
    if (byte == 0) {
      EXPECT_EQ(r.value(), "rest");
    } else if (byte <= static_cast<int>(StatusCode::kInternal)) {
      EXPECT_EQ(static_cast<int>(r.error().code()), byte);
    } else {
      EXPECT_EQ(r.error().code(), StatusCode::kCorruption) << byte;
      EXPECT_TRUE(Contains(r.error().message(), "unknown status byte")) << byte;
    }
  }
}

TEST(NngStatus, MapsNngErrorsToCodesAndKinds) {
  EXPECT_EQ(NngStatus(NNG_ETIMEDOUT, "x").code(), StatusCode::kTimedOut);
  EXPECT_EQ(NngStatus(NNG_ECONNREFUSED, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(NngStatus(NNG_ECONNRESET, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(NngStatus(NNG_ECLOSED, "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(NngStatus(NNG_EMSGSIZE, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NngStatus(NNG_EADDRINVAL, "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NngStatus(NNG_ENOMEM, "x").code(), StatusCode::kIOError);
  Status auth = NngStatus(NNG_EPEERAUTH, "dial tls+tcp://h:1");
  EXPECT_EQ(auth.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(auth.message(), "dial tls+tcp://h:1: nng: TLS: ")) << auth.ToString();
  EXPECT_EQ(NngStatus(NNG_ECRYPTO, "x").code(), StatusCode::kUnavailable);
  Status refused = NngStatus(NNG_ECONNREFUSED, "dial tcp://h:1");
  EXPECT_EQ(refused.message(),
            std::string("dial tcp://h:1: nng: ") + nng_strerror(NNG_ECONNREFUSED));
  EXPECT_EQ(NngErrorKind(NNG_ETIMEDOUT), TransportErrorKind::kTimeout);
  EXPECT_EQ(NngErrorKind(NNG_ECONNREFUSED), TransportErrorKind::kRefused);
  EXPECT_EQ(NngErrorKind(NNG_ECLOSED), TransportErrorKind::kClosed);
  EXPECT_EQ(NngErrorKind(NNG_EMSGSIZE), TransportErrorKind::kTooLarge);
  EXPECT_EQ(NngErrorKind(NNG_EPROTO), TransportErrorKind::kProtocol);
  EXPECT_EQ(NngErrorKind(NNG_EPEERAUTH), TransportErrorKind::kTls);
  EXPECT_EQ(NngErrorKind(NNG_ENOMEM), TransportErrorKind::kIo);
}

// ---- Settings, through the plugin loaded as the node loads it ---------------------------------

class NngPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path =
        std::string(OPTIMYSTIC_PLUGIN_OUTPUT_DIR) + "/liboptimystic_transport_nng.so";
    handle_ = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << ::dlerror();
    auto entry = reinterpret_cast<optimystic_plugin_entry_fn>(
        ::dlsym(handle_, "optimystic_plugin_entry_transport_nng"));
    ASSERT_NE(entry, nullptr);
    const optimystic_plugin_descriptor* descriptor = entry();
    EXPECT_STREQ(descriptor->id, "transport.nng");
    EXPECT_EQ(descriptor->kind, OPTIMYSTIC_KIND_TRANSPORT);
    factory_ = static_cast<transport::TransportFactory*>(descriptor->get_factory(
        transport::TransportFactory::kInterface, transport::TransportFactory::kVersion));
    ASSERT_NE(factory_, nullptr);
  }
  void TearDown() override {
    if (handle_ != nullptr) ::dlclose(handle_);
  }

  // Validates the `settings:` map written in YAML (as under `transport:` in node.yaml).
  Status Validate(const std::string& yaml) {
    Result<config::SettingsNode> root = runtime::config::ParseYamlDocument(yaml, "node.yaml");
    EXPECT_TRUE(root.has_value()) << root.status().ToString();
    if (!root.has_value()) return root.error();
    node_ = std::move(*root);
    return factory_->Validate(config::Settings(&node_, "transport.settings", "node.yaml"));
  }
  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }

  void* handle_ = nullptr;
  transport::TransportFactory* factory_ = nullptr;
  config::SettingsNode node_;
  test::TempDir dir_{"optimystic-nng-plugin"};
};

TEST_F(NngPluginTest, AcceptsDefaultsAndLimits) {
  EXPECT_TRUE(Validate("max_message_bytes: 1\n").ok());
  EXPECT_TRUE(Validate("max_message_bytes: 1073741824\nclose_drain_ms: 0\n").ok());
  config::SettingsNode none;
  EXPECT_TRUE(factory_->Validate(config::Settings(&none, "transport.settings", "")).ok());
}

TEST_F(NngPluginTest, RejectsUnknownKeysAndBadValuesWithTheirLocation) {
  Status s = Validate("max_message_bytes: 10\nmax_msg: 3\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "node.yaml:2:10: transport.settings.max_msg: unknown key"))
      << s.ToString();
  s = Validate("max_message_bytes: 0\n");
  EXPECT_TRUE(Contains(s.message(),
                       "node.yaml:1:20: transport.settings.max_message_bytes: must be between 1 "
                       "and 1073741824"))
      << s.ToString();
  s = Validate("max_message_bytes: 1073741825\n");
  EXPECT_TRUE(Contains(s.message(), "transport.settings.max_message_bytes")) << s.ToString();
  s = Validate("max_message_bytes: lots\n");
  EXPECT_TRUE(Contains(s.message(), "transport.settings.max_message_bytes")) << s.ToString();
  s = Validate("close_drain_ms: -1\n");
  EXPECT_TRUE(Contains(s.message(), "transport.settings.close_drain_ms")) << s.ToString();
}

TEST_F(NngPluginTest, TlsBlockErrorsNameTheSettingAndThePath) {
  Status s = Validate("tls: yes\n");
  EXPECT_TRUE(Contains(s.message(), "transport.settings.tls: expected a map")) << s.ToString();
  s = Validate("tls:\n  cert_file: /a\n  key_file: /b\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "transport.settings.tls.ca_file: missing required key"))
      << s.ToString();
  s = Validate("tls:\n  ca_file: /a\n  password: x\n");
  EXPECT_TRUE(Contains(s.message(), "node.yaml:3:13: transport.settings.tls.password: unknown key"))
      << s.ToString();
  const std::string missing = dir_.Sub("no-such-ca.pem");
  s = Validate("tls:\n  ca_file: " + missing + "\n");
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_TRUE(
      Contains(s.message(), "node.yaml:2:12: transport.settings.tls.ca_file: cannot read '" +
                                missing + "': No such file or directory"))
      << s.ToString();
  const std::string ca = WriteFile("ca.pem", "not a certificate\n");
  s = Validate("tls:\n  ca_file: " + ca + "\n  cert_file: " + ca + "\n");
  EXPECT_TRUE(Contains(s.message(), "transport.settings.tls.key_file: missing required key"))
      << s.ToString();
  s = Validate("tls:\n  ca_file: " + ca + "\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "transport.settings.tls.ca_file: '" + ca +
                                        "' holds no usable CA certificate: nng: "))
      << s.ToString();
  s = Validate("tls:\n  ca_file: " + ca + "\n  cert_file: " + ca + "\n  key_file: " + ca + "\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "node.yaml:3:14: transport.settings.tls.cert_file: '" + ca +
                                        "' is not a PEM certificate"))
      << s.ToString();
  const std::string empty = WriteFile("empty.pem", "");
  s = Validate("tls:\n  ca_file: " + empty + "\n");
  EXPECT_TRUE(Contains(s.message(), "transport.settings.tls.ca_file: '" + empty + "' is empty"))
      << s.ToString();
}

TEST_F(NngPluginTest, TlsUrlsNeedTheTlsBlock) {
  test::TestHost host;
  config::SettingsNode none;
  auto transport = factory_->Create(config::Settings(&none, "transport.settings", ""), host);
  ASSERT_TRUE(transport.has_value()) << transport.status().ToString();
  EXPECT_TRUE(host.test_logger().Contains("transport.nng: ready (max_message_bytes 16777216"));
  struct NullHandler final : transport::RequestHandler {
    void OnRequest(std::string_view, transport::Responder& r) noexcept override { r.Reply(""); }
  } handler;
  Result<std::string> bound = (*transport)->Listen("tls+tcp://127.0.0.1:0", handler);
  ASSERT_FALSE(bound.has_value());
  EXPECT_EQ(bound.error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(bound.error().message(),
                       "listen tls+tcp://127.0.0.1:0: tls+tcp:// needs the transport's tls "
                       "settings"))
      << bound.error().ToString();
  bound = (*transport)->Listen("udp://127.0.0.1:0", handler);
  EXPECT_TRUE(Contains(bound.error().message(), "unsupported scheme")) << bound.error().ToString();
  EXPECT_TRUE((*transport)->Close().ok());
}

}  // namespace
}  // namespace optimystic::plugins::transport_nng
