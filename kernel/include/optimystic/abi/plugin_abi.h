/* SPDX-License-Identifier: Apache-2.0 */
/* The plugin ABI: a plugin shared library exports exactly one C symbol,
 * optimystic_plugin_entry_<kind>_<name>, a function with no arguments and no side effects that
 * returns a pointer to a static descriptor. The host reads the descriptor, checks it field by
 * field (size, ABI version, toolchain, SDK hash, kind, id) and only then asks it for a C++
 * factory. Valid C99 and C++20. Fields are only ever appended; appending bumps
 * OPTIMYSTIC_ABI_MINOR. Thread-safety: the entry and get_factory may be called from any thread. */
#ifndef OPTIMYSTIC_ABI_PLUGIN_ABI_H_
#define OPTIMYSTIC_ABI_PLUGIN_ABI_H_

#include <stdint.h>

#include <optimystic/abi/abi_version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Plugin kinds. The numbers are persisted in built plugins: never renumber. */
#define OPTIMYSTIC_KIND_STORAGE 1u
#define OPTIMYSTIC_KIND_TRANSPORT 2u
#define OPTIMYSTIC_KIND_COLLECTION 3u
#define OPTIMYSTIC_KIND_CONFLICT 4u

/* Tiers: the C++ tier hands out C++ factory objects and is a same-toolchain contract. */
#define OPTIMYSTIC_TIER_CXX 1u
#define OPTIMYSTIC_TIER_C 2u /* reserved */

typedef struct optimystic_plugin_descriptor {
  uint32_t struct_size;  /* sizeof(optimystic_plugin_descriptor) when the plugin was built */
  uint16_t abi_major;    /* host rejects != OPTIMYSTIC_ABI_MAJOR */
  uint16_t abi_minor;    /* host rejects  > OPTIMYSTIC_ABI_MINOR */
  uint32_t tier;         /* OPTIMYSTIC_TIER_CXX in v1 */
  uint32_t kind;         /* OPTIMYSTIC_KIND_* */
  const char* id;        /* "<kind>.<name>", e.g. "storage.memory" */
  const char* version;   /* the plugin's own semver */
  const char* toolchain; /* OPTIMYSTIC_TOOLCHAIN_TAG when the plugin was built */
  const char* sdk_hash;  /* OPTIMYSTIC_SDK_HASH when the plugin was built */
  /* Returns the factory for interface `iface` at `iface_version`, or NULL if not offered.
   * OWNERSHIP: the factory is a static object inside the plugin; the host never frees it. */
  void* (*get_factory)(const char* iface, uint32_t iface_version);
} optimystic_plugin_descriptor;

typedef const optimystic_plugin_descriptor* (*optimystic_plugin_entry_fn)(void);

#define OPTIMYSTIC_PLUGIN_EXPORT __attribute__((visibility("default")))

/* The entry symbol's name for a plugin whose id is <kind>.<name>: ID is <kind>_<name>. */
#define OPTIMYSTIC_PLUGIN_ENTRY(ID) optimystic_plugin_entry_##ID

/* The toolchain tag: standard library, its ABI flag and the language standard. A CXX-tier
 * plugin must carry exactly the host's tag. */
#define OPTIMYSTIC_STRINGIFY_INNER(x) #x
#define OPTIMYSTIC_STRINGIFY(x) OPTIMYSTIC_STRINGIFY_INNER(x)
#if defined(__cplusplus) && defined(__GLIBCXX__)
#define OPTIMYSTIC_TOOLCHAIN_TAG                                                       \
  "libstdc++/cxx11abi=" OPTIMYSTIC_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) "/cplusplus=" \
      OPTIMYSTIC_STRINGIFY(__cplusplus)
#elif defined(__cplusplus) && defined(_LIBCPP_VERSION)
#define OPTIMYSTIC_TOOLCHAIN_TAG "libc++/cplusplus=" OPTIMYSTIC_STRINGIFY(__cplusplus)
#else
#define OPTIMYSTIC_TOOLCHAIN_TAG "c"
#endif

#ifdef __cplusplus
}
#endif

#endif /* OPTIMYSTIC_ABI_PLUGIN_ABI_H_ */
