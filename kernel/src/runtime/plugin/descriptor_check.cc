// SPDX-License-Identifier: Apache-2.0
#include "runtime/plugin/descriptor_check.h"

#include <optimystic/abi/abi_version.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/conflict/conflict_resolver.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transport/transport.h>

#include <string>
#include <string_view>

namespace optimystic::runtime::plugin {
namespace {

// The host side of the CXX-tier contract, compiled into the host with the host's toolchain.
constexpr std::string_view kHostToolchain = OPTIMYSTIC_TOOLCHAIN_TAG;
constexpr std::string_view kHostSdkHash = OPTIMYSTIC_SDK_HASH;

std::string KindText(uint32_t kind) {
  std::string text = std::to_string(kind);
  if (kind >= OPTIMYSTIC_KIND_STORAGE && kind <= OPTIMYSTIC_KIND_CONFLICT) {
    text += " (" + std::string(PluginKindName(static_cast<PluginKind>(kind))) + ")";
  }
  return text;
}

Status CheckVersions(const optimystic_plugin_descriptor& d) {
  if (d.abi_major != OPTIMYSTIC_ABI_MAJOR) {
    return Status::Incompatible("ABI major version " + std::to_string(d.abi_major) +
                                ", host supports " + std::to_string(OPTIMYSTIC_ABI_MAJOR));
  }
  if (d.abi_minor > OPTIMYSTIC_ABI_MINOR) {
    return Status::Incompatible("ABI minor version " + std::to_string(d.abi_minor) +
                                ", host supports up to " + std::to_string(OPTIMYSTIC_ABI_MINOR) +
                                " (the plugin was built against a newer SDK)");
  }
  if (d.tier != OPTIMYSTIC_TIER_CXX) {
    return Status::Incompatible("tier " + std::to_string(d.tier) + ", host supports only " +
                                std::to_string(OPTIMYSTIC_TIER_CXX) + " (C++)");
  }
  return Status::Ok();
}

Status CheckStrings(const optimystic_plugin_descriptor& d) {
  const std::pair<const char*, const char*> fields[] = {
      {"id", d.id}, {"version", d.version}, {"toolchain", d.toolchain}, {"sdk_hash", d.sdk_hash}};
  for (const auto& [field, value] : fields) {
    if (value == nullptr) {
      return Status::Incompatible("descriptor field " + std::string(field) +
                                  " is NULL, expected a string");
    }
  }
  if (std::string_view(d.toolchain) != kHostToolchain) {
    return Status::Incompatible("toolchain '" + std::string(d.toolchain) +
                                "' differs from the host's '" + std::string(kHostToolchain) + "'");
  }
  if (std::string_view(d.sdk_hash) != kHostSdkHash) {
    return Status::Incompatible("SDK hash " + std::string(d.sdk_hash) +
                                " differs from the host's " + std::string(kHostSdkHash) +
                                " (the plugin was built against another SDK)");
  }
  return Status::Ok();
}

Status CheckIdentity(const optimystic_plugin_descriptor& d, const PluginIdentity& expected) {
  if (d.kind < OPTIMYSTIC_KIND_STORAGE || d.kind > OPTIMYSTIC_KIND_CONFLICT) {
    return Status::Incompatible("unknown plugin kind " + std::to_string(d.kind) +
                                " (known: 1 storage, 2 transport, 3 collection, 4 conflict)");
  }
  if (d.kind != static_cast<uint32_t>(expected.kind)) {
    return Status::Incompatible("descriptor kind " + KindText(d.kind) +
                                " does not match the expected kind " +
                                KindText(static_cast<uint32_t>(expected.kind)));
  }
  if (std::string_view(d.id) != expected.id) {
    return Status::Incompatible("descriptor id '" + std::string(d.id) +
                                "' does not match the expected id '" + expected.id + "'");
  }
  return Status::Ok();
}

}  // namespace

InterfaceRef PrimaryInterface(PluginKind kind) noexcept {
  switch (kind) {
    case PluginKind::kStorage:
      return {storage::StorageEngineFactory::kInterface, storage::StorageEngineFactory::kVersion};
    case PluginKind::kTransport:
      return {transport::TransportFactory::kInterface, transport::TransportFactory::kVersion};
    case PluginKind::kCollection:
      return {collections::CollectionTypeFactory::kInterface,
              collections::CollectionTypeFactory::kVersion};
    case PluginKind::kConflict:
      return {conflict::ConflictResolverFactory::kInterface,
              conflict::ConflictResolverFactory::kVersion};
  }
  return {"", 0};
}

Status CheckDescriptor(const optimystic_plugin_descriptor* descriptor,
                       const PluginIdentity& expected) {
  // Read struct_size alone first: a short descriptor must not be read past its end.
  const uint32_t size = descriptor->struct_size;
  if (size < kDescriptorV1Size) {
    return Status::Incompatible("descriptor struct_size " + std::to_string(size) +
                                ", host needs at least " + std::to_string(kDescriptorV1Size));
  }
  const optimystic_plugin_descriptor& d = *descriptor;
  OPTIMYSTIC_RETURN_IF_ERROR(CheckVersions(d));
  OPTIMYSTIC_RETURN_IF_ERROR(CheckStrings(d));
  return CheckIdentity(d, expected);
}

}  // namespace optimystic::runtime::plugin
