// SPDX-License-Identifier: Apache-2.0
// The replicated simulation: five consensus nodes (tests/support/in_process_cluster.h), each a
// ClusterMember and a ConsensusRepo over its own memory engine, place every block on three of
// them (promise quorum 2 of 3, so one replica down does not stop writes; commit quorum 2).
// Three clients, each a node's collection engine over its own NetworkTransactor, add to
// counters in two collections while seeded faults hit both layers, client -> coordinator and
// member <-> member: a request lost, a reply lost (executed, the asker told "cannot reach"), a
// request delivered twice, a stale copy delivered again a few steps later (reordering: the
// protocol's merges must be idempotent), a coordinator that stops sending one round's messages
// and crashes, a node crashed for 1 to 4 steps (restarted over its storage, losing what it held
// in memory, or only cut off and known down), and partitions that cut one or two nodes off
// while they are still thought up. All background work (cancels, retries, the Recover tick)
// runs on the harness's thread when the test clock reaches it, so a seed replays exactly.
// Read repair runs during the faults: a get that finds a replica behind queues the block there,
// and after each step every node that is up runs its queue.
// After the run every fault heals and the clock runs 30 s (rounds expire, Recover and retries
// finish what they can); then the checks:
//   1. no two different actions were committed at the same (block, rev) on any replicas, and
//      the replicas of a block hold one history: each replica's is a prefix of the longest (a
//      replica may lag: a decided commit is applied where its decision arrived, a lagging
//      log-first block is promoted where it is read);
//   2. every commit a client was told succeeded is committed on a majority of the replicas of
//      its log tail (and new header), and its other blocks hold it committed or pending (for a
//      read to promote) on a majority;
//   then anti-entropy runs once on every node (cluster/repair: a replica is brought forward on
//   the word of both other replicas), checks 1 and 2 hold again and no replica lags more;
//   3. after one more add per collection with every node up (a replica that missed commits
//      catches up when it applies the next one), every replica of each block that add wrote
//      holds the same latest revision;
//   4. no acknowledged add is lost and none is counted twice (acknowledged <= value <=
//      acknowledged + the adds whose outcome the client could not know), read by a fresh
//      client, and every client reads the same value at the same revision.
// Any failed check fails the seed. Each seed is its own test; a failing one prints the command
// that replays it alone. OPTIMYSTIC_SIM_SEEDS=N runs seeds 1..N instead of the default 200.
#include <optimystic/base/seeded_random.h>
#include <optimystic/block/transform.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/consensus/record.h"
#include "cluster/network/network_transactor.h"
#include "core/collection/collection.h"
#include "core/collection/latch_table.h"
#include "core/transactor/log_first_commit.h"
#include "support/in_process_cluster.h"
#include "support/sim_seeds.h"
#include "support/intercept_transactor.h"
#include "support/test_collection_types.h"
#include "support/test_host.h"

namespace optimystic::sim {
namespace {

using block::Value;
using collections::Action;
using Cluster = test::InProcessCluster;
using Fate = Cluster::Fate;
using transactor::BlockId;

constexpr int kClients = 3;
constexpr int kSteps = 12;
// Stale failures a sync retries before it gives up (the default 10 mostly waits out faults).
constexpr uint32_t kSyncAttempts = 4;
constexpr uint32_t kReplication = 3;
constexpr uint32_t kPromiseQuorum = 2;
constexpr int64_t kSettleMs = 30'000;
const std::vector<std::string> kIds = {"p0", "p1", "p2", "p3", "p4"};
const std::vector<std::string> kCollections = {"left", "right"};

struct Rates {
  // Per request.
  double lose_request = 0.03;
  double lose_reply = 0.03;
  double duplicate = 0.03;
  double echo = 0.04;      // delivered, and a stale copy delivered again later
  double abandon = 0.01;   // per cluster.update a member sends: that round's sender crashes
  // Per step.
  double crash = 0.10;      // a node goes down for 1 to 4 steps
  double restart = 0.5;     // ... and restarts over its storage (else it was only unreachable)
  double partition = 0.08;  // one or two nodes are cut off, still thought up, for 1 to 4 steps
  double deliver_echo = 0.3;  // each stashed stale copy, per step
};

struct Counts {
  uint64_t requests = 0, lost_requests = 0, lost_replies = 0, duplicates = 0, echoes = 0,
           abandoned = 0, cut = 0, crashes = 0, restarts = 0, partitions = 0;
};

uint64_t Fnv(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h = (h ^ c) * 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// A draw in [0, 1) that depends only on the seed and `what`: a request's fate does not depend
// on the order in which the threads of a fan-out reach the network.
double Unit(uint64_t seed, const std::string& what) {
  return static_cast<double>(Fnv(std::to_string(seed) + "/" + what) >> 11) * 0x1.0p-53;
}

// Background work of every node and client, run in due order when the harness says.
class Scheduler {
 public:
  void Schedule(int64_t due_ms, std::function<void()> work) {
    std::lock_guard lock(mu_);
    queue_.emplace(std::make_pair(due_ms, next_++), std::move(work));
  }
  // Runs the work due by `now_ms`, and what it queues that is due, until none is.
  void RunDue(int64_t now_ms) {
    for (;;) {
      std::function<void()> work;
      {
        std::lock_guard lock(mu_);
        if (queue_.empty() || queue_.begin()->first.first > now_ms) return;
        work = std::move(queue_.begin()->second);
        queue_.erase(queue_.begin());
      }
      work();
    }
  }

 private:
  std::mutex mu_;
  uint64_t next_ = 0;
  std::map<std::pair<int64_t, uint64_t>, std::function<void()>> queue_;
};

// The faults of the network between the nodes and the clients. Decide is the cluster's fault
// hook (any thread); the rest runs on the harness's thread between operations.
class Faults {
 public:
  explicit Faults(uint64_t seed) : seed_(seed) {}

  Fate Decide(const Cluster::Call& call) {
    std::lock_guard lock(mu_);
    if (!unleashed_) return Fate::kDeliver;
    ++counts_.requests;
    const bool to_cut = cut_.count(call.to) != 0;
    const bool from_cut = call.member ? cut_.count(call.from) != 0 : clients_cut_;
    if (to_cut != from_cut) {
      ++counts_.cut;
      return Fate::kLoseRequest;
    }
    const bool update = call.member && call.what == "update";
    if (update && abandoned_.count(call.from + "|" + call.record->message_hash) != 0) {
      return Fate::kLoseRequest;
    }
    // The sender crashes before this round's broadcast: the same draw for each of its peers.
    if (update && Unit(seed_, "abandon|" + call.from + "|" + call.key) < rates_.abandon) {
      abandoned_.insert(call.from + "|" + call.record->message_hash);
      crashing_.insert(call.from);
      ++counts_.abandoned;
      return Fate::kLoseRequest;
    }
    const std::string request = call.from + ">" + call.to + "|" + call.what + "|" + call.key;
    const uint64_t nth = seen_[request]++;
    double u = Unit(seed_, request + "#" + std::to_string(nth));
    if ((u -= rates_.lose_request) < 0) {
      ++counts_.lost_requests;
      return Fate::kLoseRequest;
    }
    if ((u -= rates_.lose_reply) < 0) {
      ++counts_.lost_replies;
      return Fate::kLoseReply;
    }
    if ((u -= rates_.duplicate) < 0) {
      ++counts_.duplicates;
      return Fate::kDuplicate;
    }
    // At the client layer only commits come again: a late pend or cancel of an action id the
    // writer reuses for its next attempt is a transactor-level hazard (see the report).
    if ((call.member || call.what == "commit") && (u -= rates_.echo) < 0) {
      ++counts_.echoes;
      return Fate::kEchoLater;
    }
    return Fate::kDeliver;
  }
  void Stash(std::function<void()> deliver) {
    std::lock_guard lock(mu_);
    echoes_.push_back(std::move(deliver));
  }

  // Between steps: windows run down, new crashes and partitions may start, some stale copies
  // arrive.
  void Step(Cluster& cluster, std::mt19937_64& random) {
    std::uniform_real_distribution<double> u(0, 1);
    std::uniform_int_distribution<int> span(1, 4);
    for (auto it = down_.begin(); it != down_.end();) {
      if (--it->second > 0) {
        ++it;
        continue;
      }
      cluster.SetDown(it->first, false);
      it = down_.erase(it);
    }
    std::set<std::string> crashing;
    {
      std::lock_guard lock(mu_);
      crashing.swap(crashing_);
      if (cut_for_ > 0 && --cut_for_ == 0) {
        cut_.clear();
        clients_cut_ = false;
      }
    }
    for (const std::string& id : crashing) Crash(cluster, id, true, span(random));
    if (u(random) < rates_.crash) {
      const std::string& id = kIds[random() % kIds.size()];
      const bool restart = u(random) < rates_.restart;
      Crash(cluster, id, restart, span(random));
    }
    if (u(random) < rates_.partition) {
      std::set<std::string> side;
      const size_t size = 1 + random() % 2;
      while (side.size() < size) side.insert(kIds[random() % kIds.size()]);
      const bool clients = u(random) < 0.3;
      const int steps = span(random);
      std::lock_guard lock(mu_);
      if (cut_for_ == 0) {
        cut_ = std::move(side);
        clients_cut_ = clients;
        cut_for_ = steps;
        ++counts_.partitions;
      }
    }
    std::vector<std::function<void()>> due;
    {
      std::lock_guard lock(mu_);
      std::vector<std::function<void()>> kept;
      for (auto& echo : echoes_) (u(random) < rates_.deliver_echo ? due : kept).push_back(echo);
      echoes_.swap(kept);
    }
    for (auto& deliver : due) deliver();
  }
  void Unleash() {
    std::lock_guard lock(mu_);
    unleashed_ = true;
  }
  // Every fault ends and the stale copies still in flight arrive.
  void Heal(Cluster& cluster) {
    std::vector<std::function<void()>> due;
    {
      std::lock_guard lock(mu_);
      unleashed_ = false;
      cut_.clear();
      clients_cut_ = false;
      cut_for_ = 0;
      crashing_.clear();
      due.swap(echoes_);
    }
    for (const auto& [id, steps] : down_) cluster.SetDown(id, false);
    down_.clear();
    for (auto& deliver : due) deliver();
  }
  Counts counts() {
    std::lock_guard lock(mu_);
    return counts_;
  }

 private:
  void Crash(Cluster& cluster, const std::string& id, bool restart, int steps) {
    if (down_.count(id) != 0) return;
    if (restart) {
      cluster.Restart(id);  // what it held in memory is gone; its storage stays
    }
    cluster.SetDown(id, true);
    down_[id] = steps;
    std::lock_guard lock(mu_);
    ++counts_.crashes;
    if (restart) ++counts_.restarts;
  }

  const uint64_t seed_;
  const Rates rates_;
  std::mutex mu_;
  bool unleashed_ = false;
  std::set<std::string> cut_;  // the nodes on the far side of the partition
  bool clients_cut_ = false;   // whether the clients are on that side
  int cut_for_ = 0;
  std::set<std::string> abandoned_;  // sender|message hash
  std::set<std::string> crashing_;
  std::map<std::string, uint64_t> seen_;
  std::vector<std::function<void()>> echoes_;
  std::map<std::string, int> down_;  // harness thread only
  Counts counts_;
};

core::collection::SyncOptions Sync() {
  core::collection::SyncOptions options;
  options.max_attempts = kSyncAttempts;
  return options;
}

Action Add(int64_t delta) {
  return Action{"add", Value{{"key", "k"}, {"delta", delta}}, std::nullopt, 0};
}

// One client node: its transactor over the cluster (watched: which commits were acknowledged),
// its engines, its own randomness. Its backoff sleeps move the clock and run the background
// work that falls due.
struct Client {
  Client(Cluster& cluster, uint64_t seed, test::TestClock& clock, Scheduler& scheduler)
      : random(seed),
        transactor(cluster, Options(cluster, clock, scheduler)),
        watched(transactor),
        clock(clock),
        scheduler(scheduler) {
    watched.after_commit = [this](const transactor::CommitRequest& request,
                                  const Result<transactor::CommitResult>& result) {
      if (!transactor::CommitFailed(result)) acknowledged.push_back(request);
    };
  }

  // Background work runs when the simulated clock reaches it. A get that finds a replica behind
  // queues the block for that replica's read repair (the hint's transport is left out: the
  // replica's RunRequested corroborates on its own).
  cluster::network::NetworkTransactorOptions Options(Cluster& cluster, test::TestClock& clock,
                                                     Scheduler& scheduler) {
    cluster::network::NetworkTransactorOptions options;
    options.on_lagging_commit = [this](const transactor::LaggingCommit&) { ++lagging_commits; };
    options.run_in_background = [&clock, &scheduler](int64_t delay_ms, std::function<void()> task) {
      scheduler.Schedule(clock.NowUnixMs() + delay_ms, std::move(task));
    };
    options.on_replicas_behind = [this, &cluster](const std::string& peer,
                                                  const std::vector<BlockId>& blocks) {
      read_repairs_requested += cluster.AntiEntropyOf(peer).RequestRepair(blocks);
    };
    return options;
  }

  core::collection::CollectionServices Services() {
    core::collection::CollectionServices services;
    services.clock = &clock;
    services.random = &random;
    services.latches = &latches;
    services.sleep_ms = [this](int64_t ms) {
      clock.Advance(ms);
      scheduler.RunDue(clock.NowUnixMs());
    };
    return services;
  }
  // Every block this client pended or committed to.
  void AddBlocksTo(std::set<BlockId>& blocks) const {
    for (const transactor::PendRequest& pend : watched.pends()) {
      for (const BlockId& id : block::BlockIdsForTransforms(pend.transforms)) blocks.insert(id);
    }
    for (const transactor::CommitRequest& commit : watched.commits()) {
      blocks.insert(commit.block_ids.begin(), commit.block_ids.end());
    }
  }

  base::SeededRandom random;
  cluster::network::NetworkTransactor transactor;
  test::InterceptTransactor watched;
  test::TestClock& clock;
  Scheduler& scheduler;
  core::collection::LatchTable latches;
  std::map<std::string, std::unique_ptr<core::collection::Collection>> engines;
  std::vector<transactor::CommitRequest> acknowledged;  // commits the transactor reported done
  std::atomic<int> lagging_commits{0};  // blocks that did not take an action whose log tail had
  std::atomic<size_t> read_repairs_requested{0};  // blocks its gets queued for read repair
};

class ReplicatedSim : public ::testing::TestWithParam<uint64_t> {
 protected:
  void Settle() {
    for (int64_t ms = 0; ms < kSettleMs; ms += 1000) {
      clock_.Advance(1000);
      scheduler_.RunDue(clock_.NowUnixMs());
    }
  }

  Result<int64_t> ValueSeenBy(Client& client, const std::string& collection) {
    core::collection::Collection& c = *client.engines.at(collection);
    OPTIMYSTIC_RETURN_IF_ERROR(c.Update());
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value v, c.Query("get", Value{{"key", "k"}}));
    return v.is_number_integer() ? v.get<int64_t>() : 0;
  }

  // Checks 1 and 2 (and 3 for the blocks in `everyone`); returns how many replicas lag behind
  // their block's latest revision. A lagging replica is legitimate elsewhere: a decided commit
  // applied where its decision arrived, a lagging log-first block promoted where it was read.
  int Audit(Cluster& cluster, const std::set<BlockId>& blocks, const std::set<BlockId>& everyone,
            const std::vector<transactor::CommitRequest>& acknowledged) {
    int lagging = 0;
    for (const BlockId& block : blocks) {
      const std::vector<std::string> replicas = *cluster.ClusterFor(block);
      std::map<std::string, std::vector<transactor::ActionTransforms>> histories;
      for (const std::string& id : replicas) {
        auto history = cluster.RepositoryOf(id).History(block, 0);
        if (!history) {
          ADD_FAILURE() << "history of " << block << " at " << id << ": "
                        << history.error().ToString();
          continue;
        }
        histories[id] = std::move(*history);
      }
      const std::vector<transactor::ActionTransforms>* longest = nullptr;
      for (const auto& [id, history] : histories) {
        if (longest == nullptr || history.size() > longest->size()) longest = &history;
      }
      if (longest == nullptr || longest->empty()) continue;
      std::map<uint64_t, std::pair<std::string, std::string>> at_rev;  // rev -> action, replica
      size_t at_latest = 0;
      for (const auto& [id, history] : histories) {
        bool prefix = true;
        for (size_t i = 0; i < history.size(); ++i) {
          const transactor::ActionTransforms& a = history[i];
          auto [it, fresh] = at_rev.try_emplace(a.rev.value_or(0), a.action_id, id);
          EXPECT_TRUE(fresh || it->second.first == a.action_id)
              << "block " << block << " rev " << a.rev.value_or(0) << ": " << it->second.second
              << " committed " << it->second.first << ", " << id << " committed " << a.action_id;
          if (prefix && (*longest)[i].action_id != a.action_id) {
            prefix = false;
            ADD_FAILURE() << "block " << block << ": the history at " << id << " skips "
                          << (*longest)[i].action_id << " (rev "
                          << (*longest)[i].rev.value_or(0) << ")";
          }
        }
        if (history.size() == longest->size()) ++at_latest;
      }
      lagging += static_cast<int>(replicas.size() - at_latest);
      if (everyone.count(block) != 0 && at_latest != replicas.size()) {
        ADD_FAILURE() << "block " << block << " was written with every node up, yet "
                      << replicas.size() - at_latest << " replica(s) stay behind";
      }
    }
    // An acknowledged commit took its log tail (and a new collection's header) on a majority;
    // its other blocks may lag (CommitLogFirst) but then keep its pending record on a majority,
    // which a read under a context naming the action promotes.
    for (const transactor::CommitRequest& commit : acknowledged) {
      std::set<BlockId> decisive = {commit.tail_id};
      if (commit.header_id) decisive.insert(*commit.header_id);
      std::set<BlockId> touched(commit.block_ids.begin(), commit.block_ids.end());
      touched.insert(decisive.begin(), decisive.end());
      for (const BlockId& block : touched) {
        const std::vector<std::string> replicas = *cluster.ClusterFor(block);
        size_t committed = 0, pending = 0;
        for (const std::string& id : replicas) {
          auto record = cluster.RepositoryOf(id).RecordOf(block, commit.action_id);
          committed += record && *record == core::repository::ActionRecord::kCommitted;
          pending += record && *record == core::repository::ActionRecord::kPending;
        }
        const size_t majority = cluster::consensus::CommitQuorum(replicas.size());
        const std::string what = "acknowledged commit " + commit.action_id + " (rev " +
                                 std::to_string(commit.rev) + ") is committed on " +
                                 std::to_string(committed) + " and pending on " +
                                 std::to_string(pending) + " of the " +
                                 std::to_string(replicas.size()) + " replicas of its ";
        if (decisive.count(block) != 0 && committed < majority) {
          ADD_FAILURE() << what << "log tail " << block;
        } else if (decisive.count(block) == 0 && committed + pending < majority) {
          ADD_FAILURE() << what << "block " << block;
        }
      }
    }
    return lagging;
  }

  test::TestClock clock_;
  test::KeyValueType kv_;
  Scheduler scheduler_;
};

TEST_P(ReplicatedSim, CommitsAgreeSurviveFaultsAndReplicasConvergeAfterHealing) {
  const uint64_t seed = GetParam();
  SCOPED_TRACE(
      "replay this seed alone: build/tests/replicated_sim_test "
      "--gtest_filter='Seeds/ReplicatedSim.*/" +
      std::to_string(seed - 1) + "'");
  Faults faults(seed);
  Cluster::Options options;
  options.promise_quorum = kPromiseQuorum;
  options.fault = [&faults](const Cluster::Call& call) { return faults.Decide(call); };
  options.echo = [&faults](std::function<void()> deliver) { faults.Stash(std::move(deliver)); };
  options.schedule = [this](const std::string&, int64_t due, std::function<void()> work) {
    scheduler_.Schedule(due, std::move(work));
  };
  Cluster cluster(kIds, kReplication, clock_, std::move(options));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(cluster, seed * 31 + i, clock_, scheduler_));
  }
  for (const std::string& name : kCollections) {
    for (auto& client : clients) {
      auto engine = core::collection::Collection::CreateOrOpen(client->watched, kv_, nullptr,
                                                               name, client->Services());
      ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
      client->engines[name] = std::move(*engine);
    }
    ASSERT_TRUE(clients[0]->engines[name]->ActAndSync({Add(0)}).ok());
  }

  faults.Unleash();
  std::mt19937_64 ops(seed);
  std::map<std::string, int64_t> acknowledged, unknown;
  std::map<std::string, int> failures;
  cluster::repair::ReadRepairReport read_repairs;
  for (int step = 0; step < kSteps; ++step) {
    faults.Step(cluster, ops);
    clock_.Advance(static_cast<int64_t>(ops() % 1500));
    scheduler_.RunDue(clock_.NowUnixMs());
    Client& client = *clients[ops() % kClients];
    const std::string& name = kCollections[ops() % kCollections.size()];
    const int64_t delta = 1 + static_cast<int64_t>(ops() % 5);
    Status s = client.engines.at(name)->ActAndSync({Add(delta)}, Sync());
    (s.ok() ? acknowledged : unknown)[name] += delta;
    if (!s.ok()) ++failures[std::string(StatusCodeName(s.code()))];
    scheduler_.RunDue(clock_.NowUnixMs());
    // Read repair under the faults: what this step's gets found behind, on the nodes that are up.
    for (const std::string& id : kIds) {
      if (cluster.IsDown(id)) continue;
      const cluster::repair::ReadRepairReport pass = cluster.AntiEntropyOf(id).RunRequested();
      read_repairs.blocks_repaired += pass.blocks_repaired;
      read_repairs.actions_replayed += pass.actions_replayed;
      read_repairs.failures += pass.failures;
    }
  }
  faults.Heal(cluster);
  Settle();

  std::set<BlockId> blocks;
  std::vector<transactor::CommitRequest> acked;
  for (auto& client : clients) {
    client->AddBlocksTo(blocks);
    acked.insert(acked.end(), client->acknowledged.begin(), client->acknowledged.end());
  }
  const int lagging = Audit(cluster, blocks, {}, acked);

  // Anti-entropy on every node: it may bring a replica forward only on two other replicas' word
  // and in rev order, so the checks above still hold and no replica lags more than before.
  cluster::repair::RoundReport repairs;
  for (const std::string& id : kIds) {
    const cluster::repair::RoundReport round = cluster.AntiEntropyOf(id).RunOnce();
    repairs.blocks_repaired += round.blocks_repaired;
    repairs.actions_replayed += round.actions_replayed;
    repairs.failures += round.failures;
  }
  const int lagging_repaired = Audit(cluster, blocks, {}, acked);
  EXPECT_LE(lagging_repaired, lagging) << "anti-entropy moved a replica backward";

  // One more add per collection with every node up: each replica it reaches catches up first.
  Client fresh(cluster, seed * 31 + 99, clock_, scheduler_);
  for (const std::string& name : kCollections) {
    auto engine = core::collection::Collection::Open(fresh.watched, kv_, nullptr, name,
                                                     fresh.Services());
    ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
    fresh.engines[name] = std::move(*engine);
    Status s = fresh.engines[name]->ActAndSync({Add(1)}, Sync());
    if (!s.ok()) {
      ADD_FAILURE() << name << ": an add with every node up failed: " << s.ToString();
    }
    (s.ok() ? acknowledged : unknown)[name] += 1;
  }
  Settle();
  std::set<BlockId> written;
  for (const transactor::CommitRequest& commit : fresh.watched.commits()) {
    written.insert(commit.block_ids.begin(), commit.block_ids.end());
  }
  fresh.AddBlocksTo(blocks);
  acked.insert(acked.end(), fresh.acknowledged.begin(), fresh.acknowledged.end());
  const int lagging_after = Audit(cluster, blocks, written, acked);

  for (const std::string& name : kCollections) {
    Result<int64_t> value = ValueSeenBy(fresh, name);
    ASSERT_TRUE(value.has_value()) << value.error().ToString();
    EXPECT_GE(*value, acknowledged[name]) << name << ": an acknowledged add was lost";
    EXPECT_LE(*value, acknowledged[name] + unknown[name]) << name << ": an add counted twice";
    const uint64_t revision = fresh.engines[name]->revision();
    for (auto& client : clients) {
      Result<int64_t> seen = ValueSeenBy(*client, name);
      ASSERT_TRUE(seen.has_value()) << seen.error().ToString();
      EXPECT_EQ(*seen, *value) << name << ": views disagree after healing";
      EXPECT_EQ(client->engines[name]->revision(), revision) << name;
    }
  }
  const Counts c = faults.counts();
  EXPECT_GT(c.requests, 0u);
  std::string outcomes;
  for (const auto& [code, n] : failures) outcomes += code + "=" + std::to_string(n) + " ";
  int lagging_commits = fresh.lagging_commits.load();
  for (auto& client : clients) lagging_commits += client->lagging_commits.load();
  size_t read_repairs_requested = 0;
  for (auto& client : clients) read_repairs_requested += client->read_repairs_requested.load();
  RecordProperty(
      "faults",
      "requests " + std::to_string(c.requests) + ", lost requests " +
          std::to_string(c.lost_requests) + ", lost replies " + std::to_string(c.lost_replies) +
          ", duplicates " + std::to_string(c.duplicates) + ", echoes " +
          std::to_string(c.echoes) + ", abandoned rounds " + std::to_string(c.abandoned) +
          ", cut " + std::to_string(c.cut) + ", crashes " + std::to_string(c.crashes) +
          " (restarts " + std::to_string(c.restarts) + "), partitions " +
          std::to_string(c.partitions) + "; failed adds " + outcomes + "; lagging commits " +
          std::to_string(lagging_commits) + "; read repair " +
          std::to_string(read_repairs_requested) + " requested, " +
          std::to_string(read_repairs.blocks_repaired) + " blocks repaired (" +
          std::to_string(read_repairs.actions_replayed) + " actions, " +
          std::to_string(read_repairs.failures) + " failures); lagging replicas " +
          std::to_string(lagging) + ", " + std::to_string(lagging_repaired) +
          " after anti-entropy (" + std::to_string(repairs.blocks_repaired) + " blocks, " +
          std::to_string(repairs.actions_replayed) + " actions, " +
          std::to_string(repairs.failures) + " failures), " + std::to_string(lagging_after) +
          " after one more add; divergences " +
          std::to_string(cluster.counts().divergences.load()) + ", catch-ups " +
          std::to_string(cluster.counts().catch_ups.load()));
}

INSTANTIATE_TEST_SUITE_P(Seeds, ReplicatedSim,
                         ::testing::Range<uint64_t>(1, 1 + test::SimSeedCount(200)));

}  // namespace
}  // namespace optimystic::sim
