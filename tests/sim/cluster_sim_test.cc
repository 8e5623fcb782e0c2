// SPDX-License-Identifier: Apache-2.0
// The simulation: three clients, each a node's collection engine over its own NetworkTransactor,
// add to counters in two collections whose blocks spread over three peers of a SimNetwork
// (sim_network.h) that loses requests and replies, delivers some twice, and crashes and cuts
// off peers. After the run every fault heals, and the checks are:
//   - no acknowledged add is lost and none is counted twice: acknowledged <= value <=
//     acknowledged + the adds whose outcome the client could not know;
//   - every client, and a fresh one, reads the same value at the same revision (the views of
//     one collection agree after healing, so no two actions took one revision).
// Each seed is its own test; a failing one prints the command that replays it alone.
#include <optimystic/base/seeded_random.h>

#include "cluster/network/network_transactor.h"
#include "core/collection/collection.h"
#include "core/collection/latch_table.h"
#include "sim/sim_network.h"
#include "support/sim_seeds.h"
#include "support/test_collection_types.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace optimystic::sim {
namespace {

using block::Value;
using collections::Action;

constexpr int kPeers = 3;
constexpr int kClients = 3;
constexpr int kSteps = 40;
const std::vector<std::string> kCollections = {"left", "right"};

Action Add(int64_t delta) {
  return Action{"add", Value{{"key", "k"}, {"delta", delta}}, std::nullopt, 0};
}

// One client node: its transactor over the shared network, its engines, its own randomness.
struct Client {
  Client(SimNetwork& network, uint64_t seed, test::TestClock& clock,
         std::deque<std::function<void()>>& background)
      : random(seed),
        transactor(
            network,
            cluster::network::NetworkTransactorOptions{nullptr, 1000,
                                                       [&background](int64_t, std::function<void()> task) {
                                                         background.push_back(std::move(task));
                                                       }}),
        clock(clock) {}

  core::collection::CollectionServices Services() {
    core::collection::CollectionServices services;
    services.clock = &clock;
    services.random = &random;
    services.latches = &latches;
    services.sleep_ms = [this](int64_t ms) { clock.Advance(ms); };
    return services;
  }

  base::SeededRandom random;
  cluster::network::NetworkTransactor transactor;
  test::TestClock& clock;
  core::collection::LatchTable latches;
  std::map<std::string, std::unique_ptr<core::collection::Collection>> engines;
};

class ClusterSim : public ::testing::TestWithParam<uint64_t> {
 protected:
  void DrainBackground() {
    while (!background_.empty()) {
      std::function<void()> task = std::move(background_.front());
      background_.pop_front();
      task();
    }
  }

  Result<int64_t> ValueSeenBy(Client& client, const std::string& collection) {
    core::collection::Collection& c = *client.engines.at(collection);
    OPTIMYSTIC_RETURN_IF_ERROR(c.Update());
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value v, c.Query("get", Value{{"key", "k"}}));
    return v.is_number_integer() ? v.get<int64_t>() : 0;
  }

  test::TestClock clock_;
  test::KeyValueType kv_;
  std::deque<std::function<void()>> background_;
};

TEST_P(ClusterSim, AcknowledgedAddsSurviveFaultsAndViewsAgreeAfterHealing) {
  const uint64_t seed = GetParam();
  SCOPED_TRACE(
      "replay this seed alone: build/tests/cluster_sim_test "
      "--gtest_filter='Seeds/ClusterSim.*/" +
      std::to_string(seed - 1) + "'");
  SimNetwork network(seed, kPeers, /*replication=*/1, SimFaults{});
  network.Heal();  // set-up runs without faults
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(network, seed * 31 + i, clock_, background_));
  }
  for (const std::string& name : kCollections) {
    for (auto& client : clients) {
      auto engine = core::collection::Collection::CreateOrOpen(client->transactor, kv_, nullptr,
                                                               name, client->Services());
      ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
      client->engines[name] = std::move(*engine);
    }
    ASSERT_TRUE(clients[0]->engines[name]->ActAndSync({Add(0)}).ok());
  }

  network.Unleash();
  std::mt19937_64 ops(seed);
  std::map<std::string, int64_t> acknowledged, unknown;
  std::map<std::string, int> failures;
  for (int step = 0; step < kSteps; ++step) {
    network.Step();
    Client& client = *clients[ops() % kClients];
    const std::string& name = kCollections[ops() % kCollections.size()];
    const int64_t delta = 1 + static_cast<int64_t>(ops() % 5);
    Status s = client.engines.at(name)->ActAndSync({Add(delta)});
    (s.ok() ? acknowledged : unknown)[name] += delta;
    if (!s.ok()) ++failures[std::string(StatusCodeName(s.code()))];
    DrainBackground();
  }
  network.Heal();
  DrainBackground();

  Client fresh(network, seed * 31 + 99, clock_, background_);
  for (const std::string& name : kCollections) {
    auto engine =
        core::collection::Collection::Open(fresh.transactor, kv_, nullptr, name, fresh.Services());
    ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
    fresh.engines[name] = std::move(*engine);
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
  const SimCounts counts = network.counts();
  EXPECT_GT(counts.requests, 0u);
  std::string outcomes;
  for (const auto& [code, n] : failures) outcomes += code + "=" + std::to_string(n) + " ";
  RecordProperty("faults", "lost requests " + std::to_string(counts.lost_requests) +
                               ", lost replies " + std::to_string(counts.lost_replies) +
                               ", duplicates " + std::to_string(counts.duplicates) + ", refused " +
                               std::to_string(counts.refused) + "; failed adds " + outcomes);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ClusterSim,
                         ::testing::Range<uint64_t>(1, 1 + test::SimSeedCount(200)));

}  // namespace
}  // namespace optimystic::sim
