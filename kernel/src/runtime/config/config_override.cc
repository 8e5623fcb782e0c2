// SPDX-License-Identifier: Apache-2.0
#include "runtime/config/config_override.h"

#include "runtime/config/yaml_document.h"

#include <cstddef>
#include <utility>

namespace optimystic::runtime::config {
namespace {

using optimystic::config::Settings;
using optimystic::config::SettingsNode;
using Kind = SettingsNode::Kind;

// Deeper than any configuration needs; keeps the tree (and recursion over it) bounded.
constexpr size_t kMaxPathDepth = 64;

struct Override {
  std::string text;               // as given, for messages
  std::string dotted;             // "storage.settings.sync"
  std::vector<std::string> keys;  // {"storage", "settings", "sync"}
  std::string value;              // YAML text
};

Status Malformed(const std::string& text, std::string_view why) {
  return Status::InvalidArgument("--set '" + text + "': " + std::string(why) +
                                 "; expected section.key=value");
}

Result<Override> SplitOverride(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) {
    return Malformed(text, "missing '='");
  }
  Override out{text, text.substr(0, eq), {}, text.substr(eq + 1)};
  if (out.dotted.empty()) {
    return Malformed(text, "empty key");
  }
  size_t start = 0;
  while (true) {
    const size_t dot = out.dotted.find('.', start);
    std::string key = out.dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    if (key.empty()) {
      return Malformed(text, "empty key component in '" + out.dotted + "'");
    }
    out.keys.push_back(std::move(key));
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  if (out.keys.size() > kMaxPathDepth) {
    return Malformed(text, "key deeper than " + std::to_string(kMaxPathDepth) + " levels");
  }
  return out;
}

SettingsNode CreatedMap(const std::string& origin) {
  SettingsNode map;
  map.kind = Kind::kMap;
  map.origin = origin;
  return map;
}

// `root` with `value` put at `o.keys`, creating missing (or null) maps along the way.
Result<SettingsNode> ApplyOne(SettingsNode root, const Override& o, SettingsNode value,
                              std::string_view file) {
  const std::string origin = "--set " + o.dotted;
  SettingsNode* node = &root;
  std::string path;
  for (size_t i = 0; i + 1 < o.keys.size(); ++i) {
    const std::string& key = o.keys[i];
    path += (path.empty() ? "" : ".") + key;
    SettingsNode* child = node->Find(key);
    if (child == nullptr) {
      node->children.emplace_back(key, CreatedMap(origin));
      child = &node->children.back().second;
    } else if (child->kind == Kind::kNull) {
      *child = CreatedMap(origin);
    } else if (child->kind != Kind::kMap) {
      return Settings(child, path, file)
          .Error("cannot apply --set " + o.dotted + ": the value here is not a map");
    }
    node = child;
  }
  if (SettingsNode* existing = node->Find(o.keys.back())) {
    *existing = std::move(value);
  } else {
    node->children.emplace_back(o.keys.back(), std::move(value));
  }
  return root;
}

}  // namespace

Result<SettingsNode> ApplyOverrides(SettingsNode root, const std::vector<std::string>& overrides,
                                    std::string_view file) {
  for (const std::string& text : overrides) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Override o, SplitOverride(text));
    OPTIMYSTIC_ASSIGN_OR_RETURN(SettingsNode value, ParseYamlValue(o.value, "--set " + o.dotted));
    OPTIMYSTIC_ASSIGN_OR_RETURN(root, ApplyOne(std::move(root), o, std::move(value), file));
  }
  return root;
}

}  // namespace optimystic::runtime::config
