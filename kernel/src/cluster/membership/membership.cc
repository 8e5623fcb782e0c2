// SPDX-License-Identifier: Apache-2.0
#include "cluster/membership/membership.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "cluster/wire/messages.h"
#include "cluster/wire/wire_call.h"

namespace optimystic::cluster::membership {

namespace {

using wire::MessageType;

bool Usable(const wire::PeerInfo& info) {
  return !info.peer_id.empty() && !info.url.empty() && !info.public_key.empty();
}

bool Holds(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// Whether a member of `role` is in the ring that places blocks now, and in the next one. A
// member given the role down keeps its place until its ranges are handed on.
bool PlacesNow(wire::MemberRole role) {
  return role == wire::MemberRole::kActive || role == wire::MemberRole::kLeaving ||
         role == wire::MemberRole::kDown;
}
bool PlacesNext(wire::MemberRole role) {
  return role == wire::MemberRole::kActive || role == wire::MemberRole::kJoining;
}

}  // namespace

const Member* MembershipView::Find(const std::string& peer_id) const {
  for (const Member& m : members) {
    if (m.peer_id == peer_id) {
      return &m;
    }
  }
  return nullptr;
}

Result<std::unique_ptr<Membership>> Membership::Create(wire::PeerInfo self,
                                                       MembershipOptions options,
                                                       const time::Clock& clock,
                                                       MembershipEvents events) {
  if (self.peer_id.empty()) {
    return Status::InvalidArgument("membership: this node needs a peer id");
  }
  if (options.replication == 0) {
    return Status::InvalidArgument("membership: replication must be at least 1");
  }
  if (options.probe_interval_ms <= 0 || options.down_after_ms <= 0) {
    return Status::InvalidArgument("membership: probe interval and down_after must be positive");
  }
  // Checks the ring settings once, so that publishing never fails.
  OPTIMYSTIC_RETURN_IF_ERROR(
      ring::Ring::Create({ring::RingPeer{self.peer_id, true}}, options.virtual_nodes).status());
  // What a node says of itself at start supersedes all it said before it restarted.
  self.epoch = std::max<uint64_t>(self.epoch, static_cast<uint64_t>(clock.NowUnixMs()));
  std::unique_ptr<Membership> m(
      new Membership(std::move(self), std::move(options), clock, std::move(events)));
  std::lock_guard lock(m->mu_);
  m->PublishLocked();
  return m;
}

Membership::Membership(wire::PeerInfo self, MembershipOptions options, const time::Clock& clock,
                       MembershipEvents events)
    : peer_id_(self.peer_id),
      self_(std::move(self)),
      options_(std::move(options)),
      clock_(clock),
      events_(std::move(events)),
      random_(std::hash<std::string>{}(peer_id_)) {}

Membership::~Membership() { Stop(); }

wire::PeerInfo Membership::self() const {
  std::lock_guard lock(mu_);
  return self_;
}

void Membership::SetUrl(std::string url) {
  std::lock_guard lock(mu_);
  self_.url = std::move(url);
  PublishLocked();
}

std::shared_ptr<const MembershipView> Membership::View() const {
  std::lock_guard lock(mu_);
  return view_;
}

Result<std::vector<std::string>> Membership::ClusterFor(const std::string& block_id) const {
  std::shared_ptr<const MembershipView> view = View();
  if (!view->formed) {
    std::string waiting;
    for (const std::string& seed : view->waiting_for) {
      waiting += (waiting.empty() ? "" : ", ") + seed;
    }
    return Status::Unavailable("cluster is forming: waiting for seed(s) " + waiting);
  }
  return view->ring->ClusterFor(block_id, options_.replication);
}

Result<std::vector<std::string>> Membership::NextClusterFor(const std::string& block_id) const {
  OPTIMYSTIC_RETURN_IF_ERROR(ClusterFor(block_id).status());  // the same forming check
  return View()->next_ring->ClusterFor(block_id, options_.replication);
}

bool Membership::IsReachable(const std::string& peer_id) const {
  std::shared_ptr<const MembershipView> view = View();
  const Member* m = view->Find(peer_id);
  return m != nullptr && m->up && m->role != wire::MemberRole::kLeft;
}

Member Membership::AsMember(const Known& known) const {
  return Member{known.info.peer_id, known.info.public_key, known.up, false, known.info.url,
                known.info.role};
}

std::vector<wire::PeerInfo> Membership::ListLocked() const {
  std::vector<wire::PeerInfo> out;
  out.reserve(known_.size() + 1);
  out.push_back(self_);
  out.front().sees_down = SeesDownLocked();
  out.front().handed_on = handed_on_;
  for (const Known& k : known_) {
    out.push_back(k.info);
  }
  return out;
}

void Membership::SetUpLocked(Known& known, bool up, Changes& changes) {
  if (known.up == up) {
    return;
  }
  known.up = up;
  (up ? changes.came_up : changes.went_down).push_back(AsMember(known));
}

std::vector<std::string> Membership::SeesDownLocked() const {
  // Only members silent here for replace_after_ms: a member down for a mere restart is not one
  // this node vouches is dead. A node that never replaces vouches for none.
  std::vector<std::string> out;
  if (options_.replace_after_ms <= 0) return out;
  const int64_t now = clock_.NowUnixMs();
  for (const Known& k : known_) {
    if (!k.up && k.info.role != wire::MemberRole::kLeft &&
        now - k.last_answer_ms >= options_.replace_after_ms) {
      out.push_back(k.info.peer_id);
    }
  }
  return out;
}

void Membership::GiveDownLocked(Known& k, Changes& changes) {
  k.info.role = wire::MemberRole::kDown;
  k.info.epoch += 1;
  changes.roles.push_back(AsMember(k));
  ForgetHandedOnLocked(k.info.peer_id);
}

void Membership::ForgetHandedOnLocked(const std::string& peer_id) {
  // What this node said of an earlier time the member was down is no word on this one.
  std::erase(handed_on_, peer_id);
}

bool Membership::MergeLocked(const wire::PeerInfo& heard, bool direct, int64_t now_ms,
                             Changes& changes) {
  if (!Usable(heard)) {
    return false;
  }
  if (heard.peer_id == self_.peer_id) {
    // Another member's word of this node: it was replaced while it was active (given the role
    // left, or its "active" taken as joining), so it must join again.
    if (self_.role == wire::MemberRole::kActive && heard.public_key == self_.public_key &&
        ((heard.role == wire::MemberRole::kLeft && heard.epoch > rejoined_epoch_) ||
         (heard.role == wire::MemberRole::kJoining && heard.epoch >= self_.epoch))) {
      replaced_ = true;
    }
    return false;
  }
  wire::PeerInfo info = heard;  // what is kept of it: the member's own word is kept apart
  info.sees_down.clear();
  info.handed_on.clear();
  auto it =
      std::lower_bound(known_.begin(), known_.end(), info.peer_id,
                       [](const Known& k, const std::string& id) { return k.info.peer_id < id; });
  if (it == known_.end() || it->info.peer_id != info.peer_id) {
    if (known_.size() + 1 >= options_.max_members) {
      return false;
    }
    // A member first heard of is given down_after_ms to answer a probe.
    it = known_.insert(it, Known{info, true, now_ms});
    if (direct) {
      it->sees_down = heard.sees_down;
      it->handed_on = heard.handed_on;
      it->word_ms = now_ms;
    }
    changes.came_up.push_back(AsMember(*it));
    return true;
  }
  if (it->info.public_key != info.public_key) {
    return false;  // a changed key is not the member
  }
  bool changed = false;
  // A role is the member's own word, passed on: the newest epoch wins, first- or second-hand.
  if (info.epoch > it->info.epoch) {
    // A replaced member comes back only by joining: its blocks may be stale.
    if (it->info.role == wire::MemberRole::kLeft && info.role == wire::MemberRole::kActive) {
      info.role = wire::MemberRole::kJoining;
    }
    const bool role_changed = it->info.role != info.role;
    it->info.role = info.role;
    it->info.epoch = info.epoch;
    if (!direct) {
      it->info.url = info.url;
    }
    if (role_changed) {
      changes.roles.push_back(AsMember(*it));
      if (info.role == wire::MemberRole::kDown) ForgetHandedOnLocked(info.peer_id);
    }
    changed = true;
  }
  if (direct) {
    changed = changed || it->info.url != info.url || !it->up;
    it->info.url = info.url;
    it->last_answer_ms = now_ms;
    it->sees_down = heard.sees_down;
    it->handed_on = heard.handed_on;
    it->word_ms = now_ms;
    SetUpLocked(*it, true, changes);
  }
  return changed;  // otherwise hearsay never changes what this node saw itself
}

void Membership::PublishLocked() {
  auto view = std::make_shared<MembershipView>();
  view->members.push_back(
      Member{self_.peer_id, self_.public_key, true, true, self_.url, self_.role});
  std::vector<ring::RingPeer> now, next;
  if (PlacesNow(self_.role)) now.push_back(ring::RingPeer{self_.peer_id, true});
  if (PlacesNext(self_.role)) next.push_back(ring::RingPeer{self_.peer_id, true});
  for (const Known& k : known_) {
    view->members.push_back(AsMember(k));
    if (PlacesNow(k.info.role)) now.push_back(ring::RingPeer{k.info.peer_id, true});
    if (PlacesNext(k.info.role)) next.push_back(ring::RingPeer{k.info.peer_id, true});
  }
  view->changing = now.size() != next.size() ||
                   !std::equal(now.begin(), now.end(), next.begin(),
                               [](const ring::RingPeer& a, const ring::RingPeer& b) {
                                 return a.peer_id == b.peer_id;
                               });
  // A ring needs a member: a node that knows no active one (a joiner before any answer) or
  // has left places by itself, which only its own forming check keeps from use.
  if (now.empty()) now.push_back(ring::RingPeer{self_.peer_id, true});
  if (next.empty()) next.push_back(ring::RingPeer{self_.peer_id, true});
  // Create checked the settings and peer ids are distinct and non-empty, so these hold.
  view->ring = std::make_shared<const ring::Ring>(
      std::move(*ring::Ring::Create(std::move(now), options_.virtual_nodes)));
  view->next_ring = view->changing ? std::make_shared<const ring::Ring>(std::move(
                                         *ring::Ring::Create(std::move(next), options_.virtual_nodes)))
                                   : view->ring;
  for (const std::string& seed : options_.seeds) {
    bool resolved =
        seed == self_.url ||
        std::find(seeds_answered_.begin(), seeds_answered_.end(), seed) != seeds_answered_.end() ||
        std::any_of(known_.begin(), known_.end(),
                    [&](const Known& k) { return k.info.url == seed; });
    if (!resolved) {
      view->waiting_for.push_back(seed);
    }
  }
  view->formed = view->waiting_for.empty();
  formed_ = formed_ || view->formed;
  view->formed = formed_;  // once formed, a seed that goes away is a member that is down
  view_ = std::move(view);
}

void Membership::PublishIfLocked(bool changed, Changes& changes) {
  if (!changed) {
    return;
  }
  const bool was_formed = formed_;
  PublishLocked();
  changes.formed_now = !was_formed && formed_;
}

void Membership::Notify(const Changes& changes) {
  if (events_.on_up) {
    for (const Member& m : changes.came_up) events_.on_up(m);
  }
  if (events_.on_down) {
    for (const Member& m : changes.went_down) events_.on_down(m);
  }
  if (events_.on_role) {
    for (const Member& m : changes.roles) events_.on_role(m);
  }
  if (changes.formed_now && events_.on_formed) {
    events_.on_formed();
  }
}

wire::MembersOk Membership::OnMembers(const wire::ClusterMembers& request) {
  Changes changes;
  wire::MembersOk reply;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowUnixMs();
    bool changed = MergeLocked(request.from, /*direct=*/true, now, changes);
    for (const wire::PeerInfo& info : request.members) {
      changed = MergeLocked(info, /*direct=*/info.peer_id == request.from.peer_id, now, changes) ||
                changed;
    }
    PublishIfLocked(changed, changes);
    reply.members = ListLocked();
  }
  Notify(changes);
  return reply;
}

void Membership::ReportUnreachable(const std::string& peer_id) {
  Changes changes;
  {
    std::lock_guard lock(mu_);
    for (Known& k : known_) {
      if (k.info.peer_id == peer_id &&
          clock_.NowUnixMs() - k.last_answer_ms >= options_.down_after_ms) {
        SetUpLocked(k, false, changes);
      }
    }
    PublishIfLocked(!changes.went_down.empty(), changes);
  }
  Notify(changes);
}

wire::MemberRole Membership::role() const {
  std::lock_guard lock(mu_);
  return self_.role;
}

void Membership::SetRole(wire::MemberRole role) {
  std::lock_guard lock(mu_);
  replaced_ = false;
  if (self_.role == role) {
    return;
  }
  // The epoch outlives a restart by following the clock (ms), yet always rises.
  self_.epoch = std::max<uint64_t>(self_.epoch + 1, static_cast<uint64_t>(clock_.NowUnixMs()));
  if (self_.role == wire::MemberRole::kJoining && role == wire::MemberRole::kActive) {
    rejoined_epoch_ = self_.epoch;  // words of its replacement before this are old news
  }
  self_.role = role;
  PublishLocked();
}

bool Membership::replaced() const {
  std::lock_guard lock(mu_);
  return replaced_;
}

void Membership::SetHandedOn(std::vector<std::string> peer_ids) {
  std::lock_guard lock(mu_);
  // Only members down now: a pass that began before a member came back says nothing of it.
  std::erase_if(peer_ids, [&](const std::string& id) {
    const auto it = std::find_if(known_.begin(), known_.end(),
                                 [&](const Known& k) { return k.info.peer_id == id; });
    return it == known_.end() || it->info.role != wire::MemberRole::kDown;
  });
  handed_on_ = std::move(peer_ids);
}

bool Membership::DecideLocked(int64_t now_ms, int64_t since_ms, Changes& changes, bool apply) {
  if (!formed_ || self_.role != wire::MemberRole::kActive) {
    return false;
  }
  const auto heard = [&](const Known& j) { return j.up && j.word_ms >= since_ms; };
  // Every other member that holds blocks now (active or leaving; not `k`, not another that is
  // down) says `said` of `k`.
  const auto all_say = [&](const Known& k, std::vector<std::string> Known::*said) {
    for (const Known& j : known_) {
      if (&j == &k || !PlacesNow(j.info.role) || j.info.role == wire::MemberRole::kDown) continue;
      if (!heard(j) || !Holds(j.*said, k.info.peer_id)) return false;
    }
    return true;
  };
  bool changed = false;
  for (Known& k : known_) {  // a down member whose ranges every holder has handed on is left
    if (k.info.role == wire::MemberRole::kDown && Holds(handed_on_, k.info.peer_id) &&
        all_say(k, &Known::handed_on)) {
      if (!apply) return true;
      k.info.role = wire::MemberRole::kLeft;
      k.info.epoch += 1;
      changes.roles.push_back(AsMember(k));
      changed = true;
    }
  }
  if (changed || view_->changing) {
    return changed;  // one change at a time
  }
  // Those that vouch for a replacement, this node and every other that holds blocks now, must
  // be a majority of the ring: else two members cut off from each other would each replace the
  // other and both write alone.
  size_t ring = 1;
  size_t vouching = 1;
  for (const Known& j : known_) {
    if (!PlacesNow(j.info.role)) continue;
    ++ring;
    if (j.info.role != wire::MemberRole::kDown) ++vouching;
  }
  --vouching;  // the member to be replaced is one of them
  if (2 * vouching <= ring) {
    return false;
  }
  for (Known& k : known_) {  // a member every other one sees down is given the role down
    if (k.info.role == wire::MemberRole::kActive && !k.up && options_.replace_after_ms > 0 &&
        now_ms - k.last_answer_ms >= options_.replace_after_ms && all_say(k, &Known::sees_down)) {
      if (!apply) return true;
      GiveDownLocked(k, changes);
      return true;
    }
  }
  return false;
}

bool Membership::MergeExchangeLocked(const std::string& url, const Result<block::Value>& reply,
                                     int64_t now_ms, Changes& changes) {
  if (!reply) return false;  // an exchange that failed: the pings judge liveness
  Result<wire::MembersOk> ok = wire::MembersOkFromPayload(*reply);
  if (!ok) return false;
  bool changed = false;
  if (std::find(seeds_answered_.begin(), seeds_answered_.end(), url) == seeds_answered_.end()) {
    seeds_answered_.push_back(url);
    changed = true;
  }
  for (const wire::PeerInfo& info : ok->members) {
    changed = MergeLocked(info, /*direct=*/info.url == url, now_ms, changes) || changed;
  }
  return changed;
}

Announced Membership::Announce(transport::Transport& transport) {
  std::vector<std::pair<std::string, wire::WireCall>> calls;
  {
    std::lock_guard lock(mu_);
    wire::CallOptions options;
    options.timeout_ms = options_.probe_interval_ms;
    options.sender = self_.peer_id;
    options.clock = &clock_;
    const block::Value list =
        wire::ClusterMembersToPayload(wire::ClusterMembers{self_, ListLocked()});
    for (const Known& k : known_) {
      if (k.info.role == wire::MemberRole::kLeft) continue;
      auto& [url, call] = calls.emplace_back(k.info.url, wire::WireCall{});
      call.Start(transport, url, MessageType::kClusterMembers, list, MessageType::kMembersOk,
                 next_request_id_.fetch_add(1), options);
    }
  }
  std::vector<Result<block::Value>> replies;
  replies.reserve(calls.size());
  for (auto& [url, call] : calls) {
    replies.push_back(call.Wait());
  }
  Announced out{calls.size(), 0};
  Changes changes;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowUnixMs();
    bool changed = false;
    for (size_t i = 0; i < calls.size(); ++i) {
      out.answered += replies[i] ? 1 : 0;
      changed = MergeExchangeLocked(calls[i].first, replies[i], now, changes) || changed;
    }
    PublishIfLocked(changed, changes);
  }
  Notify(changes);
  return out;
}

void Membership::ProbeOnce(transport::Transport& transport) {
  struct Probe {
    std::string peer_id;  // the member pinged; empty for an exchange
    std::string url;
    wire::WireCall call;
  };
  std::vector<Probe> probes;
  {
    std::lock_guard lock(mu_);
    wire::CallOptions options;
    options.timeout_ms = options_.probe_interval_ms;
    options.sender = self_.peer_id;
    options.clock = &clock_;
    for (const Known& k : known_) {
      if (k.info.role == wire::MemberRole::kLeft) continue;  // gone on purpose: not probed
      Probe& p = probes.emplace_back(Probe{k.info.peer_id, k.info.url, {}});
      p.call.Start(transport, k.info.url, MessageType::kPing, wire::PingToPayload(wire::Ping{}),
                   MessageType::kPong, next_request_id_.fetch_add(1), options);
    }
    std::vector<std::string> exchange_with;
    for (const std::string& seed : options_.seeds) {
      if (seed != self_.url) exchange_with.push_back(seed);
    }
    if (!known_.empty()) {  // and one member at random, so that lists spread beyond the seeds
      const Known& k = known_[random_() % known_.size()];
      if (k.info.role != wire::MemberRole::kLeft &&
          std::find(exchange_with.begin(), exchange_with.end(), k.info.url) ==
              exchange_with.end()) {
        exchange_with.push_back(k.info.url);
      }
    }
    const block::Value list =
        wire::ClusterMembersToPayload(wire::ClusterMembers{self_, ListLocked()});
    for (const std::string& url : exchange_with) {
      Probe& p = probes.emplace_back(Probe{"", url, {}});
      p.call.Start(transport, url, MessageType::kClusterMembers, list, MessageType::kMembersOk,
                   next_request_id_.fetch_add(1), options);
    }
  }
  std::vector<Result<block::Value>> replies;
  replies.reserve(probes.size());
  for (Probe& p : probes) {
    replies.push_back(p.call.Wait());
  }
  Changes changes;
  bool wants_word = false;
  int64_t since = 0;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowUnixMs();
    bool changed = false;
    for (size_t i = 0; i < probes.size(); ++i) {
      const Probe& p = probes[i];
      if (!p.peer_id.empty()) {  // a ping
        auto it = std::find_if(known_.begin(), known_.end(),
                               [&](const Known& k) { return k.info.peer_id == p.peer_id; });
        if (it == known_.end()) continue;
        Result<wire::Pong> pong = replies[i] ? wire::PongFromPayload(*replies[i])
                                             : Result<wire::Pong>(replies[i].error());
        // Another node answering at the member's URL is not the member.
        const size_t before = changes.came_up.size() + changes.went_down.size();
        if (pong && pong->peer_id == p.peer_id) {
          it->last_answer_ms = now;
          SetUpLocked(*it, true, changes);
        } else if (now - it->last_answer_ms >= options_.down_after_ms) {
          SetUpLocked(*it, false, changes);
        }
        changed = changed || changes.came_up.size() + changes.went_down.size() != before;
        continue;
      }
      changed = MergeExchangeLocked(p.url, replies[i], now, changes) || changed;
    }
    PublishIfLocked(changed, changes);
    // A dry run over the words heard so far, however old: every member is asked afresh only
    // when they may agree, not on every round while some member is down.
    Changes ignored;
    wants_word = DecideLocked(now, /*since_ms=*/0, ignored, /*apply=*/false);
    since = now;
  }
  Notify(changes);
  if (!wants_word) {
    return;
  }
  // A replacement step waits for every member's word: asked now, all at once.
  Announce(transport);
  Changes decided;
  {
    std::lock_guard lock(mu_);
    PublishIfLocked(DecideLocked(clock_.NowUnixMs(), since, decided), decided);
  }
  Notify(decided);
}

void Membership::Start(transport::Transport& transport) {
  std::lock_guard lock(loop_mu_);
  if (loop_.joinable()) return;
  stopping_ = false;
  loop_ = std::thread([this, &transport] {
    std::unique_lock lock(loop_mu_);
    while (!stopping_) {
      lock.unlock();
      ProbeOnce(transport);
      lock.lock();
      loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.probe_interval_ms),
                        [&] { return stopping_; });
    }
  });
}

void Membership::Stop() {
  std::thread loop;
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
    loop = std::move(loop_);
  }
  loop_cv_.notify_all();
  if (loop.joinable()) loop.join();
}

}  // namespace optimystic::cluster::membership
