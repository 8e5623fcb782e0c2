// SPDX-License-Identifier: Apache-2.0
// Plugin entry helpers for C++ plugin authors. OPTIMYSTIC_DEFINE_PLUGIN defines the one exported
// C symbol a plugin library has, optimystic_plugin_entry_<kind>_<name>, returning a constant
// descriptor filled with the SDK's own ABI version, toolchain tag and SDK hash, so that a plugin
// never writes those by hand. OfferFactory<F> is the usual body of a get_factory function: it
// hands out `factory` when the host asks for F's interface and version, and NULL otherwise.
// The descriptor is constant-initialized static data: the entry has no side effects and may be
// called from any thread, any number of times. Nothing here can fail; the host checks the
// descriptor and reports every mismatch (see runtime/plugin/plugin_registry.h).
#pragma once

#ifndef __cplusplus
#error "plugin_entry.h is C++ only; a C plugin fills its optimystic_plugin_descriptor by hand"
#endif

#include <optimystic/abi/abi_version.h>
#include <optimystic/abi/plugin_abi.h>

#include <cstdint>
#include <cstring>

namespace optimystic::abi {

// Returns `factory` as the untyped pointer get_factory hands out when the host asks for
// F::kInterface at F::kVersion, or nullptr for any other interface or version.
// OWNERSHIP: `factory` must be a static object inside the plugin; the host never frees it.
template <class F>
void* OfferFactory(const char* iface, uint32_t iface_version, F& factory) noexcept {
  if (iface == nullptr || std::strcmp(iface, F::kInterface) != 0 || iface_version != F::kVersion) {
    return nullptr;
  }
  return static_cast<void*>(&factory);
}

}  // namespace optimystic::abi

// Defines the exported entry of plugin ID (<kind>_<name>, e.g. storage_memory). KIND is an
// OPTIMYSTIC_KIND_* constant, ID_STRING the YAML id ("storage.memory"), VERSION the plugin's own
// semver, GET_FACTORY a `void* (*)(const char*, uint32_t)`. Use once per plugin, at namespace
// scope outside any namespace.
// clang-format off
#define OPTIMYSTIC_DEFINE_PLUGIN(ID, KIND, ID_STRING, VERSION, GET_FACTORY)               \
  extern "C" OPTIMYSTIC_PLUGIN_EXPORT const optimystic_plugin_descriptor*                 \
  OPTIMYSTIC_PLUGIN_ENTRY(ID)(void) {                                                     \
    static constexpr optimystic_plugin_descriptor optimystic_descriptor = {               \
        .struct_size = static_cast<uint32_t>(sizeof(optimystic_plugin_descriptor)),       \
        .abi_major = OPTIMYSTIC_ABI_MAJOR,                                                \
        .abi_minor = OPTIMYSTIC_ABI_MINOR,                                                \
        .tier = OPTIMYSTIC_TIER_CXX,                                                      \
        .kind = (KIND),                                                                   \
        .id = (ID_STRING),                                                                \
        .version = (VERSION),                                                             \
        .toolchain = OPTIMYSTIC_TOOLCHAIN_TAG,                                            \
        .sdk_hash = OPTIMYSTIC_SDK_HASH,                                                  \
        .get_factory = (GET_FACTORY),                                                     \
    };                                                                                    \
    return &optimystic_descriptor;                                                        \
  }
// clang-format on
