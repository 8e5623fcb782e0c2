// SPDX-License-Identifier: Apache-2.0
// The canonical byte layout of values, blocks, operations and transforms (codec.h). Internal:
// the constants below are shared by the encoder and the decoder only.
// Thread-safety: constants only. Errors: none here; the decoder reports Corruption.
//
// Envelope
//   Every encoding is one version byte, kCodecVersion = 0x01, followed by exactly one CBOR data
//   item (RFC 8949) and nothing after it. An empty input, another version byte, a truncated
//   item or trailing bytes are Corruption.
//
// Canonical form (what the encoder writes; the decoder accepts nothing else)
//   - Before encoding, the value is canonicalized:
//     * a floating-point number with no fractional part and |x| <= 2^53 becomes an integer
//       (1.0 and 1 are the same number in the reference implementation; -0.0 becomes 0);
//     * NaN, +Infinity and -Infinity become null, as JSON.stringify writes them, so that
//       encoding never fails;
//     * a binary (or discarded) nlohmann value becomes null: blocks are JSON-like and never
//       hold byte strings.
//   - Integers use the shortest CBOR head (major type 0 for >= 0, 1 for < 0); values range over
//     int64 and uint64.
//   - Other floating-point numbers are written as a 4-byte float (0xfa) when that is exact,
//     otherwise as an 8-byte double (0xfb). Half floats (0xf9) never appear.
//   - Strings are definite-length text strings (major type 3) holding valid UTF-8.
//   - Arrays (major type 4) and maps (major type 5) have definite lengths. Map keys are text
//     strings, distinct, in byte-wise (memcmp) order of their UTF-8 bytes. This is NOT the
//     length-first key order of RFC 8949 §4.2.1; it is the order of nlohmann::json objects.
//   - Simple values: false 0xf4, true 0xf5, null 0xf6. Nothing else of major type 7.
//   - Never: byte strings (major 2), tags (major 6), indefinite lengths (additional info 31),
//     undefined (0xf7) or other simple values, reserved additional info 28..30, negative
//     integers below INT64_MIN.
//   - Containers nest at most kMaxNestingDepth deep (the top-level item is depth 1).
//   The decoder checks all of this, then re-encodes what it decoded and requires the very same
//   bytes, so each value has exactly one encoding and SHA-256 over it identifies the content.
//
// Operation  [entity, index, deleteCount]            inserted absent (removes the member)
//            [entity, index, deleteCount, inserted]  inserted present (any value, null too)
//   entity is a text string; index and deleteCount are unsigned integers.
//
// Transform  a map with only the members that are present, in this (byte-wise) key order:
//   "delete":  true                  only when the block is deleted (never false)
//   "insert":  block                 the inserted block
//   "updates": [operation, ...]      only when non-empty
//   The empty transform is the empty map.
//
// Transforms a map with all three members, always present (empty when unused):
//   "deletes": [id, ...]             text strings, in the transform's order
//   "inserts": {id: block, ...}      each block's header.id equals its key
//   "updates": {id: [operation, ...], ...}
//
// Block      a map with a "header" member {"collectionId": text, "id": text (non-empty),
//            "type": text (non-empty)} and any other members.
#pragma once

#include <cstddef>
#include <cstdint>

namespace optimystic::block::format {

// Deepest container nesting the decoder accepts. The CBOR parser recurses once per level, so
// this bounds its stack use; the decoder's own pre-scan is iterative.
inline constexpr size_t kMaxNestingDepth = 256;

// Integral floating-point numbers within this magnitude are written as integers.
inline constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53

inline constexpr const char* kDeleteKey = "delete";
inline constexpr const char* kInsertKey = "insert";
inline constexpr const char* kUpdatesKey = "updates";
inline constexpr const char* kDeletesKey = "deletes";
inline constexpr const char* kInsertsKey = "inserts";

}  // namespace optimystic::block::format
