// SPDX-License-Identifier: Apache-2.0
#include "bench_tree_collection.h"

#include <optimystic/base/result.h>
#include <optimystic/base/seeded_random.h>
#include <optimystic/base/status.h>
#include <optimystic/block/value.h>
#include <optimystic/collections/action.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transactor/transactor.h>

#include "base/system_clock.h"
#include "bench_engines.h"
#include "collections/tree/tree_collection_type.h"
#include "core/collection/collection.h"
#include "core/collection/latch_table.h"
#include "core/repository/repository.h"
#include "cluster/membership/membership.h"
#include "cluster/network/membership_network.h"
#include "cluster/network/network_transactor.h"
#include "cluster/network/peer_repo.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <utility>

namespace optimystic::bench {
namespace {

using block::Value;

constexpr size_t kBatchSizes[] = {1, 10, 100};
constexpr size_t kEntryPayloadBytes = 100;
constexpr uint64_t kSeed = 20260601;
constexpr const char* kCollectionId = "bench-tree";

// ---- The entries -----------------------------------------------------------------------------

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Entry i: key "k" + 16 hex digits of a bijective mix of i (distinct keys in no order), entry
// {"name", "n", "payload"} with a 100-character payload. About 150 bytes of JSON per entry. The
// same every run, and the same on both sides of a pair.
class EntryStream {
 public:
  struct Entry {
    std::string key;
    Value entry;
  };

  EntryStream() {
    std::string payload(kEntryPayloadBytes, 'a');
    for (size_t p = 0; p < payloads_.size(); ++p) {
      for (size_t c = 0; c < payload.size(); ++c) {
        payload[c] = static_cast<char>('a' + (SplitMix64(p * 131 + c) % 26));
      }
      payloads_[p] = payload;
    }
  }

  std::vector<Entry> Next(size_t n) {
    std::vector<Entry> out;
    out.reserve(n);
    for (size_t k = 0; k < n; ++k, ++next_) {
      char key[24];
      std::snprintf(key, sizeof(key), "k%016" PRIx64, SplitMix64(next_ ^ kSeed));
      out.push_back(Entry{key, Value{{"name", "entry-" + std::to_string(next_)},
                                     {"n", next_},
                                     {"payload", payloads_[next_ % payloads_.size()]}}});
    }
    return out;
  }

 private:
  std::array<std::string, 16> payloads_;
  uint64_t next_ = 0;
};

// The Tree "replace" action upserting `entries`: data [[key, entry], ...].
collections::Action ReplaceAction(std::vector<EntryStream::Entry> entries) {
  Value data = Value::array();
  for (EntryStream::Entry& e : entries) {
    data.push_back(Value::array({std::move(e.key), std::move(e.entry)}));
  }
  return collections::Action{std::string(plugins::collection_tree::kReplaceAction), std::move(data),
                             std::nullopt, 0};
}

// ---- Where a commit's cost goes ----------------------------------------------------------------

// Exclusive steady-clock sections: time goes to the innermost open section.
enum class Section : uint8_t {
  kEngine = 0,  // the collection engine itself: log append, staging, cache, (de)serialization
  kApply,       // the tree type's ValidateAction/ApplyAction: the B+tree work
  kGet,         // transactor Get/GetStatus: repository reads (and read-driven promotion)
  kPend,        // the repository's pend work, engine writes excluded
  kCommit,      // transactor + repository commit work, engine writes excluded
  kWrite,       // StorageEngine::Write: RocksDB WriteBatch and WAL fsync
  kCount,
};
constexpr size_t kSections = static_cast<size_t>(Section::kCount);

// Which step of a commit made an engine write.
enum class WriteKind : uint8_t {
  kPend = 0,   // the pend of every touched block
  kCommit,     // the transactor's first commit write: every block in one batch
  kFallback,   // later commit writes: the log-first sequence after a block refused
  kPromotion,  // a write during a get (read-driven promotion)
  kOther,
  kCount,
};
constexpr size_t kWriteKinds = static_cast<size_t>(WriteKind::kCount);

// Totals over the measured commits of one or more runs.
struct CommitCosts {
  uint64_t commits = 0;
  uint64_t entries = 0;
  std::array<int64_t, kSections> section_ns{};
  std::array<uint64_t, kWriteKinds> writes{};
  std::array<uint64_t, kWriteKinds> synced{};  // writes that reached stable storage (fsync)
  std::array<uint64_t, kWriteKinds> bytes{};
  std::array<int64_t, kWriteKinds> write_ns{};
  uint64_t engine_gets = 0;
  uint64_t engine_scans = 0;

  void Add(const CommitCosts& other) {
    commits += other.commits;
    entries += other.entries;
    for (size_t i = 0; i < kSections; ++i) section_ns[i] += other.section_ns[i];
    for (size_t i = 0; i < kWriteKinds; ++i) {
      writes[i] += other.writes[i];
      synced[i] += other.synced[i];
      bytes[i] += other.bytes[i];
      write_ns[i] += other.write_ns[i];
    }
    engine_gets += other.engine_gets;
    engine_scans += other.engine_scans;
  }
  uint64_t TotalWrites() const {
    uint64_t n = 0;
    for (uint64_t w : writes) n += w;
    return n;
  }
  uint64_t TotalSynced() const {
    uint64_t n = 0;
    for (uint64_t w : synced) n += w;
    return n;
  }
  uint64_t TotalBytes() const {
    uint64_t n = 0;
    for (uint64_t b : bytes) n += b;
    return n;
  }
};

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The probe the decorators share: the open sections, the commit step in progress, the totals.
// Recording is off (calls pass through uncounted) until Start, so set-up work is left out.
class CostProbe {
 public:
  class Scope {
   public:
    Scope(CostProbe& probe, Section section) : probe_(probe) { probe_.Enter(section); }
    ~Scope() { probe_.Leave(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CostProbe& probe_;
  };

  void Start() {
    costs_ = CommitCosts{};
    recording_ = true;
  }
  void Stop() { recording_ = false; }
  CommitCosts& costs() { return costs_; }

  // The transactor first commits every block in one batch and only after a refusal goes
  // log-first block group by block group (local_transactor.h); the n-th engine write of a commit
  // is classified by that order.
  void BeginCommit() { commit_writes_ = 0; }

  // Called by the storage decorator around an engine write; `synced` when it was fsynced.
  void RecordWrite(uint64_t bytes, int64_t ns, bool synced) {
    if (!recording_) return;
    const WriteKind kind = Classify();
    const size_t k = static_cast<size_t>(kind);
    costs_.writes[k] += 1;
    costs_.synced[k] += synced ? 1 : 0;
    costs_.bytes[k] += bytes;
    costs_.write_ns[k] += ns;
  }
  void RecordGet() { costs_.engine_gets += recording_ ? 1 : 0; }
  void RecordScan() { costs_.engine_scans += recording_ ? 1 : 0; }

 private:
  void Enter(Section section) {
    Charge();
    stack_.push_back(section);
  }
  void Leave() {
    Charge();
    stack_.pop_back();
  }
  void Charge() {
    const int64_t now = SteadyNowNs();
    if (recording_ && !stack_.empty()) {
      costs_.section_ns[static_cast<size_t>(stack_.back())] += now - last_ns_;
    }
    last_ns_ = now;
  }
  // The section the write happens in: the one below kWrite.
  Section Parent() const {
    return stack_.size() >= 2 ? stack_[stack_.size() - 2] : Section::kEngine;
  }
  WriteKind Classify() {
    switch (Parent()) {
      case Section::kPend:
        return WriteKind::kPend;
      case Section::kGet:
        return WriteKind::kPromotion;
      case Section::kCommit:
        return commit_writes_++ == 0 ? WriteKind::kCommit : WriteKind::kFallback;
      default:
        return WriteKind::kOther;
    }
  }

  bool recording_ = false;
  std::vector<Section> stack_;
  int64_t last_ns_ = 0;
  size_t commit_writes_ = 0;
  CommitCosts costs_;
};

// A StorageEngine decorator that times and counts what goes through to the real engine.
class CountingEngine final : public storage::StorageEngine {
 public:
  // `sync_all`: the engine syncs every write, whatever WriteOptions says (its `sync` setting).
  CountingEngine(storage::StorageEngine& inner, CostProbe& probe, bool sync_all)
      : inner_(inner), probe_(probe), sync_all_(sync_all) {}

  Result<std::string> Get(std::string_view key) noexcept override {
    probe_.RecordGet();
    return inner_.Get(key);
  }
  Status Scan(const storage::ScanRange& range, storage::ScanSink& sink) noexcept override {
    probe_.RecordScan();
    return inner_.Scan(range, sink);
  }
  Status Write(const storage::WriteBatch& batch,
               const storage::WriteOptions& options) noexcept override {
    uint64_t bytes = 0;
    for (const storage::WriteBatch::Op& op : batch.ops()) bytes += op.key.size() + op.value.size();
    const CostProbe::Scope scope(probe_, Section::kWrite);
    const int64_t start = SteadyNowNs();
    Status status = inner_.Write(batch, options);
    probe_.RecordWrite(bytes, SteadyNowNs() - start, sync_all_ || options.sync);
    return status;
  }
  Status Flush() noexcept override { return inner_.Flush(); }
  Status Close() noexcept override { return inner_.Close(); }
  storage::StorageStats Stats() const noexcept override { return inner_.Stats(); }

 private:
  storage::StorageEngine& inner_;
  CostProbe& probe_;
  bool sync_all_;
};

// A Transactor decorator that opens the get, pend and commit sections.
class TimedTransactor final : public transactor::Transactor {
 public:
  TimedTransactor(transactor::Transactor& inner, CostProbe& probe) : inner_(inner), probe_(probe) {}

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override {
    const CostProbe::Scope scope(probe_, Section::kGet);
    return inner_.Get(gets);
  }
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) override {
    const CostProbe::Scope scope(probe_, Section::kGet);
    return inner_.GetStatus(actions);
  }
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override {
    const CostProbe::Scope scope(probe_, Section::kPend);
    return inner_.Pend(request);
  }
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override {
    const CostProbe::Scope scope(probe_, Section::kCommit);
    probe_.BeginCommit();
    return inner_.Commit(request);
  }
  Status Cancel(const transactor::ActionBlocks& actions) override {
    const CostProbe::Scope scope(probe_, Section::kPend);
    return inner_.Cancel(actions);
  }

 private:
  transactor::Transactor& inner_;
  CostProbe& probe_;
};

// A CollectionType decorator that opens the apply section around the type's action work.
class TimedType final : public collections::CollectionType {
 public:
  TimedType(const collections::CollectionType& inner, CostProbe& probe)
      : inner_(inner), probe_(probe) {}

  std::string_view name() const noexcept override { return inner_.name(); }
  std::string_view header_block_type() const noexcept override {
    return inner_.header_block_type();
  }
  std::string_view default_resolver() const noexcept override { return inner_.default_resolver(); }
  Result<Value> CreateHeaderBlock(const block::BlockId& id,
                                  block::BlockStore& store) const noexcept override {
    const CostProbe::Scope scope(probe_, Section::kApply);
    return inner_.CreateHeaderBlock(id, store);
  }
  Status ValidateAction(const collections::Action& action) const noexcept override {
    const CostProbe::Scope scope(probe_, Section::kApply);
    return inner_.ValidateAction(action);
  }
  Status ApplyAction(const collections::Action& action, const block::BlockId& id,
                     block::BlockStore& store) const noexcept override {
    const CostProbe::Scope scope(probe_, Section::kApply);
    return inner_.ApplyAction(action, id, store);
  }
  bool Overlaps(const collections::Action& local,
                const collections::Action& remote) const noexcept override {
    return inner_.Overlaps(local, remote);
  }
  std::vector<std::string> query_names() const override { return inner_.query_names(); }
  Result<Value> Query(std::string_view name, const Value& args,
                      collections::CollectionReader& reader) const noexcept override {
    return inner_.Query(name, args, reader);
  }

 private:
  const collections::CollectionType& inner_;
  CostProbe& probe_;  // the const methods record into it
};

// ---- The benchmarks ----------------------------------------------------------------------------

// What the raw side wrote, over its runs.
struct RawCosts {
  uint64_t commits = 0;
  uint64_t bytes = 0;
};

// How durability is configured on the engine side.
enum class SyncMode : uint8_t {
  // The node's default (config/optimystic.yaml): rocksdb `sync: false`, the repository syncs
  // every commit and leaves pends to the next synced write (repository.h).
  kRepository = 0,
  // rocksdb `sync: true`: every write batch is fsynced, pends too.
  kEveryWrite = 1,
};

struct Results {
  std::map<std::pair<SyncMode, size_t>, CommitCosts> engine;  // by mode and batch size
  std::map<size_t, RawCosts> raw;
};

// The collection stack of one run, bottom to top.
struct TreeStack {
  std::unique_ptr<BenchEngine> rocksdb;
  CostProbe probe;
  std::unique_ptr<CountingEngine> counting;
  std::unique_ptr<core::repository::Repository> repository;
  // What a node without seeds runs: its membership of one and the NetworkTransactor over it.
  std::unique_ptr<cluster::network::LocalPeerRepo> local_repo;
  std::unique_ptr<cluster::membership::Membership> membership;
  std::unique_ptr<cluster::network::MembershipNetwork> network;
  std::unique_ptr<cluster::network::NetworkTransactor> local;
  std::unique_ptr<TimedTransactor> transactor;
  plugins::collection_tree::TreeCollectionType tree;
  std::unique_ptr<TimedType> type;
  base::SystemClock clock;
  base::SeededRandom random{kSeed};
  core::collection::LatchTable latches;
  std::unique_ptr<core::collection::Collection> collection;
};

Status OpenTreeStack(TreeStack& s, SyncMode mode) {
  const bool sync_all = mode == SyncMode::kEveryWrite;
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      s.rocksdb,
      BenchEngine::Open(EngineKind::kRocksDb, sync_all ? Durability::kSync : Durability::kNoSync));
  s.counting = std::make_unique<CountingEngine>(s.rocksdb->engine(), s.probe, sync_all);
  s.repository = std::make_unique<core::repository::Repository>(
      *s.counting, core::repository::RepositoryOptions{.sync = true});
  s.local_repo = std::make_unique<cluster::network::LocalPeerRepo>(*s.repository);
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      s.membership, cluster::membership::Membership::Create(
                        cluster::wire::PeerInfo{"bench", "", ""}, {}, s.clock));
  s.network = std::make_unique<cluster::network::MembershipNetwork>(
      *s.membership, *s.local_repo, nullptr, cluster::wire::CallOptions{});
  s.local = std::make_unique<cluster::network::NetworkTransactor>(*s.network);
  s.transactor = std::make_unique<TimedTransactor>(*s.local, s.probe);
  s.type = std::make_unique<TimedType>(s.tree, s.probe);
  core::collection::CollectionServices services;
  services.clock = &s.clock;
  services.random = &s.random;
  services.latches = &s.latches;
  services.sleep_ms = [](int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      s.collection, core::collection::Collection::CreateOrOpen(*s.transactor, *s.type, nullptr,
                                                               kCollectionId, std::move(services)));
  return Status::Ok();
}

// Per-commit means as benchmark counters (they also go to --benchmark_out).
void SetCommitCounters(benchmark::State& state, const CommitCosts& costs) {
  const double commits = static_cast<double>(std::max<uint64_t>(costs.commits, 1));
  state.counters["writes"] = static_cast<double>(costs.TotalWrites()) / commits;
  state.counters["synced_writes"] = static_cast<double>(costs.TotalSynced()) / commits;
  state.counters["bytes_written"] = static_cast<double>(costs.TotalBytes()) / commits;
}

// One iteration: ActAndSync of one replace action of `batch` new entries.
void BM_TreeActSync(benchmark::State& state, SyncMode mode, size_t batch, Results& results) {
  TreeStack stack;
  if (Status s = OpenTreeStack(stack, mode); !s.ok()) {
    return state.SkipWithError(s.ToString().c_str());
  }
  core::collection::Collection& collection = *stack.collection;
  EntryStream entries;
  // The first sync creates the collection (header, log, root leaf): not a steady-state insert.
  if (Status s = collection.ActAndSync({ReplaceAction(entries.Next(batch))}); !s.ok()) {
    return state.SkipWithError(("warm-up: " + s.ToString()).c_str());
  }
  stack.probe.Start();
  for (auto _ : state) {
    std::vector<collections::Action> actions;
    {
      // The entries are generated inside the timed loop on both sides; charge them to no one.
      actions.push_back(ReplaceAction(entries.Next(batch)));
    }
    Status s;
    {
      const CostProbe::Scope scope(stack.probe, Section::kEngine);
      s = collection.ActAndSync(std::move(actions));
    }
    if (!s.ok()) {
      stack.probe.Stop();
      return state.SkipWithError(s.ToString().c_str());
    }
  }
  stack.probe.Stop();
  CommitCosts& costs = stack.probe.costs();
  costs.commits = state.iterations();
  costs.entries = state.iterations() * batch;
  // Every insert must have landed (untimed).
  Result<Value> count = collection.Query("count", Value::object());
  const uint64_t expected = (state.iterations() + 1) * batch;
  if (!count || !count->is_number_integer() || count->get<uint64_t>() != expected) {
    const std::string got = count ? count->dump() : count.error().ToString();
    return state.SkipWithError(
        ("tree count: expected " + std::to_string(expected) + ", got " + got).c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(costs.entries));
  SetCommitCounters(state, costs);
  results.engine[{mode, batch}].Add(costs);
}

// One iteration: one rocksdb::WriteBatch of `batch` puts (key, entry JSON), written with sync.
void BM_RawRocksDbTreeBatch(benchmark::State& state, size_t batch, Results& results) {
  auto opened = RawRocksDb::Open();
  if (!opened) {
    return state.SkipWithError(opened.error().ToString().c_str());
  }
  rocksdb::DB& db = (*opened)->db();
  rocksdb::WriteOptions options;
  options.sync = true;
  EntryStream entries;
  // The same warm-up batch as the engine side, so that both write the same entries.
  auto write = [&](std::vector<EntryStream::Entry> next, uint64_t& bytes) {
    rocksdb::WriteBatch wb;
    for (const EntryStream::Entry& e : next) {
      const std::string value = e.entry.dump();
      bytes += e.key.size() + value.size();
      wb.Put(e.key, value);
    }
    return db.Write(options, &wb);
  };
  uint64_t bytes = 0;
  if (rocksdb::Status s = write(entries.Next(batch), bytes); !s.ok()) {
    return state.SkipWithError(("warm-up: " + s.ToString()).c_str());
  }
  bytes = 0;
  for (auto _ : state) {
    if (rocksdb::Status s = write(entries.Next(batch), bytes); !s.ok()) {
      return state.SkipWithError(s.ToString().c_str());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.counters["writes"] = 1;
  state.counters["synced_writes"] = 1;
  state.counters["bytes_written"] =
      static_cast<double>(bytes) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
  RawCosts& raw = results.raw[batch];
  raw.commits += state.iterations();
  raw.bytes += bytes;
}

std::string EngineName(SyncMode mode, size_t batch) {
  return std::string(mode == SyncMode::kRepository ? "BM_TreeActSync/" : "BM_TreeActSyncAll/") +
         std::to_string(batch);
}
const char* ModeName(SyncMode mode) {
  return mode == SyncMode::kRepository ? "rocksdb sync:false, repository syncs commits"
                                       : "rocksdb sync:true, every write synced";
}
constexpr SyncMode kModes[] = {SyncMode::kRepository, SyncMode::kEveryWrite};
std::string RawName(size_t batch) { return "BM_RawRocksDbTreeBatch/" + std::to_string(batch); }

// "812 B", "43.1 KB" (10^3).
std::string FormatBytes(double bytes) {
  char buffer[32];
  if (bytes < 1e3) {
    std::snprintf(buffer, sizeof(buffer), "%.0f B", bytes);
  } else if (bytes < 1e6) {
    std::snprintf(buffer, sizeof(buffer), "%.1f KB", bytes / 1e3);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.2f MB", bytes / 1e6);
  }
  return buffer;
}

}  // namespace

struct TreeCollectionBenchmarks::Data {
  TreeCollectionBenchOptions options;
  Results results;
};

TreeCollectionBenchmarks::TreeCollectionBenchmarks(TreeCollectionBenchOptions options)
    : data_(std::make_unique<Data>(Data{options, {}})) {}
TreeCollectionBenchmarks::~TreeCollectionBenchmarks() = default;

std::vector<benchmark::internal::Benchmark*> TreeCollectionBenchmarks::Register() {
  std::vector<benchmark::internal::Benchmark*> all;
  for (size_t batch : kBatchSizes) {
    for (SyncMode mode : kModes) {
      all.push_back(benchmark::RegisterBenchmark(EngineName(mode, batch).c_str(), BM_TreeActSync,
                                                 mode, batch, std::ref(data_->results)));
    }
    all.push_back(benchmark::RegisterBenchmark(RawName(batch).c_str(), BM_RawRocksDbTreeBatch,
                                               batch, std::ref(data_->results)));
  }
  const auto iterations = static_cast<benchmark::IterationCount>(data_->options.commits);
  for (benchmark::internal::Benchmark* b : all) {
    b->Iterations(iterations)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  return all;
}

std::vector<RatioRow> TreeCollectionBenchmarks::Ratios() {
  std::vector<RatioRow> rows;
  for (size_t batch : kBatchSizes) {
    rows.push_back(RatioRow{"tree act+sync batch" + std::to_string(batch) + " node default",
                            EngineName(SyncMode::kRepository, batch), RawName(batch),
                            "raw rocksdb(sync)", static_cast<double>(batch), "entries/s"});
    rows.push_back(RatioRow{"tree act+sync batch" + std::to_string(batch) + " rocksdb sync:true",
                            EngineName(SyncMode::kEveryWrite, batch), RawName(batch),
                            "raw rocksdb(sync)", static_cast<double>(batch), "entries/s"});
  }
  return rows;
}

void TreeCollectionBenchmarks::PrintBreakdown(std::FILE* out) const {
  const Results& results = data_->results;
  if (results.engine.empty()) return;
  std::fprintf(out,
               "\nTree act+sync per-commit cost (rocksdb; mean per commit; time from "
               "exclusive steady-clock sections)\n");
  for (const auto& [key, c] : results.engine) {
    const auto& [mode, batch] = key;
    const double n = static_cast<double>(std::max<uint64_t>(c.commits, 1));
    auto per = [n](double total) { return total / n; };
    auto ms = [n](int64_t ns) { return static_cast<double>(ns) / n / 1e6; };
    auto kind = [](WriteKind k) { return static_cast<size_t>(k); };
    int64_t total_ns = 0;
    for (int64_t ns : c.section_ns) total_ns += ns;
    auto share = [total_ns](int64_t ns) {
      return total_ns > 0 ? 100.0 * static_cast<double>(ns) / static_cast<double>(total_ns) : 0.0;
    };
    auto section = [&c](Section s) { return c.section_ns[static_cast<size_t>(s)]; };
    std::fprintf(out, "batch %zu, %s (%" PRIu64 " commits, %" PRIu64 " entries):\n", batch,
                 ModeName(mode), c.commits, c.entries);
    auto counts = [&](const std::array<uint64_t, kWriteKinds>& w) {
      char line[160];
      std::snprintf(line, sizeof(line),
                    "%.2f: pend %.2f, commit %.2f, fallback %.2f, promotion %.2f, other %.2f",
                    per(static_cast<double>(w[0] + w[1] + w[2] + w[3] + w[4])),
                    per(static_cast<double>(w[kind(WriteKind::kPend)])),
                    per(static_cast<double>(w[kind(WriteKind::kCommit)])),
                    per(static_cast<double>(w[kind(WriteKind::kFallback)])),
                    per(static_cast<double>(w[kind(WriteKind::kPromotion)])),
                    per(static_cast<double>(w[kind(WriteKind::kOther)])));
      return std::string(line);
    };
    std::fprintf(out, "  writes %s\n  synced %s\n", counts(c.writes).c_str(),
                 counts(c.synced).c_str());
    std::fprintf(out, "  bytes written %s: pend %s, commit %s, fallback %s, other %s",
                 FormatBytes(per(static_cast<double>(c.TotalBytes()))).c_str(),
                 FormatBytes(per(static_cast<double>(c.bytes[kind(WriteKind::kPend)]))).c_str(),
                 FormatBytes(per(static_cast<double>(c.bytes[kind(WriteKind::kCommit)]))).c_str(),
                 FormatBytes(per(static_cast<double>(c.bytes[kind(WriteKind::kFallback)]))).c_str(),
                 FormatBytes(per(static_cast<double>(c.bytes[kind(WriteKind::kPromotion)] +
                                                     c.bytes[kind(WriteKind::kOther)])))
                     .c_str());
    if (auto raw = results.raw.find(batch); raw != results.raw.end() && raw->second.commits > 0) {
      std::fprintf(out, " (raw batch: 1 write, %s)",
                   FormatBytes(static_cast<double>(raw->second.bytes) /
                               static_cast<double>(raw->second.commits))
                       .c_str());
    }
    std::fprintf(out, "; engine gets %.1f, scans %.1f\n", per(static_cast<double>(c.engine_gets)),
                 per(static_cast<double>(c.engine_scans)));
    std::fprintf(out,
                 "  time %.3f ms: rocksdb write+fsync %.3f (%.0f%%; pend %.3f, commit %.3f, "
                 "fallback %.3f), pend %.3f (%.0f%%), commit %.3f (%.0f%%), get %.3f (%.0f%%), "
                 "B+tree apply %.3f (%.0f%%), engine incl. log append %.3f (%.0f%%)\n",
                 ms(total_ns), ms(section(Section::kWrite)), share(section(Section::kWrite)),
                 ms(c.write_ns[kind(WriteKind::kPend)]), ms(c.write_ns[kind(WriteKind::kCommit)]),
                 ms(c.write_ns[kind(WriteKind::kFallback)]), ms(section(Section::kPend)),
                 share(section(Section::kPend)), ms(section(Section::kCommit)),
                 share(section(Section::kCommit)), ms(section(Section::kGet)),
                 share(section(Section::kGet)), ms(section(Section::kApply)),
                 share(section(Section::kApply)), ms(section(Section::kEngine)),
                 share(section(Section::kEngine)));
  }
  std::fflush(out);
}

}  // namespace optimystic::bench
