// SPDX-License-Identifier: Apache-2.0
#include "collections/tree/tree_key.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace optimystic::plugins::collection_tree {

namespace {

constexpr double kTwoTo63 = 9223372036854775808.0;
constexpr double kTwoTo64 = 18446744073709551616.0;

int Sign(bool less, bool greater) { return less ? -1 : (greater ? 1 : 0); }

// Numbers rank before strings; anything else (only reachable through a REQUIRES violation)
// ranks first, so the order stays total and deterministic even then.
int Rank(const block::Value& v) {
  if (v.is_number()) return 1;
  if (v.is_string()) return 2;
  return 0;
}

int CompareSignedUnsigned(int64_t a, uint64_t b) {
  if (a < 0) return -1;
  const uint64_t ua = static_cast<uint64_t>(a);
  return Sign(ua<b, ua> b);
}

// The fraction decides once the integral parts are equal: i < d exactly when d has a positive
// fraction above i.
int CompareIntegralPart(bool less, bool greater, double fraction) {
  if (less || greater) return Sign(less, greater);
  return Sign(fraction > 0, fraction < 0);
}

// Exact: the integer is never rounded to a double (2^53 + 1 must order after 2^53).
int CompareSignedDouble(int64_t i, double d) {
  if (d >= kTwoTo63) return -1;
  if (d < -kTwoTo63) return 1;
  const double whole = std::trunc(d);
  const int64_t w = static_cast<int64_t>(whole);  // in range: -2^63 <= whole < 2^63
  return CompareIntegralPart(i<w, i> w, d - whole);
}

int CompareUnsignedDouble(uint64_t u, double d) {
  if (d < 0) return 1;
  if (d >= kTwoTo64) return -1;
  const double whole = std::trunc(d);
  const uint64_t w = static_cast<uint64_t>(whole);  // in range: 0 <= whole < 2^64
  return CompareIntegralPart(u<w, u> w, d - whole);
}

int CompareNumbers(const block::Value& a, const block::Value& b) {
  using Kind = block::Value::value_t;
  const Kind ka = a.type();
  const Kind kb = b.type();
  if (ka == Kind::number_float && kb == Kind::number_float) {
    const double x = a.get<double>();
    const double y = b.get<double>();
    return Sign(x<y, x> y);
  }
  if (ka == Kind::number_float) return -CompareNumbers(b, a);
  // `a` is an integer from here on.
  if (kb == Kind::number_float) {
    const double d = b.get<double>();
    return ka == Kind::number_unsigned ? CompareUnsignedDouble(a.get<uint64_t>(), d)
                                       : CompareSignedDouble(a.get<int64_t>(), d);
  }
  if (ka == Kind::number_unsigned && kb == Kind::number_unsigned) {
    const uint64_t x = a.get<uint64_t>();
    const uint64_t y = b.get<uint64_t>();
    return Sign(x<y, x> y);
  }
  if (ka == Kind::number_unsigned)
    return -CompareSignedUnsigned(b.get<int64_t>(), a.get<uint64_t>());
  if (kb == Kind::number_unsigned)
    return CompareSignedUnsigned(a.get<int64_t>(), b.get<uint64_t>());
  const int64_t x = a.get<int64_t>();
  const int64_t y = b.get<int64_t>();
  return Sign(x<y, x> y);
}

int CompareStrings(const std::string& a, const std::string& b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  const int c = std::memcmp(a.data(), b.data(), n);  // memcmp compares bytes as unsigned char
  if (c != 0) return c < 0 ? -1 : 1;
  return Sign(a.size() < b.size(), a.size() > b.size());
}

}  // namespace

bool IsTreeKey(const block::Value& key) noexcept {
  if (key.is_string()) return true;
  if (key.is_number_float()) return std::isfinite(key.get<double>());
  return key.is_number();
}

int CompareTreeKeys(const block::Value& a, const block::Value& b) noexcept {
  const int ra = Rank(a);
  const int rb = Rank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  if (ra == 1) return CompareNumbers(a, b);
  if (ra == 2)
    return CompareStrings(a.get_ref<const std::string&>(), b.get_ref<const std::string&>());
  return 0;
}

block::Value MakeStoredEntry(const block::Value& key, const block::Value& entry) {
  block::Value stored = block::Value::object();
  stored[std::string(kKeyMember)] = key;
  stored[std::string(kValueMember)] = entry;
  return stored;
}

TreeEntryTraits::Key TreeEntryTraits::KeyOf(const Entry& entry) const {
  if (!entry.is_object()) return nullptr;
  auto it = entry.find(kKeyMember);
  return it == entry.end() ? block::Value(nullptr) : *it;
}

Result<TreeEntryTraits::Entry> TreeEntryTraits::DecodeEntry(const block::Value& v) const {
  OPTIMYSTIC_RETURN_IF_ERROR(KeyOfEncoded(v).status());
  if (!v.contains(kValueMember)) return Status::InvalidArgument("tree entry: missing value");
  return v;
}

Result<TreeEntryTraits::Key> TreeEntryTraits::DecodeKey(const block::Value& v) const {
  if (!IsTreeKey(v)) return Status::InvalidArgument("tree key: expected a string or a number");
  return v;
}

Result<TreeEntryTraits::Key> TreeEntryTraits::KeyOfEncoded(const block::Value& v) const {
  if (!v.is_object()) return Status::InvalidArgument("tree entry: expected an object");
  auto it = v.find(kKeyMember);
  if (it == v.end()) return Status::InvalidArgument("tree entry: missing key");
  return DecodeKey(*it);
}

}  // namespace optimystic::plugins::collection_tree
