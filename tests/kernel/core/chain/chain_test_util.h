// SPDX-License-Identifier: Apache-2.0
// Helpers for the chain tests: integer entries, collecting a cursor, and a structural checker
// that walks a chain block by block from its header (without the Chain API) and verifies the
// layout of chain_format.h: the entries in order, every block reachable, links consistent both
// ways, sizes within entries-per-block (interior blocks full, only a sole block empty), the
// header naming the exact ends, and optionally the NewBlockHook stamps; plus an accounting check
// that the store holds exactly the chain's blocks (no orphans, none missing).
// Thread-safety: single-threaded test code. Errors: failures are gtest AssertionResults.
#pragma once

#include <optimystic/block/block_store.h>
#include <optimystic/block/transform.h>
#include <optimystic/chain/chain.h>

#include "support/memory_block_store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

namespace optimystic::chain::test {

using block::BlockId;
using block::Value;

// Entries from..to-1 as integer Values.
inline std::vector<Value> Ints(int64_t from, int64_t to) {
  std::vector<Value> out;
  for (int64_t i = from; i < to; ++i) {
    out.emplace_back(i);
  }
  return out;
}

inline std::vector<int64_t> AsInts(const std::vector<Value>& values) {
  std::vector<int64_t> out;
  out.reserve(values.size());
  for (const Value& v : values) {
    const int64_t* i = v.get_ptr<const int64_t*>();
    out.push_back(i != nullptr ? *i : INT64_MIN);
  }
  return out;
}

inline std::vector<int64_t> Range(int64_t from, int64_t to) { return AsInts(Ints(from, to)); }

// Every path a cursor yields, until its end or its first error.
inline Result<std::vector<ChainPath>> CollectPaths(ChainCursor cursor) {
  std::vector<ChainPath> out;
  while (true) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<ChainPath> path, cursor.Next());
    if (!path.has_value()) {
      return out;
    }
    out.push_back(std::move(*path));
  }
}

// The integer entries a cursor yields (INT64_MIN where a path is not valid).
inline Result<std::vector<int64_t>> CollectInts(ChainCursor cursor) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<ChainPath> paths, CollectPaths(std::move(cursor)));
  std::vector<int64_t> out;
  for (const ChainPath& p : paths) {
    const Value* entry = p.At();
    const int64_t* i = entry != nullptr ? entry->get_ptr<const int64_t*>() : nullptr;
    out.push_back(i != nullptr ? *i : INT64_MIN);
  }
  return out;
}

// All entries of `chain` in `direction`, as integers.
inline Result<std::vector<int64_t>> Contents(const Chain& chain,
                                             Direction direction = Direction::kForward) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(ChainCursor cursor, chain.Select(direction));
  return CollectInts(std::move(cursor));
}

// A 64-bit FNV-1a digest of the link-free payload (SPEC.md §10.7), as the property tests' hook
// stamps it. It walks the value in place (keys in order, leaving out priorId and nextId at the top
// level) rather than hashing a serialized copy.
inline void DigestInto(uint64_t& h, const Value& v, bool top) {
  auto mix = [&h](const void* data, size_t n) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      h = (h ^ p[i]) * 1099511628211ull;
    }
  };
  const auto type = static_cast<uint8_t>(v.type());
  mix(&type, 1);
  if (const int64_t* i = v.get_ptr<const int64_t*>()) {
    mix(i, sizeof *i);
  } else if (const uint64_t* u = v.get_ptr<const uint64_t*>()) {
    mix(u, sizeof *u);
  } else if (const std::string* s = v.get_ptr<const std::string*>()) {
    mix(s->data(), s->size());
  } else if (v.is_array()) {
    for (const Value& e : v) {
      DigestInto(h, e, false);
    }
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (top && (it.key() == kPriorIdMember || it.key() == kNextIdMember)) {
        continue;
      }
      mix(it.key().data(), it.key().size());
      DigestInto(h, it.value(), false);
    }
  } else {
    const std::string text = v.dump();
    mix(text.data(), text.size());
  }
}

inline uint64_t PayloadDigest(const Value& data_block) {
  uint64_t h = 1469598103934665603ull;
  DigestInto(h, data_block, true);
  return h;
}

inline constexpr const char* kDigestMember = "priorDigest";

// A NewBlockHook that stamps the digest of the predecessor on each new block.
inline NewBlockHook DigestHook() {
  return [](Value& new_block, const Value& predecessor) {
    new_block[kDigestMember] = PayloadDigest(predecessor);
    return Status::Ok();
  };
}

struct ShapeExpectation {
  size_t entries_per_block = kEntriesPerBlock;
  block::BlockType data_type{block::kChainDataType};
  bool digests = false;  // check DigestHook stamps
  // With digests: blocks whose stamp was already verified (a stamp never changes once written,
  // so each block is verified once); null checks every block on every call.
  std::set<BlockId>* verified = nullptr;
};

// Checks one validated data block reached after `prior` (null for the head): its type, its
// priorId, its size for its place in the chain, and (once) its digest stamp.
inline testing::AssertionResult CheckBlock(const Value& data, const Value* prior,
                                           const ShapeExpectation& want) {
  const BlockId& id = IdOf(data);
  const Value& type = *data.find("header")->find("type");
  if (*type.get_ptr<const std::string*>() != want.data_type) {
    return testing::AssertionFailure() << "block " << id << " has the wrong type";
  }
  const std::optional<BlockId> prior_id =
      prior != nullptr ? std::optional<BlockId>(IdOf(*prior)) : std::nullopt;
  if (LinkOf(data, kPriorIdMember) != prior_id) {
    return testing::AssertionFailure()
           << "block " << id << " priorId does not name " << prior_id.value_or("(none: head)");
  }
  const size_t size = EntriesOf(data).size();
  const bool head = prior == nullptr;
  const bool tail = !LinkOf(data, kNextIdMember).has_value();
  if (size > want.entries_per_block || (!head && !tail && size != want.entries_per_block) ||
      (size == 0 && !(head && tail))) {
    return testing::AssertionFailure()
           << "block " << id << " holds " << size << " entries (per block "
           << want.entries_per_block << ", head " << head << ", tail " << tail << ")";
  }
  if (want.digests && !head && LinkOf(*prior, kPriorIdMember).has_value() &&
      (want.verified == nullptr || want.verified->count(id) == 0)) {
    // The predecessor is interior, so its payload is as it was when this block was made.
    auto stamp = data.find(kDigestMember);
    if (stamp == data.end() || *stamp != Value(PayloadDigest(*prior))) {
      return testing::AssertionFailure()
             << "block " << id << " carries no digest of its predecessor " << *prior_id;
    }
    if (want.verified != nullptr) {
      want.verified->insert(id);
    }
  }
  return testing::AssertionSuccess();
}

// Checks that `entries` are expected[pos...] and moves `pos` past them.
inline testing::AssertionResult CheckEntries(const Value& entries,
                                             const std::deque<int64_t>& expected, size_t& pos) {
  for (const Value& e : entries) {
    const int64_t* i = e.get_ptr<const int64_t*>();
    if (pos >= expected.size() || i == nullptr || *i != expected[pos]) {
      return testing::AssertionFailure()
             << "entry " << pos << " is " << e.dump() << ", expected "
             << (pos < expected.size() ? std::to_string(expected[pos]) : "(end)");
    }
    ++pos;
  }
  return testing::AssertionSuccess();
}

// Walks the chain from its header and checks it against `expected` (see the file comment).
// On success `blocks` (when given) receives the data block ids from head to tail.
inline testing::AssertionResult CheckShape(block::BlockSource& source, const BlockId& chain_id,
                                           const std::deque<int64_t>& expected,
                                           const ShapeExpectation& want,
                                           std::vector<BlockId>* blocks = nullptr) {
  auto header = source.TryGet(chain_id, block::ReadPurpose::kValue);
  if (!header.has_value() || !header->has_value()) {
    return testing::AssertionFailure() << "header " << chain_id << " is not readable";
  }
  auto ends = EndsOf(**header);
  if (!ends.has_value() || !ends->has_value()) {
    return testing::AssertionFailure() << "header has no valid ends: " << (*header)->dump();
  }
  std::vector<BlockId> ids;
  std::optional<BlockId> id = (*ends)->head_id;
  std::optional<Value> prior;  // the previous block
  size_t pos = 0;
  for (; id.has_value(); id = LinkOf(*prior, kNextIdMember)) {
    if (ids.size() > expected.size() + 1) {
      return testing::AssertionFailure() << "more blocks than entries: a ring?";
    }
    auto got = source.TryGet(*id, block::ReadPurpose::kValue);
    if (!got.has_value() || !got->has_value()) {
      return testing::AssertionFailure() << "block " << *id << " is linked but missing";
    }
    if (Status s = ValidateDataBlock(**got); !s.ok()) {
      return testing::AssertionFailure() << s.ToString();
    }
    auto block_ok = CheckBlock(**got, prior.has_value() ? &*prior : nullptr, want);
    auto entries_ok = block_ok ? CheckEntries(EntriesOf(**got), expected, pos) : block_ok;
    if (!entries_ok) {
      return entries_ok;
    }
    ids.push_back(*id);
    prior = std::move(**got);
  }
  const BlockId last = ids.empty() ? BlockId() : ids.back();  // never empty: the head was read
  if (last != (*ends)->tail_id) {
    return testing::AssertionFailure()
           << "header tailId " << (*ends)->tail_id << " is not the tail " << last;
  }
  if (pos != expected.size()) {
    return testing::AssertionFailure()
           << "chain holds " << pos << " entries, expected " << expected.size();
  }
  if (blocks != nullptr) {
    *blocks = std::move(ids);
  }
  return testing::AssertionSuccess();
}

// Checks that the blocks visible through `overlay` laid over `memory` are exactly `header_id`
// and `blocks`: `memory` holds nothing else, and the overlay inserts, updates and deletes
// nothing else. `overlay` may be null (nothing pending).
inline testing::AssertionResult CheckAccounting(const optimystic::test::MemoryBlockStore& memory,
                                                const block::Transforms* overlay,
                                                const BlockId& header_id,
                                                const std::vector<BlockId>& blocks) {
  std::set<BlockId> live(blocks.begin(), blocks.end());
  live.insert(header_id);
  if (live.size() != blocks.size() + 1) {
    return testing::AssertionFailure() << "a block is linked twice";
  }
  int64_t visible = static_cast<int64_t>(memory.size());
  if (overlay != nullptr) {
    for (const auto& [id, block] : overlay->inserts) {
      if (live.count(id) == 0) {
        return testing::AssertionFailure() << "overlay inserts orphan " << id;
      }
      visible += memory.Contains(id) ? 0 : 1;
    }
    for (const auto& [id, ops] : overlay->updates) {
      if (live.count(id) == 0) {
        return testing::AssertionFailure() << "overlay updates orphan " << id;
      }
    }
    for (const BlockId& id : overlay->deletes) {
      if (live.count(id) != 0) {
        return testing::AssertionFailure() << "overlay deletes live block " << id;
      }
      visible -= memory.Contains(id) ? 1 : 0;
    }
  }
  if (visible != static_cast<int64_t>(live.size())) {
    return testing::AssertionFailure()
           << "the store holds " << visible << " blocks, the chain " << live.size() << " (orphans)";
  }
  return testing::AssertionSuccess();
}

}  // namespace optimystic::chain::test
