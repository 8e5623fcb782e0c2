// SPDX-License-Identifier: Apache-2.0
#include "runtime/plugin/plugin_registry.h"

#include "runtime/plugin/descriptor_check.h"
#include "runtime/plugin/plugin_identity.h"

#include <boost/dll/shared_library.hpp>
#include <boost/dll/shared_library_load_mode.hpp>

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <type_traits>
#include <utility>

namespace optimystic::runtime::plugin {
namespace {

namespace dll = boost::dll;

constexpr std::string_view kRefusal = "; refusing to load code others can change";

std::string ErrnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

std::string ModeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// IOError when `path` cannot be stat'ed; Incompatible when group or others may write to it.
// `what` names the object in the message ("file", "directory /x").
Status CheckNotWritableByOthers(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::IOError(what + ": cannot stat: " + ErrnoText(errno));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Status::Incompatible(what + " is writable by group or others (mode " +
                                ModeText(st.st_mode) + ")" + std::string(kRefusal));
  }
  return Status::Ok();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseNameOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The directory that really holds `path` once symbolic links are resolved, or "" when it is
// `dir` itself or cannot be resolved (the stat checks above have already looked at the path).
std::string RealDirectoryIfElsewhere(const std::string& path, const std::string& dir) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (real == nullptr) return "";
  const std::string real_dir = DirectoryOf(real);
  std::free(real);
  char* real_given = ::realpath(dir.c_str(), nullptr);
  const bool same = real_given != nullptr && real_dir == real_given;
  std::free(real_given);
  return same ? "" : real_dir;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (!dir.empty() && dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

// Boost.DLL 1.74 reports every dlopen failure as errc::bad_file_descriptor; dlerror() still holds
// the loader's own reason (missing dependency, undefined symbol, wrong ELF class).
std::string OpenErrorText(const dll::fs::error_code& ec) {
  const char* reason = ::dlerror();
  return reason != nullptr ? std::string(reason) : ec.message();
}

struct LoadedPlugin {
  const optimystic_plugin_descriptor* descriptor;
  dll::shared_library library;  // not loaded for a static plugin
};

}  // namespace

struct PluginRegistry::Impl {
  std::vector<PluginInfo> infos;
  std::vector<LoadedPlugin> loaded;  // parallel to `infos`

  // Calls the entry, checks its descriptor, refuses duplicates and plugins without their
  // kind's factory, then records the plugin (keeping `library` loaded). `where` prefixes every
  // message ("plugin /x/liboptimystic_storage_memory.so").
  Status Admit(const std::string& where, const std::string& path, const PluginIdentity& identity,
               optimystic_plugin_entry_fn entry, dll::shared_library library);
  const PluginInfo* Find(PluginKind kind, std::string_view name) const noexcept;
};

Status PluginRegistry::Impl::Admit(const std::string& where, const std::string& path,
                                   const PluginIdentity& identity, optimystic_plugin_entry_fn entry,
                                   dll::shared_library library) {
  const optimystic_plugin_descriptor* descriptor = entry();
  if (descriptor == nullptr) {
    return Status::Incompatible(where + ": entry " + identity.entry_symbol +
                                " returned NULL, expected a descriptor");
  }
  OPTIMYSTIC_RETURN_IF_ERROR(CheckDescriptor(descriptor, identity).WithContext(where));
  for (const PluginInfo& other : infos) {
    if (other.id == identity.id) {
      return Status::Incompatible(where + ": duplicate plugin '" + identity.id +
                                  "', already loaded from " + other.path);
    }
  }
  const InterfaceRef iface = PrimaryInterface(identity.kind);
  if (descriptor->get_factory == nullptr ||
      descriptor->get_factory(iface.name, iface.version) == nullptr) {
    return Status::Incompatible(where + ": offers no " + iface.name + " version " +
                                std::to_string(iface.version) + ", which every " +
                                identity.kind_word + " plugin must (get_factory returned NULL)");
  }
  infos.push_back(PluginInfo{identity.id, identity.kind, identity.name, descriptor->version, path});
  loaded.push_back(LoadedPlugin{descriptor, std::move(library)});
  return Status::Ok();
}

const PluginInfo* PluginRegistry::Impl::Find(PluginKind kind,
                                             std::string_view name) const noexcept {
  for (const PluginInfo& info : infos) {
    if (info.kind == kind && info.name == name) return &info;
  }
  return nullptr;
}

PluginRegistry::PluginRegistry() : impl_(std::make_unique<Impl>()) {}

PluginRegistry::~PluginRegistry() {
  // Reverse load order: a later plugin may use objects of an earlier one, never the opposite.
  while (!impl_->loaded.empty()) {
    impl_->loaded.pop_back();
  }
}

Status PluginRegistry::LoadDirectory(const std::string& dir) {
  const std::string where = "plugin directory " + dir;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Status::IOError(where + ": cannot stat: " + ErrnoText(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::IOError(where + ": not a directory");
  }
  OPTIMYSTIC_RETURN_IF_ERROR(CheckNotWritableByOthers(dir, where));
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (LooksLikePluginFile(name)) names.push_back(std::move(name));
  }
  if (ec) {
    return Status::IOError(where + ": cannot list: " + ec.message());
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    OPTIMYSTIC_RETURN_IF_ERROR(LoadFile(JoinPath(dir, name)));
  }
  return Status::Ok();
}

Status PluginRegistry::LoadFile(const std::string& path) {
  const std::string where = "plugin " + path;
  OPTIMYSTIC_RETURN_IF_ERROR(CheckNotWritableByOthers(path, where + ": file"));
  const std::string dir = DirectoryOf(path);
  OPTIMYSTIC_RETURN_IF_ERROR(CheckNotWritableByOthers(dir, where + ": directory " + dir));
  // A symbolic link may lead into a directory others can write to.
  const std::string real_dir = RealDirectoryIfElsewhere(path, dir);
  if (!real_dir.empty()) {
    OPTIMYSTIC_RETURN_IF_ERROR(
        CheckNotWritableByOthers(real_dir, where + ": directory " + real_dir));
  }
  auto identity = ParsePluginFileName(BaseNameOf(path));
  if (!identity) {
    return identity.error().WithContext(where);
  }
  dll::fs::error_code ec;
  dll::shared_library library(dll::fs::path(path), ec,
                              dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  if (ec || !library.is_loaded()) {
    return Status::Incompatible(where + ": cannot load: " + OpenErrorText(ec));
  }
  if (!library.has(identity->entry_symbol)) {
    return Status::Incompatible(where + ": no entry symbol " + identity->entry_symbol);
  }
  // Cannot throw: has() just found the symbol.
  auto& entry =
      library.get<std::remove_pointer_t<optimystic_plugin_entry_fn>>(identity->entry_symbol);
  return impl_->Admit(where, path, *identity, &entry, std::move(library));
}

Status PluginRegistry::AddStatic(std::string_view id, optimystic_plugin_entry_fn entry) {
  const std::string where = "static plugin " + std::string(id);
  auto identity = ParsePluginId(id);
  if (!identity) {
    return identity.error().WithContext(where);
  }
  if (entry == nullptr) {
    return Status::InvalidArgument(where + ": no entry function");
  }
  return impl_->Admit(where, "(static)", *identity, entry, dll::shared_library());
}

const std::vector<PluginInfo>& PluginRegistry::plugins() const noexcept { return impl_->infos; }

std::vector<std::string> PluginRegistry::Names(PluginKind kind) const {
  std::vector<std::string> names;
  for (const PluginInfo& info : impl_->infos) {
    if (info.kind == kind) names.push_back(info.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

const PluginInfo* PluginRegistry::Find(PluginKind kind, std::string_view name) const noexcept {
  return impl_->Find(kind, name);
}

Result<void*> PluginRegistry::RawFactory(PluginKind kind, std::string_view name, const char* iface,
                                         uint32_t version) const {
  const PluginInfo* info = impl_->Find(kind, name);
  if (info == nullptr) {
    std::string available;
    for (const std::string& n : Names(kind)) available += (available.empty() ? "" : ", ") + n;
    return Status::NotFound(
        "no " + std::string(PluginKindName(kind)) + " plugin '" + std::string(name) +
        "' (loaded: " + (available.empty() ? std::string("none") : available) + ")");
  }
  const LoadedPlugin& loaded = impl_->loaded[static_cast<size_t>(info - impl_->infos.data())];
  void* factory = loaded.descriptor->get_factory(iface, version);
  if (factory == nullptr) {
    return Status::NotFound("plugin '" + info->id + "' (" + info->path + ") offers no " + iface +
                            " version " + std::to_string(version));
  }
  return factory;
}

}  // namespace optimystic::runtime::plugin
