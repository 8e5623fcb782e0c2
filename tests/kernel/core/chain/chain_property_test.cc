// SPDX-License-Identifier: Apache-2.0
// Model-based property tests for Chain: seeded random sequences of Add, Pop, Dequeue, UpdateAt,
// Select/SelectFrom and Next/Prior walks, run against a std::deque model, over each kind of
// store a chain runs on (plain store, Tracker, Atomic, AtomicProxy scopes; overlays are flushed,
// committed or rolled back at random batch ends) and several entries-per-block settings. After
// every operation the chain is walked raw from its header (chain_test_util.h CheckShape and
// CheckAccounting): entries in model order, every block reachable, links consistent both ways,
// interior blocks full, NewBlockHook digests naming the immediate predecessor, and the store
// holding exactly the chain's blocks. The configurations add up to 100k operations (x10 with
// OPTIMYSTIC_SOAK=1). A failure prints its seed; OPTIMYSTIC_SEED=<n> replays it (every
// configuration then runs with that seed).
#include <optimystic/base/seeded_random.h>
#include <optimystic/block/atomic.h>
#include <optimystic/block/tracker.h>
#include <optimystic/chain/chain.h>

#include "kernel/core/chain/chain_test_util.h"
#include "support/memory_block_store.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <deque>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace optimystic::chain {
namespace {

using block::BlockId;
using block::Value;

#define CHAIN_RETURN_IF_FAILED(expr)            \
  do {                                          \
    testing::AssertionResult chain_r_ = (expr); \
    if (!chain_r_) {                            \
      return chain_r_;                          \
    }                                           \
  } while (0)

enum class Layer : uint8_t { kPlain, kTracker, kAtomic, kProxy };

struct Config {
  const char* name;
  Layer layer;
  size_t per_block;
  uint64_t ops;
  bool hook;
  uint64_t default_seed;
};

// gtest prints parameters of failed tests; name the configuration instead of dumping bytes.
void PrintTo(const Config& config, std::ostream* out) { *out << config.name; }

uint64_t SeedFor(const Config& config) {
  if (const char* seed = std::getenv("OPTIMYSTIC_SEED"); seed != nullptr && *seed != '\0') {
    return std::strtoull(seed, nullptr, 0);
  }
  return config.default_seed;
}

uint64_t OpsFor(const Config& config) {
  const char* soak = std::getenv("OPTIMYSTIC_SOAK");
  return soak != nullptr && std::string(soak) == "1" ? config.ops * 10 : config.ops;
}

std::string Describe(const std::vector<int64_t>& v) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < v.size(); ++i) {
    out << (i ? "," : "") << v[i];
  }
  out << "]";
  return out.str();
}

testing::AssertionResult Same(const std::vector<int64_t>& got, const std::vector<int64_t>& want,
                              const char* what) {
  if (got == want) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << what << ": got " << Describe(got) << ", want " << Describe(want);
}

testing::AssertionResult Ok(const Status& status, const char* what) {
  if (status.ok()) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << what << ": " << status.ToString();
}

class ModelRun {
 public:
  ModelRun(const Config& config, uint64_t seed)
      : config_(config), random_(seed), ops_(OpsFor(config)) {}

  testing::AssertionResult Run() {
    testing::AssertionResult result = RunAll();
    if (!result) {
      result << "\n  after " << done_ << " operations; the last ones (op, amount, before size):";
      for (uint64_t i = noted_ > recent_.size() ? noted_ - recent_.size() : 0; i < noted_; ++i) {
        const Noted& n = recent_[i % recent_.size()];
        result << "\n    #" << n.step << " " << n.op << " " << n.amount << " (" << n.size << ")";
      }
    }
    return result;
  }

 private:
  testing::AssertionResult RunAll() {
    CHAIN_RETURN_IF_FAILED(Setup());
    while (done_ < ops_) {
      switch (config_.layer) {
        case Layer::kPlain:
          CHAIN_RETURN_IF_FAILED(Step());
          break;
        case Layer::kTracker:
          CHAIN_RETURN_IF_FAILED(Batch(1 + Pick(16)));
          CHAIN_RETURN_IF_FAILED(
              Ok(block::ApplyTransformsToStore(tracker_->Reset(), memory_), "flush tracker"));
          Note("flush tracker");
          CHAIN_RETURN_IF_FAILED(Check());
          break;
        case Layer::kAtomic:
          CHAIN_RETURN_IF_FAILED(AtomicBatch());
          break;
        case Layer::kProxy:
          CHAIN_RETURN_IF_FAILED(Pick(4) == 0 ? Step() : ProxyScope());
          break;
      }
    }
    return testing::AssertionSuccess();
  }

  testing::AssertionResult Setup() {
    if (config_.layer == Layer::kTracker) {
      tracker_.emplace(memory_);
    } else if (config_.layer == Layer::kAtomic) {
      atomic_.emplace(memory_);
    } else if (config_.layer == Layer::kProxy) {
      proxy_.emplace(memory_);
    }
    ChainOptions options;
    options.entries_per_block = config_.per_block;
    if (config_.hook) {
      options.new_block = test::DigestHook();
    }
    Result<Chain> chain = Chain::Create(Top(), {}, std::move(options));
    if (!chain.has_value()) {
      return Ok(chain.error(), "create");
    }
    chain_.emplace(std::move(chain).value());
    if (atomic_.has_value()) {
      CHAIN_RETURN_IF_FAILED(Ok(atomic_->Commit(), "commit create"));
    }
    return Check();
  }

  // The store the chain is built on.
  block::BlockStore& Top() {
    if (tracker_.has_value()) {
      return *tracker_;
    }
    if (atomic_.has_value()) {
      return *atomic_;
    }
    if (proxy_.has_value()) {
      return *proxy_;
    }
    return memory_;
  }
  // Where checks read: the running proxy scope, else the chain's store.
  block::BlockSource& View() { return scope_ != nullptr ? *scope_ : Top(); }
  // What is pending above memory_.
  const block::Transforms* Pending() const {
    if (tracker_.has_value()) {
      return &tracker_->transforms();
    }
    if (atomic_.has_value()) {
      return &atomic_->transforms();
    }
    return scope_ != nullptr ? &scope_->transforms() : nullptr;
  }

  uint64_t Pick(uint64_t bound) { return random_.Uniform(bound); }

  // Remembers an operation for the failure report (formatted only on failure).
  void Note(const char* op, int64_t amount = 0) {
    recent_[noted_++ % recent_.size()] = {op, amount, done_, model_.size()};
  }

  testing::AssertionResult Check() {
    test::ShapeExpectation want;
    want.entries_per_block = config_.per_block;
    want.digests = config_.hook;
    want.verified = &verified_;
    std::vector<BlockId> blocks;
    CHAIN_RETURN_IF_FAILED(test::CheckShape(View(), chain_->id(), model_, want, &blocks));
    return test::CheckAccounting(memory_, Pending(), chain_->id(), blocks);
  }

  testing::AssertionResult Batch(uint64_t steps) {
    for (uint64_t i = 0; i < steps && done_ < ops_; ++i) {
      CHAIN_RETURN_IF_FAILED(Step());
    }
    return testing::AssertionSuccess();
  }

  testing::AssertionResult AtomicBatch() {
    const std::deque<int64_t> before = model_;
    CHAIN_RETURN_IF_FAILED(Batch(1 + Pick(16)));
    if (Pick(4) == 0) {
      atomic_->Rollback();
      model_ = before;
      Note("rollback");
    } else {
      CHAIN_RETURN_IF_FAILED(Ok(atomic_->Commit(), "commit"));
      Note("commit");
    }
    return Check();
  }

  testing::AssertionResult ProxyScope() {
    const std::deque<int64_t> before = model_;
    const bool discard = Pick(4) == 0;
    const uint64_t steps = 1 + Pick(8);
    testing::AssertionResult inner = testing::AssertionSuccess();
    Status status = proxy_->Run([&](block::Atomic& scope) -> Status {
      scope_ = &scope;
      inner = Batch(steps);
      scope_ = nullptr;
      if (!inner) {
        return Status::Internal("check failed in scope");
      }
      return discard ? Status::Aborted("discard scope") : Status::Ok();
    });
    CHAIN_RETURN_IF_FAILED(inner);
    if (discard) {
      if (status.code() != StatusCode::kAborted) {
        return testing::AssertionFailure() << "discarded scope: " << status.ToString();
      }
      model_ = before;
      Note("discard scope");
    } else {
      CHAIN_RETURN_IF_FAILED(Ok(status, "commit scope"));
      Note("commit scope");
    }
    return Check();
  }

  // One random operation, then the full check.
  testing::AssertionResult Step() {
    // Keep the chain to a handful of blocks (the check after each step reads all of them) while
    // every operation can still span up to three blocks, empty the chain, or overshoot it.
    const bool big = model_.size() > 3 * config_.per_block + 4;
    const uint64_t r = Pick(100);
    ++done_;
    if (r < (big ? 20u : 45u)) {
      CHAIN_RETURN_IF_FAILED(DoAdd(Amount(false)));
    } else if (r < (big ? 55u : 65u)) {
      CHAIN_RETURN_IF_FAILED(DoRemove(Amount(true), Direction::kBackward));
    } else if (r < (big ? 90u : 85u)) {
      CHAIN_RETURN_IF_FAILED(DoRemove(Amount(true), Direction::kForward));
    } else if (r < 93) {
      CHAIN_RETURN_IF_FAILED(DoSelect());
    } else if (r < 97) {
      CHAIN_RETURN_IF_FAILED(DoUpdate());
    } else {
      CHAIN_RETURN_IF_FAILED(DoWalk());
    }
    return Check();
  }

  // How many entries to add or remove: mostly up to two blocks' worth plus two (so one call can
  // touch three blocks), sometimes none, and for removals sometimes a negative count or more than
  // the chain holds.
  int64_t Amount(bool removal) {
    const uint64_t kind = Pick(10);
    if (kind == 0) {
      return 0;
    }
    if (removal && kind == 1) {
      return -1 - static_cast<int64_t>(Pick(3));
    }
    if (removal && kind == 2) {
      return static_cast<int64_t>(model_.size() + Pick(5));
    }
    return 1 + static_cast<int64_t>(Pick(2 * config_.per_block + 2));
  }

  testing::AssertionResult DoAdd(int64_t count) {
    Note("add", count);
    std::vector<Value> entries;
    for (int64_t i = 0; i < count; ++i) {
      entries.emplace_back(next_value_);
      model_.push_back(next_value_++);
    }
    Result<ChainPath> path = chain_->Add(std::move(entries));
    if (!path.has_value()) {
      return Ok(path.error(), "add");
    }
    if (model_.empty()) {
      return path->index == -1
                 ? testing::AssertionSuccess()
                 : testing::AssertionFailure() << "add to empty: index " << path->index;
    }
    const Value* last = path->At();
    if (last == nullptr || *last != Value(model_.back())) {
      return testing::AssertionFailure() << "add returned a path not on the last entry";
    }
    return testing::AssertionSuccess();
  }

  testing::AssertionResult DoRemove(int64_t n, Direction end) {
    const bool pop = end == Direction::kBackward;
    Note(pop ? "pop" : "dequeue", n);
    Result<std::vector<Value>> got = pop ? chain_->Pop(n) : chain_->Dequeue(n);
    if (!got.has_value()) {
      return Ok(got.error(), pop ? "pop" : "dequeue");
    }
    const size_t take = n <= 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), model_.size());
    std::vector<int64_t> want;
    if (pop) {
      want.assign(model_.end() - static_cast<std::ptrdiff_t>(take), model_.end());
      model_.erase(model_.end() - static_cast<std::ptrdiff_t>(take), model_.end());
    } else {
      want.assign(model_.begin(), model_.begin() + static_cast<std::ptrdiff_t>(take));
      model_.erase(model_.begin(), model_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    return Same(test::AsInts(*got), want, pop ? "pop" : "dequeue");
  }

  // One of: every entry forward, every entry backward, or forward or backward from a random
  // entry's path (found by a forward cursor), inclusive.
  testing::AssertionResult DoSelect() {
    const uint64_t variant = Pick(4);
    Note("select", static_cast<int64_t>(variant));
    const std::vector<int64_t> all(model_.begin(), model_.end());
    if (variant < 2 || all.empty()) {
      const Direction d = variant == 0 ? Direction::kForward : Direction::kBackward;
      Result<std::vector<int64_t>> got = test::Contents(*chain_, d);
      if (!got.has_value()) {
        return Ok(got.error(), "select");
      }
      return Same(*got,
                  d == Direction::kForward ? all : std::vector<int64_t>(all.rbegin(), all.rend()),
                  "select");
    }
    const size_t p = Pick(all.size());
    Result<ChainPath> start = PathAt(p);
    if (!start.has_value()) {
      return Ok(start.error(), "path for select");
    }
    const Direction d = variant == 2 ? Direction::kForward : Direction::kBackward;
    Result<ChainCursor> cursor = chain_->SelectFrom(*start, d);
    if (!cursor.has_value()) {
      return Ok(cursor.error(), "select from");
    }
    Result<std::vector<int64_t>> got = test::CollectInts(std::move(cursor).value());
    if (!got.has_value()) {
      return Ok(got.error(), "select from");
    }
    if (d == Direction::kForward) {
      return Same(*got, {all.begin() + p, all.end()}, "select forward from");
    }
    return Same(*got, {std::make_reverse_iterator(all.begin() + p + 1), all.rend()},
                "select backward from");
  }

  // The path of entry `p` (counted from the head), through a forward cursor.
  Result<ChainPath> PathAt(size_t p) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(ChainCursor cursor, chain_->Select());
    for (size_t i = 0;; ++i) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ChainPath> path, cursor.Next());
      if (!path.has_value()) {
        return Status::NotFound("select ended at " + std::to_string(i));
      }
      if (i == p) {
        return std::move(*path);
      }
    }
  }

  testing::AssertionResult DoUpdate() {
    Note("update");
    if (model_.empty()) {
      return testing::AssertionSuccess();
    }
    const size_t p = Pick(model_.size());
    Result<ChainPath> path = PathAt(p);
    if (!path.has_value()) {
      return Ok(path.error(), "path for update");
    }
    Result<ChainPath> updated = chain_->UpdateAt(*path, Value(next_value_));
    if (!updated.has_value()) {
      return Ok(updated.error(), "update");
    }
    model_[p] = next_value_++;
    if (updated->At() == nullptr || *updated->At() != Value(model_[p])) {
      return testing::AssertionFailure() << "update returned a stale path";
    }
    return testing::AssertionSuccess();
  }

  // Next from the head and Prior from the tail, entry by entry, ending on the cracks.
  testing::AssertionResult DoWalk() {
    Note("walk");
    std::vector<int64_t> forward;
    std::vector<int64_t> backward;
    Result<std::optional<ChainPath>> head = chain_->Head();
    Result<std::optional<ChainPath>> tail = chain_->Tail();
    if (!head.has_value() || !tail.has_value() || !*head || !*tail) {
      return testing::AssertionFailure() << "walk: no head or tail";
    }
    for (ChainPath at = **head; at.IsValid();) {
      forward.push_back(*at.At()->get_ptr<const int64_t*>());
      Result<ChainPath> next = chain_->Next(at);
      if (!next.has_value()) {
        return Ok(next.error(), "next");
      }
      at = std::move(next).value();
    }
    for (ChainPath at = **tail; at.IsValid();) {
      backward.push_back(*at.At()->get_ptr<const int64_t*>());
      Result<ChainPath> prior = chain_->Prior(at);
      if (!prior.has_value()) {
        return Ok(prior.error(), "prior");
      }
      at = std::move(prior).value();
    }
    const std::vector<int64_t> all(model_.begin(), model_.end());
    CHAIN_RETURN_IF_FAILED(Same(forward, all, "next walk"));
    return Same(backward, {all.rbegin(), all.rend()}, "prior walk");
  }

  Config config_;
  base::SeededRandom random_;
  uint64_t ops_;
  optimystic::test::MemoryBlockStore memory_;
  std::optional<block::Tracker> tracker_;
  std::optional<block::Atomic> atomic_;
  std::optional<block::AtomicProxy> proxy_;
  block::Atomic* scope_ = nullptr;  // the running proxy scope
  std::optional<Chain> chain_;
  std::deque<int64_t> model_;
  int64_t next_value_ = 1;
  uint64_t done_ = 0;
  struct Noted {
    const char* op = "";
    int64_t amount = 0;
    uint64_t step = 0;
    size_t size = 0;
  };
  std::array<Noted, 12> recent_{};
  uint64_t noted_ = 0;
  std::set<BlockId> verified_;  // blocks whose hook digest was checked
};

class ChainModel : public ::testing::TestWithParam<Config> {};

TEST_P(ChainModel, MatchesADequeAfterEveryOperation) {
  const Config& config = GetParam();
  const uint64_t seed = SeedFor(config);
  ModelRun run(config, seed);
  EXPECT_TRUE(run.Run()) << "\n  " << config.name << " seed " << seed
                         << " (replay: OPTIMYSTIC_SEED=" << seed
                         << " chain_test --gtest_filter='*ChainModel*" << config.name << "*')";
}

// 100k operations in all.
INSTANTIATE_TEST_SUITE_P(
    Layers, ChainModel,
    ::testing::Values(Config{"Plain32Hooked", Layer::kPlain, 32, 10000, true, 0xC4A1'0001},
                      Config{"Plain1", Layer::kPlain, 1, 8000, false, 0xC4A1'0002},
                      Config{"Plain2Hooked", Layer::kPlain, 2, 9000, true, 0xC4A1'0003},
                      Config{"Plain3", Layer::kPlain, 3, 8000, false, 0xC4A1'0004},
                      Config{"Plain5Hooked", Layer::kPlain, 5, 9000, true, 0xC4A1'0005},
                      Config{"Tracker4Hooked", Layer::kTracker, 4, 9000, true, 0xC4A1'0006},
                      Config{"Tracker32", Layer::kTracker, 32, 9000, false, 0xC4A1'0007},
                      Config{"Atomic3", Layer::kAtomic, 3, 9000, false, 0xC4A1'0008},
                      Config{"Atomic32Hooked", Layer::kAtomic, 32, 9000, true, 0xC4A1'0009},
                      Config{"Proxy2Hooked", Layer::kProxy, 2, 10000, true, 0xC4A1'000A},
                      Config{"Proxy32", Layer::kProxy, 32, 10000, false, 0xC4A1'000B}),
    [](const ::testing::TestParamInfo<Config>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace optimystic::chain
