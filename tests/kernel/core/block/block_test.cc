// SPDX-License-Identifier: Apache-2.0
#include <optimystic/base/base32.h>
#include <optimystic/base/seeded_random.h>
#include <optimystic/block/block.h>
#include <optimystic/block/block_id.h>

#include <gtest/gtest.h>

#include <set>

namespace optimystic::block {
namespace {

TEST(Block, MakeBlockHoldsOnlyTheHeader) {
  Value block = MakeBlock(BlockHeader{"id1", "TL", "users"});
  EXPECT_EQ(block, Value({{"header", {{"id", "id1"}, {"type", "TL"}, {"collectionId", "users"}}}}));
  auto header = HeaderOf(block);
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(*header, (BlockHeader{"id1", "TL", "users"}));
  EXPECT_TRUE(ValidateBlock(block).ok());
}

TEST(Block, CollectionIdMayBeEmpty) {
  EXPECT_TRUE(ValidateBlock(MakeBlock(BlockHeader{"id1", "TL", ""})).ok());
}

TEST(Block, MalformedHeadersAreInvalidArguments) {
  EXPECT_EQ(ValidateBlock(Value::array()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateBlock(Value::object()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateBlock(Value{{"header", 1}}).code(), StatusCode::kInvalidArgument);

  Value no_type = MakeBlock(BlockHeader{"id1", "TL", "c"});
  no_type["header"].erase("type");
  Status status = ValidateBlock(no_type);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("id1"), std::string_view::npos) << status.ToString();
  EXPECT_NE(status.message().find("header.type"), std::string_view::npos);

  Value empty_id = MakeBlock(BlockHeader{"", "TL", "c"});
  EXPECT_EQ(ValidateBlock(empty_id).code(), StatusCode::kInvalidArgument);
  Value numeric_id = MakeBlock(BlockHeader{"x", "TL", "c"});
  numeric_id["header"]["id"] = 5;
  EXPECT_EQ(ValidateBlock(numeric_id).code(), StatusCode::kInvalidArgument);
  Value bad_collection = MakeBlock(BlockHeader{"x", "TL", "c"});
  bad_collection["header"]["collectionId"] = nullptr;
  EXPECT_EQ(ValidateBlock(bad_collection).code(), StatusCode::kInvalidArgument);
}

TEST(BlockTypeRegistry, RegistersAndNamesCodes) {
  BlockTypeRegistry registry;
  ASSERT_TRUE(registry.Register(kTreeLeafType, "TreeLeaf").ok());
  EXPECT_TRUE(registry.Contains("TL"));
  EXPECT_FALSE(registry.Contains("TB"));
  EXPECT_EQ(*registry.NameOf("TL"), "TreeLeaf");
  EXPECT_EQ(registry.NameOf("TB").status().code(), StatusCode::kNotFound);
}

TEST(BlockTypeRegistry, RefusesDuplicatesAndEmptyCodes) {
  BlockTypeRegistry registry;
  ASSERT_TRUE(registry.Register("TL", "TreeLeaf").ok());
  Status dup = registry.Register("TL", "Other");
  EXPECT_EQ(dup.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dup.message().find("already registered"), std::string_view::npos);
  EXPECT_EQ(*registry.NameOf("TL"), "TreeLeaf");
  EXPECT_EQ(registry.Register("", "x").code(), StatusCode::kInvalidArgument);
}

TEST(BlockId, IsFiftyTwoBase32CharactersOfThirtyTwoBytes) {
  base::SeededRandom random(1);
  const BlockId id = NewBlockId(random);
  EXPECT_EQ(id.size(), kBlockIdChars);
  auto bytes = base::Base32Decode(id);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(bytes->size(), kBlockIdBytes);
  EXPECT_EQ(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567"), std::string::npos);
}

TEST(BlockId, SameSeedSameIdsAndNoRepeats) {
  base::SeededRandom a(42);
  base::SeededRandom b(42);
  std::set<BlockId> seen;
  for (int i = 0; i < 1000; ++i) {
    const BlockId id = NewBlockId(a);
    EXPECT_EQ(id, NewBlockId(b));
    EXPECT_TRUE(seen.insert(id).second);
  }
  base::SeededRandom c(43);
  EXPECT_EQ(seen.count(NewBlockId(c)), 0u);
}

TEST(SeededRandom, IsTheStandardMersenneTwister) {
  // [rand.predef]: the 10000th output of a default-seeded (5489) mt19937_64.
  base::SeededRandom random(5489);
  for (int i = 0; i < 9999; ++i) {
    random.Next();
  }
  EXPECT_EQ(random.Next(), 9981545732273789042ull);
}

TEST(SeededRandom, FillIsLittleEndianWordsAndUniformStaysInRange) {
  base::SeededRandom words(7);
  base::SeededRandom bytes(7);
  const uint64_t w = words.Next();
  uint8_t out[3] = {};
  bytes.Fill(out, 3);
  EXPECT_EQ(out[0], static_cast<uint8_t>(w));
  EXPECT_EQ(out[1], static_cast<uint8_t>(w >> 8));
  EXPECT_EQ(out[2], static_cast<uint8_t>(w >> 16));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(words.Uniform(7), 7u);
  }
}

}  // namespace
}  // namespace optimystic::block
