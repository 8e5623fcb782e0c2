// SPDX-License-Identifier: Apache-2.0
// Tree keys and the B+tree traits of the Tree collection. A key is a string or a finite number,
// and keys have one total order that every node computes the same way: every number comes before
// every string; numbers compare by mathematical value (an integer and a double compare exactly,
// without rounding the integer to a double, and 1 and 1.0 are the same key); strings compare by
// their UTF-8 bytes, unsigned. The same order must hold on every node and across restarts, which
// is why it is written out here instead of borrowing nlohmann::json's operator< (which compares
// large integers through doubles and ranks kinds by an internal table).
// An entry is stored in a leaf as {"key": <key>, "value": <entry>}; TreeEntryTraits keys such
// stored entries by their "key" member.
// Thread-safety: pure functions and an immutable traits object.
// Errors: CheckTreeKey returns InvalidArgument; the traits' decoders return InvalidArgument for
// a stored entry of the wrong shape (the tree reports it as Corruption naming the block).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>
#include <optimystic/btree/traits.h>

#include <string_view>

namespace optimystic::plugins::collection_tree {

// The members of a stored entry.
inline constexpr std::string_view kKeyMember = "key";
inline constexpr std::string_view kValueMember = "value";

// True when `key` is a string or a finite number (booleans, null, arrays and objects are not
// keys; neither are NaN and the infinities, which JSON cannot carry).
bool IsTreeKey(const block::Value& key) noexcept;

// Negative, zero or positive as `a` orders before, with or after `b` (see the file comment).
// REQUIRES: IsTreeKey(a) && IsTreeKey(b).
int CompareTreeKeys(const block::Value& a, const block::Value& b) noexcept;

// The stored form of an entry under `key`.
block::Value MakeStoredEntry(const block::Value& key, const block::Value& entry);

// B+tree traits over stored entries {key, value}, ordered by CompareTreeKeys.
struct TreeEntryTraits {
  using Entry = block::Value;
  using Key = block::Value;

  Key KeyOf(const Entry& entry) const;
  int Compare(const Key& a, const Key& b) const { return CompareTreeKeys(a, b); }
  block::Value EncodeEntry(const Entry& entry) const { return entry; }
  Result<Entry> DecodeEntry(const block::Value& v) const;
  block::Value EncodeKey(const Key& key) const { return key; }
  Result<Key> DecodeKey(const block::Value& v) const;
  Result<Key> KeyOfEncoded(const block::Value& v) const;
};

static_assert(btree::TreeTraits<TreeEntryTraits>);

}  // namespace optimystic::plugins::collection_tree
