// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/repo_messages.h"

#include <optimystic/block/block.h>
#include <optimystic/block/codec.h>

#include "cluster/wire/envelope.h"
#include "cluster/wire/message_type.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::cluster::wire {
namespace {

using block::BlockOperation;
using block::Value;
using namespace optimystic::transactor;  // NOLINT: the test spells many of its types

Value TestBlock(const std::string& id, Value members = Value::object()) {
  Value block = block::MakeBlock(block::BlockHeader{id, "TL", "users"});
  for (const auto& [key, value] : members.items()) {
    block[key] = value;
  }
  return block;
}

// Inserts, updates and deletes, with a float and a nested array in the inserted block.
block::Transforms SampleTransforms() {
  block::Transforms t;
  t.inserts["n1"] = TestBlock("n1", {{"entries", {1, "x", 2.5}}});
  t.updates["u1"] = {BlockOperation::Assign("v", 1), BlockOperation::Splice("e", 0, 1, {3}),
                     BlockOperation::Clear("w")};
  t.deletes = {"d1", "d2"};
  return t;
}

block::Transform SampleTransform() {
  block::Transform t;
  t.insert = TestBlock("p1", {{"v", 7}});
  t.updates = {BlockOperation::Assign("v", 8)};
  t.remove = true;
  return t;
}

StaleFailure FullFailure() {
  StaleFailure f;
  f.reason = "Stale read: block r1 is at revision 4, not 3";
  f.missing = {ActionTransforms{"a-missing", 4, SampleTransforms()},
               ActionTransforms{"a-norev", std::nullopt, block::Transforms{}}};
  f.pending = {ActionPending{"b1", "a-pending", SampleTransform()},
               ActionPending{"b2", "a-other", std::nullopt}};
  f.conflict = true;
  f.stale_at = StaleAt{"b1", 4};
  return f;
}

PendRequest FullPendRequest() {
  PendRequest r;
  r.action_id = "a1";
  r.rev = 5;
  r.transforms = SampleTransforms();
  r.policy = PendPolicy::kReturn;
  r.transaction = Value{{"statements", {"s1"}}, {"stamp", {{"timestamp", 1764612000000}}}};
  r.operations_hash = "ophash";
  r.supercluster_nominees = {"peer-a", "peer-b"};
  r.priority = 4294967295u;
  r.reads = {ReadDependency{"r1", 3}, ReadDependency{"r2", 0}, ReadDependency{"r3", UINT64_MAX}};
  return r;
}

// Whether `v` holds a null anywhere: absent members are omitted, never written as null.
bool HoldsNull(const Value& v) {
  if (v.is_null()) {
    return true;
  }
  if (v.is_structured()) {
    for (const Value& element : v) {
      if (HoldsNull(element)) {
        return true;
      }
    }
  }
  return false;
}

template <typename T>
void ExpectRefused(const Result<T>& result, std::string_view text) {
  ASSERT_FALSE(result.has_value()) << "accepted; expected: " << text;
  EXPECT_EQ(result.error().code(), StatusCode::kInvalidArgument) << result.error().ToString();
  EXPECT_NE(result.error().message().find(text), std::string_view::npos)
      << result.error().ToString() << "\nexpected: " << text;
}

// ---- Round trips ---------------------------------------------------------------------------

TEST(RepoMessages, RepoGetRoundTripsWithAndWithoutAContext) {
  BlockGets full;
  full.block_ids = {"b1", "b2"};
  full.context = ActionContext{{ActionRev{"a1", 1}, ActionRev{"a2", UINT64_MAX}}, 7, "a3"};
  BlockGets no_action;
  no_action.block_ids = {"b1"};
  no_action.context = ActionContext{{}, 0, std::nullopt};
  for (const BlockGets& gets : {full, no_action, BlockGets{{"b1"}, std::nullopt}, BlockGets{}}) {
    Value payload = RepoGetToPayload(gets);
    EXPECT_FALSE(HoldsNull(payload)) << payload.dump();
    Result<BlockGets> back = RepoGetFromPayload(payload);
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, gets) << payload.dump();
  }
  EXPECT_EQ(RepoGetToPayload(BlockGets{{"b1"}, std::nullopt}),
            Value::parse(R"({"gets":{"blockIds":["b1"]}})"));
  EXPECT_EQ(RepoGetToPayload(full)["gets"]["context"],
            Value::parse(R"({"actionId":"a3","committed":[{"actionId":"a1","rev":1},
                             {"actionId":"a2","rev":18446744073709551615}],"rev":7})"));
}

TEST(RepoMessages, RepoGetOkRoundTripsEveryKindOfEntry) {
  GetBlockResults results;
  GetBlockResult present;
  present.block = TestBlock("present", {{"entries", {1, 2.5, "x"}}});
  present.state = BlockState{ActionRev{"a1", 3}, {"a2", "a3"}};
  present.materialized_rev = 3;
  results["present"] = present;
  results["absent"] = GetBlockResult{};  // authoritatively absent: no block, no flag
  GetBlockResult ahead;
  ahead.block = TestBlock("ahead");
  ahead.state.latest = ActionRev{"a1", 1};
  ahead.materialized_rev = 1;
  ahead.unconfirmed_ahead_rev = 9;
  results["ahead"] = ahead;
  const std::vector<std::pair<UnavailableReason, std::string>> reasons = {
      {UnavailableReason::kUnmaterializable, "unmaterializable"},
      {UnavailableReason::kPeersUnreachable, "peers-unreachable"},
      {UnavailableReason::kCohortUnreachable, "cohort-unreachable"},
      {UnavailableReason::kClaimedElsewhere, "claimed-elsewhere"}};
  for (const auto& [reason, name] : reasons) {
    GetBlockResult unavailable;
    unavailable.unavailable = reason;
    results["u-" + name] = unavailable;
  }
  Value payload = RepoGetOkToPayload(results);
  EXPECT_FALSE(HoldsNull(payload)) << payload.dump();
  for (const auto& [reason, name] : reasons) {
    EXPECT_EQ(payload["results"]["u-" + name]["unavailable"], name);
  }
  EXPECT_EQ(payload["results"]["absent"], Value::parse(R"({"state":{"pendings":[]}})"));
  Result<GetBlockResults> back = RepoGetOkFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, results);

  Result<GetBlockResults> empty = RepoGetOkFromPayload(RepoGetOkToPayload({}));
  ASSERT_TRUE(empty.has_value()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
}

TEST(RepoMessages, RepoStatusAndStatusOkRoundTripEveryStatus) {
  const std::vector<ActionBlocks> actions = {ActionBlocks{{"b1", "b2"}, "a1"},
                                             ActionBlocks{{}, "a2"}};
  Result<std::vector<ActionBlocks>> asked = RepoStatusFromPayload(RepoStatusToPayload(actions));
  ASSERT_TRUE(asked.has_value()) << asked.status().ToString();
  EXPECT_EQ(*asked, actions);
  EXPECT_TRUE(RepoStatusFromPayload(RepoStatusToPayload({}))->empty());

  const std::vector<BlockActionStatus> statuses = {
      BlockActionStatus{
          {"b1", "b2", "b3", "b4", "b5"},
          "a1",
          {ActionStatus::kPending, ActionStatus::kCommitted, ActionStatus::kCheckpointed,
           ActionStatus::kAborted, ActionStatus::kCommittedInvalidated}},
      BlockActionStatus{{}, "a2", {}}};
  Value payload = RepoStatusOkToPayload(statuses);
  EXPECT_EQ(payload["statuses"][0]["statuses"],
            Value::parse(R"(["pending","committed","checkpointed","aborted",
                             "committed-invalidated"])"));
  Result<std::vector<BlockActionStatus>> back = RepoStatusOkFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, statuses);
}

TEST(RepoMessages, RepoPendRoundTripsFullAndMinimalRequestsAndEveryPolicy) {
  const PendRequest full = FullPendRequest();
  Value payload = RepoPendToPayload(full);
  EXPECT_FALSE(HoldsNull(payload)) << payload.dump();
  EXPECT_EQ(payload["request"]["transforms"], block::TransformsToValue(full.transforms));
  EXPECT_EQ(payload["request"]["priority"], 4294967295u);
  Result<PendRequest> back = RepoPendFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, full);

  PendRequest minimal;
  minimal.action_id = "a1";
  Value minimal_payload = RepoPendToPayload(minimal);
  EXPECT_EQ(minimal_payload, Value::parse(R"({"request":{"actionId":"a1","policy":"c",
      "reads":[],"superclusterNominees":[],
      "transforms":{"deletes":[],"inserts":{},"updates":{}}}})"));
  Result<PendRequest> minimal_back = RepoPendFromPayload(minimal_payload);
  ASSERT_TRUE(minimal_back.has_value()) << minimal_back.status().ToString();
  EXPECT_EQ(*minimal_back, minimal);

  for (const auto& [policy, name] : std::vector<std::pair<PendPolicy, std::string>>{
           {PendPolicy::kContinue, "c"}, {PendPolicy::kFail, "f"}, {PendPolicy::kReturn, "r"}}) {
    PendRequest r = minimal;
    r.policy = policy;
    Value p = RepoPendToPayload(r);
    EXPECT_EQ(p["request"]["policy"], name);
    EXPECT_EQ(RepoPendFromPayload(p)->policy, policy) << name;
  }
}

TEST(RepoMessages, RepoPendOkRoundTripsSuccessesAndFailures) {
  PendSuccess success;
  success.pending = {ActionPending{"b1", "a-other", SampleTransform()},
                     ActionPending{"b2", "a-third", std::nullopt}};
  success.block_ids = {"b1", "b2", "b3"};
  StaleFailure no_conflict;
  no_conflict.reason = "validation failed";
  no_conflict.conflict = false;
  const std::vector<PendResult> results = {success, PendSuccess{}, FullFailure(), no_conflict,
                                           StaleFailure{}};
  for (const PendResult& result : results) {
    Value payload = RepoPendOkToPayload(result);
    EXPECT_FALSE(HoldsNull(payload)) << payload.dump();
    EXPECT_EQ(payload["result"]["success"], FailureOf(result) == nullptr);
    Result<PendResult> back = RepoPendOkFromPayload(payload);
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, result) << payload.dump();
  }
  // A failure's empty lists and absent members are not written at all.
  EXPECT_EQ(RepoPendOkToPayload(StaleFailure{}), Value::parse(R"({"result":{"success":false}})"));
  EXPECT_EQ(RepoPendOkToPayload(PendSuccess{}),
            Value::parse(R"({"result":{"blockIds":[],"pending":[],"success":true}})"));
  EXPECT_EQ(RepoPendOkToPayload(FullFailure())["result"]["staleAt"],
            Value::parse(R"({"blockId":"b1","rev":4})"));
}

TEST(RepoMessages, RepoCommitAndCommitOkRoundTrip) {
  const CommitRequest full{{"tail", "b1", "hdr"}, "a1", 6, "tail", "hdr"};
  const CommitRequest minimal{{}, "a1", 0, "tail", std::nullopt};
  for (const CommitRequest& request : {full, minimal}) {
    Value payload = RepoCommitToPayload(request);
    EXPECT_FALSE(HoldsNull(payload)) << payload.dump();
    Result<CommitRequest> back = RepoCommitFromPayload(payload);
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, request);
  }
  EXPECT_EQ(RepoCommitToPayload(minimal),
            Value::parse(R"({"request":{"actionId":"a1","blockIds":[],"rev":0,"tailId":"tail"}})"));

  StaleFailure commit_failure;
  commit_failure.reason = "Pending action a1 not found on block b1";
  commit_failure.missing = {ActionTransforms{"a0", 6, SampleTransforms()}};
  commit_failure.stale_at = StaleAt{"tail", 6};
  const std::vector<CommitResult> results = {CommitSuccess{"peer-c"}, CommitSuccess{},
                                             commit_failure, StaleFailure{}};
  for (const CommitResult& result : results) {
    Value payload = RepoCommitOkToPayload(result);
    EXPECT_FALSE(HoldsNull(payload)) << payload.dump();
    Result<CommitResult> back = RepoCommitOkFromPayload(payload);
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, result) << payload.dump();
  }
  EXPECT_EQ(RepoCommitOkToPayload(CommitSuccess{}), Value::parse(R"({"result":{"success":true}})"));
}

TEST(RepoMessages, RepoCancelAndCancelOkRoundTrip) {
  for (const ActionBlocks& actions : {ActionBlocks{{"b1", "b2"}, "a1"}, ActionBlocks{{}, "a1"}}) {
    Result<ActionBlocks> back = RepoCancelFromPayload(RepoCancelToPayload(actions));
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, actions);
  }
  EXPECT_EQ(RepoCancelOkToPayload(), Value::object());
  EXPECT_TRUE(RepoCancelOkFromPayload(RepoCancelOkToPayload()).ok());
  EXPECT_TRUE(RepoCancelOkFromPayload(Value{{"later", 1}}).ok());
  Status not_map = RepoCancelOkFromPayload(Value::array());
  EXPECT_EQ(not_map.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(not_map.message(), "repo.cancel.ok payload: expected a map");
}

TEST(RepoMessages, ClusterMembersAndMembersOkRoundTrip) {
  const PeerInfo a{"peer-a", "AAAAKEY", "tcp://10.0.0.1:7400"};
  const PeerInfo b{"peer-b", "", "", MemberRole::kLeaving, 17};
  const ClusterMembers full{a, {a, b}};
  const ClusterMembers alone{a, {}};
  for (const ClusterMembers& members : {full, alone}) {
    Result<ClusterMembers> back = ClusterMembersFromPayload(ClusterMembersToPayload(members));
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, members);
  }
  EXPECT_EQ(ClusterMembersToPayload(alone),
            Value::parse(R"({"from":{"peerId":"peer-a","publicKey":"AAAAKEY",
                             "url":"tcp://10.0.0.1:7400","role":"active","epoch":0},
                             "members":[]})"));
  // A peer that sends no role (an older node) is active at epoch 0; a role not known is refused.
  Result<ClusterMembers> older = ClusterMembersFromPayload(Value::parse(
      R"({"from":{"peerId":"peer-a","publicKey":"K","url":"u"},"members":[]})"));
  ASSERT_TRUE(older.has_value()) << older.status().ToString();
  EXPECT_EQ(older->from.role, MemberRole::kActive);
  EXPECT_EQ(older->from.epoch, 0u);
  Result<ClusterMembers> odd = ClusterMembersFromPayload(Value::parse(
      R"({"from":{"peerId":"peer-a","publicKey":"K","url":"u","role":"boss"},"members":[]})"));
  ASSERT_FALSE(odd.has_value());
  EXPECT_EQ(odd.status().message(),
            "cluster.members payload member 'from.role': unknown value 'boss'");
  for (MemberRole role : {MemberRole::kActive, MemberRole::kJoining, MemberRole::kLeaving,
                          MemberRole::kLeft, MemberRole::kDown}) {
    const PeerInfo p{"p", "K", "u", role, 3};
    Result<ClusterMembers> back = ClusterMembersFromPayload(ClusterMembersToPayload({p, {}}));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->from, p) << MemberRoleName(role);
  }
  // The sender's own word of who is down and whose blocks it has handed on; absent when none.
  const PeerInfo says{"p", "K", "u", MemberRole::kActive, 3, {"x", "y"}, {"x"}};
  const Value said = ClusterMembersToPayload({says, {}});
  EXPECT_EQ(said["from"]["down"], Value::array({"x", "y"}));
  EXPECT_EQ(said["from"]["handedOn"], Value::array({"x"}));
  EXPECT_FALSE(ClusterMembersToPayload({a, {}})["from"].contains("down"));
  Result<ClusterMembers> heard = ClusterMembersFromPayload(said);
  ASSERT_TRUE(heard.has_value()) << heard.status().ToString();
  EXPECT_EQ(heard->from, says);
  Value bad = said;
  bad["from"]["down"] = Value::array({7});
  Result<ClusterMembers> refused = ClusterMembersFromPayload(bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.status().message().find("member 'from.down[0]'"), std::string::npos)
      << refused.status().message();
  for (const MembersOk& ok : {MembersOk{{a, b}}, MembersOk{}}) {
    Result<MembersOk> back = MembersOkFromPayload(MembersOkToPayload(ok));
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, ok);
  }
}

TEST(RepoMessages, ReadersIgnoreMembersTheyDoNotKnow) {
  Value pend = RepoPendToPayload(FullPendRequest());
  pend["expiration"] = 17;
  pend["request"]["coordinatingBlockIds"] = Value::array({"b1"});
  pend["request"]["reads"][0]["purpose"] = "value";
  Result<PendRequest> request = RepoPendFromPayload(pend);
  ASSERT_TRUE(request.has_value()) << request.status().ToString();
  EXPECT_EQ(*request, FullPendRequest());

  Value ok = RepoPendOkToPayload(FullFailure());
  ok["result"]["retryAfterMs"] = 10;
  ok["result"]["staleAt"]["peer"] = "p";
  EXPECT_EQ(*RepoPendOkFromPayload(ok), PendResult(FullFailure()));

  Value members = ClusterMembersToPayload(ClusterMembers{{"peer-a", "k", "u"}, {}});
  members["from"]["state"] = "up";
  EXPECT_TRUE(ClusterMembersFromPayload(members).has_value());
}

TEST(RepoMessages, PayloadsSurviveTheEnvelope) {
  GetBlockResults results;
  GetBlockResult present;
  present.block = TestBlock("b1", {{"f", 2.5}, {"whole", 1.0}, {"n", -3}, {"s", "é"}});
  present.materialized_rev = UINT64_MAX;
  present.state.latest = ActionRev{"a1", UINT64_MAX};
  results["b1"] = present;
  const std::vector<std::pair<MessageType, Value>> messages = {
      {MessageType::kRepoPend, RepoPendToPayload(FullPendRequest())},
      {MessageType::kRepoPendOk, RepoPendOkToPayload(FullFailure())},
      {MessageType::kRepoGetOk, RepoGetOkToPayload(results)},
      {MessageType::kClusterMembers,
       ClusterMembersToPayload(ClusterMembers{{"peer-a", "k", "tcp://h:1"}, {}})}};
  for (const auto& [type, payload] : messages) {
    Envelope e;
    e.type = type;
    e.request_id = 9;
    e.sender = "peer-a";
    e.payload = payload;
    Result<std::string> bytes = EncodeEnvelope(e);
    ASSERT_TRUE(bytes.has_value()) << bytes.status().ToString();
    Result<Envelope> back = DecodeEnvelope(*bytes);
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(back->type, type);
    // The canonical encoding writes 1.0 as 1, which compares equal.
    EXPECT_EQ(back->payload, payload) << MessageTypeName(type);
    EXPECT_EQ(*EncodeEnvelope(*back), *bytes);
  }
  Envelope e;
  e.type = MessageType::kRepoPend;
  e.payload = RepoPendToPayload(FullPendRequest());
  Result<Envelope> pend = DecodeEnvelope(*EncodeEnvelope(e));
  ASSERT_TRUE(pend.has_value()) << pend.status().ToString();
  Result<PendRequest> request = RepoPendFromPayload(pend->payload);
  ASSERT_TRUE(request.has_value()) << request.status().ToString();
  EXPECT_EQ(*request, FullPendRequest());

  e.type = MessageType::kRepoGetOk;
  e.payload = RepoGetOkToPayload(results);
  Result<Envelope> get_ok = DecodeEnvelope(*EncodeEnvelope(e));
  ASSERT_TRUE(get_ok.has_value()) << get_ok.status().ToString();
  Result<GetBlockResults> got = RepoGetOkFromPayload(get_ok->payload);
  ASSERT_TRUE(got.has_value()) << got.status().ToString();
  EXPECT_EQ(*got, results);
}

// ---- Refusals ------------------------------------------------------------------------------

TEST(RepoMessages, EveryReaderRefusesAPayloadThatIsNotAMap) {
  for (const Value& not_map : {Value::array(), Value("x"), Value(nullptr), Value(1)}) {
    ExpectRefused(RepoGetFromPayload(not_map), "repo.get payload: expected a map");
    ExpectRefused(RepoGetOkFromPayload(not_map), "repo.get.ok payload: expected a map");
    ExpectRefused(RepoStatusFromPayload(not_map), "repo.status payload: expected a map");
    ExpectRefused(RepoStatusOkFromPayload(not_map), "repo.status.ok payload: expected a map");
    ExpectRefused(RepoPendFromPayload(not_map), "repo.pend payload: expected a map");
    ExpectRefused(RepoPendOkFromPayload(not_map), "repo.pend.ok payload: expected a map");
    ExpectRefused(RepoCommitFromPayload(not_map), "repo.commit payload: expected a map");
    ExpectRefused(RepoCommitOkFromPayload(not_map), "repo.commit.ok payload: expected a map");
    ExpectRefused(RepoCancelFromPayload(not_map), "repo.cancel payload: expected a map");
    EXPECT_FALSE(RepoCancelOkFromPayload(not_map).ok());
    ExpectRefused(ClusterMembersFromPayload(not_map), "cluster.members payload: expected a map");
    ExpectRefused(MembersOkFromPayload(not_map), "members.ok payload: expected a map");
  }
}

TEST(RepoMessages, MissingMembersAreNamedWithTheirPath) {
  ExpectRefused(RepoGetFromPayload(Value::object()), "repo.get payload member 'gets': missing");
  ExpectRefused(RepoGetOkFromPayload(Value::object()),
                "repo.get.ok payload member 'results': missing");
  ExpectRefused(RepoStatusFromPayload(Value::object()),
                "repo.status payload member 'actions': missing");
  ExpectRefused(RepoStatusOkFromPayload(Value::object()),
                "repo.status.ok payload member 'statuses': missing");
  ExpectRefused(RepoPendOkFromPayload(Value::object()),
                "repo.pend.ok payload member 'result': missing");
  ExpectRefused(RepoCommitFromPayload(Value::object()),
                "repo.commit payload member 'request': missing");
  ExpectRefused(RepoCommitOkFromPayload(Value{{"result", Value::object()}}),
                "repo.commit.ok payload member 'result.success': missing");
  ExpectRefused(RepoCancelFromPayload(Value::object()),
                "repo.cancel payload member 'actions': missing");
  ExpectRefused(MembersOkFromPayload(Value::object()),
                "members.ok payload member 'members': missing");

  // Every required member of a pend request, each in turn.
  for (const char* key : {"actionId", "transforms", "policy", "superclusterNominees", "reads"}) {
    Value payload = RepoPendToPayload(FullPendRequest());
    payload["request"].erase(key);
    ExpectRefused(RepoPendFromPayload(payload),
                  "repo.pend payload member 'request." + std::string(key) + "': missing");
  }
  Value pend = RepoPendToPayload(FullPendRequest());
  pend["request"]["reads"][1].erase("revision");
  ExpectRefused(RepoPendFromPayload(pend),
                "repo.pend payload member 'request.reads[1].revision': missing");

  for (const char* key : {"blockIds", "actionId", "rev", "tailId"}) {
    Value payload = RepoCommitToPayload(CommitRequest{{"b1"}, "a1", 1, "t", "h"});
    payload["request"].erase(key);
    ExpectRefused(RepoCommitFromPayload(payload),
                  "repo.commit payload member 'request." + std::string(key) + "': missing");
  }
  Value get = RepoGetToPayload(BlockGets{{"b1"}, ActionContext{{ActionRev{"a1", 1}}, 1, {}}});
  get["gets"]["context"]["committed"][0].erase("rev");
  ExpectRefused(RepoGetFromPayload(get),
                "repo.get payload member 'gets.context.committed[0].rev': missing");

  GetBlockResults results;
  results["b1"] = GetBlockResult{};
  Value get_ok = RepoGetOkToPayload(results);
  get_ok["results"]["b1"].erase("state");
  ExpectRefused(RepoGetOkFromPayload(get_ok),
                "repo.get.ok payload member 'results.b1.state': missing");

  Value success = RepoPendOkToPayload(PendSuccess{});
  success["result"].erase("blockIds");
  ExpectRefused(RepoPendOkFromPayload(success),
                "repo.pend.ok payload member 'result.blockIds': missing");

  Value members = ClusterMembersToPayload(ClusterMembers{{"peer-a", "k", "u"}, {}});
  members["from"].erase("url");
  ExpectRefused(ClusterMembersFromPayload(members),
                "cluster.members payload member 'from.url': missing");
  members.erase("from");
  ExpectRefused(ClusterMembersFromPayload(members),
                "cluster.members payload member 'from': missing");
}

TEST(RepoMessages, MistypedMembersAreNamedWithTheirPath) {
  Value pend = RepoPendToPayload(FullPendRequest());
  pend["request"]["reads"][2]["revision"] = -1;
  ExpectRefused(RepoPendFromPayload(pend),
                "repo.pend payload member 'request.reads[2].revision': expected an unsigned "
                "64-bit integer");
  pend["request"]["reads"][2]["revision"] = 1.5;
  ExpectRefused(RepoPendFromPayload(pend), "'request.reads[2].revision'");

  pend = RepoPendToPayload(FullPendRequest());
  pend["request"]["priority"] = 4294967296ULL;
  ExpectRefused(RepoPendFromPayload(pend),
                "repo.pend payload member 'request.priority': expected an unsigned 32-bit integer");
  pend["request"]["priority"] = 1;
  pend["request"]["rev"] = "5";
  ExpectRefused(RepoPendFromPayload(pend), "'request.rev': expected an unsigned 64-bit integer");
  pend["request"]["rev"] = 5;
  pend["request"]["reads"] = Value::object();
  ExpectRefused(RepoPendFromPayload(pend), "'request.reads': expected an array, found object");
  pend["request"]["reads"] = Value::array({"r1"});
  ExpectRefused(RepoPendFromPayload(pend), "'request.reads[0]': expected a map, found string");
  pend = RepoPendToPayload(FullPendRequest());
  pend["request"]["operationsHash"] = nullptr;  // absent is omitted, never null
  ExpectRefused(RepoPendFromPayload(pend),
                "'request.operationsHash': expected a text string, found null");
  pend = RepoPendToPayload(FullPendRequest());
  pend["request"] = Value::array();
  ExpectRefused(RepoPendFromPayload(pend),
                "repo.pend payload member 'request': expected a map, found array");

  // A transform the block codec refuses, with the codec's reason after the path.
  pend = RepoPendToPayload(FullPendRequest());
  pend["request"]["transforms"]["inserts"]["n1"] = Value{{"no", "header"}};
  ExpectRefused(RepoPendFromPayload(pend), "repo.pend payload member 'request.transforms': ");
  pend["request"]["transforms"] = Value::array();
  ExpectRefused(RepoPendFromPayload(pend), "'request.transforms': expected a map, found array");

  Value pend_ok = RepoPendOkToPayload(FullFailure());
  pend_ok["result"]["pending"][0]["transform"] = Value{{"delete", 1}};
  ExpectRefused(RepoPendOkFromPayload(pend_ok), "'result.pending[0].transform': ");
  pend_ok = RepoPendOkToPayload(FullFailure());
  pend_ok["result"]["conflict"] = "yes";
  ExpectRefused(RepoPendOkFromPayload(pend_ok),
                "'result.conflict': expected a boolean, found string");
  pend_ok = RepoPendOkToPayload(FullFailure());
  pend_ok["result"]["missing"][0]["rev"] = Value::object();
  ExpectRefused(RepoPendOkFromPayload(pend_ok), "'result.missing[0].rev'");
  pend_ok["result"]["success"] = 0;
  ExpectRefused(RepoPendOkFromPayload(pend_ok), "'result.success': expected a boolean");

  // A block that is not a block.
  GetBlockResults results;
  results["b1"] = GetBlockResult{};
  Value get_ok = RepoGetOkToPayload(results);
  get_ok["results"]["b1"]["block"] = Value{{"entries", Value::array()}};
  ExpectRefused(RepoGetOkFromPayload(get_ok), "repo.get.ok payload member 'results.b1.block': ");
  get_ok["results"]["b1"]["block"] = nullptr;
  ExpectRefused(RepoGetOkFromPayload(get_ok), "'results.b1.block': ");
  get_ok = RepoGetOkToPayload(results);
  get_ok["results"]["b1"]["state"]["pendings"] = Value::array({1});
  ExpectRefused(RepoGetOkFromPayload(get_ok),
                "'results.b1.state.pendings[0]': expected a text string, found number");
  get_ok["results"] = Value::array();
  ExpectRefused(RepoGetOkFromPayload(get_ok), "'results': expected a map, found array");

  Value members = MembersOkToPayload(MembersOk{{PeerInfo{"peer-a", "k", "u"}}});
  members["members"][0]["publicKey"] = 5;
  ExpectRefused(MembersOkFromPayload(members),
                "members.ok payload member 'members[0].publicKey': expected a text string");
}

TEST(RepoMessages, UnknownEnumerationTextIsRefusedAndQuoted) {
  GetBlockResults results;
  results["b1"] = GetBlockResult{};
  Value get_ok = RepoGetOkToPayload(results);
  get_ok["results"]["b1"]["unavailable"] = "gone";
  ExpectRefused(RepoGetOkFromPayload(get_ok),
                "repo.get.ok payload member 'results.b1.unavailable': unknown value 'gone'");

  Value pend = RepoPendToPayload(FullPendRequest());
  pend["request"]["policy"] = "w";  // upstream test code mentions a 'w'; this protocol has none
  ExpectRefused(RepoPendFromPayload(pend),
                "repo.pend payload member 'request.policy': unknown value 'w'");
  pend["request"]["policy"] = "C";
  ExpectRefused(RepoPendFromPayload(pend), "unknown value 'C'");

  Value status = RepoStatusOkToPayload(
      {BlockActionStatus{{"b1", "b2"}, "a1", {ActionStatus::kPending, ActionStatus::kAborted}}});
  status["statuses"][0]["statuses"][1] = "lost";
  ExpectRefused(RepoStatusOkFromPayload(status),
                "repo.status.ok payload member 'statuses[0].statuses[1]': unknown value 'lost'");
  // A huge value is quoted only in part.
  status["statuses"][0]["statuses"][1] = std::string(10000, 'x');
  Result<std::vector<BlockActionStatus>> huge = RepoStatusOkFromPayload(status);
  ASSERT_FALSE(huge.has_value());
  EXPECT_LT(huge.error().message().size(), 200u) << huge.error().message();
}

TEST(RepoMessages, EmptyIdsAreRefused) {
  ExpectRefused(RepoGetFromPayload(RepoGetToPayload(BlockGets{{"b1", ""}, std::nullopt})),
                "repo.get payload member 'gets.blockIds[1]': empty");
  ExpectRefused(RepoCancelFromPayload(RepoCancelToPayload(ActionBlocks{{"b1"}, ""})),
                "repo.cancel payload member 'actions.actionId': empty");
  ExpectRefused(RepoGetFromPayload(RepoGetToPayload(BlockGets{{"b1"}, ActionContext{{}, 1, ""}})),
                "repo.get payload member 'gets.context.actionId': empty");
  ExpectRefused(RepoStatusFromPayload(RepoStatusToPayload({ActionBlocks{{""}, "a1"}})),
                "repo.status payload member 'actions[0].blockIds[0]': empty");
  ExpectRefused(
      RepoCommitFromPayload(RepoCommitToPayload(CommitRequest{{"b1"}, "a1", 1, "", std::nullopt})),
      "repo.commit payload member 'request.tailId': empty");
  ExpectRefused(RepoCommitFromPayload(RepoCommitToPayload(CommitRequest{{"b1"}, "a1", 1, "t", ""})),
                "repo.commit payload member 'request.headerId': empty");

  GetBlockResults results;
  results[""] = GetBlockResult{};
  ExpectRefused(RepoGetOkFromPayload(RepoGetOkToPayload(results)),
                "repo.get.ok payload member 'results': empty block id");

  PendRequest request = FullPendRequest();
  request.transforms.updates[""] = {};
  ExpectRefused(RepoPendFromPayload(RepoPendToPayload(request)),
                "repo.pend payload member 'request.transforms': empty block id");
  request = FullPendRequest();
  request.transforms.deletes.push_back("");
  ExpectRefused(RepoPendFromPayload(RepoPendToPayload(request)),
                "repo.pend payload member 'request.transforms': empty block id");
  request = FullPendRequest();
  request.reads[1].block_id = "";
  ExpectRefused(RepoPendFromPayload(RepoPendToPayload(request)),
                "repo.pend payload member 'request.reads[1].blockId': empty");
  request = FullPendRequest();
  request.supercluster_nominees = {""};
  ExpectRefused(RepoPendFromPayload(RepoPendToPayload(request)),
                "'request.superclusterNominees[0]': empty");

  StaleFailure failure = FullFailure();
  failure.pending[1].block_id = "";
  ExpectRefused(RepoPendOkFromPayload(RepoPendOkToPayload(failure)),
                "repo.pend.ok payload member 'result.pending[1].blockId': empty");
  failure = FullFailure();
  failure.missing[0].action_id = "";
  ExpectRefused(RepoPendOkFromPayload(RepoPendOkToPayload(failure)),
                "'result.missing[0].actionId': empty");

  ExpectRefused(MembersOkFromPayload(MembersOkToPayload(MembersOk{{PeerInfo{"", "k", "u"}}})),
                "members.ok payload member 'members[0].peerId': empty");
}

TEST(RepoMessages, StatusesMustMatchTheBlockIds) {
  for (size_t n : {0u, 1u, 3u}) {
    BlockActionStatus status{{"b1", "b2"}, "a1", std::vector<ActionStatus>(n)};
    ExpectRefused(RepoStatusOkFromPayload(RepoStatusOkToPayload({status})),
                  "repo.status.ok payload member 'statuses[0].statuses': " + std::to_string(n) +
                      " statuses for 2 block ids");
  }
}

TEST(RepoMessages, ListsAndMapsOverTheLimitAreRefused) {
  const std::string too_many = std::to_string(kMaxPeerPayloadEntries + 1);
  const std::string limit = std::to_string(kMaxPeerPayloadEntries);

  BlockGets at_limit;
  at_limit.block_ids.assign(kMaxPeerPayloadEntries, "b");
  Result<BlockGets> accepted = RepoGetFromPayload(RepoGetToPayload(at_limit));
  ASSERT_TRUE(accepted.has_value()) << accepted.status().ToString();
  EXPECT_EQ(accepted->block_ids.size(), kMaxPeerPayloadEntries);

  BlockGets over = at_limit;
  over.block_ids.push_back("b");
  ExpectRefused(RepoGetFromPayload(RepoGetToPayload(over)),
                "repo.get payload member 'gets.blockIds': " + too_many +
                    " elements exceed the limit of " + limit);

  Value results = Value::object();
  for (size_t i = 0; i <= kMaxPeerPayloadEntries; ++i) {
    results["b" + std::to_string(i)] = Value::object();
  }
  ExpectRefused(RepoGetOkFromPayload(Value{{"results", std::move(results)}}),
                "repo.get.ok payload member 'results': " + too_many +
                    " entries exceed the limit of " + limit);

  Value deletes = Value::array();
  for (size_t i = 0; i <= kMaxPeerPayloadEntries; ++i) {
    deletes.push_back("d");
  }
  Value pend = RepoPendToPayload(FullPendRequest());
  pend["request"]["transforms"]["deletes"] = std::move(deletes);
  ExpectRefused(RepoPendFromPayload(pend),
                "repo.pend payload member 'request.transforms.deletes': " + too_many +
                    " elements exceed the limit of " + limit);

  MembersOk crowd;
  crowd.members.assign(kMaxPeerPayloadEntries + 1, PeerInfo{"p", "k", "u"});
  ExpectRefused(MembersOkFromPayload(MembersOkToPayload(crowd)),
                "members.ok payload member 'members': " + too_many +
                    " elements exceed the limit of " + limit);
}

// ---- Anti-entropy --------------------------------------------------------------------------

TEST(RepoMessages, DigestAndHeadsRoundTrip) {
  const DigestRequest digest{"peer-a", kMaxDigestBuckets};
  Result<DigestRequest> digest_back = RepoDigestFromPayload(RepoDigestToPayload(digest));
  ASSERT_TRUE(digest_back.has_value()) << digest_back.status().ToString();
  EXPECT_EQ(*digest_back, digest);

  const std::vector<std::string> digests = {"", "ABCDEF", ""};
  Result<std::vector<std::string>> digests_back =
      RepoDigestOkFromPayload(RepoDigestOkToPayload(digests));
  ASSERT_TRUE(digests_back.has_value()) << digests_back.status().ToString();
  EXPECT_EQ(*digests_back, digests);

  const HeadsRequest heads{"peer-a", 64, {0, 17, 63}, {"b1", std::string("b\0/2", 4)}};
  Result<HeadsRequest> heads_back = RepoHeadsFromPayload(RepoHeadsToPayload(heads));
  ASSERT_TRUE(heads_back.has_value()) << heads_back.status().ToString();
  EXPECT_EQ(*heads_back, heads);
  const HeadsRequest next{"peer-a", 64, {5}, {}, /*next=*/true};
  Result<HeadsRequest> next_back = RepoHeadsFromPayload(RepoHeadsToPayload(next));
  ASSERT_TRUE(next_back.has_value()) << next_back.status().ToString();
  EXPECT_EQ(*next_back, next);
  Value without_next = RepoHeadsToPayload(next);
  without_next.erase("next");  // an older node's request: placement as it is now
  EXPECT_FALSE(RepoHeadsFromPayload(without_next)->next);

  const std::vector<core::repository::BlockHead> found = {
      {"b1", ActionRev{"a1", 1}}, {"b2", ActionRev{"a9", UINT64_MAX}}};
  Result<std::vector<core::repository::BlockHead>> found_back =
      RepoHeadsOkFromPayload(RepoHeadsOkToPayload(found));
  ASSERT_TRUE(found_back.has_value()) << found_back.status().ToString();
  EXPECT_EQ(*found_back, found);
}

TEST(RepoMessages, DigestAndHeadsOutOfRangeAreRefused) {
  ExpectRefused(RepoDigestFromPayload(RepoDigestToPayload(DigestRequest{"p", 0})),
                "repo.digest payload member 'buckets': must be 1 to 4096, got 0");
  ExpectRefused(RepoDigestFromPayload(RepoDigestToPayload(DigestRequest{"p", kMaxDigestBuckets + 1})),
                "repo.digest payload member 'buckets': must be 1 to 4096, got 4097");
  ExpectRefused(RepoDigestFromPayload(RepoDigestToPayload(DigestRequest{"", 8})),
                "repo.digest payload member 'peer'");
  ExpectRefused(RepoHeadsFromPayload(RepoHeadsToPayload(HeadsRequest{"p", 8, {3, 8}, {}})),
                "repo.heads payload member 'of[1]': bucket 8 is not below buckets (8)");
  ExpectRefused(RepoHeadsFromPayload(RepoHeadsToPayload(HeadsRequest{"p", 8, {}, {""}})),
                "repo.heads payload member 'blockIds[0]'");
  Value no_of = RepoHeadsToPayload(HeadsRequest{"p", 8, {}, {}});
  no_of.erase("of");
  ExpectRefused(RepoHeadsFromPayload(no_of), "repo.heads payload member 'of': missing");
  ExpectRefused(RepoDigestOkFromPayload(RepoDigestOkToPayload({})),
                "repo.digest.ok payload member 'digests': empty");
  Value head = RepoHeadsOkToPayload({{"b1", ActionRev{"a1", 1}}});
  head["heads"][0]["rev"] = "one";
  ExpectRefused(RepoHeadsOkFromPayload(head), "repo.heads.ok payload member 'heads[0].rev'");
}


// ---- Read repair ---------------------------------------------------------------------------

TEST(RepoMessages, RepairRoundTripsAndIsBounded) {
  const std::vector<BlockId> ids = {"b1", std::string("b\0/2", 4)};
  Result<std::vector<BlockId>> back = RepoRepairFromPayload(RepoRepairToPayload(ids));
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, ids);
  Result<uint64_t> queued = RepoRepairOkFromPayload(RepoRepairOkToPayload(7));
  ASSERT_TRUE(queued.has_value()) << queued.status().ToString();
  EXPECT_EQ(*queued, 7u);

  ExpectRefused(RepoRepairFromPayload(RepoRepairToPayload({})),
                "repo.repair payload member 'blockIds': empty");
  ExpectRefused(RepoRepairFromPayload(RepoRepairToPayload({"b1", ""})),
                "repo.repair payload member 'blockIds[1]': empty block id");
  ExpectRefused(
      RepoRepairFromPayload(RepoRepairToPayload(std::vector<BlockId>(kMaxRepairBlocks + 1, "b"))),
      "repo.repair payload member 'blockIds': 257 elements exceed the limit of 256");
  ExpectRefused(RepoRepairFromPayload(Value::object({})),
                "repo.repair payload member 'blockIds': missing");
  ExpectRefused(RepoRepairOkFromPayload(Value::object({{"queued", "two"}})),
                "repo.repair.ok payload member 'queued'");
}

}  // namespace
}  // namespace optimystic::cluster::wire
