// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_dial_history.h"

#include <array>
#include <cstring>
#include <utility>

namespace optimystic::plugins::transport_nng {

std::optional<NngDialHistory> NngDialHistory::Read(nng_dialer dialer) noexcept {
  nng_stat* all = nullptr;
  if (nng_stats_get(&all) != 0) return std::nullopt;
  nng_stat* stats = nng_stat_find_dialer(all, dialer);
  if (stats == nullptr) {
    nng_stats_free(all);
    return std::nullopt;
  }
  NngDialHistory history;
  const std::array<std::pair<const char*, uint64_t*>, 5> fields = {{
      {"refused", &history.refused},
      {"timeout", &history.timeout},
      {"auth", &history.auth},
      {"proto", &history.proto},
      {"other", &history.other},
  }};
  for (nng_stat* child = nng_stat_child(stats); child != nullptr; child = nng_stat_next(child)) {
    for (const auto& [name, field] : fields) {
      if (std::strcmp(nng_stat_name(child), name) == 0) *field = nng_stat_value(child);
    }
  }
  nng_stats_free(all);
  return history;
}

std::string NngDialHistory::Describe() const {
  const std::array<std::pair<uint64_t, const char*>, 5> parts = {{
      {refused, "refused"},
      {timeout, "timed out"},
      {auth, "TLS authentication"},
      {proto, "handshake (SP or TLS)"},
      {other, "other (unreachable, or closed by the peer)"},
  }};
  std::string out;
  for (const auto& [count, what] : parts) {
    if (count == 0) continue;
    out += out.empty() ? "failed attempts: " : ", ";
    out += std::to_string(count) + " " + what;
  }
  return out;
}

transport::TransportErrorKind NngDialHistory::Kind(bool tls) const noexcept {
  if (auth > 0 || (tls && proto > 0)) return transport::TransportErrorKind::kTls;
  if (refused > 0 || other > 0) return transport::TransportErrorKind::kRefused;
  if (timeout > 0) return transport::TransportErrorKind::kTimeout;
  return transport::TransportErrorKind::kRefused;
}

}  // namespace optimystic::plugins::transport_nng
