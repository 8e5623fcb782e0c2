// SPDX-License-Identifier: Apache-2.0
#include "core/collection/collection.h"

#include <optimystic/base/base32.h>
#include <optimystic/block/atomic.h>
#include <optimystic/chain/chain_format.h>
#include <optimystic/log/log.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

namespace optimystic::core::collection {

using block::BlockId;
using block::Value;
using collections::Action;
using transactor::ActionContext;

namespace {

Status CheckServices(const CollectionServices& services) {
  if (services.clock == nullptr || services.random == nullptr || services.latches == nullptr ||
      !services.sleep_ms) {
    return Status::InvalidArgument(
        "collection services need a clock, a random source, a latch "
        "table and a sleep function");
  }
  return Status::Ok();
}

Status LogNotFound(const BlockId& id) {
  return Status::NotFound("Log not found for collection " + id);
}

// The collection's log over `store`; NotFound "Log not found ..." when the header heads none.
Result<log::Log> OpenLog(block::BlockStore& store, const BlockId& id) {
  Result<std::optional<log::Log>> opened = log::Log::Open(store, id);
  if (!opened) {
    return opened.error().WithContext("collection " + id);
  }
  if (!opened->has_value()) {
    return LogNotFound(id);
  }
  return std::move(**opened);
}

// SPEC.md §5.2 bootstrap: the log tail is always committed first, so its state proves the
// newest committed action; passing that action in `committed` lets replicas serve (promote)
// blocks that are still pending elsewhere.
Result<std::optional<ActionContext>> Bootstrap(transactor::Transactor& transactor,
                                               const Value& header) {
  auto tail = header.find(chain::kTailIdMember);
  if (tail == header.end() || !tail->is_string()) {
    return std::optional<ActionContext>();
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(DirectRead read,
                              ReadDirect(transactor, tail->get<std::string>(), std::nullopt));
  if (!read.state.latest.has_value()) {
    return std::optional<ActionContext>();
  }
  ActionContext context;
  context.committed.push_back(*read.state.latest);
  context.rev = read.state.latest->rev;
  return std::optional<ActionContext>(std::move(context));
}

// `rev`: the entry's rev when known, else the rev it follows (named in the message).
Result<std::vector<Action>> DecodeActions(const std::vector<Value>& values, const BlockId& id,
                                          uint64_t rev) {
  std::vector<Action> actions;
  actions.reserve(values.size());
  for (const Value& value : values) {
    Result<Action> action = collections::ActionFromValue(value);
    if (!action) {
      return Status::Corruption("collection " + id + ": log entry at rev " + std::to_string(rev) +
                                ": " + std::string(action.error().message()));
    }
    actions.push_back(std::move(*action));
  }
  return actions;
}

std::string ActionsText(const std::vector<Action>& actions) {
  Value array = Value::array();
  for (const Action& action : actions) {
    array.push_back(collections::ActionToValue(action));
  }
  return array.dump();
}

}  // namespace

double JitterDraw(base::RandomSource& random) {
  uint8_t bytes[8];
  random.Fill(bytes, sizeof(bytes));
  uint64_t word = 0;
  for (uint8_t b : bytes) {
    word = (word << 8) | b;
  }
  return static_cast<double>(word >> 11) * 0x1.0p-53;  // 53 random bits: [0, 1)
}

int64_t BackoffMs(const SyncOptions& options, uint32_t k, double u) {
  // Doubling stops at the cap, so a large k never overflows.
  double delay = static_cast<double>(std::max<int64_t>(options.base_backoff_ms, 0));
  const double cap = static_cast<double>(std::max<int64_t>(options.max_backoff_ms, 0));
  for (uint32_t i = 0; i < k && delay < cap; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, cap);
  u = std::clamp(u, 0.0, 1.0);
  return static_cast<int64_t>(std::floor(delay * (1.0 - 0.5 * u)));
}

std::string_view ResolutionName(conflict::Resolution::Kind kind) noexcept {
  switch (kind) {
    case conflict::Resolution::Kind::kReplay:
      return "replay";
    case conflict::Resolution::Kind::kReplace:
      return "replace";
    case conflict::Resolution::Kind::kDrop:
      return "drop";
    case conflict::Resolution::Kind::kReject:
      return "reject";
  }
  return "unknown";
}

Result<std::optional<Value>> ProbeHeader(transactor::Transactor& transactor, const BlockId& id) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(DirectRead read, ReadDirect(transactor, id, std::nullopt));
  return std::move(read.block);
}

// The CollectionReader queries see: the local snapshot (the tracker) under the latch.
class Collection::Reader final : public collections::CollectionReader {
 public:
  explicit Reader(Collection& collection) : collection_(collection) {}
  const BlockId& collection_id() const noexcept override { return collection_.id_; }
  uint64_t revision() const noexcept override { return collection_.revision(); }
  block::BlockSource& blocks() noexcept override { return collection_.tracker_; }
  Result<std::vector<Action>> SelectLog(bool forward, size_t limit) override {
    return collection_.SelectLogLocked(forward, limit);
  }

 private:
  Collection& collection_;
};

Collection::Collection(transactor::Transactor& transactor, const collections::CollectionType& type,
                       const conflict::ConflictResolver* resolver, BlockId id,
                       CollectionServices services)
    : transactor_(transactor),
      type_(type),
      resolver_(resolver),
      id_(std::move(id)),
      services_(std::move(services)),
      latch_(services_.latches->Latch("Collection:" + id_)),
      source_(id_, transactor_, *services_.random, &collector_),
      cache_(source_),
      reading_(cache_, collector_),
      tracker_(reading_) {
  source_.set_cache(&cache_);
}

Collection::~Collection() = default;

Result<std::unique_ptr<Collection>> Collection::Open(transactor::Transactor& transactor,
                                                     const collections::CollectionType& type,
                                                     const conflict::ConflictResolver* resolver,
                                                     const BlockId& id,
                                                     CollectionServices services) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckServices(services));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> header, ProbeHeader(transactor, id));
  if (!header.has_value()) {
    return std::unique_ptr<Collection>();
  }
  std::unique_ptr<Collection> collection(
      new Collection(transactor, type, resolver, id, std::move(services)));
  std::lock_guard<std::mutex> lock(*collection->latch_);
  OPTIMYSTIC_RETURN_IF_ERROR(collection->Attach(*header));
  return collection;
}

Result<std::unique_ptr<Collection>> Collection::CreateOrOpen(
    transactor::Transactor& transactor, const collections::CollectionType& type,
    const conflict::ConflictResolver* resolver, const BlockId& id, CollectionServices services) {
  OPTIMYSTIC_RETURN_IF_ERROR(CheckServices(services));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> header, ProbeHeader(transactor, id));
  std::unique_ptr<Collection> collection(
      new Collection(transactor, type, resolver, id, std::move(services)));
  std::lock_guard<std::mutex> lock(*collection->latch_);
  if (header.has_value()) {
    OPTIMYSTIC_RETURN_IF_ERROR(collection->Attach(*header));
  } else {
    OPTIMYSTIC_RETURN_IF_ERROR(collection->Invent());
  }
  return collection;
}

Status Collection::Attach(const Value& header) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader parsed, block::HeaderOf(header));
  if (parsed.type != type_.header_block_type()) {
    return Status::InvalidArgument("collection " + id_ + " has header type " + parsed.type +
                                   ", not " + std::string(type_.header_block_type()) + " (" +
                                   std::string(type_.name()) + ")");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ActionContext> context, Bootstrap(transactor_, header));
  SetContext(std::move(context));
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::Log log, OpenLog(tracker_, id_));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ActionContext> logged, log.GetActionContext());
  AdoptContext(logged);
  return Status::Ok();
}

Status Collection::Invent() {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value header, type_.CreateHeaderBlock(id_, tracker_));
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader parsed, block::HeaderOf(header));
  if (parsed.id != id_) {
    return Status::InvalidArgument("collection type " + std::string(type_.name()) +
                                   " made a header with id " + parsed.id + " for collection " +
                                   id_);
  }
  OPTIMYSTIC_RETURN_IF_ERROR(tracker_.Insert(header));
  // Adds the first, empty log block and headId/tailId to the staged header.
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::Log log, OpenLog(tracker_, id_));
  (void)log;
  SetContext(std::nullopt);
  return Status::Ok();
}

std::string_view Collection::resolver_name() const {
  return resolver_ != nullptr ? resolver_->name() : std::string_view("replay");
}

Status Collection::Act(std::vector<Action> actions) {
  std::lock_guard<std::mutex> lock(*latch_);
  return ActLocked(std::move(actions), next_seq_++);
}

Status Collection::Sync(const SyncOptions& options) {
  std::lock_guard<std::mutex> lock(*latch_);
  return SyncLocked(options);
}

Status Collection::Update() {
  std::lock_guard<std::mutex> lock(*latch_);
  std::vector<std::string> rejections;
  OPTIMYSTIC_RETURN_IF_ERROR(UpdateLocked(rejections));
  return Rejected(rejections);
}

Status Collection::UpdateAndSync(const SyncOptions& options) {
  std::lock_guard<std::mutex> lock(*latch_);
  std::vector<std::string> rejections;
  OPTIMYSTIC_RETURN_IF_ERROR(UpdateLocked(rejections));
  OPTIMYSTIC_RETURN_IF_ERROR(Rejected(rejections));
  return SyncLocked(options);
}

Status Collection::ActAndSync(std::vector<Action> actions, const SyncOptions& options) {
  std::lock_guard<std::mutex> lock(*latch_);
  const uint64_t seq = next_seq_++;
  OPTIMYSTIC_RETURN_IF_ERROR(ActLocked(std::move(actions), seq));
  std::vector<std::string> rejections;
  Status status = UpdateLocked(rejections);
  if (status.ok()) {
    status = Rejected(rejections);
  }
  if (status.ok()) {
    status = SyncLocked(options);
  }
  if (!status.ok()) {
    // Nothing of this call committed (a sync commits all of pending at once): withdraw it.
    const size_t before = pending_.size();
    std::erase_if(pending_, [seq](const PendingAction& p) { return p.seq == seq; });
    if (pending_.size() != before) {
      std::vector<std::string> ignored;
      (void)ReplayPending(ignored);
    }
  }
  return status;
}

Status Collection::ApplyOne(const Action& action, block::BlockStore& store) {
  return type_.ApplyAction(action, id_, store);
}

Status Collection::ActLocked(std::vector<Action> actions, uint64_t seq) {
  if (replay_needed_) {
    std::vector<std::string> ignored;
    OPTIMYSTIC_RETURN_IF_ERROR(ReplayPending(ignored));
  }
  const int64_t now_ms = services_.clock->NowUnixMs();
  for (Action& action : actions) {
    action.timestamp_ms = now_ms;
    OPTIMYSTIC_RETURN_IF_ERROR(type_.ValidateAction(action));
  }
  // One Atomic for the whole call: a failing action leaves the tracker as it was (§5.3).
  block::Atomic atomic(tracker_);
  for (const Action& action : actions) {
    Status applied = ApplyOne(action, atomic);
    if (!applied.ok()) {
      atomic.Rollback();
      return applied;
    }
  }
  OPTIMYSTIC_RETURN_IF_ERROR(atomic.Commit());
  for (Action& action : actions) {
    pending_.push_back(PendingAction{std::move(action), seq});
  }
  return Status::Ok();
}

Status Collection::SyncExhausted(const SyncFailure& failure, std::string_view reason) const {
  std::string message =
      "sync for collection " + id_ + " exhausted " + std::to_string(failure.attempts) + " retries";
  if (!reason.empty()) {
    message += ": " + std::string(reason);
  } else if (failure.reason.has_value()) {
    message += ": " + *failure.reason;
  }
  if (failure.stale_at.has_value()) {
    message += ", last seen block " + failure.stale_at->block_id + " at rev " +
               std::to_string(failure.stale_at->rev);
  }
  return Status::Aborted(message);
}

Result<std::optional<transactor::StaleFailure>> Collection::AttemptLocked(
    const transactor::ActionId& action_id, uint32_t priority) {
  std::vector<Value> batch;
  batch.reserve(pending_.size());
  for (const PendingAction& p : pending_) {
    batch.push_back(collections::ActionToValue(p.action));
  }
  const size_t batch_size = pending_.size();
  // A scratch copy of the staged transforms, so that a failed attempt drops its log append.
  block::Tracker scratch(reading_, tracker_.transforms());
  const std::optional<ActionContext> held = source_.context();
  const uint64_t new_rev = (held.has_value() ? held->rev : 0) + 1;
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::Log log, OpenLog(scratch, id_));
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::AppendResult appended,
                              log.AddActions(
                                  std::move(batch), action_id, new_rev,
                                  [&scratch] { return scratch.TransformedBlockIds(); }, {},
                                  std::nullopt, services_.clock->NowUnixMs()));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::optional<transactor::StaleFailure> stale,
      source_.Transact(scratch.transforms(), action_id, new_rev, appended.tail_id, priority));
  if (stale.has_value()) {
    return stale;
  }
  // Committed: drop the batch, advance the context, fold what committed into the cache, and
  // only then replay anything staged since (reads must see the new revision, §10.9).
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(batch_size));
  block::Transforms committed = scratch.Reset();
  tracker_.Reset();
  ActionContext next = held.value_or(ActionContext{});
  next.committed.push_back(transactor::ActionRev{action_id, new_rev});
  next.rev = new_rev;
  next.action_id.reset();
  SetContext(std::move(next));
  cache_.TransformCache(committed, new_rev);
  if (!pending_.empty()) {
    std::vector<std::string> rejections;
    OPTIMYSTIC_RETURN_IF_ERROR(ReplayPending(rejections));
    OPTIMYSTIC_RETURN_IF_ERROR(Rejected(rejections));
  }
  return std::optional<transactor::StaleFailure>();
}

Status Collection::SyncLocked(const SyncOptions& options) {
  if (replay_needed_) {
    std::vector<std::string> ignored;
    OPTIMYSTIC_RETURN_IF_ERROR(ReplayPending(ignored));
  }
  const int64_t start_ms = SteadyMs();
  SyncFailure failure;  // consecutive stale failures of the current batch
  OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::ActionId action_id, NewActionId());
  while (!pending_.empty() || !block::IsTransformsEmpty(tracker_.transforms())) {
    if (options.deadline_ms.has_value() && SteadyMs() - start_ms >= *options.deadline_ms) {
      return SyncExhausted(failure, "deadline exceeded");
    }
    const uint32_t priority = std::min(failure.attempts, kMaxPriority);
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<transactor::StaleFailure> stale,
                                AttemptLocked(action_id, priority));
    if (!stale.has_value()) {
      failure = SyncFailure{};
      OPTIMYSTIC_ASSIGN_OR_RETURN(action_id, NewActionId());  // the next batch is a new action
      continue;
    }
    // Only returned stale failures are retried; errors went back above. The retry is a new
    // action: a cancel of this attempt's pends still on its way must not undo the next one's.
    OPTIMYSTIC_ASSIGN_OR_RETURN(action_id, NewActionId());
    ++failure.attempts;
    if (stale->reason.has_value()) {
      failure.reason = stale->reason;
    }
    if (stale->stale_at.has_value()) {
      failure.stale_at = stale->stale_at;
    }
    if (failure.attempts >= options.max_attempts) {
      return SyncExhausted(failure, "");
    }
    int64_t wait_ms = BackoffMs(options, failure.attempts - 1, JitterDraw(*services_.random));
    if (options.deadline_ms.has_value()) {
      wait_ms =
          std::min(wait_ms, std::max<int64_t>(0, *options.deadline_ms - (SteadyMs() - start_ms)));
    }
    services_.sleep_ms(wait_ms);
    std::vector<std::string> rejections;
    OPTIMYSTIC_RETURN_IF_ERROR(UpdateLocked(rejections));
    OPTIMYSTIC_RETURN_IF_ERROR(Rejected(rejections));
  }
  return Status::Ok();
}

Status Collection::UpdateLocked(std::vector<std::string>& rejections) {
  const uint64_t held = revision();
  // A fresh source without context over a fresh tracker: the remote latest, not our snapshot.
  TransactorSource fresh(id_, transactor_, *services_.random);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> header,
                              fresh.TryGet(id_, block::ReadPurpose::kValue));
  if (!header.has_value()) {
    if (held > 0) {
      return Status::Corruption("collection " + id_ + ": header vanished while holding rev " +
                                std::to_string(held));
    }
    return Status::Ok();  // nothing committed yet, by anyone
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ActionContext> boot, Bootstrap(transactor_, *header));
  if (boot.has_value() && held > 0 && boot->rev <= held) {
    // The tail proves nothing newer committed: skip reading the log (the common case of a
    // single writer, which would otherwise walk the log on every call).
    return Status::Ok();
  }
  fresh.set_context(std::move(boot));
  block::Tracker view(fresh);
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::Log log, OpenLog(view, id_));
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::LogSince latest, log.GetFrom(held));

  bool any_conflicts = false;
  for (const log::ActionEntry& entry : latest.entries) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<Action> remote,
                                DecodeActions(entry.actions, id_, held));
    if (ResolvePending(remote, rejections)) {
      any_conflicts = true;
    }
    cache_.Clear(entry.block_ids);
    const std::set<BlockId> touched(entry.block_ids.begin(), entry.block_ids.end());
    if (!tracker_.Conflicts(touched).empty()) {
      any_conflicts = true;
    }
  }
  // Advance first, then replay (SPEC.md §10.9): replayed reads must be at the adopted rev.
  AdoptContext(latest.context);
  if (any_conflicts) {
    OPTIMYSTIC_RETURN_IF_ERROR(ReplayPending(rejections));
  }
  return Status::Ok();
}

bool Collection::ResolvePending(const std::vector<Action>& remote,
                                std::vector<std::string>& rejections) {
  bool changed = false;
  std::vector<PendingAction> kept;
  kept.reserve(pending_.size());
  for (PendingAction& p : pending_) {
    std::vector<Action> overlapping;
    for (const Action& r : remote) {
      if (type_.Overlaps(p.action, r)) {
        overlapping.push_back(r);
      }
    }
    if (overlapping.empty()) {
      kept.push_back(std::move(p));
      continue;
    }
    conflict::Resolution resolution;  // no resolver: replay
    if (resolver_ != nullptr) {
      resolution = resolver_->Resolve(p.action, overlapping);
    }
    if (services_.on_conflict) {
      services_.on_conflict(resolver_name(), ResolutionName(resolution.kind));
    }
    switch (resolution.kind) {
      case conflict::Resolution::Kind::kReplay:
        kept.push_back(std::move(p));
        break;
      case conflict::Resolution::Kind::kReplace:
        if (resolution.action.has_value()) {
          kept.push_back(PendingAction{std::move(*resolution.action), p.seq});
          changed = true;
        } else {
          kept.push_back(std::move(p));  // a replacement without an action keeps the original
        }
        break;
      case conflict::Resolution::Kind::kDrop:
        changed = true;
        break;
      case conflict::Resolution::Kind::kReject:
        changed = true;
        rejections.push_back("conflict rejected by " + std::string(resolver_name()) + ": " +
                             (resolution.reason.empty() ? "rejected" : resolution.reason) +
                             "; local action " + ActionsText({p.action}) + "; remote actions " +
                             ActionsText(overlapping));
        break;
    }
  }
  pending_ = std::move(kept);
  return changed;
}

Status Collection::ReplayPending(std::vector<std::string>& rejections) {
  tracker_.Reset();
  replay_needed_ = true;  // until every pending action is back in the tracker
  std::vector<PendingAction> kept;
  kept.reserve(pending_.size());
  for (size_t i = 0; i < pending_.size(); ++i) {
    PendingAction& p = pending_[i];
    block::Atomic atomic(tracker_);
    Status applied = ApplyOne(p.action, atomic);
    if (applied.ok()) {
      applied = atomic.Commit();
    } else {
      atomic.Rollback();
    }
    if (applied.ok()) {
      kept.push_back(std::move(p));
      continue;
    }
    if (applied.code() != StatusCode::kInvalidArgument) {
      // A storage or transport fault, not the action's fault: keep everything and replay later.
      for (size_t j = i; j < pending_.size(); ++j) {
        kept.push_back(std::move(pending_[j]));
      }
      pending_ = std::move(kept);
      return applied;
    }
    rejections.push_back("replay of a " + p.action.type + " action failed: " + applied.ToString());
  }
  pending_ = std::move(kept);
  replay_needed_ = false;
  return Status::Ok();
}

void Collection::AdoptContext(const std::optional<ActionContext>& next) {
  if (!next.has_value()) {
    return;  // an absent read keeps what we hold
  }
  const std::optional<ActionContext>& held = source_.context();
  if (held.has_value() && next->rev < held->rev) {
    return;  // never lower the held revision (SPEC.md §10.8)
  }
  SetContext(next);
}

void Collection::SetContext(std::optional<ActionContext> context) {
  if (context.has_value() && context->committed.size() > kMaxContextCommitted) {
    // Log order is rev order: keep the newest.
    context->committed.erase(context->committed.begin(),
                             context->committed.end() - kMaxContextCommitted);
  }
  revision_.store(context.has_value() ? context->rev : 0, std::memory_order_release);
  source_.set_context(std::move(context));
}

Result<transactor::ActionId> Collection::NewActionId() {
  std::string bytes(kActionIdBytes, '\0');
  services_.random->Fill(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  return base::Base32Encode(bytes);
}

int64_t Collection::SteadyMs() const { return services_.clock->SteadyNs() / 1000000; }

Status Collection::Rejected(const std::vector<std::string>& rejections) {
  if (rejections.empty()) {
    return Status::Ok();
  }
  std::string message = rejections.front();
  if (rejections.size() > 1) {
    message += " (and " + std::to_string(rejections.size() - 1) + " more)";
  }
  return Status::Aborted(message);
}

Result<std::vector<Action>> Collection::SelectLogLocked(bool forward, size_t limit) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::Log log, OpenLog(tracker_, id_));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::vector<log::LogEntry> entries,
      log.Select(forward ? chain::Direction::kForward : chain::Direction::kBackward));
  std::vector<Action> out;
  for (const log::LogEntry& entry : entries) {
    if (!entry.action.has_value()) {
      continue;
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<Action> actions,
                                DecodeActions(entry.action->actions, id_, entry.rev - 1));
    if (!forward) {
      std::reverse(actions.begin(), actions.end());  // a copy: the stored entry is untouched
    }
    for (Action& action : actions) {
      if (limit != 0 && out.size() >= limit) {
        return out;
      }
      out.push_back(std::move(action));
    }
  }
  return out;
}

Result<std::vector<Action>> Collection::SelectLog(bool forward, size_t limit) {
  std::lock_guard<std::mutex> lock(*latch_);
  return SelectLogLocked(forward, limit);
}

Status Collection::Read(const std::function<Status(collections::CollectionReader&)>& fn) {
  std::lock_guard<std::mutex> lock(*latch_);
  if (replay_needed_) {
    std::vector<std::string> ignored;
    OPTIMYSTIC_RETURN_IF_ERROR(ReplayPending(ignored));
  }
  Reader reader(*this);
  return fn(reader);
}

Result<Value> Collection::Query(std::string_view name, const Value& args) {
  Value answer;
  OPTIMYSTIC_RETURN_IF_ERROR(Read([&](collections::CollectionReader& reader) -> Status {
    OPTIMYSTIC_ASSIGN_OR_RETURN(answer, type_.Query(name, args, reader));
    return Status::Ok();
  }));
  return answer;
}

std::vector<Action> Collection::pending() const {
  std::lock_guard<std::mutex> lock(*latch_);
  std::vector<Action> out;
  for (const PendingAction& p : pending_) {
    out.push_back(p.action);
  }
  return out;
}

std::optional<ActionContext> Collection::context() const {
  std::lock_guard<std::mutex> lock(*latch_);
  return source_.context();
}

bool Collection::HasUnsyncedChanges() const {
  std::lock_guard<std::mutex> lock(*latch_);
  return !pending_.empty() || !block::IsTransformsEmpty(tracker_.transforms());
}

std::vector<transactor::ReadDependency> Collection::ReadDependencies() const {
  return collector_.ValueReads();
}

void Collection::ClearReadDependencies() { collector_.Clear(); }

Result<Collection::PendingSnapshot> Collection::SnapshotPending() {
  std::lock_guard<std::mutex> lock(*latch_);
  if (replay_needed_) {
    std::vector<std::string> ignored;
    OPTIMYSTIC_RETURN_IF_ERROR(ReplayPending(ignored));
  }
  PendingSnapshot snapshot;
  snapshot.transforms = tracker_.transforms();
  for (const PendingAction& p : pending_) {
    snapshot.pending.push_back(p.action);
  }
  return snapshot;
}

void Collection::RestorePending(PendingSnapshot snapshot) {
  std::lock_guard<std::mutex> lock(*latch_);
  tracker_.Reset(std::move(snapshot.transforms));
  pending_.clear();
  const uint64_t seq = next_seq_++;
  for (collections::Action& action : snapshot.pending) {
    pending_.push_back(PendingAction{std::move(action), seq});
  }
  replay_needed_ = false;  // the snapshot was taken with every pending effect in the tracker
}

uint64_t Collection::GetNextRev() const { return revision() + 1; }

Result<log::AppendResult> Collection::AppendLogEntry(
    const transactor::ActionId& action_id, std::vector<std::string> collection_ids,
    std::vector<transactor::ReadDependency> reads) {
  std::lock_guard<std::mutex> lock(*latch_);
  std::vector<Value> batch;
  batch.reserve(pending_.size());
  for (const PendingAction& p : pending_) {
    batch.push_back(collections::ActionToValue(p.action));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(log::Log log, OpenLog(tracker_, id_));
  return log.AddActions(
      std::move(batch), action_id, GetNextRev(), [this] { return tracker_.TransformedBlockIds(); },
      std::move(collection_ids), std::move(reads), services_.clock->NowUnixMs());
}

block::Transforms Collection::StagedTransforms() const {
  std::lock_guard<std::mutex> lock(*latch_);
  return tracker_.transforms();
}

uint64_t Collection::RecordCommitted(const transactor::ActionId& action_id) {
  std::lock_guard<std::mutex> lock(*latch_);
  const uint64_t new_rev = GetNextRev();
  ActionContext next = source_.context().value_or(ActionContext{});
  next.committed.push_back(transactor::ActionRev{action_id, new_rev});
  next.rev = new_rev;
  next.action_id.reset();
  SetContext(std::move(next));
  return new_rev;
}

void Collection::ApplyCommittedToCache(const block::Transforms& transforms, uint64_t rev) {
  std::lock_guard<std::mutex> lock(*latch_);
  cache_.TransformCache(transforms, rev);
}

void Collection::ClearPendingActions() {
  std::lock_guard<std::mutex> lock(*latch_);
  pending_.clear();
  tracker_.Reset();
  replay_needed_ = false;
}

}  // namespace optimystic::core::collection
