// SPDX-License-Identifier: Apache-2.0
#include "transport/tcp/tcp_transport_factory.h"

#include <optimystic/transport/transport_metrics.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

namespace optimystic::plugins::transport_tcp {
namespace {

constexpr uint64_t kMaxThreads = 64;
constexpr uint64_t kMaxMessageBytesLimit = 1ull << 30;  // frames carry a 32-bit length
constexpr uint64_t kMaxConnectTimeoutMs = 10 * 60 * 1000;

// Reads `key` as an integer from 1 to `max`.
Result<uint32_t> GetBounded(const config::Settings& settings, const char* key, uint64_t fallback,
                            uint64_t max) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(uint64_t value, settings.GetUint(key, fallback));
  if (value < 1 || value > max) {
    return settings.Get(key).Error("must be from 1 to " + std::to_string(max) + ", got " +
                                   std::to_string(value));
  }
  return static_cast<uint32_t>(value);
}

// The readable regular file `key` of the tls block names.
Result<std::string> GetFile(const config::Settings& tls, const char* key) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string path, tls.RequireString(key));
  std::error_code ec;
  const std::filesystem::file_status status = std::filesystem::status(path, ec);
  if (ec) {
    return tls.Get(key).Error("cannot read '" + path + "': " + ec.message());
  }
  if (!std::filesystem::is_regular_file(status)) {
    return tls.Get(key).Error("'" + path + "' is not a regular file");
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return tls.Get(key).Error("cannot read '" + path + "': " + std::strerror(errno));
  }
  return path;
}

Result<TcpTlsOptions> ParseTls(const config::Settings& tls) {
  if (!tls.is_map()) {
    return tls.Error("expected a map with ca_file, cert_file and key_file");
  }
  OPTIMYSTIC_RETURN_IF_ERROR(tls.CheckKeys({"ca_file", "cert_file", "key_file"}));
  TcpTlsOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.ca_file, GetFile(tls, "ca_file"));
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.cert_file, GetFile(tls, "cert_file"));
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.key_file, GetFile(tls, "key_file"));
  // Loading them now reports a bad PEM or a key of another certificate at validation time.
  Result<std::unique_ptr<boost::asio::ssl::context>> context = NewTlsContext(options);
  if (!context) {
    return tls.Error(context.error().message());
  }
  return options;
}

}  // namespace

Result<TcpTransportOptions> ParseTcpTransportOptions(const config::Settings& settings) {
  OPTIMYSTIC_RETURN_IF_ERROR(
      settings.CheckKeys({"threads", "max_message_bytes", "connect_timeout_ms", "tls"}));
  TcpTransportOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.threads,
                              GetBounded(settings, "threads", options.threads, kMaxThreads));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      options.max_message_bytes,
      GetBounded(settings, "max_message_bytes", options.max_message_bytes, kMaxMessageBytesLimit));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      options.connect_timeout_ms,
      GetBounded(settings, "connect_timeout_ms", options.connect_timeout_ms, kMaxConnectTimeoutMs));
  const config::Settings tls = settings.Get("tls");
  if (tls.present()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(options.tls, ParseTls(tls));
  }
  return options;
}

Status TcpTransportFactory::Validate(const config::Settings& settings) const noexcept {
  return ParseTcpTransportOptions(settings).status();
}

Result<std::unique_ptr<transport::Transport>> TcpTransportFactory::Create(
    const config::Settings& settings, host::HostServices& host) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(TcpTransportOptions options, ParseTcpTransportOptions(settings));
  OPTIMYSTIC_ASSIGN_OR_RETURN(transport::TransportMetrics metrics,
                              transport::TransportMetrics::Create(host.metrics(), "tcp"));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<TcpTransport> transport,
                              TcpTransport::Create(options, host, metrics));
  return std::unique_ptr<transport::Transport>(std::move(transport));
}

}  // namespace optimystic::plugins::transport_tcp
