// SPDX-License-Identifier: Apache-2.0
// Unit tests for the Action codec (optimystic/collections/action.h).
#include <optimystic/block/codec.h>
#include <optimystic/collections/action.h>

#include <gtest/gtest.h>

#include <string>

namespace optimystic::collections {
namespace {

using block::Value;

TEST(ActionCodec, RoundTripsThroughTheCanonicalEncoding) {
  Action action;
  action.type = "replace";
  action.data = Value::array({Value::array({"alice", Value{{"name", "Alice"}}})});
  action.transaction = "tx:abc";
  action.timestamp_ms = 1700000000123;
  Result<Value> bytes = block::DecodeValue(block::EncodeValue(ActionToValue(action)));
  ASSERT_TRUE(bytes);
  Result<Action> back = ActionFromValue(*bytes);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, action);
}

TEST(ActionCodec, OptionalMembersAreLeftOut) {
  Action action;
  action.type = "increment";
  action.data = 5;
  const Value value = ActionToValue(action);
  EXPECT_EQ(value, (Value{{"type", "increment"}, {"data", 5}}));
  Result<Action> back = ActionFromValue(value);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, action);
  Result<Action> no_data = ActionFromValue(Value{{"type", "clear"}});
  ASSERT_TRUE(no_data);
  EXPECT_TRUE(no_data->data.is_null());
}

TEST(ActionCodec, MalformedActionsNameTheMember) {
  auto expect_invalid = [](const Value& v, std::string_view member) {
    Result<Action> got = ActionFromValue(v);
    ASSERT_FALSE(got) << v.dump();
    EXPECT_EQ(got.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(got.error().message().find(member), std::string_view::npos) << got.error().ToString();
  };
  expect_invalid(Value::array(), "object");
  expect_invalid(Value{{"data", 1}}, "type");
  expect_invalid(Value{{"type", ""}}, "type");
  expect_invalid(Value{{"type", 3}}, "type");
  expect_invalid(Value{{"type", "t"}, {"transaction", 7}}, "transaction");
  expect_invalid(Value{{"type", "t"}, {"timestamp", "now"}}, "timestamp");
  expect_invalid(Value{{"type", "t"}, {"timestamp", 1.5}}, "timestamp");
}

}  // namespace
}  // namespace optimystic::collections
