// SPDX-License-Identifier: Apache-2.0
#include "storage/file/segment_record.h"

#include <optimystic/base/crc32c.h>

namespace optimystic::plugins::storage_file {

using storage::WriteBatch;

void EncodeRecordHeader(const RecordHeader& header, char* dst) noexcept {
  EncodeFixed32(dst + 4, header.payload_crc);
  EncodeFixed32(dst + 8, header.payload_bytes);
  dst[12] = static_cast<char>(header.type);
  EncodeFixed64(dst + 13, header.sequence);
  EncodeFixed32(dst + 21, header.op_count);
  EncodeFixed32(dst, base::Crc32cMask(base::Crc32cExtend(0, dst + 4, kRecordHeaderBytes - 4)));
}

std::optional<RecordHeader> DecodeRecordHeader(const char* src) noexcept {
  uint32_t expected = base::Crc32cUnmask(DecodeFixed32(src));
  if (base::Crc32cExtend(0, src + 4, kRecordHeaderBytes - 4) != expected) return std::nullopt;
  RecordHeader header;
  header.payload_crc = DecodeFixed32(src + 4);
  header.payload_bytes = DecodeFixed32(src + 8);
  const auto type = static_cast<uint8_t>(src[12]);
  header.sequence = DecodeFixed64(src + 13);
  header.op_count = DecodeFixed32(src + 21);
  if (header.payload_bytes > kMaxPayloadBytes) return std::nullopt;
  if (type == static_cast<uint8_t>(RecordType::kBatch)) {
    header.type = RecordType::kBatch;
  } else if (type == static_cast<uint8_t>(RecordType::kCompactionMarker)) {
    header.type = RecordType::kCompactionMarker;
    if (header.payload_bytes != 0 || header.op_count != 0) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return header;
}

uint32_t EntryCrc(std::string_view key, std::string_view value) noexcept {
  uint32_t crc = base::Crc32cExtend(0, key.data(), key.size());
  return base::Crc32cMask(base::Crc32cExtend(crc, value.data(), value.size()));
}

void RecordBuilder::AddOp(WriteBatch::OpKind kind, std::string_view key, std::string_view value) {
  op_offsets_.push_back(bytes_.size());
  char header[kOpHeaderBytes];
  header[0] = static_cast<char>(kind);
  EncodeFixed32(header + 1, static_cast<uint32_t>(key.size()));
  EncodeFixed32(header + 5, static_cast<uint32_t>(value.size()));
  EncodeFixed32(header + 9, EntryCrc(key, value));
  bytes_.append(header, kOpHeaderBytes);
  bytes_.append(key);
  bytes_.append(value);
  ++op_count_;
}

std::string_view RecordBuilder::Finish(RecordType type, uint64_t sequence) noexcept {
  RecordHeader header;
  header.payload_bytes = static_cast<uint32_t>(payload_bytes());
  header.payload_crc =
      base::Crc32cMask(base::Crc32cExtend(0, bytes_.data() + kRecordHeaderBytes, payload_bytes()));
  header.type = type;
  header.sequence = sequence;
  header.op_count = op_count_;
  EncodeRecordHeader(header, bytes_.data());
  return bytes_;
}

void RecordBuilder::Clear() {
  bytes_.assign(kRecordHeaderBytes, '\0');
  op_offsets_.clear();
  op_count_ = 0;
}

Result<std::vector<OpView>> DecodeOps(std::string_view payload, uint32_t op_count) {
  std::vector<OpView> ops;
  ops.reserve(op_count);
  uint64_t pos = 0;
  for (uint32_t i = 0; i < op_count; ++i) {
    auto corrupt = [&](std::string_view what) {
      return Status::Corruption("op " + std::to_string(i) + " at payload offset " +
                                std::to_string(pos) + ": " + std::string(what));
    };
    if (payload.size() - pos < kOpHeaderBytes) return corrupt("truncated op header");
    const char* h = payload.data() + pos;
    const auto kind = static_cast<uint8_t>(h[0]);
    const uint64_t key_bytes = DecodeFixed32(h + 1);
    const uint64_t value_bytes = DecodeFixed32(h + 5);
    if (kind != static_cast<uint8_t>(WriteBatch::OpKind::kPut) &&
        kind != static_cast<uint8_t>(WriteBatch::OpKind::kDelete)) {
      return corrupt("unknown op kind " + std::to_string(kind));
    }
    if (kind == static_cast<uint8_t>(WriteBatch::OpKind::kDelete) && value_bytes != 0) {
      return corrupt("delete with a value");
    }
    if (payload.size() - pos - kOpHeaderBytes < key_bytes + value_bytes) {
      return corrupt("op extends past the payload");
    }
    ops.push_back(OpView{
        static_cast<WriteBatch::OpKind>(kind), payload.substr(pos + kOpHeaderBytes, key_bytes),
        payload.substr(pos + kOpHeaderBytes + key_bytes, value_bytes), DecodeFixed32(h + 9), pos});
    pos += kOpHeaderBytes + key_bytes + value_bytes;
  }
  if (pos != payload.size()) {
    return Status::Corruption("payload has " + std::to_string(payload.size() - pos) +
                              " bytes after its last op");
  }
  return ops;
}

}  // namespace optimystic::plugins::storage_file
