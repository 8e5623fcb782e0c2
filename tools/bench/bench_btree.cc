// SPDX-License-Identifier: Apache-2.0
#include "bench_btree.h"

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/btree/btree.h>
#include <optimystic/btree/traits.h>
#include <optimystic/btree/trunk.h>

#include "support/memory_block_store.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <utility>

namespace optimystic::bench {
namespace {

using Tree = btree::BTree<btree::KeysetTraits<int64_t>>;

constexpr size_t kCapacity = 64;
constexpr uint64_t kSeed = 20261201;

enum class Scope : uint8_t { kAtomic = 0, kBound = 1 };

// `count` distinct keys in random order (a shuffled range spread over int64), the same every run.
std::vector<int64_t> RandomKeys(size_t count, uint64_t seed) {
  std::vector<int64_t> keys(count);
  std::iota(keys.begin(), keys.end(), int64_t{0});
  for (int64_t& k : keys) k = k * 2654435761LL + 17;  // distinct, not dense
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(seed));
  return keys;
}

// A tree and the store it lives in; the store must outlive the tree, hence one owner.
struct TreeFixture {
  std::unique_ptr<test::MemoryBlockStore> store;
  std::optional<Tree> tree;
};

Result<TreeFixture> NewTree(Scope scope) {
  TreeFixture f;
  f.store = std::make_unique<test::MemoryBlockStore>();
  const btree::BTreeOptions options{.capacity = kCapacity};
  if (scope == Scope::kAtomic) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        Tree tree, Tree::Create(*f.store, btree::IndependentTrunk::Factory(), {}, options));
    f.tree.emplace(std::move(tree));
    return f;
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockId root, btree::CreateEmptyRoot(*f.store));
  OPTIMYSTIC_ASSIGN_OR_RETURN(auto trunk, btree::IndependentTrunk::Create(*f.store, root));
  OPTIMYSTIC_ASSIGN_OR_RETURN(Tree tree, Tree::Bind(*f.store, std::move(trunk), {}, options));
  f.tree.emplace(std::move(tree));
  return f;
}

Status InsertAll(Tree& tree, const std::vector<int64_t>& keys) {
  for (int64_t key : keys) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(btree::Path path, tree.Insert(key));
    if (!path.on) return Status::Internal("btree insert: key " + std::to_string(key) + " existed");
  }
  return Status::Ok();
}

// Reports items/s and time_per_op over the `ops` operations of each iteration (an inverted rate:
// seconds per op, printed with an SI prefix, e.g. 34.3us).
void SetTimePerOp(benchmark::State& state, size_t ops) {
  const double total = static_cast<double>(state.iterations()) * static_cast<double>(ops);
  state.SetItemsProcessed(static_cast<int64_t>(total));
  state.counters["time_per_op"] =
      benchmark::Counter(total, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// One iteration: `entries` random inserts into a fresh tree (made and freed untimed).
void BM_BTreeInsert(benchmark::State& state, const BTreeBenchOptions& options, Scope scope) {
  const std::vector<int64_t> keys = RandomKeys(options.entries, kSeed);
  for (auto _ : state) {
    state.PauseTiming();
    Result<TreeFixture> fixture = NewTree(scope);
    if (!fixture) return state.SkipWithError(fixture.error().ToString().c_str());
    state.ResumeTiming();
    if (Status s = InsertAll(*fixture->tree, keys); !s.ok()) {
      return state.SkipWithError(s.ToString().c_str());
    }
    state.PauseTiming();
    fixture = Status::Aborted("freed untimed");
    state.ResumeTiming();
  }
  SetTimePerOp(state, options.entries);
}

// One iteration: `entries` random inserts into a fresh std::map (freed untimed).
void BM_MapInsert(benchmark::State& state, const BTreeBenchOptions& options) {
  const std::vector<int64_t> keys = RandomKeys(options.entries, kSeed);
  for (auto _ : state) {
    auto map = std::make_unique<std::map<int64_t, int64_t>>();
    for (int64_t key : keys) {
      if (!map->emplace(key, key).second) return state.SkipWithError("map insert: key existed");
    }
    benchmark::DoNotOptimize(map);
    state.PauseTiming();
    map.reset();
    state.ResumeTiming();
  }
  SetTimePerOp(state, options.entries);
}

// The lookup and scan benchmarks' data, built on first use and kept for later runs.
struct ReadFixtures {
  TreeFixture tree;
  std::map<int64_t, int64_t> map;
  std::vector<int64_t> lookups;  // every key once, in another random order than the inserts
};

Status BuildTreeReads(const BTreeBenchOptions& options, ReadFixtures& f) {
  if (f.tree.tree.has_value()) return Status::Ok();
  OPTIMYSTIC_ASSIGN_OR_RETURN(f.tree, NewTree(Scope::kAtomic));
  return InsertAll(*f.tree.tree, RandomKeys(options.entries, kSeed));
}

void BuildMapReads(const BTreeBenchOptions& options, ReadFixtures& f) {
  if (!f.map.empty()) return;
  for (int64_t key : RandomKeys(options.entries, kSeed)) f.map.emplace(key, key);
}

const std::vector<int64_t>& Lookups(const BTreeBenchOptions& options, ReadFixtures& f) {
  if (f.lookups.empty()) f.lookups = RandomKeys(options.entries, kSeed + 1);
  return f.lookups;
}

// One iteration: a point lookup (BTree::Get) of every key, in random order.
void BM_BTreeGet(benchmark::State& state, const BTreeBenchOptions& options, ReadFixtures& f) {
  if (Status s = BuildTreeReads(options, f); !s.ok()) {
    f.tree = TreeFixture{};
    return state.SkipWithError(s.ToString().c_str());
  }
  const std::vector<int64_t>& lookups = Lookups(options, f);
  for (auto _ : state) {
    for (int64_t key : lookups) {
      Result<std::optional<int64_t>> got = f.tree.tree->Get(key);
      if (!got || !got->has_value() || **got != key) {
        return state.SkipWithError(got ? "btree get: key missing" : got.error().ToString().c_str());
      }
    }
  }
  SetTimePerOp(state, lookups.size());
}

void BM_MapGet(benchmark::State& state, const BTreeBenchOptions& options, ReadFixtures& f) {
  BuildMapReads(options, f);
  const std::vector<int64_t>& lookups = Lookups(options, f);
  for (auto _ : state) {
    for (int64_t key : lookups) {
      auto it = f.map.find(key);
      if (it == f.map.end() || it->second != key) return state.SkipWithError("map: key missing");
      benchmark::DoNotOptimize(it->second);
    }
  }
  SetTimePerOp(state, lookups.size());
}

// One iteration: an ascending range over the whole tree (no bounds), reading every entry.
void BM_BTreeScan(benchmark::State& state, const BTreeBenchOptions& options, ReadFixtures& f) {
  if (Status s = BuildTreeReads(options, f); !s.ok()) {
    f.tree = TreeFixture{};
    return state.SkipWithError(s.ToString().c_str());
  }
  for (auto _ : state) {
    Result<btree::Cursor<btree::KeysetTraits<int64_t>>> cursor =
        f.tree.tree->Range(btree::KeyRange<int64_t>{});
    if (!cursor) return state.SkipWithError(cursor.error().ToString().c_str());
    size_t seen = 0;
    int64_t sum = 0;
    while (cursor->on()) {
      Result<int64_t> entry = cursor->entry();
      if (!entry) return state.SkipWithError(entry.error().ToString().c_str());
      sum += *entry;
      ++seen;
      if (Status s = cursor->Next(); !s.ok()) return state.SkipWithError(s.ToString().c_str());
    }
    if (seen != options.entries) return state.SkipWithError("btree scan: wrong entry count");
    benchmark::DoNotOptimize(sum);
  }
  SetTimePerOp(state, options.entries);
}

void BM_MapScan(benchmark::State& state, const BTreeBenchOptions& options, ReadFixtures& f) {
  BuildMapReads(options, f);
  for (auto _ : state) {
    size_t seen = 0;
    int64_t sum = 0;
    for (const auto& [key, value] : f.map) {
      sum += value;
      ++seen;
    }
    if (seen != options.entries) return state.SkipWithError("map scan: wrong entry count");
    benchmark::DoNotOptimize(sum);
  }
  SetTimePerOp(state, options.entries);
}

}  // namespace

struct BTreeBenchmarks::Data {
  BTreeBenchOptions options;
  ReadFixtures reads;
};

BTreeBenchmarks::BTreeBenchmarks(BTreeBenchOptions options)
    : data_(std::make_unique<Data>(Data{options, {}})) {}
BTreeBenchmarks::~BTreeBenchmarks() = default;

std::vector<benchmark::internal::Benchmark*> BTreeBenchmarks::Register() {
  const BTreeBenchOptions& options = data_->options;
  ReadFixtures& reads = data_->reads;
  std::vector<benchmark::internal::Benchmark*> all = {
      benchmark::RegisterBenchmark("BM_BTreeInsert/atomic", BM_BTreeInsert, std::cref(options),
                                   Scope::kAtomic),
      benchmark::RegisterBenchmark("BM_BTreeInsert/bound", BM_BTreeInsert, std::cref(options),
                                   Scope::kBound),
      benchmark::RegisterBenchmark("BM_MapInsert", BM_MapInsert, std::cref(options)),
      benchmark::RegisterBenchmark("BM_BTreeGet", BM_BTreeGet, std::cref(options), std::ref(reads)),
      benchmark::RegisterBenchmark("BM_MapGet", BM_MapGet, std::cref(options), std::ref(reads)),
      benchmark::RegisterBenchmark("BM_BTreeScan", BM_BTreeScan, std::cref(options),
                                   std::ref(reads)),
      benchmark::RegisterBenchmark("BM_MapScan", BM_MapScan, std::cref(options), std::ref(reads)),
  };
  for (benchmark::internal::Benchmark* b : all) {
    b->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  return all;
}

std::vector<RatioRow> BTreeBenchmarks::Ratios() {
  return {
      {"btree insert (atomic)", "BM_BTreeInsert/atomic", "BM_MapInsert", "std::map"},
      {"btree insert (bound)", "BM_BTreeInsert/bound", "BM_MapInsert", "std::map"},
      {"btree get", "BM_BTreeGet", "BM_MapGet", "std::map"},
      {"btree scan", "BM_BTreeScan", "BM_MapScan", "std::map"},
  };
}

}  // namespace optimystic::bench
