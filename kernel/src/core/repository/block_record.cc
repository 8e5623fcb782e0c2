// SPDX-License-Identifier: Apache-2.0
#include "core/repository/block_record.h"

#include <optimystic/block/codec.h>
#include <optimystic/block/value.h>

#include <utility>

namespace optimystic::core::repository {
namespace {

using block::Value;

// A non-negative integer member, or nullopt.
std::optional<uint64_t> UnsignedOf(const Value& v) {
  if (const auto* u = v.get_ptr<const Value::number_unsigned_t*>()) {
    return static_cast<uint64_t>(*u);
  }
  if (const auto* i = v.get_ptr<const Value::number_integer_t*>(); i != nullptr && *i >= 0) {
    return static_cast<uint64_t>(*i);
  }
  return std::nullopt;
}

Result<RevisionRange> DecodeRange(const Value& v) {
  if (!v.is_array() || v.empty() || v.size() > 2) {
    return Status::Corruption("metadata: range is not [start] or [start, end]");
  }
  RevisionRange range;
  std::optional<uint64_t> start = UnsignedOf(v[0]);
  if (!start) {
    return Status::Corruption("metadata: range start is not an unsigned integer");
  }
  range.start = *start;
  if (v.size() == 2) {
    range.end = UnsignedOf(v[1]);
    if (!range.end || *range.end <= range.start) {
      return Status::Corruption("metadata: range end is not an integer above its start");
    }
  }
  return range;
}

Result<transactor::ActionRev> DecodeLatest(const Value& v) {
  if (!v.is_object()) {
    return Status::Corruption("metadata: latest is not an object");
  }
  auto a = v.find("a");
  auto r = v.find("r");
  if (a == v.end() || !a->is_string() || r == v.end()) {
    return Status::Corruption("metadata: latest lacks a string \"a\" and a rev \"r\"");
  }
  std::optional<uint64_t> rev = UnsignedOf(*r);
  if (!rev || *rev == 0) {
    return Status::Corruption("metadata: latest rev is not a positive integer");
  }
  return transactor::ActionRev{*a->get_ptr<const std::string*>(), *rev};
}

}  // namespace

bool BlockMeta::IsRangeFloor(uint64_t rev) const {
  for (const RevisionRange& range : ranges) {
    if (range.start == rev) {
      return true;
    }
  }
  return false;
}

std::string EncodeBlockMeta(const BlockMeta& meta) {
  // Built member by member: initializer lists copy every element once more.
  Value v = Value::object();
  if (meta.latest) {
    Value latest = Value::object();
    latest["a"] = meta.latest->action_id;
    latest["r"] = meta.latest->rev;
    v["latest"] = std::move(latest);
  }
  Value ranges = Value::array();
  for (const RevisionRange& range : meta.ranges) {
    Value r = Value::array();
    r.push_back(range.start);
    if (range.end) {
      r.push_back(*range.end);
    }
    ranges.push_back(std::move(r));
  }
  v["ranges"] = std::move(ranges);
  v["n"] = meta.revisions;
  return block::EncodeValue(v);
}

Result<BlockMeta> DecodeBlockMeta(std::string_view bytes, block::DecodeMode mode) {
  Result<Value> decoded = block::DecodeValue(bytes, mode);
  if (!decoded) {
    return Status::Corruption(decoded.error().message()).WithContext("metadata");
  }
  const Value& v = *decoded;
  if (!v.is_object()) {
    return Status::Corruption("metadata: not an object");
  }
  BlockMeta meta;
  if (auto latest = v.find("latest"); latest != v.end()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(meta.latest, DecodeLatest(*latest));
  }
  auto ranges = v.find("ranges");
  if (ranges == v.end() || !ranges->is_array()) {
    return Status::Corruption("metadata: ranges is not an array");
  }
  for (const Value& r : *ranges) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(RevisionRange range, DecodeRange(r));
    meta.ranges.push_back(range);
  }
  auto n = v.find("n");
  std::optional<uint64_t> count = n == v.end() ? std::nullopt : UnsignedOf(*n);
  if (!count) {
    return Status::Corruption("metadata: \"n\" is not an unsigned integer");
  }
  meta.revisions = *count;
  if (meta.latest.has_value() != (meta.revisions > 0)) {
    return Status::Corruption("metadata: latest and the revision count disagree");
  }
  return meta;
}

}  // namespace optimystic::core::repository
