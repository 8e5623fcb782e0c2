// SPDX-License-Identifier: Apache-2.0
#include <optimystic/base/seeded_random.h>
#include <optimystic/block/codec.h>

#include "cluster/wire/envelope.h"
#include "kernel/cluster/wire/wire_test_util.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace optimystic::cluster::wire {
namespace {

using block::Value;
using test::FromHex;
using test::Hex;

Envelope SampleEnvelope() {
  Envelope e;
  e.type = MessageType::kPong;
  e.request_id = 0x0102030405060708ULL;
  e.sender = "peer-\xc3\xa9t\xc3\xa9";
  e.deadline_unix_ms = 1764612000000;
  e.payload = Value::object();
  e.payload["peerId"] = "peer-b";
  e.payload["nested"] = Value::array({1, -2, 1.5, "x", nullptr, true, Value::object()});
  return e;
}

std::string Encode(const Envelope& e) {
  Result<std::string> bytes = EncodeEnvelope(e);
  EXPECT_TRUE(bytes.has_value()) << bytes.status().ToString();
  return bytes ? *bytes : std::string();
}

// The envelope as a plain map, for tests that write what no Envelope can hold.
Value SampleMap() {
  Result<Value> v = block::DecodeValue(Encode(SampleEnvelope()));
  EXPECT_TRUE(v.has_value());
  return v ? *v : Value();
}

Status DecodeError(const Value& map) {
  Result<Envelope> e = DecodeEnvelope(block::EncodeValue(map));
  EXPECT_FALSE(e.has_value()) << map.dump();
  return e.status();
}

// A value nested `depth` containers deep (arrays inside a map at the top).
Value Nested(size_t depth) {
  Value inner = Value::array();
  for (size_t d = 2; d < depth; ++d) {
    inner = Value::array({inner});
  }
  Value top = Value::object();
  if (depth >= 2) {
    top["a"] = inner;
  }
  return top;
}

void ExpectDecodesToItself(std::string_view bytes) {
  Result<Envelope> e = DecodeEnvelope(bytes);
  if (e) {
    // Decoding accepted it, so it must be the one canonical encoding of what it read.
    EXPECT_EQ(Encode(*e), bytes) << Hex(bytes);
  } else {
    EXPECT_FALSE(e.error().message().empty());
  }
}

TEST(Envelope, RoundTripsEveryField) {
  const Envelope e = SampleEnvelope();
  Result<Envelope> back = DecodeEnvelope(Encode(e));
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(back->version, 1u);
  EXPECT_EQ(back->type, MessageType::kPong);
  EXPECT_EQ(back->request_id, 0x0102030405060708ULL);
  EXPECT_EQ(back->sender, "peer-\xc3\xa9t\xc3\xa9");
  EXPECT_EQ(back->deadline_unix_ms, 1764612000000);
  EXPECT_EQ(back->payload, e.payload);
  EXPECT_EQ(*back, e);
}

TEST(Envelope, RoundTripsBoundaryValuesOfEachField) {
  const uint64_t ids[] = {
      0, 1, 23, 24, 255, 256, 65535, 65536, 4294967296ULL, std::numeric_limits<uint64_t>::max()};
  const int64_t deadlines[] = {0, 1, 23, 24, 1764612000000, std::numeric_limits<int64_t>::max()};
  for (uint64_t id : ids) {
    for (int64_t deadline : deadlines) {
      for (size_t t = 0; t < kMessageTypeCount; ++t) {
        const auto type = static_cast<MessageType>(t);
        Envelope e;
        e.type = type;
        e.request_id = id;
        e.deadline_unix_ms = deadline;
        e.sender = std::string(format::kMaxSenderBytes, 'p');
        Result<Envelope> back = DecodeEnvelope(Encode(e));
        ASSERT_TRUE(back.has_value()) << back.status().ToString();
        EXPECT_EQ(*back, e) << id << " " << deadline;
      }
    }
  }
}

TEST(Envelope, EmptySenderIsAClient) {
  Envelope e;
  e.sender = "";
  Result<Envelope> back = DecodeEnvelope(Encode(e));
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(back->sender, "");
}

TEST(Envelope, EncodesTheDocumentedBytes) {
  Envelope e;
  e.type = MessageType::kPing;
  e.request_id = 7;
  e.sender = "peer-a";
  e.deadline_unix_ms = 0;
  // docs/protocol.md shows these bytes; the codec version byte, then a map of six members in
  // byte-wise key order.
  EXPECT_EQ(Hex(Encode(e)),
            "01a6"
            "68646561646c696e6500"          // "deadline": 0
            "62696407"                      // "id": 7
            "677061796c6f6164a0"            // "payload": {}
            "6673656e64657266706565722d61"  // "sender": "peer-a"
            "64747970656470696e67"          // "type": "ping"
            "6776657273696f6e01");          // "version": 1
}

TEST(Envelope, EncodingIsDeterministic) {
  Envelope a = SampleEnvelope();
  Envelope b = SampleEnvelope();
  // The same members inserted in another order, and 1.0 where `a` has 1.
  b.payload = Value::object();
  b.payload["nested"] = Value::array({1.0, -2, 1.5, "x", nullptr, true, Value::object()});
  b.payload["peerId"] = "peer-b";
  EXPECT_EQ(Encode(a), Encode(b));
  EXPECT_EQ(Encode(a), Encode(a));
  Result<Envelope> back = DecodeEnvelope(Encode(a));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(Encode(*back), Encode(a));
}

TEST(Envelope, EveryTruncationIsAnError) {
  const std::string bytes = Encode(SampleEnvelope());
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<Envelope> e = DecodeEnvelope(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(e.has_value()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(e.error().code(), StatusCode::kCorruption) << e.error().ToString();
  }
  EXPECT_FALSE(DecodeEnvelope(bytes + std::string(1, '\0')).has_value()) << "trailing byte";
}

TEST(Envelope, RandomBytesNeverCrash) {
  base::SeededRandom random(20261201);
  int decoded = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string bytes(random.Uniform(48), '\0');
    random.Fill(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
    // Half of the inputs start like an envelope, so that they get past the first checks.
    if (i % 2 == 0) {
      bytes = std::string("\x01\xa6", 2) + bytes;
    }
    Result<Envelope> e = DecodeEnvelope(bytes);
    if (e) {
      ++decoded;
      EXPECT_EQ(Encode(*e), bytes) << Hex(bytes);
    }
  }
  EXPECT_EQ(decoded, 0);  // no random string of this length is a complete envelope
}

TEST(Envelope, SingleByteMutationsDecodeToThemselvesOrFail) {
  const std::string bytes = Encode(SampleEnvelope());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int b = 0; b < 256; ++b) {
      if (static_cast<unsigned char>(bytes[i]) == b) {
        continue;
      }
      std::string mutated = bytes;
      mutated[i] = static_cast<char>(b);
      ExpectDecodesToItself(mutated);
    }
  }
}

TEST(Envelope, UnknownVersionIsIncompatibleAndNamed) {
  for (uint32_t version : {0u, 2u, 4294967295u}) {
    Envelope e;
    e.version = version;
    Result<Envelope> back = DecodeEnvelope(Encode(e));
    ASSERT_FALSE(back.has_value());
    EXPECT_EQ(back.error().code(), StatusCode::kIncompatible);
    EXPECT_NE(
        back.error().message().find("unsupported protocol version " + std::to_string(version)),
        std::string_view::npos)
        << back.error().ToString();
  }
}

TEST(Envelope, VersionIsCheckedBeforeEverythingElse) {
  // A later version may change every other member; it is refused for its version alone.
  Value map = Value::object();
  map["version"] = 2;
  map["somethingNew"] = Value::array();
  Status s = DecodeError(map);
  EXPECT_EQ(s.code(), StatusCode::kIncompatible) << s.ToString();
  EXPECT_NE(s.message().find("version 2"), std::string_view::npos) << s.ToString();
}

TEST(Envelope, UnknownTypeIsNotSupportedAndNamed) {
  Value map = SampleMap();
  map["type"] = "gossip";
  Status s = DecodeError(map);
  EXPECT_EQ(s.code(), StatusCode::kNotSupported);
  EXPECT_NE(s.message().find("unknown message type 'gossip'"), std::string_view::npos)
      << s.ToString();
}

TEST(Envelope, MalformedTypeNamesTheField) {
  for (const char* type : {"", "Ping", "pi ng", "ping\n"}) {
    Value map = SampleMap();
    map["type"] = type;
    Status s = DecodeError(map);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("field 'type'"), std::string_view::npos) << s.ToString();
  }
  Value map = SampleMap();
  map["type"] = std::string(format::kMaxTypeBytes + 1, 'a');
  EXPECT_NE(DecodeError(map).message().find("field 'type'"), std::string_view::npos);
}

TEST(Envelope, MissingFieldIsNamed) {
  for (const char* key : {"deadline", "id", "payload", "sender", "type", "version"}) {
    Value map = SampleMap();
    map.erase(key);
    Status s = DecodeError(map);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("field '" + std::string(key) + "': missing"), std::string_view::npos)
        << s.ToString();
  }
}

TEST(Envelope, MistypedFieldIsNamed) {
  const std::vector<std::pair<std::string, Value>> cases = {
      {"deadline", "soon"},
      {"deadline", -1},
      {"deadline", 1.5},
      {"id", "seven"},
      {"id", -7},
      {"id", Value::array()},
      {"payload", Value::array()},
      {"payload", "x"},
      {"payload", nullptr},
      {"sender", 17},
      {"sender", Value::object()},
      {"sender", std::string(format::kMaxSenderBytes + 1, 's')},
      {"type", 1},
      {"type", nullptr},
      {"version", "1"},
      {"version", -1},
      {"version", 4294967296ULL},
      {"version", 1.5},
  };
  for (const auto& [key, value] : cases) {
    Value map = SampleMap();
    map[key] = value;
    Status s = DecodeError(map);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << key << " = " << value.dump();
    EXPECT_NE(s.message().find("field '" + key + "'"), std::string_view::npos)
        << key << " = " << value.dump() << ": " << s.ToString();
  }
}

TEST(Envelope, UnexpectedFieldIsNamed) {
  Value map = SampleMap();
  map["priority"] = 1;
  Status s = DecodeError(map);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("field 'priority': unexpected"), std::string_view::npos)
      << s.ToString();
}

TEST(Envelope, NotAMapIsRefused) {
  for (const Value& v : {Value(1), Value("ping"), Value::array({1, 2}), Value(nullptr)}) {
    Status s = DecodeError(v);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("expected a map"), std::string_view::npos) << s.ToString();
  }
}

TEST(Envelope, NonCanonicalBytesAreRefused) {
  std::string bytes = Encode(SampleEnvelope());
  // The same message with the version written with a one-byte argument (0x18 0x01).
  ASSERT_EQ(static_cast<unsigned char>(bytes.back()), 0x01);
  bytes.back() = '\x18';
  bytes.push_back('\x01');
  Result<Envelope> e = DecodeEnvelope(bytes);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code(), StatusCode::kCorruption);
  EXPECT_NE(e.error().message().find("canonical"), std::string_view::npos) << e.error().ToString();
}

TEST(Envelope, OversizeMessageIsRefused) {
  Envelope e;
  e.payload["blob"] = std::string(1000, 'x');
  const std::string bytes = Encode(e);
  EXPECT_TRUE(DecodeEnvelope(bytes, bytes.size()).has_value());
  Result<Envelope> refused = DecodeEnvelope(bytes, bytes.size() - 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(
      refused.error().message().find("exceed the limit of " + std::to_string(bytes.size() - 1)),
      std::string_view::npos)
      << refused.error().ToString();
  EXPECT_FALSE(EncodeEnvelope(e, bytes.size() - 1).has_value());
}

TEST(Envelope, MessageOverTheDefaultLimitIsRefused) {
  Envelope e;
  e.payload["blob"] = std::string(format::kMaxEnvelopeBytes, 'x');
  Result<std::string> refused = EncodeEnvelope(e);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  Result<std::string> bytes = EncodeEnvelope(e, 2 * format::kMaxEnvelopeBytes);
  ASSERT_TRUE(bytes.has_value());
  Result<Envelope> decoded = DecodeEnvelope(*bytes);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().message().find("exceed the limit of 16777216"), std::string_view::npos);
}

TEST(Envelope, PayloadNestingIsBounded) {
  Envelope deepest;
  deepest.payload = Nested(format::kMaxPayloadDepth);
  Result<Envelope> back = DecodeEnvelope(Encode(deepest));
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, deepest);

  Envelope too_deep;
  too_deep.payload = Nested(format::kMaxPayloadDepth + 1);
  Result<std::string> refused = EncodeEnvelope(too_deep);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("field 'payload': nests deeper than 255"),
            std::string_view::npos)
      << refused.error().ToString();
  // The same message written by a peer that does not check: the decoder refuses it.
  Value map = SampleMap();
  map["payload"] = too_deep.payload;
  Status s = DecodeError(map);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("nesting deeper than 256"), std::string_view::npos) << s.ToString();
}

TEST(Envelope, HugeNestingInTheBytesIsRefusedWithoutRecursion) {
  std::string bytes = "\x01";
  bytes += std::string(1000000, '\x81');  // a million nested one-element arrays
  bytes += '\x00';
  Result<Envelope> e = DecodeEnvelope(bytes);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code(), StatusCode::kCorruption);
}

TEST(Envelope, EncoderRefusesWhatNoDecoderAccepts) {
  Envelope e;
  e.sender = std::string(format::kMaxSenderBytes + 1, 's');
  EXPECT_FALSE(EncodeEnvelope(e).has_value());
  e.sender = "\xff";
  EXPECT_FALSE(EncodeEnvelope(e).has_value());
  e.sender = "";
  e.deadline_unix_ms = -1;
  EXPECT_FALSE(EncodeEnvelope(e).has_value());
  e.deadline_unix_ms = 0;
  e.payload = Value::array();
  Result<std::string> r = EncodeEnvelope(e);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("field 'payload'"), std::string_view::npos);
}

TEST(Envelope, ForReplyKeepsTheIdAndDeadlineOfARefusedMessage) {
  Value map = SampleMap();
  map["type"] = "gossip";
  DecodeOutcome out = DecodeEnvelopeForReply(block::EncodeValue(map));
  EXPECT_FALSE(out.envelope.has_value());
  EXPECT_EQ(out.request_id, 0x0102030405060708ULL);
  EXPECT_EQ(out.deadline_unix_ms, 1764612000000);

  map["id"] = "not a number";
  out = DecodeEnvelopeForReply(block::EncodeValue(map));
  EXPECT_EQ(out.request_id, 0u);

  out = DecodeEnvelopeForReply(FromHex("01 a1 62 69 64"));  // truncated
  EXPECT_FALSE(out.envelope.has_value());
  EXPECT_EQ(out.request_id, 0u);

  out = DecodeEnvelopeForReply(Encode(SampleEnvelope()));
  ASSERT_TRUE(out.envelope.has_value());
  EXPECT_EQ(out.request_id, 0x0102030405060708ULL);
}

}  // namespace
}  // namespace optimystic::cluster::wire
