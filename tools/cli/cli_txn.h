// SPDX-License-Identifier: Apache-2.0
// RunTxn: `optimystic txn FILE.json`: runs the statements of FILE (a JSON array of
// {collectionId, actions}, docs/transactions.md) as one multi-collection transaction. The file
// is read and each statement checked by the node's own actions engine before anything is sent,
// so a malformed file (named with the statement's index) never reaches the node. A partial
// landing (some collections committed, others not) is reported with both lists and exit 1:
// resending the file would apply the committed part twice.
// Thread-safety: like RunCommand. Errors: printed; the return value is the exit status.
#pragma once

#include <optimystic/client/client.h>

#include "cli/cli_command.h"
#include "cli/cli_runner.h"

namespace optimystic::tools::cli {

int RunTxn(const CliCommand& command, client::Client& client, CliIo& io) noexcept;

}  // namespace optimystic::tools::cli
