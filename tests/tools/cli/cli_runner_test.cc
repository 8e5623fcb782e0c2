// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_runner.h"

#include "cli/cli_command.h"
#include "support/temp_dir.h"
#include "tools/cli/cli_test_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace optimystic::tools::cli {
namespace {

using block::Value;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliRunnerTest : public ::testing::Test {
 protected:
  // Runs the command `args` describe against the test server (or `url`).
  Outcome Run(std::vector<std::string> args, bool tty = false, const std::string& url = "") {
    args.insert(args.begin(), {"--node", url.empty() ? server_.url() : url});
    Result<CliCommand> cmd = ParseCommandLine(args, std::nullopt);
    EXPECT_TRUE(cmd.has_value()) << cmd.status().ToString();
    if (!cmd) return {};
    std::ostringstream out;
    std::ostringstream err;
    CliIo io{out, err, stop_, tty};
    client::Client client = server_.ClientOn(server_.client_transport(), cmd->node_url);
    Outcome outcome;
    outcome.exit_code = RunCommand(*cmd, client, io);
    outcome.out = out.str();
    outcome.err = err.str();
    return outcome;
  }

  int ActCount() {
    int acts = 0;
    for (const auto& call : server_.database().calls()) acts += call.method == "Act";
    return acts;
  }

  test::CliTestServer server_;
  std::atomic<bool> stop_{false};
};

TEST_F(CliRunnerTest, TreeCommandsPrintForPeople) {
  EXPECT_EQ(Run({"tree", "put", "users", "alice", R"({"name":"Alice"})"}).out, "ok, revision 1\n");
  EXPECT_EQ(Run({"tree", "put", "users", "7", R"("seven")"}).out, "ok, revision 2\n");
  EXPECT_EQ(Run({"tree", "get", "users", "alice"}).out, "{\"name\":\"Alice\"}\n");
  EXPECT_EQ(Run({"tree", "get", "users", "nobody"}).out, "(no entry for nobody)\n");
  EXPECT_EQ(Run({"tree", "range", "users"}).out, "7\t\"seven\"\nalice\t{\"name\":\"Alice\"}\n");
  EXPECT_EQ(Run({"tree", "range", "users", "--desc", "--limit", "1"}).out,
            "alice\t{\"name\":\"Alice\"}\n");
  EXPECT_EQ(Run({"tree", "count", "users"}).out, "2\n");
  EXPECT_EQ(Run({"tree", "delete", "users", "7"}).out, "ok, revision 3\n");
  EXPECT_EQ(Run({"tree", "count", "users"}).out, "1\n");
  // The key 7 went over the wire as a number; with --string-keys it would be "7".
  const auto calls = server_.database().calls();
  EXPECT_EQ(calls[1].actions[0].data, Value::parse(R"([[7,"seven"]])"));
  EXPECT_EQ(calls[1].actions[0].type, "replace");
  EXPECT_TRUE(calls[1].create);
  EXPECT_FALSE(calls[7].create);  // delete does not create a tree
}

TEST_F(CliRunnerTest, JsonOutputIsTheNodesAnswer) {
  EXPECT_EQ(Run({"--json", "tree", "put", "u", "1", "{}"}).out, "{\"revision\":1}\n");
  EXPECT_EQ(Run({"--json", "tree", "get", "u", "1"}).out, "{}\n");
  EXPECT_EQ(Run({"--json", "tree", "get", "u", "2"}).out, "null\n");
  EXPECT_EQ(Run({"--json", "tree", "range", "u", "--from", "0", "--to", "5"}).out, "[[1,{}]]\n");
  EXPECT_EQ(server_.database().calls().back().args, Value::parse(R"({"from":0,"to":5})"));
  EXPECT_EQ(Run({"--json", "tree", "range", "u", "--to", "1"}).out, "[]\n");  // to is exclusive
  EXPECT_EQ(Run({"--json", "tree", "count", "u"}).out, "1\n");
  Outcome status = Run({"--json", "status"});
  Value parsed = Value::parse(status.out);
  EXPECT_EQ(parsed["peerId"], "peer-cli");
  EXPECT_EQ(parsed["node"], server_.url());
  EXPECT_EQ(parsed["database"]["collections"]["u"]["type"], "tree");
}

TEST_F(CliRunnerTest, DiaryAndCounterCommands) {
  EXPECT_EQ(Run({"diary", "append", "log", R"({"msg":"one"})"}).exit_code, kExitOk);
  EXPECT_EQ(Run({"diary", "append", "log", R"({"msg":"two"})"}).exit_code, kExitOk);
  EXPECT_EQ(Run({"diary", "read", "log"}).out, "{\"msg\":\"one\"}\n{\"msg\":\"two\"}\n");
  EXPECT_EQ(Run({"diary", "read", "log", "--desc", "--limit", "1"}).out, "{\"msg\":\"two\"}\n");
  EXPECT_EQ(Run({"--json", "diary", "read", "log"}).out, "[{\"msg\":\"one\"},{\"msg\":\"two\"}]\n");
  EXPECT_EQ(Run({"counter", "add", "hits", "5"}).out, "ok, revision 1\n");
  EXPECT_EQ(Run({"counter", "add", "hits", "-2"}).out, "ok, revision 2\n");
  EXPECT_EQ(Run({"counter", "get", "hits"}).out, "3\n");
  EXPECT_EQ(Run({"--json", "counter", "get", "hits"}).out, "{\"value\":3}\n");
  EXPECT_EQ(server_.database().calls().back().type, "counter");
}

TEST_F(CliRunnerTest, FollowPrintsTheLastEntriesAndStopsWhenTold) {
  for (int i = 0; i < 5; ++i) Run({"diary", "append", "log", std::to_string(i)});
  stop_.store(true);  // as if interrupted at once: prints what is there, then exits 0
  Outcome outcome = Run({"diary", "read", "log", "--follow", "--limit", "2"});
  EXPECT_EQ(outcome.exit_code, kExitOk);
  EXPECT_EQ(outcome.out, "3\n4\n");
}

TEST_F(CliRunnerTest, TheNodesRefusalIsOneLineAndExitOne) {
  Outcome outcome = Run({"tree", "get", "nobody", "k"});
  EXPECT_EQ(outcome.exit_code, kExitRefused);
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.err, "optimystic: NotFound: collection nobody not found\n");
  Run({"tree", "put", "users", "a", "1"});
  outcome = Run({"diary", "append", "users", "1"});
  EXPECT_EQ(outcome.exit_code, kExitRefused);
  EXPECT_EQ(outcome.err, "optimystic: InvalidArgument: collection users is a tree, not a diary\n");
  server_.database().FailNext(Status::Aborted("conflict rejected\nby resolver reject"));
  outcome = Run({"counter", "add", "c", "1"});
  EXPECT_EQ(outcome.exit_code, kExitRefused);
  EXPECT_EQ(outcome.err, "optimystic: Aborted: conflict rejected by resolver reject\n");
}

TEST_F(CliRunnerTest, AnUnreachableNodeIsExitThree) {
  Outcome outcome = Run({"status"}, false, server_.dead_url());
  EXPECT_EQ(outcome.exit_code, kExitUnreachable);
  EXPECT_EQ(outcome.err.rfind("optimystic: Unavailable: cannot reach " + server_.dead_url(), 0), 0u)
      << outcome.err;
}

TEST_F(CliRunnerTest, VerifyExitsOneWhenTheReportSaysBroken) {
  Run({"diary", "append", "log", "1"});
  Outcome ok = Run({"verify", "log"});
  EXPECT_EQ(ok.exit_code, kExitOk);
  EXPECT_EQ(ok.out, "log: log verified: {\"ok\":true,\"revision\":1}\n");
  server_.database().SetReport("log", {{"ok", false}, {"brokenAt", 1}});
  Outcome broken = Run({"verify", "log"});
  EXPECT_EQ(broken.exit_code, kExitRefused);
  EXPECT_EQ(broken.out, "log: log BROKEN: {\"brokenAt\":1,\"ok\":false}\n");
  EXPECT_EQ(Run({"--json", "verify", "log"}).out, "{\"brokenAt\":1,\"ok\":false}\n");
}

TEST_F(CliRunnerTest, StatusForPeople) {
  Outcome outcome = Run({"status"});
  EXPECT_EQ(outcome.exit_code, kExitOk);
  EXPECT_NE(outcome.out.find("peer id   peer-cli\n"), std::string::npos) << outcome.out;
  EXPECT_NE(outcome.out.find("version   0.1.0 (protocol 1)\n"), std::string::npos);
}

class CliImportTest : public CliRunnerTest {
 protected:
  std::string WriteLines(const std::vector<std::string>& lines) {
    const std::string path = dir_.Sub("data.jsonl");
    std::ofstream out(path);
    for (const std::string& line : lines) out << line << "\n";
    return path;
  }
  std::vector<std::string> Users(int n) {
    std::vector<std::string> lines;
    for (int i = 0; i < n; ++i) {
      lines.push_back(R"({"id":)" + std::to_string(i) + R"(,"name":"user )" + std::to_string(i) +
                      R"("})");
    }
    return lines;
  }
  test::TempDir dir_;
};

TEST_F(CliImportTest, PutsEveryLineInBatchesWithProgressLinesAndARate) {
  std::vector<std::string> lines = Users(1000);
  lines.insert(lines.begin() + 500, "   ");  // blank lines are skipped
  const std::string file = WriteLines(lines);
  Outcome outcome = Run({"import", "users", file, "--batch", "100"});
  EXPECT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  EXPECT_EQ(ActCount(), 10);
  EXPECT_EQ(outcome.out.rfind("imported 1000 entries into users in ", 0), 0u) << outcome.out;
  EXPECT_NE(outcome.out.find(" entries/s), revision 10\n"), std::string::npos) << outcome.out;
  // Not a terminal: one progress line per tenth.
  EXPECT_NE(outcome.err.find("imported 100/1000 (10%)\n"), std::string::npos) << outcome.err;
  EXPECT_NE(outcome.err.find("imported 1000/1000 (100%)\n"), std::string::npos);
  EXPECT_EQ(outcome.err.find('\r'), std::string::npos);
  EXPECT_EQ(Run({"tree", "count", "users"}).out, "1000\n");
  EXPECT_EQ(Run({"tree", "get", "users", "999"}).out, "{\"id\":999,\"name\":\"user 999\"}\n");
}

TEST_F(CliImportTest, DrawsABarOnATerminalAndReportsJson) {
  const std::string file = WriteLines(Users(30));
  Outcome outcome = Run({"--json", "import", "users", file, "--batch", "7"}, /*tty=*/true);
  EXPECT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  EXPECT_EQ(ActCount(), 5);
  EXPECT_NE(outcome.err.find("\r[##############################] 100% 30/30"), std::string::npos)
      << outcome.err;
  Value report = Value::parse(outcome.out);
  EXPECT_EQ(report["entries"], 30);
  EXPECT_EQ(report["revision"], 5);
  EXPECT_TRUE(report["entriesPerSecond"].is_number());
}

TEST_F(CliImportTest, ABadLineStopsTheImportBeforeAnythingIsWritten) {
  std::vector<std::string> lines = Users(5);
  lines[2] = R"({"id": 3, "name": })";
  const std::string file = WriteLines(lines);
  Outcome outcome = Run({"import", "users", file});
  EXPECT_EQ(outcome.exit_code, kExitUsage);
  EXPECT_EQ(outcome.err.rfind("optimystic: " + file + ":3: malformed JSON at position 19: ", 0), 0u)
      << outcome.err;
  EXPECT_EQ(ActCount(), 0);
  lines[2] = R"({"name":"no id"})";
  outcome = Run({"import", "users", WriteLines(lines)});
  EXPECT_EQ(outcome.err, "optimystic: " + file + ":3: no key field 'id'\n");
  lines[2] = R"([1,2])";
  outcome = Run({"import", "users", WriteLines(lines)});
  EXPECT_EQ(outcome.err, "optimystic: " + file + ":3: expected a JSON object, found array\n");
  outcome = Run({"import", "users", dir_.Sub("missing.jsonl")});
  EXPECT_EQ(outcome.exit_code, kExitUsage);
  EXPECT_EQ(outcome.err, "optimystic: import: cannot open " + dir_.Sub("missing.jsonl") + "\n");
  EXPECT_EQ(ActCount(), 0);
}

TEST_F(CliImportTest, ARefusedBatchStopsAndSaysHowFarItGot) {
  const std::string file = WriteLines(Users(10));
  Run({"diary", "append", "users", "1"});  // "users" is a diary: the tree puts are refused
  Outcome outcome = Run({"import", "users", file, "--batch", "4"});
  EXPECT_EQ(outcome.exit_code, kExitRefused);
  EXPECT_EQ(outcome.err,
            "optimystic: import stopped after 0 of 10 entries\n"
            "optimystic: InvalidArgument: collection users is a diary, not a tree\n");
}

class CliTxnTest : public CliRunnerTest {
 protected:
  std::string WriteFile(const std::string& text) {
    const std::string path = dir_.Sub("txn.json");
    std::ofstream(path) << text;
    return path;
  }
  int TransactCount() {
    int n = 0;
    for (const auto& call : server_.database().calls()) n += call.method == "Transact";
    return n;
  }
  test::TempDir dir_;
};

constexpr const char* kTransfer = R"([
  {"collectionId": "users", "actions": [{"type": "replace", "data": [["bob", {"name": "Bob"}]]}]},
  {"collectionId": "orders", "actions": [{"type": "append", "data": {"user": "bob"}}]},
  {"collectionId": "stock", "actions": [{"type": "add", "data": {"delta": -1}}]}
])";

TEST_F(CliTxnTest, RunsTheFilesStatementsAsOneTransaction) {
  Run({"tree", "put", "users", "alice", "1"});
  Run({"diary", "append", "orders", "{}"});
  Run({"counter", "add", "stock", "10"});
  Outcome outcome = Run({"txn", WriteFile(kTransfer)});
  EXPECT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  EXPECT_EQ(outcome.out, "committed tx:fake-1 to orders, stock, users\n");
  // Each statement travels as its own JSON text, in file order.
  std::vector<std::string> statements = server_.database().calls().back().statements;
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(Value::parse(statements[0])["collectionId"], "users");
  EXPECT_EQ(Value::parse(statements[2])["actions"][0]["data"]["delta"], -1);
  EXPECT_EQ(Run({"tree", "get", "users", "bob"}).out, "{\"name\":\"Bob\"}\n");
  EXPECT_EQ(Run({"counter", "get", "stock"}).out, "9\n");

  outcome = Run({"--json", "txn", WriteFile(kTransfer)});
  EXPECT_EQ(outcome.exit_code, kExitOk) << outcome.err;
  EXPECT_EQ(Value::parse(outcome.out),
            Value::parse(R"({"transactionId": "tx:fake-2", "success": true,
                             "committed": ["orders", "stock", "users"], "failed": []})"));
}

TEST_F(CliTxnTest, AMalformedFileIsRefusedBeforeAnythingIsSent) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([{"collectionId": "users", "actions": )", "malformed JSON at position "},
      {R"({"collectionId": "users"})", ": expected a JSON array of statements, found object"},
      {"[]", ": no statements"},
      {R"([{"collectionId": "users", "actions": []}, 7])",
       ": statement 1: expected an object {collectionId, actions}"},
      {R"([{"actions": []}])", ": statement 0: missing collectionId"},
      {R"([{"collectionId": "u", "actions": {}}])", ": statement 0: actions must be an array"},
      {R"([{"collectionId": "u", "actions": [{"data": 1}]}])", ": statement 0: actions[0]: "},
  };
  for (const auto& [text, message] : cases) {
    const std::string file = WriteFile(text);
    Outcome outcome = Run({"txn", file});
    EXPECT_EQ(outcome.exit_code, kExitUsage) << text;
    EXPECT_EQ(outcome.err.rfind("optimystic: " + file, 0), 0u) << outcome.err;
    EXPECT_NE(outcome.err.find(message), std::string::npos) << text << " -> " << outcome.err;
  }
  Outcome missing = Run({"txn", dir_.Sub("missing.json")});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_EQ(missing.err, "optimystic: txn: cannot open " + dir_.Sub("missing.json") + "\n");
  EXPECT_EQ(TransactCount(), 0);
}

TEST_F(CliTxnTest, TheNodesRefusalIsExitOneAndNothingCommits) {
  Run({"tree", "put", "users", "alice", "1"});
  Outcome outcome = Run({"txn", WriteFile(kTransfer)});  // orders and stock do not exist
  EXPECT_EQ(outcome.exit_code, kExitRefused);
  EXPECT_EQ(outcome.err, "optimystic: NotFound: Collection not found: orders\n");
  EXPECT_EQ(Run({"tree", "get", "users", "bob"}).out, "(no entry for bob)\n");
}

TEST_F(CliTxnTest, APartialLandingNamesBothSidesAndExitsOne) {
  runtime::services::TransactOutcome partial;
  partial.transaction_id = "tx:abc";
  partial.committed = {"orders", "stock"};
  partial.failed = {"users"};
  partial.error = Status::Aborted("Transaction partially committed: disk full");
  server_.database().AnswerNextTransact(partial);
  Outcome outcome = Run({"txn", WriteFile(kTransfer)});
  EXPECT_EQ(outcome.exit_code, kExitRefused);
  EXPECT_EQ(outcome.out, "PARTIALLY committed tx:abc: committed to orders, stock; not to users\n");
  EXPECT_EQ(outcome.err,
            "optimystic: Aborted: Transaction partially committed: disk full (do not resend the "
            "file as it is: its committed part would apply twice)\n");
  server_.database().AnswerNextTransact(partial);
  outcome = Run({"--json", "txn", WriteFile(kTransfer)});
  EXPECT_EQ(outcome.exit_code, kExitRefused);
  Value report = Value::parse(outcome.out);
  EXPECT_EQ(report["success"], false);
  EXPECT_EQ(report["failed"], Value::array({"users"}));
  EXPECT_EQ(report["error"], "Aborted: Transaction partially committed: disk full");
}

}  // namespace
}  // namespace optimystic::tools::cli
