// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/wire_text.h"

#include <cstdint>

namespace optimystic::cluster::wire {

namespace {

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0 when there is none.
size_t SequenceLength(std::string_view s) noexcept {
  const auto lead = static_cast<uint8_t>(s[0]);
  if (lead < 0x80) {
    return 1;
  }
  const size_t extra = (lead & 0xE0) == 0xC0   ? 1
                       : (lead & 0xF0) == 0xE0 ? 2
                       : (lead & 0xF8) == 0xF0 ? 3
                                               : 0;
  if (extra == 0 || s.size() - 1 < extra) {
    return 0;
  }
  static constexpr uint32_t kMinCodePoint[] = {0, 0x80, 0x800, 0x10000};
  uint32_t cp = lead & (0x7Fu >> (extra + 1));
  for (size_t k = 1; k <= extra; ++k) {
    const auto c = static_cast<uint8_t>(s[k]);
    if ((c & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < kMinCodePoint[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return extra + 1;
}

}  // namespace

bool IsValidUtf8(std::string_view s) noexcept {
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = SequenceLength(s.substr(i));
    if (n == 0) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string BoundedText(std::string_view s, size_t max_bytes) noexcept {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t n = SequenceLength(s.substr(i));
    // A replaced byte takes one byte of output; a kept sequence takes its own length.
    const size_t take = n == 0 ? 1 : n;
    if (out.size() + take > max_bytes - 3 && s.size() - i > max_bytes - out.size()) {
      out += "...";
      return out;
    }
    if (n == 0) {
      out += '?';
    } else {
      out.append(s.substr(i, n));
    }
    i += take;
  }
  return out;
}

}  // namespace optimystic::cluster::wire
