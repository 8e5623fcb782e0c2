// SPDX-License-Identifier: Apache-2.0
#include "cluster/wire/message_dispatcher.h"

#include <optimystic/base/seeded_random.h>
#include <optimystic/block/codec.h>

#include "cluster/wire/messages.h"
#include "kernel/cluster/wire/wire_test_util.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace optimystic::cluster::wire {
namespace {

using block::Value;
using test::FixedClock;

constexpr int64_t kNowUnixMs = 1764612000000;

// Answers every request with a pong that names the request's sender, or with a set error.
class RecordingHandler final : public MessageHandler {
 public:
  Result<Reply> Handle(const Envelope& request) noexcept override {
    ++calls_;
    if (!fail_with_.ok()) {
      return fail_with_;
    }
    Reply reply{MessageType::kPong, PongToPayload(Pong{request.sender, 1, "test"})};
    if (!oversize_payload_.empty()) {
      reply.payload["blob"] = oversize_payload_;
    }
    return reply;
  }

  int calls_ = 0;
  Status fail_with_;
  std::string oversize_payload_;
};

class MessageDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MessageDispatcher::Create("node-1", clock_, kMaxBytes);
    ASSERT_TRUE(d.has_value()) << d.status().ToString();
    dispatcher_ = std::move(*d);
    ASSERT_TRUE(dispatcher_->Register(MessageType::kPing, handler_).ok());
  }

  static std::string Request(const Envelope& e) {
    Result<std::string> bytes = EncodeEnvelope(e);
    EXPECT_TRUE(bytes.has_value());
    return bytes ? *bytes : std::string();
  }

  static Envelope Ping(uint64_t id, int64_t deadline_unix_ms = 0) {
    Envelope e;
    e.type = MessageType::kPing;
    e.request_id = id;
    e.sender = "client-7";
    e.deadline_unix_ms = deadline_unix_ms;
    return e;
  }

  // The reply to `request`, which must decode.
  Envelope Dispatch(std::string_view request) {
    Result<Envelope> reply = DecodeEnvelope(dispatcher_->Dispatch(request));
    EXPECT_TRUE(reply.has_value()) << reply.status().ToString();
    return reply ? *reply : Envelope{};
  }

  static ErrorReply ErrorOf(const Envelope& reply) {
    EXPECT_EQ(reply.type, MessageType::kError);
    Result<ErrorReply> error = ErrorReplyFromPayload(reply.payload);
    EXPECT_TRUE(error.has_value()) << reply.payload.dump();
    return error ? *error : ErrorReply{};
  }

  static constexpr size_t kMaxBytes = 64 * 1024;
  FixedClock clock_{kNowUnixMs};
  RecordingHandler handler_;
  std::unique_ptr<MessageDispatcher> dispatcher_;
};

TEST_F(MessageDispatcherTest, RoutesARequestToItsHandler) {
  Envelope reply = Dispatch(Request(Ping(41, kNowUnixMs + 1000)));
  EXPECT_EQ(handler_.calls_, 1);
  EXPECT_EQ(reply.type, MessageType::kPong);
  EXPECT_EQ(reply.request_id, 41u);
  EXPECT_EQ(reply.sender, "node-1");
  EXPECT_EQ(reply.deadline_unix_ms, kNowUnixMs + 1000);
  Result<Pong> pong = PongFromPayload(reply.payload);
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(pong->peer_id, "client-7");
}

TEST_F(MessageDispatcherTest, ATypeWithoutAHandlerIsNotSupported) {
  Envelope pong = Ping(5);
  pong.type = MessageType::kPong;
  Envelope reply = Dispatch(Request(pong));
  ErrorReply error = ErrorOf(reply);
  EXPECT_EQ(reply.request_id, 5u);
  EXPECT_EQ(error.code, StatusCode::kNotSupported);
  EXPECT_EQ(error.message, "no handler for message type 'pong' on this node");
  EXPECT_EQ(handler_.calls_, 0);
}

TEST_F(MessageDispatcherTest, UnknownTypeGetsAnErrorNamingItWithTheIdEchoed) {
  Value map = block::DecodeValue(Request(Ping(99))).value();
  map["type"] = "gossip";
  Envelope reply = Dispatch(block::EncodeValue(map));
  ErrorReply error = ErrorOf(reply);
  EXPECT_EQ(reply.request_id, 99u);
  EXPECT_EQ(reply.sender, "node-1");
  EXPECT_EQ(error.code, StatusCode::kNotSupported);
  EXPECT_EQ(error.message, "envelope: unknown message type 'gossip'");
}

TEST_F(MessageDispatcherTest, UnknownVersionGetsAnErrorNamingItWithTheIdEchoed) {
  Envelope v9 = Ping(12);
  v9.version = 9;
  Envelope reply = Dispatch(Request(v9));
  ErrorReply error = ErrorOf(reply);
  EXPECT_EQ(reply.version, format::kProtocolVersion);
  EXPECT_EQ(reply.request_id, 12u);
  EXPECT_EQ(error.code, StatusCode::kIncompatible);
  EXPECT_EQ(error.message, "envelope: unsupported protocol version 9 (this node speaks 1)");
}

TEST_F(MessageDispatcherTest, GarbageGetsAnErrorWithIdZero) {
  for (std::string_view garbage : {std::string_view(""), std::string_view("GET / HTTP/1.1\r\n"),
                                   std::string_view("\x01\xa6", 2)}) {
    Envelope reply = Dispatch(garbage);
    ErrorReply error = ErrorOf(reply);
    EXPECT_EQ(reply.request_id, 0u);
    EXPECT_EQ(error.code, StatusCode::kCorruption) << error.message;
    EXPECT_EQ(error.message.rfind("envelope: ", 0), 0u) << error.message;
  }
}

TEST_F(MessageDispatcherTest, OversizeRequestIsRefused) {
  Envelope big = Ping(3);
  big.payload["blob"] = std::string(kMaxBytes, 'x');
  Result<std::string> bytes = EncodeEnvelope(big, 2 * kMaxBytes);
  ASSERT_TRUE(bytes.has_value());
  ErrorReply error = ErrorOf(Dispatch(*bytes));
  EXPECT_EQ(error.code, StatusCode::kInvalidArgument);
  EXPECT_NE(error.message.find("exceed the limit"), std::string::npos) << error.message;
  EXPECT_EQ(handler_.calls_, 0);
}

TEST_F(MessageDispatcherTest, ExpiredDeadlineIsTimedOut) {
  Envelope reply = Dispatch(Request(Ping(8, kNowUnixMs - 250)));
  ErrorReply error = ErrorOf(reply);
  EXPECT_EQ(error.code, StatusCode::kTimedOut);
  EXPECT_EQ(error.message, "deadline passed 250 ms before the request was served");
  EXPECT_EQ(handler_.calls_, 0);
  // A deadline of now is still in time, and 0 means none.
  EXPECT_EQ(Dispatch(Request(Ping(9, kNowUnixMs))).type, MessageType::kPong);
  EXPECT_EQ(Dispatch(Request(Ping(10, 0))).type, MessageType::kPong);
}

TEST_F(MessageDispatcherTest, HandlerErrorBecomesAnErrorReply) {
  handler_.fail_with_ = Status::Unavailable("storage is closing");
  Envelope reply = Dispatch(Request(Ping(77)));
  ErrorReply error = ErrorOf(reply);
  EXPECT_EQ(reply.request_id, 77u);
  EXPECT_EQ(error.code, StatusCode::kUnavailable);
  EXPECT_EQ(error.message, "storage is closing");
}

TEST_F(MessageDispatcherTest, ReplyTooLargeToSendBecomesAnInternalError) {
  handler_.oversize_payload_ = std::string(kMaxBytes, 'y');
  Envelope reply = Dispatch(Request(Ping(78)));
  ErrorReply error = ErrorOf(reply);
  EXPECT_EQ(reply.request_id, 78u);
  EXPECT_EQ(error.code, StatusCode::kInternal);
  EXPECT_NE(error.message.find("reply to 'ping' could not be sent"), std::string::npos)
      << error.message;
}

TEST_F(MessageDispatcherTest, EveryInputGetsADecodableReply) {
  base::SeededRandom random(77);
  const std::string valid = Request(Ping(1));
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = valid;
    const uint64_t edits = 1 + random.Uniform(4);
    for (uint64_t k = 0; k < edits; ++k) {
      bytes[random.Uniform(bytes.size())] = static_cast<char>(random.Uniform(256));
    }
    bytes.resize(random.Uniform(bytes.size() + 1));
    Result<Envelope> reply = DecodeEnvelope(dispatcher_->Dispatch(bytes));
    ASSERT_TRUE(reply.has_value()) << test::Hex(bytes) << ": " << reply.status().ToString();
    EXPECT_TRUE(reply->type == MessageType::kPong || reply->type == MessageType::kError);
  }
}

TEST_F(MessageDispatcherTest, RegisterRefusesASecondHandler) {
  RecordingHandler other;
  Status s = dispatcher_->Register(MessageType::kPing, other);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'ping' already has a handler"), std::string_view::npos);
}

TEST(MessageDispatcher, CreateRefusesAPeerIdThatCannotBeSent) {
  FixedClock clock(0);
  EXPECT_FALSE(MessageDispatcher::Create(std::string(300, 'p'), clock).has_value());
  EXPECT_FALSE(MessageDispatcher::Create("\xff", clock).has_value());
  EXPECT_TRUE(MessageDispatcher::Create("", clock).has_value());
}

}  // namespace
}  // namespace optimystic::cluster::wire
