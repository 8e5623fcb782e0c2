// SPDX-License-Identifier: Apache-2.0
#include "runtime/config/node_config.h"

#include "runtime/config/config_override.h"
#include "runtime/config/yaml_document.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <string_view>
#include <system_error>
#include <utility>

namespace optimystic::runtime::config {
namespace {

using Kind = SettingsNode::Kind;

constexpr std::string_view kDefaultLogLevel = "info";

// [a-z][a-z0-9_]*: the <name> of a plugin id "<kind>.<name>".
bool IsPluginName(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// [A-Za-z0-9_.-]+: collection, collection type and resolver names.
bool IsEntityName(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// An IPv4 literal, or a hostname [A-Za-z0-9.-]+ that does not look like a broken IPv4 literal.
bool IsHost(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  bool digits_and_dots = true;
  for (char c : s) {
    if (!IsAlnum(c) && c != '.' && c != '-') {
      return false;
    }
    digits_and_dots = digits_and_dots && ((c >= '0' && c <= '9') || c == '.');
  }
  if (!digits_and_dots) {
    return true;
  }
  in_addr addr{};
  return inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
}

bool IsIpv6(std::string_view s) {
  in6_addr addr{};
  return !s.empty() && inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

bool IsPort(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return false;
  }
  uint32_t port = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  return port <= 65535;
}

bool IsHostPort(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return false;
    }
    return IsIpv6(s.substr(1, close - 1)) && IsPort(s.substr(close + 2));
  }
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  return IsHost(s.substr(0, colon)) && IsPort(s.substr(colon + 1));
}

bool IsUrl(std::string_view s) {
  for (std::string_view scheme : {"tcp://", "tls+tcp://"}) {
    if (s.substr(0, scheme.size()) == scheme) {
      return IsHostPort(s.substr(scheme.size()));
    }
  }
  constexpr std::string_view kIpc = "ipc://";
  if (s.substr(0, kIpc.size()) == kIpc) {
    std::string_view path = s.substr(kIpc.size());
    return path.size() > 1 && path.front() == '/';
  }
  return false;
}

// "'text'", "a list", "a map" or "nothing", for type errors.
std::string Describe(const Settings& s) {
  switch (s.kind()) {
    case Kind::kScalar:
      return "'" + s.AsString().value_or(std::string()) + "'";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a map";
    case Kind::kNull:
      break;
  }
  return "nothing";
}

// A plugin's settings block: not validated here (the plugin's factory does that), only a map.
Status CheckSettingsBlock(const Settings& s) {
  if (!s.present() || s.is_map()) {
    return Status::Ok();
  }
  return s.Error("expected a map, got " + Describe(s));
}

Status CheckPluginName(const Settings& where, const std::string& name) {
  if (IsPluginName(name)) {
    return Status::Ok();
  }
  return where.Error("bad plugin name '" + name +
                     "': expected lower-case letters, digits and '_', starting with a letter");
}

Status CheckEntityName(const Settings& where, const std::string& name) {
  if (IsEntityName(name)) {
    return Status::Ok();
  }
  return where.Error("bad name '" + name + "': expected letters, digits, '_', '.' or '-'");
}

// `value` made absolute against `base_dir` and lexically normal, without a trailing '/'.
Result<std::string> ResolvePath(const Settings& where, const std::string& value,
                                const std::string& base_dir) {
  if (value.empty()) {
    return where.Error("expected a path, got an empty string");
  }
  std::filesystem::path path(value);
  if (path.is_relative()) {
    path = std::filesystem::path(base_dir) / path;
  }
  std::string out = path.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

// An absolute, lexically normal folder; the current directory when `dir` is empty.
Result<std::string> AbsoluteDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path path =
      dir.empty() ? std::filesystem::current_path(ec) : std::filesystem::absolute(dir, ec);
  if (ec) {
    return Status::InvalidArgument("cannot resolve folder '" + dir + "': " + ec.message());
  }
  std::string out = path.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  return out;
}

Result<uint32_t> GetIntInRange(const Settings& section, std::string_view key, uint32_t fallback,
                               int64_t min, int64_t max) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(int64_t value, section.GetInt(key, fallback));
  if (value < min || value > max) {
    return section.Get(key).Error("expected an integer from " + std::to_string(min) + " to " +
                                  std::to_string(max) + ", got " + std::to_string(value));
  }
  return static_cast<uint32_t>(value);
}

Result<std::string> ReadFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return Status::InvalidArgument("cannot read config file '" + path +
                                   "': " + std::strerror(errno));
  }
  std::string text;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    text.append(buffer, n);
  }
  const int error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (error != 0) {
    return Status::InvalidArgument("cannot read config file '" + path +
                                   "': " + std::strerror(error));
  }
  return text;
}

// Reads the sections of a validated-as-a-map document into a NodeConfig.
class SchemaReader {
 public:
  explicit SchemaReader(NodeConfig config) : config_(std::move(config)) {}

  Result<NodeConfig> Read(const Settings& root) {
    OPTIMYSTIC_RETURN_IF_ERROR(root.CheckKeys(
        {"node", "plugins", "storage", "transport", "metrics", "collections", "cluster"}));
    OPTIMYSTIC_RETURN_IF_ERROR(ReadNode(root.Get("node")));
    OPTIMYSTIC_RETURN_IF_ERROR(ReadPlugins(root.Get("plugins")));
    OPTIMYSTIC_RETURN_IF_ERROR(ReadStorage(root.Get("storage")));
    OPTIMYSTIC_RETURN_IF_ERROR(ReadTransport(root.Get("transport")));
    OPTIMYSTIC_RETURN_IF_ERROR(ReadMetrics(root.Get("metrics")));
    OPTIMYSTIC_RETURN_IF_ERROR(ReadCollections(root.Get("collections")));
    OPTIMYSTIC_RETURN_IF_ERROR(ReadCluster(root.Get("cluster")));
    return std::move(config_);
  }

 private:
  Status ReadNode(const Settings& s) {
    OPTIMYSTIC_RETURN_IF_ERROR(s.CheckKeys({"id", "data_dir", "log_level", "fault_injection"}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.node_id, s.GetString("id", ""));
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string data_dir, s.RequireString("data_dir"));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.data_dir,
                                ResolvePath(s.Get("data_dir"), data_dir, config_.base_dir));
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string level, s.GetString("log_level", kDefaultLogLevel));
    if (!logging::ParseLogLevel(level, &config_.log_level)) {
      return s.Get("log_level")
          .Error("unknown log level '" + level +
                 "' (allowed: trace, debug, info, warn, error, off)");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.fault_injection, s.GetBool("fault_injection", false));
    return Status::Ok();
  }

  Status ReadPlugins(const Settings& s) {
    OPTIMYSTIC_RETURN_IF_ERROR(s.CheckKeys({"dirs", "include_builtin"}));
    const Settings dirs = s.Get("dirs");
    if (dirs.present()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> list, dirs.AsStringList());
      for (size_t i = 0; i < list.size(); ++i) {
        OPTIMYSTIC_ASSIGN_OR_RETURN(std::string dir,
                                    ResolvePath(dirs.At(i), list[i], config_.base_dir));
        config_.plugin_dirs.push_back(std::move(dir));
      }
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.include_builtin_plugins,
                                s.GetBool("include_builtin", true));
    return Status::Ok();
  }

  Status ReadStorage(const Settings& s) {
    OPTIMYSTIC_RETURN_IF_ERROR(s.CheckKeys({"plugin", "settings"}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.storage_plugin, s.RequireString("plugin"));
    OPTIMYSTIC_RETURN_IF_ERROR(CheckPluginName(s.Get("plugin"), config_.storage_plugin));
    return CheckSettingsBlock(s.Get("settings"));
  }

  Status ReadTransport(const Settings& s) {
    if (!s.present()) {
      return Status::Ok();
    }
    OPTIMYSTIC_RETURN_IF_ERROR(s.CheckKeys({"plugin", "listen", "settings"}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.transport_plugin, s.RequireString("plugin"));
    OPTIMYSTIC_RETURN_IF_ERROR(CheckPluginName(s.Get("plugin"), config_.transport_plugin));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.transport_listen, s.RequireString("listen"));
    OPTIMYSTIC_RETURN_IF_ERROR(ValidateUrl(s.Get("listen"), config_.transport_listen));
    return CheckSettingsBlock(s.Get("settings"));
  }

  Status ReadMetrics(const Settings& s) {
    OPTIMYSTIC_RETURN_IF_ERROR(s.CheckKeys({"enabled", "listen"}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.metrics_enabled, s.GetBool("enabled", true));
    const std::string fallback = NodeConfig().metrics_listen;
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.metrics_listen, s.GetString("listen", fallback));
    return ValidateHostPort(s.Get("listen"), config_.metrics_listen);
  }

  Status ReadCollections(const Settings& s) {
    OPTIMYSTIC_RETURN_IF_ERROR(s.CheckKeys({"types", "resolvers"}));
    const Settings types = s.Get("types");
    OPTIMYSTIC_RETURN_IF_ERROR(CheckSettingsBlock(types));
    for (const std::string& name : types.Keys()) {
      const Settings type = types.Get(name);
      OPTIMYSTIC_RETURN_IF_ERROR(CheckEntityName(type, name));
      OPTIMYSTIC_RETURN_IF_ERROR(type.CheckKeys({"resolver", "settings"}));
      CollectionTypeConfig options;
      OPTIMYSTIC_ASSIGN_OR_RETURN(options.resolver, type.GetString("resolver", ""));
      if (type.Get("resolver").present()) {
        OPTIMYSTIC_RETURN_IF_ERROR(CheckEntityName(type.Get("resolver"), options.resolver));
      }
      OPTIMYSTIC_RETURN_IF_ERROR(CheckSettingsBlock(type.Get("settings")));
      config_.collection_types[name] = std::move(options);
    }
    const Settings resolvers = s.Get("resolvers");
    OPTIMYSTIC_RETURN_IF_ERROR(CheckSettingsBlock(resolvers));
    for (const std::string& name : resolvers.Keys()) {
      const Settings resolver = resolvers.Get(name);
      OPTIMYSTIC_RETURN_IF_ERROR(CheckEntityName(resolver, name));
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::string value, resolver.AsString());
      OPTIMYSTIC_RETURN_IF_ERROR(CheckEntityName(resolver, value));
      config_.collection_resolvers[name] = std::move(value);
    }
    return Status::Ok();
  }

  Status ReadCluster(const Settings& s) {
    OPTIMYSTIC_RETURN_IF_ERROR(s.CheckKeys({"replication", "virtual_nodes", "seeds", "advertise",
                                            "probe_interval_ms", "down_after_ms",
                                            "promise_quorum", "round_timeout_ms",
                                            "anti_entropy_ms", "read_repair", "leave_on_shutdown",
                                            "leave_timeout_ms", "replace_after_ms"}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        config_.cluster_replication,
        GetIntInRange(s, "replication", 1, 1, std::numeric_limits<uint32_t>::max()));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_virtual_nodes,
                                GetIntInRange(s, "virtual_nodes", 128, 1, 4096));
    const Settings seeds = s.Get("seeds");
    if (seeds.present()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_seeds, seeds.AsStringList());
      for (size_t i = 0; i < config_.cluster_seeds.size(); ++i) {
        OPTIMYSTIC_RETURN_IF_ERROR(ValidateUrl(seeds.At(i), config_.cluster_seeds[i]));
      }
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_advertise, s.GetString("advertise", ""));
    if (!config_.cluster_advertise.empty()) {
      OPTIMYSTIC_RETURN_IF_ERROR(ValidateUrl(s.Get("advertise"), config_.cluster_advertise));
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_probe_interval_ms,
                                GetIntInRange(s, "probe_interval_ms", 1000, 50, 60'000));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_down_after_ms,
                                GetIntInRange(s, "down_after_ms", 3000, 100, 600'000));
    if (config_.cluster_down_after_ms < config_.cluster_probe_interval_ms) {
      return s.Get("down_after_ms")
          .Error("must be at least probe_interval_ms (" +
                 std::to_string(config_.cluster_probe_interval_ms) + ")");
    }
    if (!config_.cluster_seeds.empty() && config_.transport_plugin.empty()) {
      return s.Get("seeds").Error("a node with seeds needs a transport (transport.plugin)");
    }
    // Consensus quorums (docs/operations.md): a promise quorum of at most a simple majority would
    // let two rival commits both gather promises, so it must be more than half.
    const uint32_t n = config_.cluster_replication;
    const auto promise_default = static_cast<uint32_t>(std::max<int64_t>(n / 2 + 1, (3 * int64_t{n} + 3) / 4));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        config_.cluster_promise_quorum,
        GetIntInRange(s, "promise_quorum", promise_default, n / 2 + 1, std::max<uint32_t>(n, 1)));
    config_.cluster_promise_quorum_set = s.Get("promise_quorum").present();
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_round_timeout_ms,
                                GetIntInRange(s, "round_timeout_ms", 10'000, 1000, 600'000));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_anti_entropy_ms,
                                GetIntInRange(s, "anti_entropy_ms", 30'000, 0, 86'400'000));
    if (config_.cluster_anti_entropy_ms > 0 && config_.cluster_anti_entropy_ms < 100) {
      return s.Get("anti_entropy_ms").Error("must be 0 (off) or at least 100");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_read_repair, s.GetBool("read_repair", true));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_leave_on_shutdown,
                                s.GetBool("leave_on_shutdown", false));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_leave_timeout_ms,
                                GetIntInRange(s, "leave_timeout_ms", 300'000, 1000, 86'400'000));
    OPTIMYSTIC_ASSIGN_OR_RETURN(config_.cluster_replace_after_ms,
                                GetIntInRange(s, "replace_after_ms", 300'000, 0, 604'800'000));
    if (config_.cluster_replace_after_ms > 0 &&
        config_.cluster_replace_after_ms < config_.cluster_down_after_ms) {
      return s.Get("replace_after_ms")
          .Error("must be 0 (never) or at least down_after_ms (" +
                 std::to_string(config_.cluster_down_after_ms) + ")");
    }
    return Status::Ok();
  }

  NodeConfig config_;
};

// Builders for the printed document.
SettingsNode Plain(std::string text) {
  SettingsNode node;
  node.kind = Kind::kScalar;
  node.scalar = std::move(text);
  return node;
}

SettingsNode Bool(bool value) { return Plain(value ? "true" : "false"); }

SettingsNode List(const std::vector<std::string>& items) {
  SettingsNode node;
  node.kind = Kind::kSequence;
  for (const std::string& item : items) {
    node.children.emplace_back(std::string(), Plain(item));
  }
  return node;
}

SettingsNode Map(std::initializer_list<optimystic::config::SettingsEntry> entries) {
  SettingsNode node;
  node.kind = Kind::kMap;
  node.children.assign(entries.begin(), entries.end());
  return node;
}

// `map` plus `key: <source>` when `source` (a settings block in the document) is present.
SettingsNode WithBlock(SettingsNode map, const std::string& key, const SettingsNode* source) {
  if (source != nullptr && source->kind != Kind::kNull) {
    map.children.emplace_back(key, *source);
  }
  return map;
}

const SettingsNode* Lookup(const SettingsNode* node, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    node = node == nullptr ? nullptr : node->Find(key);
  }
  return node;
}

SettingsNode PrintedCollections(const NodeConfig& config) {
  SettingsNode types = Map({});
  for (const auto& [name, options] : config.collection_types) {
    SettingsNode type = Map({});
    if (!options.resolver.empty()) {
      type.children.emplace_back("resolver", Plain(options.resolver));
    }
    types.children.emplace_back(
        name, WithBlock(std::move(type), "settings",
                        Lookup(config.root.get(), {"collections", "types", name, "settings"})));
  }
  SettingsNode resolvers = Map({});
  for (const auto& [name, resolver] : config.collection_resolvers) {
    resolvers.children.emplace_back(name, Plain(resolver));
  }
  return Map({{"types", std::move(types)}, {"resolvers", std::move(resolvers)}});
}

}  // namespace

Settings NodeConfig::StorageSettings() const { return View("storage.settings"); }

Settings NodeConfig::TransportSettings() const { return View("transport.settings"); }

Settings NodeConfig::CollectionTypeSettings(const std::string& type) const {
  // Type names may contain '.', so this does not go through View().
  return Settings(root.get(), "", file).Get("collections").Get("types").Get(type).Get("settings");
}

Settings NodeConfig::View(const std::string& dotted_path) const {
  Settings view(root.get(), "", file);
  size_t start = 0;
  while (start < dotted_path.size()) {
    size_t dot = dotted_path.find('.', start);
    if (dot == std::string::npos) {
      dot = dotted_path.size();
    }
    view = view.Get(std::string_view(dotted_path).substr(start, dot - start));
    start = dot + 1;
  }
  return view;
}

Status ValidateHostPort(const Settings& where, const std::string& value) {
  if (IsHostPort(value)) {
    return Status::Ok();
  }
  return where.Error("bad address '" + value + "': expected host:port");
}

Status ValidateUrl(const Settings& where, const std::string& value) {
  if (IsUrl(value)) {
    return Status::Ok();
  }
  return where.Error("bad URL '" + value +
                     "': expected tcp://host:port, tls+tcp://host:port or ipc:///absolute/path");
}

Result<NodeConfig> ParseNodeConfig(const std::string& yaml_text, const std::string& name,
                                   const std::string& base_dir,
                                   const std::vector<std::string>& overrides) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string absolute_base, AbsoluteDir(base_dir));
  OPTIMYSTIC_ASSIGN_OR_RETURN(SettingsNode document, ParseYamlDocument(yaml_text, name));
  if (document.kind != Kind::kMap) {
    return Settings(&document, "", name).Error("expected a map of sections at the top level");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(document, ApplyOverrides(std::move(document), overrides, name));
  NodeConfig config;
  config.file = name;
  config.base_dir = std::move(absolute_base);
  config.root = std::make_shared<const SettingsNode>(std::move(document));
  // The views point at `name` and `*root`, both of which outlive the reader.
  const Settings root(config.root.get(), "", name);
  return SchemaReader(std::move(config)).Read(root);
}

Result<NodeConfig> LoadNodeConfig(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  const std::string folder = std::filesystem::path(path).parent_path().string();
  return ParseNodeConfig(text, path, folder, overrides);
}

std::string PrintNodeConfig(const NodeConfig& config) {
  const SettingsNode* root = config.root.get();
  SettingsNode storage = WithBlock(Map({{"plugin", Plain(config.storage_plugin)}}), "settings",
                                   Lookup(root, {"storage", "settings"}));
  SettingsNode document = Map({
      {"node", Map({{"id", Plain(config.node_id)},
                    {"data_dir", Plain(config.data_dir)},
                    {"log_level", Plain(std::string(logging::LogLevelName(config.log_level)))},
                    {"fault_injection", Bool(config.fault_injection)}})},
      {"plugins", Map({{"dirs", List(config.plugin_dirs)},
                       {"include_builtin", Bool(config.include_builtin_plugins)}})},
      {"storage", std::move(storage)},
  });
  if (!config.transport_plugin.empty()) {
    SettingsNode transport = Map(
        {{"plugin", Plain(config.transport_plugin)}, {"listen", Plain(config.transport_listen)}});
    document.children.emplace_back("transport", WithBlock(std::move(transport), "settings",
                                                          Lookup(root, {"transport", "settings"})));
  }
  document.children.emplace_back("metrics", Map({{"enabled", Bool(config.metrics_enabled)},
                                                 {"listen", Plain(config.metrics_listen)}}));
  document.children.emplace_back("collections", PrintedCollections(config));
  SettingsNode cluster =
      Map({{"replication", Plain(std::to_string(config.cluster_replication))},
           {"virtual_nodes", Plain(std::to_string(config.cluster_virtual_nodes))},
           {"seeds", List(config.cluster_seeds)},
           {"probe_interval_ms", Plain(std::to_string(config.cluster_probe_interval_ms))},
           {"down_after_ms", Plain(std::to_string(config.cluster_down_after_ms))},
           {"promise_quorum", Plain(std::to_string(config.cluster_promise_quorum))},
           {"round_timeout_ms", Plain(std::to_string(config.cluster_round_timeout_ms))},
           {"anti_entropy_ms", Plain(std::to_string(config.cluster_anti_entropy_ms))},
           {"read_repair", Bool(config.cluster_read_repair)},
           {"leave_on_shutdown", Bool(config.cluster_leave_on_shutdown)},
           {"leave_timeout_ms", Plain(std::to_string(config.cluster_leave_timeout_ms))},
           {"replace_after_ms", Plain(std::to_string(config.cluster_replace_after_ms))}});
  if (!config.cluster_advertise.empty()) {
    cluster.children.emplace_back("advertise", Plain(config.cluster_advertise));
  }
  document.children.emplace_back("cluster", std::move(cluster));
  return "# Effective configuration: defaults filled in, paths resolved.\n" + EmitYaml(document);
}

}  // namespace optimystic::runtime::config
