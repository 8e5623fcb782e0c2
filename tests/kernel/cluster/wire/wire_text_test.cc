// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/wire_text.h"

#include <gtest/gtest.h>

#include <string>

namespace optimystic::cluster::wire {
namespace {

TEST(WireText, RecognizesUtf8) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

TEST(WireText, BoundedTextKeepsShortValidText) {
  EXPECT_EQ(BoundedText("hello \xc3\xa9", 100), "hello \xc3\xa9");
  EXPECT_EQ(BoundedText("12345", 5), "12345");
}

TEST(WireText, BoundedTextReplacesInvalidBytes) {
  EXPECT_EQ(BoundedText("a\xff"
                        "b\xc3",
                        100),
            "a?b?");
}

TEST(WireText, BoundedTextCutsAtACharacterBoundary) {
  EXPECT_EQ(BoundedText("123456", 5), "12...");
  // Two-byte characters: the cut never splits one.
  const std::string e_acute = "\xc3\xa9";
  std::string cut = BoundedText(e_acute + e_acute + e_acute + e_acute, 6);
  EXPECT_EQ(cut, e_acute + "...");
  EXPECT_TRUE(IsValidUtf8(cut));
  for (size_t max = 3; max < 40; ++max) {
    std::string text = BoundedText(std::string(50, 'x') + "\xe2\x82\xac\xff", max);
    EXPECT_LE(text.size(), max);
    EXPECT_TRUE(IsValidUtf8(text));
  }
}

}  // namespace
}  // namespace optimystic::cluster::wire
