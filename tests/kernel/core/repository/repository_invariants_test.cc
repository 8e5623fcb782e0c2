// SPDX-License-Identifier: Apache-2.0
// Invariants P and L through every path that writes a committed record (commit, promotion),
// atomicity of every operation's batch under injected write faults, and concurrent writers over
// disjoint and overlapping block sets.
#include "core/repository/repository.h"

#include "repository_test_util.h"
#include "support/fault_storage_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

namespace optimystic::core::repository {
namespace {

using namespace test_util;  // NOLINT(build/namespaces): test helpers

// ---- invariants P and L ----

TEST_F(RepositoryTest, InvariantPHoldsOnEveryPathThatWritesACommittedRecord) {
  const std::vector<BlockId> ids = {"h", "x", "y"};
  // commit
  Land("a1", 1, Both(InsertOf(TestBlock("h")), InsertOf(TestBlock("x"))));
  ExpectInvariants(engine_, ids);
  // commit of several blocks, with a rival pending left in place
  PendOk(MakePend("rival", 2, SetV("x", 20)));
  Land("a2", 2, Both(SetV("h", 2), SetV("x", 2)));
  ExpectInvariants(engine_, ids);
  // idempotent re-commit
  CommitOk("a2", 2, {"h", "x"});
  ExpectInvariants(engine_, ids);
  // promotion, one and several at once
  PendOk(MakePend("a3", 3, Both(SetV("h", 3), InsertOf(TestBlock("y")))));
  Read("y", AtRev(3, {{"a3", 3}}));
  ExpectInvariants(engine_, ids);
  Read("h", AtRev(3, {{"a3", 3}}));
  ExpectInvariants(engine_, ids);
  CommitOk("a3", 3, {"h", "y"});  // the rest of a3 after both blocks were promoted
  PendOk(MakePend("a4", 4, SetV("y", 4)));
  PendOk(MakePend("a5", 5, SetV("y", 5)));
  Read("y", AtRev(5, {{"a4", 4}, {"a5", 5}}));
  ExpectInvariants(engine_, ids);
  // a tombstone is a committed record too
  Land("a6", 6, DeleteOf("y"));
  ExpectInvariants(engine_, ids);
  // a pend retried after its commit must not recreate the pending record
  PendOk(MakePend("a6", 6, DeleteOf("y")));
  PendOk(MakePend("a2", std::nullopt, SetV("x", 2)));
  ExpectInvariants(engine_, ids);
  EXPECT_EQ(Read("x").state.pendings, (std::vector<ActionId>{"rival"}));
}

TEST_F(RepositoryTest, InvariantLLatestNeverAdvancesPastWhatMaterializes) {
  const std::vector<BlockId> ids = {"known", "orphan", "orphan2", "gone"};
  Land("a1", 1, Both(InsertOf(TestBlock("known")), InsertOf(TestBlock("gone"))));
  Land("a2", 2, DeleteOf("gone"));
  // commit path: update-only on a block never committed here
  PendOk(MakePend("a3", 3, Both(SetV("known", 3), SetV("orphan", 3))));
  StaleFailure f = CommitFails("a3", 3, {"known", "orphan"});
  EXPECT_EQ(f.reason.value_or("").rfind("missing-base-revision", 0), 0u);
  ExpectInvariants(engine_, ids);
  EXPECT_FALSE(Read("orphan").state.latest);
  // promotion path: the same, driven by a reader's context
  PendOk(MakePend("a4", std::nullopt, SetV("orphan2", 4)));
  GetBlockResult r = Read("orphan2", AtRev(4, {{"a4", 4}}));
  EXPECT_EQ(r.unavailable, transactor::UnavailableReason::kUnmaterializable);
  ExpectInvariants(engine_, ids);
  EXPECT_FALSE(Read("orphan2").state.latest);
  EXPECT_TRUE(Read("orphan2").state.pendings.empty());
  // an update of a tombstone is refused on both paths; latest stays at the tombstone
  PendOk(MakePend("a5", std::nullopt, SetV("gone", 5)));
  CommitFails("a5", 5, {"gone"});
  Read("gone", AtRev(5, {{"a5", 5}}));
  EXPECT_EQ(Read("gone").state.latest, (ActionRev{"a2", 2}));
  ExpectInvariants(engine_, ids);
  // the known block is untouched by the refused commit and still commits later
  Land("a6", 6, SetV("known", 6));
  ExpectInvariants(engine_, ids);
}

// ---- atomicity: a failed batch leaves no trace ----

class RepositoryFaultTest : public ::testing::Test {
 protected:
  // Runs `op` with the next Write failing and expects an error and an unchanged engine; then
  // runs it again without the fault.
  void ExpectNoTrace(const std::string& what, const std::function<Status()>& op) {
    auto before = Snapshot(base_);
    uint64_t injected = fault_.injected_failures();
    fault_.FailNthWrite(1);
    Status failed = op();
    fault_.FailNthWrite(0);
    EXPECT_EQ(fault_.injected_failures(), injected + 1) << what << ": no write was attempted";
    EXPECT_FALSE(failed.ok()) << what;
    EXPECT_EQ(failed.code(), StatusCode::kIOError) << what << ": " << failed.ToString();
    EXPECT_EQ(Snapshot(base_), before) << what << ": the failed batch left a trace";
    Status retried = op();
    EXPECT_TRUE(retried.ok()) << what << ": " << retried.ToString();
    EXPECT_NE(Snapshot(base_), before) << what << ": the retry changed nothing";
  }
  static Status OkIfSuccess(const Result<transactor::PendResult>& r) {
    if (!r) {
      return r.error();
    }
    return transactor::FailureOf(*r) ? Status::Aborted("pend refused") : Status::Ok();
  }
  static Status OkIfSuccess(const Result<transactor::CommitResult>& r) {
    if (!r) {
      return r.error();
    }
    const StaleFailure* f = transactor::FailureOf(*r);
    return f ? Status::Aborted("commit refused: " + f->reason.value_or("stale")) : Status::Ok();
  }

  plugins::storage_memory::MemoryStorageEngine base_;
  test::FaultStorageEngine fault_{base_};
  Repository repo_{fault_};
};

TEST_F(RepositoryFaultTest, EveryOperationIsOneBatchThatFailsWhole) {
  ExpectNoTrace("pend of two inserts", [&] {
    return OkIfSuccess(repo_.Pend(
        MakePend("a1", 1, Both(InsertOf(TestBlock("x", 1)), InsertOf(TestBlock("y", 1))))));
  });
  ExpectNoTrace("commit of two blocks", [&] {
    return OkIfSuccess(repo_.Commit(MakeCommit("a1", 1, {"x", "y"})));
  });
  ASSERT_TRUE(repo_.Pend(MakePend("a2", 2, Both(SetV("x", 2), SetV("y", 2)))));
  ExpectNoTrace("commit that prunes a materialization", [&] {
    return OkIfSuccess(repo_.Commit(MakeCommit("a2", 2, {"x", "y"})));
  });
  ASSERT_TRUE(repo_.Pend(MakePend("a3", 3, SetV("x", 3))));
  ExpectNoTrace("cancel", [&] { return repo_.Cancel({{"x"}, "a3"}); });
  ASSERT_TRUE(repo_.Pend(MakePend("a4", 4, SetV("x", 4))));
  ExpectNoTrace("promotion", [&] {
    transactor::BlockGets gets;
    gets.block_ids = {"x"};
    gets.context = AtRev(4, {{"a4", 4}});
    auto r = repo_.Get(gets);
    return r ? Status::Ok() : r.error();
  });
  ASSERT_TRUE(repo_.Pend(MakePend("a5", 5, SetV("orphan", 5))));
  ExpectNoTrace("invariant-L drop", [&] {
    auto r = repo_.Commit(MakeCommit("a5", 5, {"orphan"}));
    if (!r) {
      return r.error();
    }
    return transactor::FailureOf(*r) ? Status::Ok() : Status::Internal("committed");
  });
  ExpectInvariants(base_, {"x", "y", "orphan"});
}

TEST_F(RepositoryFaultTest, ReadFaultsPropagateAsErrors) {
  ASSERT_TRUE(repo_.Pend(MakePend("a1", 1, InsertOf(TestBlock("x")))));
  fault_.FailReads(true);
  transactor::BlockGets gets;
  gets.block_ids = {"x"};
  auto r = repo_.Get(gets);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kIOError);
  auto c = repo_.Commit(MakeCommit("a1", 1, {"x"}));
  ASSERT_FALSE(c);
  fault_.FailReads(false);
  EXPECT_TRUE(OkIfSuccess(repo_.Commit(MakeCommit("a1", 1, {"x"}))).ok());
}

// ---- concurrency ----

// Four writers: T0 {a, b}, T1 {b, c}, T2 {c, a} (a cycle of overlaps), T3 {own}; each appends
// its name to the log of every block it touches. Revs come from one shared counter, as a
// collection log would hand them out, so writers race for them: a stale pend or commit is
// cancelled and retried at a new rev.
TEST(RepositoryConcurrency, FourWritersOverDisjointAndOverlappingBlocksConverge) {
  plugins::storage_memory::MemoryStorageEngine engine;
  Repository repo(engine);
  const std::vector<std::vector<BlockId>> sets = {{"b", "a"}, {"c", "b"}, {"a", "c"}, {"own"}};
  {
    Transforms inserts;
    for (const char* id : {"a", "b", "c", "own"}) {
      inserts = Both(inserts, InsertOf(TestBlock(id)));
    }
    ASSERT_TRUE(repo.Pend(MakePend("init", 1, inserts)));
    ASSERT_TRUE(repo.Commit(MakeCommit("init", 1, {"a", "b", "c", "own"})));
  }
  constexpr int kTxnsPerThread = 60;
  std::atomic<uint64_t> next_rev{2};
  std::atomic<int> failures{0};
  std::atomic<int> retries{0};
  auto writer = [&](int thread) {
    const std::vector<BlockId>& ids = sets[thread];
    for (int n = 0; n < kTxnsPerThread; ++n) {
      const std::string entry = "t" + std::to_string(thread) + "-" + std::to_string(n);
      for (int attempt = 0;; ++attempt) {
        const uint64_t rev = next_rev.fetch_add(1);
        const ActionId action = entry + "@" + std::to_string(attempt);
        Transforms t;
        for (const BlockId& id : ids) {
          t = Both(
              t, UpdateOf(id, {BlockOperation::Splice("log", 1u << 30, 0, Value::array({entry}))}));
        }
        auto pend = repo.Pend(MakePend(action, rev, t));
        if (!pend) {
          failures.fetch_add(1);
          return;
        }
        if (transactor::FailureOf(*pend) == nullptr) {
          auto commit = repo.Commit(MakeCommit(action, rev, {ids.rbegin(), ids.rend()}));
          if (!commit) {
            failures.fetch_add(1);
            return;
          }
          if (transactor::FailureOf(*commit) == nullptr) {
            break;
          }
          if (!repo.Cancel({ids, action}).ok()) {
            failures.fetch_add(1);
            return;
          }
        }
        retries.fetch_add(1);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(writer, i);
  }
  for (std::thread& t : threads) {
    t.join();
  }
  ASSERT_EQ(failures.load(), 0);
  // Every block's log holds exactly the entries of its writers, each once, in each writer's order.
  transactor::BlockGets gets;
  gets.block_ids = {"a", "b", "c", "own"};
  auto r = repo.Get(gets);
  ASSERT_TRUE(r) << r.error().ToString();
  std::map<BlockId, std::vector<int>> writers = {
      {"a", {0, 2}}, {"b", {0, 1}}, {"c", {1, 2}}, {"own", {3}}};
  for (const auto& [id, who] : writers) {
    const GetBlockResult& result = r->at(id);
    ASSERT_TRUE(result.block) << id;
    const Value& log = (*result.block)["log"];
    EXPECT_EQ(log.size(), who.size() * kTxnsPerThread) << id;
    for (int thread : who) {
      int expected = 0;
      for (const Value& e : log) {
        const std::string s = e.get<std::string>();
        const std::string prefix = "t" + std::to_string(thread) + "-";
        if (s.rfind(prefix, 0) == 0) {
          EXPECT_EQ(s, prefix + std::to_string(expected)) << id;
          ++expected;
        }
      }
      EXPECT_EQ(expected, kTxnsPerThread) << id << " thread " << thread;
    }
    EXPECT_TRUE(result.state.pendings.empty()) << id;
  }
  ExpectInvariants(engine, {"a", "b", "c", "own"});
  RecordProperty("retries", retries.load());
}

}  // namespace
}  // namespace optimystic::core::repository
