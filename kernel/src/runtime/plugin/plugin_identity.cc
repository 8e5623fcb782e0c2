// SPDX-License-Identifier: Apache-2.0
#include "runtime/plugin/plugin_identity.h"

#include <array>
#include <utility>

namespace optimystic::runtime::plugin {
namespace {

constexpr std::string_view kFilePrefix = "liboptimystic_";
constexpr std::string_view kFileSuffix = ".so";
constexpr std::string_view kEntryPrefix = "optimystic_plugin_entry_";

constexpr std::array<PluginKind, 4> kKinds = {PluginKind::kStorage, PluginKind::kTransport,
                                              PluginKind::kCollection, PluginKind::kConflict};

bool IsNameChar(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// Splits "<kind><separator><name>" and checks both parts.
Result<PluginIdentity> ParseKindAndName(std::string_view text, char separator,
                                        std::string_view what) {
  const size_t split = text.find(separator);
  if (split == std::string_view::npos || split == 0 || split + 1 == text.size()) {
    return Status::InvalidArgument(std::string(what) + " is not <kind>" + separator + "<name>");
  }
  const std::string_view kind_word = text.substr(0, split);
  const std::string_view name = text.substr(split + 1);
  for (char c : name) {
    if (!IsNameChar(c)) {
      return Status::InvalidArgument(std::string(what) + ": plugin name '" + std::string(name) +
                                     "' may hold only a-z, 0-9 and '_'");
    }
  }
  auto kind = PluginKindFromWord(kind_word);
  if (!kind) {
    return kind.error().WithContext(what);
  }
  PluginIdentity identity{*kind, std::string(kind_word), std::string(name), {}, {}};
  identity.id = identity.kind_word + "." + identity.name;
  identity.entry_symbol = std::string(kEntryPrefix) + identity.kind_word + "_" + identity.name;
  return identity;
}

}  // namespace

std::string_view PluginKindName(PluginKind kind) noexcept {
  switch (kind) {
    case PluginKind::kStorage:
      return "storage";
    case PluginKind::kTransport:
      return "transport";
    case PluginKind::kCollection:
      return "collection";
    case PluginKind::kConflict:
      return "conflict";
  }
  return "unknown";
}

bool LooksLikePluginFile(std::string_view file_name) noexcept {
  return file_name.size() > kFilePrefix.size() + kFileSuffix.size() &&
         file_name.substr(0, kFilePrefix.size()) == kFilePrefix &&
         file_name.substr(file_name.size() - kFileSuffix.size()) == kFileSuffix;
}

Result<PluginKind> PluginKindFromWord(std::string_view word) {
  for (PluginKind kind : kKinds) {
    if (PluginKindName(kind) == word) {
      return kind;
    }
  }
  return Status::Incompatible("unknown plugin kind '" + std::string(word) +
                              "' (known: storage, transport, collection, conflict)");
}

Result<PluginIdentity> ParsePluginFileName(std::string_view file_name) {
  if (!LooksLikePluginFile(file_name)) {
    return Status::InvalidArgument("file name '" + std::string(file_name) +
                                   "' is not liboptimystic_<kind>_<name>.so");
  }
  std::string_view stem = file_name.substr(kFilePrefix.size());
  stem.remove_suffix(kFileSuffix.size());
  return ParseKindAndName(stem, '_', "file name '" + std::string(file_name) + "'");
}

Result<PluginIdentity> ParsePluginId(std::string_view id) {
  return ParseKindAndName(id, '.', "plugin id '" + std::string(id) + "'");
}

}  // namespace optimystic::runtime::plugin
