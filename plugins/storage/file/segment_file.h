// SPDX-License-Identifier: Apache-2.0
// SegmentFile: one open segment of the `storage.file` engine (format in segment_format.h), with
// positional reads, appends that never leave a partial record behind, and fsync. SegmentReader
// walks a segment's records in order on open, verifying each, and tells a torn tail from damage
// in the middle. Thread-safety: ReadAt may run concurrently with everything; Append, Sync,
// Truncate and set_path need one writer at a time (the engine's write lock); live_bytes() is
// guarded by the engine's index lock. Errors: every Status names the file and, for reads and
// writes, the byte offset ("/data/file/00000003.seg: read 4096 bytes at offset 12: ...").
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>

#include "storage/file/segment_format.h"
#include "storage/file/segment_record.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::plugins::storage_file {

// "00000042.seg" for 42 with kSegmentSuffix: at least 8 digits.
std::string SegmentFileName(uint32_t number, std::string_view suffix = kSegmentSuffix);
// 42 for "00000042.seg"; nullopt for any name that is not 8 to 10 digits followed by `suffix`.
std::optional<uint32_t> ParseSegmentFileName(std::string_view name,
                                             std::string_view suffix = kSegmentSuffix);
// fsync(2) of a directory, so that creations, renames and deletions in it are durable.
Status SyncDirectory(const std::string& dir) noexcept;
// IOError "<what>: <strerror(errno_value)>".
Status ErrnoStatus(std::string_view what, int errno_value);

class SegmentFile final : public std::enable_shared_from_this<SegmentFile> {
 public:
  enum class OpenMode : uint8_t {
    kExisting = 0,  // must exist; size_bytes() starts at its length
    kCreate = 1,    // must not exist yet
    kReplace = 2,   // created, or emptied if it exists
  };

  static Result<std::shared_ptr<SegmentFile>> Open(std::string path, uint32_t number,
                                                   OpenMode mode) noexcept;
  ~SegmentFile();
  SegmentFile(const SegmentFile&) = delete;
  SegmentFile& operator=(const SegmentFile&) = delete;

  uint32_t number() const noexcept { return number_; }
  // REQUIRES (path and set_path): the engine's write lock or compaction lock, whichever renamed.
  const std::string& path() const noexcept { return path_; }
  void set_path(std::string path) { path_ = std::move(path); }
  // Bytes of records in the file. Appends move it; it may be read without locks.
  uint64_t size_bytes() const noexcept { return size_bytes_.load(std::memory_order_acquire); }

  // Reads exactly `n_bytes` at `offset` into `dst`. Hitting the end of the file is Corruption.
  Status ReadAt(uint64_t offset, size_t n_bytes, char* dst) const noexcept;
  // Writes `bytes` at size_bytes() and advances it. On failure the file is cut back to its old
  // size so that no partial record stays behind; the Status says if even that failed.
  Status Append(std::string_view bytes) noexcept;
  Status Sync() noexcept;  // fdatasync(2)
  // Cuts the file to `size_bytes` and syncs it.
  Status Truncate(uint64_t size_bytes) noexcept;

  // Op bytes of the entries the index points at in this file. Guarded by the engine's index lock.
  uint64_t live_bytes() const noexcept { return live_bytes_; }
  void AddLiveBytes(uint64_t n) noexcept { live_bytes_ += n; }
  void SubtractLiveBytes(uint64_t n) noexcept { live_bytes_ -= n; }
  // The highest sequence number in the file. Written under the engine's write lock; read once the
  // file is sealed.
  uint64_t max_sequence() const noexcept { return max_sequence_; }
  void NoteSequence(uint64_t sequence) noexcept {
    if (sequence > max_sequence_) max_sequence_ = sequence;
  }

 private:
  SegmentFile(std::string path, uint32_t number, int fd, uint64_t size_bytes) noexcept;

  std::string path_;
  const uint32_t number_;
  const int fd_;
  std::atomic<uint64_t> size_bytes_;
  uint64_t live_bytes_ = 0;
  uint64_t max_sequence_ = 0;
};

// Reads a segment's records in order through a window buffer (used on open only).
class SegmentReader final {
 public:
  struct Record {
    uint64_t offset = 0;  // of the record header in the file
    RecordHeader header;
    std::vector<OpView> ops;  // views into the reader's buffer, valid until the next call
  };
  struct Damage {
    uint64_t offset = 0;  // of the first record that is not intact
    std::string reason;
  };

  explicit SegmentReader(const SegmentFile& file) noexcept;

  // The next intact record; nullopt at the clean end of the file, at the first record that is
  // not intact (damage() is then set) or on an I/O error (status() is then not OK).
  std::optional<Record> Next();
  const Status& status() const noexcept { return status_; }
  const std::optional<Damage>& damage() const noexcept { return damage_; }

  // Whether an intact record with a sequence number >= `min_sequence` starts anywhere after
  // `offset`: the test that tells damage in the middle of a segment from a torn tail.
  Result<bool> IntactRecordAfter(uint64_t offset, uint64_t min_sequence);

 private:
  static constexpr size_t kWindowBytes = 1u << 20;

  // Makes [offset, offset + n_bytes) available and returns a pointer to it, valid until the
  // next call. REQUIRES: offset + n_bytes <= the file's size.
  Result<const char*> View(uint64_t offset, size_t n_bytes);
  // The record at `offset` if it is intact (header CRC, extent, payload CRC, ops); Corruption
  // with the reason when it is not; IOError when the file cannot be read.
  Result<Record> RecordAt(uint64_t offset);

  const SegmentFile& file_;
  const uint64_t file_bytes_;
  uint64_t offset_ = 0;
  std::string window_;
  uint64_t window_offset_ = 0;
  Status status_;
  std::optional<Damage> damage_;
};

}  // namespace optimystic::plugins::storage_file
