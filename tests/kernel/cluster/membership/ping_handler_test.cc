// SPDX-License-Identifier: Apache-2.0
#include "cluster/membership/ping_handler.h"

#include "cluster/wire/messages.h"

#include <gtest/gtest.h>

namespace optimystic::cluster::membership {
namespace {

TEST(PingHandler, AnswersPongWithItsIdentity) {
  PingHandler handler("peer-a", "0.1.0");
  wire::Envelope ping;
  ping.type = wire::MessageType::kPing;
  Result<wire::Reply> reply = handler.Handle(ping);
  ASSERT_TRUE(reply.has_value()) << reply.status().ToString();
  EXPECT_EQ(reply->type, wire::MessageType::kPong);
  Result<wire::Pong> pong = wire::PongFromPayload(reply->payload);
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(pong->peer_id, "peer-a");
  EXPECT_EQ(pong->protocol_version, wire::format::kProtocolVersion);
  EXPECT_EQ(pong->node_version, "0.1.0");
}

TEST(PingHandler, RefusesAPayloadThatIsNotAMap) {
  PingHandler handler("peer-a", "0.1.0");
  wire::Envelope ping;
  ping.payload = block::Value::array();
  Result<wire::Reply> reply = handler.Handle(ping);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace optimystic::cluster::membership
