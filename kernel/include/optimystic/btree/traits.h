// SPDX-License-Identifier: Apache-2.0
// What a B+tree is generic over (SPEC.md §3.1): the entry and key types, the key extractor
// (KeyOf), the comparator (Compare: negative, zero or positive) and the codec between entries
// and keys and the Values stored in nodes. The TreeTraits concept names these; a traits object
// is held by the tree, so extractor and comparator may carry state (ValueTraits takes them at
// run time, as the Tree collection needs). KeysetTraits<T> is a keyset of scalars (the entry is
// its own key, the SPEC's default); ValueTraits keys Value entries by a Value key.
// Decoding must accept every Value a store can hand back: numbers written as integral doubles
// come back as integers after the canonical encoding (codec.h), and non-negative integers may come
// back unsigned.
// Thread-safety: the traits here are immutable after construction; concurrent calls are safe.
// Errors: Decode* and KeyOfEncoded return InvalidArgument for a Value of the wrong shape; the
// tree reports it as Corruption naming the block.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

namespace optimystic::btree {

template <class T>
concept TreeTraits = std::copy_constructible<T> &&
    requires(const T& t, const typename T::Entry& entry, const typename T::Key& key,
             const block::Value& value) {
  { t.KeyOf(entry) } -> std::convertible_to<typename T::Key>;
  { t.Compare(key, key) } -> std::convertible_to<int>;
  { t.EncodeEntry(entry) } -> std::convertible_to<block::Value>;
  { t.DecodeEntry(value) } -> std::same_as<Result<typename T::Entry>>;
  { t.EncodeKey(key) } -> std::convertible_to<block::Value>;
  { t.DecodeKey(value) } -> std::same_as<Result<typename T::Key>>;
  // The key of an encoded entry, without necessarily decoding all of it.
  { t.KeyOfEncoded(value) } -> std::same_as<Result<typename T::Key>>;
};

// A scalar from a stored Value: int64_t, uint64_t, double or std::string.
template <class T>
Result<T> ScalarFromValue(const block::Value& v) {
  if constexpr (std::is_same_v<T, int64_t>) {
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Status::InvalidArgument("integer out of range");
      }
      return static_cast<int64_t>(v.get<uint64_t>());
    }
    if (v.is_number_integer()) return v.get<int64_t>();
    return Status::InvalidArgument("expected an integer");
  } else if constexpr (std::is_same_v<T, uint64_t>) {
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_integer() && v.get<int64_t>() >= 0) {
      return static_cast<uint64_t>(v.get<int64_t>());
    }
    return Status::InvalidArgument("expected an unsigned integer");
  } else if constexpr (std::is_same_v<T, double>) {
    if (v.is_number()) return v.get<double>();
    return Status::InvalidArgument("expected a number");
  } else {
    static_assert(std::is_same_v<T, std::string>, "KeysetTraits: unsupported scalar type");
    if (v.is_string()) return v.get_ref<const std::string&>();
    return Status::InvalidArgument("expected a string");
  }
}

// A keyset of scalars ordered by `<`: each entry is its own key.
template <class T>
struct KeysetTraits {
  using Entry = T;
  using Key = T;
  const Key& KeyOf(const Entry& entry) const { return entry; }
  int Compare(const Key& a, const Key& b) const { return a < b ? -1 : (b < a ? 1 : 0); }
  block::Value EncodeEntry(const Entry& entry) const { return block::Value(entry); }
  Result<Entry> DecodeEntry(const block::Value& v) const { return ScalarFromValue<T>(v); }
  block::Value EncodeKey(const Key& key) const { return block::Value(key); }
  Result<Key> DecodeKey(const block::Value& v) const { return ScalarFromValue<T>(v); }
  Result<Key> KeyOfEncoded(const block::Value& v) const { return ScalarFromValue<T>(v); }
};

// The default order of Value keys: numbers by value (integers and doubles compare with each
// other), strings byte-wise, arrays element by element (composite keys); values of different
// kinds order by kind (nlohmann::json's operator<).
inline int CompareValues(const block::Value& a, const block::Value& b) {
  if (a < b) return -1;
  if (b < a) return 1;
  return 0;
}

// A key extractor returning the member `name` of an object entry, or null when the entry is not
// an object or lacks the member.
inline std::function<block::Value(const block::Value&)> MemberKey(std::string name) {
  return [name = std::move(name)](const block::Value& entry) -> block::Value {
    if (!entry.is_object()) return nullptr;
    auto it = entry.find(name);
    return it == entry.end() ? block::Value(nullptr) : *it;
  };
}

// Value entries keyed by a Value. `key_of` must accept any Value (it sees what the store holds);
// empty means the entry is its own key. `compare` empty means CompareValues.
struct ValueTraits {
  using Entry = block::Value;
  using Key = block::Value;

  std::function<block::Value(const block::Value&)> key_of;
  std::function<int(const block::Value&, const block::Value&)> compare;

  Key KeyOf(const Entry& entry) const { return key_of ? key_of(entry) : entry; }
  int Compare(const Key& a, const Key& b) const {
    return compare ? compare(a, b) : CompareValues(a, b);
  }
  block::Value EncodeEntry(const Entry& entry) const { return entry; }
  Result<Entry> DecodeEntry(const block::Value& v) const { return v; }
  block::Value EncodeKey(const Key& key) const { return key; }
  Result<Key> DecodeKey(const block::Value& v) const { return v; }
  Result<Key> KeyOfEncoded(const block::Value& v) const { return KeyOf(v); }
};

static_assert(TreeTraits<KeysetTraits<int64_t>>);
static_assert(TreeTraits<KeysetTraits<std::string>>);
static_assert(TreeTraits<ValueTraits>);

}  // namespace optimystic::btree
