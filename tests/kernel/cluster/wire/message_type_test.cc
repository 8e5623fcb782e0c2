// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/message_type.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

namespace optimystic::cluster::wire {
namespace {

TEST(MessageType, NamesRoundTrip) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kMessageTypeCount; ++i) {
    const auto t = static_cast<MessageType>(i);
    EXPECT_NE(MessageTypeName(t), "invalid") << i;
    EXPECT_TRUE(names.insert(MessageTypeName(t)).second) << MessageTypeName(t);
    std::optional<MessageType> back = ParseMessageType(MessageTypeName(t));
    ASSERT_TRUE(back.has_value()) << MessageTypeName(t);
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(MessageTypeName(MessageType::kPing), "ping");
  EXPECT_EQ(MessageTypeName(MessageType::kPong), "pong");
  EXPECT_EQ(MessageTypeName(MessageType::kError), "error");
  EXPECT_EQ(MessageTypeName(static_cast<MessageType>(kMessageTypeCount)), "invalid");
}

TEST(MessageType, ClientMessagesHaveTheirDocumentedNames) {
  EXPECT_EQ(MessageTypeName(MessageType::kCollectionAct), "collection.act");
  EXPECT_EQ(MessageTypeName(MessageType::kActOk), "act.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kCollectionQuery), "collection.query");
  EXPECT_EQ(MessageTypeName(MessageType::kQueryOk), "query.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kCollectionVerify), "collection.verify");
  EXPECT_EQ(MessageTypeName(MessageType::kVerifyOk), "verify.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kNodeStatus), "node.status");
  EXPECT_EQ(MessageTypeName(MessageType::kStatusOk), "status.ok");
  EXPECT_EQ(MessageTypeName(MessageType::kTransaction), "transaction");
  EXPECT_EQ(MessageTypeName(MessageType::kTransactionOk), "transaction.ok");
}

TEST(MessageType, UnknownNameIsNullopt) {
  EXPECT_FALSE(ParseMessageType("gossip").has_value());
  EXPECT_FALSE(ParseMessageType("").has_value());
  EXPECT_FALSE(ParseMessageType("PING").has_value());
}

}  // namespace
}  // namespace optimystic::cluster::wire
