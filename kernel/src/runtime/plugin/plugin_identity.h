// SPDX-License-Identifier: Apache-2.0
// PluginIdentity: what a plugin must be, derived before its code runs from its file name
// (liboptimystic_<kind>_<name>.so) or, for a statically linked plugin, from its id
// (<kind>.<name>). The descriptor the plugin returns is later checked against it.
// Thread-safety: plain values and pure functions. Errors: Parse* return InvalidArgument for a
// malformed name and Incompatible for a kind word the host does not know; the messages name the
// offending text but not the file path (the caller adds it).
#pragma once

#include <optimystic/base/result.h>

#include "runtime/plugin/plugin_registry.h"

#include <string>
#include <string_view>

namespace optimystic::runtime::plugin {

struct PluginIdentity {
  PluginKind kind;
  std::string kind_word;     // "storage"
  std::string name;          // "memory"
  std::string id;            // "storage.memory"
  std::string entry_symbol;  // "optimystic_plugin_entry_storage_memory"
};

// True when `file_name` (no directory) has the shape liboptimystic_*.so.
bool LooksLikePluginFile(std::string_view file_name) noexcept;

// The kind named by `word` ("storage", "transport", "collection", "conflict").
Result<PluginKind> PluginKindFromWord(std::string_view word);

// "liboptimystic_storage_memory.so" -> {storage, memory, ...}. The name part may hold lower-case
// letters, digits and underscores; the kind word ends at the first underscore.
Result<PluginIdentity> ParsePluginFileName(std::string_view file_name);

// "storage.memory" -> {storage, memory, ...}, with the same rules as the file name.
Result<PluginIdentity> ParsePluginId(std::string_view id);

}  // namespace optimystic::runtime::plugin
