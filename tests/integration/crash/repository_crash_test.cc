// SPDX-License-Identifier: Apache-2.0
// Kill -9 safety of the repository over the durable engines (DESIGN.md §4): a worker commits
// three-block transactions with sync on; the test SIGKILLs it after a random 50–400 ms, reopens
// the directory in-process and checks that every acknowledged transaction is whole at its rev,
// that the counter equals the last committed transaction (never less than the last ack), and
// that the next transaction left nothing committed; then restarts the worker. 10 cycles per
// engine, 200 with OPTIMYSTIC_SOAK=1; OPTIMYSTIC_CRASH_SEED=<n> replays a run.
#include "core/repository/block_reader.h"
#include "core/repository/repository.h"
#include "crash_txn.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

namespace optimystic::test::crash {
namespace {

using core::repository::Repository;
using transactor::ActionRev;
using transactor::GetBlockResult;

uint64_t SeedFromEnvironment() {
  if (const char* seed = std::getenv("OPTIMYSTIC_CRASH_SEED"); seed != nullptr && *seed) {
    return std::strtoull(seed, nullptr, 10);
  }
  return std::random_device{}();
}

int Cycles() {
  const char* soak = std::getenv("OPTIMYSTIC_SOAK");
  return soak != nullptr && std::string(soak) == "1" ? 200 : 10;
}

// The largest n of the "ack <n>" lines in `out`, or 0.
uint64_t LastAck(const std::string& out) {
  std::istringstream lines(out);
  uint64_t last = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("ack ", 0) == 0) {
      last = std::max<uint64_t>(last, std::strtoull(line.c_str() + 4, nullptr, 10));
    }
  }
  return last;
}

std::optional<uint64_t> ValueOf(const GetBlockResult& r) {
  if (!r.block) {
    return std::nullopt;
  }
  auto v = r.block->find("v");
  if (v == r.block->end() || !v->is_number_unsigned()) {
    return std::nullopt;
  }
  return *v->get_ptr<const block::Value::number_unsigned_t*>();
}

GetBlockResult Read(Repository& repo, const std::string& id,
                    std::optional<transactor::ActionContext> ctx = std::nullopt) {
  transactor::BlockGets gets;
  gets.block_ids = {id};
  gets.context = std::move(ctx);
  auto r = repo.Get(gets);
  EXPECT_TRUE(r) << id << ": " << r.error().ToString();
  return r ? r->at(id) : GetBlockResult{};
}

// Transaction n is whole: both its blocks at rev n, and the counter's rev n holds v = n.
void ExpectWhole(Repository& repo, uint64_t n) {
  for (const std::string& id : {BlockA(n), BlockB(n)}) {
    GetBlockResult r = Read(repo, id);
    EXPECT_EQ(ValueOf(r), n) << "block " << id << " of txn " << n;
    EXPECT_EQ(r.state.latest, (ActionRev{ActionFor(n), n})) << "block " << id;
  }
  transactor::ActionContext at;
  at.rev = n;
  GetBlockResult counter = Read(repo, std::string(kCounter), at);
  EXPECT_EQ(ValueOf(counter), n) << "counter at rev " << n;
  EXPECT_EQ(counter.materialized_rev, n) << "counter at rev " << n;
}

// Invariant P on the blocks a crash could have caught mid-transaction.
void ExpectNoPendingBesideCommitted(storage::StorageEngine& engine, uint64_t committed) {
  for (const std::string& id : {std::string(kCounter), BlockA(committed), BlockB(committed),
                                BlockA(committed + 1), BlockB(committed + 1)}) {
    core::repository::BlockReader reader(engine, id);
    auto pendings = reader.ListPendings();
    ASSERT_TRUE(pendings) << pendings.error().ToString();
    for (const std::string& action : *pendings) {
      auto both = reader.HasCommitted(action);
      ASSERT_TRUE(both) << both.error().ToString();
      EXPECT_FALSE(*both) << "block " << id << " holds " << action << " pending and committed";
    }
  }
}

// Reopens `dir` and checks it; returns the committed n (the counter's value).
uint64_t CheckAfterCrash(const std::string& kind, const std::string& dir, uint64_t last_acked,
                         uint64_t check_from) {
  TestLogger logger;
  auto engine = OpenEngine(kind, dir, logger);
  if (!engine) {
    ADD_FAILURE() << "reopen " << dir << ": " << engine.error().ToString();
    return 0;
  }
  Repository repo(**engine);
  GetBlockResult counter = Read(repo, std::string(kCounter));
  const uint64_t committed = ValueOf(counter).value_or(0);
  EXPECT_GE(committed, last_acked) << "an acknowledged transaction was lost";
  if (committed > 0) {
    EXPECT_EQ(counter.state.latest, (ActionRev{ActionFor(committed), committed}));
  }
  for (uint64_t n = std::max<uint64_t>(check_from, 1); n <= committed; ++n) {
    ExpectWhole(repo, n);
  }
  for (const std::string& id : {BlockA(committed + 1), BlockB(committed + 1)}) {
    GetBlockResult next = Read(repo, id);
    EXPECT_FALSE(next.block) << id << ": part of an uncommitted transaction is visible";
    EXPECT_FALSE(next.state.latest) << id;
  }
  ExpectNoPendingBesideCommitted(**engine, committed);
  EXPECT_TRUE((*engine)->Close().ok());
  return committed;
}

class RepositoryCrashTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RepositoryCrashTest, AcknowledgedTransactionsSurviveKillNineWhole) {
  const std::string kind = GetParam();
  const uint64_t seed = SeedFromEnvironment();
  std::mt19937_64 rng(seed);
  TempDir dir("repository-crash-" + kind);
  const std::string data = dir.Sub("data");
  uint64_t committed = 0;
  uint64_t last_acked = 0;
  const int cycles = Cycles();
  for (int cycle = 1; cycle <= cycles; ++cycle) {
    SCOPED_TRACE("engine " + kind + " seed " + std::to_string(seed) + " cycle " +
                 std::to_string(cycle));
    Subprocess worker({OPTIMYSTIC_CRASH_WORKER, kind, data});
    ASSERT_TRUE(worker.Start());
    auto ready = worker.WaitForLine("ready", std::chrono::seconds(60));
    ASSERT_TRUE(ready) << "worker did not start: " << worker.stderr_text();
    EXPECT_EQ(*ready, "ready " + std::to_string(committed + 1));
    const auto window = std::chrono::milliseconds(50 + rng() % 351);
    const auto deadline = std::chrono::steady_clock::now() + window;
    for (auto now = std::chrono::steady_clock::now(); now < deadline;
         now = std::chrono::steady_clock::now()) {
      worker.WaitForLine("ack",
                         std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    }
    ASSERT_TRUE(worker.Signal(SIGKILL)) << "the worker exited early: " << worker.stderr_text();
    auto status = worker.Wait(std::chrono::seconds(30));
    ASSERT_EQ(status, 128 + SIGKILL) << worker.stderr_text();
    last_acked = std::max(last_acked, LastAck(worker.stdout_text()));
    const uint64_t now_committed = CheckAfterCrash(kind, data, last_acked, committed + 1);
    ASSERT_FALSE(HasFailure()) << "replay with OPTIMYSTIC_CRASH_SEED=" << seed;
    EXPECT_GE(now_committed, committed);
    committed = now_committed;
  }
  SCOPED_TRACE("final full check, engine " + kind + " seed " + std::to_string(seed));
  CheckAfterCrash(kind, data, last_acked, 1);
  RecordProperty("transactions", static_cast<int>(committed));
  std::printf("[ %s ] seed %llu: %d cycles, %llu transactions committed, last ack %llu\n",
              kind.c_str(), static_cast<unsigned long long>(seed), cycles,
              static_cast<unsigned long long>(committed),
              static_cast<unsigned long long>(last_acked));
}

INSTANTIATE_TEST_SUITE_P(Engines, RepositoryCrashTest, ::testing::Values("file", "rocksdb"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace optimystic::test::crash
