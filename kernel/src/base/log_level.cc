// SPDX-License-Identifier: Apache-2.0
#include <optimystic/logging/logger.h>

#include <array>
#include <utility>

namespace optimystic::logging {

namespace {
constexpr std::array<std::pair<std::string_view, LogLevel>, 6> kLevels{{
    {"trace", LogLevel::kTrace},
    {"debug", LogLevel::kDebug},
    {"info", LogLevel::kInfo},
    {"warn", LogLevel::kWarn},
    {"error", LogLevel::kError},
    {"off", LogLevel::kOff},
}};
}  // namespace

std::string_view LogLevelName(LogLevel level) noexcept {
  for (const auto& [name, l] : kLevels) {
    if (l == level) return name;
  }
  return "unknown";
}

bool ParseLogLevel(std::string_view name, LogLevel* level) noexcept {
  for (const auto& [n, l] : kLevels) {
    if (n == name) {
      *level = l;
      return true;
    }
  }
  return false;
}

}  // namespace optimystic::logging
