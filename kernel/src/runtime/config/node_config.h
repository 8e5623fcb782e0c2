// SPDX-License-Identifier: Apache-2.0
// NodeConfig: the node's configuration, read from YAML (yaml-cpp stays inside this folder),
// overridden by `--set section.key=value`, validated against the schema documented in
// config/README.md, with relative paths resolved against the config file's folder.
// Thread-safety: a loaded NodeConfig is immutable and may be shared between threads.
// Errors: every error is InvalidArgument whose message names the file, line, column and YAML
// path, e.g. "node.yaml:7:13: metrics.listen: bad address '1.2.3': expected host:port".
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/config/settings.h>
#include <optimystic/logging/logger.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace optimystic::runtime::config {

using optimystic::config::Settings;
using optimystic::config::SettingsNode;

struct CollectionTypeConfig {
  std::string resolver;  // empty: the type's default resolver

  friend bool operator==(const CollectionTypeConfig&, const CollectionTypeConfig&) = default;
};

struct NodeConfig {
  std::string file;      // the config file as given (used in messages)
  std::string base_dir;  // absolute folder of the config file; relative paths resolve here

  // node
  std::string node_id;   // empty: generated once and kept in <data_dir>/peer_id
  std::string data_dir;  // absolute
  logging::LogLevel log_level = logging::LogLevel::kInfo;
  // Testing only (docs/faults.md): peer links can be cut at runtime ("debug.faults").
  bool fault_injection = false;

  // plugins
  std::vector<std::string> plugin_dirs;  // absolute, in order
  bool include_builtin_plugins = true;   // also scan the installation's plugin folder

  // storage
  std::string storage_plugin;  // short name, e.g. "memory" (plugin id storage.memory)

  // transport: optional until a transport plugin is configured
  std::string transport_plugin;  // empty: no transport, no client endpoint
  std::string transport_listen;  // URL, e.g. tcp://127.0.0.1:7400

  // metrics
  bool metrics_enabled = true;
  std::string metrics_listen = "127.0.0.1:9464";  // host:port; port 0 picks a free port

  // collections: type name -> options; collection name -> resolver override
  std::map<std::string, CollectionTypeConfig> collection_types;
  std::map<std::string, std::string> collection_resolvers;

  // cluster: placement and membership (cluster/membership)
  uint32_t cluster_replication = 1;
  uint32_t cluster_virtual_nodes = 128;  // cluster/ring kDefaultVirtualNodes
  std::vector<std::string> cluster_seeds;
  std::string cluster_advertise;  // the URL peers reach this node at; empty: the bound listen URL
  int64_t cluster_probe_interval_ms = 1000;
  int64_t cluster_down_after_ms = 3000;
  // Approvals a write needs from the peers of a block's cluster (docs/operations.md); default
  // ceil(0.75·replication), at least a simple majority.
  uint32_t cluster_promise_quorum = 1;
  // Whether the file sets promise_quorum. Unset, each round takes ceil(0.75·n) of its block's
  // cluster, which holds fewer than `replication` peers after a replacement.
  bool cluster_promise_quorum_set = false;
  // A consensus round's deadline: no peer votes on it after this (the coordinator's clock).
  int64_t cluster_round_timeout_ms = 10'000;
  // Between anti-entropy rounds (replication > 1): each compares block digests with every
  // reachable peer and repairs what this node is behind on. 0: no rounds.
  int64_t cluster_anti_entropy_ms = 30'000;
  // Read repair (replication > 1): a replicated get that finds a replica behind asks it to
  // repair the block from its other replicas.
  bool cluster_read_repair = true;
  // On SIGTERM, hand this node's ranges on and leave the cluster before stopping (as
  // `optimystic cluster leave` does), waiting at most leave_timeout_ms.
  bool cluster_leave_on_shutdown = false;
  int64_t cluster_leave_timeout_ms = 300'000;
  // A member every other one has seen down for this long is replaced by the next peers on the
  // ring (cluster/membership/membership.h). 0: never.
  int64_t cluster_replace_after_ms = 300'000;

  // The whole effective document (file + overrides), for plugin settings and --print-config.
  std::shared_ptr<const SettingsNode> root;

  // Views of the plugin settings blocks (absent views when not given). A view points into `root`
  // and `file`; it is valid while this NodeConfig lives and is not moved from.
  Settings StorageSettings() const;
  Settings TransportSettings() const;
  Settings CollectionTypeSettings(const std::string& type) const;
  // A view of any path in the document, e.g. "storage.settings".
  Settings View(const std::string& dotted_path) const;
};

// Reads `path`, applies `overrides` ("section.key=value", value parsed as YAML) in order, and
// validates. Missing file, YAML syntax errors, unknown keys, wrong types, missing required keys
// and bad addresses are all errors naming where.
Result<NodeConfig> LoadNodeConfig(const std::string& path,
                                  const std::vector<std::string>& overrides);

// The same from YAML text; `name` stands for the file in messages, `base_dir` resolves paths.
Result<NodeConfig> ParseNodeConfig(const std::string& yaml_text, const std::string& name,
                                   const std::string& base_dir,
                                   const std::vector<std::string>& overrides);

// The effective configuration as YAML, with every default filled in.
std::string PrintNodeConfig(const NodeConfig& config);

// Checks "host:port" (IPv4, [IPv6] or a hostname; port 0-65535).
Status ValidateHostPort(const Settings& where, const std::string& value);
// Checks a transport URL: tcp://host:port, tls+tcp://host:port or ipc:///path.
Status ValidateUrl(const Settings& where, const std::string& value);

}  // namespace optimystic::runtime::config
