// SPDX-License-Identifier: Apache-2.0
// Logger: the levelled log the host hands to plugins. One call is one line; the host adds the
// time, level, peer id and the plugin's name. Thread-safety: Log may be called from any thread.
// Errors: logging never fails visibly; a line that cannot be written is dropped.
#pragma once

#include <cstdint>
#include <string_view>

namespace optimystic::logging {

enum class LogLevel : uint8_t { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4, kOff = 5 };

// "trace", "debug", "info", "warn", "error", "off".
std::string_view LogLevelName(LogLevel level) noexcept;
// The level named `name`, or false when the name is none of the above.
bool ParseLogLevel(std::string_view name, LogLevel* level) noexcept;

class Logger {
 public:
  virtual void Log(LogLevel level, std::string_view message) noexcept = 0;
  virtual bool Enabled(LogLevel level) const noexcept = 0;

 protected:
  ~Logger() = default;  // owned by the host
};

}  // namespace optimystic::logging
