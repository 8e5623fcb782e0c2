// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_endpoint_stats.h"

#include <array>
#include <cstring>
#include <utility>

namespace optimystic::plugins::transport_nng {
namespace {

using Field = uint64_t NngEndpointStats::*;

constexpr std::array<std::pair<const char*, Field>, 6> kFields = {{
    {"refused", &NngEndpointStats::refused},
    {"timeout", &NngEndpointStats::timeout},
    {"auth", &NngEndpointStats::auth},
    {"proto", &NngEndpointStats::proto},
    {"other", &NngEndpointStats::other},
    {"rcv_max", &NngEndpointStats::too_large},
}};

// Reads the endpoint `find` locates in a fresh snapshot.
template <class Find>
std::optional<NngEndpointStats> ReadWith(Find find) noexcept {
  nng_stat* all = nullptr;
  if (nng_stats_get(&all) != 0) return std::nullopt;
  nng_stat* stats = find(all);
  if (stats == nullptr) {
    nng_stats_free(all);
    return std::nullopt;
  }
  NngEndpointStats out;
  for (nng_stat* child = nng_stat_child(stats); child != nullptr; child = nng_stat_next(child)) {
    for (const auto& [name, field] : kFields) {
      if (std::strcmp(nng_stat_name(child), name) == 0) out.*field = nng_stat_value(child);
    }
  }
  nng_stats_free(all);
  return out;
}

}  // namespace

std::optional<NngEndpointStats> NngEndpointStats::ReadDialer(nng_dialer dialer) noexcept {
  return ReadWith([dialer](nng_stat* all) { return nng_stat_find_dialer(all, dialer); });
}

std::optional<NngEndpointStats> NngEndpointStats::ReadListener(nng_listener listener) noexcept {
  return ReadWith([listener](nng_stat* all) { return nng_stat_find_listener(all, listener); });
}

NngEndpointStats NngEndpointStats::Since(const NngEndpointStats& before) const noexcept {
  NngEndpointStats delta;
  for (const auto& [name, field] : kFields) {
    delta.*field = this->*field >= before.*field ? this->*field - before.*field : 0;
  }
  return delta;
}

std::string NngEndpointStats::Describe() const {
  const std::array<std::pair<uint64_t, const char*>, 6> parts = {{
      {refused, "refused"},
      {timeout, "timed out"},
      {auth, "TLS authentication"},
      {proto, "handshake (SP or TLS)"},
      {other, "other (unreachable, or closed by the peer)"},
      {too_large, "message over the size limit"},
  }};
  std::string out;
  for (const auto& [count, what] : parts) {
    if (count == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(count) + " " + what;
  }
  return out;
}

transport::TransportErrorKind NngEndpointStats::DialKind(bool tls) const noexcept {
  if (auth > 0 || (tls && proto > 0)) return transport::TransportErrorKind::kTls;
  if (refused > 0 || other > 0) return transport::TransportErrorKind::kRefused;
  if (timeout > 0) return transport::TransportErrorKind::kTimeout;
  return transport::TransportErrorKind::kRefused;
}

}  // namespace optimystic::plugins::transport_nng
