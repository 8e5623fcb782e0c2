// SPDX-License-Identifier: Apache-2.0
// Encoding and decoding of the records in segment_format.h: RecordBuilder assembles one record
// from ops; DecodeOps splits a verified payload back into ops; EntryCrc is the per-op checksum a
// point read verifies. Thread-safety: a RecordBuilder belongs to one thread; the functions are
// pure. Errors: DecodeOps returns Corruption describing the first malformed op.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/storage/storage_engine.h>

#include "storage/file/segment_format.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::plugins::storage_file {

// The masked CRC32C stored as an op's entry_crc.
uint32_t EntryCrc(std::string_view key, std::string_view value) noexcept;

// Bytes one op takes in a payload.
inline uint64_t OpBytes(size_t key_bytes, size_t value_bytes) noexcept {
  return kOpHeaderBytes + key_bytes + value_bytes;
}

// Builds one record: ops are appended after room for the header, which Finish fills in. Op
// offsets are relative to the start of the record.
class RecordBuilder final {
 public:
  RecordBuilder() { Clear(); }

  void AddOp(storage::WriteBatch::OpKind kind, std::string_view key, std::string_view value);
  // Completes the header and returns the whole record, valid until the next AddOp or Clear.
  std::string_view Finish(RecordType type, uint64_t sequence) noexcept;
  void Clear();

  uint32_t op_count() const noexcept { return op_count_; }
  uint64_t payload_bytes() const noexcept { return bytes_.size() - kRecordHeaderBytes; }
  uint64_t record_bytes() const noexcept { return bytes_.size(); }
  // Where op `i` starts, from the start of the record.
  uint64_t op_offset(size_t i) const noexcept { return op_offsets_[i]; }

 private:
  std::string bytes_;
  std::vector<uint64_t> op_offsets_;
  uint32_t op_count_ = 0;
};

// One op of a decoded payload; the views point into the payload.
struct OpView {
  storage::WriteBatch::OpKind kind;
  std::string_view key;
  std::string_view value;
  uint32_t entry_crc;
  uint64_t offset_in_payload;  // where the op header starts
};

// Splits `payload` (already CRC-verified) into exactly `op_count` ops.
Result<std::vector<OpView>> DecodeOps(std::string_view payload, uint32_t op_count);

}  // namespace optimystic::plugins::storage_file
