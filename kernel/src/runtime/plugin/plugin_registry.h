// SPDX-License-Identifier: Apache-2.0
// PluginRegistry: loads plugin libraries (Boost.DLL stays inside this folder), checks each
// descriptor before using it, and hands out factories by kind and name. An ordinary object owned
// by the Server, declared first there so that it is destroyed last: every object a factory made
// must be gone before its library is unloaded.
// Thread-safety: load everything from one thread at start-up; lookups are then safe from any.
// Errors: every refusal is Status::Incompatible (or IOError/InvalidArgument as noted) with a
// message naming the file and the reason, the expected and the actual value.
#pragma once

#include <optimystic/abi/plugin_abi.h>
#include <optimystic/base/result.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::runtime::plugin {

enum class PluginKind : uint32_t {
  kStorage = OPTIMYSTIC_KIND_STORAGE,
  kTransport = OPTIMYSTIC_KIND_TRANSPORT,
  kCollection = OPTIMYSTIC_KIND_COLLECTION,
  kConflict = OPTIMYSTIC_KIND_CONFLICT,
};

// "storage", "transport", "collection", "conflict".
std::string_view PluginKindName(PluginKind kind) noexcept;

struct PluginInfo {
  std::string id;       // "storage.memory"
  PluginKind kind;
  std::string name;     // "memory"
  std::string version;  // the plugin's own version
  std::string path;     // the library file
};

class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();  // unloads in reverse load order
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads every liboptimystic_<kind>_<name>.so in `dir` (not recursive), in name order.
  // A missing or unreadable directory is IOError; a directory writable by group or others is
  // refused. Stops at the first refused file.
  Status LoadDirectory(const std::string& dir);
  // Loads one plugin file. Refusals, in the order checked: file or its directory writable by
  // group/others, file name not liboptimystic_<kind>_<name>.so (InvalidArgument; an unknown kind
  // word is Incompatible), cannot open, missing entry symbol, entry returning NULL, descriptor
  // struct_size too small, ABI major mismatch, ABI minor newer than the host, tier not CXX, a
  // NULL string field, toolchain tag mismatch, SDK hash mismatch, unknown kind, kind or id not
  // matching the file name, duplicate id (names the file that has it), no factory for the
  // kind's interface. A file that cannot be stat'ed is IOError. Every message starts with
  // "plugin <path>: ".
  Status LoadFile(const std::string& path);
  // Registers a plugin linked into the executable (static mode): `entry` is its entry function
  // and `id` ("storage.memory") plays the part of the file name. From the entry call on, the
  // checks and refusals are those of LoadFile; messages name "static plugin <id>".
  Status AddStatic(std::string_view id, optimystic_plugin_entry_fn entry);

  const std::vector<PluginInfo>& plugins() const noexcept;
  // Names of the loaded plugins of `kind`, sorted.
  std::vector<std::string> Names(PluginKind kind) const;
  const PluginInfo* Find(PluginKind kind, std::string_view name) const noexcept;

  // The factory interface F (F::kInterface, F::kVersion) of plugin `name` of `kind`.
  // NotFound names the kind, the name and the available names.
  template <class F>
  Result<F*> Factory(PluginKind kind, std::string_view name) const {
    auto raw = RawFactory(kind, name, F::kInterface, F::kVersion);
    if (!raw) return raw.error();
    return static_cast<F*>(*raw);
  }

 private:
  Result<void*> RawFactory(PluginKind kind, std::string_view name, const char* iface,
                           uint32_t version) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace optimystic::runtime::plugin
