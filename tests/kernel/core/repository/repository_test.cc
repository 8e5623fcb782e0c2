// SPDX-License-Identifier: Apache-2.0
// The rules of SPEC.md §6.2–6.4 and §1.10, one test each, over the memory engine.
#include <optimystic/block/codec.h>

#include "core/repository/repository.h"
#include "core/repository/repository_format.h"
#include "repository_test_util.h"
#include "storage/file/file_storage_engine.h"
#include "support/temp_dir.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

namespace optimystic::core::repository {
namespace {

using namespace test_util;  // NOLINT(build/namespaces): test helpers
using transactor::ActionPending;
using transactor::ActionTransforms;
using transactor::StaleAt;
using transactor::UnavailableReason;

// ---- get (SPEC.md §6.2) ----

TEST_F(RepositoryTest, GetNeverSeenBlockIsAuthoritativelyAbsent) {
  GetBlockResult r = Read("nope");
  EXPECT_FALSE(r.block);
  EXPECT_FALSE(r.state.latest);
  EXPECT_TRUE(r.state.pendings.empty());
  EXPECT_FALSE(r.materialized_rev);
  EXPECT_FALSE(r.unavailable);
}

TEST_F(RepositoryTest, GetWithoutContextReadsLatest) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  Land("a2", 2, SetV("b", 2));
  GetBlockResult r = Read("b");
  ASSERT_TRUE(r.block);
  EXPECT_EQ((*r.block)["v"], 2);
  EXPECT_EQ(r.state.latest, (ActionRev{"a2", 2}));
  EXPECT_EQ(r.materialized_rev, 2u);
}

TEST_F(RepositoryTest, GetAtContextRevServesHighestCommittedRevAtOrBelow) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  Land("a4", 4, SetV("b", 4));
  Land("a9", 9, SetV("b", 9));
  GetBlockResult r = Read("b", AtRev(5));
  ASSERT_TRUE(r.block);
  EXPECT_EQ((*r.block)["v"], 4);
  EXPECT_EQ(r.materialized_rev, 4u);
  EXPECT_EQ(r.state.latest, (ActionRev{"a9", 9}));  // the newest held, not the pinned one

  GetBlockResult before = Read("b", AtRev(0));
  EXPECT_FALSE(before.block);
  EXPECT_FALSE(before.materialized_rev);
  EXPECT_EQ(before.state.latest, (ActionRev{"a9", 9}));

  GetBlockResult ahead = Read("b", AtRev(100));
  ASSERT_TRUE(ahead.block);
  EXPECT_EQ((*ahead.block)["v"], 9);
}

TEST_F(RepositoryTest, GetListsPendingActions) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  PendOk(MakePend("p2", 2, SetV("b", 2)));
  PendOk(MakePend("p3", 2, SetV("b", 3)));
  GetBlockResult r = Read("b");
  EXPECT_EQ(r.state.pendings, (std::vector<ActionId>{"p2", "p3"}));
  EXPECT_EQ((*r.block)["v"], 0);  // pendings are not content
}

TEST_F(RepositoryTest, GetOverlaysContextActionIdPendingOverCommittedBase) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  PendOk(MakePend("p2", 2, SetV("b", 7)));
  GetBlockResult r = Read("b", AtRev(1, {}, "p2"));
  ASSERT_TRUE(r.block);
  EXPECT_EQ((*r.block)["v"], 7);
  EXPECT_EQ(r.materialized_rev, 1u);  // the committed base under the overlay
  EXPECT_EQ(r.state.latest, (ActionRev{"a1", 1}));
  EXPECT_EQ(r.state.pendings, (std::vector<ActionId>{"p2"}));
  EXPECT_FALSE(r.unavailable);
}

TEST_F(RepositoryTest, GetPendingOnlyInsertWithItsActionHasNoMaterializedRev) {
  PendOk(MakePend("p1", 1, InsertOf(TestBlock("b", 5))));
  GetBlockResult r = Read("b", AtRev(0, {}, "p1"));
  ASSERT_TRUE(r.block);
  EXPECT_EQ((*r.block)["v"], 5);
  EXPECT_FALSE(r.materialized_rev);
  EXPECT_FALSE(r.state.latest);
  // Without naming the action the block does not exist yet.
  GetBlockResult plain = Read("b");
  EXPECT_FALSE(plain.block);
  EXPECT_EQ(plain.state.pendings, (std::vector<ActionId>{"p1"}));
}

TEST_F(RepositoryTest, GetContextActionIdNotPendingHereServesCommittedContent) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  GetBlockResult r = Read("b", AtRev(1, {}, "elsewhere"));
  ASSERT_TRUE(r.block);
  EXPECT_EQ((*r.block)["v"], 1);
  EXPECT_EQ(r.materialized_rev, 1u);
}

TEST_F(RepositoryTest, GetTombstoneReadsAbsentWithoutFlag) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  Land("a2", 2, DeleteOf("b"));
  GetBlockResult r = Read("b");
  EXPECT_FALSE(r.block);
  EXPECT_FALSE(r.unavailable);
  EXPECT_EQ(r.state.latest, (ActionRev{"a2", 2}));
  GetBlockResult old = Read("b", AtRev(1));
  ASSERT_TRUE(old.block);
  EXPECT_EQ((*old.block)["v"], 1);
}

TEST_F(RepositoryTest, GetAnswersEachDistinctIdOnce) {
  Land("a1", 1, Both(InsertOf(TestBlock("x")), InsertOf(TestBlock("y"))));
  transactor::BlockGets gets;
  gets.block_ids = {"y", "x", "y", "z"};
  auto r = repo_.Get(gets);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->size(), 3u);
  EXPECT_TRUE(r->at("x").block);
  EXPECT_TRUE(r->at("y").block);
  EXPECT_FALSE(r->at("z").block);
}

TEST_F(RepositoryTest, GetBlockIdsWithSlashesDoNotAlias) {
  Land("a1", 1, InsertOf(TestBlock("tree://app/x", 1)));
  Land("a2", 2, InsertOf(TestBlock("tree://app", 2)));
  EXPECT_EQ((*Read("tree://app/x").block)["v"], 1);
  EXPECT_EQ((*Read("tree://app").block)["v"], 2);
  EXPECT_FALSE(Read("tree://").block);
  std::string with_nul("a\0b", 3);
  Land("a3", 3, InsertOf(TestBlock(with_nul, 3)));
  EXPECT_EQ((*Read(with_nul).block)["v"], 3);
  EXPECT_FALSE(Read("a").block);
}

// ---- read-driven promotion (SPEC.md §1.10 step 1) ----

TEST_F(RepositoryTest, GetPromotesCommittedContextActionsPendingHere) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  PendOk(MakePend("a2", 2, SetV("b", 2)));
  GetBlockResult r = Read("b", AtRev(2, {{"a2", 2}}));
  ASSERT_TRUE(r.block);
  EXPECT_EQ((*r.block)["v"], 2);
  EXPECT_EQ(r.state.latest, (ActionRev{"a2", 2}));
  EXPECT_TRUE(r.state.pendings.empty());
  // The promotion is durable: a plain read sees it.
  EXPECT_EQ(Read("b").state.latest, (ActionRev{"a2", 2}));
  ExpectInvariants(engine_, {"b"});
}

TEST_F(RepositoryTest, GetPromotesInAscendingRevOrder) {
  PendOk(MakePend("a1", 1, InsertOf(TestBlock("b", 1))));
  PendOk(
      MakePend("a3", 3, UpdateOf("b", {BlockOperation::Splice("log", 0, 0, Value::array({3}))})));
  GetBlockResult r = Read("b", AtRev(3, {{"a3", 3}, {"a1", 1}}));
  ASSERT_TRUE(r.block);
  EXPECT_EQ((*r.block)["log"], Value::array({3}));
  EXPECT_EQ(r.state.latest, (ActionRev{"a3", 3}));
  GetBlockResult at1 = Read("b", AtRev(1));
  EXPECT_EQ((*at1.block)["log"], Value::array());
  ExpectInvariants(engine_, {"b"});
}

// A replica may miss a pend that its cluster took (a quorum was enough): under a context whose
// a2 this block holds no record of, a2 may be a missed write of this block, so a replicated
// repository does not promote a3 over it; a single copy promotes as before.
TEST_F(RepositoryTest, AReplicatedRepositoryDoesNotPromoteOverAnUnknownContextAction) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  PendOk(MakePend("a3", 3, SetV("b", 3)));
  const auto context = AtRev(3, {{"a1", 1}, {"a2", 2}, {"a3", 3}});
  Repository replicated(engine_, RepositoryOptions{true, true, /*replicated=*/true});
  auto got = replicated.Get(transactor::BlockGets{{"b"}, context});
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ(got->at("b").state.latest, (ActionRev{"a1", 1}));
  EXPECT_EQ((*got->at("b").block)["v"], 1);
  EXPECT_EQ(got->at("b").state.pendings, (std::vector<ActionId>{"a3"})) << "kept for consensus";

  GetBlockResult single = Read("b", context);
  EXPECT_EQ(single.state.latest, (ActionRev{"a3", 3}));
  ExpectInvariants(engine_, {"b"});
}

TEST_F(RepositoryTest, GetDoesNotPromoteEntriesAtOrBelowLatest) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  Land("a2", 2, SetV("b", 2));
  PendOk(MakePend("late", std::nullopt, SetV("b", 9)));
  GetBlockResult r = Read("b", AtRev(2, {{"late", 2}}));
  EXPECT_EQ((*r.block)["v"], 2);
  EXPECT_EQ(r.state.pendings, (std::vector<ActionId>{"late"}));
}

TEST_F(RepositoryTest, GetPromotionWithoutBaseDropsPendingAndFlagsUnavailable) {
  PendOk(MakePend("u2", std::nullopt, SetV("b", 2)));  // update-only, never saw the insert
  GetBlockResult r = Read("b", AtRev(2, {{"u2", 2}}));
  EXPECT_FALSE(r.block);
  EXPECT_EQ(r.unavailable, UnavailableReason::kUnmaterializable);
  EXPECT_FALSE(r.state.latest);
  EXPECT_TRUE(r.state.pendings.empty());  // invariant L: the unusable record is dropped
  ExpectInvariants(engine_, {"b"});
}

TEST_F(RepositoryTest, GetWithContextIsOneBatchPerPromotion) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  PendOk(MakePend("a2", 2, SetV("b", 2)));
  PendOk(MakePend("a3", 3, SetV("b", 3)));
  uint64_t before = engine_.Stats().writes_total;
  Read("b", AtRev(3, {{"a2", 2}, {"a3", 3}}));
  EXPECT_EQ(engine_.Stats().writes_total - before, 2u);
  Read("b", AtRev(3, {{"a2", 2}, {"a3", 3}}));  // nothing left to promote: no writes
  EXPECT_EQ(engine_.Stats().writes_total - before, 2u);
}

// ---- pend (SPEC.md §6.3) ----

TEST_F(RepositoryTest, PendStoresThePendingTransformOnEveryTouchedBlock) {
  Land("a1", 1, InsertOf(TestBlock("x")));
  auto result = repo_.Pend(MakePend("p2", 2, Both(SetV("x", 2), InsertOf(TestBlock("y")))));
  ASSERT_TRUE(result);
  const auto& success = std::get<transactor::PendSuccess>(*result);
  EXPECT_EQ(success.block_ids, (std::vector<BlockId>{"x", "y"}));
  EXPECT_TRUE(success.pending.empty());
  BlockReader reader(engine_, "x");
  auto pending = reader.LoadPending("p2");
  ASSERT_TRUE(pending && pending->has_value());
  EXPECT_EQ(**pending, block::TransformForBlockId(SetV("x", 2), "x"));
  EXPECT_EQ(Read("y").state.pendings, (std::vector<ActionId>{"p2"}));
}

TEST_F(RepositoryTest, PendAtStaleRevReturnsMissingAndStaleAt) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  Land("a2", 2, SetV("b", 2));
  Land("a3", 3, SetV("b", 3));
  auto before = Snapshot(engine_);
  StaleFailure f = PendFails(MakePend("late", 2, SetV("b", 9)));
  EXPECT_EQ(f.conflict, true);
  ASSERT_EQ(f.missing.size(), 2u);
  EXPECT_EQ(f.missing[0], (ActionTransforms{"a2", 2, SetV("b", 2)}));
  EXPECT_EQ(f.missing[1], (ActionTransforms{"a3", 3, SetV("b", 3)}));
  EXPECT_EQ(f.stale_at, (StaleAt{"b", 3}));
  EXPECT_EQ(Snapshot(engine_), before);  // a refused pend writes nothing
}

TEST_F(RepositoryTest, PendStaleAtIsTheTouchedBlockWithTheHighestLatest) {
  Land("a1", 1, Both(InsertOf(TestBlock("x")), InsertOf(TestBlock("y"))));
  Land("a5", 5, SetV("y", 5));
  Land("a6", 6, SetV("x", 6));
  StaleFailure f = PendFails(MakePend("late", 4, Both(SetV("x", 0), SetV("y", 0))));
  EXPECT_EQ(f.stale_at, (StaleAt{"x", 6}));
  EXPECT_EQ(f.missing.size(), 2u);  // a6 on x, a5 on y
}

TEST_F(RepositoryTest, PendInsertOfExistingBlockIsStaleWithoutStaleAt) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  StaleFailure f = PendFails(MakePend("again", std::nullopt, InsertOf(TestBlock("b", 4))));
  EXPECT_EQ(f.conflict, true);
  ASSERT_EQ(f.missing.size(), 1u);
  EXPECT_EQ(f.missing[0].action_id, "a1");
  EXPECT_FALSE(f.stale_at);  // only confirmed when a rev was given
}

TEST_F(RepositoryTest, PendUpdateWithoutRevSkipsTheStaleCheck) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  Land("a2", 2, SetV("b", 2));
  PendOk(MakePend("norev", std::nullopt, SetV("b", 3)));
}

TEST_F(RepositoryTest, PendPolicyFailNamesPendingActions) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  PendOk(MakePend("first", 2, SetV("b", 2)));
  auto before = Snapshot(engine_);
  StaleFailure f = PendFails(MakePend("second", 2, SetV("b", 3), PendPolicy::kFail));
  EXPECT_EQ(f.conflict, true);
  EXPECT_EQ(f.pending, (std::vector<ActionPending>{{"b", "first", std::nullopt}}));
  EXPECT_TRUE(f.missing.empty());
  EXPECT_EQ(Snapshot(engine_), before);
}

TEST_F(RepositoryTest, PendPolicyReturnCarriesPendingTransforms) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  PendOk(MakePend("first", 2, SetV("b", 2)));
  StaleFailure f = PendFails(MakePend("second", 2, SetV("b", 3), PendPolicy::kReturn));
  ASSERT_EQ(f.pending.size(), 1u);
  EXPECT_EQ(f.pending[0].action_id, "first");
  EXPECT_EQ(f.pending[0].transform, block::TransformForBlockId(SetV("b", 2), "b"));
}

TEST_F(RepositoryTest, PendPolicyContinueProceedsAndReportsConflicts) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  PendOk(MakePend("first", 2, SetV("b", 2)));
  auto seen = PendOk(MakePend("second", 2, SetV("b", 3), PendPolicy::kContinue));
  EXPECT_EQ(seen, (std::vector<ActionPending>{{"b", "first", std::nullopt}}));
  EXPECT_EQ(Read("b").state.pendings, (std::vector<ActionId>{"first", "second"}));
}

TEST_F(RepositoryTest, PendRetryOfTheSameActionIsNotItsOwnConflict) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  PendOk(MakePend("p", 2, SetV("b", 2), PendPolicy::kFail));
  EXPECT_TRUE(PendOk(MakePend("p", 2, SetV("b", 2), PendPolicy::kFail)).empty());
}

TEST_F(RepositoryTest, PendOfAnActionAlreadyCommittedHereWritesNoPendingRecord) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  PendOk(MakePend("a1", 1, InsertOf(TestBlock("b"))));  // retry at its own (rev, action)
  Land("a2", 2, SetV("b", 2));
  PendOk(MakePend("a2", std::nullopt, SetV("b", 2)));  // no rev, already committed
  EXPECT_TRUE(Read("b").state.pendings.empty());
  ExpectInvariants(engine_, {"b"});
}

TEST_F(RepositoryTest, PendRejectsAnEmptyActionId) {
  auto result = repo_.Pend(MakePend("", 1, InsertOf(TestBlock("b"))));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(RepositoryTest, PendRefusesATransformTooDeepToReadBackAndWritesNothing) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  Value deep = Value::array();
  for (int i = 0; i < 260; ++i) {
    deep = Value::array({deep});
  }
  auto before = Snapshot(engine_);
  auto result = repo_.Pend(MakePend(
      "deep", 2, Both(SetV("b", 2), UpdateOf("b", {BlockOperation::Assign("v", {{"x", deep}})}))));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("pend deep: block b: the transform nests 265 containers "
                                          "deep, more than the 256"),
            std::string::npos)
      << result.error().ToString();
  EXPECT_EQ(Snapshot(engine_), before);
  EXPECT_TRUE(Read("b").state.pendings.empty());
}

// ---- commit (SPEC.md §6.4) ----

TEST_F(RepositoryTest, CommitAppliesThePendingTransformsAtRev) {
  Land("a1", 1, Both(InsertOf(TestBlock("x", 1)), InsertOf(TestBlock("y", 1))));
  PendOk(MakePend("a2", 2, Both(SetV("x", 2), DeleteOf("y"))));
  CommitOk("a2", 2, {"y", "x"});
  EXPECT_EQ((*Read("x").block)["v"], 2);
  EXPECT_FALSE(Read("y").block);
  EXPECT_EQ(Read("y").state.latest, (ActionRev{"a2", 2}));
  EXPECT_TRUE(Read("x").state.pendings.empty());
  ExpectInvariants(engine_, {"x", "y"});
}

TEST_F(RepositoryTest, CommitIsIdempotentForTheSameRevAndAction) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  PendOk(MakePend("a2", 2, SetV("b", 2)));
  CommitOk("a2", 2, {"b"});
  auto after_first = Snapshot(engine_);
  uint64_t writes = engine_.Stats().writes_total;
  CommitOk("a2", 2, {"b"});
  EXPECT_EQ(Snapshot(engine_), after_first);
  EXPECT_EQ(engine_.Stats().writes_total, writes);
}

TEST_F(RepositoryTest, CommitStaleReturnsMissingGroupedByActionWithStaleAt) {
  Land("a1", 1, Both(InsertOf(TestBlock("x")), InsertOf(TestBlock("y"))));
  PendOk(MakePend("loser", 2, Both(SetV("x", 9), SetV("y", 9))));
  Land("w2", 2, Both(SetV("x", 2), SetV("y", 2)));
  Land("w3", 3, SetV("y", 3));
  auto before = Snapshot(engine_);
  StaleFailure f = CommitFails("loser", 2, {"x", "y"});
  EXPECT_FALSE(f.conflict);  // commit failures never set conflict
  ASSERT_EQ(f.missing.size(), 2u);
  EXPECT_EQ(f.missing[0], (ActionTransforms{"w2", 2, Both(SetV("x", 2), SetV("y", 2))}));
  EXPECT_EQ(f.missing[1], (ActionTransforms{"w3", 3, SetV("y", 3)}));
  EXPECT_EQ(f.stale_at, (StaleAt{"y", 3}));
  EXPECT_EQ(Snapshot(engine_), before);
  EXPECT_TRUE(transactor::IsConflictFailure(f));
}

TEST_F(RepositoryTest, CommitRequiresThePendingRecordOnEveryBlock) {
  Land("a1", 1, Both(InsertOf(TestBlock("x")), InsertOf(TestBlock("y"))));
  PendOk(MakePend("a2", 2, SetV("x", 2)));
  auto before = Snapshot(engine_);
  StaleFailure f = CommitFails("a2", 2, {"x", "y"});
  ASSERT_TRUE(f.reason);
  EXPECT_NE(f.reason->find("not found"), std::string::npos) << *f.reason;
  EXPECT_NE(f.reason->find("y"), std::string::npos) << *f.reason;
  EXPECT_EQ(Snapshot(engine_), before);  // all or nothing: x is not committed either
}

TEST_F(RepositoryTest, CommitWithoutBaseRefusesWithMissingBaseRevisionAndDropsPending) {
  Land("a1", 1, InsertOf(TestBlock("x")));
  PendOk(MakePend("a2", 2, Both(SetV("x", 2), SetV("never-seen", 2))));
  StaleFailure f = CommitFails("a2", 2, {"x", "never-seen"});
  ASSERT_TRUE(f.reason);
  EXPECT_EQ(f.reason->rfind("missing-base-revision", 0), 0u) << *f.reason;
  EXPECT_FALSE(Read("never-seen").state.latest);
  EXPECT_TRUE(Read("never-seen").state.pendings.empty());  // dropped: it can never be promoted
  // The other block is not committed (the commit is all or nothing) and keeps its record.
  EXPECT_EQ(Read("x").state.latest, (ActionRev{"a1", 1}));
  EXPECT_EQ(Read("x").state.pendings, (std::vector<ActionId>{"a2"}));
  ExpectInvariants(engine_, {"x", "never-seen"});
}

TEST_F(RepositoryTest, CommitOfAnUpdateToADeletedBlockIsRefused) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  Land("a2", 2, DeleteOf("b"));
  PendOk(MakePend("a3", std::nullopt, SetV("b", 3)));
  StaleFailure f = CommitFails("a3", 3, {"b"});
  ASSERT_TRUE(f.reason);
  EXPECT_NE(f.reason->find("deleted"), std::string::npos) << *f.reason;
  EXPECT_EQ(Read("b").state.latest, (ActionRev{"a2", 2}));
}

TEST_F(RepositoryTest, CommitOfAnOperationThatCannotApplyIsRefused) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  PendOk(
      MakePend("a2", 2, UpdateOf("b", {BlockOperation::Splice("nope", 0, 0, Value::array({1}))})));
  StaleFailure f = CommitFails("a2", 2, {"b"});
  ASSERT_TRUE(f.reason);
  EXPECT_EQ(Read("b").state.latest, (ActionRev{"a1", 1}));
}

TEST_F(RepositoryTest, CommitReinsertAfterDelete) {
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  Land("a2", 2, DeleteOf("b"));
  Land("a3", 3, InsertOf(TestBlock("b", 3)));
  EXPECT_EQ((*Read("b").block)["v"], 3);
  EXPECT_FALSE(Read("b", AtRev(2)).block);
  EXPECT_EQ((*Read("b", AtRev(1)).block)["v"], 1);
}

TEST_F(RepositoryTest, CommitRejectsRevZero) {
  PendOk(MakePend("a", std::nullopt, InsertOf(TestBlock("b"))));
  auto result = repo_.Commit(MakeCommit("a", 0, {"b"}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument);
}

// ---- cancel ----

TEST_F(RepositoryTest, CancelDeletesThePendingRecords) {
  Land("a1", 1, InsertOf(TestBlock("x")));
  PendOk(MakePend("p", 2, Both(SetV("x", 2), InsertOf(TestBlock("y")))));
  PendOk(MakePend("q", 2, SetV("x", 3)));
  ASSERT_TRUE(repo_.Cancel({{"x", "y", "z"}, "p"}).ok());
  EXPECT_EQ(Read("x").state.pendings, (std::vector<ActionId>{"q"}));
  EXPECT_TRUE(Read("y").state.pendings.empty());
  uint64_t writes = engine_.Stats().writes_total;
  ASSERT_TRUE(repo_.Cancel({{"x", "y"}, "p"}).ok());  // nothing left: no write
  EXPECT_EQ(engine_.Stats().writes_total, writes);
  StaleFailure f = CommitFails("p", 2, {"x", "y"});
  EXPECT_TRUE(f.reason);
}

// ---- stored bytes that fail their checks ----

TEST_F(RepositoryTest, CorruptMetadataIsCorruptionNamingBlockAndKey) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  storage::WriteBatch batch;
  batch.Put(MetaKey("b"), "garbage");
  ASSERT_TRUE(engine_.Write(batch, {}).ok());
  transactor::BlockGets gets;
  gets.block_ids = {"b"};
  auto r = repo_.Get(gets);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kCorruption);
  EXPECT_NE(r.error().message().find("block b"), std::string_view::npos) << r.error().ToString();
  EXPECT_NE(r.error().message().find(PrintableKey(MetaKey("b"))), std::string_view::npos)
      << r.error().ToString();
}

TEST_F(RepositoryTest, CorruptMaterializationIsCorruption) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  storage::WriteBatch batch;
  batch.Put(MaterializedKey("b", 1), block::EncodeValue(Value::array({1, 2})));
  ASSERT_TRUE(engine_.Write(batch, {}).ok());
  transactor::BlockGets gets;
  gets.block_ids = {"b"};
  auto r = repo_.Get(gets);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kCorruption) << r.error().ToString();
  EXPECT_NE(r.error().message().find("block b"), std::string_view::npos);
}

TEST_F(RepositoryTest, RevisionNamingAMissingCommittedRecordIsCorruption) {
  Land("a1", 1, InsertOf(TestBlock("b")));
  Land("a2", 2, SetV("b", 2));
  storage::WriteBatch batch;
  batch.Delete(MaterializedKey("b", 2));
  batch.Delete(CommittedKey("b", "a2"));
  ASSERT_TRUE(engine_.Write(batch, {}).ok());
  transactor::BlockGets gets;
  gets.block_ids = {"b"};
  auto r = repo_.Get(gets);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), StatusCode::kCorruption) << r.error().ToString();
  EXPECT_NE(r.error().message().find(PrintableKey(CommittedKey("b", "a2"))), std::string_view::npos)
      << r.error().ToString();
}

// ---- a durable engine ----

TEST(RepositoryFileEngine, CommittedStateSurvivesReopen) {
  test::TempDir dir("repository-file");
  test::TestLogger logger;
  plugins::storage_file::FileStorageOptions options;
  options.path = dir.Sub("data");
  options.background_compaction = false;
  {
    auto engine = plugins::storage_file::FileStorageEngine::Open(options, logger);
    ASSERT_TRUE(engine) << engine.error().ToString();
    Repository repo(**engine);
    ASSERT_TRUE(repo.Pend(MakePend("a1", 1, InsertOf(TestBlock("b", 1)))));
    ASSERT_TRUE(repo.Commit(MakeCommit("a1", 1, {"b"})));
    ASSERT_TRUE(repo.Pend(MakePend("a2", 2, SetV("b", 2))));
    ASSERT_TRUE((*engine)->Close().ok());
  }
  auto engine = plugins::storage_file::FileStorageEngine::Open(options, logger);
  ASSERT_TRUE(engine) << engine.error().ToString();
  Repository repo(**engine);
  transactor::BlockGets gets;
  gets.block_ids = {"b"};
  auto r = repo.Get(gets);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ((*r->at("b").block)["v"], 1);
  EXPECT_EQ(r->at("b").state.pendings, (std::vector<ActionId>{"a2"}));
  auto commit = repo.Commit(MakeCommit("a2", 2, {"b"}));
  ASSERT_TRUE(commit && transactor::FailureOf(*commit) == nullptr);
  r = repo.Get(gets);
  EXPECT_EQ((*r->at("b").block)["v"], 2);
}

// ---- the reads behind read-dependency validation and getStatus (SPEC.md §6.6–6.7) ----

TEST_F(RepositoryTest, LatestIsTheNewestCommittedRevision) {
  auto none = repo_.Latest("b");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  Land("a1", 1, InsertOf(TestBlock("b", 1)));
  PendOk(MakePend("a2", 2, SetV("b", 2)));  // pending only: not a revision yet
  EXPECT_EQ(*repo_.Latest("b"), (ActionRev{"a1", 1}));
  CommitOk("a2", 2, {"b"});
  EXPECT_EQ(*repo_.Latest("b"), (ActionRev{"a2", 2}));
  Land("a3", 5, DeleteOf("b"));  // a tombstone is a revision too
  EXPECT_EQ(*repo_.Latest("b"), (ActionRev{"a3", 5}));
}

TEST_F(RepositoryTest, RecordOfTellsPendingCommittedAndNeither) {
  EXPECT_EQ(*repo_.RecordOf("b", "a1"), ActionRecord::kNone);
  PendOk(MakePend("a1", 1, InsertOf(TestBlock("b", 1))));
  EXPECT_EQ(*repo_.RecordOf("b", "a1"), ActionRecord::kPending);
  CommitOk("a1", 1, {"b"});
  EXPECT_EQ(*repo_.RecordOf("b", "a1"), ActionRecord::kCommitted);
  Land("a2", 2, SetV("b", 2));
  // Still in the block's revision history once later revisions exist.
  EXPECT_EQ(*repo_.RecordOf("b", "a1"), ActionRecord::kCommitted);
  PendOk(MakePend("a3", 3, SetV("b", 3)));
  ASSERT_TRUE(repo_.Cancel(transactor::ActionBlocks{{"b"}, "a3"}).ok());
  EXPECT_EQ(*repo_.RecordOf("b", "a3"), ActionRecord::kNone);
  EXPECT_EQ(repo_.RecordOf("b", "").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RepositoryTest, HeadsListTheCommittedBlocksInIdOrder) {
  auto empty = repo_.Heads();
  ASSERT_TRUE(empty) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  // Ids whose escaped keys sort differently from the ids themselves ('/' and 0x00).
  const BlockId with_nul("a\0z", 3);
  Land("a1", 1, InsertOf(TestBlock("b/2", 1)));
  Land("a2", 1, InsertOf(TestBlock(with_nul, 1)));
  Land("a3", 1, InsertOf(TestBlock("a", 1)));
  Land("a4", 2, SetV("a", 2));
  PendOk(MakePend("a5", 1, InsertOf(TestBlock("pending-only", 1))));  // not a revision yet
  auto heads = repo_.Heads();
  ASSERT_TRUE(heads) << heads.status().ToString();
  EXPECT_EQ(*heads, (std::vector<BlockHead>{{"a", ActionRev{"a4", 2}},
                                            {with_nul, ActionRev{"a2", 1}},
                                            {"b/2", ActionRev{"a1", 1}}}));
}

}  // namespace
}  // namespace optimystic::core::repository
