// SPDX-License-Identifier: Apache-2.0
#include "runtime/logging/spdlog_logger.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace optimystic::runtime::logging {

namespace {
spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}
}  // namespace

LogOutput::LogOutput(LogLevel level)
    : level_(level), peer_id_(std::make_shared<std::string>("-")) {
  // A private logger, not registered in spdlog's global registry: no process globals.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  logger_ = std::make_shared<spdlog::logger>("optimystic", std::move(sink));
  logger_->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  logger_->set_level(spdlog::level::trace);  // filtering happens in Write
  logger_->flush_on(spdlog::level::trace);   // one event, one line, visible at once
}

LogOutput::~LogOutput() = default;

void LogOutput::set_level(LogLevel level) noexcept { level_.store(level, std::memory_order_relaxed); }

void LogOutput::set_peer_id(std::string_view peer_id) {
  std::atomic_store(&peer_id_, std::make_shared<std::string>(peer_id));
}

void LogOutput::Write(LogLevel level, std::string_view component,
                      std::string_view message) noexcept {
  if (level == LogLevel::kOff || level < this->level()) return;
  try {
    auto peer = std::atomic_load(&peer_id_);
    logger_->log(ToSpd(level), "peer={} {}: {}", *peer, component, message);
  } catch (...) {
    // fmt may throw on allocation failure; a log line is not worth a crash.
  }
}

}  // namespace optimystic::runtime::logging
