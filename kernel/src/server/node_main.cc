// SPDX-License-Identifier: Apache-2.0
#include "server/node_main.h"

#include <optimystic/abi/abi_version.h>

#include <signal.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <variant>
#include <string>
#include <vector>

#include "runtime/config/node_config.h"
#include "runtime/logging/spdlog_logger.h"
#include "server/server.h"

namespace optimystic::server {

namespace po = boost::program_options;

namespace {

struct CommandLine {
  std::string config;
  std::vector<std::string> overrides;
  bool validate_only = false;
  bool print_config = false;
};

void Fail(const std::string& what) { std::fprintf(stderr, "optimystic-node: %s\n", what.c_str()); }

po::options_description Options() {
  po::options_description desc("Usage: optimystic-node --config FILE [options]\nOptions");
  desc.add_options()("config,c", po::value<std::string>(), "YAML configuration file")(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a key, e.g. --set metrics.listen=127.0.0.1:0 (repeatable)")(
      "log-level", po::value<std::string>(), "trace|debug|info|warn|error|off")(
      "validate-config", po::value<std::string>()->implicit_value(""),
      "load and validate everything (plugins too), open nothing, exit 0 or 2; "
      "optionally names the config file")("print-config",
                                          "print the effective configuration as YAML and exit")(
      "version", "print the version and exit")("help,h", "print this help and exit");
  return desc;
}

// The parsed command line, or the exit status to return at once.
std::variant<CommandLine, int> ParseCommandLine(int argc, char** argv) {
  po::options_description desc = Options();
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    Fail(std::string(e.what()) + " (see --help)");
    return kExitConfigError;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return kExitOk;
  }
  if (vm.count("version")) {
    std::cout << "optimystic-node " << OPTIMYSTIC_VERSION << " (plugin ABI " << OPTIMYSTIC_ABI_MAJOR
              << "." << OPTIMYSTIC_ABI_MINOR << ", SDK " << OPTIMYSTIC_SDK_VERSION << ")\n";
    return kExitOk;
  }
  CommandLine cl;
  if (vm.count("config")) cl.config = vm["config"].as<std::string>();
  if (vm.count("validate-config")) {
    cl.validate_only = true;
    const auto& file = vm["validate-config"].as<std::string>();
    if (!file.empty()) {
      if (!cl.config.empty() && cl.config != file) {
        Fail("--validate-config FILE and --config name different files");
        return kExitConfigError;
      }
      cl.config = file;
    }
  }
  if (cl.config.empty()) {
    Fail("no configuration file: give --config FILE (see --help)");
    return kExitConfigError;
  }
  if (vm.count("set")) cl.overrides = vm["set"].as<std::vector<std::string>>();
  if (vm.count("log-level"))
    cl.overrides.push_back("node.log_level=" + vm["log-level"].as<std::string>());
  cl.print_config = vm.count("print-config") > 0;
  return cl;
}

// Blocks the stop signals in every thread (threads inherit the mask), so that only sigwait in
// main sees them.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

void WaitForStop(const sigset_t& set, optimystic::logging::Logger& logger) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // Logs go to standard error, which the supervisor owns; nothing to reopen.
      logger.Log(optimystic::logging::LogLevel::kInfo,
                 "SIGHUP: logs go to stderr; nothing to reopen");
      continue;
    }
    logger.Log(optimystic::logging::LogLevel::kInfo,
               std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    return;
  }
}

}  // namespace

int RunNode(int argc, char** argv) {
  sigset_t stop_signals = BlockStopSignals();
  auto parsed = ParseCommandLine(argc, argv);
  if (std::holds_alternative<int>(parsed)) return std::get<int>(parsed);
  const CommandLine& cl = std::get<CommandLine>(parsed);

  auto config = runtime::config::LoadNodeConfig(cl.config, cl.overrides);
  if (!config) {
    Fail("config error: " + std::string(config.error().message()));
    return kExitConfigError;
  }
  if (cl.print_config) {
    std::cout << runtime::config::PrintNodeConfig(*config);
    return kExitOk;
  }
  runtime::logging::LogOutput log(config->log_level);
  runtime::logging::ComponentLogger logger(log, "node");
  const bool leave_on_shutdown = config->cluster_leave_on_shutdown;
  Server server(std::move(*config), log);
  if (Status s = server.LoadPlugins(); !s.ok()) {
    Fail("cannot load plugins: " + s.ToString());
    return kExitStartFailed;
  }
  if (Status s = server.ValidateConfig(); !s.ok()) {
    Fail("config error: " + std::string(s.message()));
    return kExitConfigError;
  }
  if (cl.validate_only) {
    std::cout << "configuration OK: " << cl.config << "\n";
    return kExitOk;
  }
  auto started = server.Start();
  if (!started) {
    Fail("cannot start: " + started.error().ToString());
    return kExitStartFailed;
  }
  // One machine-readable line on stdout for scripts and tests; everything else is the log.
  std::cout << "optimystic-node ready peer_id=" << started->peer_id
            << " metrics=" << (started->metrics_url.empty() ? "off" : started->metrics_url)
            << " client=" << (started->client_url.empty() ? "none" : started->client_url)
            << std::endl;
  // A node that left (optimystic cluster leave) stops as on SIGTERM.
  server.OnLeft([] { kill(getpid(), SIGTERM); });
  WaitForStop(stop_signals, logger);
  if (leave_on_shutdown) {
    (void)server.Leave();  // logged; the node stops either way
  }
  server.Stop();
  return kExitOk;
}

}  // namespace optimystic::server
