// SPDX-License-Identifier: Apache-2.0
// NngUrl: the URLs the nng transport accepts, checked before nng sees them so that a bad one
// gets an error naming it: tcp://host:port, tls+tcp://host:port (host a name, an IPv4 address
// or a bracketed IPv6 address; port 0..65535, 0 only to listen) and ipc://path.
// Thread-safety: value types and pure functions. Errors: InvalidArgument naming the URL.
#pragma once

#include <optimystic/base/result.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace optimystic::plugins::transport_nng {

enum class NngScheme : uint8_t { kTcp = 0, kTlsTcp = 1, kIpc = 2 };

struct NngUrl {
  NngScheme scheme = NngScheme::kTcp;
  std::string text;   // the URL as given
  std::string host;   // tcp and tls+tcp: as written, brackets included for IPv6
  uint32_t port = 0;  // tcp and tls+tcp
  std::string path;   // ipc

  bool tls() const noexcept { return scheme == NngScheme::kTlsTcp; }
  // The same URL with `port` in place of its port; ipc URLs come back unchanged.
  std::string WithPort(uint32_t port) const;
};

Result<NngUrl> ParseNngUrl(std::string_view url);

}  // namespace optimystic::plugins::transport_nng
