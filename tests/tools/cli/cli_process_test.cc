// SPDX-License-Identifier: Apache-2.0
// The built `optimystic` binary as a user runs it, against a test node (a RequestRouter over a
// fake Database on tcp): output, exit statuses, OPTIMYSTIC_NODE, and `diary read --follow`
// until SIGINT.
#include <optimystic/block/value.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "tools/cli/cli_test_server.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

namespace optimystic::tools::cli {
namespace {

using block::Value;
using std::chrono::seconds;

class CliProcessTest : public ::testing::Test {
 protected:
  test::RunResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {OPTIMYSTIC_CLI_BINARY, "--node", server_.url()});
    return test::RunToExit(std::move(args), seconds(30));
  }
  std::vector<collections::Action> Append(Value data) {
    collections::Action action;
    action.type = "append";
    action.data = std::move(data);
    return {action};
  }

  test::CliTestServer server_;
};

TEST_F(CliProcessTest, PutGetRangeDelete) {
  test::RunResult put = Cli({"tree", "put", "users", "alice", R"({"name":"Alice"})"});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.out, "ok, revision 1\n");
  test::RunResult get = Cli({"tree", "get", "users", "alice"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, "{\"name\":\"Alice\"}\n");
  test::RunResult range = Cli({"--json", "tree", "range", "users", "--from", "a"});
  EXPECT_EQ(range.out, "[[\"alice\",{\"name\":\"Alice\"}]]\n");
  EXPECT_EQ(Cli({"tree", "delete", "users", "alice"}).exit_code, 0);
  EXPECT_EQ(Cli({"tree", "count", "users"}).out, "0\n");
}

TEST_F(CliProcessTest, ExitStatusesAndOneLineErrors) {
  test::RunResult refused = Cli({"counter", "get", "nothing"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "optimystic: NotFound: collection nothing not found\n");

  test::RunResult malformed = Cli({"tree", "put", "users", "k", "{\"a\":1,}"});
  EXPECT_EQ(malformed.exit_code, 2);
  EXPECT_EQ(malformed.err.rfind(
                "optimystic: tree put: ENTRY (argument 3): malformed JSON at position 8: ", 0),
            0u)
      << malformed.err;
  EXPECT_NE(malformed.err.find("Run 'optimystic --help' for usage."), std::string::npos);

  test::RunResult usage = Cli({"tree", "frobnicate"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_EQ(usage.err.rfind("optimystic: unknown tree command 'frobnicate'\n", 0), 0u);

  test::RunResult unreachable = test::RunToExit(
      {OPTIMYSTIC_CLI_BINARY, "--node", server_.dead_url(), "--timeout-ms", "2000", "status"},
      seconds(30));
  EXPECT_EQ(unreachable.exit_code, 3);
  EXPECT_EQ(unreachable.err.rfind("optimystic: Unavailable: cannot reach " + server_.dead_url(), 0),
            0u)
      << unreachable.err;
  EXPECT_EQ(std::count(unreachable.err.begin(), unreachable.err.end(), '\n'), 1) << unreachable.err;

  test::RunResult help = test::RunToExit({OPTIMYSTIC_CLI_BINARY, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: optimystic"), std::string::npos);
  EXPECT_EQ(server_.database().calls().size(), 1u);  // only the refused counter get
}

TEST_F(CliProcessTest, TheNodeMayComeFromTheEnvironment) {
  // Through env(1), so that this (threaded) test process never changes its own environment.
  test::RunResult status = test::RunToExit({"/usr/bin/env", "OPTIMYSTIC_NODE=" + server_.url(),
                                            OPTIMYSTIC_CLI_BINARY, "--json", "status"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(Value::parse(status.out)["peerId"], "peer-cli") << status.out;
}

TEST_F(CliProcessTest, ImportsAFileAndReportsTheRate) {
  test::TempDir dir;
  const std::string file = dir.Sub("users.jsonl");
  {
    std::ofstream out(file);
    for (int i = 0; i < 2000; ++i) out << R"({"name":"u)" << i << R"(","n":)" << i << "}\n";
  }
  test::RunResult run = Cli({"import", "users", file, "--key", "name", "--batch", "250"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out.rfind("imported 2000 entries into users in ", 0), 0u) << run.out;
  EXPECT_NE(run.err.find("imported 1000/2000 (50%)"), std::string::npos) << run.err;
  EXPECT_EQ(Cli({"tree", "count", "users"}).out, "2000\n");
  EXPECT_EQ(Cli({"tree", "get", "users", "u1999"}).out, "{\"n\":1999,\"name\":\"u1999\"}\n");
}

TEST_F(CliProcessTest, FollowPrintsNewEntriesUntilInterrupted) {
  ASSERT_TRUE(server_.client()
                  .Act("log", "diary", Append({{"n", 1}}), client::CreateMode::kCreateIfAbsent)
                  .has_value());
  test::Subprocess follow({OPTIMYSTIC_CLI_BINARY, "--node", server_.url(), "diary", "read", "log",
                           "--follow", "--interval-ms", "20"});
  ASSERT_TRUE(follow.Start());
  ASSERT_TRUE(follow.WaitForLine("{\"n\":1}", seconds(10)).has_value()) << follow.stderr_text();
  ASSERT_TRUE(server_.client()
                  .Act("log", "diary", Append({{"n", 2}}), client::CreateMode::kOpenExisting)
                  .has_value());
  ASSERT_TRUE(follow.WaitForLine("{\"n\":2}", seconds(10)).has_value()) << follow.stderr_text();
  ASSERT_TRUE(follow.Signal(SIGINT));
  std::optional<int> exit_code = follow.Wait(seconds(10));
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0) << follow.stderr_text();
  EXPECT_EQ(follow.stdout_text(), "{\"n\":1}\n{\"n\":2}\n");
}

}  // namespace
}  // namespace optimystic::tools::cli
