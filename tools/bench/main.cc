// SPDX-License-Identifier: Apache-2.0
#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/block/codec.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transactor/transactor_types.h>

#include "bench_btree.h"
#include "bench_engines.h"
#include "bench_transport.h"
#include "bench_tree_collection.h"
#include "bench_workload.h"
#include "core/repository/repository.h"
#include "ratio_reporter.h"

#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::bench {
namespace {

using core::repository::Repository;
using core::repository::RepositoryOptions;

// Blocks the commit benchmarks insert before they switch to updates (10 transactions).
constexpr size_t kCommitPoolBlocks = 100;
// Blocks the get benchmarks read from.
constexpr size_t kGetBlocks = 1000;
// Gets visit block i * kGetStride mod kGetBlocks: every block, in no cache-friendly order.
constexpr size_t kGetStride = 7919;
constexpr double kQuickMinTimeSeconds = 0.25;

void Skip(benchmark::State& state, const Status& status) {
  state.SkipWithError(status.ToString().c_str());
}

void PerIteration(benchmark::State& state, const char* name, uint64_t before, uint64_t after) {
  state.counters[name] =
      benchmark::Counter(static_cast<double>(after - before), benchmark::Counter::kAvgIterations);
}

// Engine Get and Scan calls per iteration, from the engine's own counters.
void SetReadCounters(benchmark::State& state, const storage::StorageStats& before,
                     const storage::StorageStats& after) {
  PerIteration(state, "gets", before.reads_total, after.reads_total);
  PerIteration(state, "scans", before.scans_total, after.scans_total);
}

// Engine calls and logical bytes written per iteration.
void SetEngineCounters(benchmark::State& state, const storage::StorageStats& before,
                       const storage::StorageStats& after) {
  SetReadCounters(state, before, after);
  PerIteration(state, "writes", before.writes_total, after.writes_total);
  PerIteration(state, "bytes_written", before.bytes_written_total, after.bytes_written_total);
}

// Pends and commits `txn`; a refusal is an Aborted status.
Status CommitTransaction(Repository& repo, const Transaction& txn) {
  transactor::PendRequest pend;
  pend.action_id = txn.action_id;
  pend.rev = txn.rev;
  pend.transforms = txn.transforms;
  OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::PendResult pended, repo.Pend(pend));
  if (const transactor::StaleFailure* failure = transactor::FailureOf(pended)) {
    return Status::Aborted("pend " + txn.action_id +
                           " refused: " + failure->reason.value_or("conflict"));
  }
  transactor::CommitRequest commit;
  commit.block_ids = txn.block_ids;
  commit.action_id = txn.action_id;
  commit.rev = txn.rev;
  commit.tail_id = txn.block_ids.front();
  OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::CommitResult committed, repo.Commit(commit));
  if (const transactor::StaleFailure* failure = transactor::FailureOf(committed)) {
    return Status::Aborted("commit " + txn.action_id +
                           " refused: " + failure->reason.value_or("stale"));
  }
  return Status::Ok();
}

// One iteration: pend + commit of one 10-block transaction on a repository over `kind`, synced.
void BM_RepoCommit10(benchmark::State& state, EngineKind kind) {
  auto opened = BenchEngine::Open(kind, Durability::kSync);
  if (!opened) {
    return Skip(state, opened.error());
  }
  storage::StorageEngine& engine = (*opened)->engine();
  Repository repo(engine, RepositoryOptions{.sync = true});
  Workload workload(kCommitPoolBlocks);
  const storage::StorageStats before = engine.Stats();
  double insert_txns = 0;
  for (auto _ : state) {
    const Transaction& txn = workload.Next();
    insert_txns += txn.inserts ? 1 : 0;
    if (Status s = CommitTransaction(repo, txn); !s.ok()) {
      Skip(state, s);
      break;
    }
  }
  SetEngineCounters(state, before, engine.Stats());
  state.counters["insert_share"] =
      benchmark::Counter(insert_txns, benchmark::Counter::kAvgIterations);
}

// The same transaction as one batch of its blocks' encoded bytes, on a storage engine.
storage::WriteBatch EncodedBatch(const Transaction& txn) {
  storage::WriteBatch batch;
  for (size_t i = 0; i < txn.block_ids.size(); ++i) {
    batch.Put(txn.block_ids[i], block::EncodeBlock(*txn.blocks[i]));
  }
  return batch;
}

// One iteration: one synced batch of the 10 encoded blocks, straight into the engine.
void BM_RawEngineBatch10(benchmark::State& state, EngineKind kind) {
  auto opened = BenchEngine::Open(kind, Durability::kSync);
  if (!opened) {
    return Skip(state, opened.error());
  }
  storage::StorageEngine& engine = (*opened)->engine();
  Workload workload(kCommitPoolBlocks);
  const storage::StorageStats before = engine.Stats();
  for (auto _ : state) {
    const storage::WriteBatch batch = EncodedBatch(workload.Next());
    if (Status s = engine.Write(batch, storage::WriteOptions{.sync = true}); !s.ok()) {
      Skip(state, s);
      break;
    }
  }
  SetEngineCounters(state, before, engine.Stats());
}

// One iteration: one rocksdb::WriteBatch of the 10 encoded blocks, written with sync.
void BM_RawRocksDbBatch10(benchmark::State& state) {
  auto opened = RawRocksDb::Open();
  if (!opened) {
    return Skip(state, opened.error());
  }
  rocksdb::DB& db = (*opened)->db();
  rocksdb::WriteOptions options;
  options.sync = true;
  Workload workload(kCommitPoolBlocks);
  double bytes = 0;
  for (auto _ : state) {
    const Transaction& txn = workload.Next();
    rocksdb::WriteBatch batch;
    for (size_t i = 0; i < txn.block_ids.size(); ++i) {
      const std::string value = block::EncodeBlock(*txn.blocks[i]);
      bytes += static_cast<double>(txn.block_ids[i].size() + value.size());
      batch.Put(txn.block_ids[i], value);
    }
    if (rocksdb::Status s = db.Write(options, &batch); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.counters["writes"] = 1;
  state.counters["bytes_written"] = benchmark::Counter(bytes, benchmark::Counter::kAvgIterations);
}

// Built on a benchmark's first run and kept for its later runs: kGetBlocks committed blocks
// (populated without sync; gets never write).
struct RepoGetFixture {
  std::unique_ptr<BenchEngine> engine;
  std::unique_ptr<Repository> repo;
  std::vector<block::BlockId> ids;
};

struct RawEngineGetFixture {
  std::unique_ptr<BenchEngine> engine;
  std::vector<block::BlockId> ids;
};

struct RawRocksDbGetFixture {
  std::unique_ptr<RawRocksDb> raw;
  std::vector<block::BlockId> ids;
};

std::vector<block::BlockId> IdsOf(const Workload& workload) {
  std::vector<block::BlockId> ids;
  for (const auto& [id, value] : workload.blocks()) {
    ids.push_back(id);
  }
  return ids;
}

Status BuildRepoGetFixture(EngineKind kind, RepoGetFixture& fixture) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(fixture.engine, BenchEngine::Open(kind, Durability::kNoSync));
  fixture.repo =
      std::make_unique<Repository>(fixture.engine->engine(), RepositoryOptions{.sync = false});
  Workload workload(kGetBlocks);
  for (size_t i = 0; i < kGetBlocks / kBlocksPerTransaction; ++i) {
    OPTIMYSTIC_RETURN_IF_ERROR(CommitTransaction(*fixture.repo, workload.Next()));
  }
  fixture.ids = IdsOf(workload);
  return Status::Ok();
}

Status BuildRawEngineGetFixture(EngineKind kind, RawEngineGetFixture& fixture) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(fixture.engine, BenchEngine::Open(kind, Durability::kNoSync));
  Workload workload(kGetBlocks);
  for (size_t i = 0; i < kGetBlocks / kBlocksPerTransaction; ++i) {
    OPTIMYSTIC_RETURN_IF_ERROR(
        fixture.engine->engine().Write(EncodedBatch(workload.Next()), storage::WriteOptions{}));
  }
  fixture.ids = IdsOf(workload);
  return Status::Ok();
}

Status BuildRawRocksDbGetFixture(RawRocksDbGetFixture& fixture) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(fixture.raw, RawRocksDb::Open());
  Workload workload(kGetBlocks);
  for (size_t i = 0; i < kGetBlocks / kBlocksPerTransaction; ++i) {
    const Transaction& txn = workload.Next();
    rocksdb::WriteBatch batch;
    for (size_t j = 0; j < txn.block_ids.size(); ++j) {
      batch.Put(txn.block_ids[j], block::EncodeBlock(*txn.blocks[j]));
    }
    if (rocksdb::Status s = fixture.raw->db().Write(rocksdb::WriteOptions(), &batch); !s.ok()) {
      return Status::IOError("raw rocksdb populate: " + s.ToString());
    }
  }
  fixture.ids = IdsOf(workload);
  return Status::Ok();
}

// One iteration: Get of one block at latest (no context) from the repository.
void BM_RepoGet(benchmark::State& state, EngineKind kind, RepoGetFixture& fixture) {
  if (!fixture.repo) {
    if (Status s = BuildRepoGetFixture(kind, fixture); !s.ok()) {
      fixture.repo.reset();
      return Skip(state, s);
    }
  }
  storage::StorageEngine& engine = fixture.engine->engine();
  const storage::StorageStats before = engine.Stats();
  size_t i = 0;
  for (auto _ : state) {
    transactor::BlockGets gets;
    gets.block_ids.push_back(fixture.ids[(i++ * kGetStride) % fixture.ids.size()]);
    Result<transactor::GetBlockResults> got = fixture.repo->Get(gets);
    if (!got || got->empty() || !got->begin()->second.block) {
      Skip(state, got ? Status::NotFound("block " + gets.block_ids[0]) : got.error());
      break;
    }
    benchmark::DoNotOptimize(got);
  }
  SetReadCounters(state, before, engine.Stats());
}

// One iteration: engine Get of one block's encoded bytes, and DecodeBlock of them.
void BM_RawEngineGet(benchmark::State& state, EngineKind kind, RawEngineGetFixture& fixture) {
  if (!fixture.engine) {
    if (Status s = BuildRawEngineGetFixture(kind, fixture); !s.ok()) {
      fixture.engine.reset();
      return Skip(state, s);
    }
  }
  storage::StorageEngine& engine = fixture.engine->engine();
  const storage::StorageStats before = engine.Stats();
  size_t i = 0;
  for (auto _ : state) {
    const block::BlockId& id = fixture.ids[(i++ * kGetStride) % fixture.ids.size()];
    Result<std::string> bytes = engine.Get(id);
    if (!bytes) {
      Skip(state, bytes.error());
      break;
    }
    Result<block::Value> value = block::DecodeBlock(*bytes);
    if (!value) {
      Skip(state, value.error());
      break;
    }
    benchmark::DoNotOptimize(value);
  }
  SetReadCounters(state, before, engine.Stats());
}

// One iteration: rocksdb::DB::Get of one block's encoded bytes, and DecodeBlock of them.
void BM_RawRocksDbGet(benchmark::State& state, RawRocksDbGetFixture& fixture) {
  if (!fixture.raw) {
    if (Status s = BuildRawRocksDbGetFixture(fixture); !s.ok()) {
      fixture.raw.reset();
      return Skip(state, s);
    }
  }
  rocksdb::DB& db = fixture.raw->db();
  const rocksdb::ReadOptions options;
  std::string bytes;
  size_t i = 0;
  for (auto _ : state) {
    const block::BlockId& id = fixture.ids[(i++ * kGetStride) % fixture.ids.size()];
    if (rocksdb::Status s = db.Get(options, id, &bytes); !s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    Result<block::Value> value = block::DecodeBlock(bytes);
    if (!value) {
      Skip(state, value.error());
      break;
    }
    benchmark::DoNotOptimize(value);
  }
}

// The get benchmarks' data, owned by main so that it outlives every run and its directories
// are removed at exit.
struct GetFixtures {
  RepoGetFixture repo[3];
  RawEngineGetFixture raw_memory;
  RawEngineGetFixture raw_file;
  RawRocksDbGetFixture raw_rocksdb;
};

constexpr EngineKind kEngines[] = {EngineKind::kMemory, EngineKind::kFile, EngineKind::kRocksDb};

std::vector<benchmark::internal::Benchmark*> RegisterAll(GetFixtures& fixtures) {
  std::vector<benchmark::internal::Benchmark*> all;
  for (EngineKind kind : kEngines) {
    const std::string name = "BM_RepoCommit10/" + std::string(EngineName(kind));
    all.push_back(benchmark::RegisterBenchmark(name.c_str(), BM_RepoCommit10, kind));
  }
  all.push_back(benchmark::RegisterBenchmark("BM_RawRocksDbBatch10", BM_RawRocksDbBatch10));
  all.push_back(benchmark::RegisterBenchmark("BM_RawMemoryBatch10", BM_RawEngineBatch10,
                                             EngineKind::kMemory));
  all.push_back(
      benchmark::RegisterBenchmark("BM_RawFileBatch10", BM_RawEngineBatch10, EngineKind::kFile));
  for (size_t k = 0; k < std::size(kEngines); ++k) {
    const std::string name = "BM_RepoGet/" + std::string(EngineName(kEngines[k]));
    all.push_back(benchmark::RegisterBenchmark(name.c_str(), BM_RepoGet, kEngines[k],
                                               std::ref(fixtures.repo[k])));
  }
  all.push_back(benchmark::RegisterBenchmark("BM_RawRocksDbGet", BM_RawRocksDbGet,
                                             std::ref(fixtures.raw_rocksdb)));
  all.push_back(benchmark::RegisterBenchmark("BM_RawMemoryGet", BM_RawEngineGet,
                                             EngineKind::kMemory, std::ref(fixtures.raw_memory)));
  all.push_back(benchmark::RegisterBenchmark("BM_RawFileGet", BM_RawEngineGet, EngineKind::kFile,
                                             std::ref(fixtures.raw_file)));
  for (benchmark::internal::Benchmark* b : all) {
    b->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
  for (benchmark::internal::Benchmark* b : RegisterTransportBenchmarks()) {
    all.push_back(b);
  }
  return all;
}

std::vector<RatioRow> Ratios() {
  std::vector<RatioRow> rows = {
      {"commit10 memory", "BM_RepoCommit10/memory", "BM_RawMemoryBatch10", "raw memory"},
      {"commit10 file(sync)", "BM_RepoCommit10/file", "BM_RawRocksDbBatch10", "raw rocksdb(sync)"},
      {"commit10 rocksdb(sync)", "BM_RepoCommit10/rocksdb", "BM_RawRocksDbBatch10",
       "raw rocksdb(sync)"},
      {"commit10 file(sync)", "BM_RepoCommit10/file", "BM_RawFileBatch10", "raw file(sync)"},
      {"batch10 raw file(sync)", "BM_RawFileBatch10", "BM_RawRocksDbBatch10", "raw rocksdb(sync)"},
      {"get memory", "BM_RepoGet/memory", "BM_RawMemoryGet", "raw memory"},
      {"get file", "BM_RepoGet/file", "BM_RawRocksDbGet", "raw rocksdb"},
      {"get rocksdb", "BM_RepoGet/rocksdb", "BM_RawRocksDbGet", "raw rocksdb"},
      {"get file", "BM_RepoGet/file", "BM_RawFileGet", "raw file"},
  };
  for (RatioRow& row : TransportRatios()) {
    rows.push_back(std::move(row));
  }
  return rows;
}

constexpr size_t kQuickBTreeEntries = 100'000;
// --quick is also the bench smoke test's size (tests/tools/bench): the tree scenario once, tiny.
constexpr size_t kQuickTreeCommits = 5;

void PrintHelp() {
  std::printf(
      "optimystic-bench [--quick] [--btree-entries=N] [--tree-commits=N] [Google Benchmark "
      "flags]\n"
      "  --quick              a short minimum time per benchmark (%g s), %zu B+tree\n"
      "                       entries and %zu tree commits, so that the whole run takes\n"
      "                       well under a minute\n"
      "  --btree-entries=N    keys the B+tree and std::map benchmarks insert, look up and\n"
      "                       scan (default 1000000)\n"
      "  --tree-commits=N     act+sync calls (and raw batches) per tree collection\n"
      "                       benchmark run (default %zu)\n"
      "Temporary data goes to $TMPDIR (default /tmp) and is removed at exit.\n\n",
      kQuickMinTimeSeconds, kQuickBTreeEntries, kQuickTreeCommits,
      TreeCollectionBenchOptions{}.commits);
  benchmark::PrintDefaultHelp();
}

struct OwnFlags {
  bool quick = false;
  std::optional<size_t> btree_entries;
  std::optional<size_t> tree_commits;
  std::string error;  // set when a flag of ours is malformed
};

// The positive integer of `--name=N` in `arg` into `out`; false when `arg` is another flag.
bool TakeCount(std::string_view arg, std::string_view flag, std::optional<size_t>& out,
               std::string& error) {
  if (arg.substr(0, flag.size()) != flag) {
    return false;
  }
  const std::string value(arg.substr(flag.size()));
  char* end = nullptr;
  const unsigned long long n = std::strtoull(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n == 0) {
    error = std::string(flag.substr(0, flag.size() - 1)) + ": expected a positive integer, got '" +
            value + "'";
  }
  out = static_cast<size_t>(n);
  return true;
}

// Removes our own flags from argv.
OwnFlags TakeOwnFlags(int& argc, char** argv) {
  OwnFlags flags;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--quick") {
      flags.quick = true;
    } else if (!TakeCount(arg, "--btree-entries=", flags.btree_entries, flags.error) &&
               !TakeCount(arg, "--tree-commits=", flags.tree_commits, flags.error)) {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  argv[argc] = nullptr;
  return flags;
}

// The table goes to stdout after console output, to stderr when stdout carries JSON or CSV.
std::FILE* RatioStream(int argc, char** argv) {
  constexpr std::string_view kFormat = "--benchmark_format=";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kFormat.size()) == kFormat && arg.substr(kFormat.size()) != "console") {
      return stderr;
    }
  }
  return stdout;
}

int Main(int argc, char** argv) {
  const OwnFlags flags = TakeOwnFlags(argc, argv);
  if (!flags.error.empty()) {
    std::fprintf(stderr, "optimystic-bench: %s\n", flags.error.c_str());
    return 2;
  }
  std::FILE* ratio_stream = RatioStream(argc, argv);  // before Initialize consumes the flags
  GetFixtures fixtures;
  for (benchmark::internal::Benchmark* b : RegisterAll(fixtures)) {
    if (flags.quick) {
      b->MinTime(kQuickMinTimeSeconds);
    }
  }
  BTreeBenchmarks btree({.entries = flags.btree_entries.value_or(
                             flags.quick ? kQuickBTreeEntries : BTreeBenchOptions{}.entries)});
  btree.Register();
  TreeCollectionBenchmarks tree(
      {.commits = flags.tree_commits.value_or(flags.quick ? kQuickTreeCommits
                                                          : TreeCollectionBenchOptions{}.commits)});
  tree.Register();
  benchmark::Initialize(&argc, argv, PrintHelp);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
    return 1;
  }
  RatioReporter reporter(*benchmark::CreateDefaultDisplayReporter());
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::vector<RatioRow> rows = Ratios();
  for (RatioRow& row : BTreeBenchmarks::Ratios()) rows.push_back(std::move(row));
  for (RatioRow& row : TreeCollectionBenchmarks::Ratios()) rows.push_back(std::move(row));
  reporter.PrintRatios(rows, ratio_stream);
  tree.PrintBreakdown(ratio_stream);
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace optimystic::bench

int main(int argc, char** argv) { return optimystic::bench::Main(argc, argv); }
