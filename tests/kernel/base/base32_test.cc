// SPDX-License-Identifier: Apache-2.0
#include <optimystic/base/base32.h>

#include <gtest/gtest.h>

namespace optimystic::base {
namespace {

TEST(Base32, MatchesRfc4648VectorsLowercaseWithoutPadding) {
  EXPECT_EQ(Base32Encode(""), "");
  EXPECT_EQ(Base32Encode("f"), "my");
  EXPECT_EQ(Base32Encode("fo"), "mzxq");
  EXPECT_EQ(Base32Encode("foo"), "mzxw6");
  EXPECT_EQ(Base32Encode("foob"), "mzxw6yq");
  EXPECT_EQ(Base32Encode("fooba"), "mzxw6ytb");
  EXPECT_EQ(Base32Encode("foobar"), "mzxw6ytboi");
}

TEST(Base32, RoundTripsEveryByteAndRejectsGarbage) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 7) {
    auto back = Base32Decode(Base32Encode(all.substr(0, n)));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all.substr(0, n));
  }
  EXPECT_FALSE(Base32Decode("mzxw1"));  // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("m"));      // 5 bits cannot end a byte string
}

}  // namespace
}  // namespace optimystic::base
