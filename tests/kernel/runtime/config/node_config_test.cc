// SPDX-License-Identifier: Apache-2.0
#include "runtime/config/node_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::runtime::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Kind = SettingsNode::Kind;

constexpr std::string_view kMinimal =
    "node:\n"
    "  data_dir: /var/lib/optimystic\n"
    "storage:\n"
    "  plugin: memory\n";

Result<NodeConfig> Parse(std::string_view text, const std::vector<std::string>& overrides = {}) {
  return ParseNodeConfig(std::string(text), "node.yaml", "/etc/optimystic", overrides);
}

// The error message of `r`, or "<ok>" so that a success fails an EXPECT_EQ readably.
std::string ErrorOf(const Result<NodeConfig>& r) {
  return r ? std::string("<ok>") : std::string(r.error().message());
}

// Same content, positions and origins aside.
bool SameContent(const SettingsNode& a, const SettingsNode& b) {
  if (a.kind != b.kind || a.scalar != b.scalar || a.quoted != b.quoted ||
      a.children.size() != b.children.size()) {
    return false;
  }
  for (size_t i = 0; i < a.children.size(); ++i) {
    if (a.children[i].first != b.children[i].first ||
        !SameContent(a.children[i].second, b.children[i].second)) {
      return false;
    }
  }
  return true;
}

// The subtree at `path` in `config`'s document, or an empty node.
SettingsNode Subtree(const NodeConfig& config, std::initializer_list<std::string_view> path) {
  const SettingsNode* node = config.root.get();
  for (std::string_view key : path) {
    node = node == nullptr ? nullptr : node->Find(key);
  }
  return node == nullptr ? SettingsNode{} : *node;
}

void ExpectSameConfig(const NodeConfig& a, const NodeConfig& b) {
  EXPECT_EQ(a.node_id, b.node_id);
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.log_level, b.log_level);
  EXPECT_EQ(a.plugin_dirs, b.plugin_dirs);
  EXPECT_EQ(a.include_builtin_plugins, b.include_builtin_plugins);
  EXPECT_EQ(a.storage_plugin, b.storage_plugin);
  EXPECT_EQ(a.transport_plugin, b.transport_plugin);
  EXPECT_EQ(a.transport_listen, b.transport_listen);
  EXPECT_EQ(a.metrics_enabled, b.metrics_enabled);
  EXPECT_EQ(a.metrics_listen, b.metrics_listen);
  EXPECT_EQ(a.collection_types, b.collection_types);
  EXPECT_EQ(a.collection_resolvers, b.collection_resolvers);
  EXPECT_EQ(a.cluster_replication, b.cluster_replication);
  EXPECT_EQ(a.cluster_virtual_nodes, b.cluster_virtual_nodes);
  EXPECT_EQ(a.cluster_seeds, b.cluster_seeds);
  EXPECT_EQ(a.cluster_advertise, b.cluster_advertise);
  EXPECT_EQ(a.cluster_probe_interval_ms, b.cluster_probe_interval_ms);
  EXPECT_EQ(a.cluster_down_after_ms, b.cluster_down_after_ms);
  EXPECT_EQ(a.cluster_anti_entropy_ms, b.cluster_anti_entropy_ms);
  EXPECT_EQ(a.cluster_read_repair, b.cluster_read_repair);
  EXPECT_EQ(a.cluster_leave_on_shutdown, b.cluster_leave_on_shutdown);
  EXPECT_EQ(a.cluster_leave_timeout_ms, b.cluster_leave_timeout_ms);
  EXPECT_EQ(a.cluster_replace_after_ms, b.cluster_replace_after_ms);
  EXPECT_EQ(a.fault_injection, b.fault_injection);
  EXPECT_TRUE(
      SameContent(Subtree(a, {"storage", "settings"}), Subtree(b, {"storage", "settings"})));
  EXPECT_TRUE(
      SameContent(Subtree(a, {"transport", "settings"}), Subtree(b, {"transport", "settings"})));
  for (const auto& [type, options] : a.collection_types) {
    EXPECT_TRUE(SameContent(Subtree(a, {"collections", "types", type, "settings"}),
                            Subtree(b, {"collections", "types", type, "settings"})))
        << type;
  }
}

constexpr std::string_view kFull =
    "node:\n"
    "  id: peer-1\n"
    "  data_dir: state/../db/\n"
    "  log_level: debug\n"
    "plugins:\n"
    "  dirs: [plugins, /opt/optimystic/plugins]\n"
    "  include_builtin: false\n"
    "storage:\n"
    "  plugin: rocksdb\n"
    "  settings:\n"
    "    block_cache_mb: 64\n"
    "    label: \"64\"\n"
    "    sync: true\n"
    "    nothing: ~\n"
    "    paths: [a, 'b c']\n"
    "    nested: {deep: {x: 1.5}}\n"
    "transport:\n"
    "  plugin: tcp\n"
    "  listen: tls+tcp://[::1]:7400\n"
    "  settings: {threads: 4}\n"
    "metrics:\n"
    "  enabled: false\n"
    "  listen: localhost:0\n"
    "collections:\n"
    "  types:\n"
    "    tree: {resolver: last_writer_wins, settings: {node_capacity: 64}}\n"
    "    diary:\n"
    "    counter: {settings: {start: 0}}\n"
    "  resolvers: {users: first_writer_wins, audit.log: last_writer_wins}\n"
    "cluster:\n"
    "  replication: 1\n"
    "  virtual_nodes: 256\n"
    "  seeds: [tcp://10.0.0.1:7400, ipc:///run/optimystic.sock]\n"
    "  advertise: tcp://10.0.0.9:7400\n"
    "  probe_interval_ms: 250\n"
    "  down_after_ms: 1500\n"
    "  anti_entropy_ms: 5000\n"
    "  read_repair: false\n"
    "  leave_on_shutdown: true\n"
    "  leave_timeout_ms: 60000\n"
    "  replace_after_ms: 20000\n";

TEST(NodeConfig, MinimalFileGetsEveryDefault) {
  auto config = Parse(kMinimal);
  ASSERT_TRUE(config) << ErrorOf(config);
  EXPECT_EQ(config->file, "node.yaml");
  EXPECT_EQ(config->base_dir, "/etc/optimystic");
  EXPECT_EQ(config->node_id, "");
  EXPECT_EQ(config->data_dir, "/var/lib/optimystic");
  EXPECT_EQ(config->log_level, logging::LogLevel::kInfo);
  EXPECT_TRUE(config->plugin_dirs.empty());
  EXPECT_TRUE(config->include_builtin_plugins);
  EXPECT_EQ(config->storage_plugin, "memory");
  EXPECT_EQ(config->transport_plugin, "");
  EXPECT_EQ(config->transport_listen, "");
  EXPECT_TRUE(config->metrics_enabled);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9464");
  EXPECT_TRUE(config->collection_types.empty());
  EXPECT_TRUE(config->collection_resolvers.empty());
  EXPECT_EQ(config->cluster_replication, 1u);
  EXPECT_EQ(config->cluster_virtual_nodes, 128u);
  EXPECT_TRUE(config->cluster_seeds.empty());
  EXPECT_EQ(config->cluster_anti_entropy_ms, 30'000);
  EXPECT_TRUE(config->cluster_read_repair);
  EXPECT_FALSE(config->cluster_leave_on_shutdown);
  EXPECT_EQ(config->cluster_leave_timeout_ms, 300'000);
  EXPECT_EQ(config->cluster_replace_after_ms, 300'000);
  EXPECT_FALSE(config->fault_injection);
  EXPECT_FALSE(config->StorageSettings().present());
  EXPECT_EQ(config->StorageSettings().path(), "storage.settings");
  EXPECT_FALSE(config->TransportSettings().present());
}

TEST(NodeConfig, ReadsEveryKey) {
  auto config = Parse(kFull);
  ASSERT_TRUE(config) << ErrorOf(config);
  EXPECT_EQ(config->node_id, "peer-1");
  EXPECT_EQ(config->data_dir, "/etc/optimystic/db");
  EXPECT_EQ(config->log_level, logging::LogLevel::kDebug);
  EXPECT_EQ(config->plugin_dirs,
            (std::vector<std::string>{"/etc/optimystic/plugins", "/opt/optimystic/plugins"}));
  EXPECT_FALSE(config->include_builtin_plugins);
  EXPECT_EQ(config->storage_plugin, "rocksdb");
  EXPECT_EQ(config->transport_plugin, "tcp");
  EXPECT_EQ(config->transport_listen, "tls+tcp://[::1]:7400");
  EXPECT_FALSE(config->metrics_enabled);
  EXPECT_EQ(config->metrics_listen, "localhost:0");
  ASSERT_EQ(config->collection_types.size(), 3u);
  EXPECT_EQ(config->collection_types.at("tree").resolver, "last_writer_wins");
  EXPECT_EQ(config->collection_types.at("diary").resolver, "");
  EXPECT_EQ(config->collection_resolvers,
            (std::map<std::string, std::string>{{"users", "first_writer_wins"},
                                                {"audit.log", "last_writer_wins"}}));
  EXPECT_EQ(config->cluster_replication, 1u);
  EXPECT_EQ(config->cluster_virtual_nodes, 256u);
  EXPECT_EQ(config->cluster_seeds,
            (std::vector<std::string>{"tcp://10.0.0.1:7400", "ipc:///run/optimystic.sock"}));
  EXPECT_EQ(config->cluster_advertise, "tcp://10.0.0.9:7400");
  EXPECT_EQ(config->cluster_probe_interval_ms, 250);
  EXPECT_EQ(config->cluster_down_after_ms, 1500);
  EXPECT_EQ(config->cluster_anti_entropy_ms, 5000);
  EXPECT_FALSE(config->cluster_read_repair);
  EXPECT_TRUE(config->cluster_leave_on_shutdown);
  EXPECT_EQ(config->cluster_leave_timeout_ms, 60'000);
  EXPECT_EQ(config->cluster_replace_after_ms, 20'000);
  auto faulty = Parse("node: {data_dir: /d, fault_injection: true}\nstorage: {plugin: memory}\n");
  ASSERT_TRUE(faulty) << ErrorOf(faulty);
  EXPECT_TRUE(faulty->fault_injection);
}

TEST(NodeConfig, PromiseQuorumDefaultsToThreeQuartersOfTheCluster) {
  const std::string with_transport =
      std::string(kMinimal) + "transport: {plugin: tcp, listen: 'tcp://127.0.0.1:0'}\n";
  for (auto [replication, quorum] : {std::pair{1u, 1u}, {2u, 2u}, {3u, 3u}, {4u, 3u}, {5u, 4u},
                                     {7u, 6u}, {10u, 8u}}) {
    auto config = Parse(with_transport + "cluster: {replication: " + std::to_string(replication) +
                        "}\n");
    ASSERT_TRUE(config) << config.error().ToString();
    EXPECT_EQ(config->cluster_promise_quorum, quorum) << "replication " << replication;
    EXPECT_FALSE(config->cluster_promise_quorum_set);
    EXPECT_EQ(config->cluster_round_timeout_ms, 10'000);
  }
  auto lowered = Parse(with_transport + "cluster: {replication: 3, promise_quorum: 2}\n");
  ASSERT_TRUE(lowered) << lowered.error().ToString();
  EXPECT_EQ(lowered->cluster_promise_quorum, 2u);
  EXPECT_TRUE(lowered->cluster_promise_quorum_set);
}

TEST(NodeConfig, ClusterSettingsThatCannotWorkAreRefused) {
  const std::string with_transport =
      std::string(kMinimal) + "transport: {plugin: tcp, listen: 'tcp://127.0.0.1:0'}\n";
  EXPECT_TRUE(Parse(with_transport + "cluster: {replication: 3, seeds: [tcp://a:1]}\n"))
      << "replicated blocks across peers";
  EXPECT_TRUE(Parse(with_transport + "cluster: {replication: 3}\n")) << "a node of its own";
  // A promise quorum of half the cluster or less would let two rival commits gather promises.
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {replication: 4, promise_quorum: 2}\n")),
              HasSubstr("cluster.promise_quorum: expected an integer from 3 to 4, got 2"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {replication: 3, promise_quorum: 4}\n")),
              HasSubstr("cluster.promise_quorum: expected an integer from 2 to 3, got 4"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {round_timeout_ms: 10}\n")),
              HasSubstr("cluster.round_timeout_ms: expected an integer from 1000 to 600000"));
  EXPECT_THAT(ErrorOf(Parse(std::string(kMinimal) + "cluster: {seeds: [tcp://a:1]}\n")),
              HasSubstr("cluster.seeds: a node with seeds needs a transport"));
  EXPECT_THAT(
      ErrorOf(Parse(with_transport + "cluster: {probe_interval_ms: 1000, down_after_ms: 500}\n")),
      HasSubstr("cluster.down_after_ms: must be at least probe_interval_ms (1000)"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {probe_interval_ms: 10}\n")),
              HasSubstr("cluster.probe_interval_ms: expected an integer from 50 to 60000"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {advertise: 'h:1'}\n")),
              HasSubstr("cluster.advertise: bad URL 'h:1'"));
  auto off = Parse(with_transport + "cluster: {anti_entropy_ms: 0}\n");
  ASSERT_TRUE(off) << ErrorOf(off);
  EXPECT_EQ(off->cluster_anti_entropy_ms, 0);
  // A round every few milliseconds would do nothing but compare digests.
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {anti_entropy_ms: 50}\n")),
              HasSubstr("cluster.anti_entropy_ms: must be 0 (off) or at least 100"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {anti_entropy_ms: -1}\n")),
              HasSubstr("cluster.anti_entropy_ms: expected an integer from 0 to 86400000"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {read_repair: sometimes}\n")),
              HasSubstr("cluster.read_repair"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {leave_timeout_ms: 10}\n")),
              HasSubstr("cluster.leave_timeout_ms: expected an integer from 1000 to 86400000"));
  EXPECT_THAT(ErrorOf(Parse(with_transport + "cluster: {down_after_ms: 3000, replace_after_ms: 10}\n")),
              HasSubstr("cluster.replace_after_ms: must be 0 (never) or at least down_after_ms (3000)"));
  EXPECT_TRUE(Parse(with_transport + "cluster: {replace_after_ms: 0}\n"));
}

TEST(NodeConfig, PluginSettingsViewsNameFileLineAndPath) {
  auto config = Parse(kFull);
  ASSERT_TRUE(config) << ErrorOf(config);
  Settings storage = config->StorageSettings();
  EXPECT_EQ(*storage.GetInt("block_cache_mb", 0), 64);
  EXPECT_EQ(*storage.GetString("label", ""), "64");
  auto label = storage.GetInt("label", 0);
  ASSERT_FALSE(label);
  EXPECT_EQ(label.error().message(),
            "node.yaml:12:12: storage.settings.label: expected an integer, got '64'");
  auto missing = storage.Get("nested").Get("deep").RequireString("y");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(),
            "node.yaml:16:14: storage.settings.nested.deep.y: missing required key");
  EXPECT_EQ(*config->TransportSettings().GetInt("threads", 0), 4);
  EXPECT_EQ(*config->CollectionTypeSettings("tree").GetInt("node_capacity", 0), 64);
  EXPECT_FALSE(config->CollectionTypeSettings("diary").present());
  EXPECT_FALSE(config->CollectionTypeSettings("nope").present());
  EXPECT_DOUBLE_EQ(*config->View("storage.settings.nested.deep.x").AsDouble(), 1.5);
  EXPECT_TRUE(config->View("").is_map());
  EXPECT_EQ(config->View("metrics.listen").path(), "metrics.listen");
}

TEST(NodeConfig, RelativePathsResolveAgainstTheConfigFolder) {
  auto config = ParseNodeConfig(
      "node: {data_dir: ./a/../b/./c/}\nplugins: {dirs: [p, ../q, /abs//r/]}\n"
      "storage: {plugin: memory}\n",
      "x.yaml", "/srv/opt/conf/", {});
  ASSERT_TRUE(config) << ErrorOf(config);
  EXPECT_EQ(config->base_dir, "/srv/opt/conf");
  EXPECT_EQ(config->data_dir, "/srv/opt/conf/b/c");
  EXPECT_EQ(config->plugin_dirs,
            (std::vector<std::string>{"/srv/opt/conf/p", "/srv/opt/q", "/abs/r"}));
}

// A fresh folder under the system's temporary folder, removed at the end of the test.
struct ScopedDir {
  ScopedDir()
      : path(std::filesystem::temp_directory_path() /
             ("runtime_config_test_" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScopedDir() { std::filesystem::remove_all(path); }
  std::filesystem::path path;
};

TEST(NodeConfig, LoadResolvesAgainstTheFilesFolder) {
  ScopedDir dir;
  std::filesystem::create_directories(dir.path / "conf");
  const std::filesystem::path absolute = dir.path / "conf" / "node.yaml";
  {
    std::ofstream out(absolute);
    out << "node: {data_dir: ../state}\nstorage: {plugin: memory, settings: {size: huge}}\n";
  }
  // Given relative to the working directory, as on a command line.
  const std::string file = std::filesystem::relative(absolute).string();
  ASSERT_FALSE(std::filesystem::path(file).is_absolute());
  auto config = LoadNodeConfig(file, {"storage.settings.size=12"});
  ASSERT_TRUE(config) << ErrorOf(config);
  EXPECT_EQ(config->file, file);
  EXPECT_EQ(config->base_dir, (dir.path / "conf").lexically_normal().string());
  EXPECT_EQ(config->data_dir, (dir.path / "state").lexically_normal().string());
  EXPECT_EQ(*config->StorageSettings().GetInt("size", 0), 12);
}

TEST(NodeConfig, UnreadableFileIsAnError) {
  auto missing = LoadNodeConfig("/nonexistent/optimystic.yaml", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.error().message(),
            "cannot read config file '/nonexistent/optimystic.yaml': No such file or directory");
  auto folder = LoadNodeConfig(std::filesystem::temp_directory_path().string(), {});
  ASSERT_FALSE(folder);
  EXPECT_THAT(std::string(folder.error().message()), HasSubstr("Is a directory"));
}

TEST(NodeConfig, DocumentErrorsNamePlace) {
  EXPECT_EQ(ErrorOf(Parse("")), "node.yaml: empty configuration");
  EXPECT_EQ(ErrorOf(Parse("# only a comment\n")), "node.yaml: empty configuration");
  EXPECT_EQ(ErrorOf(Parse("node: a: b\n")), "node.yaml:1:8: YAML syntax error: illegal map value");
  EXPECT_EQ(ErrorOf(Parse("- node\n- storage\n")),
            "node.yaml:1:1: <root>: expected a map of sections at the top level");
  EXPECT_EQ(ErrorOf(Parse("node:\n  data_dir: /a\n  log_level: info\n  data_dir: /b\n")),
            "node.yaml:4:3: node.data_dir: duplicate key 'data_dir' (first at line 2)");
}

TEST(NodeConfig, UnknownKeysListTheAllowedOnes) {
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "storgae: {plugin: memory}\n")),
            "node.yaml:5:1: storgae: unknown key 'storgae' (allowed: node, plugins, storage, "
            "transport, metrics, collections, cluster)");
  EXPECT_EQ(ErrorOf(Parse("node:\n  data_dir: /d\n  colour: red\nstorage: {plugin: memory}\n")),
            "node.yaml:3:11: node.colour: unknown key 'colour' (allowed: id, data_dir, log_level, fault_injection)");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "metrics: {port: 9}\n")),
            "node.yaml:5:17: metrics.port: unknown key 'port' (allowed: enabled, listen)");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "collections: {types: {tree: {resolvr: x}}}\n")),
            "node.yaml:5:39: collections.types.tree.resolvr: unknown key 'resolvr' (allowed: "
            "resolver, settings)");
  // The plugin's own settings are left to the plugin.
  EXPECT_TRUE(Parse(std::string(kMinimal) + "  settings: {anything: [goes, here]}\n"));
}

TEST(NodeConfig, WrongTypesAreErrors) {
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "metrics:\n  enabled: maybe\n")),
            "node.yaml:6:12: metrics.enabled: expected true or false, got 'maybe'");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "cluster: {replication: two}\n")),
            "node.yaml:5:24: cluster.replication: expected an integer, got 'two'");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "plugins: {dirs: /opt}\n")),
            "node.yaml:5:17: plugins.dirs: expected a list of strings, got '/opt'");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "plugins: {dirs: [/opt, [x]]}\n")),
            "node.yaml:5:24: plugins.dirs[1]: expected a string, got a list");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "  settings: [a]\n")),
            "node.yaml:5:3: storage.settings: expected a map, got a list");
  EXPECT_EQ(ErrorOf(Parse("node: /d\nstorage: {plugin: memory}\n")),
            "node.yaml:1:7: node: expected a map, got '/d'");
  EXPECT_THAT(
      ErrorOf(Parse(std::string(kMinimal) + "collections: {types: {tree: {settings: 3}}}\n")),
      HasSubstr("collections.types.tree.settings: expected a map, got '3'"));
  EXPECT_THAT(ErrorOf(Parse(std::string(kMinimal) + "collections: {resolvers: {users: [a]}}\n")),
              HasSubstr("collections.resolvers.users: expected a string, got a list"));
  EXPECT_THAT(ErrorOf(Parse(std::string(kMinimal) + "metrics: {enabled: \"true\"}\n")),
              HasSubstr("metrics.enabled: expected true or false, got 'true'"));
}

TEST(NodeConfig, MissingRequiredKeysAreErrors) {
  EXPECT_EQ(ErrorOf(Parse("node: {data_dir: /d}\n")),
            "node.yaml:1:1: storage.plugin: missing required key");
  EXPECT_EQ(ErrorOf(Parse("storage: {plugin: memory}\n")),
            "node.yaml:1:1: node.data_dir: missing required key");
  EXPECT_EQ(ErrorOf(Parse("node:\n  data_dir:\nstorage: {plugin: memory}\n")),
            "node.yaml:2:3: node.data_dir: missing required key");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "transport:\n  plugin: tcp\n")),
            "node.yaml:5:1: transport.listen: missing required key");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "transport: {listen: \"tcp://h:1\"}\n")),
            "node.yaml:5:1: transport.plugin: missing required key");
  EXPECT_EQ(ErrorOf(Parse("node: {data_dir: \"\"}\nstorage: {plugin: memory}\n")),
            "node.yaml:1:18: node.data_dir: expected a path, got an empty string");
}

TEST(NodeConfig, BadValuesAreErrors) {
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "metrics:\n  listen: 1.2.3\n")),
            "node.yaml:6:11: metrics.listen: bad address '1.2.3': expected host:port");
  EXPECT_EQ(ErrorOf(Parse("node: {data_dir: /d, log_level: loud}\nstorage: {plugin: memory}\n")),
            "node.yaml:1:33: node.log_level: unknown log level 'loud' (allowed: trace, debug, "
            "info, warn, error, off)");
  EXPECT_EQ(ErrorOf(Parse("node: {data_dir: /d}\nstorage: {plugin: storage.memory}\n")),
            "node.yaml:2:19: storage.plugin: bad plugin name 'storage.memory': expected "
            "lower-case letters, digits and '_', starting with a letter");
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "transport: {plugin: tcp, listen: h:1}\n")),
            "node.yaml:5:34: transport.listen: bad URL 'h:1': expected tcp://host:port, "
            "tls+tcp://host:port or ipc:///absolute/path");
  EXPECT_THAT(ErrorOf(Parse(std::string(kMinimal) + "transport: {plugin: 9tcp, listen: x}\n")),
              HasSubstr("transport.plugin: bad plugin name '9tcp'"));
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "cluster: {replication: 0}\n")),
            "node.yaml:5:24: cluster.replication: expected an integer from 1 to 4294967295, "
            "got 0");
  EXPECT_THAT(ErrorOf(Parse(std::string(kMinimal) + "cluster: {virtual_nodes: 4097}\n")),
              HasSubstr("cluster.virtual_nodes: expected an integer from 1 to 4096, got 4097"));
  EXPECT_EQ(ErrorOf(Parse(std::string(kMinimal) + "cluster:\n  seeds:\n    - tcp://a:1\n"
                                                  "    - tcp://b\n")),
            "node.yaml:8:7: cluster.seeds[1]: bad URL 'tcp://b': expected tcp://host:port, "
            "tls+tcp://host:port or ipc:///absolute/path");
  EXPECT_THAT(ErrorOf(Parse(std::string(kMinimal) + "collections: {types: {'tree!': {}}}\n")),
              HasSubstr("collections.types.tree!: bad name 'tree!': expected letters"));
  EXPECT_THAT(ErrorOf(Parse(std::string(kMinimal) + "collections: {resolvers: {users: 'a b'}}\n")),
              HasSubstr("collections.resolvers.users: bad name 'a b'"));
  EXPECT_THAT(
      ErrorOf(Parse(std::string(kMinimal) + "collections: {types: {tree: {resolver: ''}}}\n")),
      HasSubstr("collections.types.tree.resolver: bad name ''"));
}

TEST(NodeConfig, HostPortValidation) {
  const Settings where(nullptr, "metrics.listen", "node.yaml");
  for (const char* good : {"127.0.0.1:9464", "0.0.0.0:0", "localhost:65535", "[::1]:80",
                           "[2001:db8::7]:7400", "node-1.example.com:1", "a:00080"}) {
    EXPECT_TRUE(ValidateHostPort(where, good).ok()) << good;
  }
  for (const char* bad : {"1.2.3", "1.2.3:80", "256.0.0.1:80", "host:65536", "host:", ":80", "host",
                          "::1:80", "[::1]80", "[::1]", "[zz]:80", "[::1:80", "host:8a", "ho_st:80",
                          "host:123456", "host:-1", "", "ho st:80"}) {
    EXPECT_FALSE(ValidateHostPort(where, bad).ok()) << bad;
  }
  EXPECT_EQ(ValidateHostPort(where, "1.2.3").message(),
            "node.yaml: metrics.listen: bad address '1.2.3': expected host:port");
}

TEST(NodeConfig, UrlValidation) {
  const Settings where(nullptr, "transport.listen", "node.yaml");
  for (const char* good : {"tcp://127.0.0.1:7400", "tls+tcp://db.example.com:443", "tcp://[::1]:0",
                           "ipc:///run/optimystic.sock"}) {
    EXPECT_TRUE(ValidateUrl(where, good).ok()) << good;
  }
  for (const char* bad : {"", "tcp://", "tcp://host", "udp://h:1", "tls://h:1", "ipc://rel/sock",
                          "ipc:///", "ipc://", "TCP://h:1", "127.0.0.1:7400"}) {
    EXPECT_FALSE(ValidateUrl(where, bad).ok()) << bad;
  }
}

TEST(NodeConfig, OverridesReplaceAndCreateNestedMaps) {
  auto config = Parse(kMinimal, {"storage.settings.sync=false", "metrics.listen=127.0.0.1:0",
                                 "storage.settings.deep.er.value=12", "transport.plugin=tcp",
                                 "transport.listen=tcp://127.0.0.1:0", "cluster.seeds=[tcp://a:1]",
                                 "node.log_level=warn", "node.log_level=error"});
  ASSERT_TRUE(config) << ErrorOf(config);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:0");
  EXPECT_EQ(*config->StorageSettings().GetBool("sync", true), false);
  EXPECT_EQ(*config->View("storage.settings.deep.er.value").AsInt(), 12);
  EXPECT_EQ(config->cluster_seeds, std::vector<std::string>{"tcp://a:1"});
  EXPECT_EQ(config->log_level, logging::LogLevel::kError);  // the last override wins
  const SettingsNode* created = config->root->Find("storage")->Find("settings");
  ASSERT_NE(created, nullptr);
  EXPECT_EQ(created->line, 0u);
  EXPECT_EQ(created->origin, "--set storage.settings.sync");
  const SettingsNode* replaced = config->root->Find("metrics")->Find("listen");
  EXPECT_EQ(replaced->line, 0u);
  EXPECT_EQ(replaced->origin, "--set metrics.listen");
}

TEST(NodeConfig, OverridesReplaceFileValuesAndNullSections) {
  auto config = Parse(std::string(kMinimal) + "plugins:\nmetrics: {enabled: true}\n",
                      {"plugins.include_builtin=off", "metrics.enabled=false", "node.id=\"123\"",
                       "storage={plugin: file, settings: {path: x}}"});
  ASSERT_TRUE(config) << ErrorOf(config);
  EXPECT_FALSE(config->include_builtin_plugins);
  EXPECT_FALSE(config->metrics_enabled);
  EXPECT_EQ(config->node_id, "123");
  EXPECT_EQ(config->storage_plugin, "file");
  EXPECT_EQ(*config->StorageSettings().GetString("path", ""), "x");
  // An empty value is null: the key falls back to its default.
  auto defaulted = Parse("node: {data_dir: /d, log_level: debug}\nstorage: {plugin: memory}\n",
                         {"node.log_level="});
  ASSERT_TRUE(defaulted) << ErrorOf(defaulted);
  EXPECT_EQ(defaulted->log_level, logging::LogLevel::kInfo);
}

TEST(NodeConfig, OverrideErrorsNameTheOverride) {
  auto type = Parse(kMinimal, {"metrics.enabled=maybe"});
  EXPECT_THAT(ErrorOf(type), StartsWith("node.yaml"));
  EXPECT_THAT(ErrorOf(type), HasSubstr("(--set metrics.enabled) metrics.enabled: expected true or "
                                       "false, got 'maybe'"));
  auto unknown = Parse(kMinimal, {"node.colour=red"});
  EXPECT_THAT(ErrorOf(unknown), HasSubstr("(--set node.colour) node.colour: unknown key 'colour'"));
  auto quoted = Parse(kMinimal, {"storage.settings.port='12'"});
  ASSERT_TRUE(quoted) << ErrorOf(quoted);
  EXPECT_THAT(std::string(quoted->StorageSettings().GetInt("port", 0).error().message()),
              HasSubstr("(--set storage.settings.port) storage.settings.port: expected an "
                        "integer, got '12'"));
  EXPECT_EQ(ErrorOf(Parse(kMinimal, {"storage.plugin"})),
            "--set 'storage.plugin': missing '='; expected section.key=value");
  EXPECT_EQ(ErrorOf(Parse(kMinimal, {"=memory"})),
            "--set '=memory': empty key; expected section.key=value");
  EXPECT_EQ(ErrorOf(Parse(kMinimal, {"storage..plugin=x"})),
            "--set 'storage..plugin=x': empty key component in 'storage..plugin'; expected "
            "section.key=value");
  EXPECT_EQ(ErrorOf(Parse(kMinimal, {"node.data_dir.x=1"})),
            "node.yaml:2:13: node.data_dir: cannot apply --set node.data_dir.x: the value here is "
            "not a map");
  EXPECT_EQ(ErrorOf(Parse(kMinimal, {"storage.settings=[1"})),
            "--set storage.settings: 1:1: YAML syntax error: end of sequence flow not found");
  auto invalid = Parse(kMinimal, {"metrics.listen=nowhere"});
  EXPECT_THAT(ErrorOf(invalid), HasSubstr("(--set metrics.listen) metrics.listen: bad address "
                                          "'nowhere': expected host:port"));
}

TEST(NodeConfig, PrintFillsDefaultsAndResolvesPaths) {
  auto config = ParseNodeConfig(std::string("node: {data_dir: db}\nstorage: {plugin: memory}\n"),
                                "n.yaml", "/srv", {});
  ASSERT_TRUE(config) << ErrorOf(config);
  const std::string printed = PrintNodeConfig(*config);
  EXPECT_THAT(printed, HasSubstr("data_dir: /srv/db\n"));
  EXPECT_THAT(printed, HasSubstr("log_level: info\n"));
  EXPECT_THAT(printed, HasSubstr("include_builtin: true\n"));
  EXPECT_THAT(printed, HasSubstr("listen: 127.0.0.1:9464\n"));
  EXPECT_THAT(printed, HasSubstr("virtual_nodes: 128\n"));
  EXPECT_THAT(printed, HasSubstr("dirs: []\n"));
  EXPECT_THAT(printed, ::testing::Not(HasSubstr("transport")));
}

TEST(NodeConfig, PrintedConfigParsesToTheSameConfig) {
  for (std::string_view text : {kMinimal, kFull}) {
    auto original = Parse(text, {"storage.settings.extra.list=[1, '2', {k: v}]"});
    ASSERT_TRUE(original) << ErrorOf(original);
    const std::string printed = PrintNodeConfig(*original);
    auto reparsed = ParseNodeConfig(printed, "printed.yaml", "/elsewhere", {});
    ASSERT_TRUE(reparsed) << ErrorOf(reparsed) << "\n" << printed;
    ExpectSameConfig(*original, *reparsed);
    EXPECT_EQ(PrintNodeConfig(*reparsed), printed);
    // The settings blocks keep their types: a quoted number stays a string.
    EXPECT_FALSE(reparsed->View("storage.settings.extra.list").At(1).AsInt());
    EXPECT_EQ(*reparsed->View("storage.settings.extra.list").At(0).AsInt(), 1);
  }
}

TEST(NodeConfig, PrintKeepsStringsThatLookLikeOtherTypes) {
  auto original =
      Parse(std::string(kMinimal) +
                "  settings: {a: 'null', b: 'true', c: '', d: '~', e: 'x: y', f: '#'}\n",
            {"node.id='null'"});
  ASSERT_TRUE(original) << ErrorOf(original);
  auto reparsed = ParseNodeConfig(PrintNodeConfig(*original), "p.yaml", "/", {});
  ASSERT_TRUE(reparsed) << ErrorOf(reparsed);
  ExpectSameConfig(*original, *reparsed);
  EXPECT_EQ(reparsed->node_id, "null");
  EXPECT_EQ(*reparsed->StorageSettings().GetString("d", "absent"), "~");
}

TEST(NodeConfig, ShippedDefaultConfigIsValid) {
  const std::string source_dir = OPTIMYSTIC_SOURCE_DIR;
  const std::string path = source_dir + "/config/optimystic.yaml";
  auto config = LoadNodeConfig(path, {});
  ASSERT_TRUE(config) << ErrorOf(config);
  const std::string root = std::filesystem::path(source_dir).lexically_normal().string();
  EXPECT_EQ(config->file, path);
  EXPECT_EQ(config->base_dir, root + "/config");
  EXPECT_EQ(config->data_dir, root + "/data");
  EXPECT_EQ(config->log_level, logging::LogLevel::kInfo);
  EXPECT_EQ(config->storage_plugin, "rocksdb");
  EXPECT_EQ(*config->StorageSettings().GetString("path", ""), "rocksdb");
  EXPECT_EQ(config->transport_plugin, "tcp");
  EXPECT_EQ(config->transport_listen, "tcp://127.0.0.1:7400");
  EXPECT_TRUE(config->metrics_enabled);
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(config->cluster_replication, 1u);
  // The form the tests and scripts use: a free metrics port.
  auto overridden = LoadNodeConfig(path, {"metrics.listen=127.0.0.1:0"});
  ASSERT_TRUE(overridden) << ErrorOf(overridden);
  EXPECT_EQ(overridden->metrics_listen, "127.0.0.1:0");
}

}  // namespace
}  // namespace optimystic::runtime::config
