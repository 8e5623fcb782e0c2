// SPDX-License-Identifier: Apache-2.0
// How block and peer ids are listed in error messages: the first few, then how many more, so
// that a message about a large request stays short. Thread-safety: a pure function.
#pragma once

#include <string>
#include <vector>

namespace optimystic::cluster::network {

// "a, b, c" or "a, b, c, d, e and 3 more".
inline std::string ListIds(const std::vector<std::string>& ids, size_t shown = 5) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < shown; ++i) {
    out += (i == 0 ? "" : ", ") + ids[i];
  }
  if (ids.size() > shown) {
    out += " and " + std::to_string(ids.size() - shown) + " more";
  }
  return out;
}

}  // namespace optimystic::cluster::network
