// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace optimystic::tools::cli {
namespace {

using block::Value;

Result<CliCommand> Parse(std::vector<std::string> args,
                         std::optional<std::string> env = std::nullopt) {
  return ParseCommandLine(args, env);
}

// The usage error `args` give.
std::string ErrorOf(std::vector<std::string> args) {
  Result<CliCommand> cmd = Parse(std::move(args));
  if (cmd.has_value()) return "parsed";
  EXPECT_EQ(cmd.error().code(), StatusCode::kInvalidArgument);
  return std::string(cmd.error().message());
}

TEST(CliCommand, TreePutParsesKeyAndEntry) {
  Result<CliCommand> cmd = Parse({"tree", "put", "users", "alice", R"({"name":"Alice"})"});
  ASSERT_TRUE(cmd.has_value()) << cmd.status().ToString();
  EXPECT_EQ(cmd->verb, Verb::kTreePut);
  EXPECT_EQ(cmd->node_url, "tcp://127.0.0.1:7400");
  EXPECT_EQ(cmd->collection, "users");
  EXPECT_EQ(cmd->key, Value("alice"));
  EXPECT_EQ(cmd->value, Value::parse(R"({"name":"Alice"})"));
  EXPECT_FALSE(cmd->json);
  EXPECT_EQ(cmd->timeout_ms, kDefaultTimeoutMs);
}

TEST(CliCommand, NumericKeysAreNumbersUnlessStringKeys) {
  EXPECT_EQ(Parse({"tree", "get", "t", "42"})->key, Value(42));
  EXPECT_EQ(Parse({"--string-keys", "tree", "get", "t", "42"})->key, Value("42"));
  Result<CliCommand> range = Parse({"tree", "range", "t", "--from", "10", "--to", "b"});
  ASSERT_TRUE(range.has_value()) << range.status().ToString();
  EXPECT_EQ(range->from, Value(10));
  EXPECT_EQ(range->to, Value("b"));
}

TEST(CliCommand, EveryCommandParses) {
  const std::vector<std::pair<std::vector<std::string>, Verb>> cases = {
      {{"tree", "put", "t", "k", "1"}, Verb::kTreePut},
      {{"tree", "get", "t", "k"}, Verb::kTreeGet},
      {{"tree", "range", "t", "--desc", "--limit", "5"}, Verb::kTreeRange},
      {{"tree", "delete", "t", "k"}, Verb::kTreeDelete},
      {{"tree", "count", "t"}, Verb::kTreeCount},
      {{"diary", "append", "d", R"({"msg":"hi"})"}, Verb::kDiaryAppend},
      {{"diary", "read", "d", "--follow", "--interval-ms", "50"}, Verb::kDiaryRead},
      {{"counter", "add", "c", "-5"}, Verb::kCounterAdd},
      {{"counter", "get", "c"}, Verb::kCounterGet},
      {{"import", "t", "data.jsonl", "--key", "name", "--batch", "500"}, Verb::kImport},
      {{"txn", "transfer.json"}, Verb::kTxn},
      {{"verify", "t"}, Verb::kVerify},
      {{"status"}, Verb::kStatus},
      {{"--help"}, Verb::kHelp},
      {{"tree", "--help"}, Verb::kHelp},
  };
  for (const auto& [args, verb] : cases) {
    Result<CliCommand> cmd = Parse(args);
    ASSERT_TRUE(cmd.has_value()) << args[0] << ": " << cmd.status().ToString();
    EXPECT_EQ(cmd->verb, verb) << args[0];
  }
  Result<CliCommand> add = Parse({"counter", "add", "c", "-5"});
  EXPECT_EQ(add->delta, -5);
  Result<CliCommand> imp = Parse({"import", "t", "data.jsonl", "--key", "name", "--batch", "500"});
  EXPECT_EQ(imp->file, "data.jsonl");
  EXPECT_EQ(imp->key_field, "name");
  EXPECT_EQ(imp->batch, 500u);
  EXPECT_EQ(Parse({"import", "t", "f"})->key_field, "id");
  Result<CliCommand> txn = Parse({"txn", "transfer.json"});
  EXPECT_EQ(txn->file, "transfer.json");
  EXPECT_EQ(txn->collection, "");
  Result<CliCommand> follow = Parse({"diary", "read", "d", "--follow", "--interval-ms", "50"});
  EXPECT_TRUE(follow->follow);
  EXPECT_EQ(follow->interval_ms, 50);
}

TEST(CliCommand, GlobalOptionsGoAnywhere) {
  Result<CliCommand> cmd = Parse(
      {"tree", "count", "t", "--json", "--node", "tcp://10.0.0.1:9000", "--timeout-ms", "250"});
  ASSERT_TRUE(cmd.has_value()) << cmd.status().ToString();
  EXPECT_TRUE(cmd->json);
  EXPECT_EQ(cmd->node_url, "tcp://10.0.0.1:9000");
  EXPECT_EQ(cmd->timeout_ms, 250);
  EXPECT_EQ(Parse({"--node=tcp://h:1", "status"})->node_url, "tcp://h:1");
}

TEST(CliCommand, TlsFilesGoTogether) {
  Result<CliCommand> cmd =
      Parse({"status", "--tls-ca", "ca.pem", "--tls-cert", "c.pem", "--tls-key", "c.key"});
  ASSERT_TRUE(cmd.has_value()) << cmd.status().ToString();
  EXPECT_EQ(cmd->tls_ca, "ca.pem");
  EXPECT_EQ(cmd->tls_cert, "c.pem");
  EXPECT_EQ(cmd->tls_key, "c.key");
  EXPECT_TRUE(Parse({"status"})->tls_ca.empty());
  EXPECT_EQ(ErrorOf({"status", "--tls-ca", "ca.pem"}),
            "--tls-ca, --tls-cert and --tls-key go together");
  EXPECT_EQ(ErrorOf({"--tls-cert", "c.pem", "--tls-key", "c.key", "status"}),
            "--tls-ca, --tls-cert and --tls-key go together");
}

TEST(CliCommand, TheNodeComesFromTheFlagThenTheEnvironmentThenTheDefault) {
  EXPECT_EQ(Parse({"status"}, "tcp://env:1")->node_url, "tcp://env:1");
  EXPECT_EQ(Parse({"--node", "tcp://flag:2", "status"}, "tcp://env:1")->node_url, "tcp://flag:2");
  EXPECT_EQ(Parse({"status"}, "")->node_url, "tcp://127.0.0.1:7400");
  EXPECT_EQ(Parse({"status"}, "localhost:7400").error().message(),
            "--node: expected tcp://HOST:PORT, got 'localhost:7400'");
}

TEST(CliCommand, UsageErrorsSayWhatIsWrong) {
  EXPECT_EQ(ErrorOf({}), "no command given");
  EXPECT_EQ(ErrorOf({"graph", "put"}), "unknown command 'graph'");
  EXPECT_EQ(ErrorOf({"tree"}), "'tree' needs a command");
  EXPECT_EQ(ErrorOf({"tree", "upsert", "t"}), "unknown tree command 'upsert'");
  EXPECT_EQ(ErrorOf({"tree", "get", "t"}),
            "tree get: expected 2 argument(s), got 1 (usage: optimystic tree get COLLECTION KEY)");
  EXPECT_EQ(ErrorOf({"status", "extra"}),
            "status: expected 0 argument(s), got 1 (usage: optimystic status)");
  EXPECT_EQ(ErrorOf({"tree", "get", "", "k"}), "tree get: COLLECTION (argument 1): empty");
  EXPECT_EQ(ErrorOf({"tree", "get", "t", "k", "--limit", "3"}),
            "--limit does not apply to 'tree get'");
  EXPECT_EQ(ErrorOf({"tree", "range", "t", "--limit", "0"}),
            "--limit: expected an integer from 1 to 4294967295, got '0'");
  EXPECT_EQ(ErrorOf({"counter", "add", "c", "1.5"}),
            "counter add: N (argument 2): expected an integer, got '1.5'");
  EXPECT_EQ(ErrorOf({"diary", "read", "d", "--follow", "--desc"}),
            "--follow reads forward; it does not go with --desc");
  EXPECT_EQ(ErrorOf({"diary", "read", "d", "--interval-ms", "100"}),
            "--interval-ms applies only with --follow");
  EXPECT_EQ(ErrorOf({"import", "t", "f", "--batch", "0"}),
            "--batch: expected an integer from 1 to 100000, got '0'");
  EXPECT_EQ(ErrorOf({"--node", "tcp://h:99999", "status"}),
            "--node port: expected an integer from 1 to 65535, got '99999'");
  EXPECT_NE(ErrorOf({"--frobnicate", "status"}).find("frobnicate"), std::string::npos);
  EXPECT_NE(ErrorOf({"tree", "range", "t", "--limit"}).find("limit"), std::string::npos);
}

TEST(CliCommand, MalformedJsonNamesTheArgumentAndPosition) {
  EXPECT_EQ(ErrorOf({"tree", "put", "t", "k", R"({"a":)"})
                .rfind("tree put: ENTRY (argument 3): malformed JSON at position 6: ", 0),
            0u)
      << ErrorOf({"tree", "put", "t", "k", R"({"a":)"});
  EXPECT_EQ(ErrorOf({"diary", "append", "d", "{oops}"})
                .rfind("diary append: ENTRY (argument 2): malformed JSON at position 2: ", 0),
            0u)
      << ErrorOf({"diary", "append", "d", "{oops}"});
}

TEST(CliCommand, TreePutRefusesNullWhichATreeTakesForADelete) {
  EXPECT_EQ(ErrorOf({"tree", "put", "t", "k", "null"}),
            "tree put: ENTRY (argument 3): null would delete KEY; use 'tree delete'");
  EXPECT_EQ(ErrorOf({"tree", "put", "t", "k", " null "}),
            "tree put: ENTRY (argument 3): null would delete KEY; use 'tree delete'");
  EXPECT_TRUE(Parse({"tree", "put", "t", "k", "[null]"}).has_value());
  EXPECT_TRUE(Parse({"diary", "append", "d", "null"}).has_value());  // a diary keeps null
}

TEST(CliCommand, NegativeNumbersAreArgumentsNotOptions) {
  EXPECT_EQ(Parse({"counter", "add", "c", "-12"})->delta, -12);
  EXPECT_EQ(Parse({"tree", "put", "t", "-3", "-4.5"})->value, Value(-4.5));
  EXPECT_EQ(Parse({"tree", "get", "t", "-3"})->key, Value(-3));
  // After "--" every word is an argument.
  EXPECT_EQ(Parse({"tree", "get", "t", "--", "--json"})->key, Value("--json"));
}

}  // namespace
}  // namespace optimystic::tools::cli
