// SPDX-License-Identifier: Apache-2.0
// PluginHost: the HostServices handed to one plugin: the node's metrics, clock, data dir and
// peer id, and a logger that prefixes the plugin's id. Thread-safety: read-only after
// construction; every accessor may be called from any thread.
#pragma once

#include <optimystic/host/host_services.h>

#include <string>

#include "runtime/logging/spdlog_logger.h"

namespace optimystic::server {

class PluginHost final : public host::HostServices {
 public:
  PluginHost(runtime::logging::LogOutput& log, std::string component,
             metrics::MetricsRegistry& metrics, const time::Clock& clock, std::string data_dir,
             std::string peer_id)
      : logger_(log, std::move(component)),
        metrics_(metrics),
        clock_(clock),
        data_dir_(std::move(data_dir)),
        peer_id_(std::move(peer_id)) {}

  logging::Logger& logger() noexcept override { return logger_; }
  metrics::MetricsRegistry& metrics() noexcept override { return metrics_; }
  const time::Clock& clock() noexcept override { return clock_; }
  std::string_view data_dir() const noexcept override { return data_dir_; }
  std::string_view peer_id() const noexcept override { return peer_id_; }

 private:
  runtime::logging::ComponentLogger logger_;
  metrics::MetricsRegistry& metrics_;
  const time::Clock& clock_;
  std::string data_dir_;
  std::string peer_id_;
};

}  // namespace optimystic::server
