// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/abi_version.h>
#include <optimystic/abi/plugin_abi.h>
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/config/settings.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transport/transport.h>

#include "runtime/plugin/plugin_registry.h"
#include "support/test_host.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace optimystic::runtime::plugin {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kMemoryPlugin = OPTIMYSTIC_PLUGIN_OUTPUT_DIR "/liboptimystic_storage_memory.so";
constexpr const char* kRefusal = "; refusing to load code others can change";

std::string FixturePath(const std::string& name) {
  return std::string(ABI_FIXTURE_DIR) + "/" + name + "/liboptimystic_storage_" + name + ".so";
}

// A private directory (mode 0700) removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/optimystic-abi-XXXXXX";
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // Copies `source` into this directory as `name` with `mode`; returns the new path.
  std::string Copy(const std::string& source, const std::string& name, mode_t mode = 0755) const {
    const std::string target = path_ + "/" + name;
    std::error_code ec;
    fs::copy_file(source, target, fs::copy_options::overwrite_existing, ec);
    EXPECT_FALSE(ec) << "copy " << source << ": " << ec.message();
    EXPECT_EQ(::chmod(target.c_str(), mode), 0);
    return target;
  }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    EXPECT_EQ(::chmod((path_ + "/" + name).c_str(), 0644), 0);
  }

 private:
  std::string path_;
};

config::SettingsNode Scalar(std::string text, uint32_t line) {
  config::SettingsNode node;
  node.kind = config::SettingsNode::Kind::kScalar;
  node.scalar = std::move(text);
  node.line = line;
  node.column = 5;
  return node;
}

// A `storage.settings` map from abi_test.yaml, one entry per line from line 3.
config::SettingsNode SettingsMap(std::vector<std::pair<std::string, std::string>> entries) {
  config::SettingsNode map;
  map.kind = config::SettingsNode::Kind::kMap;
  map.line = 3;
  map.column = 5;
  uint32_t line = 3;
  for (auto& [key, value] : entries) map.children.emplace_back(key, Scalar(value, line++));
  return map;
}

class CollectingSink final : public storage::ScanSink {
 public:
  bool OnEntry(std::string_view key, std::string_view value) noexcept override {
    entries.emplace_back(key, value);
    return true;
  }
  std::vector<std::pair<std::string, std::string>> entries;
};

TEST(PluginRegistry, LoadsTheMemoryPluginThroughDlopenAndUsesIt) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadFile(kMemoryPlugin).ok()) << registry.LoadFile(kMemoryPlugin).ToString();
  ASSERT_EQ(registry.plugins().size(), 1u);
  const PluginInfo& info = registry.plugins()[0];
  EXPECT_EQ(info.id, "storage.memory");
  EXPECT_EQ(info.kind, PluginKind::kStorage);
  EXPECT_EQ(info.name, "memory");
  EXPECT_EQ(info.version, "0.1.0");
  EXPECT_EQ(info.path, kMemoryPlugin);
  EXPECT_EQ(registry.Names(PluginKind::kStorage), std::vector<std::string>{"memory"});
  EXPECT_EQ(registry.Find(PluginKind::kStorage, "memory"), &info);
  EXPECT_EQ(registry.Find(PluginKind::kTransport, "memory"), nullptr);

  auto factory = registry.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, "memory");
  ASSERT_TRUE(factory.has_value()) << factory.error().ToString();
  config::Settings none(nullptr, "storage.settings", "abi_test.yaml");
  ASSERT_TRUE((*factory)->Validate(none).ok());
  test::TestHost host;
  auto engine = (*factory)->Create(none, host);
  ASSERT_TRUE(engine.has_value()) << engine.error().ToString();
  EXPECT_TRUE(host.test_logger().Contains("memory storage engine opened"));

  storage::WriteBatch batch;
  batch.Put("b", "2");
  batch.Put("a", "1");
  batch.Put("c", "3");
  batch.Delete("c");
  ASSERT_TRUE((*engine)->Write(batch, storage::WriteOptions{.sync = true}).ok());
  EXPECT_EQ(*(*engine)->Get("a"), "1");
  EXPECT_EQ((*engine)->Get("c").error().code(), StatusCode::kNotFound);
  CollectingSink sink;
  ASSERT_TRUE((*engine)->Scan(storage::ScanRange{}, sink).ok());
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(sink.entries, (Entries{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ((*engine)->Stats().keys, 2u);
  EXPECT_TRUE((*engine)->Close().ok());
}

TEST(PluginRegistry, MemoryPluginSettingsAreCheckedAcrossTheBoundary) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadFile(kMemoryPlugin).ok());
  auto factory = registry.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, "memory");
  ASSERT_TRUE(factory.has_value());

  config::SettingsNode unknown = SettingsMap({{"max_bytes", "10"}, {"bogus", "1"}});
  Status status = (*factory)->Validate(config::Settings(&unknown, "storage.settings", "n.yaml"));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("n.yaml:4:5: storage.settings.bogus: unknown key 'bogus'"));

  config::SettingsNode negative = SettingsMap({{"max_bytes", "-1"}});
  status = (*factory)->Validate(config::Settings(&negative, "storage.settings", "n.yaml"));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("n.yaml:3:5: storage.settings.max_bytes"));

  config::SettingsNode small = SettingsMap({{"max_bytes", "10"}});
  test::TestHost host;
  auto engine = (*factory)->Create(config::Settings(&small, "storage.settings", "n.yaml"), host);
  ASSERT_TRUE(engine.has_value());
  storage::WriteBatch batch;
  batch.Put("key", "a value longer than ten bytes");
  status = (*engine)->Write(batch, {});
  EXPECT_EQ(status.code(), StatusCode::kIOError);
  EXPECT_THAT(std::string(status.message()), StartsWith("memory engine full"));
}

TEST(PluginRegistry, FactoryLookupsNameWhatIsMissing) {
  PluginRegistry registry;
  auto none = registry.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, "memory");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().ToString(), "NotFound: no storage plugin 'memory' (loaded: none)");

  ASSERT_TRUE(registry.LoadFile(kMemoryPlugin).ok());
  auto other = registry.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, "rocksdb");
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().ToString(), "NotFound: no storage plugin 'rocksdb' (loaded: memory)");

  auto wrong_iface = registry.Factory<transport::TransportFactory>(PluginKind::kStorage, "memory");
  ASSERT_FALSE(wrong_iface.has_value());
  EXPECT_EQ(wrong_iface.error().ToString(),
            "NotFound: plugin 'storage.memory' (" + kMemoryPlugin +
                ") offers no optimystic.transport.TransportFactory version 1");
}

TEST(PluginRegistry, LoadDirectoryLoadsOnlyPluginFiles) {
  TempDir dir;
  dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so");
  dir.Write("README.md", "not a plugin");
  dir.Write("libother.so", "not ours either");
  dir.Write("liboptimystic-core.so", "the SDK library, not a plugin");
  PluginRegistry registry;
  Status status = registry.LoadDirectory(dir.path());
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].path, dir.path() + "/liboptimystic_storage_memory.so");
}

TEST(PluginRegistry, UnloadsItsLibrariesWhenDestroyed) {
  TempDir dir;
  const std::string path = dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so");
  {
    PluginRegistry registry;
    ASSERT_TRUE(registry.LoadFile(path).ok());
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(handle, nullptr) << "the plugin should be loaded while the registry lives";
    ::dlclose(handle);
  }
  EXPECT_EQ(::dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr);
}

// One broken fixture plugin and the reason it must be refused for.
struct Refusal {
  const char* fixture;
  StatusCode code;
  std::string reason;  // the message after "plugin <path>: "
};

void PrintTo(const Refusal& refusal, std::ostream* os) { *os << refusal.fixture; }

class FixtureRefusal : public ::testing::TestWithParam<Refusal> {};

TEST_P(FixtureRefusal, IsRefusedWithPathAndReason) {
  const Refusal& refusal = GetParam();
  const std::string path = FixturePath(refusal.fixture);
  PluginRegistry registry;
  Status status = registry.LoadFile(path);
  EXPECT_EQ(status.code(), refusal.code) << status.ToString();
  EXPECT_THAT(std::string(status.message()), StartsWith("plugin " + path + ": " + refusal.reason));
  EXPECT_TRUE(registry.plugins().empty());

  // Loading the fixture's directory stops at the same refusal.
  PluginRegistry by_directory;
  const std::string dir = std::string(ABI_FIXTURE_DIR) + "/" + refusal.fixture;
  Status from_dir = by_directory.LoadDirectory(dir);
  EXPECT_EQ(from_dir.ToString(), status.ToString());
}

const std::string kV1Size = std::to_string(sizeof(optimystic_plugin_descriptor));

INSTANTIATE_TEST_SUITE_P(
    AbiFixtures, FixtureRefusal,
    ::testing::Values(
        Refusal{"missing_entry", StatusCode::kIncompatible,
                "no entry symbol optimystic_plugin_entry_storage_missing_entry"},
        Refusal{"null_descriptor", StatusCode::kIncompatible,
                "entry optimystic_plugin_entry_storage_null_descriptor returned NULL, expected a "
                "descriptor"},
        Refusal{"short_descriptor", StatusCode::kIncompatible,
                "descriptor struct_size 8, host needs at least " + kV1Size},
        Refusal{"wrong_major", StatusCode::kIncompatible,
                "ABI major version " + std::to_string(OPTIMYSTIC_ABI_MAJOR + 1) +
                    ", host supports " + std::to_string(OPTIMYSTIC_ABI_MAJOR)},
        Refusal{"newer_minor", StatusCode::kIncompatible,
                "ABI minor version " + std::to_string(OPTIMYSTIC_ABI_MINOR + 1) +
                    ", host supports up to " + std::to_string(OPTIMYSTIC_ABI_MINOR)},
        Refusal{"wrong_tier", StatusCode::kIncompatible, "tier 2, host supports only 1 (C++)"},
        Refusal{"wrong_toolchain", StatusCode::kIncompatible,
                "toolchain 'libc++/cplusplus=202002' differs from the host's '" +
                    std::string(OPTIMYSTIC_TOOLCHAIN_TAG) + "'"},
        Refusal{"wrong_sdk_hash", StatusCode::kIncompatible,
                "SDK hash feedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedfacefeedface "
                "differs from the host's " OPTIMYSTIC_SDK_HASH},
        Refusal{"unknown_kind", StatusCode::kIncompatible, "unknown plugin kind 99"},
        Refusal{"kind_mismatch", StatusCode::kIncompatible,
                "descriptor kind 2 (transport) does not match the expected kind 1 (storage)"},
        Refusal{"wrong_id", StatusCode::kIncompatible,
                "descriptor id 'storage.someone_else' does not match the expected id "
                "'storage.wrong_id'"},
        Refusal{"null_factory", StatusCode::kIncompatible,
                "offers no optimystic.storage.StorageEngineFactory version 1"}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.fixture); });

TEST(PluginRegistry, PassesAPluginsSettingsErrorThrough) {
  PluginRegistry registry;
  const std::string path = FixturePath("rejects_settings");
  Status status = registry.LoadFile(path);
  ASSERT_TRUE(status.ok()) << status.ToString();
  auto factory =
      registry.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, "rejects_settings");
  ASSERT_TRUE(factory.has_value());

  config::SettingsNode rejected = SettingsMap({{"reject", "true"}});
  status = (*factory)->Validate(config::Settings(&rejected, "storage.settings", "abi_test.yaml"));
  EXPECT_EQ(status.ToString(),
            "InvalidArgument: abi_test.yaml:3:5: storage.settings.reject: this plugin rejects "
            "its settings");
  config::SettingsNode accepted = SettingsMap({{"reject", "false"}});
  EXPECT_TRUE(
      (*factory)->Validate(config::Settings(&accepted, "storage.settings", "abi_test.yaml")).ok());
}

TEST(PluginRegistry, RefusesADuplicateIdNamingBothFiles) {
  TempDir first_dir;
  TempDir second_dir;
  const std::string first = first_dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so");
  const std::string second = second_dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so");
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadFile(first).ok());
  Status status = registry.LoadFile(second);
  EXPECT_EQ(status.ToString(), "Incompatible: plugin " + second +
                                   ": duplicate plugin 'storage.memory', already loaded from " +
                                   first);
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].path, first);
}

TEST(PluginRegistry, RefusesAFileWritableByOthers) {
  TempDir dir;
  const std::string path = dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so", 0666);
  PluginRegistry registry;
  const std::string expected = "Incompatible: plugin " + path +
                               ": file is writable by group or others (mode 0666)" + kRefusal;
  EXPECT_EQ(registry.LoadFile(path).ToString(), expected);
  EXPECT_EQ(registry.LoadDirectory(dir.path()).ToString(), expected);

  ASSERT_EQ(::chmod(path.c_str(), 0620), 0);
  EXPECT_THAT(registry.LoadFile(path).ToString(), HasSubstr("(mode 0620)"));
  EXPECT_TRUE(registry.plugins().empty());
}

TEST(PluginRegistry, RefusesAFileInADirectoryWritableByOthers) {
  TempDir dir;
  const std::string path = dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so", 0755);
  ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
  PluginRegistry registry;
  EXPECT_EQ(registry.LoadFile(path).ToString(),
            "Incompatible: plugin " + path + ": directory " + dir.path() +
                " is writable by group or others (mode 0777)" + kRefusal);
  EXPECT_EQ(registry.LoadDirectory(dir.path()).ToString(),
            "Incompatible: plugin directory " + dir.path() +
                " is writable by group or others (mode 0777)" + kRefusal);
  EXPECT_TRUE(registry.plugins().empty());
}

TEST(PluginRegistry, FollowsSymbolicLinksToTheDirectoryThatHoldsTheFile) {
  TempDir open_dir;
  TempDir safe_dir;
  const std::string target = open_dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so");
  const std::string link = safe_dir.path() + "/liboptimystic_storage_memory.so";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  PluginRegistry registry;
  ASSERT_TRUE(registry.LoadFile(link).ok()) << "a link within safe directories is fine";

  ASSERT_EQ(::chmod(open_dir.path().c_str(), 0777), 0);
  PluginRegistry refusing;
  const std::string real_dir = fs::canonical(open_dir.path()).string();
  EXPECT_EQ(refusing.LoadFile(link).ToString(),
            "Incompatible: plugin " + link + ": directory " + real_dir +
                " is writable by group or others (mode 0777)" + kRefusal);
}

TEST(PluginRegistry, RefusesAMissingDirectoryOrFile) {
  TempDir dir;
  const std::string missing = dir.path() + "/no-such-dir";
  PluginRegistry registry;
  EXPECT_EQ(registry.LoadDirectory(missing).ToString(),
            "IOError: plugin directory " + missing + ": cannot stat: No such file or directory");
  const std::string missing_file = dir.path() + "/liboptimystic_storage_gone.so";
  EXPECT_EQ(registry.LoadFile(missing_file).ToString(),
            "IOError: plugin " + missing_file + ": file: cannot stat: No such file or directory");
  const std::string not_dir = dir.Copy(kMemoryPlugin, "liboptimystic_storage_memory.so");
  EXPECT_EQ(registry.LoadDirectory(not_dir).ToString(),
            "IOError: plugin directory " + not_dir + ": not a directory");
}

TEST(PluginRegistry, RefusesFileNamesThatAreNotPluginNames) {
  TempDir dir;
  PluginRegistry registry;
  const std::string odd = dir.Copy(kMemoryPlugin, "libmemory.so");
  EXPECT_EQ(registry.LoadFile(odd).ToString(),
            "InvalidArgument: plugin " + odd +
                ": file name 'libmemory.so' is not liboptimystic_<kind>_<name>.so");
  const std::string widget = dir.Copy(kMemoryPlugin, "liboptimystic_widget_memory.so");
  EXPECT_THAT(registry.LoadFile(widget).ToString(),
              StartsWith("Incompatible: plugin " + widget +
                         ": file name 'liboptimystic_widget_memory.so': unknown plugin kind "
                         "'widget'"));
  const std::string upper = dir.Copy(kMemoryPlugin, "liboptimystic_storage_Memory.so");
  EXPECT_THAT(registry.LoadFile(upper).ToString(),
              HasSubstr("plugin name 'Memory' may hold only a-z, 0-9 and '_'"));
  EXPECT_TRUE(registry.plugins().empty());
}

TEST(PluginRegistry, RefusesAFileTheDynamicLoaderCannotOpen) {
  TempDir dir;
  dir.Write("liboptimystic_storage_text.so", std::string(200, 'x'));
  const std::string path = dir.path() + "/liboptimystic_storage_text.so";
  PluginRegistry registry;
  const std::string text = registry.LoadFile(path).ToString();
  EXPECT_THAT(text, StartsWith("Incompatible: plugin " + path + ": cannot load: "));
  EXPECT_THAT(text, HasSubstr("invalid ELF header"));  // dlerror's reason, not Boost's EBADF
}

// Static mode: an entry linked into this executable goes through the same checks.
class StaticFactory final : public storage::StorageEngineFactory {
 public:
  Status Validate(const config::Settings&) const noexcept override { return Status::Ok(); }
  Result<std::unique_ptr<storage::StorageEngine>> Create(const config::Settings&,
                                                         host::HostServices&) noexcept override {
    return Status::NotSupported("static fixture");
  }
};

void* GetStaticFactory(const char* iface, uint32_t version) {
  static StaticFactory factory;
  return abi::OfferFactory<storage::StorageEngineFactory>(iface, version, factory);
}

const optimystic_plugin_descriptor* StaticEntry() {
  static constexpr optimystic_plugin_descriptor kDescriptor = {
      .struct_size = sizeof(optimystic_plugin_descriptor),
      .abi_major = OPTIMYSTIC_ABI_MAJOR,
      .abi_minor = OPTIMYSTIC_ABI_MINOR,
      .tier = OPTIMYSTIC_TIER_CXX,
      .kind = OPTIMYSTIC_KIND_STORAGE,
      .id = "storage.linked",
      .version = "1.2.3",
      .toolchain = OPTIMYSTIC_TOOLCHAIN_TAG,
      .sdk_hash = OPTIMYSTIC_SDK_HASH,
      .get_factory = &GetStaticFactory,
  };
  return &kDescriptor;
}

const optimystic_plugin_descriptor* NullIdEntry() {
  static constexpr optimystic_plugin_descriptor kDescriptor = {
      .struct_size = sizeof(optimystic_plugin_descriptor),
      .abi_major = OPTIMYSTIC_ABI_MAJOR,
      .abi_minor = OPTIMYSTIC_ABI_MINOR,
      .tier = OPTIMYSTIC_TIER_CXX,
      .kind = OPTIMYSTIC_KIND_STORAGE,
      .id = nullptr,
      .version = "1.2.3",
      .toolchain = OPTIMYSTIC_TOOLCHAIN_TAG,
      .sdk_hash = OPTIMYSTIC_SDK_HASH,
      .get_factory = &GetStaticFactory,
  };
  return &kDescriptor;
}

TEST(PluginRegistry, AddStaticRunsTheSameChecks) {
  PluginRegistry registry;
  ASSERT_TRUE(registry.AddStatic("storage.linked", &StaticEntry).ok());
  ASSERT_EQ(registry.plugins().size(), 1u);
  EXPECT_EQ(registry.plugins()[0].version, "1.2.3");
  EXPECT_TRUE(registry.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, "linked"));

  EXPECT_EQ(registry.AddStatic("storage.linked", &StaticEntry).ToString(),
            "Incompatible: static plugin storage.linked: duplicate plugin 'storage.linked', "
            "already loaded from (static)");
  EXPECT_EQ(registry.AddStatic("storage.other", &StaticEntry).ToString(),
            "Incompatible: static plugin storage.other: descriptor id 'storage.linked' does not "
            "match the expected id 'storage.other'");
  EXPECT_EQ(registry.AddStatic("storage.null_id", &NullIdEntry).ToString(),
            "Incompatible: static plugin storage.null_id: descriptor field id is NULL, expected "
            "a string");
  EXPECT_EQ(registry.AddStatic("storage", &StaticEntry).ToString(),
            "InvalidArgument: static plugin storage: plugin id 'storage' is not <kind>.<name>");
  EXPECT_EQ(registry.AddStatic("storage.none", nullptr).ToString(),
            "InvalidArgument: static plugin storage.none: no entry function");
  EXPECT_EQ(registry.plugins().size(), 1u);
}

TEST(PluginKindName, NamesEveryKind) {
  EXPECT_EQ(PluginKindName(PluginKind::kStorage), "storage");
  EXPECT_EQ(PluginKindName(PluginKind::kTransport), "transport");
  EXPECT_EQ(PluginKindName(PluginKind::kCollection), "collection");
  EXPECT_EQ(PluginKindName(PluginKind::kConflict), "conflict");
  EXPECT_EQ(PluginKindName(static_cast<PluginKind>(99)), "unknown");
}

}  // namespace
}  // namespace optimystic::runtime::plugin
