// SPDX-License-Identifier: Apache-2.0
// The collection engine (SPEC.md §5.2–5.6, §5.9, §10.8–12) over one LocalTransactor over the
// repository over the memory engine.
#include "core/collection/collection.h"

#include <optimystic/chain/chain_format.h>

#include "collection_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace optimystic::core::collection {
namespace {

using block::BlockId;
using block::Value;
using test_util::Add;
using test_util::Append;
using test_util::Set;
using transactor::StaleFailure;

class CollectionTest : public test_util::EngineFixture {};

// SPEC.md §5.9 steps 1-4 with the key/value type standing in for the Tree.
TEST_F(CollectionTest, FirstWriteCreatesHeaderDataAndLogBlocksAtRevOne) {
  std::unique_ptr<Collection> users = Create("users");
  ASSERT_NE(users, nullptr);
  EXPECT_EQ(users->revision(), 0u);
  EXPECT_TRUE(users->HasUnsyncedChanges());  // the invented header and blocks are staged
  EXPECT_TRUE(transactor_.pends().empty());  // storage untouched

  ASSERT_TRUE(users->Act({Set("alice", "A")}).ok());
  EXPECT_EQ(users->pending().size(), 1u);
  EXPECT_TRUE(transactor_.pends().empty());

  Status synced = users->UpdateAndSync();
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  EXPECT_EQ(users->revision(), 1u);
  EXPECT_TRUE(users->pending().empty());
  EXPECT_FALSE(users->HasUnsyncedChanges());

  ASSERT_EQ(transactor_.pends().size(), 1u);
  const transactor::PendRequest pend = transactor_.pends()[0];
  EXPECT_EQ(pend.rev, std::optional<uint64_t>(1));
  EXPECT_EQ(pend.policy, transactor::PendPolicy::kReturn);
  EXPECT_EQ(pend.transforms.inserts.size(), 3u);  // header, data block, log block
  EXPECT_TRUE(pend.transforms.inserts.count("users"));
  std::set<std::string> types;
  for (const auto& [id, block] : pend.transforms.inserts) {
    types.insert(block["header"]["type"].get<std::string>());
    EXPECT_EQ(block["header"]["collectionId"], "users");
  }
  EXPECT_EQ(types, (std::set<std::string>{"TKV", "KVD", "LGD"}));
  ASSERT_EQ(transactor_.commits().size(), 1u);
  const transactor::CommitRequest commit = transactor_.commits()[0];
  EXPECT_EQ(commit.header_id, std::optional<BlockId>("users"));
  EXPECT_EQ(commit.tail_id, pend.transforms.inserts.at("users")["tailId"].get<std::string>());
  EXPECT_EQ(commit.rev, 1u);

  std::optional<transactor::ActionContext> context = users->context();
  ASSERT_TRUE(context.has_value());
  EXPECT_EQ(context->rev, 1u);
  ASSERT_EQ(context->committed.size(), 1u);
  EXPECT_EQ(context->committed[0].action_id, commit.action_id);
  EXPECT_EQ(context->committed[0].action_id.size(), 26u);  // 16 bytes, base32

  // Another instance sees the committed state.
  std::unique_ptr<Collection> again = Open("users");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->revision(), 1u);
  EXPECT_EQ(Get(*again, "alice"), "A");
}

TEST_F(CollectionTest, ActionsAreStampedWithTheClock) {
  std::unique_ptr<Collection> c = Create("stamped");
  ASSERT_TRUE(c->Act({Set("k", 1)}).ok());
  EXPECT_EQ(c->pending()[0].timestamp_ms, test::TestClock::kStartUnixMs);
  ASSERT_TRUE(c->Sync().ok());
  Result<std::vector<collections::Action>> log = c->SelectLog(true);
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ((*log)[0].timestamp_ms, test::TestClock::kStartUnixMs);
}

TEST_F(CollectionTest, ReopenResumesAtTheCommittedRevision) {
  {
    std::unique_ptr<Collection> c = Create("resume");
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(c->Act({Set("k" + std::to_string(i), i)}).ok());
      ASSERT_TRUE(c->UpdateAndSync().ok());
    }
    EXPECT_EQ(c->revision(), 3u);
  }
  std::unique_ptr<Collection> reopened = Open("resume");
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->revision(), 3u);
  ASSERT_TRUE(reopened->Act({Set("k3", 3)}).ok());
  ASSERT_TRUE(reopened->Sync().ok());
  EXPECT_EQ(transactor_.pends().back().rev, std::optional<uint64_t>(4));
  EXPECT_EQ(reopened->revision(), 4u);
  EXPECT_EQ(All(*reopened), (Value{{"k0", 0}, {"k1", 1}, {"k2", 2}, {"k3", 3}}));
}

TEST_F(CollectionTest, OpenOfAnAbsentCollectionStagesNothing) {
  Result<std::unique_ptr<Collection>> c =
      Collection::Open(transactor_, kv_, nullptr, "absent", Services());
  ASSERT_TRUE(c.has_value()) << c.error().ToString();
  EXPECT_EQ(*c, nullptr);
  EXPECT_TRUE(transactor_.pends().empty());
  EXPECT_TRUE(transactor_.commits().empty());
  // Still absent for a later reader.
  Result<std::optional<Value>> header = ProbeHeader(transactor_, "absent");
  ASSERT_TRUE(header.has_value());
  EXPECT_FALSE(header->has_value());
}

TEST_F(CollectionTest, OpenWithTheWrongTypeIsRefused) {
  std::unique_ptr<Collection> c = Create("typed");
  ASSERT_TRUE(c->Sync().ok());
  Result<std::unique_ptr<Collection>> wrong =
      Collection::Open(transactor_, append_, nullptr, "typed", Services());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong.error().message(), "collection typed has header type TKV, not TAP (append)");
}

TEST_F(CollectionTest, FailingActionLeavesTrackerAndPendingUnchanged) {
  std::unique_ptr<Collection> c = Create("atomic");
  ASSERT_TRUE(c->Act({Set("a", 1)}).ok());
  const collections::Action fail{"fail", Value{{"key", "c"}}, std::nullopt, 0};
  Status failed = c->Act({Set("b", 2), fail});
  EXPECT_EQ(failed.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(failed.message(), "kv fail: failed after writing c");
  EXPECT_EQ(c->pending().size(), 1u);
  EXPECT_EQ(All(*c), (Value{{"a", 1}}));
  ASSERT_TRUE(c->Sync().ok());
  EXPECT_EQ(All(*c), (Value{{"a", 1}}));
}

TEST_F(CollectionTest, UnknownActionTypeIsRefusedBeforeAnythingIsStaged) {
  std::unique_ptr<Collection> c = Create("unknown");
  ASSERT_TRUE(c->Sync().ok());
  Status refused = c->Act({Set("a", 1), collections::Action{"frobnicate", Value{{"key", "a"}}}});
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message(), "unknown action type frobnicate");
  EXPECT_TRUE(c->pending().empty());
  EXPECT_FALSE(c->HasUnsyncedChanges());
}

// Two instances over one transactor, both staged on the same key before either syncs.
class RaceTest : public CollectionTest {
 protected:
  void SetUpRace(const conflict::ConflictResolver* resolver) {
    a_ = Create("race");
    ASSERT_TRUE(a_->Sync().ok());
    b_ = Open("race", resolver);
    ASSERT_NE(b_, nullptr);
    ASSERT_TRUE(a_->Act({Set("k", "from-a")}).ok());
    ASSERT_TRUE(b_->Act({Set("k", "from-b")}).ok());
    ASSERT_TRUE(a_->Sync().ok());
    EXPECT_EQ(a_->revision(), 2u);
  }
  std::unique_ptr<Collection> a_;
  std::unique_ptr<Collection> b_;
};

TEST_F(RaceTest, ReplayReappliesTheLocalActionOnTheNewState) {
  SetUpRace(nullptr);
  Status synced = b_->Sync();
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  EXPECT_EQ(b_->revision(), 3u);
  EXPECT_EQ(sleeps_.size(), 1u);  // one stale failure, one backoff
  EXPECT_EQ(conflicts_["replay/replay"], 1);
  ASSERT_TRUE(a_->Update().ok());
  EXPECT_EQ(Get(*a_, "k"), "from-b");
  // No lost update: both actions are in the log, in commit order.
  Result<std::vector<collections::Action>> log = a_->SelectLog(true);
  ASSERT_TRUE(log.has_value());
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].data["value"], "from-a");
  EXPECT_EQ((*log)[1].data["value"], "from-b");
}

TEST_F(RaceTest, RejectFailsTheSyncNamingTheRemoteActions) {
  test::FixedResolver reject("reject", conflict::Resolution{conflict::Resolution::Kind::kReject,
                                                            std::nullopt, "k was changed"});
  SetUpRace(&reject);
  Status synced = b_->Sync();
  ASSERT_EQ(synced.code(), StatusCode::kAborted) << synced.ToString();
  const std::string message(synced.message());
  EXPECT_EQ(message.rfind("conflict rejected by reject: k was changed; local action ", 0), 0u)
      << message;
  EXPECT_NE(message.find("\"from-a\""), std::string::npos) << message;  // the remote action
  EXPECT_NE(message.find("remote actions"), std::string::npos) << message;
  EXPECT_EQ(reject.calls(), 1);
  EXPECT_EQ(conflicts_["reject/reject"], 1);
  EXPECT_TRUE(b_->pending().empty());
  EXPECT_FALSE(b_->HasUnsyncedChanges());
  EXPECT_EQ(b_->revision(), 2u);  // the remote state was adopted
  EXPECT_EQ(Get(*b_, "k"), "from-a");
  // Nothing of b's reached storage.
  std::unique_ptr<Collection> reader = Open("race");
  EXPECT_EQ(reader->revision(), 2u);
  EXPECT_EQ(Get(*reader, "k"), "from-a");
}

TEST_F(RaceTest, DropForgetsTheLocalActionSilently) {
  test::FixedResolver drop("first-writer", conflict::Resolution{conflict::Resolution::Kind::kDrop});
  SetUpRace(&drop);
  Status synced = b_->Sync();
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  EXPECT_TRUE(b_->pending().empty());
  EXPECT_EQ(b_->revision(), 2u);  // nothing left to commit
  EXPECT_EQ(Get(*b_, "k"), "from-a");
  EXPECT_EQ(conflicts_["first-writer/drop"], 1);
}

TEST_F(RaceTest, ReplaceSubstitutesTheResolversAction) {
  test::FixedResolver merge(
      "merge", conflict::Resolution{conflict::Resolution::Kind::kReplace, Set("k", "merged"), ""});
  SetUpRace(&merge);
  ASSERT_TRUE(b_->Sync().ok());
  EXPECT_EQ(b_->revision(), 3u);
  ASSERT_TRUE(a_->Update().ok());
  EXPECT_EQ(Get(*a_, "k"), "merged");
  EXPECT_EQ(conflicts_["merge/replace"], 1);
}

TEST_F(RaceTest, ResolverIsNotAskedWithoutOverlap) {
  test::FixedResolver reject(
      "reject", conflict::Resolution{conflict::Resolution::Kind::kReject, std::nullopt, "no"});
  a_ = Create("race");
  ASSERT_TRUE(a_->Sync().ok());
  b_ = Open("race", &reject);
  ASSERT_TRUE(a_->Act({Set("x", 1)}).ok());
  ASSERT_TRUE(b_->Act({Set("y", 2)}).ok());
  ASSERT_TRUE(a_->Sync().ok());
  // b's pend is stale (same data block), but the actions do not overlap: b retries as is.
  ASSERT_TRUE(b_->Sync().ok());
  EXPECT_EQ(reject.calls(), 0);
  EXPECT_EQ(All(*b_), (Value{{"x", 1}, {"y", 2}}));
}

TEST_F(CollectionTest, IncrementsFromTwoInstancesAreNotLost) {
  std::unique_ptr<Collection> a = Create("count");
  ASSERT_TRUE(a->Sync().ok());
  std::unique_ptr<Collection> b = Open("count");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(a->Act({Add("n", 1)}).ok());
    ASSERT_TRUE(b->Act({Add("n", 10)}).ok());
    ASSERT_TRUE(a->UpdateAndSync().ok());
    ASSERT_TRUE(b->UpdateAndSync().ok());
  }
  ASSERT_TRUE(a->Update().ok());
  EXPECT_EQ(Get(*a, "n"), 55);
  EXPECT_EQ(Get(*b, "n"), 55);
  EXPECT_EQ(a->revision(), 11u);
}

// SPEC.md §5.9 step 5: both invent the same collection; the second replays onto the first's.
TEST_F(CollectionTest, TwoInventorsConvergeOnTheFirstCommit) {
  std::unique_ptr<Collection> a = Create("born");
  std::unique_ptr<Collection> b = Create("born");
  ASSERT_TRUE(a->Act({Set("a", 1)}).ok());
  ASSERT_TRUE(b->Act({Set("b", 2)}).ok());
  ASSERT_TRUE(a->Sync().ok());
  Status synced = b->Sync();
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  EXPECT_EQ(b->revision(), 2u);
  std::unique_ptr<Collection> reader = Open("born");
  EXPECT_EQ(All(*reader), (Value{{"a", 1}, {"b", 2}}));
}

TEST_F(CollectionTest, RacingAppendsBothLandWithoutAskingTheResolver) {
  test::FixedResolver reject(
      "reject", conflict::Resolution{conflict::Resolution::Kind::kReject, std::nullopt, "no"});
  Result<std::unique_ptr<Collection>> a =
      Collection::CreateOrOpen(transactor_, append_, &reject, "journal", Services());
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE((*a)->Sync().ok());
  Result<std::unique_ptr<Collection>> b =
      Collection::Open(transactor_, append_, &reject, "journal", Services());
  ASSERT_TRUE(b.has_value() && *b != nullptr);
  ASSERT_TRUE((*a)->Act({Append("from-a")}).ok());
  ASSERT_TRUE((*b)->Act({Append("from-b")}).ok());
  ASSERT_TRUE((*a)->Sync().ok());
  Status synced = (*b)->Sync();  // stale on the log tail, retried as is
  ASSERT_TRUE(synced.ok()) << synced.ToString();
  EXPECT_EQ(reject.calls(), 0);
  EXPECT_EQ(sleeps_.size(), 1u);
  ASSERT_TRUE((*a)->Update().ok());
  Result<Value> entries = (*a)->Query("entries", Value::object());
  ASSERT_TRUE(entries.has_value());
  EXPECT_EQ(*entries, (Value{"from-a", "from-b"}));
}

TEST_F(CollectionTest, ConcurrentWritersOnThreadsLoseNothing) {
  std::unique_ptr<Collection> seed = Create("threads");
  ASSERT_TRUE(seed->Sync().ok());
  constexpr int kWriters = 3;
  constexpr int kIncrements = 15;
  std::vector<std::unique_ptr<base::SeededRandom>> randoms;
  std::vector<std::unique_ptr<LatchTable>> latches;  // separate "processes": they truly race
  std::vector<std::unique_ptr<Collection>> writers;
  for (int w = 0; w < kWriters; ++w) {
    randoms.push_back(std::make_unique<base::SeededRandom>(100 + w));
    latches.push_back(std::make_unique<LatchTable>());
    CollectionServices services = Services();
    services.random = randoms.back().get();
    services.latches = latches.back().get();
    services.sleep_ms = [](int64_t) { std::this_thread::yield(); };
    services.on_conflict = nullptr;
    Result<std::unique_ptr<Collection>> c =
        Collection::Open(transactor_, kv_, nullptr, "threads", services);
    ASSERT_TRUE(c.has_value() && *c != nullptr);
    writers.push_back(std::move(*c));
  }
  SyncOptions patient;
  patient.max_attempts = 10000;
  std::vector<std::thread> threads;
  std::vector<Status> results(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kIncrements; ++i) {
        Status s = writers[w]->ActAndSync({Add("n", 1)}, patient);
        if (!s.ok()) {
          results[w] = s;
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  for (const Status& s : results) {
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::unique_ptr<Collection> reader = Open("threads");
  EXPECT_EQ(Get(*reader, "n"), kWriters * kIncrements);
  EXPECT_EQ(reader->revision(), 1u + kWriters * kIncrements);
}

TEST_F(CollectionTest, RetryExhaustionNamesAttemptsReasonAndStaleBlock) {
  std::unique_ptr<Collection> c = Create("tired");
  ASSERT_TRUE(c->Sync().ok());
  ASSERT_TRUE(c->Act({Set("k", 1)}).ok());
  StaleFailure stale;
  stale.reason = "stale";
  stale.conflict = true;
  stale.stale_at = transactor::StaleAt{"blk", 7};
  transactor_.FailPends(100, stale);
  Status synced = c->Sync();
  ASSERT_EQ(synced.code(), StatusCode::kAborted);
  EXPECT_EQ(synced.message(),
            "sync for collection tired exhausted 10 retries: stale, last seen block blk at rev 7");
  ASSERT_EQ(sleeps_.size(), 9u);  // a backoff between attempts, none after the last
  for (size_t k = 0; k < sleeps_.size(); ++k) {
    const int64_t full = std::min<int64_t>(100LL << k, 5000);
    EXPECT_GE(sleeps_[k], full / 2) << k;
    EXPECT_LE(sleeps_[k], full) << k;
  }
  // Priorities follow the consecutive failures, capped at 8; the first try sends none.
  const std::vector<transactor::PendRequest> pends = transactor_.pends();
  EXPECT_FALSE(pends[pends.size() - 10].priority.has_value());
  EXPECT_EQ(pends.back().priority, std::optional<uint32_t>(8));
  // Each retry is a new action: a cancel of an earlier attempt still on its way to a replica
  // must not undo the next attempt's pend.
  std::set<std::string> ids;
  for (size_t k = pends.size() - 10; k < pends.size(); ++k) ids.insert(pends[k].action_id);
  EXPECT_EQ(ids.size(), 10u);
  // The action is still pending; a later sync commits it.
  EXPECT_EQ(c->pending().size(), 1u);
  transactor_.FailPends(0, stale);
  ASSERT_TRUE(c->Sync().ok());
  EXPECT_EQ(c->revision(), 2u);
}

TEST_F(CollectionTest, DeadlineEndsTheRetries) {
  std::unique_ptr<Collection> c = Create("late");
  ASSERT_TRUE(c->Act({Set("k", 1)}).ok());
  StaleFailure stale;
  stale.conflict = true;
  transactor_.FailPends(1000, stale);
  SyncOptions options;
  options.deadline_ms = 250;
  options.max_attempts = 1000;
  Status synced = c->Sync(options);
  ASSERT_EQ(synced.code(), StatusCode::kAborted);
  const std::string message(synced.message());
  EXPECT_EQ(message.rfind("sync for collection late exhausted ", 0), 0u) << message;
  EXPECT_NE(message.find(": deadline exceeded"), std::string::npos) << message;
  int64_t slept = 0;
  for (int64_t ms : sleeps_) {
    slept += ms;
  }
  EXPECT_LE(slept, 250);
  EXPECT_GE(slept, 250);  // the last wait was cut to the deadline, not skipped
}

TEST_F(CollectionTest, VanishedHeaderIsAnErrorNamingIdAndRev) {
  std::unique_ptr<Collection> c = Create("ghost");
  ASSERT_TRUE(c->Act({Set("k", 1)}).ok());
  ASSERT_TRUE(c->Sync().ok());
  transactor_.on_get = [](const transactor::BlockGets&, transactor::GetBlockResults& results) {
    if (results.count("ghost")) {
      results["ghost"] = transactor::GetBlockResult{};
    }
  };
  Status updated = c->Update();
  EXPECT_EQ(updated.code(), StatusCode::kCorruption);
  EXPECT_EQ(updated.message(), "collection ghost: header vanished while holding rev 1");
  EXPECT_EQ(c->revision(), 1u);
}

TEST_F(CollectionTest, UnavailableBlocksAreErrorsNotAbsence) {
  std::unique_ptr<Collection> c = Create("far");
  ASSERT_TRUE(c->Sync().ok());
  transactor_.on_get = [](const transactor::BlockGets&, transactor::GetBlockResults& results) {
    if (results.count("far")) {
      transactor::GetBlockResult r;
      r.unavailable = transactor::UnavailableReason::kCohortUnreachable;
      results["far"] = r;
    }
  };
  Status updated = c->Update();
  EXPECT_EQ(updated.code(), StatusCode::kUnavailable);
  EXPECT_EQ(updated.message(), "block far unavailable: cohort-unreachable");
  Result<std::unique_ptr<Collection>> opened =
      Collection::Open(transactor_, kv_, nullptr, "far", Services());
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), StatusCode::kUnavailable);
}

TEST_F(CollectionTest, HeldContextIsNeverLowered) {
  std::unique_ptr<Collection> c = Create("monotonic");
  ASSERT_TRUE(c->Act({Set("k", 1)}).ok());
  ASSERT_TRUE(c->Sync().ok());
  Result<std::optional<Value>> header = ProbeHeader(transactor_, "monotonic");
  ASSERT_TRUE(header.has_value() && header->has_value());
  const BlockId tail = (**header)[std::string(chain::kTailIdMember)].get<std::string>();
  Result<transactor::GetBlockResults> old = local_.Get(transactor::BlockGets{{tail}, {}});
  ASSERT_TRUE(old.has_value());
  const transactor::GetBlockResult tail_at_rev1 = old->at(tail);
  ASSERT_TRUE(c->Act({Set("k", 2)}).ok());
  ASSERT_TRUE(c->Sync().ok());
  ASSERT_EQ(c->revision(), 2u);
  // A lagging replica that claims to be ahead: the tail says rev 5, but serves its rev-1
  // content, so the log read yields a context at rev 1.
  transactor_.on_get = [tail, tail_at_rev1](const transactor::BlockGets&,
                                            transactor::GetBlockResults& results) {
    if (results.count(tail)) {
      results[tail] = tail_at_rev1;
      results[tail].state.latest = transactor::ActionRev{"claimed", 5};
    }
  };
  ASSERT_TRUE(c->Update().ok());
  EXPECT_EQ(c->revision(), 2u);
  transactor_.on_get = nullptr;
  ASSERT_TRUE(c->Act({Set("k", 3)}).ok());
  ASSERT_TRUE(c->Sync().ok());
  EXPECT_EQ(transactor_.pends().back().rev, std::optional<uint64_t>(3));
  EXPECT_EQ(c->revision(), 3u);
}

TEST_F(CollectionTest, HeldContextListsOnlyTheNewestCommittedActions) {
  std::unique_ptr<Collection> c = Create("long");
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(c->ActAndSync({Set("k", i)}).ok());
  }
  std::optional<transactor::ActionContext> held = c->context();
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->rev, 40u);
  ASSERT_EQ(held->committed.size(), kMaxContextCommitted);
  EXPECT_EQ(held->committed.back().rev, 40u);
  EXPECT_EQ(held->committed.front().rev, 40u - kMaxContextCommitted + 1);
  std::unique_ptr<Collection> reopened = Open("long");  // from the log: the same bound
  EXPECT_EQ(reopened->context()->committed.size(), kMaxContextCommitted);
  EXPECT_EQ(Get(*reopened, "k"), 39);
}

TEST_F(CollectionTest, UpdateWithNothingNewReadsOnlyHeaderAndTail) {
  std::unique_ptr<Collection> c = Create("quiet");
  ASSERT_TRUE(c->Act({Set("k", 1)}).ok());
  ASSERT_TRUE(c->Sync().ok());
  const size_t before = transactor_.gets().size();
  ASSERT_TRUE(c->Update().ok());
  EXPECT_EQ(transactor_.gets().size() - before, 2u);
}

// SPEC.md §10.9: replay happens at the adopted revision, so the replayed action builds on the
// remote write instead of on the content the cache held before.
TEST_F(CollectionTest, UpdateReplaysAtTheAdoptedRevision) {
  std::unique_ptr<Collection> a = Create("order");
  ASSERT_TRUE(a->Act({Add("n", 1)}).ok());
  ASSERT_TRUE(a->Sync().ok());
  std::unique_ptr<Collection> b = Open("order");
  EXPECT_EQ(Get(*b, "n"), 1);  // b's cache now holds the rev-1 data block
  ASSERT_TRUE(a->Act({Add("n", 10)}).ok());
  ASSERT_TRUE(a->Sync().ok());
  ASSERT_TRUE(b->Act({Add("n", 100)}).ok());
  EXPECT_EQ(Get(*b, "n"), 101);  // staged over what b knew
  ASSERT_TRUE(b->Update().ok());
  EXPECT_EQ(b->revision(), 2u);
  EXPECT_EQ(Get(*b, "n"), 111);  // replayed over a's commit
  ASSERT_TRUE(b->Sync().ok());
  EXPECT_TRUE(transactor_.pends().back().rev == std::optional<uint64_t>(3));
  ASSERT_TRUE(a->Update().ok());
  EXPECT_EQ(Get(*a, "n"), 111);
}

TEST_F(CollectionTest, ReadDependenciesAreRecordedOnCacheHits) {
  std::unique_ptr<Collection> a = Create("reads");
  ASSERT_TRUE(a->Act({Set("k", 1)}).ok());
  ASSERT_TRUE(a->Sync().ok());
  std::unique_ptr<Collection> b = Open("reads");
  EXPECT_EQ(Get(*b, "k"), 1);
  b->ClearReadDependencies();
  const size_t gets_before = transactor_.gets().size();
  EXPECT_EQ(Get(*b, "k"), 1);
  EXPECT_EQ(transactor_.gets().size(), gets_before);  // served by the cache
  std::vector<transactor::ReadDependency> reads = b->ReadDependencies();
  ASSERT_EQ(reads.size(), 2u);  // the header and the data block
  for (const transactor::ReadDependency& read : reads) {
    EXPECT_EQ(read.revision, 1u) << read.block_id;
  }
  EXPECT_TRUE(
      std::any_of(reads.begin(), reads.end(), [](const auto& r) { return r.block_id == "reads"; }));
}

TEST_F(CollectionTest, SelectLogForwardAndBackward) {
  Result<std::unique_ptr<Collection>> made =
      Collection::CreateOrOpen(transactor_, append_, nullptr, "diary", Services());
  ASSERT_TRUE(made.has_value());
  Collection& diary = **made;
  ASSERT_TRUE(diary.Act({Append("a"), Append("b")}).ok());
  ASSERT_TRUE(diary.Sync().ok());
  ASSERT_TRUE(diary.Act({Append("c")}).ok());
  ASSERT_TRUE(diary.Sync().ok());
  auto data = [](const std::vector<collections::Action>& actions) {
    std::vector<std::string> out;
    for (const collections::Action& a : actions) {
      out.push_back(a.data.get<std::string>());
    }
    return out;
  };
  EXPECT_EQ(data(*diary.SelectLog(true)), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(data(*diary.SelectLog(false)), (std::vector<std::string>{"c", "b", "a"}));
  EXPECT_EQ(data(*diary.SelectLog(false, 2)), (std::vector<std::string>{"c", "b"}));
  // Reversal did not touch the stored entries.
  EXPECT_EQ(data(*diary.SelectLog(true)), (std::vector<std::string>{"a", "b", "c"}));
  Result<Value> entries = diary.Query("entries", Value{{"forward", false}});
  ASSERT_TRUE(entries.has_value());
  EXPECT_EQ(*entries, (Value{"c", "b", "a"}));
}

TEST_F(CollectionTest, ActAndSyncWithdrawsTheCallsActionsOnFailure) {
  std::unique_ptr<Collection> c = Create("withdraw");
  ASSERT_TRUE(c->Sync().ok());
  StaleFailure stale;
  stale.conflict = true;
  transactor_.FailPends(100, stale);
  SyncOptions once;
  once.max_attempts = 1;
  EXPECT_EQ(c->ActAndSync({Set("k", 1)}, once).code(), StatusCode::kAborted);
  EXPECT_TRUE(c->pending().empty());
  EXPECT_FALSE(c->HasUnsyncedChanges());
  transactor_.FailPends(0, stale);
  ASSERT_TRUE(c->ActAndSync({Set("j", 2)}).ok());
  EXPECT_EQ(All(*c), (Value{{"j", 2}}));
}

TEST(SyncBackoff, DoublesUpToTheCapWithHalfJitter) {
  SyncOptions options;
  EXPECT_EQ(BackoffMs(options, 0, 0.0), 100);
  EXPECT_EQ(BackoffMs(options, 1, 0.0), 200);
  EXPECT_EQ(BackoffMs(options, 0, 0.5), 75);
  EXPECT_EQ(BackoffMs(options, 5, 0.0), 3200);
  EXPECT_EQ(BackoffMs(options, 6, 0.0), 5000);
  EXPECT_EQ(BackoffMs(options, 60, 0.0), 5000);
  EXPECT_EQ(BackoffMs(options, 60, 0.999999), 2500);
}

}  // namespace
}  // namespace optimystic::core::collection
