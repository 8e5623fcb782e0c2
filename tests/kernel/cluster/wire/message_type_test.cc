// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/message_type.h"

#include <gtest/gtest.h>

namespace optimystic::cluster::wire {
namespace {

TEST(MessageType, NamesRoundTrip) {
  for (MessageType t : {MessageType::kError, MessageType::kPing, MessageType::kPong}) {
    std::optional<MessageType> back = ParseMessageType(MessageTypeName(t));
    ASSERT_TRUE(back.has_value()) << MessageTypeName(t);
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(MessageTypeName(MessageType::kPing), "ping");
  EXPECT_EQ(MessageTypeName(MessageType::kPong), "pong");
  EXPECT_EQ(MessageTypeName(MessageType::kError), "error");
}

TEST(MessageType, UnknownNameIsNullopt) {
  EXPECT_FALSE(ParseMessageType("gossip").has_value());
  EXPECT_FALSE(ParseMessageType("").has_value());
  EXPECT_FALSE(ParseMessageType("PING").has_value());
}

}  // namespace
}  // namespace optimystic::cluster::wire
