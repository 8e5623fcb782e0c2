// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/messages.h"

#include "cluster/wire/wire_format.h"
#include "cluster/wire/wire_text.h"

#include <gtest/gtest.h>

#include <string>

namespace optimystic::cluster::wire {
namespace {

using block::Value;

TEST(Messages, PingPayloadIsEmptyMap) {
  EXPECT_EQ(PingToPayload(Ping{}), Value::object());
  EXPECT_TRUE(PingFromPayload(Value::object()).has_value());
  EXPECT_FALSE(PingFromPayload(Value::array()).has_value());
}

TEST(Messages, PongRoundTrips) {
  Pong pong{"peer-a", 1, "0.1.0"};
  Value payload = PongToPayload(pong);
  EXPECT_EQ(payload,
            Value::parse(R"({"peerId":"peer-a","protocolVersion":1,"nodeVersion":"0.1.0"})"));
  Result<Pong> back = PongFromPayload(payload);
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, pong);
}

TEST(Messages, PongIgnoresMembersItDoesNotKnow) {
  Value payload = PongToPayload(Pong{"peer-a", 1, "0.1.0"});
  payload["uptimeSeconds"] = 17;
  EXPECT_TRUE(PongFromPayload(payload).has_value());
}

TEST(Messages, PongNamesAMissingOrMistypedMember) {
  for (const char* key : {"peerId", "protocolVersion", "nodeVersion"}) {
    Value payload = PongToPayload(Pong{"peer-a", 1, "0.1.0"});
    payload.erase(key);
    Result<Pong> missing = PongFromPayload(payload);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(
        missing.error().message().find("pong payload member '" + std::string(key) + "': missing"),
        std::string_view::npos)
        << missing.error().ToString();
    payload[key] = Value::array();
    Result<Pong> mistyped = PongFromPayload(payload);
    ASSERT_FALSE(mistyped.has_value());
    EXPECT_NE(mistyped.error().message().find("'" + std::string(key) + "'"),
              std::string_view::npos);
  }
  Value payload = PongToPayload(Pong{"peer-a", 1, "0.1.0"});
  payload["protocolVersion"] = 4294967296ULL;
  EXPECT_FALSE(PongFromPayload(payload).has_value());
  payload["protocolVersion"] = -1;
  EXPECT_FALSE(PongFromPayload(payload).has_value());
}

TEST(Messages, ErrorReplyRoundTripsEveryCode) {
  for (int c = 1; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    const Status error(static_cast<StatusCode>(c), "what went wrong");
    ErrorReply reply = ErrorReplyFromStatus(error);
    Value payload = ErrorReplyToPayload(reply);
    EXPECT_EQ(payload["code"], std::string(StatusCodeName(error.code())));
    Result<ErrorReply> back = ErrorReplyFromPayload(payload);
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, reply);
    Status seen = ErrorReplyToStatus(*back);
    EXPECT_EQ(seen.code(), error.code());
    EXPECT_EQ(seen.message(), "what went wrong");
  }
}

TEST(Messages, ErrorReplyWithAnUnknownCodeIsInternalAndKeepsTheName) {
  Value payload = Value::parse(R"({"code":"QuotaExceeded","message":"slow down"})");
  Result<ErrorReply> reply = ErrorReplyFromPayload(payload);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->code, StatusCode::kInternal);
  EXPECT_EQ(reply->message, "QuotaExceeded: slow down");
}

TEST(Messages, ErrorReplyRefusesOkAndNamesMissingMembers) {
  Result<ErrorReply> ok = ErrorReplyFromPayload(Value::parse(R"({"code":"OK","message":""})"));
  ASSERT_FALSE(ok.has_value());
  EXPECT_NE(ok.error().message().find("member 'code'"), std::string_view::npos);
  Result<ErrorReply> missing = ErrorReplyFromPayload(Value::parse(R"({"code":"Internal"})"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("member 'message': missing"), std::string_view::npos);
  EXPECT_FALSE(ErrorReplyFromPayload(Value::array()).has_value());
}

TEST(Messages, ErrorReplyFromStatusBoundsTheMessage) {
  ErrorReply reply = ErrorReplyFromStatus(Status::Internal(std::string(5000, 'x') + "\xff"));
  EXPECT_LE(reply.message.size(), format::kMaxErrorMessageBytes);
  EXPECT_TRUE(IsValidUtf8(reply.message));
  EXPECT_EQ(ErrorReplyFromStatus(Status::Internal("bad \xff byte")).message, "bad ? byte");
}

}  // namespace
}  // namespace optimystic::cluster::wire
