// SPDX-License-Identifier: Apache-2.0
#include "storage/file/segment_file.h"

#include <optimystic/base/crc32c.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace optimystic::plugins::storage_file {

std::string SegmentFileName(uint32_t number, std::string_view suffix) {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%08u", number);
  return std::string(digits) + std::string(suffix);
}

std::optional<uint32_t> ParseSegmentFileName(std::string_view name, std::string_view suffix) {
  if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(0, name.size() - suffix.size());
  if (digits.size() < 8 || digits.size() > 10) return std::nullopt;
  uint64_t number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  if (number > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(number);
}

Status ErrnoStatus(std::string_view what, int errno_value) {
  return Status::IOError(std::string(what) + ": " + std::strerror(errno_value));
}

Status SyncDirectory(const std::string& dir) noexcept {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open directory " + dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync directory " + dir, err);
  return Status::Ok();
}

// ---- SegmentFile ----------------------------------------------------------------------------

SegmentFile::SegmentFile(std::string path, uint32_t number, int fd, uint64_t size_bytes) noexcept
    : path_(std::move(path)), number_(number), fd_(fd), size_bytes_(size_bytes) {}

SegmentFile::~SegmentFile() { ::close(fd_); }

Result<std::shared_ptr<SegmentFile>> SegmentFile::Open(std::string path, uint32_t number,
                                                       OpenMode mode) noexcept {
  int flags = O_RDWR | O_CLOEXEC;
  if (mode == OpenMode::kCreate) flags |= O_CREAT | O_EXCL;
  if (mode == OpenMode::kReplace) flags |= O_CREAT | O_TRUNC;
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return ErrnoStatus("open " + path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus("stat " + path, err);
  }
  return std::shared_ptr<SegmentFile>(
      new SegmentFile(std::move(path), number, fd, static_cast<uint64_t>(st.st_size)));
}

Status SegmentFile::ReadAt(uint64_t offset, size_t n_bytes, char* dst) const noexcept {
  size_t done = 0;
  while (done < n_bytes) {
    ssize_t n = ::pread(fd_, dst + done, n_bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || n == 0) {
      std::string what = path_ + ": read " + std::to_string(n_bytes) + " bytes at offset " +
                         std::to_string(offset);
      if (n < 0) return ErrnoStatus(what, errno);
      return Status::Corruption(what + ": unexpected end of file");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SegmentFile::Append(std::string_view bytes) noexcept {
  const uint64_t start = size_bytes();
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(start + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status error = ErrnoStatus(path_ + ": write " + std::to_string(bytes.size()) +
                                     " bytes at offset " + std::to_string(start),
                                 n < 0 ? errno : EIO);
      if (::ftruncate(fd_, static_cast<off_t>(start)) != 0) {
        return Status::IOError(
            std::string(error.message()) +
            "; cutting the partial record back also failed: " + std::strerror(errno));
      }
      return error;
    }
    done += static_cast<size_t>(n);
  }
  size_bytes_.store(start + bytes.size(), std::memory_order_release);
  return Status::Ok();
}

Status SegmentFile::Sync() noexcept {
  if (::fdatasync(fd_) != 0) return ErrnoStatus(path_ + ": fdatasync", errno);
  return Status::Ok();
}

Status SegmentFile::Truncate(uint64_t size_bytes) noexcept {
  if (::ftruncate(fd_, static_cast<off_t>(size_bytes)) != 0) {
    return ErrnoStatus(path_ + ": truncate to " + std::to_string(size_bytes) + " bytes", errno);
  }
  size_bytes_.store(size_bytes, std::memory_order_release);
  return Sync();
}

// ---- SegmentReader --------------------------------------------------------------------------

SegmentReader::SegmentReader(const SegmentFile& file) noexcept
    : file_(file), file_bytes_(file.size_bytes()) {}

Result<const char*> SegmentReader::View(uint64_t offset, size_t n_bytes) {
  if (offset >= window_offset_ && offset + n_bytes <= window_offset_ + window_.size()) {
    return window_.data() + (offset - window_offset_);
  }
  const auto want = static_cast<size_t>(
      std::min<uint64_t>(std::max<uint64_t>(n_bytes, kWindowBytes), file_bytes_ - offset));
  window_.resize(want);
  window_offset_ = offset;
  Status s = file_.ReadAt(offset, want, window_.data());
  if (!s.ok()) {
    window_.clear();
    return s;
  }
  return window_.data();
}

Result<SegmentReader::Record> SegmentReader::RecordAt(uint64_t offset) {
  if (file_bytes_ - offset < kRecordHeaderBytes) {
    return Status::Corruption("incomplete record header (" + std::to_string(file_bytes_ - offset) +
                              " bytes before the end)");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(const char* raw, View(offset, kRecordHeaderBytes));
  std::optional<RecordHeader> header = DecodeRecordHeader(raw);
  if (!header) return Status::Corruption("record header fails its checksum or limits");
  const uint64_t payload_offset = offset + kRecordHeaderBytes;
  if (file_bytes_ - payload_offset < header->payload_bytes) {
    return Status::Corruption("record payload of " + std::to_string(header->payload_bytes) +
                              " bytes extends past the end of the file");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(const char* payload, View(payload_offset, header->payload_bytes));
  uint32_t crc = base::Crc32cExtend(0, payload, header->payload_bytes);
  if (base::Crc32cMask(crc) != header->payload_crc) {
    return Status::Corruption("record payload fails its checksum");
  }
  auto ops = DecodeOps(std::string_view(payload, header->payload_bytes), header->op_count);
  if (!ops) return ops.error();
  return Record{offset, *header, std::move(ops).value()};
}

std::optional<SegmentReader::Record> SegmentReader::Next() {
  if (!status_.ok() || damage_ || offset_ == file_bytes_) return std::nullopt;
  Result<Record> record = RecordAt(offset_);
  if (!record) {
    if (record.error().code() == StatusCode::kCorruption) {
      damage_ = Damage{offset_, std::string(record.error().message())};
    } else {
      status_ = record.error();
    }
    return std::nullopt;
  }
  offset_ += kRecordHeaderBytes + record->header.payload_bytes;
  return std::move(record).value();
}

Result<bool> SegmentReader::IntactRecordAfter(uint64_t offset, uint64_t min_sequence) {
  for (uint64_t at = offset + 1; at + kRecordHeaderBytes <= file_bytes_; ++at) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(const char* raw, View(at, kRecordHeaderBytes));
    std::optional<RecordHeader> header = DecodeRecordHeader(raw);
    if (!header || header->sequence < min_sequence) continue;
    Result<Record> record = RecordAt(at);
    if (record) return true;
    if (record.error().code() != StatusCode::kCorruption) return record.error();
  }
  return false;
}

}  // namespace optimystic::plugins::storage_file
