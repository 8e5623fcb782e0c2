// SPDX-License-Identifier: Apache-2.0
// FileStorageEngine: the `storage.file` engine, a durable ordered key-value store of our own.
// Every WriteBatch is appended as one CRC-checked record to the active segment file (format in
// segment_format.h); an in-memory ordered index maps each live key to where its latest put sits
// on disk, and reads fetch and verify those bytes with pread. Open rebuilds the index by
// replaying the segments and truncates a torn tail of the last one. A compactor (a background
// thread, or Compact()) rewrites the live entries of the sealed segments once enough of them is
// garbage, and deletes the old files.
// Thread-safety: every method may be called concurrently. Writes are serialized; readers run in
// parallel with each other, with the writer and with compaction, and hold the index lock only to
// look up locations. A Scan copies its range's locations under the lock, so it reads one
// consistent snapshot, and its sink runs without any lock held (it may call back in). A batch
// becomes visible all at once.
// Errors: absent keys are NotFound; file errors are IOError and failed checks Corruption, both
// naming the file and byte offset. After a failed append or fsync every later Write and Flush
// fails with that error, since the file's state is unknown (reopening repairs it). Every call
// after Close is Unavailable.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/logging/logger.h>
#include <optimystic/storage/storage_counters.h>
#include <optimystic/storage/storage_engine.h>

#include "storage/file/segment_file.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace optimystic::plugins::storage_file {

struct FileStorageOptions {
  std::string path;                           // the data directory; created if missing
  bool sync = true;                           // fdatasync every Write, as if options.sync
  uint64_t segment_bytes = 64ull << 20;       // start a new segment past this size
  double compaction_min_garbage_ratio = 0.5;  // compact the sealed segments at this garbage share
  bool background_compaction = true;          // false: only Compact() compacts (tests)
};

class FileStorageEngine final : public storage::StorageEngine {
 public:
  // Opens or creates the engine in options.path and replays its segments. `logger` must outlive
  // the engine. Fails with IOError (directory, lock or file errors) or with Corruption naming the
  // file and offset of a damaged record that is not a torn tail.
  static Result<std::unique_ptr<FileStorageEngine>> Open(FileStorageOptions options,
                                                         logging::Logger& logger) noexcept;
  ~FileStorageEngine() override;
  FileStorageEngine(const FileStorageEngine&) = delete;
  FileStorageEngine& operator=(const FileStorageEngine&) = delete;

  Result<std::string> Get(std::string_view key) noexcept override;
  Status Scan(const storage::ScanRange& range, storage::ScanSink& sink) noexcept override;
  Status Write(const storage::WriteBatch& batch,
               const storage::WriteOptions& options) noexcept override;
  Status Flush() noexcept override;
  // Stops the compactor, syncs the active segment and releases the files and the LOCK. Returns
  // the sticky write error, if a write failed earlier, after releasing everything all the same.
  Status Close() noexcept override;
  // keys and live_bytes are exact; disk_bytes is the size of every segment file.
  storage::StorageStats Stats() const noexcept override;

  // Seals the active segment (if it holds anything) and compacts every sealed segment now,
  // whatever the garbage ratio. Blocks until done; readers and writers keep running meanwhile.
  Status Compact() noexcept;
  // The numbers of the segment files in use, oldest first (for tests and diagnostics).
  std::vector<uint32_t> SegmentNumbers() const;

 private:
  struct Location {
    SegmentFile* file;   // alive while in segments_, or while a reader holds a pin
    uint64_t op_offset;  // of the op header within the file
    uint32_t value_bytes;
  };
  using Index = std::map<std::string, Location, std::less<>>;
  // One live entry a compaction copies: where it was and where its copy is in the output.
  struct Move {
    std::string key;
    Location from;
    uint64_t to_op_offset;
  };
  // Where a compaction's walk over the index stands between chunks.
  struct CompactionCursor {
    std::string last_key;  // the last key visited
    bool started = false;
    bool done = false;
  };

  FileStorageEngine(FileStorageOptions options, logging::Logger& logger) noexcept;

  // Open: lock the directory, list the segments, drop obsolete ones, replay, pick the active one.
  Status Recover();
  Status LockDirectory();
  Result<std::vector<uint32_t>> ListSegments();
  Status DropObsoleteSegments(std::vector<uint32_t>& numbers);
  // Replays one segment into the index; `last_sequence` carries across segments.
  Status ReplaySegment(const std::shared_ptr<SegmentFile>& file, bool is_last,
                       uint64_t& last_sequence);
  Status OpenActiveSegment();

  // REQUIRES: index_mu_ held exclusively.
  void ApplyOp(SegmentFile* file, storage::WriteBatch::OpKind kind, std::string_view key,
               uint64_t op_offset, uint32_t value_bytes);
  // Fetches and verifies the entry of `key` at `location`; the value points into `buffer`.
  Result<std::string_view> ReadValue(std::string_view key, const Location& location,
                                     std::string& buffer) const;
  Status ValidateBatch(const storage::WriteBatch& batch) const;
  // REQUIRES: write_mu_ held. Failures become the sticky write_error_.
  Status AppendLocked(std::string_view record, bool sync);
  Status RollLocked();
  // Garbage share of the sealed segments. REQUIRES: index_mu_ held (shared is enough).
  double SealedGarbageRatio() const;

  // Compaction, in file_compaction.cc. REQUIRES (all but the first two): compact_mu_ held.
  void CompactorLoop();
  void RequestCompaction();
  Status CompactSealed(bool force);
  Result<std::shared_ptr<SegmentFile>> WriteCompactionOutput(
      const std::vector<std::shared_ptr<SegmentFile>>& inputs, std::vector<Move>& moves);
  // The entries in the next chunk of the index that point into segments numbered <=
  // `last_input`, copied under the shared lock. Sets cursor.done at the end of the index.
  Result<std::vector<std::pair<std::string, Location>>> NextCompactionChunk(
      uint32_t last_input, CompactionCursor& cursor);
  void SwapCompactedLocations(SegmentFile* output, const std::vector<Move>& moves);
  Status RetireInputs(const std::vector<std::shared_ptr<SegmentFile>>& inputs,
                      const std::shared_ptr<SegmentFile>& output);

  Status ClosedError() const;
  std::string SegmentPath(uint32_t number, std::string_view suffix = kSegmentSuffix) const;

  const FileStorageOptions options_;
  const std::string dir_;
  logging::Logger& logger_;
  int lock_fd_ = -1;

  // Lock order: close_mu_, compact_mu_, write_mu_, index_mu_.
  mutable std::shared_mutex index_mu_;
  Index index_;                                         // guarded by index_mu_
  std::vector<std::shared_ptr<SegmentFile>> segments_;  // by number; guarded by index_mu_
  uint64_t live_kv_bytes_ = 0;                          // guarded by index_mu_
  bool closed_ = false;  // written holding write_mu_ and index_mu_; read holding either

  std::mutex write_mu_;
  std::shared_ptr<SegmentFile> active_;  // guarded by write_mu_; always segments_.back()
  uint64_t next_sequence_ = 1;           // guarded by write_mu_
  uint32_t next_segment_number_ = 1;     // guarded by write_mu_
  Status write_error_;                   // guarded by write_mu_; sticky

  std::mutex close_mu_;    // serializes Close calls
  std::mutex compact_mu_;  // one compaction at a time
  std::mutex compactor_signal_mu_;
  std::condition_variable compactor_cv_;
  bool compaction_requested_ = false;  // guarded by compactor_signal_mu_
  std::atomic<bool> stopping_{false};
  std::thread compactor_;

  storage::StorageCounters counters_;
};

}  // namespace optimystic::plugins::storage_file
