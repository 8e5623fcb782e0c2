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

bool Membership::IsReachable(const std::string& peer_id) const {
  std::shared_ptr<const MembershipView> view = View();
  const Member* m = view->Find(peer_id);
  return m != nullptr && m->up;
}

Member Membership::AsMember(const Known& known) const {
  return Member{known.info.peer_id, known.info.public_key, known.up, false, known.info.url};
}

std::vector<wire::PeerInfo> Membership::ListLocked() const {
  std::vector<wire::PeerInfo> out;
  out.reserve(known_.size() + 1);
  out.push_back(self_);
  for (const Known& k : known_) {
    out.push_back(k.info);
  }
  return out;
}

void Membership::SetUpLocked(Known& known, bool up, std::vector<Member>& came_up,
                             std::vector<Member>& went_down) {
  if (known.up == up) {
    return;
  }
  known.up = up;
  (up ? came_up : went_down).push_back(AsMember(known));
}

bool Membership::MergeLocked(const wire::PeerInfo& info, bool direct, int64_t now_ms,
                             std::vector<Member>& came_up) {
  if (!Usable(info) || info.peer_id == self_.peer_id) {
    return false;
  }
  auto it =
      std::lower_bound(known_.begin(), known_.end(), info.peer_id,
                       [](const Known& k, const std::string& id) { return k.info.peer_id < id; });
  if (it == known_.end() || it->info.peer_id != info.peer_id) {
    if (known_.size() + 1 >= options_.max_members) {
      return false;
    }
    // A member first heard of is given down_after_ms to answer a probe.
    it = known_.insert(it, Known{info, true, now_ms});
    came_up.push_back(AsMember(*it));
    return true;
  }
  if (direct && it->info.public_key == info.public_key) {
    bool moved = it->info.url != info.url;
    it->info.url = info.url;
    it->last_answer_ms = now_ms;
    std::vector<Member> went_down;
    bool was_up = it->up;
    SetUpLocked(*it, true, came_up, went_down);
    return moved || !was_up;
  }
  return false;  // hearsay never changes what this node saw itself; a changed key is ignored
}

void Membership::PublishLocked() {
  auto view = std::make_shared<MembershipView>();
  view->members.push_back(Member{self_.peer_id, self_.public_key, true, true, self_.url});
  std::vector<ring::RingPeer> peers{ring::RingPeer{self_.peer_id, true}};
  for (const Known& k : known_) {
    view->members.push_back(AsMember(k));
    peers.push_back(ring::RingPeer{k.info.peer_id, true});
  }
  Result<ring::Ring> ring = ring::Ring::Create(std::move(peers), options_.virtual_nodes);
  // Create checked the settings and peer ids are distinct and non-empty, so this holds.
  view->ring = std::make_shared<const ring::Ring>(std::move(*ring));
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

void Membership::Notify(const std::vector<Member>& came_up, const std::vector<Member>& went_down,
                        bool formed_now) {
  if (events_.on_up) {
    for (const Member& m : came_up) events_.on_up(m);
  }
  if (events_.on_down) {
    for (const Member& m : went_down) events_.on_down(m);
  }
  if (formed_now && events_.on_formed) {
    events_.on_formed();
  }
}

wire::MembersOk Membership::OnMembers(const wire::ClusterMembers& request) {
  std::vector<Member> came_up;
  bool formed_now = false;
  wire::MembersOk reply;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowUnixMs();
    bool changed = MergeLocked(request.from, /*direct=*/true, now, came_up);
    for (const wire::PeerInfo& info : request.members) {
      changed = MergeLocked(info, /*direct=*/info.peer_id == request.from.peer_id, now, came_up) ||
                changed;
    }
    if (changed) {
      const bool was_formed = formed_;
      PublishLocked();
      formed_now = !was_formed && formed_;
    }
    reply.members = ListLocked();
  }
  Notify(came_up, {}, formed_now);
  return reply;
}

void Membership::ReportUnreachable(const std::string& peer_id) {
  std::vector<Member> came_up, went_down;
  {
    std::lock_guard lock(mu_);
    for (Known& k : known_) {
      if (k.info.peer_id == peer_id &&
          clock_.NowUnixMs() - k.last_answer_ms >= options_.down_after_ms) {
        SetUpLocked(k, false, came_up, went_down);
      }
    }
    if (!went_down.empty()) {
      PublishLocked();
    }
  }
  Notify(came_up, went_down, false);
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
      if (std::find(exchange_with.begin(), exchange_with.end(), k.info.url) ==
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
  std::vector<Member> came_up, went_down;
  bool formed_now = false;
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
        if (pong && pong->peer_id == p.peer_id) {
          it->last_answer_ms = now;
          size_t before = came_up.size();
          SetUpLocked(*it, true, came_up, went_down);
          changed = changed || came_up.size() != before;
        } else if (now - it->last_answer_ms >= options_.down_after_ms) {
          size_t before = went_down.size();
          SetUpLocked(*it, false, came_up, went_down);
          changed = changed || went_down.size() != before;
        }
        continue;
      }
      if (!replies[i]) continue;  // an exchange that failed: the pings judge liveness
      Result<wire::MembersOk> ok = wire::MembersOkFromPayload(*replies[i]);
      if (!ok) continue;
      if (std::find(seeds_answered_.begin(), seeds_answered_.end(), p.url) ==
          seeds_answered_.end()) {
        seeds_answered_.push_back(p.url);
        changed = true;
      }
      for (const wire::PeerInfo& info : ok->members) {
        changed = MergeLocked(info, /*direct=*/info.url == p.url, now, came_up) || changed;
      }
    }
    if (changed) {
      const bool was_formed = formed_;
      PublishLocked();
      formed_now = !was_formed && formed_;
    }
  }
  Notify(came_up, went_down, formed_now);
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
