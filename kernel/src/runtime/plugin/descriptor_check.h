// SPDX-License-Identifier: Apache-2.0
// Descriptor checks: compares a plugin's C descriptor with what the host supports and with the
// identity its file name (or static id) promised, field by field, before any of its C++ code is
// used. Thread-safety: pure functions. Errors: the first mismatch as Status::Incompatible whose
// message names the field, the actual and the expected value (not the file; the caller adds it).
#pragma once

#include <optimystic/abi/plugin_abi.h>
#include <optimystic/base/status.h>

#include "runtime/plugin/plugin_identity.h"

#include <cstddef>
#include <cstdint>

namespace optimystic::runtime::plugin {

// The size of a v1 descriptor: everything up to and including get_factory. A plugin built
// against a later minor version has a larger struct_size; the host reads only this much.
inline constexpr uint32_t kDescriptorV1Size =
    static_cast<uint32_t>(offsetof(optimystic_plugin_descriptor, get_factory) +
                          sizeof(optimystic_plugin_descriptor::get_factory));

// A factory interface as get_factory names it.
struct InterfaceRef {
  const char* name;
  uint32_t version;
};

// The factory every plugin of `kind` must offer, e.g. StorageEngineFactory for kStorage.
InterfaceRef PrimaryInterface(PluginKind kind) noexcept;

// Checks, in order: struct_size, abi_major, abi_minor, tier, that the strings are not NULL,
// toolchain, sdk_hash, kind (known, and equal to `expected`), id (equal to `expected`).
// REQUIRES: `descriptor` points to at least sizeof(uint32_t) readable bytes; nothing past
// struct_size is read.
Status CheckDescriptor(const optimystic_plugin_descriptor* descriptor,
                       const PluginIdentity& expected);

}  // namespace optimystic::runtime::plugin
