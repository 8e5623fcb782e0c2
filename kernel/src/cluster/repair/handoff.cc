// SPDX-License-Identifier: Apache-2.0
#include "cluster/repair/handoff.h"

#include <utility>

namespace optimystic::cluster::repair {

using wire::MemberRole;

MembershipChange::MembershipChange(membership::Membership& membership, AntiEntropy& anti_entropy,
                                   transport::Transport& transport,
                                   MembershipChangeOptions options, MembershipChangeEvents events)
    : membership_(membership),
      anti_entropy_(anti_entropy),
      transport_(transport),
      options_(options),
      events_(std::move(events)) {}

MembershipChange::~MembershipChange() { Stop(); }

void MembershipChange::Start() {
  std::lock_guard lock(mu_);
  if (loop_.joinable()) {
    return;
  }
  stopping_ = false;
  loop_ = std::thread([this] { Loop(); });
}

void MembershipChange::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) {
    loop_.join();
  }
}

bool MembershipChange::Step() {
  std::shared_ptr<const membership::MembershipView> view = membership_.View();
  const MemberRole role = membership_.role();
  if (!view->formed || role == MemberRole::kLeft) {
    return false;
  }
  if (role == MemberRole::kActive && membership_.replaced()) {
    // The others replaced this node while it was away: what it holds may be stale.
    if (events_.on_replaced) events_.on_replaced();
    membership_.SetRole(MemberRole::kJoining);
    return false;  // the join runs from the next step
  }
  if (role == MemberRole::kJoining) {
    // Every member hears of the joiner before it lists what the joiner's next ring gives it.
    membership_.Announce(transport_);
    if (!anti_entropy_.HandOff().complete()) {
      return false;  // again after retry_ms
    }
    membership_.SetRole(MemberRole::kActive);
    membership_.Announce(transport_);
    anti_entropy_.RunOnce();  // what was written while the hand-off ran
    if (events_.on_joined) events_.on_joined();
    return true;
  }
  if (view->changing) {
    anti_entropy_.HandOff();  // this node fetches what another's change gives it
    // Tells the others which down members' blocks it holds are all with their next owners.
    std::vector<std::string> handed_on;
    for (const membership::Member& m : view->members) {
      if (m.role != MemberRole::kDown) continue;
      Result<HandedOnReport> report = anti_entropy_.HandedOn(m.peer_id);
      if (report && report->handed_on == report->blocks) {
        handed_on.push_back(m.peer_id);
      } else if (events_.on_replacing) {
        events_.on_replacing("replacing " + m.peer_id + ": " +
                           (report ? std::to_string(report->blocks - report->handed_on) + " of " +
                                         std::to_string(report->blocks) +
                                         " blocks not handed on yet (" + report->first_short + ")"
                                   : report.error().ToString()));
      }
    }
    membership_.SetHandedOn(std::move(handed_on));
  } else {
    membership_.SetHandedOn({});  // no member is down: nothing to say
  }
  return false;
}

void MembershipChange::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Step();
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(options_.retry_ms), [&] { return stopping_; });
  }
}

Status MembershipChange::Leave(std::chrono::milliseconds timeout) {
  const MemberRole role = membership_.role();
  if (role == MemberRole::kLeft) {
    return Status::Ok();
  }
  if (role != MemberRole::kActive && role != MemberRole::kLeaving) {
    return Status::Aborted("cannot leave: this node is " +
                                      std::string(wire::MemberRoleName(role)));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  membership_.SetRole(MemberRole::kLeaving);
  std::string short_of;
  while (true) {
    // Told again each time: a member that missed the change hears it before the next check.
    membership_.Announce(transport_);
    Result<HandedOnReport> report = anti_entropy_.HandedOn();
    if (report && report->handed_on == report->blocks) {
      break;
    }
    short_of = report ? std::to_string(report->blocks - report->handed_on) + " of " +
                            std::to_string(report->blocks) + " blocks not handed on yet (" +
                            report->first_short + ")"
                      : report.error().ToString();
    if (events_.on_waiting) events_.on_waiting("leaving: " + short_of);
    std::unique_lock lock(mu_);
    if (cv_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                    std::chrono::milliseconds(options_.retry_ms)),
                       [&] { return stopping_; }) ||
        std::chrono::steady_clock::now() >= deadline) {
      // A leaving member still holds its ranges: turning active again moves nothing.
      lock.unlock();
      membership_.SetRole(MemberRole::kActive);
      membership_.Announce(transport_);
      return Status::TimedOut("leaving, so this node stays active: " + short_of);
    }
  }
  membership_.SetRole(MemberRole::kLeft);
  membership_.Announce(transport_);
  if (events_.on_left) events_.on_left();
  return Status::Ok();
}

}  // namespace optimystic::cluster::repair
