// SPDX-License-Identifier: Apache-2.0
// Builders of config::SettingsNode trees for tests that hand settings straight to a plugin
// factory (no YAML file): a scalar and a map, marked with `origin` instead of a file location.
// Thread-safety: pure functions. Errors: none.
#pragma once

#include <optimystic/config/settings.h>

#include <string>
#include <utility>
#include <vector>

namespace optimystic::test {

inline config::SettingsNode SettingsScalar(std::string text, const std::string& origin) {
  config::SettingsNode node;
  node.kind = config::SettingsNode::Kind::kScalar;
  node.scalar = std::move(text);
  node.origin = origin;
  return node;
}

inline config::SettingsNode SettingsMap(std::vector<config::SettingsEntry> entries,
                                        const std::string& origin) {
  config::SettingsNode node;
  node.kind = config::SettingsNode::Kind::kMap;
  node.children = std::move(entries);
  node.origin = origin;
  return node;
}

}  // namespace optimystic::test
