// SPDX-License-Identifier: Apache-2.0
// The on-disk format of the `storage.file` engine: segment files of CRC-checked records, each
// record one whole WriteBatch. This header is the specification (LevelDB db/log_format.h style)
// plus the constants and fixed-width codecs that implement it.
// Thread-safety: pure functions and constants. Errors: DecodeRecordHeader returns nullopt for a
// header that fails its checksum or its limits; callers turn that into Corruption or a torn tail.
//
// Directory
//   A data directory holds segment files named NNNNNNNN.seg (the segment number in decimal,
//   zero-padded to at least 8 digits), a LOCK file held with flock(2) while an engine has the
//   directory open, and, only while a compaction runs, one NNNNNNNN.compact file. A segment has
//   no file header: it is a sequence of records. Replaying the segments in number order, each
//   from offset 0, rebuilds the current state. Exactly one segment, the highest-numbered, is
//   "active" (appended to); the others are "sealed" and never change again.
//
// Record
//   header, 25 bytes, every integer little-endian:
//     header_crc     4 bytes  masked CRC32C of the 21 header bytes that follow it
//     payload_crc    4 bytes  masked CRC32C of the payload
//     payload_bytes  4 bytes  length of the payload, at most kMaxPayloadBytes
//     type           1 byte   1 = batch, 2 = compaction marker
//     sequence       8 bytes  the batch's sequence number (see below)
//     op_count       4 bytes  number of ops in the payload
//   payload: op_count ops back to back, each:
//     kind           1 byte   1 = put, 2 = delete (WriteBatch::OpKind)
//     key_bytes      4 bytes
//     value_bytes    4 bytes  0 for a delete
//     entry_crc      4 bytes  masked CRC32C of the key bytes followed by the value bytes
//     key            key_bytes bytes
//     value          value_bytes bytes
//   The payload holds exactly op_count ops and nothing else. The header CRC makes the length
//   trustworthy before the payload is read; the entry CRC lets a point read verify one value
//   without reading the rest of its batch. Masking is base::Crc32cMask.
//
// Sequence numbers
//   Each Write takes the next sequence number. A compaction marker and the records a compaction
//   copies carry the highest sequence number found in the compaction's inputs, so sequence
//   numbers never decrease in replay order; a decrease is Corruption.
//
// Compaction marker
//   A record of type 2 with an empty payload and op_count 0. It is only ever the first record of
//   a segment, and it means: every segment numbered below this one is obsolete. A compaction of
//   the sealed segments a..b (always every sealed segment, so no older put can outlive a dropped
//   delete) writes a marker and then the live entries of a..b, as put-only batch records, into
//   b.compact; fsyncs it; renames it over b.seg; fsyncs the directory; and then deletes a..b-1.
//   Open deletes any *.compact file and every segment below the highest-numbered segment that
//   starts with a marker, so a crash at any step leaves either the old segments or the new one,
//   never a mix that replays wrongly.
//
// Recovery
//   A record is intact when its header CRC matches, its payload lies within the file, its payload
//   CRC matches and its ops parse. At the first record that is not intact (at offset X) in the
//   LAST segment, the engine looks for any intact record starting after X whose sequence number
//   is not below the last good one. If there is none, X..end is a torn tail left by a crash in
//   the middle of an append: it is truncated away and logged at warn. Otherwise, and for any
//   damage in an earlier segment, opening fails with Corruption naming the file and offset X.
//   The engine never skips a bad record and carries on, so it never serves data that a later,
//   lost record had overwritten or deleted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace optimystic::plugins::storage_file {

inline constexpr size_t kRecordHeaderBytes = 25;
inline constexpr size_t kOpHeaderBytes = 13;
inline constexpr uint32_t kMaxPayloadBytes = 1u << 30;  // 1 GiB: one batch's encoded ops
inline constexpr std::string_view kSegmentSuffix = ".seg";
inline constexpr std::string_view kCompactionSuffix = ".compact";
inline constexpr std::string_view kLockFileName = "LOCK";

enum class RecordType : uint8_t { kBatch = 1, kCompactionMarker = 2 };

struct RecordHeader {
  uint32_t payload_crc = 0;  // masked
  uint32_t payload_bytes = 0;
  RecordType type = RecordType::kBatch;
  uint64_t sequence = 0;
  uint32_t op_count = 0;
};

inline void EncodeFixed32(char* dst, uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
}

inline void EncodeFixed64(char* dst, uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
}

inline uint32_t DecodeFixed32(const char* src) noexcept {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(src[i]);
  return v;
}

inline uint64_t DecodeFixed64(const char* src) noexcept {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(src[i]);
  return v;
}

// Writes the kRecordHeaderBytes bytes of `header` to `dst`, header CRC included.
void EncodeRecordHeader(const RecordHeader& header, char* dst) noexcept;

// Parses kRecordHeaderBytes bytes at `src`. nullopt when the header CRC does not match, the type
// is unknown, payload_bytes exceeds kMaxPayloadBytes or a marker has a payload.
std::optional<RecordHeader> DecodeRecordHeader(const char* src) noexcept;

}  // namespace optimystic::plugins::storage_file
