// SPDX-License-Identifier: Apache-2.0
// optimystic: the command-line client (docs/cli.md).
#include <optimystic/client/client.h>
#include <optimystic/transport/transport_metrics.h>

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_command.h"
#include "cli/cli_host.h"
#include "cli/cli_runner.h"
#include "transport/tcp/tcp_transport.h"

namespace {

namespace cli = optimystic::tools::cli;

std::atomic<bool> g_stop{false};  // set by SIGINT/SIGTERM; only `diary read --follow` waits on it

extern "C" void OnSignal(int) { g_stop.store(true); }

int Run(const cli::CliCommand& command) {
  cli::CliHost host;
  auto metrics = optimystic::transport::TransportMetrics::Create(host.metrics(), "tcp");
  optimystic::plugins::transport_tcp::TcpTransportOptions options;
  options.threads = 1;
  if (!command.tls_ca.empty()) {
    options.tls = optimystic::plugins::transport_tcp::TcpTlsOptions{
        command.tls_ca, command.tls_cert, command.tls_key};
  }
  auto transport =
      metrics ? optimystic::plugins::transport_tcp::TcpTransport::Create(options, host, *metrics)
              : metrics.status();
  if (!transport) {
    std::cerr << "optimystic: cannot start the tcp transport: " << transport.error().ToString()
              << "\n";
    return cli::kExitUnreachable;
  }
  optimystic::client::ClientOptions client_options;
  client_options.request_timeout_ms = command.timeout_ms;
  client_options.clock = &host.clock();
  optimystic::client::Client client(**transport, command.node_url, client_options);
  cli::CliIo io{std::cout, std::cerr, g_stop, ::isatty(STDERR_FILENO) == 1};
  const int status = cli::RunCommand(command, client, io);
  std::cout.flush();
  (void)(*transport)->Close();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env = std::getenv("OPTIMYSTIC_NODE");
  const std::optional<std::string> env_node =
      env != nullptr ? std::optional<std::string>(env) : std::nullopt;
  optimystic::Result<cli::CliCommand> command = cli::ParseCommandLine(args, env_node);
  if (!command) {
    std::cerr << "optimystic: " << command.error().message() << "\n"
              << "Run 'optimystic --help' for usage.\n";
    return cli::kExitUsage;
  }
  if (command->verb == cli::Verb::kHelp) {
    std::cout << cli::UsageText();
    return cli::kExitOk;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  return Run(*command);
}
