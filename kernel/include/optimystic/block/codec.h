// SPDX-License-Identifier: Apache-2.0
// The canonical binary encoding of values, blocks, operations and transforms: one version byte
// then CBOR (RFC 8949) as nlohmann::json writes it, from a canonical form of the value (object
// keys sorted byte-wise; integral floating-point numbers written as integers, since the
// reference counts 1.0 and 1 as the same number). Equal values always encode to equal bytes, so
// SHA-256 over the encoding identifies content (log prior hashes, transaction ids). The byte
// layout is described in block_format.h.
// Decoding is total: any byte string yields a value or Corruption naming what is wrong and
// where; it never crashes and never reads past the input. By default a decoder also requires
// the bytes to be canonical; DecodeMode::kTrusted skips only that check, for a node's own stored
// records.
// Thread-safety: pure functions.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/operation.h>
#include <optimystic/block/transform.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace optimystic::block {

inline constexpr uint8_t kCodecVersion = 1;

// How much a decoder checks. Both modes are total and check everything except canonicality: the
// version byte, well-formed CBOR of the canonical item kinds, lengths, nesting depth, UTF-8, and
// the structure of a block or transform.
enum class DecodeMode : uint8_t {
  // Also requires the bytes to be exactly the canonical encoding of the result, which costs
  // re-encoding it. The default: for bytes from outside (the wire, peers, anything hashed or
  // compared as bytes), whose identity depends on their canonical form.
  kCanonical = 0,
  // Skips the re-encoding: a well-formed but non-canonical encoding decodes to the value it
  // spells. Only for bytes this node's own Encode* functions wrote to its own storage, where
  // damage still surfaces as Corruption through the other checks.
  kTrusted = 1,
};

// Never fails: NaN and infinities are written as null (block_format.h). Values nested deeper
// than 256 containers encode, but no decoder accepts them back.
std::string EncodeValue(const Value& value);
Result<Value> DecodeValue(std::string_view bytes);  // DecodeMode::kCanonical
Result<Value> DecodeValue(std::string_view bytes, DecodeMode mode);

// A block: a Value that passes ValidateBlock.
std::string EncodeBlock(const Value& block);
Result<Value> DecodeBlock(std::string_view bytes);  // DecodeMode::kCanonical
Result<Value> DecodeBlock(std::string_view bytes, DecodeMode mode);

std::string EncodeOperation(const BlockOperation& op);
Result<BlockOperation> DecodeOperation(std::string_view bytes);

std::string EncodeTransform(const Transform& t);
Result<Transform> DecodeTransform(std::string_view bytes);  // DecodeMode::kCanonical
Result<Transform> DecodeTransform(std::string_view bytes, DecodeMode mode);

std::string EncodeTransforms(const Transforms& t);
Result<Transforms> DecodeTransforms(std::string_view bytes);

// The Value forms used inside encodings and messages (validated on the way back).
Value OperationToValue(const BlockOperation& op);
Result<BlockOperation> OperationFromValue(const Value& v);
Value TransformToValue(const Transform& t);
Result<Transform> TransformFromValue(const Value& v);
Value TransformsToValue(const Transforms& t);
Result<Transforms> TransformsFromValue(const Value& v);

// SHA-256 of bytes (OpenSSL EVP).
std::array<uint8_t, 32> Sha256(std::string_view bytes);
// SHA-256 of the canonical encoding of `value`, in base32 (52 characters).
std::string ContentHash(const Value& value);

}  // namespace optimystic::block
