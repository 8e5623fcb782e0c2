// SPDX-License-Identifier: Apache-2.0
// LogOutput and ComponentLogger: the node's log, on spdlog. One line per event, in the form
//   2026-11-24T14:43:05.123Z info peer=<peer id> <component>: <message>
// written to standard error. LogOutput owns the spdlog sink; every component (the server, each
// plugin) logs through its own ComponentLogger, which is the SDK Logger handed to plugins.
// Thread-safety: every method may be called from any thread. Errors: none are reported; a line
// spdlog cannot write is dropped.
#pragma once

#include <optimystic/logging/logger.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
}

namespace optimystic::runtime::logging {

using optimystic::logging::LogLevel;

class LogOutput {
 public:
  explicit LogOutput(LogLevel level);
  ~LogOutput();
  LogOutput(const LogOutput&) = delete;
  LogOutput& operator=(const LogOutput&) = delete;

  void set_level(LogLevel level) noexcept;
  LogLevel level() const noexcept { return level_.load(std::memory_order_relaxed); }
  // Set once the peer id is known; lines before it say "peer=-".
  void set_peer_id(std::string_view peer_id);
  void Write(LogLevel level, std::string_view component, std::string_view message) noexcept;

 private:
  std::atomic<LogLevel> level_;
  std::shared_ptr<std::string> peer_id_;  // replaced whole, read with atomic_load
  std::shared_ptr<spdlog::logger> logger_;
};

class ComponentLogger final : public optimystic::logging::Logger {
 public:
  ComponentLogger(LogOutput& output, std::string component)
      : output_(output), component_(std::move(component)) {}

  void Log(LogLevel level, std::string_view message) noexcept override {
    output_.Write(level, component_, message);
  }
  bool Enabled(LogLevel level) const noexcept override {
    return level >= output_.level() && level != LogLevel::kOff;
  }

 private:
  LogOutput& output_;
  std::string component_;
};

}  // namespace optimystic::runtime::logging
