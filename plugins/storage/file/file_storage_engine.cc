// SPDX-License-Identifier: Apache-2.0
#include "storage/file/file_storage_engine.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

namespace optimystic::plugins::storage_file {

using logging::LogLevel;
using storage::ScanDirection;
using storage::ScanRange;
using storage::ScanSink;
using storage::StorageStats;
using storage::WriteBatch;
using storage::WriteOptions;

namespace {

// A key as it appears in messages: printable ASCII kept, other bytes as \xNN, at most 64 bytes.
std::string PrintableKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789abcdef";
  constexpr size_t kMaxShown = 64;
  std::string out;
  for (size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (key.size() > kMaxShown) out += "...";
  return out;
}

// Calls fn(key, location) for the entries of `index` in `range`, in its direction, up to its
// limit.
template <class Index, class Fn>
void ForEachInRange(const Index& index, const ScanRange& range, Fn fn) {
  uint64_t n = 0;
  auto below_limit = [&] { return range.limit == 0 || n < range.limit; };
  if (range.direction == ScanDirection::kForward) {
    auto it = range.start.empty() ? index.begin() : index.lower_bound(range.start);
    for (; it != index.end() && below_limit(); ++it, ++n) {
      if (!range.end.empty() && it->first >= range.end) break;
      fn(it->first, it->second);
    }
    return;
  }
  auto it = range.end.empty() ? index.end() : index.lower_bound(range.end);
  for (; it != index.begin() && below_limit(); ++n) {
    --it;
    if (!range.start.empty() && it->first < range.start) break;
    fn(it->first, it->second);
  }
}

}  // namespace

FileStorageEngine::FileStorageEngine(FileStorageOptions options, logging::Logger& logger) noexcept
    : options_(std::move(options)), dir_(options_.path), logger_(logger) {}

FileStorageEngine::~FileStorageEngine() {
  Status s = Close();
  if (!s.ok()) logger_.Log(LogLevel::kError, "file engine " + dir_ + ": close: " + s.ToString());
}

Result<std::unique_ptr<FileStorageEngine>> FileStorageEngine::Open(
    FileStorageOptions options, logging::Logger& logger) noexcept {
  if (options.path.empty()) return Status::InvalidArgument("file engine open: empty path");
  if (options.segment_bytes == 0) {
    return Status::InvalidArgument("file engine open: segment_bytes is 0");
  }
  const std::string path = options.path;
  std::unique_ptr<FileStorageEngine> engine(new FileStorageEngine(std::move(options), logger));
  Status s = engine->Recover();
  if (!s.ok()) return s.WithContext("file engine open " + path);
  if (engine->options_.background_compaction) {
    engine->compactor_ = std::thread([e = engine.get()] { e->CompactorLoop(); });
  }
  return engine;
}

std::string FileStorageEngine::SegmentPath(uint32_t number, std::string_view suffix) const {
  return dir_ + "/" + SegmentFileName(number, suffix);
}

Status FileStorageEngine::ClosedError() const {
  return Status::Unavailable("file engine " + dir_ + " is closed");
}

// ---- Open and recovery ----------------------------------------------------------------------

Status FileStorageEngine::Recover() {
  OPTIMYSTIC_RETURN_IF_ERROR(LockDirectory());
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<uint32_t> numbers, ListSegments());
  OPTIMYSTIC_RETURN_IF_ERROR(DropObsoleteSegments(numbers));
  std::unique_lock index_lock(index_mu_);  // uncontended; ApplyOp expects it
  uint64_t last_sequence = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        std::shared_ptr<SegmentFile> file,
        SegmentFile::Open(SegmentPath(numbers[i]), numbers[i], SegmentFile::OpenMode::kExisting));
    segments_.push_back(file);
    OPTIMYSTIC_RETURN_IF_ERROR(ReplaySegment(file, i + 1 == numbers.size(), last_sequence));
  }
  next_sequence_ = last_sequence + 1;
  next_segment_number_ = numbers.empty() ? 1 : numbers.back() + 1;
  index_lock.unlock();
  OPTIMYSTIC_RETURN_IF_ERROR(OpenActiveSegment());
  std::shared_lock shared(index_mu_);
  if (SealedGarbageRatio() >= options_.compaction_min_garbage_ratio) RequestCompaction();
  return Status::Ok();
}

Status FileStorageEngine::LockDirectory() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IOError("create directory " + dir_ + ": " + ec.message());
  const std::string lock_path = dir_ + "/" + std::string(kLockFileName);
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return ErrnoStatus("open " + lock_path, errno);
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::IOError("lock " + lock_path + ": the directory is in use by another engine");
    }
    return ErrnoStatus("lock " + lock_path, errno);
  }
  return Status::Ok();
}

Result<std::vector<uint32_t>> FileStorageEngine::ListSegments() {
  std::vector<uint32_t> numbers;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (std::optional<uint32_t> number = ParseSegmentFileName(name)) {
      numbers.push_back(*number);
    } else if (ParseSegmentFileName(name, kCompactionSuffix)) {
      // The output of a compaction that never reached its rename: its inputs are all there.
      std::error_code remove_ec;
      std::filesystem::remove(it->path(), remove_ec);
      if (remove_ec) {
        return Status::IOError("remove " + it->path().string() + ": " + remove_ec.message());
      }
      logger_.Log(LogLevel::kInfo,
                  "file engine " + dir_ + ": removed unfinished compaction output " + name);
    }
  }
  if (ec) return Status::IOError("list directory " + dir_ + ": " + ec.message());
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

Status FileStorageEngine::DropObsoleteSegments(std::vector<uint32_t>& numbers) {
  // The newest segment that starts with a compaction marker supersedes every older one.
  size_t first_kept = 0;
  for (size_t i = numbers.size(); i-- > 0;) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        std::shared_ptr<SegmentFile> file,
        SegmentFile::Open(SegmentPath(numbers[i]), numbers[i], SegmentFile::OpenMode::kExisting));
    if (file->size_bytes() < kRecordHeaderBytes) continue;
    char raw[kRecordHeaderBytes];
    OPTIMYSTIC_RETURN_IF_ERROR(file->ReadAt(0, kRecordHeaderBytes, raw));
    std::optional<RecordHeader> header = DecodeRecordHeader(raw);
    if (header && header->type == RecordType::kCompactionMarker) {
      first_kept = i;
      break;
    }
  }
  if (first_kept == 0) return Status::Ok();
  for (size_t i = 0; i < first_kept; ++i) {
    const std::string path = SegmentPath(numbers[i]);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return Status::IOError("remove obsolete segment " + path + ": " + ec.message());
    logger_.Log(LogLevel::kInfo, "file engine " + dir_ + ": removed " + path +
                                     ", superseded by compacted segment " +
                                     SegmentFileName(numbers[first_kept]));
  }
  numbers.erase(numbers.begin(), numbers.begin() + static_cast<ptrdiff_t>(first_kept));
  return SyncDirectory(dir_);
}

Status FileStorageEngine::ReplaySegment(const std::shared_ptr<SegmentFile>& file, bool is_last,
                                        uint64_t& last_sequence) {
  SegmentReader reader(*file);
  while (std::optional<SegmentReader::Record> record = reader.Next()) {
    const RecordHeader& header = record->header;
    const std::string where = file->path() + ": offset " + std::to_string(record->offset);
    if (header.sequence < last_sequence) {
      return Status::Corruption(where + ": sequence " + std::to_string(header.sequence) +
                                " after " + std::to_string(last_sequence));
    }
    if (header.type == RecordType::kCompactionMarker && record->offset != 0) {
      return Status::Corruption(where + ": compaction marker inside a segment");
    }
    last_sequence = header.sequence;
    file->NoteSequence(header.sequence);
    const uint64_t payload_offset = record->offset + kRecordHeaderBytes;
    for (const OpView& op : record->ops) {
      ApplyOp(file.get(), op.kind, op.key, payload_offset + op.offset_in_payload,
              static_cast<uint32_t>(op.value.size()));
    }
  }
  OPTIMYSTIC_RETURN_IF_ERROR(reader.status());
  if (!reader.damage()) return Status::Ok();
  const SegmentReader::Damage& damage = *reader.damage();
  const std::string where = file->path() + ": offset " + std::to_string(damage.offset) + ": ";
  if (!is_last) return Status::Corruption(where + damage.reason);
  OPTIMYSTIC_ASSIGN_OR_RETURN(bool more, reader.IntactRecordAfter(damage.offset, last_sequence));
  if (more) {
    return Status::Corruption(where + damage.reason +
                              "; intact records follow, so this is not a torn tail");
  }
  const uint64_t dropped = file->size_bytes() - damage.offset;
  OPTIMYSTIC_RETURN_IF_ERROR(file->Truncate(damage.offset));
  logger_.Log(LogLevel::kWarn, "file engine " + dir_ + ": " + where + damage.reason +
                                   "; truncated a torn tail of " + std::to_string(dropped) +
                                   " bytes");
  return Status::Ok();
}

Status FileStorageEngine::OpenActiveSegment() {
  std::lock_guard write_lock(write_mu_);
  if (!segments_.empty() && segments_.back()->size_bytes() < options_.segment_bytes) {
    active_ = segments_.back();
    return Status::Ok();
  }
  const uint32_t number = next_segment_number_++;
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      std::shared_ptr<SegmentFile> file,
      SegmentFile::Open(SegmentPath(number), number, SegmentFile::OpenMode::kCreate));
  OPTIMYSTIC_RETURN_IF_ERROR(SyncDirectory(dir_));
  std::unique_lock index_lock(index_mu_);
  segments_.push_back(file);
  active_ = std::move(file);
  return Status::Ok();
}

void FileStorageEngine::ApplyOp(SegmentFile* file, WriteBatch::OpKind kind, std::string_view key,
                                uint64_t op_offset, uint32_t value_bytes) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    const Location& old = it->second;
    old.file->SubtractLiveBytes(OpBytes(it->first.size(), old.value_bytes));
    live_kv_bytes_ -= it->first.size() + old.value_bytes;
    if (kind == WriteBatch::OpKind::kDelete) {
      index_.erase(it);
      return;
    }
    it->second = Location{file, op_offset, value_bytes};
  } else {
    if (kind == WriteBatch::OpKind::kDelete) return;
    index_.emplace(std::string(key), Location{file, op_offset, value_bytes});
  }
  file->AddLiveBytes(OpBytes(key.size(), value_bytes));
  live_kv_bytes_ += key.size() + value_bytes;
}

// ---- Reads ----------------------------------------------------------------------------------

Result<std::string_view> FileStorageEngine::ReadValue(std::string_view key,
                                                      const Location& location,
                                                      std::string& buffer) const {
  const size_t n = OpBytes(key.size(), location.value_bytes);
  buffer.resize(n);
  OPTIMYSTIC_RETURN_IF_ERROR(location.file->ReadAt(location.op_offset, n, buffer.data()));
  const char* h = buffer.data();
  std::string_view stored_key(h + kOpHeaderBytes, key.size());
  std::string_view value(h + kOpHeaderBytes + key.size(), location.value_bytes);
  if (static_cast<uint8_t>(h[0]) != static_cast<uint8_t>(WriteBatch::OpKind::kPut) ||
      DecodeFixed32(h + 1) != key.size() || DecodeFixed32(h + 5) != location.value_bytes ||
      stored_key != key || DecodeFixed32(h + 9) != EntryCrc(stored_key, value)) {
    return Status::Corruption(location.file->path() + ": offset " +
                              std::to_string(location.op_offset) + ": the entry of key '" +
                              PrintableKey(key) + "' fails its checks");
  }
  return value;
}

Result<std::string> FileStorageEngine::Get(std::string_view key) noexcept {
  counters_.CountRead();
  Location location;
  std::shared_ptr<SegmentFile> pin;  // keeps the file open if a compaction retires it meanwhile
  {
    std::shared_lock lock(index_mu_);
    if (closed_) return counters_.CountError(ClosedError());
    auto it = index_.find(key);
    if (it == index_.end()) return Status::NotFound("key '" + PrintableKey(key) + "'");
    location = it->second;
    pin = location.file->shared_from_this();
  }
  std::string buffer;
  Result<std::string_view> value = ReadValue(key, location, buffer);
  if (!value) return counters_.CountError(value.error());
  counters_.CountBytesRead(value->size());
  return std::string(*value);
}

Status FileStorageEngine::Scan(const ScanRange& range, ScanSink& sink) noexcept {
  counters_.CountScan();
  // The range's locations, copied under the lock, are a consistent snapshot: the bytes they
  // point at never change, and `pins` keeps their files open even if a compaction retires them.
  std::vector<std::pair<std::string, Location>> entries;
  std::vector<std::shared_ptr<SegmentFile>> pins;
  {
    std::shared_lock lock(index_mu_);
    if (closed_) return counters_.CountError(ClosedError());
    ForEachInRange(index_, range, [&](const std::string& key, const Location& location) {
      entries.emplace_back(key, location);
    });
    pins = segments_;
  }
  std::string buffer;
  for (const auto& [key, location] : entries) {
    Result<std::string_view> value = ReadValue(key, location, buffer);
    if (!value) return counters_.CountError(value.error());
    counters_.CountBytesRead(key.size() + value->size());
    if (!sink.OnEntry(key, *value)) break;
  }
  return Status::Ok();
}

// ---- Writes ---------------------------------------------------------------------------------

Status FileStorageEngine::ValidateBatch(const WriteBatch& batch) const {
  uint64_t payload_bytes = 0;
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.kind != WriteBatch::OpKind::kPut && op.kind != WriteBatch::OpKind::kDelete) {
      return Status::InvalidArgument("write batch: unknown op kind");
    }
    payload_bytes += OpBytes(op.key.size(), op.value.size());
  }
  if (payload_bytes > kMaxPayloadBytes) {
    return Status::InvalidArgument("write batch of " + std::to_string(payload_bytes) +
                                   " encoded bytes exceeds the limit of " +
                                   std::to_string(kMaxPayloadBytes));
  }
  return Status::Ok();
}

Status FileStorageEngine::Write(const WriteBatch& batch, const WriteOptions& options) noexcept {
  counters_.CountWrite();
  OPTIMYSTIC_RETURN_IF_ERROR(counters_.CountError(ValidateBatch(batch)));
  RecordBuilder builder;  // encoded outside the lock; only the header waits for the sequence
  uint64_t logical_bytes = 0;
  for (const WriteBatch::Op& op : batch.ops()) {
    builder.AddOp(op.kind, op.key, op.value);
    logical_bytes += op.key.size() + op.value.size();
  }
  std::lock_guard write_lock(write_mu_);
  if (closed_) return counters_.CountError(ClosedError());
  if (batch.empty()) return Status::Ok();
  if (!write_error_.ok()) return counters_.CountError(write_error_);
  const uint64_t sequence = next_sequence_;
  std::string_view record = builder.Finish(RecordType::kBatch, sequence);
  bool rolled = false;
  if (active_->size_bytes() > 0 && active_->size_bytes() + record.size() > options_.segment_bytes) {
    OPTIMYSTIC_RETURN_IF_ERROR(counters_.CountError(RollLocked()));
    rolled = true;
  }
  const uint64_t record_offset = active_->size_bytes();
  OPTIMYSTIC_RETURN_IF_ERROR(
      counters_.CountError(AppendLocked(record, options.sync || options_.sync)));
  ++next_sequence_;
  active_->NoteSequence(sequence);
  bool compact = false;
  {
    std::unique_lock index_lock(index_mu_);
    for (size_t i = 0; i < batch.size(); ++i) {
      const WriteBatch::Op& op = batch.ops()[i];
      ApplyOp(active_.get(), op.kind, op.key, record_offset + builder.op_offset(i),
              static_cast<uint32_t>(op.value.size()));
    }
    compact = rolled && SealedGarbageRatio() >= options_.compaction_min_garbage_ratio;
  }
  counters_.CountBytesWritten(logical_bytes);
  if (compact) RequestCompaction();
  return Status::Ok();
}

Status FileStorageEngine::AppendLocked(std::string_view record, bool sync) {
  Status s = active_->Append(record);
  if (s.ok() && sync) s = active_->Sync();
  // After a failed write or fsync the file's contents are unknown: refuse further writes rather
  // than append after them. Reopening replays the file and repairs its tail.
  if (!s.ok()) write_error_ = s;
  return s;
}

Status FileStorageEngine::RollLocked() {
  Status s = active_->Sync();  // a sealed segment is complete on disk before its successor exists
  if (s.ok()) {
    const uint32_t number = next_segment_number_++;
    Result<std::shared_ptr<SegmentFile>> file =
        SegmentFile::Open(SegmentPath(number), number, SegmentFile::OpenMode::kCreate);
    s = file ? SyncDirectory(dir_) : file.error();
    if (s.ok()) {
      std::unique_lock index_lock(index_mu_);
      segments_.push_back(*file);
      active_ = *file;
    }
  }
  if (!s.ok()) write_error_ = s.WithContext("start a new segment");
  return write_error_;
}

double FileStorageEngine::SealedGarbageRatio() const {
  uint64_t total = 0;
  uint64_t live = 0;
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {  // the last one is the active segment
    total += segments_[i]->size_bytes();
    live += segments_[i]->live_bytes();
  }
  if (total == 0 || live >= total) return 0.0;
  return static_cast<double>(total - live) / static_cast<double>(total);
}

Status FileStorageEngine::Flush() noexcept {
  std::lock_guard write_lock(write_mu_);
  if (closed_) return counters_.CountError(ClosedError());
  if (!write_error_.ok()) return counters_.CountError(write_error_);
  Status s = active_->Sync();
  if (!s.ok()) write_error_ = s;
  return counters_.CountError(s);
}

Status FileStorageEngine::Close() noexcept {
  std::lock_guard close_lock(close_mu_);
  {
    std::lock_guard signal_lock(compactor_signal_mu_);
    stopping_.store(true);
  }
  compactor_cv_.notify_all();
  if (compactor_.joinable()) compactor_.join();
  std::lock_guard compact_lock(compact_mu_);  // an explicit Compact() sees stopping_ and ends
  std::lock_guard write_lock(write_mu_);
  if (closed_) return Status::Ok();
  // A write that failed earlier left data unsynced: say so rather than report a clean close.
  Status s = write_error_.WithContext("close after a failed write");
  if (active_ && s.ok()) s = active_->Sync();
  {
    std::unique_lock index_lock(index_mu_);
    closed_ = true;
    index_.clear();
    segments_.clear();
    live_kv_bytes_ = 0;
  }
  active_.reset();
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
    lock_fd_ = -1;
  }
  return counters_.CountError(s);
}

StorageStats FileStorageEngine::Stats() const noexcept {
  StorageStats stats;
  {
    std::shared_lock lock(index_mu_);
    stats.keys = index_.size();
    stats.live_bytes = live_kv_bytes_;
    for (const auto& file : segments_) stats.disk_bytes += file->size_bytes();
  }
  counters_.FillStats(stats);
  return stats;
}

std::vector<uint32_t> FileStorageEngine::SegmentNumbers() const {
  std::shared_lock lock(index_mu_);
  std::vector<uint32_t> numbers;
  for (const auto& file : segments_) numbers.push_back(file->number());
  return numbers;
}

}  // namespace optimystic::plugins::storage_file
