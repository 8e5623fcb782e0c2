// SPDX-License-Identifier: Apache-2.0
// Settings: a read-only view of one node of the parsed configuration (a scalar, a sequence or a
// map), as handed to plugin factories. Every view knows its YAML path ("storage.settings.path")
// and, when it came from a file, the file, line and column, so that every error it returns names
// where the bad value is. Getters never throw: a missing key yields the fallback, a value of the
// wrong type yields Status::InvalidArgument with the location. The YAML parser itself stays in
// the host (runtime/config); plugins only see this type.
// OWNERSHIP: a Settings view points into a SettingsNode tree owned by the host; it is valid only
// for the duration of the call it was passed to. Copy values out to keep them.
// Thread-safety: views are immutable and may be read from any thread.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::config {

struct SettingsEntry;

// One node of a parsed configuration tree. Built by the host's YAML adapter.
struct SettingsNode {
  enum class Kind : uint8_t { kNull = 0, kScalar = 1, kSequence = 2, kMap = 3 };
  Kind kind = Kind::kNull;
  std::string scalar;  // kScalar: the text as written
  bool quoted = false;  // a quoted scalar is always a string, never a number or boolean
  // kMap: (key, value) in source order; kSequence: ("", item).
  std::vector<SettingsEntry> children;
  uint32_t line = 0;    // 1-based; 0 when the value did not come from the file
  uint32_t column = 0;  // 1-based
  std::string origin;   // where a value not from the file came from, e.g. "--set" or "default"

  // Returns the child map entry `key`, or nullptr.
  const SettingsNode* Find(std::string_view key) const noexcept;
  SettingsNode* Find(std::string_view key) noexcept;
};

// A map entry or sequence item. Not std::pair: a pair of a still-incomplete SettingsNode is
// rejected by some standard libraries.
struct SettingsEntry {
  SettingsEntry() = default;
  SettingsEntry(std::string key, SettingsNode value)
      : first(std::move(key)), second(std::move(value)) {}
  std::string first;    // the key; empty for sequence items
  SettingsNode second;  // the value
};

class Settings {
 public:
  using Kind = SettingsNode::Kind;

  // A view of `node` at `path` in `file`. `node` may be null for a missing value.
  Settings(const SettingsNode* node, std::string path, std::string_view file) noexcept;

  Kind kind() const noexcept;
  bool present() const noexcept { return node_ != nullptr && node_->kind != Kind::kNull; }
  bool is_map() const noexcept { return kind() == Kind::kMap; }
  bool is_sequence() const noexcept { return kind() == Kind::kSequence; }
  bool is_scalar() const noexcept { return kind() == Kind::kScalar; }
  const std::string& path() const noexcept { return path_; }

  // "optimystic.yaml:12:5: storage.settings.path", or for a value that did not come from the
  // file "optimystic.yaml: (--set storage.settings.path) storage.settings.path".
  std::string Where() const;
  // InvalidArgument("<Where()>: <what>").
  Status Error(std::string_view what) const;

  // The map entry `key`; a missing entry is a view that is not present().
  Settings Get(std::string_view key) const;
  bool Has(std::string_view key) const noexcept;
  std::vector<std::string> Keys() const;  // map keys in source order
  size_t size() const noexcept;           // sequence items or map entries
  Settings At(size_t index) const;        // sequence item, path "dirs[0]"

  // Typed conversions. Errors name the location and the expected type.
  Result<std::string> AsString() const;
  Result<int64_t> AsInt() const;
  Result<uint64_t> AsUint() const;
  Result<double> AsDouble() const;
  Result<bool> AsBool() const;  // true/false (also yes/no, on/off as YAML 1.1 allows)
  Result<std::vector<std::string>> AsStringList() const;

  // Map entry `key` converted, or `fallback` when the key is absent or null.
  Result<std::string> GetString(std::string_view key, std::string_view fallback) const;
  Result<int64_t> GetInt(std::string_view key, int64_t fallback) const;
  Result<uint64_t> GetUint(std::string_view key, uint64_t fallback) const;
  Result<double> GetDouble(std::string_view key, double fallback) const;
  Result<bool> GetBool(std::string_view key, bool fallback) const;
  // Map entry `key` converted; "missing required key" when absent.
  Result<std::string> RequireString(std::string_view key) const;

  // OK when this is absent, null, or a map whose keys are all in `allowed`; otherwise an error
  // naming the first unknown key and listing the allowed ones. A non-map is an error too.
  Status CheckKeys(std::initializer_list<std::string_view> allowed) const;
  Status CheckKeys(const std::vector<std::string>& allowed) const;

 private:
  std::string ChildPath(std::string_view key) const;
  void InheritPlaceIfMissing(const Settings& parent) noexcept;
  Status TypeError(std::string_view expected) const;
  const SettingsNode* node_;
  std::string path_;
  std::string_view file_;
  uint32_t line_;    // the node's line; a missing node's parent's; 0 when not from the file
  uint32_t column_;
  std::string_view origin_;  // where a value not from the file came from (e.g. "--set x.y")
};

}  // namespace optimystic::config
