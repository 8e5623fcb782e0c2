// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_url.h"

#include <optimystic/base/status.h>

#include <array>
#include <utility>

namespace optimystic::plugins::transport_nng {
namespace {

constexpr uint32_t kMaxPort = 65535;

Status BadUrl(std::string_view url, std::string_view why) {
  return Status::InvalidArgument("nng url '" + std::string(url) + "': " + std::string(why));
}

// Splits "host:port" (host possibly "[v6]") into its parts.
Status ParseHostPort(std::string_view rest, NngUrl& out) {
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return BadUrl(out.text, "expected host:port");
  std::string_view host = rest.substr(0, colon);
  std::string_view port = rest.substr(colon + 1);
  if (host.empty()) return BadUrl(out.text, "empty host");
  if (host.front() == '[' && host.back() != ']') return BadUrl(out.text, "unclosed '['");
  if (host.find_first_of("/?#@") != std::string_view::npos) {
    return BadUrl(out.text, "host must not contain '/', '?', '#' or '@'");
  }
  if (port.empty() || port.size() > 5) return BadUrl(out.text, "expected a port 0..65535");
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return BadUrl(out.text, "expected a port 0..65535");
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > kMaxPort) return BadUrl(out.text, "expected a port 0..65535");
  out.host = std::string(host);
  out.port = value;
  return Status::Ok();
}

}  // namespace

std::string NngUrl::WithPort(uint32_t new_port) const {
  switch (scheme) {
    case NngScheme::kIpc:
      return text;
    case NngScheme::kTlsTcp:
      return "tls+tcp://" + host + ":" + std::to_string(new_port);
    case NngScheme::kTcp:
    default:
      return "tcp://" + host + ":" + std::to_string(new_port);
  }
}

Result<NngUrl> ParseNngUrl(std::string_view url) {
  static constexpr std::array<std::pair<std::string_view, NngScheme>, 3> kSchemes = {{
      {"tcp://", NngScheme::kTcp},
      {"tls+tcp://", NngScheme::kTlsTcp},
      {"ipc://", NngScheme::kIpc},
  }};
  NngUrl out;
  out.text = std::string(url);
  for (const auto& [prefix, scheme] : kSchemes) {
    if (url.substr(0, prefix.size()) != prefix) continue;
    out.scheme = scheme;
    std::string_view rest = url.substr(prefix.size());
    if (scheme == NngScheme::kIpc) {
      if (rest.empty()) return BadUrl(url, "empty ipc path");
      out.path = std::string(rest);
      return out;
    }
    OPTIMYSTIC_RETURN_IF_ERROR(ParseHostPort(rest, out));
    return out;
  }
  return BadUrl(url, "unsupported scheme (expected tcp://, tls+tcp:// or ipc://)");
}

}  // namespace optimystic::plugins::transport_nng
