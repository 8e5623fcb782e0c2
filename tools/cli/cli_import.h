// SPDX-License-Identifier: Apache-2.0
// RunImport: `optimystic import COLLECTION FILE.jsonl`: puts every line's JSON object into a
// tree collection under the value of its key field, `batch` entries per act (one "replace"
// action each). The whole file is read and checked first, so that a malformed line (named by
// file, line and position) stops the import before anything is written. Progress goes to the
// error stream: a bar redrawn in place on a terminal, otherwise a line at every tenth of the
// file; the final line (entries, seconds, entries per second) goes to the output stream.
// Thread-safety: like RunCommand. Errors: printed; the return value is the exit status.
#pragma once

#include <optimystic/client/client.h>

#include "cli/cli_command.h"
#include "cli/cli_runner.h"

namespace optimystic::tools::cli {

int RunImport(const CliCommand& command, client::Client& client, CliIo& io) noexcept;

}  // namespace optimystic::tools::cli
