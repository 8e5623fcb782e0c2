// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_input.h"

#include <gtest/gtest.h>

#include <string>

namespace optimystic::tools::cli {
namespace {

using block::Value;

TEST(CliInput, ParsesJsonArguments) {
  Result<Value> v = ParseJsonArgument(R"({"name":"Alice","tags":[1,2]})", "ENTRY");
  ASSERT_TRUE(v.has_value()) << v.status().ToString();
  EXPECT_EQ((*v)["name"], "Alice");
  EXPECT_EQ(*ParseJsonArgument("17", "ENTRY"), Value(17));
  EXPECT_EQ(*ParseJsonArgument("\"text\"", "ENTRY"), Value("text"));
}

TEST(CliInput, MalformedJsonNamesTheArgumentAndThePosition) {
  Result<Value> v = ParseJsonArgument(R"({"name": Alice})", "tree put: ENTRY (argument 3)");
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code(), StatusCode::kInvalidArgument);
  const std::string message(v.error().message());
  EXPECT_EQ(message.rfind("tree put: ENTRY (argument 3): malformed JSON at position 10: ", 0), 0u)
      << message;
  EXPECT_NE(message.find("syntax error"), std::string::npos) << message;
  Result<Value> truncated = ParseJsonArgument(R"([1, 2)", "ENTRY");
  ASSERT_FALSE(truncated.has_value());
  EXPECT_NE(truncated.error().message().find("position 6"), std::string_view::npos)
      << truncated.error().ToString();
  EXPECT_FALSE(ParseJsonArgument("", "ENTRY").has_value());
  EXPECT_FALSE(ParseJsonArgument("{} {}", "ENTRY").has_value());
}

TEST(CliInput, KeysThatLookLikeNumbersAreNumbers) {
  EXPECT_EQ(ParseKey("42", KeyMode::kNumbersAsNumbers), Value(42));
  EXPECT_TRUE(ParseKey("42", KeyMode::kNumbersAsNumbers).is_number_integer());
  EXPECT_EQ(ParseKey("-7", KeyMode::kNumbersAsNumbers), Value(-7));
  EXPECT_EQ(ParseKey("1.5e3", KeyMode::kNumbersAsNumbers), Value(1500.0));
  EXPECT_EQ(ParseKey("18446744073709551615", KeyMode::kNumbersAsNumbers),
            Value(18446744073709551615ULL));
  // Not JSON numbers, or too large to be an integer: the text itself.
  for (const char* text : {"alice", "007", "12abc", "1.", "+1", "", "-", "1e", "0x10",
                           "123456789012345678901234567890"}) {
    EXPECT_EQ(ParseKey(text, KeyMode::kNumbersAsNumbers), Value(text)) << text;
  }
  EXPECT_EQ(ParseKey("42", KeyMode::kAlwaysText), Value("42"));
}

TEST(CliInput, IntegersAndCounts) {
  EXPECT_EQ(*ParseInteger("-5", "N"), -5);
  EXPECT_EQ(*ParseInteger("9223372036854775807", "N"), 9223372036854775807LL);
  for (const char* bad : {"", "1.5", "5x", "9223372036854775808", "--5"}) {
    Result<int64_t> r = ParseInteger(bad, "counter add: N (argument 2)");
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().message(),
              "counter add: N (argument 2): expected an integer, got '" + std::string(bad) + "'");
  }
  EXPECT_EQ(*ParseCount("10", "--limit", 1, 100), 10u);
  EXPECT_FALSE(ParseCount("0", "--limit", 1, 100).has_value());
  EXPECT_FALSE(ParseCount("101", "--limit", 1, 100).has_value());
  EXPECT_EQ(ParseCount("-1", "--limit", 1, 100).error().message(),
            "--limit: expected an integer from 1 to 100, got '-1'");
}

}  // namespace
}  // namespace optimystic::tools::cli
