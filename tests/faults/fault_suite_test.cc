// SPDX-License-Identifier: Apache-2.0
// The fault suite (issue 8): five real optimystic-node processes of config/cluster-5 on loopback,
// clients running four workloads at once through the C++ client while a nemesis kills nodes with
// SIGKILL and restarts them; every client operation goes to a history file (history.h), which
// the checker (checker.h) then verifies:
//   register  writes and reads of three keys of a Tree collection: linearizable per key;
//   counter   adds to a Counter collection and reads of it: no acknowledged add lost;
//   diary     appends to a Diary collection and reads of it: each acknowledged append once, in
//             one order for all readers;
//   bank      transfers between four Counter collections, each one multi-collection
//             transaction: the total moves only by partial landings (docs/transactions.md).
// After the run every node is up again and final reads of everything are recorded; the summary
// (operations, acknowledged, lost, invariant violations) is printed, and lost and violations
// must be 0.
// The nemeses, each for about 10 s ("debug.faults" with node.fault_injection on sets the ones a
// node plays itself):
//   kill       SIGKILL a node, restart it on its data;
//   partition  cut the cluster into a side of two and one of three, then heal it;
//   slow       delay every request two nodes send by 300 ms;
//   skew       move one node's wall clock 3 s ahead or behind;
//   churn      a sixth node joins (fetching its ranges), then leaves (`optimystic cluster leave`).
// By default this is a smoke run of 60 s with one kill and one partition; OPTIMYSTIC_FAULTS=1
// runs 10 minutes, the nemeses in turn, a fault every ~30 s (OPTIMYSTIC_FAULTS_SECONDS
// overrides either length; OPTIMYSTIC_FAULTS_NEMESES=kill,slow,... picks which take turns).
#include <optimystic/client/client.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/wire/wire_call.h"
#include "faults/checker.h"
#include "faults/history.h"
#include "integration/cluster_nodes.h"
#include "support/tcp_test_transport.h"

namespace optimystic::faults {
namespace {

using block::Value;
using namespace std::chrono_literals;

constexpr int kNodes = 5;
constexpr int kClients = 5;
constexpr const char* kRegisters = "fault-registers";
constexpr const char* kCounter = "fault-counter";
constexpr const char* kDiary = "fault-diary";
const std::vector<std::string> kAccounts = {"fault-bank-0", "fault-bank-1", "fault-bank-2",
                                            "fault-bank-3"};
constexpr int64_t kOpeningBalance = 100;
// Acknowledged operations a run needs to have checked anything. The sanitizer build runs the
// nodes several times slower (and beside other cluster tests): 95 were seen in its 60 s smoke.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kEnoughAcknowledged = 40;
#else
constexpr size_t kEnoughAcknowledged = 100;
#endif

// The nemeses that take turns: OPTIMYSTIC_FAULTS_NEMESES (comma-separated), else all of them in
// the opt-in run and a kill and a partition in the smoke run.
std::vector<std::string> Nemeses(bool opted_in) {
  const char* v = std::getenv("OPTIMYSTIC_FAULTS_NEMESES");
  std::string list = v != nullptr && *v != '\0'
                         ? std::string(v)
                         : (opted_in ? "kill,partition,slow,skew,churn" : "kill,partition");
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

bool FaultsOptedIn() {
  const char* v = std::getenv("OPTIMYSTIC_FAULTS");
  return v != nullptr && std::string(v) == "1";
}

std::chrono::seconds RunLength() {
  if (const char* v = std::getenv("OPTIMYSTIC_FAULTS_SECONDS"); v != nullptr && *v != '\0') {
    return std::chrono::seconds(std::max(10, std::atoi(v)));
  }
  return FaultsOptedIn() ? 600s : 60s;
}

// Records operations on one clock into the history file.
class Recorder {
 public:
  explicit Recorder(HistoryWriter& writer) : writer_(writer) {}
  void Record(uint64_t process, EventType type, const std::string& workload, const std::string& f,
              const std::string& key, Value value) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start_)
                            .count();
    Status written = writer_.Write(Event{process, type, workload, f, key, std::move(value), now});
    EXPECT_TRUE(written.ok()) << written.ToString();
  }

 private:
  HistoryWriter& writer_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// What a write's error says of whether it took effect: a node's refusal of the request itself
// means it did not; anything else (unreachable, timed out, peers that did not complete) may
// have left it committed.
EventType WriteOutcome(const Status& error) {
  switch (error.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kIncompatible:
      return EventType::kFail;
    default:
      return EventType::kInfo;
  }
}

class FaultSuite : public test::ClusterNodes {
 protected:
  void SetUp() override {
    every_node_args_ = {"--set", "node.fault_injection=true"};
    ASSERT_NO_FATAL_FAILURE(StartCluster("cluster-5", kNodes));
  }

  // Sets node `node`'s faults (debug.faults: cut, delayMs, skewMs).
  void Faults(int node, const Value& faults) {
    Result<Value> set = cluster::wire::CallAndWait(
        *nemesis_transport_, Url(node), cluster::wire::MessageType::kDebugFaults, faults,
        cluster::wire::MessageType::kDebugFaultsOk, ++nemesis_requests_,
        cluster::wire::CallOptions{});
    ASSERT_TRUE(set.has_value()) << "node " << node << ": " << set.status().ToString();
  }
  // Cuts `node` off from `peers` (none: heals it).
  void Cut(int node, const std::vector<int>& peers) {
    std::vector<std::string> urls;
    for (int peer : peers) urls.push_back(Url(peer));
    ASSERT_NO_FATAL_FAILURE(Faults(node, Value{{"cut", urls}}));
  }
  // A sixth node joins the running cluster and, once active, leaves it again.
  void Churn() {
    if (joiner_ < 0) joiner_ = AddNode();
    StartNode(joiner_);
    ASSERT_NO_FATAL_FAILURE(WaitReady(joiner_));
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    bool active = false;
    while (!active && std::chrono::steady_clock::now() < deadline) {
      const Value cluster = ClusterSeenBy(joiner_);
      if (cluster.is_object() && cluster["members"].is_array()) {
        for (const Value& m : cluster["members"]) {
          active = active || (m["self"] == true && m["role"] == "active");
        }
      }
      if (!active) std::this_thread::sleep_for(250ms);
    }
    ASSERT_TRUE(active) << LogTail(joiner_);
    ++joins_;
    std::this_thread::sleep_for(5s);  // it takes part in the workloads' writes meanwhile
    test::RunResult leave = Cli(joiner_, {"cluster", "leave"});
    ASSERT_EQ(leave.exit_code, 0) << leave.out << leave.err << LogTail(joiner_);
    ASSERT_EQ(nodes_[joiner_]->Wait(30s), std::optional<int>(0)) << LogTail(joiner_);
    ++leaves_;
  }

  int joiner_ = -1;
  int joins_ = 0;
  int leaves_ = 0;
  // Splits the nodes into a side of two and a side of three, cut off from each other.
  void Partition(std::mt19937_64& random) {
    std::vector<int> order = {0, 1, 2, 3, 4};
    std::shuffle(order.begin(), order.end(), random);
    const std::vector<int> small(order.begin(), order.begin() + 2);
    const std::vector<int> large(order.begin() + 2, order.end());
    for (int node : small) ASSERT_NO_FATAL_FAILURE(Cut(node, large));
    for (int node : large) ASSERT_NO_FATAL_FAILURE(Cut(node, small));
  }
  void Heal() {
    for (int node = 0; node < kNodes; ++node) ASSERT_NO_FATAL_FAILURE(Cut(node, {}));
  }

  // One client: its own transport, talking to node `node`, moving to the next node after a
  // failure. Each operation is recorded under its current process; after an indeterminate one
  // it goes on as a new process.
  class Worker {
   public:
    Worker(FaultSuite& suite, Recorder& recorder, int index, uint64_t seed)
        : suite_(suite), recorder_(recorder), index_(index), random_(seed), node_(index % kNodes) {
      EXPECT_TRUE(transport_.ok()) << transport_.status().ToString();
    }

    uint64_t process() const { return process_; }
    // How many operations failed, by error, for the report.
    const std::map<std::string, int>& errors() const { return errors_; }

    // One write to each collection, so that each exists before the clients start (a read of a
    // collection not yet created fails; a first write races to create it).
    void CreateCollections() {
      Register(/*write=*/true);
      Counter(/*add=*/true);
      Diary(/*append=*/true);
      Open();
    }
    // The register: a write of a value no one else writes, or a read.
    void Register(bool write = false) {
      const std::string key = "r" + std::to_string(random_() % 3);
      if (write || random_() % 2 == 0) {
        const int64_t v = static_cast<int64_t>(process_) * 1'000'000 + ++sequence_;
        Write("register", "write", key, v, kRegisters, "tree",
              Action("replace", Value::array({Value::array({key, Value{{"v", v}}})})));
      } else {
        ReadRegister(key);
      }
    }
    void Counter(bool add = false) {
      if (add || random_() % 10 < 7) {
        const int64_t delta = 1 + static_cast<int64_t>(random_() % 3);
        Write("counter", "add", kCounter, delta, kCounter, "counter",
              Action("add", Value{{"delta", delta}}));
      } else {
        ReadCounter();
      }
    }
    void Diary(bool append = false) {
      if (append || random_() % 10 < 7) {
        const std::string entry =
            "p" + std::to_string(process_) + "-" + std::to_string(++sequence_);
        Write("diary", "append", kDiary, entry, kDiary, "diary", Action("append", entry));
      } else {
        ReadDiary();
      }
    }
    // A transfer between two accounts, as one transaction of their two collections.
    void Transfer() {
      const size_t from = random_() % kAccounts.size();
      const size_t to = (from + 1 + random_() % (kAccounts.size() - 1)) % kAccounts.size();
      const int64_t amount = 1 + static_cast<int64_t>(random_() % 10);
      Value legs{{kAccounts[from], -amount}, {kAccounts[to], amount}};
      auto statement = [](const std::string& account, int64_t delta) {
        return Value{{"collectionId", account},
                     {"actions", Value::array({Value{{"type", "add"},
                                                     {"data", Value{{"delta", delta}}}}})}}
            .dump();
      };
      Transact(legs, {statement(kAccounts[from], -amount), statement(kAccounts[to], amount)});
    }
    // Creates every account with its opening balance (recorded like a transfer into it: a
    // transaction cannot create a collection).
    void Open() {
      for (const std::string& account : kAccounts) {
        recorder_.Record(process_, EventType::kInvoke, "bank", "transfer", "",
                         Value{{"legs", Value{{account, kOpeningBalance}}}});
        client::Client client(*transport_, suite_.Url(node_));
        auto done = client.Act(account, "counter",
                               Action("add", Value{{"delta", kOpeningBalance}}),
                               client::CreateMode::kCreateIfAbsent);
        recorder_.Record(process_, done ? EventType::kOk : WriteOutcome(done.error()), "bank",
                         "transfer", "",
                         done ? Value{{"committed", Value::array({account})}} : Value());
        EXPECT_TRUE(done) << done.error().ToString();
      }
    }
    // The balances of every account, read one after the other (with no transfer in flight).
    bool ReadBank() {
      recorder_.Record(process_, EventType::kInvoke, "bank", "read", "", Value());
      Value balances = Value::object();
      for (const std::string& account : kAccounts) {
        client::Client client(*transport_, suite_.Url(node_));
        auto got = client.Query(account, "counter", "get", Value::object());
        if (!got) {
          Tally(got.error());
          recorder_.Record(process_, EventType::kFail, "bank", "read", "", Value());
          NextNode();
          return false;
        }
        balances[account] = (*got)["value"];
      }
      recorder_.Record(process_, EventType::kOk, "bank", "read", "", balances);
      return true;
    }
    // A read of each register, the counter, the diary and the bank, each until it succeeds.
    void ReadEverything() {
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      auto until = [&](const std::function<bool()>& read) {
        while (!read() && std::chrono::steady_clock::now() < deadline) {
          std::this_thread::sleep_for(200ms);
        }
      };
      for (const std::string key : {"r0", "r1", "r2"}) {
        until([&] { return ReadRegister(key); });
      }
      until([&] { return ReadCounter(); });
      until([&] { return ReadDiary(); });
      until([&] { return ReadBank(); });
    }

   private:
    // One read of each workload, recorded; false when it failed.
    bool ReadRegister(const std::string& key) {
      return Read("register", key, kRegisters, "tree", "get", Value{{"key", key}},
                  [](const Value& entry) -> Value {
                    return entry.is_object() && entry.contains("v") ? entry["v"] : Value();
                  });
    }
    bool ReadCounter() {
      return Read("counter", kCounter, kCounter, "counter", "get", Value::object(),
                  [](const Value& got) { return got.is_object() ? got["value"] : Value(); });
    }
    bool ReadDiary() {
      return Read("diary", kDiary, kDiary, "diary", "read", Value::object(),
                  [](const Value& got) { return got; });
    }
    static std::vector<collections::Action> Action(const std::string& type, Value data) {
      std::vector<collections::Action> actions(1);
      actions[0].type = type;
      actions[0].data = std::move(data);
      return actions;
    }
    void Tally(const Status& error) {
      std::string text = error.ToString();
      // Peer ids and ports vary; the start of a message says what kind of failure it was.
      ++errors_[text.substr(0, std::min<size_t>(text.size(), 60))];
    }
    void NextNode() {
      node_ = (node_ + 1) % kNodes;
      std::this_thread::sleep_for(100ms);
    }
    void Write(const std::string& workload, const std::string& f, const std::string& key,
               Value argument, const std::string& collection, const std::string& type,
               std::vector<collections::Action> actions) {
      recorder_.Record(process_, EventType::kInvoke, workload, f, key, argument);
      client::Client client(*transport_, suite_.Url(node_));
      auto done = client.Act(collection, type, std::move(actions), client::CreateMode::kCreateIfAbsent);
      if (done) {
        recorder_.Record(process_, EventType::kOk, workload, f, key, Value());
        return;
      }
      Tally(done.error());
      const EventType outcome = WriteOutcome(done.error());
      recorder_.Record(process_, outcome, workload, f, key, Value{{"error", done.error().ToString()}});
      if (outcome == EventType::kInfo) process_ += kClients;  // a new process from here on
      NextNode();
    }
    template <typename Extract>
    bool Read(const std::string& workload, const std::string& key, const std::string& collection,
              const std::string& type, const std::string& query, const Value& args,
              Extract extract) {
      recorder_.Record(process_, EventType::kInvoke, workload, "read", key, Value());
      client::Client client(*transport_, suite_.Url(node_));
      auto got = client.Query(collection, type, query, args);
      if (!got) {
        Tally(got.error());
        recorder_.Record(process_, EventType::kFail, workload, "read", key,
                         Value{{"error", got.error().ToString()}});
        NextNode();
        return false;
      }
      recorder_.Record(process_, EventType::kOk, workload, "read", key, extract(*got));
      return true;
    }
    void Transact(const Value& legs, std::vector<std::string> statements) {
      recorder_.Record(process_, EventType::kInvoke, "bank", "transfer", "", Value{{"legs", legs}});
      client::Client client(*transport_, suite_.Url(node_));
      auto done = client.Transact(std::move(statements));
      // A collection whose commit failed in transit may have committed all the same
      // (docs/transactions.md, "Transaction outcome unknown"): then the whole outcome is unknown.
      auto unknown_in = [](const Status& error) {
        return error.message().find("Transaction outcome unknown") != std::string_view::npos;
      };
      if (done && (done->success || !unknown_in(done->error))) {
        recorder_.Record(process_, EventType::kOk, "bank", "transfer", "",
                         Value{{"committed", done->committed}});
        return;
      }
      const Status error = done ? done->error : done.error();
      // Otherwise an error from the node means nothing committed; one in transit, unknown.
      Tally(error);
      const bool unknown = done.has_value() || client::IsUnreachable(error) || unknown_in(error);
      recorder_.Record(process_, unknown ? EventType::kInfo : EventType::kFail, "bank",
                       "transfer", "", Value{{"error", error.ToString()}});
      if (unknown) process_ += kClients;
      NextNode();
    }

    FaultSuite& suite_;
    Recorder& recorder_;
    const int index_;
    std::mt19937_64 random_;
    int node_;
    uint64_t process_ = static_cast<uint64_t>(index_);
    int64_t sequence_ = 0;
    std::map<std::string, int> errors_;
    test::TcpTestTransport transport_{"fault client"};
  };

  test::TcpTestTransport nemesis_transport_{"fault nemesis"};
  uint64_t nemesis_requests_ = 0;

  std::string HistoryPath() const {
    return std::string(OPTIMYSTIC_BINARY_DIR) + "/tests/fault-history-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".jsonl";
  }
};

TEST_F(FaultSuite, KillsAndPartitionsLoseNoAcknowledgedWrite) {
  const std::string path = HistoryPath();
  auto writer = HistoryWriter::Open(path);
  ASSERT_TRUE(writer) << writer.error().ToString();
  Recorder recorder(**writer);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < kClients; ++i) {
    workers.push_back(std::make_unique<Worker>(*this, recorder, i, 1000 + i));
  }
  workers[0]->CreateCollections();

  const auto length = RunLength();
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + length;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&, w = worker.get()] {
      std::mt19937_64 pick(static_cast<uint64_t>(w->process()) + 7);
      while (!stop.load() && std::chrono::steady_clock::now() < end) {
        const uint64_t r = pick() % 100;
        if (r < 40) {
          w->Register();
        } else if (r < 65) {
          w->Counter();
        } else if (r < 85) {
          w->Diary();
        } else {
          w->Transfer();
        }
      }
    });
  }
  // The nemeses take turns, every 30 s from 15 s in (the smoke run: once each).
  const std::vector<std::string> nemeses = Nemeses(FaultsOptedIn());
  ASSERT_FALSE(nemeses.empty());
  std::mt19937_64 nemesis(99);
  std::map<std::string, int> ran;
  size_t turn = 0;
  auto next_fault = start + std::min<std::chrono::seconds>(15s, length / 4);
  while (std::chrono::steady_clock::now() < end) {
    const bool room = std::chrono::steady_clock::now() + 12s < end;
    const bool more = FaultsOptedIn() || turn < nemeses.size();
    if (std::chrono::steady_clock::now() >= next_fault && room && more) {
      const std::string& fault = nemeses[turn++ % nemeses.size()];
      const int victim = static_cast<int>(nemesis() % kNodes);
      if (fault == "kill") {
        ASSERT_TRUE(nodes_[victim]->Signal(SIGKILL));
        (void)nodes_[victim]->Wait(10s);
        std::this_thread::sleep_for(10s);
        StartNode(victim);
        ASSERT_NO_FATAL_FAILURE(WaitReady(victim));
      } else if (fault == "partition") {
        ASSERT_NO_FATAL_FAILURE(Partition(nemesis));
        std::this_thread::sleep_for(10s);
        ASSERT_NO_FATAL_FAILURE(Heal());
      } else if (fault == "slow") {
        const int other = (victim + 1 + static_cast<int>(nemesis() % (kNodes - 1))) % kNodes;
        for (int node : {victim, other}) ASSERT_NO_FATAL_FAILURE(Faults(node, Value{{"delayMs", 300}}));
        std::this_thread::sleep_for(10s);
        for (int node : {victim, other}) ASSERT_NO_FATAL_FAILURE(Faults(node, Value{{"delayMs", 0}}));
      } else if (fault == "skew") {
        const int64_t skew = nemesis() % 2 == 0 ? 3000 : -3000;
        ASSERT_NO_FATAL_FAILURE(Faults(victim, Value{{"skewMs", skew}}));
        std::this_thread::sleep_for(10s);
        ASSERT_NO_FATAL_FAILURE(Faults(victim, Value{{"skewMs", 0}}));
      } else if (fault == "churn") {
        ASSERT_NO_FATAL_FAILURE(Churn());
      } else {
        FAIL() << "OPTIMYSTIC_FAULTS_NEMESES: unknown nemesis '" << fault
               << "' (kill, partition, slow, skew, churn)";
      }
      ++ran[fault];
      next_fault = std::chrono::steady_clock::now() + (FaultsOptedIn() ? 20s : 5s);
    }
    DrainNodes();
    std::this_thread::sleep_for(250ms);
  }
  stop.store(true);
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(WaitForMembers(i, kNodes, 0)) << "node " << i;

  // Its process ids are above any a worker reaches (each info moves a worker up by kClients).
  Worker reader(*this, recorder, 1 << 30, 5);
  reader.ReadEverything();
  writer->reset();

  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto events = ParseHistory(text.str(), path);
  ASSERT_TRUE(events) << events.error().ToString();
  auto operations = PairOperations(*events);
  ASSERT_TRUE(operations) << operations.error().ToString();
  CheckOptions options;
  options.bank_total = 0;  // the accounts open by recorded transfers
  const CheckSummary summary = CheckHistory(*operations, options);
  std::string report = FormatSummary(summary);
  std::map<std::string, int> errors;
  for (const auto& worker : workers) {
    for (const auto& [what, n] : worker->errors()) errors[what] += n;
  }
  for (const auto& [what, n] : reader.errors()) errors[what] += n;
  for (const auto& [what, n] : errors) report += "  failed " + std::to_string(n) + "x: " + what + "\n";
  std::string faults;
  for (const auto& [fault, n] : ran) faults += (faults.empty() ? "" : ", ") + fault + " x" + std::to_string(n);
  std::cout << "fault suite: " << length.count() << " s, nemeses: " << faults << "; history "
            << path << "\n" << report;
  RecordProperty("summary", report);
  for (const std::string& fault : nemeses) EXPECT_GE(ran[fault], 1) << fault << " never ran";
  EXPECT_EQ(joins_, leaves_) << "a churn node joined and did not leave";
  EXPECT_GT(summary.acknowledged, kEnoughAcknowledged) << "too little got through to check anything";
  EXPECT_EQ(summary.lost, 0u) << report;
  EXPECT_EQ(summary.violations, 0u) << report;
}

}  // namespace
}  // namespace optimystic::faults
