// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/repo_messages.h"

#include <optimystic/block/block.h>
#include <optimystic/block/codec.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "cluster/wire/payload_members.h"
#include "cluster/wire/wire_text.h"

namespace optimystic::cluster::wire {

namespace {

using block::Value;
using transactor::ActionBlocks;
using transactor::ActionContext;
using transactor::ActionId;
using transactor::ActionPending;
using transactor::ActionRev;
using transactor::ActionStatus;
using transactor::ActionTransforms;
using transactor::BlockActionStatus;
using transactor::BlockGets;
using transactor::BlockId;
using transactor::BlockState;
using transactor::CommitRequest;
using transactor::CommitResult;
using transactor::CommitSuccess;
using transactor::GetBlockResult;
using transactor::GetBlockResults;
using transactor::PendPolicy;
using transactor::PendRequest;
using transactor::PendResult;
using transactor::PendSuccess;
using transactor::ReadDependency;
using transactor::StaleAt;
using transactor::StaleFailure;
using transactor::UnavailableReason;

// Payload members.
constexpr const char* kGetsKey = "gets";
constexpr const char* kResultsKey = "results";
constexpr const char* kActionsKey = "actions";
constexpr const char* kStatusesKey = "statuses";
constexpr const char* kRequestKey = "request";
constexpr const char* kResultKey = "result";
constexpr const char* kFromKey = "from";
constexpr const char* kMembersKey = "members";
// Members of the shapes inside them.
constexpr const char* kActionIdKey = "actionId";
constexpr const char* kBlockIdKey = "blockId";
constexpr const char* kBlockIdsKey = "blockIds";
constexpr const char* kBlockKey = "block";
constexpr const char* kCommittedKey = "committed";
constexpr const char* kConflictKey = "conflict";
constexpr const char* kContextKey = "context";
constexpr const char* kCoordinatorIdKey = "coordinatorId";
constexpr const char* kHeaderIdKey = "headerId";
constexpr const char* kLatestKey = "latest";
constexpr const char* kMaterializedRevKey = "materializedRev";
constexpr const char* kMissingKey = "missing";
constexpr const char* kOperationsHashKey = "operationsHash";
constexpr const char* kPeerIdKey = "peerId";
constexpr const char* kPendingKey = "pending";
constexpr const char* kPendingsKey = "pendings";
constexpr const char* kPolicyKey = "policy";
constexpr const char* kPriorityKey = "priority";
constexpr const char* kPublicKeyKey = "publicKey";
constexpr const char* kReadsKey = "reads";
constexpr const char* kReasonKey = "reason";
constexpr const char* kRevKey = "rev";
constexpr const char* kRevisionKey = "revision";
constexpr const char* kStaleAtKey = "staleAt";
constexpr const char* kStateKey = "state";
constexpr const char* kSuccessKey = "success";
constexpr const char* kSuperclusterNomineesKey = "superclusterNominees";
constexpr const char* kTailIdKey = "tailId";
constexpr const char* kTransactionKey = "transaction";
constexpr const char* kTransformKey = "transform";
constexpr const char* kTransformsKey = "transforms";
constexpr const char* kUnavailableKey = "unavailable";
constexpr const char* kUnconfirmedAheadRevKey = "unconfirmedAheadRev";
constexpr const char* kUrlKey = "url";
constexpr const char* kRoleKey = "role";
constexpr const char* kEpochKey = "epoch";
constexpr const char* kSeesDownKey = "down";
constexpr const char* kHandedOnKey = "handedOn";
constexpr const char* kNextKey = "next";
constexpr const char* kAfterRevKey = "afterRev";
constexpr const char* kCancelKey = "cancel";
constexpr const char* kPendHashKey = "pendHash";
constexpr const char* kCoordinatorKey = "coordinator";
constexpr const char* kCommitKey = "commit";
constexpr const char* kCommitsKey = "commits";
constexpr const char* kExecutedKey = "executed";
constexpr const char* kExpirationKey = "expiration";
constexpr const char* kHeadsKey = "heads";
constexpr const char* kMembershipDigestKey = "membershipDigest";
constexpr const char* kMessageHashKey = "messageHash";
constexpr const char* kMessageKey = "message";
constexpr const char* kOpKey = "op";
constexpr const char* kPeersKey = "peers";
constexpr const char* kPendKey = "pend";
constexpr const char* kPromisesKey = "promises";
constexpr const char* kRecordKey = "record";
constexpr const char* kSignatureKey = "signature";
constexpr const char* kTypeKey = "type";
constexpr const char* kPeerKey = "peer";
constexpr const char* kBucketsKey = "buckets";
constexpr const char* kOfKey = "of";
constexpr const char* kDigestsKey = "digests";
constexpr const char* kQueuedKey = "queued";
// The members of the codec's Transforms form (block_format.md), counted before it is read.
constexpr std::array<const char*, 3> kTransformsMembers = {"inserts", "updates", "deletes"};

// How much of a peer's text an error message quotes.
constexpr size_t kQuotedBytes = 64;

// ---- Enumerations ----------------------------------------------------------------------------

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

constexpr std::array<EnumName<UnavailableReason>, 4> kReasonNames = {{
    {UnavailableReason::kUnmaterializable, "unmaterializable"},
    {UnavailableReason::kPeersUnreachable, "peers-unreachable"},
    {UnavailableReason::kCohortUnreachable, "cohort-unreachable"},
    {UnavailableReason::kClaimedElsewhere, "claimed-elsewhere"},
}};

constexpr std::array<EnumName<PendPolicy>, 3> kPolicyNames = {{
    {PendPolicy::kContinue, "c"},
    {PendPolicy::kFail, "f"},
    {PendPolicy::kReturn, "r"},
}};

constexpr std::array<EnumName<ActionStatus>, 5> kStatusNames = {{
    {ActionStatus::kPending, "pending"},
    {ActionStatus::kCommitted, "committed"},
    {ActionStatus::kCheckpointed, "checkpointed"},
    {ActionStatus::kAborted, "aborted"},
    {ActionStatus::kCommittedInvalidated, "committed-invalidated"},
}};

constexpr std::array<EnumName<ConsensusOp>, 3> kOpNames = {{
    {ConsensusOp::kPend, "pend"},
    {ConsensusOp::kCommit, "commit"},
    {ConsensusOp::kCancel, "cancel"},
}};

constexpr std::array<EnumName<VoteType>, 3> kVoteNames = {{
    {VoteType::kApprove, "approve"},
    {VoteType::kReject, "reject"},
    {VoteType::kConflict, "conflict"},
}};

// The wire name of `value`; "invalid" (which no reader accepts) for a value outside the enum.
template <typename E, size_t N>
std::string NameOf(E value, const std::array<EnumName<E>, N>& names) {
  for (const EnumName<E>& n : names) {
    if (n.value == value) {
      return std::string(n.name);
    }
  }
  return "invalid";
}

template <typename E, size_t N>
Result<E> EnumAt(const Value& v, const PayloadPath& at, const std::array<EnumName<E>, N>& names) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string text, TextAt(v, at));
  for (const EnumName<E>& n : names) {
    if (n.name == text) {
      return n.value;
    }
  }
  return at.Error("unknown value '" + BoundedText(text, kQuotedBytes) + "'");
}

Result<UnavailableReason> ReasonAt(const Value& v, const PayloadPath& at) {
  return EnumAt(v, at, kReasonNames);
}

Result<PendPolicy> PolicyAt(const Value& v, const PayloadPath& at) {
  return EnumAt(v, at, kPolicyNames);
}

Result<ActionStatus> StatusAt(const Value& v, const PayloadPath& at) {
  return EnumAt(v, at, kStatusNames);
}

// ---- Generic readers -------------------------------------------------------------------------

// The elements of the array `v` at `at`, each read by `read(element, path)`.
template <typename T, typename Read>
Result<std::vector<T>> ListAt(const Value& v, const PayloadPath& at, Read read) {
  OPTIMYSTIC_RETURN_IF_ERROR(ArrayAt(v, at, kMaxPeerPayloadEntries));
  std::vector<T> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(T element, read(v[i], at.Element(i)));
    out.push_back(std::move(element));
  }
  return out;
}

// OK when the map `v` has at most kMaxPeerPayloadEntries members.
Status MapSizeAt(const Value& v, const PayloadPath& at) {
  if (v.size() > kMaxPeerPayloadEntries) {
    return at.Error(std::to_string(v.size()) + " entries exceed the limit of " +
                    std::to_string(kMaxPeerPayloadEntries));
  }
  return Status::Ok();
}

// Block ids, action ids and peer ids are all non-empty text.
Result<std::vector<std::string>> IdsAt(const Value& v, const PayloadPath& at) {
  return ListAt<std::string>(v, at, NonEmptyTextAt);
}

Result<Value> AnyAt(const Value& v, const PayloadPath&) { return v; }

Result<Value> BlockAt(const Value& v, const PayloadPath& at) {
  if (Status valid = block::ValidateBlock(v); !valid.ok()) {
    return at.Error(valid.message());
  }
  return v;
}

Result<block::Transform> TransformAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  Result<block::Transform> transform = block::TransformFromValue(v);
  if (!transform) {
    return at.Error(transform.error().message());
  }
  return transform;
}

Result<block::Transforms> TransformsAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  for (const char* key : kTransformsMembers) {
    const Value* member = FindMember(v, key);
    if (member != nullptr && member->is_object()) {
      OPTIMYSTIC_RETURN_IF_ERROR(MapSizeAt(*member, at.Member(key)));
    } else if (member != nullptr && member->is_array()) {
      OPTIMYSTIC_RETURN_IF_ERROR(ArrayAt(*member, at.Member(key), kMaxPeerPayloadEntries));
    }
  }
  Result<block::Transforms> transforms = block::TransformsFromValue(v);
  if (!transforms) {
    return at.Error(transforms.error().message());
  }
  // An insert's id is its block's, which is never empty; updates and deletes name any text.
  const std::vector<BlockId>& deletes = transforms->deletes;
  if (transforms->updates.count("") != 0 ||
      std::find(deletes.begin(), deletes.end(), "") != deletes.end()) {
    return at.Error("empty block id");
  }
  return transforms;
}

// ---- Shapes ----------------------------------------------------------------------------------

Value ActionRevToValue(const ActionRev& rev) {
  return Value::object({{kActionIdKey, rev.action_id}, {kRevKey, rev.rev}});
}

Result<ActionRev> ActionRevAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ActionRev rev;
  OPTIMYSTIC_ASSIGN_OR_RETURN(rev.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(rev.rev, Uint64Member(v, at, kRevKey));
  return rev;
}

Value ContextToValue(const ActionContext& context) {
  Value committed = Value::array();
  for (const ActionRev& rev : context.committed) {
    committed.push_back(ActionRevToValue(rev));
  }
  Value v = Value::object({{kCommittedKey, std::move(committed)}, {kRevKey, context.rev}});
  if (context.action_id) {
    v[kActionIdKey] = *context.action_id;
  }
  return v;
}

Result<std::vector<ActionRev>> ActionRevsAt(const Value& v, const PayloadPath& at) {
  return ListAt<ActionRev>(v, at, ActionRevAt);
}

Result<ActionContext> ContextAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ActionContext context;
  OPTIMYSTIC_ASSIGN_OR_RETURN(context.committed, RequiredMember<std::vector<ActionRev>>(
                                                     v, at, kCommittedKey, ActionRevsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(context.rev, Uint64Member(v, at, kRevKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(context.action_id,
                              OptionalMember<ActionId>(v, at, kActionIdKey, NonEmptyTextAt));
  return context;
}

Value BlockGetsToValue(const BlockGets& gets) {
  Value v = Value::object({{kBlockIdsKey, TextArray(gets.block_ids)}});
  if (gets.context) {
    v[kContextKey] = ContextToValue(*gets.context);
  }
  return v;
}

Result<BlockGets> BlockGetsAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  BlockGets gets;
  OPTIMYSTIC_ASSIGN_OR_RETURN(gets.block_ids,
                              RequiredMember<std::vector<BlockId>>(v, at, kBlockIdsKey, IdsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(gets.context,
                              OptionalMember<ActionContext>(v, at, kContextKey, ContextAt));
  return gets;
}

Value BlockStateToValue(const BlockState& state) {
  Value v = Value::object({{kPendingsKey, TextArray(state.pendings)}});
  if (state.latest) {
    v[kLatestKey] = ActionRevToValue(*state.latest);
  }
  return v;
}

Result<BlockState> BlockStateAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  BlockState state;
  OPTIMYSTIC_ASSIGN_OR_RETURN(state.latest,
                              OptionalMember<ActionRev>(v, at, kLatestKey, ActionRevAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(state.pendings,
                              RequiredMember<std::vector<ActionId>>(v, at, kPendingsKey, IdsAt));
  return state;
}

Value GetBlockResultToValue(const GetBlockResult& result) {
  Value v = Value::object({{kStateKey, BlockStateToValue(result.state)}});
  if (result.block) {
    v[kBlockKey] = *result.block;
  }
  if (result.materialized_rev) {
    v[kMaterializedRevKey] = *result.materialized_rev;
  }
  if (result.unavailable) {
    v[kUnavailableKey] = NameOf(*result.unavailable, kReasonNames);
  }
  if (result.unconfirmed_ahead_rev) {
    v[kUnconfirmedAheadRevKey] = *result.unconfirmed_ahead_rev;
  }
  return v;
}

Result<GetBlockResult> GetBlockResultAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  GetBlockResult result;
  OPTIMYSTIC_ASSIGN_OR_RETURN(result.block, OptionalMember<Value>(v, at, kBlockKey, BlockAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(result.state,
                              RequiredMember<BlockState>(v, at, kStateKey, BlockStateAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(result.materialized_rev,
                              OptionalMember<uint64_t>(v, at, kMaterializedRevKey, Uint64At));
  OPTIMYSTIC_ASSIGN_OR_RETURN(result.unavailable,
                              OptionalMember<UnavailableReason>(v, at, kUnavailableKey, ReasonAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(result.unconfirmed_ahead_rev,
                              OptionalMember<uint64_t>(v, at, kUnconfirmedAheadRevKey, Uint64At));
  return result;
}

Result<GetBlockResults> GetBlockResultsAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  OPTIMYSTIC_RETURN_IF_ERROR(MapSizeAt(v, at));
  GetBlockResults results;
  for (const auto& [id, entry] : *v.get_ptr<const Value::object_t*>()) {
    if (id.empty()) {
      return at.Error("empty block id");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(GetBlockResult result,
                                GetBlockResultAt(entry, at.Member(BoundedText(id, kQuotedBytes))));
    results.emplace(id, std::move(result));
  }
  return results;
}

Value ActionBlocksToValue(const ActionBlocks& actions) {
  return Value::object(
      {{kBlockIdsKey, TextArray(actions.block_ids)}, {kActionIdKey, actions.action_id}});
}

Result<ActionBlocks> ActionBlocksAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ActionBlocks actions;
  OPTIMYSTIC_ASSIGN_OR_RETURN(actions.block_ids,
                              RequiredMember<std::vector<BlockId>>(v, at, kBlockIdsKey, IdsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(actions.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  return actions;
}

Result<std::vector<ActionBlocks>> ActionBlocksListAt(const Value& v, const PayloadPath& at) {
  return ListAt<ActionBlocks>(v, at, ActionBlocksAt);
}

Value BlockActionStatusToValue(const BlockActionStatus& status) {
  Value statuses = Value::array();
  for (ActionStatus s : status.statuses) {
    statuses.push_back(NameOf(s, kStatusNames));
  }
  return Value::object({{kBlockIdsKey, TextArray(status.block_ids)},
                        {kActionIdKey, status.action_id},
                        {kStatusesKey, std::move(statuses)}});
}

Result<std::vector<ActionStatus>> StatusesAt(const Value& v, const PayloadPath& at) {
  return ListAt<ActionStatus>(v, at, StatusAt);
}

Result<BlockActionStatus> BlockActionStatusAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  BlockActionStatus status;
  OPTIMYSTIC_ASSIGN_OR_RETURN(status.block_ids,
                              RequiredMember<std::vector<BlockId>>(v, at, kBlockIdsKey, IdsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(status.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      status.statuses, RequiredMember<std::vector<ActionStatus>>(v, at, kStatusesKey, StatusesAt));
  if (status.statuses.size() != status.block_ids.size()) {
    return at.Member(kStatusesKey)
        .Error(std::to_string(status.statuses.size()) + " statuses for " +
               std::to_string(status.block_ids.size()) + " block ids");
  }
  return status;
}

Result<std::vector<BlockActionStatus>> BlockActionStatusListAt(const Value& v,
                                                               const PayloadPath& at) {
  return ListAt<BlockActionStatus>(v, at, BlockActionStatusAt);
}

Value ReadToValue(const ReadDependency& read) {
  return Value::object({{kBlockIdKey, read.block_id}, {kRevisionKey, read.revision}});
}

Result<ReadDependency> ReadAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ReadDependency read;
  OPTIMYSTIC_ASSIGN_OR_RETURN(read.block_id, NonEmptyTextMember(v, at, kBlockIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(read.revision, Uint64Member(v, at, kRevisionKey));
  return read;
}

Result<std::vector<ReadDependency>> ReadsAt(const Value& v, const PayloadPath& at) {
  return ListAt<ReadDependency>(v, at, ReadAt);
}

Value PendRequestToValue(const PendRequest& request) {
  Value reads = Value::array();
  for (const ReadDependency& read : request.reads) {
    reads.push_back(ReadToValue(read));
  }
  Value v = Value::object();
  v[kActionIdKey] = request.action_id;
  if (request.rev) {
    v[kRevKey] = *request.rev;
  }
  v[kTransformsKey] = block::TransformsToValue(request.transforms);
  v[kPolicyKey] = NameOf(request.policy, kPolicyNames);
  if (request.transaction) {
    v[kTransactionKey] = *request.transaction;
  }
  if (request.operations_hash) {
    v[kOperationsHashKey] = *request.operations_hash;
  }
  v[kSuperclusterNomineesKey] = TextArray(request.supercluster_nominees);
  if (request.priority) {
    v[kPriorityKey] = static_cast<uint64_t>(*request.priority);
  }
  v[kReadsKey] = std::move(reads);
  return v;
}

Result<PendRequest> PendRequestAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  PendRequest request;
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.rev, OptionalMember<uint64_t>(v, at, kRevKey, Uint64At));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      request.transforms, RequiredMember<block::Transforms>(v, at, kTransformsKey, TransformsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.policy,
                              RequiredMember<PendPolicy>(v, at, kPolicyKey, PolicyAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.transaction,
                              OptionalMember<Value>(v, at, kTransactionKey, AnyAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.operations_hash,
                              OptionalMember<std::string>(v, at, kOperationsHashKey, TextAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      request.supercluster_nominees,
      RequiredMember<std::vector<std::string>>(v, at, kSuperclusterNomineesKey, IdsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.priority,
                              OptionalMember<uint32_t>(v, at, kPriorityKey, Uint32At));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      request.reads, RequiredMember<std::vector<ReadDependency>>(v, at, kReadsKey, ReadsAt));
  return request;
}

Value ActionPendingToValue(const ActionPending& pending) {
  Value v = Value::object({{kBlockIdKey, pending.block_id}, {kActionIdKey, pending.action_id}});
  if (pending.transform) {
    v[kTransformKey] = block::TransformToValue(*pending.transform);
  }
  return v;
}

Value ActionPendingsToValue(const std::vector<ActionPending>& pendings) {
  Value out = Value::array();
  for (const ActionPending& pending : pendings) {
    out.push_back(ActionPendingToValue(pending));
  }
  return out;
}

Result<ActionPending> ActionPendingAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ActionPending pending;
  OPTIMYSTIC_ASSIGN_OR_RETURN(pending.block_id, NonEmptyTextMember(v, at, kBlockIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(pending.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(pending.transform,
                              OptionalMember<block::Transform>(v, at, kTransformKey, TransformAt));
  return pending;
}

Result<std::vector<ActionPending>> ActionPendingsAt(const Value& v, const PayloadPath& at) {
  return ListAt<ActionPending>(v, at, ActionPendingAt);
}

Value ActionTransformsToValue(const ActionTransforms& action) {
  Value v = Value::object({{kActionIdKey, action.action_id},
                           {kTransformsKey, block::TransformsToValue(action.transforms)}});
  if (action.rev) {
    v[kRevKey] = *action.rev;
  }
  return v;
}

Result<ActionTransforms> ActionTransformsAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ActionTransforms action;
  OPTIMYSTIC_ASSIGN_OR_RETURN(action.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(action.rev, OptionalMember<uint64_t>(v, at, kRevKey, Uint64At));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      action.transforms, RequiredMember<block::Transforms>(v, at, kTransformsKey, TransformsAt));
  return action;
}

Result<std::vector<ActionTransforms>> ActionTransformsListAt(const Value& v,
                                                             const PayloadPath& at) {
  return ListAt<ActionTransforms>(v, at, ActionTransformsAt);
}

Result<StaleAt> StaleAtAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  StaleAt stale_at;
  OPTIMYSTIC_ASSIGN_OR_RETURN(stale_at.block_id, NonEmptyTextMember(v, at, kBlockIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(stale_at.rev, Uint64Member(v, at, kRevKey));
  return stale_at;
}

Value StaleFailureToValue(const StaleFailure& failure) {
  Value v = Value::object({{kSuccessKey, false}});
  if (failure.reason) {
    v[kReasonKey] = *failure.reason;
  }
  if (!failure.missing.empty()) {
    Value missing = Value::array();
    for (const ActionTransforms& action : failure.missing) {
      missing.push_back(ActionTransformsToValue(action));
    }
    v[kMissingKey] = std::move(missing);
  }
  if (!failure.pending.empty()) {
    v[kPendingKey] = ActionPendingsToValue(failure.pending);
  }
  if (failure.conflict) {
    v[kConflictKey] = *failure.conflict;
  }
  if (failure.stale_at) {
    v[kStaleAtKey] = Value::object(
        {{kBlockIdKey, failure.stale_at->block_id}, {kRevKey, failure.stale_at->rev}});
  }
  return v;
}

// The failure members of the map `v` (whose "success" is false).
Result<StaleFailure> StaleFailureAt(const Value& v, const PayloadPath& at) {
  StaleFailure failure;
  OPTIMYSTIC_ASSIGN_OR_RETURN(failure.reason,
                              OptionalMember<std::string>(v, at, kReasonKey, TextAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::optional<std::vector<ActionTransforms>> missing,
      OptionalMember<std::vector<ActionTransforms>>(v, at, kMissingKey, ActionTransformsListAt));
  failure.missing = std::move(missing).value_or(std::vector<ActionTransforms>{});
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::optional<std::vector<ActionPending>> pending,
      OptionalMember<std::vector<ActionPending>>(v, at, kPendingKey, ActionPendingsAt));
  failure.pending = std::move(pending).value_or(std::vector<ActionPending>{});
  OPTIMYSTIC_ASSIGN_OR_RETURN(failure.conflict, OptionalMember<bool>(v, at, kConflictKey, BoolAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(failure.stale_at,
                              OptionalMember<StaleAt>(v, at, kStaleAtKey, StaleAtAt));
  return failure;
}

Value PendResultToValue(const PendResult& result) {
  if (const StaleFailure* failure = transactor::FailureOf(result)) {
    return StaleFailureToValue(*failure);
  }
  const PendSuccess& success = *std::get_if<PendSuccess>(&result);
  return Value::object({{kSuccessKey, true},
                        {kPendingKey, ActionPendingsToValue(success.pending)},
                        {kBlockIdsKey, TextArray(success.block_ids)}});
}

Result<PendResult> PendResultAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  OPTIMYSTIC_ASSIGN_OR_RETURN(bool success, BoolMember(v, at, kSuccessKey));
  if (!success) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(StaleFailure failure, StaleFailureAt(v, at));
    return PendResult(std::move(failure));
  }
  PendSuccess out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.pending, RequiredMember<std::vector<ActionPending>>(
                                               v, at, kPendingKey, ActionPendingsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.block_ids,
                              RequiredMember<std::vector<BlockId>>(v, at, kBlockIdsKey, IdsAt));
  return PendResult(std::move(out));
}

Value CommitRequestToValue(const CommitRequest& request) {
  Value v = Value::object();
  v[kBlockIdsKey] = TextArray(request.block_ids);
  v[kActionIdKey] = request.action_id;
  v[kRevKey] = request.rev;
  v[kTailIdKey] = request.tail_id;
  if (request.header_id) {
    v[kHeaderIdKey] = *request.header_id;
  }
  return v;
}

Result<CommitRequest> CommitRequestAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  CommitRequest request;
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.block_ids,
                              RequiredMember<std::vector<BlockId>>(v, at, kBlockIdsKey, IdsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.rev, Uint64Member(v, at, kRevKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.tail_id, NonEmptyTextMember(v, at, kTailIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.header_id,
                              OptionalMember<BlockId>(v, at, kHeaderIdKey, NonEmptyTextAt));
  return request;
}

Value CommitResultToValue(const CommitResult& result) {
  if (const StaleFailure* failure = transactor::FailureOf(result)) {
    return StaleFailureToValue(*failure);
  }
  const CommitSuccess& success = *std::get_if<CommitSuccess>(&result);
  Value v = Value::object({{kSuccessKey, true}});
  if (success.coordinator_id) {
    v[kCoordinatorIdKey] = *success.coordinator_id;
  }
  return v;
}

Result<CommitResult> CommitResultAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  OPTIMYSTIC_ASSIGN_OR_RETURN(bool success, BoolMember(v, at, kSuccessKey));
  if (!success) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(StaleFailure failure, StaleFailureAt(v, at));
    return CommitResult(std::move(failure));
  }
  CommitSuccess out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      out.coordinator_id, OptionalMember<std::string>(v, at, kCoordinatorIdKey, NonEmptyTextAt));
  return CommitResult(std::move(out));
}

constexpr std::array<EnumName<MemberRole>, 5> kRoleNames = {{
    {MemberRole::kActive, "active"},
    {MemberRole::kJoining, "joining"},
    {MemberRole::kLeaving, "leaving"},
    {MemberRole::kLeft, "left"},
    {MemberRole::kDown, "down"},
}};

Value PeerInfoToValue(const PeerInfo& peer) {
  Value out = Value::object({{kPeerIdKey, peer.peer_id},
                             {kPublicKeyKey, peer.public_key},
                             {kUrlKey, peer.url},
                             {kRoleKey, NameOf(peer.role, kRoleNames)},
                             {kEpochKey, peer.epoch}});
  // Absent when empty, as most entries are: only a sender's own entry carries them.
  if (!peer.sees_down.empty()) out[kSeesDownKey] = TextArray(peer.sees_down);
  if (!peer.handed_on.empty()) out[kHandedOnKey] = TextArray(peer.handed_on);
  return out;
}

Value PeerInfosToValue(const std::vector<PeerInfo>& peers) {
  Value out = Value::array();
  for (const PeerInfo& peer : peers) {
    out.push_back(PeerInfoToValue(peer));
  }
  return out;
}

Result<PeerInfo> PeerInfoAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  PeerInfo peer;
  OPTIMYSTIC_ASSIGN_OR_RETURN(peer.peer_id, NonEmptyTextMember(v, at, kPeerIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(peer.public_key, TextMember(v, at, kPublicKeyKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(peer.url, TextMember(v, at, kUrlKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::optional<MemberRole> role,
      OptionalMember<MemberRole>(v, at, kRoleKey, [](const Value& e, const PayloadPath& where) {
        return EnumAt(e, where, kRoleNames);
      }));
  peer.role = role.value_or(MemberRole::kActive);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<uint64_t> epoch,
                              OptionalMember<uint64_t>(v, at, kEpochKey, Uint64At));
  peer.epoch = epoch.value_or(0);
  if (FindMember(v, kSeesDownKey) != nullptr) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(peer.sees_down,
                                TextArrayMember(v, at, kSeesDownKey, false, kMaxPeerPayloadEntries));
  }
  if (FindMember(v, kHandedOnKey) != nullptr) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(peer.handed_on,
                                TextArrayMember(v, at, kHandedOnKey, false, kMaxPeerPayloadEntries));
  }
  return peer;
}

Result<std::vector<PeerInfo>> PeerInfosAt(const Value& v, const PayloadPath& at) {
  return ListAt<PeerInfo>(v, at, PeerInfoAt);
}

// ---- Consensus shapes ------------------------------------------------------------------------

using Heads = std::map<BlockId, uint64_t>;
using Votes = std::map<std::string, Vote>;

Value ConsensusMessageValue(const ConsensusMessage& message) {
  Value v = Value::object();
  v[kOpKey] = NameOf(message.op, kOpNames);
  if (message.pend) {
    v[kPendKey] = PendRequestToValue(*message.pend);
  }
  if (message.commit) {
    v[kCommitKey] = CommitRequestToValue(*message.commit);
  }
  if (message.cancel) {
    v[kCancelKey] = ActionBlocksToValue(*message.cancel);
  }
  if (message.pend_hash) {
    v[kPendHashKey] = *message.pend_hash;
  }
  v[kExpirationKey] = message.expiration_ms;
  if (message.coordinator) {
    v[kCoordinatorKey] = *message.coordinator;
  }
  return v;
}

Result<ConsensusMessage> ConsensusMessageAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ConsensusMessage message;
  OPTIMYSTIC_ASSIGN_OR_RETURN(message.op, RequiredMember<ConsensusOp>(
                                              v, at, kOpKey, [](const Value& e, const PayloadPath& p) {
                                                return EnumAt(e, p, kOpNames);
                                              }));
  OPTIMYSTIC_ASSIGN_OR_RETURN(message.pend,
                              OptionalMember<PendRequest>(v, at, kPendKey, PendRequestAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(message.commit,
                              OptionalMember<CommitRequest>(v, at, kCommitKey, CommitRequestAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(message.cancel,
                              OptionalMember<ActionBlocks>(v, at, kCancelKey, ActionBlocksAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(message.pend_hash,
                              OptionalMember<std::string>(v, at, kPendHashKey, NonEmptyTextAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(message.expiration_ms, Uint64Member(v, at, kExpirationKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(message.coordinator,
                              OptionalMember<std::string>(v, at, kCoordinatorKey, NonEmptyTextAt));
  const int present = int(message.pend.has_value()) + int(message.commit.has_value()) +
                      int(message.cancel.has_value());
  const bool matches = (message.op == ConsensusOp::kPend && message.pend) ||
                       (message.op == ConsensusOp::kCommit && message.commit) ||
                       (message.op == ConsensusOp::kCancel && message.cancel);
  if (present != 1 || !matches) {
    return at.Error("expected exactly the member its op '" + NameOf(message.op, kOpNames) +
                    "' names");
  }
  if (message.pend_hash && message.op != ConsensusOp::kCancel) {
    return at.Member(kPendHashKey).Error("only a cancel names a pend round");
  }
  return message;
}

Value HeadsValue(const std::map<BlockId, uint64_t>& heads) {
  Value v = Value::object();
  for (const auto& [id, rev] : heads) {
    v[id] = rev;
  }
  return v;
}

Result<std::map<BlockId, uint64_t>> HeadsAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  OPTIMYSTIC_RETURN_IF_ERROR(MapSizeAt(v, at));
  std::map<BlockId, uint64_t> heads;
  for (const auto& [id, rev] : v.items()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(heads[id], Uint64At(rev, at.Member(id)));
  }
  return heads;
}

Value VoteToValue(const Vote& vote) {
  Value v = Value::object();
  v[kTypeKey] = NameOf(vote.type, kVoteNames);
  v[kSignatureKey] = vote.signature;
  if (!vote.reason.empty()) {
    v[kReasonKey] = vote.reason;
  }
  if (!vote.heads.empty()) {
    v[kHeadsKey] = HeadsValue(vote.heads);
  }
  return v;
}

Result<Vote> VoteAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  Vote vote;
  OPTIMYSTIC_ASSIGN_OR_RETURN(vote.type, RequiredMember<VoteType>(
                                             v, at, kTypeKey, [](const Value& e, const PayloadPath& p) {
                                               return EnumAt(e, p, kVoteNames);
                                             }));
  OPTIMYSTIC_ASSIGN_OR_RETURN(vote.signature, NonEmptyTextMember(v, at, kSignatureKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<std::string> reason,
                              OptionalMember<std::string>(v, at, kReasonKey, TextAt));
  vote.reason = reason.value_or("");
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Heads> heads,
                              OptionalMember<Heads>(v, at, kHeadsKey, HeadsAt));
  vote.heads = heads.value_or(Heads{});
  return vote;
}

Value VotesToValue(const std::map<std::string, Vote>& votes) {
  Value v = Value::object();
  for (const auto& [peer, vote] : votes) {
    v[peer] = VoteToValue(vote);
  }
  return v;
}

Result<std::map<std::string, Vote>> VotesAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  OPTIMYSTIC_RETURN_IF_ERROR(MapSizeAt(v, at));
  std::map<std::string, Vote> votes;
  for (const auto& [peer, vote] : v.items()) {
    if (peer.empty()) {
      return at.Error("a vote has an empty peer id");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(votes[peer], VoteAt(vote, at.Member(peer)));
  }
  return votes;
}

Value ClusterPeersToValue(const std::vector<ClusterPeer>& peers) {
  Value out = Value::array();
  for (const ClusterPeer& peer : peers) {
    out.push_back(Value::object({{kPeerIdKey, peer.peer_id}, {kPublicKeyKey, peer.public_key}}));
  }
  return out;
}

Result<ClusterPeer> ClusterPeerAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ClusterPeer peer;
  OPTIMYSTIC_ASSIGN_OR_RETURN(peer.peer_id, NonEmptyTextMember(v, at, kPeerIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(peer.public_key, NonEmptyTextMember(v, at, kPublicKeyKey));
  return peer;
}

Value ClusterRecordToValue(const ClusterRecord& record) {
  return Value::object({{kMessageHashKey, record.message_hash},
                        {kPeersKey, ClusterPeersToValue(record.peers)},
                        {kMembershipDigestKey, record.membership_digest},
                        {kMessageKey, ConsensusMessageValue(record.message)},
                        {kPromisesKey, VotesToValue(record.promises)},
                        {kCommitsKey, VotesToValue(record.commits)}});
}

Result<ClusterRecord> ClusterRecordAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  ClusterRecord record;
  OPTIMYSTIC_ASSIGN_OR_RETURN(record.message_hash, NonEmptyTextMember(v, at, kMessageHashKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(record.peers,
                              RequiredMember<std::vector<ClusterPeer>>(
                                  v, at, kPeersKey, [](const Value& e, const PayloadPath& p) {
                                    return ListAt<ClusterPeer>(e, p, ClusterPeerAt);
                                  }));
  if (record.peers.empty()) {
    return at.Member(kPeersKey).Error("expected at least one peer");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(record.membership_digest,
                              NonEmptyTextMember(v, at, kMembershipDigestKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(record.message, RequiredMember<ConsensusMessage>(
                                                  v, at, kMessageKey, ConsensusMessageAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(record.promises,
                              RequiredMember<Votes>(v, at, kPromisesKey, VotesAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(record.commits, RequiredMember<Votes>(v, at, kCommitsKey, VotesAt));
  return record;
}

// The member `key` of the payload of `message`, read by `read`.
template <typename T, typename Read>
Result<T> PayloadMember(const Value& payload, const char* message, const char* key, Read read) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(payload, message));
  return RequiredMember<T>(payload, message, key, read);
}

}  // namespace

Value RepoGetToPayload(const BlockGets& gets) noexcept {
  return Value::object({{kGetsKey, BlockGetsToValue(gets)}});
}

Result<BlockGets> RepoGetFromPayload(const Value& payload) noexcept {
  return PayloadMember<BlockGets>(payload, "repo.get", kGetsKey, BlockGetsAt);
}

Value RepoGetOkToPayload(const GetBlockResults& results) noexcept {
  Value map = Value::object();
  for (const auto& [id, result] : results) {
    map[id] = GetBlockResultToValue(result);
  }
  return Value::object({{kResultsKey, std::move(map)}});
}

Result<GetBlockResults> RepoGetOkFromPayload(const Value& payload) noexcept {
  return PayloadMember<GetBlockResults>(payload, "repo.get.ok", kResultsKey, GetBlockResultsAt);
}

Value RepoStatusToPayload(const std::vector<ActionBlocks>& actions) noexcept {
  Value list = Value::array();
  for (const ActionBlocks& action : actions) {
    list.push_back(ActionBlocksToValue(action));
  }
  return Value::object({{kActionsKey, std::move(list)}});
}

Result<std::vector<ActionBlocks>> RepoStatusFromPayload(const Value& payload) noexcept {
  return PayloadMember<std::vector<ActionBlocks>>(payload, "repo.status", kActionsKey,
                                                  ActionBlocksListAt);
}

Value RepoStatusOkToPayload(const std::vector<BlockActionStatus>& statuses) noexcept {
  Value list = Value::array();
  for (const BlockActionStatus& status : statuses) {
    list.push_back(BlockActionStatusToValue(status));
  }
  return Value::object({{kStatusesKey, std::move(list)}});
}

Result<std::vector<BlockActionStatus>> RepoStatusOkFromPayload(const Value& payload) noexcept {
  return PayloadMember<std::vector<BlockActionStatus>>(payload, "repo.status.ok", kStatusesKey,
                                                       BlockActionStatusListAt);
}

Value RepoPendToPayload(const PendRequest& request) noexcept {
  return Value::object({{kRequestKey, PendRequestToValue(request)}});
}

Result<PendRequest> RepoPendFromPayload(const Value& payload) noexcept {
  return PayloadMember<PendRequest>(payload, "repo.pend", kRequestKey, PendRequestAt);
}

Value RepoPendOkToPayload(const PendResult& result) noexcept {
  return Value::object({{kResultKey, PendResultToValue(result)}});
}

Result<PendResult> RepoPendOkFromPayload(const Value& payload) noexcept {
  return PayloadMember<PendResult>(payload, "repo.pend.ok", kResultKey, PendResultAt);
}

Value RepoCommitToPayload(const CommitRequest& request) noexcept {
  return Value::object({{kRequestKey, CommitRequestToValue(request)}});
}

Result<CommitRequest> RepoCommitFromPayload(const Value& payload) noexcept {
  return PayloadMember<CommitRequest>(payload, "repo.commit", kRequestKey, CommitRequestAt);
}

Value RepoCommitOkToPayload(const CommitResult& result) noexcept {
  return Value::object({{kResultKey, CommitResultToValue(result)}});
}

Result<CommitResult> RepoCommitOkFromPayload(const Value& payload) noexcept {
  return PayloadMember<CommitResult>(payload, "repo.commit.ok", kResultKey, CommitResultAt);
}

Value RepoCancelToPayload(const ActionBlocks& actions) noexcept {
  return Value::object({{kActionsKey, ActionBlocksToValue(actions)}});
}

Result<ActionBlocks> RepoCancelFromPayload(const Value& payload) noexcept {
  return PayloadMember<ActionBlocks>(payload, "repo.cancel", kActionsKey, ActionBlocksAt);
}

Value RepoCancelOkToPayload() noexcept { return Value::object(); }

Status RepoCancelOkFromPayload(const Value& payload) noexcept {
  return EmptyMap(payload, "repo.cancel.ok");
}

Value ClusterMembersToPayload(const ClusterMembers& members) noexcept {
  return Value::object({{kFromKey, PeerInfoToValue(members.from)},
                        {kMembersKey, PeerInfosToValue(members.members)}});
}

Result<ClusterMembers> ClusterMembersFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "cluster.members";
  ClusterMembers members;
  OPTIMYSTIC_ASSIGN_OR_RETURN(members.from,
                              PayloadMember<PeerInfo>(payload, kName, kFromKey, PeerInfoAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(members.members, PayloadMember<std::vector<PeerInfo>>(
                                                   payload, kName, kMembersKey, PeerInfosAt));
  return members;
}

Value MembersOkToPayload(const MembersOk& ok) noexcept {
  return Value::object({{kMembersKey, PeerInfosToValue(ok.members)}});
}

Result<MembersOk> MembersOkFromPayload(const Value& payload) noexcept {
  MembersOk ok;
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.members, PayloadMember<std::vector<PeerInfo>>(
                                              payload, "members.ok", kMembersKey, PeerInfosAt));
  return ok;
}

std::vector<BlockId> ConsensusMessage::BlockIds() const {
  std::vector<BlockId> ids;
  if (pend) {
    ids = block::BlockIdsForTransforms(pend->transforms);
  } else if (commit) {
    ids = commit->block_ids;
  } else if (cancel) {
    ids = cancel->block_ids;
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Value ConsensusMessageToValue(const ConsensusMessage& message) noexcept {
  return ConsensusMessageValue(message);
}

Value HeadsToValue(const std::map<BlockId, uint64_t>& heads) noexcept { return HeadsValue(heads); }

Value ClusterUpdateToPayload(const ClusterRecord& record) noexcept {
  return Value::object({{kRecordKey, ClusterRecordToValue(record)}});
}

Result<ClusterRecord> ClusterUpdateFromPayload(const Value& payload) noexcept {
  return PayloadMember<ClusterRecord>(payload, "cluster.update", kRecordKey, ClusterRecordAt);
}

Value ClusterUpdateOkToPayload(const ClusterUpdateOk& ok) noexcept {
  Value v = Value::object({{kRecordKey, ClusterRecordToValue(ok.record)}, {kExecutedKey, ok.executed}});
  if (ok.pend) {
    v[kPendKey] = PendResultToValue(*ok.pend);
  }
  if (ok.commit) {
    v[kCommitKey] = CommitResultToValue(*ok.commit);
  }
  return v;
}

Result<ClusterUpdateOk> ClusterUpdateOkFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "cluster.update.ok";
  ClusterUpdateOk ok;
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.record,
                              PayloadMember<ClusterRecord>(payload, kName, kRecordKey, ClusterRecordAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.executed, BoolMember(payload, kName, kExecutedKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.pend,
                              OptionalMember<PendResult>(payload, kName, kPendKey, PendResultAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(ok.commit, OptionalMember<CommitResult>(payload, kName, kCommitKey,
                                                                      CommitResultAt));
  return ok;
}

Value RepoHistoryToPayload(const HistoryRequest& request) noexcept {
  return Value::object({{kBlockIdKey, request.block_id}, {kAfterRevKey, request.after_rev}});
}

Result<HistoryRequest> RepoHistoryFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "repo.history";
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(payload, kName));
  HistoryRequest request;
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.block_id, NonEmptyTextMember(payload, kName, kBlockIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.after_rev, Uint64Member(payload, kName, kAfterRevKey));
  return request;
}

Value RepoHistoryOkToPayload(const std::vector<ActionTransforms>& actions) noexcept {
  Value list = Value::array();
  for (const ActionTransforms& action : actions) {
    list.push_back(ActionTransformsToValue(action));
  }
  return Value::object({{kActionsKey, std::move(list)}});
}

Result<std::vector<ActionTransforms>> RepoHistoryOkFromPayload(const Value& payload) noexcept {
  return PayloadMember<std::vector<ActionTransforms>>(payload, "repo.history.ok", kActionsKey,
                                                      ActionTransformsListAt);
}

namespace {

Result<uint32_t> BucketCountMember(const Value& payload, const char* message) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(uint32_t buckets, Uint32Member(payload, message, kBucketsKey));
  if (buckets == 0 || buckets > kMaxDigestBuckets) {
    return PayloadPath(message).Member(kBucketsKey).Error(
        "must be 1 to " + std::to_string(kMaxDigestBuckets) + ", got " + std::to_string(buckets));
  }
  return buckets;
}

Value BlockHeadToValue(const core::repository::BlockHead& head) {
  return Value::object({{kBlockIdKey, head.block_id},
                        {kActionIdKey, head.latest.action_id},
                        {kRevKey, head.latest.rev}});
}

Result<core::repository::BlockHead> BlockHeadAt(const Value& v, const PayloadPath& at) {
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(v, at));
  core::repository::BlockHead head;
  OPTIMYSTIC_ASSIGN_OR_RETURN(head.block_id, NonEmptyTextMember(v, at, kBlockIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(head.latest.action_id, NonEmptyTextMember(v, at, kActionIdKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(head.latest.rev, Uint64Member(v, at, kRevKey));
  return head;
}

}  // namespace

Value RepoDigestToPayload(const DigestRequest& request) noexcept {
  return Value::object({{kPeerKey, request.peer}, {kBucketsKey, uint64_t{request.buckets}}});
}

Result<DigestRequest> RepoDigestFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "repo.digest";
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(payload, kName));
  DigestRequest request;
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.peer, NonEmptyTextMember(payload, kName, kPeerKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.buckets, BucketCountMember(payload, kName));
  return request;
}

Value RepoDigestOkToPayload(const std::vector<std::string>& digests) noexcept {
  return Value::object({{kDigestsKey, TextArray(digests)}});
}

Result<std::vector<std::string>> RepoDigestOkFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "repo.digest.ok";
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(payload, kName));
  return TextArrayMember(payload, kName, kDigestsKey, /*non_empty=*/true, kMaxDigestBuckets);
}

Value RepoHeadsToPayload(const HeadsRequest& request) noexcept {
  Value of = Value::array();
  for (uint32_t bucket : request.of) {
    of.push_back(uint64_t{bucket});
  }
  return Value::object({{kPeerKey, request.peer},
                        {kBucketsKey, uint64_t{request.buckets}},
                        {kOfKey, std::move(of)},
                        {kBlockIdsKey, TextArray(request.block_ids)},
                        {kNextKey, request.next}});
}

Result<HeadsRequest> RepoHeadsFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "repo.heads";
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(payload, kName));
  HeadsRequest request;
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.peer, NonEmptyTextMember(payload, kName, kPeerKey));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.buckets, BucketCountMember(payload, kName));
  const uint32_t buckets = request.buckets;
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      request.of,
      RequiredMember<std::vector<uint32_t>>(
          payload, kName, kOfKey, [buckets](const Value& v, const PayloadPath& at) {
            return ListAt<uint32_t>(v, at, [buckets](const Value& e, const PayloadPath& where)
                                               -> Result<uint32_t> {
              OPTIMYSTIC_ASSIGN_OR_RETURN(uint32_t bucket, Uint32At(e, where));
              if (bucket >= buckets) {
                return where.Error("bucket " + std::to_string(bucket) + " is not below buckets (" +
                                   std::to_string(buckets) + ")");
              }
              return bucket;
            });
          }));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.block_ids, RequiredMember<std::vector<BlockId>>(
                                                     payload, kName, kBlockIdsKey, IdsAt));
  OPTIMYSTIC_ASSIGN_OR_RETURN(request.next, OptionalBoolMember(payload, kName, kNextKey));
  return request;
}

Value RepoHeadsOkToPayload(const std::vector<core::repository::BlockHead>& heads) noexcept {
  Value list = Value::array();
  for (const core::repository::BlockHead& head : heads) {
    list.push_back(BlockHeadToValue(head));
  }
  return Value::object({{kHeadsKey, std::move(list)}});
}

Result<std::vector<core::repository::BlockHead>> RepoHeadsOkFromPayload(
    const Value& payload) noexcept {
  return PayloadMember<std::vector<core::repository::BlockHead>>(
      payload, "repo.heads.ok", kHeadsKey, [](const Value& v, const PayloadPath& at) {
        return ListAt<core::repository::BlockHead>(v, at, BlockHeadAt);
      });
}

Value RepoRepairToPayload(const std::vector<BlockId>& block_ids) noexcept {
  return Value::object({{kBlockIdsKey, TextArray(block_ids)}});
}

Result<std::vector<BlockId>> RepoRepairFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "repo.repair";
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(payload, kName));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::vector<BlockId> ids,
      TextArrayMember(payload, kName, kBlockIdsKey, /*non_empty=*/true, kMaxRepairBlocks));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) {
      return PayloadPath(kName).Member(kBlockIdsKey).Element(i).Error("empty block id");
    }
  }
  return ids;
}

Value RepoRepairOkToPayload(uint64_t queued) noexcept {
  return Value::object({{kQueuedKey, queued}});
}

Result<uint64_t> RepoRepairOkFromPayload(const Value& payload) noexcept {
  constexpr const char* kName = "repo.repair.ok";
  OPTIMYSTIC_RETURN_IF_ERROR(ExpectMap(payload, kName));
  return Uint64Member(payload, kName, kQueuedKey);
}

std::string_view MemberRoleName(MemberRole role) noexcept {
  for (const EnumName<MemberRole>& n : kRoleNames) {
    if (n.value == role) {
      return n.name;
    }
  }
  return "invalid";
}

}  // namespace optimystic::cluster::wire
