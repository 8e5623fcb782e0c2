// SPDX-License-Identifier: Apache-2.0
// TransactionCoordinator (SPEC.md §6.8) over kv collections over LocalTransactor over the
// repository over the memory engine: one transaction id in every participant's log, clean stale
// losses retried after an update, partial landings reported and never retried, expiry, hard
// rejections, transient commit errors, applyActions/rollback, and no staged log entry left
// behind by a failed attempt (SPEC.md §10 pitfalls 19, 20).
#include "core/transaction/transaction_coordinator.h"

#include <optimystic/block/tracker.h>
#include <optimystic/log/log.h>

#include "core/collection/transactor_source.h"
#include "kernel/core/collection/collection_test_util.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace optimystic::core::transaction {
namespace {

using block::Value;
using collection::test_util::Set;
using collections::Action;

bool IsTx(const std::string& action_id) { return action_id.rfind("tx:", 0) == 0; }

// Forwards to a base transactor; `on_commit` may answer a commit instead (a refusal or an
// error) to force a partial landing or a transient fault.
class CommitHookTransactor final : public transactor::Transactor {
 public:
  explicit CommitHookTransactor(transactor::Transactor& base) : base_(base) {}
  std::function<std::optional<Result<transactor::CommitResult>>(const transactor::CommitRequest&)>
      on_commit;

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override {
    return base_.Get(gets);
  }
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) override {
    return base_.GetStatus(actions);
  }
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override {
    return base_.Pend(request);
  }
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override {
    commits.push_back(request);
    if (on_commit) {
      if (std::optional<Result<transactor::CommitResult>> answer = on_commit(request)) {
        return std::move(*answer);
      }
    }
    return base_.Commit(request);
  }
  Status Cancel(const transactor::ActionBlocks& actions) override {
    cancels.push_back(actions);
    return base_.Cancel(actions);
  }

  std::vector<transactor::CommitRequest> commits;
  std::vector<transactor::ActionBlocks> cancels;

 private:
  transactor::Transactor& base_;
};

transactor::StaleFailure Conflict(std::string reason) {
  transactor::StaleFailure f;
  f.reason = std::move(reason);
  f.conflict = true;
  return f;
}

class CoordinatorTest : public collection::test_util::EngineFixture {
 protected:
  void SetUp() override {
    a_ = Create("a");
    b_ = Create("b");
    ASSERT_TRUE(a_ && b_);
    ASSERT_TRUE(a_->Act({Set("seed", 0)}).ok());
    ASSERT_TRUE(a_->Sync().ok());
    ASSERT_TRUE(b_->Act({Set("seed", 0)}).ok());
    ASSERT_TRUE(b_->Sync().ok());
  }

  CoordinatorServices Coordinator() {
    CoordinatorServices services;
    services.clock = &clock_;
    services.random = &random_;
    services.sleep_ms = [this](int64_t ms) {
      sleeps_.push_back(ms);
      clock_.Advance(ms);
    };
    return services;
  }
  TransactionCoordinator::CollectionMap Both() { return {{"a", a_.get()}, {"b", b_.get()}}; }
  std::unique_ptr<TransactionCoordinator> MakeCoordinator(transactor::Transactor& transactor) {
    return std::make_unique<TransactionCoordinator>(transactor, Both(), Coordinator());
  }

  static std::string Statement(const std::string& id, std::vector<Action> actions) {
    return ActionsStatement(CollectionActions{id, std::move(actions)});
  }
  std::vector<std::string> TwoStatements() {
    return {Statement("a", {Set("x", 1)}), Statement("b", {Set("y", 2)})};
  }

  // Every entry of collection `id`'s log as storage holds it (latest committed).
  std::vector<log::LogEntry> Entries(const std::string& id) {
    collection::TransactorSource source(id, local_, random_);
    block::Tracker view(source);
    Result<std::optional<log::Log>> opened = log::Log::Open(view, id);
    EXPECT_TRUE(opened.has_value() && opened->has_value());
    if (!opened || !opened->has_value()) {
      return {};
    }
    Result<std::vector<log::LogEntry>> entries = (*opened)->Select();
    EXPECT_TRUE(entries.has_value()) << entries.error().ToString();
    return entries ? *entries : std::vector<log::LogEntry>{};
  }
  size_t EntriesWithAction(const std::string& id, const std::string& action_id) {
    size_t n = 0;
    for (const log::LogEntry& e : Entries(id)) {
      n += e.action.has_value() && e.action->action_id == action_id ? 1 : 0;
    }
    return n;
  }
  // A fresh reader of committed state.
  Value Committed(const std::string& id, const std::string& key) {
    std::unique_ptr<collection::Collection> c = Open(id);
    return c ? Get(*c, key) : Value("no collection");
  }
  std::vector<transactor::PendRequest> TxPends() {
    std::vector<transactor::PendRequest> out;
    for (const transactor::PendRequest& p : transactor_.pends()) {
      if (IsTx(p.action_id)) {
        out.push_back(p);
      }
    }
    return out;
  }

  std::unique_ptr<collection::Collection> a_;
  std::unique_ptr<collection::Collection> b_;
  ActionsEngine engine_;
};

TEST_F(CoordinatorTest, TwoCollectionsCommitUnderOneTransactionId) {
  auto coordinator = MakeCoordinator(transactor_);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  ASSERT_TRUE(result.success) << result.error.ToString();
  EXPECT_TRUE(result.error.ok());
  EXPECT_TRUE(IsTx(result.transaction_id)) << result.transaction_id;
  EXPECT_EQ(result.committed_collections, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(result.failed_collections.empty());
  EXPECT_TRUE(sleeps_.empty());

  for (const std::string id : {"a", "b"}) {
    std::vector<log::LogEntry> entries = Entries(id);
    ASSERT_EQ(entries.size(), 2u) << id;  // the seed and the transaction
    const log::LogEntry& last = entries.back();
    ASSERT_TRUE(last.action.has_value());
    EXPECT_EQ(last.rev, 2u);
    EXPECT_EQ(last.action->action_id, result.transaction_id) << id;
    EXPECT_EQ(last.action->collection_ids, (std::vector<std::string>{"a", "b"})) << id;
    EXPECT_TRUE(last.action->reads.has_value());
    ASSERT_EQ(last.action->actions.size(), 1u);
    Result<Action> action = collections::ActionFromValue(last.action->actions[0]);
    ASSERT_TRUE(action.has_value());
    ASSERT_TRUE(action->transaction.has_value());
    EXPECT_EQ(action->transaction->rfind("stamp:", 0), 0u);  // tagged with the stamp id
  }
  EXPECT_EQ(Committed("a", "x"), 1);
  EXPECT_EQ(Committed("b", "y"), 2);
  EXPECT_EQ(a_->revision(), 2u);
  EXPECT_FALSE(a_->HasUnsyncedChanges());
  EXPECT_FALSE(b_->HasUnsyncedChanges());

  // Both pends carried the transaction and one operations hash, with policy 'r'.
  std::vector<transactor::PendRequest> pends = TxPends();
  ASSERT_EQ(pends.size(), 2u);
  for (const transactor::PendRequest& p : pends) {
    EXPECT_EQ(p.action_id, result.transaction_id);
    EXPECT_EQ(p.policy, transactor::PendPolicy::kReturn);
    EXPECT_EQ(p.rev, std::optional<uint64_t>(2));
    ASSERT_TRUE(p.transaction.has_value());
    EXPECT_EQ((*p.transaction)["id"], result.transaction_id);
    EXPECT_EQ((*p.transaction)["stamp"]["engineId"], "actions@1.0.0");
    ASSERT_TRUE(p.operations_hash.has_value());
    EXPECT_EQ(OpsHashVersion(*p.operations_hash), std::optional<std::string>("v1"));
    EXPECT_EQ(p.operations_hash, pends[0].operations_hash);
    EXPECT_FALSE(p.priority.has_value());
  }
  // The next single-collection write follows the transaction's revision.
  ASSERT_TRUE(a_->Act({Set("after", 1)}).ok());
  ASSERT_TRUE(a_->Sync().ok());
  EXPECT_EQ(a_->revision(), 3u);
}

TEST_F(CoordinatorTest, RacingWriterMakesACleanStaleLossThatRetriesAndSucceeds) {
  std::unique_ptr<collection::Collection> rival = Open("a");
  ASSERT_TRUE(rival);
  bool raced = false;
  transactor_.before_pend = [&](const transactor::PendRequest& request) {
    if (IsTx(request.action_id) && !raced) {
      raced = true;  // the rival takes a's log tail before the transaction's pend reaches it
      ASSERT_TRUE(rival->Act({Set("rival", 7)}).ok());
      ASSERT_TRUE(rival->Sync().ok());
    }
  };
  auto coordinator = MakeCoordinator(transactor_);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  ASSERT_TRUE(result.success) << result.error.ToString();
  EXPECT_TRUE(raced);
  EXPECT_EQ(result.committed_collections, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(sleeps_.size(), 1u);  // one backoff, then the retry won

  // Attempt 1: a's pend lost (b never pended); attempt 2: both, at the bumped priority.
  std::vector<transactor::PendRequest> pends = TxPends();
  ASSERT_EQ(pends.size(), 3u);
  EXPECT_EQ(pends[0].rev, std::optional<uint64_t>(2));
  EXPECT_FALSE(pends[0].priority.has_value());
  EXPECT_EQ(pends[1].rev, std::optional<uint64_t>(3));  // after the update: the rival holds 2
  EXPECT_EQ(pends[1].priority, std::optional<uint32_t>(1));
  EXPECT_EQ(pends[2].rev, std::optional<uint64_t>(2));

  // One entry per collection under the transaction id: the lost attempt left nothing staged.
  EXPECT_EQ(EntriesWithAction("a", result.transaction_id), 1u);
  EXPECT_EQ(EntriesWithAction("b", result.transaction_id), 1u);
  EXPECT_EQ(Entries("a").size(), 3u);  // seed, rival, transaction
  EXPECT_EQ(Committed("a", "x"), 1);
  EXPECT_EQ(Committed("a", "rival"), 7);
  EXPECT_EQ(Committed("b", "y"), 2);
}

TEST_F(CoordinatorTest, LostAttemptLeavesNoStagedLogEntry) {
  transactor_.FailPends(1, Conflict("someone else was first"));
  auto coordinator = MakeCoordinator(transactor_);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  ASSERT_TRUE(result.success) << result.error.ToString();
  EXPECT_EQ(sleeps_.size(), 1u);
  std::vector<transactor::PendRequest> pends = TxPends();
  ASSERT_EQ(pends.size(), 3u);
  // The retry staged the same single entry at the same rev again, not a second one after it.
  EXPECT_EQ(pends[1].rev, pends[0].rev);
  EXPECT_EQ(block::BlockIdsForTransforms(pends[1].transforms),
            block::BlockIdsForTransforms(pends[0].transforms));
  EXPECT_EQ(Entries("a").size(), 2u);
  EXPECT_EQ(EntriesWithAction("a", result.transaction_id), 1u);
  EXPECT_EQ(EntriesWithAction("b", result.transaction_id), 1u);
}

TEST_F(CoordinatorTest, PartialLandingIsReportedAndNeverRetried) {
  CommitHookTransactor hook(transactor_);
  int tx_commits = 0;
  hook.on_commit = [&](const transactor::CommitRequest& request)
      -> std::optional<Result<transactor::CommitResult>> {
    if (IsTx(request.action_id) && ++tx_commits == 2) {
      return Result<transactor::CommitResult>(transactor::CommitResult(
          transactor::StaleFailure{std::string("tail taken"), {}, {}, std::nullopt, std::nullopt}));
    }
    return std::nullopt;
  };
  auto coordinator = MakeCoordinator(hook);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.committed_collections, std::vector<std::string>{"a"});
  EXPECT_EQ(result.failed_collections, std::vector<std::string>{"b"});
  EXPECT_EQ(result.error.code(), StatusCode::kAborted);
  EXPECT_EQ(result.error.message(),
            "Transaction partially committed: committed [a]; failed [b]: collection b: tail taken");
  EXPECT_TRUE(sleeps_.empty());  // not retried
  EXPECT_EQ(tx_commits, 2);
  ASSERT_FALSE(hook.cancels.empty());  // b's pend was withdrawn
  EXPECT_EQ(hook.cancels.back().action_id, result.transaction_id);

  EXPECT_EQ(EntriesWithAction("a", result.transaction_id), 1u);
  EXPECT_EQ(EntriesWithAction("b", result.transaction_id), 0u);
  EXPECT_EQ(Committed("a", "x"), 1);
  EXPECT_EQ(Committed("b", "y"), Value());
  // a took the commit; b's part was withdrawn, not left staged.
  EXPECT_EQ(a_->revision(), 2u);
  EXPECT_EQ(b_->revision(), 1u);
  EXPECT_FALSE(a_->HasUnsyncedChanges());
  EXPECT_FALSE(b_->HasUnsyncedChanges());
  EXPECT_EQ(Get(*b_, "y"), Value());
}

TEST_F(CoordinatorTest, TransientCommitErrorsAreRetriedThreeTimes) {
  CommitHookTransactor hook(transactor_);
  int b_errors = 0;
  hook.on_commit = [&](const transactor::CommitRequest& request)
      -> std::optional<Result<transactor::CommitResult>> {
    if (IsTx(request.action_id) && request.block_ids.size() > 0 && b_errors < 2 &&
        hook.commits.size() >= 2) {
      ++b_errors;  // b's first two commits fail in transport
      return Result<transactor::CommitResult>(Status::Unavailable("link down"));
    }
    return std::nullopt;
  };
  auto coordinator = MakeCoordinator(hook);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  ASSERT_TRUE(result.success) << result.error.ToString();
  EXPECT_EQ(b_errors, 2);
  EXPECT_EQ(hook.commits.size(), 4u);  // a once, b three times
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(CoordinatorTest, ACommitWhoseRepliesWereLostIsFoundCommitted) {
  CommitHookTransactor hook(transactor_);
  int a_calls = 0;
  hook.on_commit = [&](const transactor::CommitRequest& request)
      -> std::optional<Result<transactor::CommitResult>> {
    if (IsTx(request.action_id) && a_calls < static_cast<int>(kCommitTransientAttempts)) {
      if (a_calls++ == 0) (void)transactor_.Commit(request);  // it lands; the reply is lost
      return Result<transactor::CommitResult>(Status::Unavailable("reply lost"));
    }
    return std::nullopt;
  };
  auto coordinator = MakeCoordinator(hook);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  ASSERT_TRUE(result.success) << result.error.ToString();
  EXPECT_EQ(result.committed_collections, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Entries("a").size(), 2u);
  EXPECT_EQ(Entries("b").size(), 2u);
}

TEST_F(CoordinatorTest, ACommitRefusedAfterItsLostReplyIsFoundCommitted) {
  // The first attempt lands and its reply is lost; the second finds the tail taken, by itself.
  // Counted as a failure, b's add would be applied again by a retry, or reported as not landed.
  CommitHookTransactor hook(transactor_);
  int tx_calls = 0;
  hook.on_commit = [&](const transactor::CommitRequest& request)
      -> std::optional<Result<transactor::CommitResult>> {
    if (!IsTx(request.action_id)) return std::nullopt;
    ++tx_calls;
    if (tx_calls == 2) {  // b's first commit (a committed first): it lands, its reply is lost
      (void)transactor_.Commit(request);
      return Result<transactor::CommitResult>(Status::Unavailable("reply lost"));
    }
    if (tx_calls == 3) {  // b's second: a peer that took the first says the tail is taken
      return Result<transactor::CommitResult>(transactor::CommitResult(
          transactor::StaleFailure{std::string("tail taken"), {}, {}, std::nullopt, std::nullopt}));
    }
    return std::nullopt;
  };
  auto coordinator = MakeCoordinator(hook);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  ASSERT_TRUE(result.success) << result.error.ToString();
  EXPECT_EQ(result.committed_collections, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Entries("b").size(), 2u) << "b holds the transaction once";
}

TEST_F(CoordinatorTest, CommitErrorThatPersistsWithNothingCommittedIsAnUnknownOutcome) {
  CommitHookTransactor hook(transactor_);
  hook.on_commit = [&](const transactor::CommitRequest& request)
      -> std::optional<Result<transactor::CommitResult>> {
    if (IsTx(request.action_id)) {
      return Result<transactor::CommitResult>(Status::Unavailable("link down"));
    }
    return std::nullopt;
  };
  auto coordinator = MakeCoordinator(hook);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.error.code(), StatusCode::kUnavailable);
  EXPECT_EQ(result.error.message(), "Transaction outcome unknown: commit collection a: link down");
  EXPECT_TRUE(result.committed_collections.empty());
  EXPECT_EQ(result.failed_collections, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(hook.commits.size(), kCommitTransientAttempts);
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(hook.cancels.size(), 2u);  // both pends withdrawn
  EXPECT_FALSE(a_->HasUnsyncedChanges());
  EXPECT_FALSE(b_->HasUnsyncedChanges());
  EXPECT_EQ(Entries("a").size(), 1u);
}

TEST_F(CoordinatorTest, HardRejectionIsNotRetried) {
  transactor::StaleFailure hard;
  hard.reason = "Tampered transaction stamp";
  transactor_.FailPends(1, hard);
  auto coordinator = MakeCoordinator(transactor_);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.error.message(),
            "Transaction commit failed: collection a: Tampered transaction stamp");
  EXPECT_TRUE(sleeps_.empty());
  EXPECT_EQ(TxPends().size(), 1u);
  EXPECT_FALSE(a_->HasUnsyncedChanges());
}

TEST_F(CoordinatorTest, StaleLossesUseUpTheRetriesWithAgedPriority) {
  transactor_.FailPends(100, Conflict("always behind"));
  auto coordinator = MakeCoordinator(transactor_);
  TransactionResult result = coordinator->Execute(engine_, TwoStatements(), StampOptions{});
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.error.code(), StatusCode::kAborted);
  EXPECT_EQ(result.error.message(),
            "Transaction " + result.transaction_id + " lost 10 times: collection a: always behind");
  EXPECT_TRUE(result.committed_collections.empty());
  EXPECT_EQ(sleeps_.size(), 9u);
  std::vector<transactor::PendRequest> pends = TxPends();
  ASSERT_EQ(pends.size(), 10u);
  for (size_t i = 0; i < pends.size(); ++i) {
    const uint32_t expected = std::min<uint32_t>(static_cast<uint32_t>(i), kMaxPriority);
    EXPECT_EQ(pends[i].priority.value_or(0), expected) << i;
  }
  // Withdrawn: nothing pending, nothing staged.
  EXPECT_FALSE(a_->HasUnsyncedChanges());
  EXPECT_FALSE(b_->HasUnsyncedChanges());
  EXPECT_EQ(Get(*a_, "x"), Value());
}

TEST_F(CoordinatorTest, ExpiredTransactionIsRefusedBeforeAndDuringRetries) {
  auto coordinator = MakeCoordinator(transactor_);
  StampOptions stamp;
  stamp.engine_id = "actions@1.0.0";
  stamp.ttl_ms = 50;
  Transaction tx = MakeTransaction(CreateStamp(stamp, clock_, random_), {}, {});
  ASSERT_TRUE(coordinator->ApplyActions({{"a", {Set("x", 1)}}}, tx.stamp.id).ok());
  clock_.Advance(51);
  TransactionResult result = coordinator->Commit(tx);
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.error.code(), StatusCode::kTimedOut);
  EXPECT_EQ(result.error.message(),
            "Transaction expired at " + std::to_string(tx.stamp.expiration_ms));
  EXPECT_TRUE(TxPends().empty());
  EXPECT_TRUE(a_->HasUnsyncedChanges());  // Commit leaves the staged actions to the caller
  ASSERT_TRUE(coordinator->Rollback(tx.stamp.id).ok());
  EXPECT_FALSE(a_->HasUnsyncedChanges());

  // Through Execute: the backoff waits run the clock past a short TTL.
  transactor_.FailPends(100, Conflict("behind"));
  stamp.ttl_ms = 250;
  result = coordinator->Execute(engine_, TwoStatements(), stamp);
  EXPECT_EQ(result.error.code(), StatusCode::kTimedOut) << result.error.ToString();
  EXPECT_GE(sleeps_.size(), 1u);
  EXPECT_LT(sleeps_.size(), 9u);
  EXPECT_FALSE(a_->HasUnsyncedChanges());
}

TEST_F(CoordinatorTest, UnknownCollectionAndBadStatementsApplyNothing) {
  auto coordinator = MakeCoordinator(transactor_);
  TransactionResult result = coordinator->Execute(
      engine_, {Statement("a", {Set("x", 1)}), Statement("zzz", {Set("y", 1)})}, StampOptions{});
  EXPECT_FALSE(result.success);
  EXPECT_EQ(result.error.code(), StatusCode::kNotFound);
  EXPECT_EQ(result.error.message(), "Collection not found: zzz");
  EXPECT_FALSE(a_->HasUnsyncedChanges());

  result = coordinator->Execute(engine_, {Statement("a", {Set("x", 1)}), "{"}, StampOptions{});
  EXPECT_EQ(result.error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.error.message(), "statement 1: invalid JSON");

  // A refused action undoes the call's earlier batches.
  result =
      coordinator->Execute(engine_,
                           {Statement("a", {Set("x", 1)}),
                            Statement("b", {Action{"fail", Value{{"key", "k"}}, std::nullopt, 0}})},
                           StampOptions{});
  EXPECT_EQ(result.error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(result.error.message().rfind("collection b: kv fail", 0), 0u) << result.error.message();
  EXPECT_FALSE(a_->HasUnsyncedChanges());
  EXPECT_FALSE(b_->HasUnsyncedChanges());
  EXPECT_TRUE(TxPends().empty());
}

TEST_F(CoordinatorTest, RollbackUndoesOneStampAndReplaysTheLaterOnes) {
  auto coordinator = MakeCoordinator(transactor_);
  ASSERT_TRUE(coordinator->ApplyActions({{"a", {Set("k", 1)}}}, "stamp:one").ok());
  ASSERT_TRUE(
      coordinator->ApplyActions({{"a", {Set("m", 2)}}, {"b", {Set("n", 3)}}}, "stamp:two").ok());
  ASSERT_TRUE(coordinator->ApplyActions({{"b", {Set("p", 4)}}}, "stamp:three").ok());
  EXPECT_EQ(coordinator->Rollback("stamp:nope").code(), StatusCode::kNotFound);

  ASSERT_TRUE(coordinator->Rollback("stamp:two").ok());
  EXPECT_EQ(Get(*a_, "k"), 1);
  EXPECT_EQ(Get(*a_, "m"), Value());
  EXPECT_EQ(Get(*b_, "n"), Value());
  EXPECT_EQ(Get(*b_, "p"), 4);
  std::vector<Action> pending = a_->pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].transaction, std::optional<std::string>("stamp:one"));
  pending = b_->pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].transaction, std::optional<std::string>("stamp:three"));
  EXPECT_EQ(coordinator->Rollback("stamp:two").code(), StatusCode::kNotFound);

  // What is left commits as one transaction.
  StampOptions stamp;
  stamp.engine_id = "actions@1.0.0";
  Transaction tx =
      MakeTransaction(CreateStamp(stamp, clock_, random_), {"s"}, coordinator->ReadDependencies());
  EXPECT_FALSE(tx.reads.empty());
  TransactionResult result = coordinator->Commit(tx);
  ASSERT_TRUE(result.success) << result.error.ToString();
  EXPECT_EQ(Committed("a", "k"), 1);
  EXPECT_EQ(Committed("b", "p"), 4);
  EXPECT_EQ(Committed("b", "n"), Value());
  // Committing closed every stamp.
  EXPECT_EQ(coordinator->Rollback("stamp:one").code(), StatusCode::kNotFound);
}

TEST_F(CoordinatorTest, RollingBackTheFirstStampKeepsTheLaterOnes) {
  auto coordinator = MakeCoordinator(transactor_);
  ASSERT_TRUE(coordinator->ApplyActions({{"a", {Set("k", 1)}}}, "stamp:one").ok());
  ASSERT_TRUE(coordinator->ApplyActions({{"a", {Set("k", 2)}}}, "stamp:two").ok());
  ASSERT_TRUE(coordinator->Rollback("stamp:one").ok());
  EXPECT_EQ(Get(*a_, "k"), 2);
  ASSERT_EQ(a_->pending().size(), 1u);
  ASSERT_TRUE(coordinator->Rollback("stamp:two").ok());
  EXPECT_EQ(Get(*a_, "k"), Value());
  EXPECT_FALSE(a_->HasUnsyncedChanges());
}

TEST_F(CoordinatorTest, NothingToCommitSucceedsWithoutTouchingTheTransactor) {
  auto coordinator = MakeCoordinator(transactor_);
  StampOptions stamp;
  Transaction tx = MakeTransaction(CreateStamp(stamp, clock_, random_), {}, {});
  TransactionResult result = coordinator->Commit(tx);
  EXPECT_TRUE(result.success);
  EXPECT_TRUE(result.committed_collections.empty());
  EXPECT_TRUE(TxPends().empty());
}

}  // namespace
}  // namespace optimystic::core::transaction
