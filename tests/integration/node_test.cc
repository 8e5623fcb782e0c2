// SPDX-License-Identifier: Apache-2.0
// Starts the real optimystic-node binary with test configs and checks what an operator sees:
// the ready line, /metrics over HTTP (linted by promtool), exit statuses and one-line errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "support/http_get.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace optimystic {
namespace {

using test::HttpGet;
using test::RunToExit;
using test::Subprocess;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

class NodeTest : public ::testing::Test {
 protected:
  // Writes a config into the temp dir; `extra` is appended verbatim.
  std::string WriteConfig(const std::string& body) {
    std::string path = dir_.path() + "/node.yaml";
    std::ofstream(path) << body;
    return path;
  }
  std::string BaseConfig(const std::string& extra = "") {
    return "node:\n  data_dir: " + dir_.path() + "/data\n  log_level: info\n" +
           "storage:\n  plugin: memory\n" + "metrics:\n  enabled: true\n  listen: 127.0.0.1:0\n" +
           extra;
  }
  static std::vector<std::string> Node(std::vector<std::string> args) {
    args.insert(args.begin(), OPTIMYSTIC_NODE_BINARY);
    return args;
  }
  test::TempDir dir_;
};

// Parses "metrics=http://127.0.0.1:PORT/metrics" out of the ready line.
int MetricsPort(const std::string& ready_line) {
  std::smatch m;
  std::regex re("metrics=http://127\\.0\\.0\\.1:([0-9]+)/metrics");
  return std::regex_search(ready_line, m, re) ? std::stoi(m[1]) : -1;
}

std::string PeerId(const std::string& ready_line) {
  std::smatch m;
  std::regex re("peer_id=([a-z2-7]+)");
  return std::regex_search(ready_line, m, re) ? m[1].str() : "";
}

TEST_F(NodeTest, ServesMetricsThatPassPromtoolAndStopsOnSigterm) {
  std::string config = WriteConfig(BaseConfig());
  Subprocess node(Node({"--config", config}));
  ASSERT_TRUE(node.Start());
  auto ready = node.WaitForLine("optimystic-node ready", 30s);
  ASSERT_TRUE(ready) << node.stderr_text();
  int port = MetricsPort(*ready);
  ASSERT_GT(port, 0) << *ready;

  auto response = HttpGet("127.0.0.1", port, "/metrics");
  ASSERT_EQ(response.error, "");
  ASSERT_EQ(response.status, 200);
  const std::string& text = response.body;
  EXPECT_NE(text.find("optimystic_build_info{"), std::string::npos) << text;
  EXPECT_NE(text.find("version=\"" OPTIMYSTIC_TEST_VERSION "\""), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      text, std::regex("optimystic_plugin_info\\{[^}]*name=\"storage.memory\"[^}]*\\} 1")))
      << text;
  EXPECT_NE(text.find("process_start_time_seconds "), std::string::npos);
  EXPECT_NE(text.find("optimystic_storage_keys{plugin=\"memory\"} 0"), std::string::npos);

  std::string scrape = dir_.path() + "/scrape.txt";
  std::ofstream(scrape) << text;
  auto lint = RunToExit({"/bin/sh", "-c", "promtool check metrics < " + scrape});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;

  ASSERT_TRUE(node.Signal(SIGTERM));
  auto code = node.Wait(20s);
  ASSERT_TRUE(code.has_value()) << "node did not stop after SIGTERM";
  EXPECT_EQ(*code, 0) << node.stderr_text();
  EXPECT_NE(node.stderr_text().find("received SIGTERM, stopping"), std::string::npos);
  EXPECT_NE(node.stderr_text().find("stopped"), std::string::npos);
}

TEST_F(NodeTest, SigintStopsCleanlyAndPeerIdIsStableAcrossRestarts) {
  std::string config = WriteConfig(BaseConfig());
  std::string first_id;
  for (int run = 0; run < 2; ++run) {
    Subprocess node(Node({"--config", config}));
    ASSERT_TRUE(node.Start());
    auto ready = node.WaitForLine("optimystic-node ready", 30s);
    ASSERT_TRUE(ready) << node.stderr_text();
    std::string id = PeerId(*ready);
    EXPECT_EQ(id.size(), 52u) << *ready;  // 32 bytes in base32
    if (run == 0) first_id = id;
    EXPECT_EQ(id, first_id);
    EXPECT_NE(node.stderr_text().find("peer=" + id), std::string::npos) << node.stderr_text();
    ASSERT_TRUE(node.Signal(SIGINT));
    EXPECT_EQ(node.Wait(20s).value_or(-1), 0) << node.stderr_text();
  }
}

TEST_F(NodeTest, TheNodeKeyIsKeptPrivateAndAKeyOthersCanReadStopsTheStart) {
  std::string config = WriteConfig(BaseConfig());
  const std::string key_file = dir_.path() + "/data/node_key.pem";
  std::string first_key;
  for (int run = 0; run < 2; ++run) {
    Subprocess node(Node({"--config", config}));
    ASSERT_TRUE(node.Start());
    ASSERT_TRUE(node.WaitForLine("optimystic-node ready", 30s)) << node.stderr_text();
    std::smatch m;
    const std::string log = node.stderr_text();
    ASSERT_TRUE(std::regex_search(log, m, std::regex("public_key=([a-z2-7]{52}) "))) << log;
    if (run == 0) first_key = m[1].str();
    EXPECT_EQ(m[1].str(), first_key) << "the key is generated once and kept";
    ASSERT_TRUE(node.Signal(SIGINT));
    EXPECT_EQ(node.Wait(20s).value_or(-1), 0) << node.stderr_text();
  }
  EXPECT_EQ(fs::status(key_file).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(key_file, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  auto r = RunToExit(Node({"--config", config}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot start: InvalidArgument: node key " + key_file +
                       " is accessible by group or others (mode 0644); run chmod 600 " + key_file),
            std::string::npos)
      << r.err;
}

TEST_F(NodeTest, InvalidConfigExitsTwoNamingFileLineAndPath) {
  std::string config = WriteConfig(BaseConfig("bogus_section:\n  x: 1\n"));
  auto r = RunToExit(Node({"--config", config}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find("optimystic-node: config error: " + config + ":9:1: bogus_section: unknown key"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("bogus_section"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line expected: " << r.err;
  EXPECT_FALSE(fs::exists(dir_.path() + "/data"));
}

TEST_F(NodeTest, ValidateConfigChecksPluginsAndOpensNothing) {
  std::string config = WriteConfig(BaseConfig());
  auto ok = RunToExit(Node({"--validate-config", config}));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("configuration OK"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_.path() + "/data")) << "--validate-config created the data dir";

  auto unknown = RunToExit(Node({"--validate-config", config, "--set", "storage.plugin=nosuch"}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("storage.plugin: unknown storage plugin 'nosuch' (available: "),
            std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("memory"), std::string::npos) << unknown.err;
}

TEST_F(NodeTest, CollectionTypesAndResolversAreCheckedAgainstLoadedPlugins) {
  std::string config =
      WriteConfig(BaseConfig("collections:\n"
                             "  types:\n"
                             "    tree: {settings: {capacity: 8}}\n"
                             "    diary: {}\n"
                             "    counter: {resolver: sum}\n"
                             "  resolvers:\n"
                             "    users: last-writer-wins\n"));
  auto ok = RunToExit(Node({"--validate-config", config}));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  auto resolver =
      RunToExit(Node({"--validate-config", config, "--set", "collections.resolvers.users=newest"}));
  EXPECT_EQ(resolver.exit_code, 2);
  EXPECT_NE(resolver.err.find("collections.resolvers.users: unknown conflict resolver 'newest' "
                              "(available: replay, reject, last-writer-wins, sum)"),
            std::string::npos)
      << resolver.err;

  auto settings = RunToExit(
      Node({"--validate-config", config, "--set", "collections.types.tree.settings.capacity=2"}));
  EXPECT_EQ(settings.exit_code, 2);
  EXPECT_NE(settings.err.find("collections.types.tree.settings.capacity: must be from 4 to 4096"),
            std::string::npos)
      << settings.err;
}

TEST_F(NodeTest, ConflictResolutionMetricsStartAtZeroForEveryResolver) {
  Subprocess node(Node({"--config", WriteConfig(BaseConfig())}));
  ASSERT_TRUE(node.Start());
  auto ready = node.WaitForLine("optimystic-node ready", 30s);
  ASSERT_TRUE(ready) << node.stderr_text();
  auto response = HttpGet("127.0.0.1", MetricsPort(*ready), "/metrics");
  ASSERT_EQ(response.status, 200) << response.error;
  for (std::string resolver : {"replay", "reject", "last-writer-wins", "sum"}) {
    EXPECT_NE(response.body.find("optimystic_conflicts_resolved_total{outcome=\"reject\","
                                 "resolver=\"" +
                                 resolver + "\"} 0"),
              std::string::npos)
        << resolver << "\n"
        << response.body;
  }
  ASSERT_TRUE(node.Signal(SIGTERM));
  EXPECT_EQ(node.Wait(20s).value_or(-1), 0) << node.stderr_text();
}

TEST_F(NodeTest, PluginRejectingItsSettingsIsAConfigError) {
  std::string config = WriteConfig(BaseConfig());
  auto r = RunToExit(Node({"--config", config, "--set", "storage.settings.bogus=1"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("storage.settings.bogus"), std::string::npos) << r.err;
}

TEST_F(NodeTest, PortInUseExitsOneWithOneLine) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);

  std::string config = WriteConfig(BaseConfig());
  auto r = RunToExit(
      Node({"--config", config, "--set", "metrics.listen=127.0.0.1:" + std::to_string(port)}));
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("optimystic-node: cannot start: Unavailable: metrics listen 127.0.0.1:" +
                       std::to_string(port)),
            std::string::npos)
      << r.err;
}

TEST_F(NodeTest, UnusableDataDirExitsOne) {
  std::ofstream(dir_.path() + "/plain-file") << "x";
  std::string config = WriteConfig(BaseConfig());
  auto r = RunToExit(
      Node({"--config", config, "--set", "node.data_dir=" + dir_.path() + "/plain-file/data"}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot start: IOError: cannot create data dir " + dir_.path() +
                       "/plain-file/data"),
            std::string::npos)
      << r.err;
}

TEST_F(NodeTest, MissingPluginDirExitsOne) {
  std::string config = WriteConfig(BaseConfig("plugins:\n  dirs: [/nonexistent/plugins]\n"));
  auto r = RunToExit(Node({"--config", config}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot load plugins"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/plugins"), std::string::npos) << r.err;
}

TEST_F(NodeTest, PrintConfigShowsEffectiveValues) {
  std::string config = WriteConfig(BaseConfig());
  auto r = RunToExit(Node({"--config", config, "--print-config", "--log-level", "debug"}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("data_dir: " + dir_.path() + "/data"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("log_level: debug"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("listen: 127.0.0.1:0"), std::string::npos) << r.out;
}

TEST_F(NodeTest, ShippedDefaultConfigStartsAndItsMetricsPassPromtool) {
  const std::string shipped = OPTIMYSTIC_SOURCE_DIR "/config/optimystic.yaml";
  auto valid = RunToExit(Node({"--validate-config", shipped}));
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  // What `scripts/run` starts, moved to a temp data dir and a free port.
  Subprocess node(
      Node({"--config", shipped, "--set", "node.data_dir=" + dir_.path() + "/data", "--set",
            "metrics.listen=127.0.0.1:0", "--set", "transport.listen=tcp://127.0.0.1:0"}));
  ASSERT_TRUE(node.Start());
  auto ready = node.WaitForLine("optimystic-node ready", 30s);
  ASSERT_TRUE(ready) << node.stderr_text();
  EXPECT_TRUE(std::regex_search(*ready, std::regex("client=tcp://127\\.0\\.0\\.1:[0-9]+")))
      << *ready;
  auto response = HttpGet("127.0.0.1", MetricsPort(*ready), "/metrics");
  ASSERT_EQ(response.status, 200) << response.error;
  // `make run` keeps its data: RocksDB in the data dir.
  EXPECT_TRUE(std::regex_search(
      response.body,
      std::regex("optimystic_plugin_info\\{[^}]*name=\"storage.rocksdb\"[^}]*\\} 1")))
      << response.body;
  EXPECT_TRUE(fs::exists(dir_.path() + "/data/rocksdb/CURRENT"));
  std::string scrape = dir_.path() + "/scrape.txt";
  std::ofstream(scrape) << response.body;
  auto lint = RunToExit({"/bin/sh", "-c", "promtool check metrics < " + scrape});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  ASSERT_TRUE(node.Signal(SIGTERM));
  EXPECT_EQ(node.Wait(20s).value_or(-1), 0) << node.stderr_text();
}

TEST_F(NodeTest, DurableStoragePluginsOpenCloseAndReopen) {
  for (std::string plugin : {"file", "rocksdb"}) {
    std::string config = WriteConfig(BaseConfig());
    for (int run = 0; run < 2; ++run) {  // the second start proves the first closed its files
      Subprocess node(Node({"--config", config, "--set", "storage.plugin=" + plugin}));
      ASSERT_TRUE(node.Start());
      auto ready = node.WaitForLine("optimystic-node ready", 30s);
      ASSERT_TRUE(ready) << plugin << ": " << node.stderr_text();
      auto response = HttpGet("127.0.0.1", MetricsPort(*ready), "/metrics");
      ASSERT_EQ(response.status, 200) << response.error;
      EXPECT_TRUE(std::regex_search(
          response.body,
          std::regex("optimystic_plugin_info\\{[^}]*name=\"storage." + plugin + "\"[^}]*\\} 1")))
          << response.body;
      EXPECT_NE(response.body.find("optimystic_storage_keys{plugin=\"" + plugin + "\"}"),
                std::string::npos);
      ASSERT_TRUE(node.Signal(SIGTERM));
      EXPECT_EQ(node.Wait(20s).value_or(-1), 0) << plugin << ": " << node.stderr_text();
    }
    EXPECT_TRUE(fs::exists(dir_.path() + "/data/" + plugin)) << plugin;
  }
}

TEST_F(NodeTest, CommandLineErrorsAndHelp) {
  EXPECT_EQ(RunToExit(Node({"--help"})).exit_code, 0);
  auto version = RunToExit(Node({"--version"}));
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("optimystic-node " OPTIMYSTIC_TEST_VERSION), std::string::npos);
  auto no_config = RunToExit(Node({}));
  EXPECT_EQ(no_config.exit_code, 2);
  EXPECT_NE(no_config.err.find("no configuration file"), std::string::npos);
  auto bad_flag = RunToExit(Node({"--frobnicate"}));
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.err.find("frobnicate"), std::string::npos);
}

}  // namespace
}  // namespace optimystic
