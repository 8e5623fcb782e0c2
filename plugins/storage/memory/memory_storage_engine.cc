// SPDX-License-Identifier: Apache-2.0
#include "storage/memory/memory_storage_engine.h"

#include <cstdio>
#include <mutex>
#include <utility>
#include <vector>

namespace optimystic::plugins::storage_memory {
namespace {

using storage::ScanDirection;
using storage::ScanRange;
using storage::WriteBatch;
using Entries = std::vector<std::pair<std::string, std::string>>;

// A key as it appears in messages: printable ASCII as is, other bytes as \xNN, at most 64 bytes.
std::string KeyForMessage(std::string_view key) {
  constexpr size_t kMaxShown = 64;
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  out += key.size() > kMaxShown ? "...'" : "'";
  return out;
}

// Copies the entries of `range` out of `map`, in the range's direction, up to its limit.
template <class Map>
Entries CollectRange(const Map& map, const ScanRange& range) {
  Entries out;
  if (!range.end.empty() && range.start >= range.end) {
    return out;  // empty (or inverted) range
  }
  auto first = map.lower_bound(range.start);
  auto last = range.end.empty() ? map.end() : map.lower_bound(range.end);
  auto full = [&] { return range.limit != 0 && out.size() >= range.limit; };
  if (range.direction == ScanDirection::kForward) {
    for (auto it = first; it != last && !full(); ++it) {
      out.emplace_back(it->first, it->second);
    }
  } else {
    for (auto it = last; it != first && !full();) {
      --it;
      out.emplace_back(it->first, it->second);
    }
  }
  return out;
}

}  // namespace

Result<MemoryStorageOptions> MemoryStorageOptions::FromSettings(const config::Settings& settings) {
  OPTIMYSTIC_RETURN_IF_ERROR(settings.CheckKeys({"max_bytes"}));
  MemoryStorageOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.max_bytes, settings.GetUint("max_bytes", 0));
  return options;
}

MemoryStorageEngine::MemoryStorageEngine(MemoryStorageOptions options) noexcept
    : options_(options) {}

Result<std::string> MemoryStorageEngine::Get(std::string_view key) noexcept {
  std::shared_lock lock(mu_);
  if (closed_) return ClosedError();
  counters_.CountRead();
  auto it = map_.find(key);
  if (it == map_.end()) {
    return Status::NotFound("memory engine: key " + KeyForMessage(key) + " not found");
  }
  counters_.CountBytesRead(it->second.size());
  return it->second;
}

Status MemoryStorageEngine::Scan(const ScanRange& range, storage::ScanSink& sink) noexcept {
  Entries entries;
  {
    std::shared_lock lock(mu_);
    if (closed_) return ClosedError();
    entries = CollectRange(map_, range);
  }
  // The lock is released: the sink may call back into the engine.
  counters_.CountScan();
  for (const auto& [key, value] : entries) {
    counters_.CountBytesRead(key.size() + value.size());
    if (!sink.OnEntry(key, value)) break;
  }
  return Status::Ok();
}

Status MemoryStorageEngine::Write(const WriteBatch& batch,
                                  const storage::WriteOptions& options) noexcept {
  std::unique_lock lock(mu_);
  if (closed_) return ClosedError();
  if (options_.max_bytes != 0) {
    const uint64_t after = LiveBytesAfter(batch);
    if (after > options_.max_bytes) {
      return counters_.CountError(Status::IOError(
          "memory engine full: the batch would take the live bytes to " + std::to_string(after) +
          ", max_bytes is " + std::to_string(options_.max_bytes)));
    }
  }
  Apply(batch);
  counters_.CountWrite();
  return Status::Ok();
}

uint64_t MemoryStorageEngine::LiveBytesAfter(const WriteBatch& batch) const {
  // The last operation on a key decides what is left of it.
  std::map<std::string_view, const WriteBatch::Op*, std::less<>> last;
  for (const WriteBatch::Op& op : batch.ops()) {
    last[op.key] = &op;
  }
  uint64_t bytes = live_bytes_;
  for (const auto& [key, op] : last) {
    auto it = map_.find(key);
    if (it != map_.end()) bytes -= key.size() + it->second.size();
    if (op->kind == WriteBatch::OpKind::kPut) bytes += key.size() + op->value.size();
  }
  return bytes;
}

void MemoryStorageEngine::Apply(const WriteBatch& batch) {
  uint64_t written = 0;
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.kind == WriteBatch::OpKind::kPut) {
      auto [it, inserted] = map_.try_emplace(op.key);
      if (!inserted) live_bytes_ -= it->first.size() + it->second.size();
      it->second = op.value;
      live_bytes_ += it->first.size() + it->second.size();
      written += op.key.size() + op.value.size();
    } else if (op.kind == WriteBatch::OpKind::kDelete) {
      auto it = map_.find(op.key);
      if (it == map_.end()) continue;
      live_bytes_ -= it->first.size() + it->second.size();
      map_.erase(it);
    }
  }
  counters_.CountBytesWritten(written);
}

Status MemoryStorageEngine::Flush() noexcept {
  std::shared_lock lock(mu_);
  if (closed_) return ClosedError();
  return Status::Ok();  // nothing to make durable
}

Status MemoryStorageEngine::Close() noexcept {
  std::unique_lock lock(mu_);
  closed_ = true;
  map_.clear();
  live_bytes_ = 0;
  return Status::Ok();
}

storage::StorageStats MemoryStorageEngine::Stats() const noexcept {
  storage::StorageStats stats;
  {
    std::shared_lock lock(mu_);
    stats.keys = map_.size();
    stats.live_bytes = live_bytes_;
  }
  stats.disk_bytes = 0;
  counters_.FillStats(stats);
  return stats;
}

Status MemoryStorageEngine::ClosedError() const {
  return counters_.CountError(Status::Unavailable("memory engine is closed"));
}

}  // namespace optimystic::plugins::storage_memory
