// SPDX-License-Identifier: Apache-2.0
// The include rules of DESIGN.md §2 that target dependencies alone cannot enforce (every kernel
// layer shares the include directory kernel/src): base and core include no cluster header, and
// cluster includes no runtime or server header.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Every `#include "<prefix>..."` line below kernel/src/<folder>, as "file: line".
std::vector<std::string> IncludesOf(const std::string& folder, const std::string& prefix) {
  std::vector<std::string> found;
  const fs::path root = fs::path(OPTIMYSTIC_SOURCE_DIR) / "kernel" / "src" / folder;
  EXPECT_TRUE(fs::is_directory(root)) << root;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("#include \"" + prefix, 0) == 0) {
        found.push_back(entry.path().string() + ": " + line);
      }
    }
  }
  return found;
}

TEST(Layering, CoreAndBaseIncludeNoCluster) {
  EXPECT_EQ(IncludesOf("core", "cluster/"), std::vector<std::string>{});
  EXPECT_EQ(IncludesOf("base", "cluster/"), std::vector<std::string>{});
}

TEST(Layering, ClusterIncludesNoRuntimeOrServer) {
  EXPECT_EQ(IncludesOf("cluster", "runtime/"), std::vector<std::string>{});
  EXPECT_EQ(IncludesOf("cluster", "server/"), std::vector<std::string>{});
}

TEST(Layering, TheScanFindsIncludes) {
  // Guards the test itself: the cluster layer does include its own headers.
  EXPECT_FALSE(IncludesOf("cluster", "cluster/wire/").empty());
}

}  // namespace
