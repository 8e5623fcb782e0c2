// SPDX-License-Identifier: Apache-2.0
#include <optimystic/storage/storage_engine.h>

namespace optimystic::storage {

ScanRange ScanRange::Prefix(std::string_view prefix, ScanDirection direction) {
  ScanRange range;
  range.start = std::string(prefix);
  range.direction = direction;
  // The end bound is the prefix's successor: strip trailing 0xff bytes, then increment the last.
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  range.end = std::move(end);  // empty: the prefix is all 0xff (or empty), scan to the end
  return range;
}

}  // namespace optimystic::storage
