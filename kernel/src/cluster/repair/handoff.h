// SPDX-License-Identifier: Apache-2.0
// MembershipChange: joining and leaving a running cluster (docs/operations.md "Joining and
// leaving"), over the membership's roles and the anti-entropy's hand-off.
// - Join: a node that starts as joining waits for the cluster to form, then runs hand-off passes
//   (AntiEntropy::HandOff) until one fetched every block the next ring gives it, turns active and
//   tells every member at once (Membership::Announce); until then no ring places a block on it,
//   so it votes on none. A catch-up round follows for what was written meanwhile.
// - Replacement of a dead member (membership.h): while a member is down, every node runs the
//   hand-off passes and tells the others (Membership::SetHandedOn) whether its blocks of that
//   member's are held by their next owners; a node that hears it was replaced joins again.
// - Leave: the node turns leaving and tells every member; each member the next ring gives some
//   of its ranges fetches them (the background loop below runs hand-off passes on every node
//   while the ring is changing); once every next owner of each of its blocks that answers (a
//   majority at least) holds the block at its revision (AntiEntropy::HandedOn), it turns left and
//   tells every member again. A leave that times out turns the node active again (it held its
//   ranges all along).
// Thread-safety: Start/Stop from one thread; Leave from any one thread at a time.
// Errors: Leave is TimedOut naming the first block not yet handed on, Aborted
// for a node that is not active.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/transport/transport.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "cluster/membership/membership.h"
#include "cluster/repair/anti_entropy.h"

namespace optimystic::cluster::repair {

struct MembershipChangeOptions {
  int64_t retry_ms = 1000;  // between hand-off passes and HandedOn checks
};

struct MembershipChangeEvents {
  std::function<void()> on_joined;  // this node turned active after its hand-off
  std::function<void()> on_left;    // this node turned left
  std::function<void(const std::string&)> on_waiting;    // why a leave goes on waiting
  std::function<void(const std::string&)> on_replacing;  // why a replacement does (each pass)
  std::function<void()> on_replaced;  // the others replaced this node: it joins again
};

class MembershipChange final {
 public:
  // OWNERSHIP: all three must outlive this.
  MembershipChange(membership::Membership& membership, AntiEntropy& anti_entropy,
                   transport::Transport& transport, MembershipChangeOptions options = {},
                   MembershipChangeEvents events = {});
  ~MembershipChange();  // Stop()s
  MembershipChange(const MembershipChange&) = delete;
  MembershipChange& operator=(const MembershipChange&) = delete;

  // The background loop: the join, when this node is joining, and the hand-off passes while
  // the ring changes.
  void Start();
  void Stop();

  // Hands this node's ranges on and turns it left, waiting at most `timeout`.
  Status Leave(std::chrono::milliseconds timeout);

 private:
  void Loop();
  // One step of the loop: a hand-off pass when there is one to make; true when it finished a
  // join.
  bool Step();

  membership::Membership& membership_;
  AntiEntropy& anti_entropy_;
  transport::Transport& transport_;
  const MembershipChangeOptions options_;
  const MembershipChangeEvents events_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace optimystic::cluster::repair
