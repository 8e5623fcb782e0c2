// SPDX-License-Identifier: Apache-2.0
#include "server/data_dir.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>

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

TEST(DataDir, NodeKeyIsGeneratedOnceKeptPrivateAndReloaded) {
  test::TempDir dir;
  Result<cluster::identity::NodeKey> first = LoadOrCreateNodeKey(dir.path());
  ASSERT_TRUE(first) << first.error().ToString();
  const std::string file = dir.path() + "/node_key.pem";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<cluster::identity::NodeKey> again = LoadOrCreateNodeKey(dir.path());
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->public_key(), first->public_key());
  // What one signs, the other's public key verifies: the same key.
  EXPECT_TRUE(
      cluster::identity::NodeKey::Verify(first->public_key(), "vote", *again->Sign("vote")));
}

TEST(DataDir, ANodeKeyOthersCanReadIsRefusedAndAMalformedOneIsCorruption) {
  test::TempDir dir;
  ASSERT_TRUE(LoadOrCreateNodeKey(dir.path()));
  const std::string file = dir.path() + "/node_key.pem";
  for (mode_t mode : {0640, 0604, 0620}) {
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    Result<cluster::identity::NodeKey> refused = LoadOrCreateNodeKey(dir.path());
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
    char text[8];
    std::snprintf(text, sizeof(text), "%04o", static_cast<unsigned>(mode));
    EXPECT_EQ(refused.error().message(), "node key " + file +
                                             " is accessible by group or others (mode " + text +
                                             "); run chmod 600 " + file);
  }
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  std::ofstream(file, std::ios::trunc) << "-----BEGIN PRIVATE KEY-----\nAAAA\n";
  Result<cluster::identity::NodeKey> bad = LoadOrCreateNodeKey(dir.path());
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.error().message().find("node key " + file + ": not a PEM private key"),
            std::string::npos)
      << bad.error().ToString();
}

}  // namespace
}  // namespace optimystic::server
