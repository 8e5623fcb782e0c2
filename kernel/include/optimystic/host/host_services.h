// SPDX-License-Identifier: Apache-2.0
// HostServices: what the node hands to every plugin factory: its log, its metrics, its clock
// and where it keeps data. Everything a plugin needs from outside itself comes through here, so
// a plugin touches no process globals.
// OWNERSHIP: the host owns this object and everything it returns; it outlives every object a
// plugin factory creates. Thread-safety: every accessor may be called from any thread.
#pragma once

#include <optimystic/logging/logger.h>
#include <optimystic/metrics/metrics.h>
#include <optimystic/time/clock.h>

#include <string_view>

namespace optimystic::host {

class HostServices {
 public:
  virtual logging::Logger& logger() noexcept = 0;
  virtual metrics::MetricsRegistry& metrics() noexcept = 0;
  virtual const time::Clock& clock() noexcept = 0;
  // The node's data directory (node.data_dir), absolute. A plugin keeps its files below it
  // unless its settings name another place.
  virtual std::string_view data_dir() const noexcept = 0;
  // The node's stable peer id.
  virtual std::string_view peer_id() const noexcept = 0;

 protected:
  ~HostServices() = default;
};

}  // namespace optimystic::host
