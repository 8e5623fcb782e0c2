// SPDX-License-Identifier: Apache-2.0
// RunCommand: carries out one parsed CliCommand against a node through a Client and prints the
// outcome: human-readable text by default, JSON with --json (docs/cli.md gives every command's
// output). It returns the process exit status.
// Thread-safety: one call at a time per CliIo. Errors: none returned; every failure is printed
// on one line to `err` and becomes the exit status.
#pragma once

#include <optimystic/base/status.h>
#include <optimystic/client/client.h>

#include <atomic>
#include <ostream>

#include "cli/cli_command.h"

namespace optimystic::tools::cli {

// The exit statuses of docs/cli.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;      // the node refused the request (or verify failed)
inline constexpr int kExitUsage = 2;        // usage or bad input
inline constexpr int kExitUnreachable = 3;  // the node could not be reached

// Where a command writes, and what it watches.
struct CliIo {
  std::ostream& out;
  std::ostream& err;
  // Set (by a SIGINT handler) to end `diary read --follow`.
  const std::atomic<bool>& stop;
  // Whether `err` is a terminal: import then draws a progress bar instead of progress lines.
  bool err_is_tty = false;
};

int RunCommand(const CliCommand& command, client::Client& client, CliIo& io) noexcept;

// Prints `error` as one line ("optimystic: Code: message") and returns its exit status: 3 for
// an unreachable node, 1 otherwise.
int ReportRequestError(const Status& error, CliIo& io) noexcept;

// `value` as compact JSON text (never fails: invalid UTF-8 is replaced).
std::string JsonText(const block::Value& value) noexcept;

}  // namespace optimystic::tools::cli
