// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_txn.h"

#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_input.h"
#include "core/transaction/actions_engine.h"

namespace optimystic::tools::cli {

namespace {

using block::Value;

// The statements of `path`, each as the JSON text the actions engine reads, or the first
// problem, named by the file and the statement's index.
Result<std::vector<std::string>> ReadStatements(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("txn: cannot open " + path);
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    return Status::InvalidArgument("txn: cannot read " + path);
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value file, ParseJsonArgument(text, path));
  if (!file.is_array()) {
    return Status::InvalidArgument(path + ": expected a JSON array of statements, found " +
                                   std::string(file.type_name()));
  }
  if (file.empty()) {
    return Status::InvalidArgument(path + ": no statements");
  }
  std::vector<std::string> statements;
  statements.reserve(file.size());
  for (const Value& statement : file) {
    statements.push_back(JsonText(statement));
  }
  Result<std::vector<core::transaction::CollectionActions>> checked =
      core::transaction::ActionsEngine().Translate(statements);
  if (!checked) {
    return Status::InvalidArgument(path + ": " + std::string(checked.error().message()));
  }
  return statements;
}

Value TextList(const std::vector<std::string>& texts) {
  Value out = Value::array();
  for (const std::string& t : texts) out.push_back(t);
  return out;
}

std::string Joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const std::string& t : texts) {
    if (!out.empty()) out += ", ";
    out += t;
  }
  return out;
}

}  // namespace

int RunTxn(const CliCommand& cmd, client::Client& client, CliIo& io) noexcept {
  Result<std::vector<std::string>> statements = ReadStatements(cmd.file);
  if (!statements) {
    io.err << "optimystic: " << statements.error().message() << "\n";
    return kExitUsage;
  }
  Result<client::TransactResult> result = client.Transact(std::move(*statements));
  if (!result) return ReportRequestError(result.error(), io);
  if (cmd.json) {
    Value out{{"transactionId", result->transaction_id},
              {"success", result->success},
              {"committed", TextList(result->committed)},
              {"failed", TextList(result->failed)}};
    if (!result->success) out["error"] = result->error.ToString();
    io.out << JsonText(out) << "\n";
  } else if (result->success) {
    io.out << "committed " << result->transaction_id << " to " << Joined(result->committed) << "\n";
  } else {
    io.out << "PARTIALLY committed " << result->transaction_id << ": committed to "
           << Joined(result->committed) << "; not to " << Joined(result->failed) << "\n";
  }
  if (result->success) return kExitOk;
  io.err << "optimystic: " << result->error.ToString()
         << " (do not resend the file as it is: its committed part would apply twice)\n";
  return kExitRefused;
}

}  // namespace optimystic::tools::cli
