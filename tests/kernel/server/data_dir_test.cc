// SPDX-License-Identifier: Apache-2.0
#include "server/data_dir.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace optimystic::server {
namespace {

TEST(DataDir, CreatesMissingFoldersAndRefusesAFile) {
  test::TempDir dir;
  EXPECT_TRUE(PrepareDataDir(dir.path() + "/a/b/c").ok());
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/a/b/c"));
  std::ofstream(dir.path() + "/file") << "x";
  Status s = PrepareDataDir(dir.path() + "/file");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find(dir.path() + "/file"), std::string::npos) << s.ToString();
}

TEST(DataDir, PeerIdIsGeneratedOnceAndKept) {
  test::TempDir dir;
  auto first = LoadOrCreatePeerId(dir.path(), "");
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->size(), 52u);
  EXPECT_EQ(first->find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos);
  auto again = LoadOrCreatePeerId(dir.path(), "");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
  auto conflicting = LoadOrCreatePeerId(dir.path(), "someone-else");
  ASSERT_FALSE(conflicting);
  EXPECT_NE(conflicting.error().message().find("a node's id never changes"), std::string::npos);
}

TEST(DataDir, ConfiguredIdIsKeptAndMalformedFileIsCorruption) {
  test::TempDir dir;
  auto id = LoadOrCreatePeerId(dir.path(), "node-a");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "node-a");
  EXPECT_EQ(*LoadOrCreatePeerId(dir.path(), ""), "node-a");
  std::ofstream(dir.path() + "/peer_id", std::ios::trunc) << "has space\n";
  auto bad = LoadOrCreatePeerId(dir.path(), "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace optimystic::server
