// SPDX-License-Identifier: Apache-2.0
// RunNode: the optimystic-node command line. Parses options, loads and validates the config,
// loads plugins, starts the server and waits for SIGINT/SIGTERM. Exit status: 0 after a clean
// stop or a successful --validate-config/--print-config/--help/--version; 1 when the node cannot
// start (plugin folder or library refused, data dir unusable, port in use); 2 for a bad command
// line or configuration. Every failure prints one line to standard error.
#pragma once

namespace optimystic::server {

inline constexpr int kExitOk = 0;
inline constexpr int kExitStartFailed = 1;
inline constexpr int kExitConfigError = 2;

int RunNode(int argc, char** argv);

}  // namespace optimystic::server
