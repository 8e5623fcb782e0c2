// SPDX-License-Identifier: Apache-2.0
// CliCommand: one invocation of the `optimystic` CLI, parsed and checked from its arguments
// (docs/cli.md lists every command). Everything that can be judged without the node is judged
// here (the command and its arguments, JSON arguments, keys, numbers, the node URL, options
// used with a command they do not apply to), so that bad input never reaches the node.
// Boost.Program_options throws; ParseCommandLine is the one place that catches it.
// Thread-safety: pure functions. Errors: InvalidArgument with a message for the user (exit 2).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_input.h"

namespace optimystic::tools::cli {

inline constexpr const char* kDefaultNodeUrl = "tcp://127.0.0.1:7400";
inline constexpr int64_t kDefaultTimeoutMs = 10'000;

enum class Verb : uint8_t {
  kHelp,
  kTreePut,
  kTreeGet,
  kTreeRange,
  kTreeDelete,
  kTreeCount,
  kDiaryAppend,
  kDiaryRead,
  kCounterAdd,
  kCounterGet,
  kImport,
  kTxn,
  kVerify,
  kStatus,
  kClusterLeave,
};

struct CliCommand {
  Verb verb = Verb::kHelp;
  std::string node_url = kDefaultNodeUrl;
  bool json = false;  // --json: machine-readable output
  KeyMode key_mode = KeyMode::kNumbersAsNumbers;
  int64_t timeout_ms = kDefaultTimeoutMs;
  std::string tls_ca;  // --tls-ca, --tls-cert, --tls-key: all set or all empty
  std::string tls_cert;
  std::string tls_key;
  std::string collection;
  block::Value key;                  // tree put, get, delete
  block::Value value;                // tree put's entry, diary append's entry
  int64_t delta = 0;                 // counter add
  std::optional<block::Value> from;  // tree range
  std::optional<block::Value> to;
  bool desc = false;              // tree range, diary read
  std::optional<uint64_t> limit;  // tree range, diary read
  bool follow = false;            // diary read
  int64_t interval_ms = 1000;     // diary read --follow: the polling interval
  std::string file;               // import, txn
  std::string key_field = "id";   // import --key
  uint64_t batch = 100;           // import --batch: entries per act
};

// The command `args` (the arguments after the program name) describe. `env_node` is the
// OPTIMYSTIC_NODE environment variable (nullopt when unset); --node wins over it.
Result<CliCommand> ParseCommandLine(const std::vector<std::string>& args,
                                    const std::optional<std::string>& env_node) noexcept;

// The --help text.
std::string UsageText();

}  // namespace optimystic::tools::cli
