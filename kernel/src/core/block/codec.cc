// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/codec.h>

#include <optimystic/base/base32.h>

#include "core/block/block_format.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::block {

namespace {

// ---- Canonical form ---------------------------------------------------------------------------

bool IsCanonicalNumber(double x) {
  return std::isfinite(x) && !(std::trunc(x) == x && std::fabs(x) <= format::kMaxSafeInteger);
}

// Whether `v` is already in canonical form (so that encoding needs no copy).
bool IsCanonical(const Value& v) {
  switch (v.type()) {
    case Value::value_t::number_float:
      return IsCanonicalNumber(*v.get_ptr<const double*>());
    case Value::value_t::binary:
    case Value::value_t::discarded:
      return false;
    case Value::value_t::array:
      for (const Value& element : *v.get_ptr<const Value::array_t*>()) {
        if (!IsCanonical(element)) {
          return false;
        }
      }
      return true;
    case Value::value_t::object:
      for (const auto& [key, member] : *v.get_ptr<const Value::object_t*>()) {
        if (!IsCanonical(member)) {
          return false;
        }
      }
      return true;
    default:
      return true;
  }
}

// Rewrites `v` into canonical form (block_format.h).
void Canonicalize(Value& v) {
  switch (v.type()) {
    case Value::value_t::number_float: {
      const double x = *v.get_ptr<const double*>();
      if (!std::isfinite(x)) {
        v = nullptr;
      } else if (std::trunc(x) == x && std::fabs(x) <= format::kMaxSafeInteger) {
        v = static_cast<int64_t>(x);
      }
      return;
    }
    case Value::value_t::binary:
    case Value::value_t::discarded:
      v = nullptr;
      return;
    case Value::value_t::array:
      for (Value& element : *v.get_ptr<Value::array_t*>()) {
        Canonicalize(element);
      }
      return;
    case Value::value_t::object:
      for (auto& [key, member] : *v.get_ptr<Value::object_t*>()) {
        Canonicalize(member);
      }
      return;
    default:
      return;
  }
}

// ---- Pre-scan ---------------------------------------------------------------------------------
// nlohmann's CBOR parser recurses once per nesting level and aborts (JSON_NOEXCEPTION) on a
// declared container length above max_size(). So before it sees any bytes, this iterative scan
// checks every head: nesting depth, lengths within the remaining input, only the item kinds of
// the canonical form, valid UTF-8 in text strings.

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Continuation bytes after the lead byte, and the smallest code point of that length.
    const size_t extra = (c & 0xE0) == 0xC0   ? 1
                         : (c & 0xF0) == 0xE0 ? 2
                         : (c & 0xF8) == 0xF0 ? 3
                                              : 0;
    if (extra == 0) {
      return false;
    }
    static constexpr uint32_t kMinCodePoint[] = {0, 0x80, 0x800, 0x10000};
    const uint32_t min = kMinCodePoint[extra];
    uint32_t cp = c & (0x7Fu >> (extra + 1));
    if (s.size() - i - 1 < extra) {
      return false;
    }
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

struct Head {
  uint8_t major = 0;
  uint8_t info = 0;
  uint64_t arg = 0;
};

class CborScanner final {
 public:
  // `base` is the offset of `in` within the whole encoding, for messages.
  CborScanner(std::string_view in, size_t base) : in_(in), base_(base) {}

  // OK when `in` is exactly one well-formed item of the canonical kinds; otherwise an error
  // whose message is the reason.
  Status Scan();

 private:
  struct Frame {
    uint64_t remaining;  // items still to read; for a map keys and values both count
    bool is_map;
  };

  size_t left() const { return in_.size() - pos_; }
  Status Fail(const std::string& reason, size_t at) const {
    return Status::Corruption(reason + " at offset " + std::to_string(base_ + at));
  }
  Result<Head> ReadHead();
  // Checks one item whose head is `h` (read at `at`) and, for a non-empty container, pushes it.
  Status Item(const Head& h, size_t at, bool is_key);

  std::string_view in_;
  size_t base_;
  size_t pos_ = 0;
  std::vector<Frame> stack_;
};

Result<Head> CborScanner::ReadHead() {
  const size_t at = pos_;
  if (left() == 0) {
    return Fail("truncated item", at);
  }
  const auto initial = static_cast<uint8_t>(in_[pos_++]);
  Head h{static_cast<uint8_t>(initial >> 5), static_cast<uint8_t>(initial & 0x1F), 0};
  if (h.info < 24) {
    h.arg = h.info;
    return h;
  }
  if (h.info == 31) {
    return Fail("indefinite length is not allowed", at);
  }
  if (h.info > 27) {
    return Fail("reserved additional information " + std::to_string(h.info), at);
  }
  const size_t size = size_t{1} << (h.info - 24);
  if (left() < size) {
    return Fail("truncated head", at);
  }
  for (size_t i = 0; i < size; ++i) {
    h.arg = (h.arg << 8) | static_cast<uint8_t>(in_[pos_++]);
  }
  return h;
}

Status CborScanner::Item(const Head& h, size_t at, bool is_key) {
  if (is_key && h.major != 3) {
    return Fail("map key is not a text string", at);
  }
  switch (h.major) {
    case 0:
      return Status::Ok();
    case 1:
      if (h.arg > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Fail("negative integer below INT64_MIN", at);
      }
      return Status::Ok();
    case 2:
      return Fail("byte strings are not allowed", at);
    case 3:
      if (h.arg > left()) {
        return Fail("string length exceeds the input", at);
      }
      if (!IsValidUtf8(in_.substr(pos_, h.arg))) {
        return Fail("string is not valid UTF-8", at);
      }
      pos_ += h.arg;
      return Status::Ok();
    case 4:
    case 5: {
      const bool is_map = h.major == 5;
      // Each array element needs at least one byte, each map entry two.
      if (h.arg > (is_map ? left() / 2 : left())) {
        return Fail(is_map ? "map length exceeds the input" : "array length exceeds the input", at);
      }
      if (stack_.size() > format::kMaxNestingDepth) {
        return Fail("nesting deeper than " + std::to_string(format::kMaxNestingDepth), at);
      }
      if (h.arg > 0) {
        stack_.push_back(Frame{is_map ? h.arg * 2 : h.arg, is_map});
      }
      return Status::Ok();
    }
    case 6:
      return Fail("tags are not allowed", at);
    default:
      if (h.info == 20 || h.info == 21 || h.info == 22 || (h.info >= 25 && h.info <= 27)) {
        return Status::Ok();
      }
      return Fail("unsupported simple value " + std::to_string(h.info), at);
  }
}

Status CborScanner::Scan() {
  // The bottom frame stands for the single top-level item, so a container's depth is the
  // stack size when its head is read.
  stack_.push_back(Frame{1, false});
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    if (top.remaining == 0) {
      stack_.pop_back();
      continue;
    }
    const bool is_key = top.is_map && top.remaining % 2 == 0;
    --top.remaining;  // `top` may dangle once Item pushes
    const size_t at = pos_;
    OPTIMYSTIC_ASSIGN_OR_RETURN(Head h, ReadHead());
    OPTIMYSTIC_RETURN_IF_ERROR(Item(h, at, is_key));
  }
  if (pos_ != in_.size()) {
    return Fail("trailing bytes", pos_);
  }
  return Status::Ok();
}

// ---- Envelope ---------------------------------------------------------------------------------

Status DecodeError(std::string_view what, std::string_view reason) {
  return Status::Corruption("decode " + std::string(what) + ": " + std::string(reason));
}

Result<Value> DecodeAs(std::string_view bytes, std::string_view what, DecodeMode mode) {
  if (bytes.empty()) {
    return DecodeError(what, "empty input");
  }
  const auto version = static_cast<uint8_t>(bytes[0]);
  if (version != kCodecVersion) {
    return DecodeError(what, "unsupported version " + std::to_string(version));
  }
  const std::string_view body = bytes.substr(1);
  Status scanned = CborScanner(body, 1).Scan();
  if (!scanned.ok()) {
    return DecodeError(what, scanned.message());
  }
  // What Value::from_cbor does (same reader, same tree builder, strict), minus the deep copy of
  // the tree that its `return res ? result : discarded` makes.
  Value v;
  nlohmann::detail::json_sax_dom_parser<Value> builder(v, /*allow_exceptions=*/false);
  const bool parsed = Value::sax_parse(body.begin(), body.end(), &builder,
                                       Value::input_format_t::cbor, /*strict=*/true);
  if (!parsed || v.is_discarded()) {
    return DecodeError(what, "malformed CBOR");
  }
  if (mode == DecodeMode::kCanonical && EncodeValue(v) != bytes) {
    return DecodeError(what, "not in canonical form");
  }
  return v;
}

// Turns a structural (InvalidArgument) error of a FromValue function into Corruption.
Status AsCorruption(const Status& s) {
  return Status::Corruption("decode " + std::string(s.message()));
}

// ---- Structures -------------------------------------------------------------------------------

Status Invalid(const std::string& path, std::string_view reason) {
  return Status::InvalidArgument(path + ": " + std::string(reason));
}

Result<uint64_t> UnsignedFrom(const Value& v, const std::string& path) {
  if (const auto* u = v.get_ptr<const uint64_t*>(); u != nullptr) {
    return *u;
  }
  if (const auto* i = v.get_ptr<const int64_t*>(); i != nullptr && *i >= 0) {
    return static_cast<uint64_t>(*i);
  }
  return Invalid(path, "expected an unsigned integer");
}

Result<BlockOperation> OperationAt(const Value& v, const std::string& path) {
  if (!v.is_array() || v.size() < 3 || v.size() > 4) {
    return Invalid(path, "expected an array of 3 or 4 elements");
  }
  const auto& elements = *v.get_ptr<const Value::array_t*>();
  if (!elements[0].is_string()) {
    return Invalid(path + "[0]", "entity: expected a string");
  }
  BlockOperation op;
  op.entity = *elements[0].get_ptr<const std::string*>();
  OPTIMYSTIC_ASSIGN_OR_RETURN(op.index, UnsignedFrom(elements[1], path + "[1] index"));
  OPTIMYSTIC_ASSIGN_OR_RETURN(op.delete_count, UnsignedFrom(elements[2], path + "[2] deleteCount"));
  if (elements.size() == 4) {
    op.inserted = elements[3];
  }
  return op;
}

Result<BlockOperations> OperationsAt(const Value& v, const std::string& path) {
  if (!v.is_array()) {
    return Invalid(path, "expected an array of operations");
  }
  BlockOperations ops;
  const auto& elements = *v.get_ptr<const Value::array_t*>();
  ops.reserve(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(BlockOperation op,
                                OperationAt(elements[i], path + "[" + std::to_string(i) + "]"));
    ops.push_back(std::move(op));
  }
  return ops;
}

Value OperationsToValue(const BlockOperations& ops) {
  Value out = Value::array();
  for (const BlockOperation& op : ops) {
    out.push_back(OperationToValue(op));
  }
  return out;
}

Status BlockAt(const Value& v, const std::string& path) {
  Status status = ValidateBlock(v);
  return status.ok() ? status : Invalid(path, status.message());
}

Result<std::map<BlockId, Value>> InsertsFrom(const Value& v) {
  if (!v.is_object()) {
    return Invalid("transforms: inserts", "expected a map");
  }
  std::map<BlockId, Value> inserts;
  for (const auto& [id, block] : *v.get_ptr<const Value::object_t*>()) {
    const std::string path = "transforms: inserts[" + id + "]";
    OPTIMYSTIC_RETURN_IF_ERROR(BlockAt(block, path));
    if (HeaderOf(block)->id != id) {
      return Invalid(path, "header.id differs from the key");
    }
    inserts.emplace(id, block);
  }
  return inserts;
}

Result<std::map<BlockId, BlockOperations>> UpdatesFrom(const Value& v) {
  if (!v.is_object()) {
    return Invalid("transforms: updates", "expected a map");
  }
  std::map<BlockId, BlockOperations> updates;
  for (const auto& [id, ops] : *v.get_ptr<const Value::object_t*>()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(BlockOperations parsed,
                                OperationsAt(ops, "transforms: updates[" + id + "]"));
    updates.emplace(id, std::move(parsed));
  }
  return updates;
}

Result<std::vector<BlockId>> DeletesFrom(const Value& v) {
  if (!v.is_array()) {
    return Invalid("transforms: deletes", "expected an array of ids");
  }
  std::vector<BlockId> deletes;
  for (const Value& id : *v.get_ptr<const Value::array_t*>()) {
    if (!id.is_string()) {
      return Invalid("transforms: deletes", "expected an array of ids");
    }
    deletes.push_back(*id.get_ptr<const std::string*>());
  }
  return deletes;
}

// Decodes `bytes` as `what` with `from`; in DecodeMode::kCanonical also requires `encode` to give
// back the same bytes.
template <class T, class From, class Encode>
Result<T> DecodeStructure(std::string_view bytes, std::string_view what, DecodeMode mode, From from,
                          Encode encode) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value v, DecodeAs(bytes, what, mode));
  Result<T> out = from(v);
  if (!out.has_value()) {
    return AsCorruption(out.error());
  }
  if (mode == DecodeMode::kCanonical && encode(*out) != bytes) {
    return DecodeError(what, "not in canonical form");
  }
  return out;
}

}  // namespace

std::string EncodeValue(const Value& value) {
  std::string out(1, static_cast<char>(kCodecVersion));
  if (IsCanonical(value)) {
    Value::to_cbor(value, out);
  } else {
    Value canonical = value;
    Canonicalize(canonical);
    Value::to_cbor(canonical, out);
  }
  return out;
}

Result<Value> DecodeValue(std::string_view bytes) {
  return DecodeValue(bytes, DecodeMode::kCanonical);
}

Result<Value> DecodeValue(std::string_view bytes, DecodeMode mode) {
  return DecodeAs(bytes, "value", mode);
}

std::string EncodeBlock(const Value& block) { return EncodeValue(block); }

Result<Value> DecodeBlock(std::string_view bytes) {
  return DecodeBlock(bytes, DecodeMode::kCanonical);
}

Result<Value> DecodeBlock(std::string_view bytes, DecodeMode mode) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Value v, DecodeAs(bytes, "block", mode));
  Status valid = ValidateBlock(v);
  if (!valid.ok()) {
    return AsCorruption(valid);
  }
  return v;
}

std::string EncodeOperation(const BlockOperation& op) { return EncodeValue(OperationToValue(op)); }

Result<BlockOperation> DecodeOperation(std::string_view bytes) {
  return DecodeStructure<BlockOperation>(bytes, "operation", DecodeMode::kCanonical,
                                         OperationFromValue, EncodeOperation);
}

std::string EncodeTransform(const Transform& t) { return EncodeValue(TransformToValue(t)); }

Result<Transform> DecodeTransform(std::string_view bytes) {
  return DecodeTransform(bytes, DecodeMode::kCanonical);
}

Result<Transform> DecodeTransform(std::string_view bytes, DecodeMode mode) {
  return DecodeStructure<Transform>(bytes, "transform", mode, TransformFromValue, EncodeTransform);
}

std::string EncodeTransforms(const Transforms& t) { return EncodeValue(TransformsToValue(t)); }

Result<Transforms> DecodeTransforms(std::string_view bytes) {
  return DecodeStructure<Transforms>(bytes, "transforms", DecodeMode::kCanonical,
                                     TransformsFromValue, EncodeTransforms);
}

Value OperationToValue(const BlockOperation& op) {
  Value out = Value::array();
  out.push_back(op.entity);
  out.push_back(op.index);
  out.push_back(op.delete_count);
  if (op.inserted.has_value()) {
    out.push_back(*op.inserted);
  }
  return out;
}

Result<BlockOperation> OperationFromValue(const Value& v) { return OperationAt(v, "operation"); }

Value TransformToValue(const Transform& t) {
  Value out = Value::object();
  if (t.remove) {
    out[format::kDeleteKey] = true;
  }
  if (t.insert.has_value()) {
    out[format::kInsertKey] = *t.insert;
  }
  if (!t.updates.empty()) {
    out[format::kUpdatesKey] = OperationsToValue(t.updates);
  }
  return out;
}

Result<Transform> TransformFromValue(const Value& v) {
  if (!v.is_object()) {
    return Invalid("transform", "expected a map");
  }
  Transform t;
  for (const auto& [key, member] : *v.get_ptr<const Value::object_t*>()) {
    if (key == format::kDeleteKey) {
      if (!member.is_boolean()) {
        return Invalid("transform: delete", "expected a boolean");
      }
      t.remove = *member.get_ptr<const bool*>();
    } else if (key == format::kInsertKey) {
      OPTIMYSTIC_RETURN_IF_ERROR(BlockAt(member, "transform: insert"));
      t.insert = member;
    } else if (key == format::kUpdatesKey) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(t.updates, OperationsAt(member, "transform: updates"));
    } else {
      return Invalid("transform", "unexpected member \"" + key + "\"");
    }
  }
  return t;
}

Value TransformsToValue(const Transforms& t) {
  Value inserts = Value::object();
  for (const auto& [id, block] : t.inserts) {
    inserts[id] = block;
  }
  Value updates = Value::object();
  for (const auto& [id, ops] : t.updates) {
    updates[id] = OperationsToValue(ops);
  }
  Value deletes = Value::array();
  for (const BlockId& id : t.deletes) {
    deletes.push_back(id);
  }
  Value out = Value::object();
  out[format::kDeletesKey] = std::move(deletes);
  out[format::kInsertsKey] = std::move(inserts);
  out[format::kUpdatesKey] = std::move(updates);
  return out;
}

Result<Transforms> TransformsFromValue(const Value& v) {
  if (!v.is_object()) {
    return Invalid("transforms", "expected a map");
  }
  Transforms t;
  for (const auto& [key, member] : *v.get_ptr<const Value::object_t*>()) {
    if (key == format::kInsertsKey) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(t.inserts, InsertsFrom(member));
    } else if (key == format::kUpdatesKey) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(t.updates, UpdatesFrom(member));
    } else if (key == format::kDeletesKey) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(t.deletes, DeletesFrom(member));
    } else {
      return Invalid("transforms", "unexpected member \"" + key + "\"");
    }
  }
  return t;
}

std::array<uint8_t, 32> Sha256(std::string_view bytes) {
  std::array<uint8_t, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    // Only an OpenSSL build without SHA-256 gets here; no hash means no identity for anything.
    std::fprintf(stderr, "optimystic: EVP_Digest(SHA-256) failed\n");
    std::abort();
  }
  return digest;
}

std::string ContentHash(const Value& value) {
  const std::array<uint8_t, 32> digest = Sha256(EncodeValue(value));
  return base::Base32Encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace optimystic::block
