// SPDX-License-Identifier: Apache-2.0
// Helpers for the wire protocol tests: hex in and out, and a Clock that reads a settable time.
// Thread-safety: FixedClock may be read from several threads while no test changes it.
// Errors: FromHex aborts the test on malformed hex (a mistake in the test itself).
#pragma once

#include <optimystic/block/value.h>
#include <optimystic/collections/action.h>
#include <optimystic/time/clock.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace optimystic::cluster::wire::test {

inline std::string Hex(std::string_view bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x", c);
    out += buf;
  }
  return out;
}

// Bytes from hex digits; spaces are ignored.
inline std::string FromHex(std::string_view hex) {
  std::string digits;
  for (char c : hex) {
    if (c != ' ') {
      digits += c;
    }
  }
  EXPECT_EQ(digits.size() % 2, 0u) << hex;
  std::string out;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// An action with only a type and data, as a client sends it.
inline collections::Action MakeAction(std::string type, block::Value data) {
  collections::Action action;
  action.type = std::move(type);
  action.data = std::move(data);
  return action;
}

class FixedClock final : public time::Clock {
 public:
  explicit FixedClock(int64_t now_unix_ms) : now_unix_ms_(now_unix_ms) {}
  int64_t NowUnixMs() const noexcept override { return now_unix_ms_.load(); }
  int64_t SteadyNs() const noexcept override { return now_unix_ms_.load() * 1000000; }
  void Set(int64_t now_unix_ms) { now_unix_ms_.store(now_unix_ms); }

 private:
  std::atomic<int64_t> now_unix_ms_;
};

}  // namespace optimystic::cluster::wire::test
