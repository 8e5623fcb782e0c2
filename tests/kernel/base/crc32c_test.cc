// SPDX-License-Identifier: Apache-2.0
#include <optimystic/base/crc32c.h>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace optimystic::base {
namespace {

TEST(Crc32c, MatchesRfc3720Vectors) {
  auto both = [](std::string_view data) {
    uint32_t fast = Crc32c(data);
    EXPECT_EQ(fast, Crc32cExtendPortable(0, data.data(), data.size()));
    return fast;
  };
  EXPECT_EQ(both(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(both(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(both(ascending), 0x46dd794eu);
  EXPECT_EQ(both(descending), 0x113fdb5cu);
  const unsigned char iscsi_read[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                        0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(both(std::string_view(reinterpret_cast<const char*>(iscsi_read), 48)), 0xd9963a56u);
  EXPECT_EQ(both("123456789"), 0xe3069283u);
}

TEST(Crc32c, ExtendsAcrossSplitsAndAlignments) {
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  for (size_t offset = 0; offset < 9; ++offset) {
    std::string_view tail = std::string_view(data).substr(offset);
    const uint32_t whole = Crc32c(tail);
    EXPECT_EQ(whole, Crc32cExtendPortable(0, tail.data(), tail.size()));
    for (size_t split : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{500}, tail.size()}) {
      uint32_t crc = Crc32cExtend(0, tail.data(), split);
      EXPECT_EQ(Crc32cExtend(crc, tail.data() + split, tail.size() - split), whole);
    }
  }
  const uint32_t crc = Crc32c("foo");
  EXPECT_NE(Crc32cMask(crc), crc);
  EXPECT_EQ(Crc32cUnmask(Crc32cMask(crc)), crc);
}

}  // namespace
}  // namespace optimystic::base
