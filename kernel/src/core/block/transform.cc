// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/transform.h>

#include <algorithm>
#include <set>
#include <utility>

namespace optimystic::block {

namespace {

void AppendDistinct(std::vector<BlockId>& out, std::set<BlockId>& seen,
                    const std::vector<BlockId>& ids) {
  for (const BlockId& id : ids) {
    if (seen.insert(id).second) {
      out.push_back(id);
    }
  }
}

}  // namespace

std::vector<BlockId> BlockIdsForTransforms(const Transforms& t) {
  std::set<BlockId> ids(t.deletes.begin(), t.deletes.end());
  for (const auto& [id, block] : t.inserts) {
    ids.insert(id);
  }
  for (const auto& [id, ops] : t.updates) {
    ids.insert(id);
  }
  return {ids.begin(), ids.end()};
}

bool IsTransformsEmpty(const Transforms& t) {
  return t.inserts.empty() && t.updates.empty() && t.deletes.empty();
}

Transforms MergeTransforms(const Transforms& a, const Transforms& b) {
  Transforms out;
  out.inserts = a.inserts;
  for (const auto& [id, block] : b.inserts) {
    out.inserts.insert_or_assign(id, block);  // b wins (SPEC.md §1.6)
  }
  out.updates = a.updates;
  for (const auto& [id, ops] : b.updates) {
    BlockOperations& merged = out.updates[id];
    merged.insert(merged.end(), ops.begin(), ops.end());
  }
  std::set<BlockId> seen;
  AppendDistinct(out.deletes, seen, a.deletes);
  AppendDistinct(out.deletes, seen, b.deletes);
  return out;
}

Transforms ConcatTransforms(const std::vector<Transforms>& all) {
  Transforms out;
  for (const Transforms& t : all) {
    out = MergeTransforms(out, t);
  }
  return out;
}

Transforms ConcatTransform(const Transforms& ts, const BlockId& id, const Transform& t) {
  return MergeTransforms(ts, TransformsFromTransform(t, id));
}

Transform TransformForBlockId(const Transforms& ts, const BlockId& id) {
  Transform out;
  if (auto it = ts.inserts.find(id); it != ts.inserts.end()) {
    out.insert = it->second;
  }
  if (auto it = ts.updates.find(id); it != ts.updates.end()) {
    out.updates = it->second;
  }
  out.remove = std::find(ts.deletes.begin(), ts.deletes.end(), id) != ts.deletes.end();
  return out;
}

Transforms TransformsFromTransform(const Transform& t, const BlockId& id) {
  Transforms out;
  if (t.insert.has_value()) {
    out.inserts.emplace(id, *t.insert);
  }
  if (!t.updates.empty()) {
    out.updates.emplace(id, t.updates);
  }
  if (t.remove) {
    out.deletes.push_back(id);
  }
  return out;
}

Result<std::optional<Value>> ApplyTransform(const std::optional<Value>& block, const Transform& t) {
  if (t.remove) {
    return std::optional<Value>();
  }
  std::optional<Value> out = t.insert.has_value() ? t.insert : block;
  if (out.has_value() && !t.updates.empty()) {
    Status status = ApplyOperations(*out, t.updates);
    if (!status.ok()) {
      auto header = HeaderOf(*out);
      return status.WithContext("apply transform to block " +
                                (header.has_value() ? header->id : std::string("?")));
    }
  }
  return out;
}

}  // namespace optimystic::block
