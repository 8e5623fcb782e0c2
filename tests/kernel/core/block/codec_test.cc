// SPDX-License-Identifier: Apache-2.0
#include <optimystic/base/base32.h>
#include <optimystic/base/seeded_random.h>
#include <optimystic/block/codec.h>

#include "kernel/core/block/block_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace optimystic::block {
namespace {

using base::SeededRandom;
using test::TestBlock;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) {
    out.push_back(static_cast<char>(b));
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  std::string out;
  char buf[3];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof(buf), "%02x", c);
    out += buf;
  }
  return out;
}

// ---- A seeded generator of nested values --------------------------------------------------

std::string RandomText(SeededRandom& r) {
  static const char* const kPieces[] = {
      "a",    "b", "z", "0", " ", "header", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
      "\x7f", ""};
  std::string out;
  const uint64_t n = r.Uniform(6);
  for (uint64_t i = 0; i < n; ++i) {
    out += kPieces[r.Uniform(std::size(kPieces))];
  }
  return out;
}

double RandomDouble(SeededRandom& r) {
  switch (r.Uniform(4)) {
    case 0:
      return static_cast<double>(static_cast<int64_t>(r.Uniform(2000)) - 1000);  // integral
    case 1:
      return (static_cast<double>(r.Uniform(1000)) - 500.0) / 8.0;  // exact in a float
    case 2:
      return (static_cast<double>(r.Uniform(1000)) - 500.0) / 10.0;  // needs a double
    default: {
      double d;
      do {
        uint64_t bits = r.Next();
        std::memcpy(&d, &bits, sizeof(d));
      } while (!std::isfinite(d));
      return d;
    }
  }
}

Value RandomValue(SeededRandom& r, int depth) {
  switch (r.Uniform(depth >= 4 ? 6 : 8)) {
    case 0:
      return nullptr;
    case 1:
      return r.Uniform(2) == 1;
    case 2: {
      const int shift = static_cast<int>(r.Uniform(64));
      return static_cast<int64_t>(r.Next()) >> shift;
    }
    case 3:
      return r.Next() | (uint64_t{1} << 63);  // beyond int64
    case 4:
      return RandomDouble(r);
    case 5:
      return RandomText(r);
    case 6: {
      Value out = Value::array();
      const uint64_t n = r.Uniform(5);
      for (uint64_t i = 0; i < n; ++i) {
        out.push_back(RandomValue(r, depth + 1));
      }
      return out;
    }
    default: {
      Value out = Value::object();
      const uint64_t n = r.Uniform(5);
      for (uint64_t i = 0; i < n; ++i) {
        out[RandomText(r)] = RandomValue(r, depth + 1);
      }
      return out;
    }
  }
}

// ---- Layout ---------------------------------------------------------------------------------

TEST(Codec, WritesTheDocumentedBytes) {
  EXPECT_EQ(Hex(EncodeValue(Value{{"a", 1}})), "01a1616101");
  EXPECT_EQ(Hex(EncodeValue(1.0)), "0101");
  EXPECT_EQ(Hex(EncodeValue(-1)), "0120");
  EXPECT_EQ(Hex(EncodeValue(1.5)), "01fa3fc00000");
  EXPECT_EQ(Hex(EncodeValue(0.1)), "01fb3fb999999999999a");
  EXPECT_EQ(Hex(EncodeValue(nullptr)), "01f6");
  EXPECT_EQ(Hex(EncodeValue(Value::array({true, false}))), "0182f5f4");
  EXPECT_EQ(Hex(EncodeOperation(BlockOperation::Clear("nextId"))), "0183666e65787449640000");
  EXPECT_EQ(Hex(EncodeOperation(BlockOperation::Assign("v", nullptr))), "018461760000f6");
  EXPECT_EQ(Hex(EncodeTransform(Transform{})), "01a0");
  EXPECT_EQ(Hex(EncodeTransforms(Transforms{})),
            "01a3"
            "6764656c6574657380"    // "deletes": []
            "67696e7365727473a0"    // "inserts": {}
            "6775706461746573a0");  // "updates": {}
}

TEST(Codec, IntegralFloatsAreIntegers) {
  EXPECT_EQ(EncodeValue(1.0), EncodeValue(1));
  EXPECT_EQ(EncodeValue(-0.0), EncodeValue(0));
  EXPECT_EQ(EncodeValue(Value{{"x", {2.0, -3.0}}}), EncodeValue(Value{{"x", {2, -3}}}));
  EXPECT_EQ(EncodeValue(9007199254740992.0), EncodeValue(int64_t{9007199254740992}));
  // Beyond 2^53 a double stays a double.
  EXPECT_NE(EncodeValue(18014398509481984.0), EncodeValue(int64_t{18014398509481984}));
  EXPECT_EQ(EncodeValue(uint64_t{5}), EncodeValue(int64_t{5}));
}

TEST(Codec, NonFiniteNumbersAndBinaryBecomeNull) {
  const std::string null = EncodeValue(nullptr);
  EXPECT_EQ(EncodeValue(std::numeric_limits<double>::quiet_NaN()), null);
  EXPECT_EQ(EncodeValue(std::numeric_limits<double>::infinity()), null);
  EXPECT_EQ(EncodeValue(-std::numeric_limits<double>::infinity()), null);
  EXPECT_EQ(EncodeValue(Value::binary({1, 2, 3})), null);
  Value nested = {{"x", std::nan("")}};
  EXPECT_EQ(EncodeValue(nested), EncodeValue(Value{{"x", nullptr}}));
  EXPECT_TRUE(std::isnan(nested["x"].get<double>()));  // the input is not changed
}

TEST(Codec, SameValueBuiltInAnyOrderEncodesTheSame) {
  Value a = Value::object();
  a["zeta"] = 1;
  a["alpha"] = {{"y", 2}, {"b", 3}};
  a["mid"] = Value::array({1.0, "s"});
  Value b = Value::object();
  b["mid"] = Value::array({1, "s"});
  b["alpha"] = Value::object();
  b["alpha"]["b"] = 3.0;
  b["alpha"]["y"] = 2;
  b["zeta"] = 1.0;
  EXPECT_EQ(EncodeValue(a), EncodeValue(b));
  EXPECT_EQ(ContentHash(a), ContentHash(b));
}

// ---- Round trips ----------------------------------------------------------------------------

TEST(Codec, RandomValuesRoundTrip) {
  SeededRandom r(20240601);
  for (int i = 0; i < 10000; ++i) {
    const Value v = RandomValue(r, 0);
    const std::string bytes = EncodeValue(v);
    Result<Value> back = DecodeValue(bytes);
    ASSERT_TRUE(back.has_value()) << "case " << i << ": " << back.status().ToString() << "\n"
                                  << Hex(bytes);
    ASSERT_EQ(*back, v) << "case " << i;
    ASSERT_EQ(EncodeValue(*back), bytes) << "case " << i;
  }
}

TEST(Codec, OperationsRoundTrip) {
  const std::vector<BlockOperation> ops = {
      BlockOperation::Splice("entries", 3, 1, {1, {{"k", "v"}}}),
      BlockOperation::Splice("entries", UINT64_MAX, UINT64_MAX, Value::array()),
      BlockOperation::Assign("nextId", "n"),
      BlockOperation::Assign("v", nullptr),
      BlockOperation::Assign("o", {{"a", 1}}),
      BlockOperation::Clear("priorId"),
      BlockOperation{"", 7, 9, std::nullopt}};
  for (const BlockOperation& op : ops) {
    Result<BlockOperation> back = DecodeOperation(EncodeOperation(op));
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, op);
    EXPECT_EQ(*OperationFromValue(OperationToValue(op)), op);
  }
}

Transforms SampleTransforms() {
  Transforms t;
  t.inserts["n1"] = TestBlock("n1", {{"entries", {1, 2}}});
  t.inserts["n2"] = TestBlock("n2");
  t.updates["u"] = {BlockOperation::Assign("v", 1), BlockOperation::Splice("e", 0, 1, {3})};
  t.updates["empty"] = {};
  t.deletes = {"z", "d"};
  return t;
}

TEST(Codec, TransformsRoundTrip) {
  const Transforms t = SampleTransforms();
  Result<Transforms> back = DecodeTransforms(EncodeTransforms(t));
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(*back, t);
  EXPECT_EQ(*DecodeTransforms(EncodeTransforms(Transforms{})), Transforms{});
  EXPECT_EQ(*TransformsFromValue(TransformsToValue(t)), t);
  // Missing members of the Value form mean empty.
  EXPECT_EQ(*TransformsFromValue(Value::object()), Transforms{});
}

TEST(Codec, TransformRoundTrip) {
  Transform full;
  full.insert = TestBlock("x", {{"v", 1}});
  full.updates = {BlockOperation::Clear("v")};
  full.remove = true;
  Transform updates_only;
  updates_only.updates = {BlockOperation::Assign("v", 2)};
  Transform remove_only;
  remove_only.remove = true;
  for (const Transform& t : {full, updates_only, remove_only, Transform{}}) {
    Result<Transform> back = DecodeTransform(EncodeTransform(t));
    ASSERT_TRUE(back.has_value()) << back.status().ToString();
    EXPECT_EQ(*back, t);
  }
}

TEST(Codec, BlocksRoundTripAndMustHaveHeaders) {
  const Value block = TestBlock("b", {{"entries", {1, "x", 2.5}}});
  Result<Value> back = DecodeBlock(EncodeBlock(block));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, block);
  Result<Value> not_block = DecodeBlock(EncodeValue(Value{{"v", 1}}));
  ASSERT_FALSE(not_block.has_value());
  EXPECT_EQ(not_block.error().code(), StatusCode::kCorruption);
  EXPECT_EQ(not_block.error().message().rfind("decode block", 0), 0u)
      << not_block.error().ToString();
}

// ---- Rejections -----------------------------------------------------------------------------

void ExpectCorrupt(std::string_view bytes, std::string_view reason) {
  Result<Value> r = DecodeValue(bytes);
  ASSERT_FALSE(r.has_value()) << Hex(bytes) << " decoded to " << r->dump();
  EXPECT_EQ(r.error().code(), StatusCode::kCorruption) << r.error().ToString();
  EXPECT_EQ(r.error().message().rfind("decode value: ", 0), 0u) << r.error().ToString();
  EXPECT_NE(r.error().message().find(reason), std::string_view::npos)
      << Hex(bytes) << ": " << r.error().ToString();
}

TEST(Codec, RejectsBadEnvelopes) {
  ExpectCorrupt("", "empty input");
  ExpectCorrupt(Bytes({0x02, 0xf6}), "unsupported version 2");
  ExpectCorrupt(Bytes({0x00}), "unsupported version 0");
  ExpectCorrupt(Bytes({0x01}), "truncated");
  ExpectCorrupt(Bytes({0x01, 0xf6, 0x00}), "trailing bytes at offset 2");
  ExpectCorrupt(Bytes({0x01, 0x82, 0x01}), "array length exceeds the input at offset 1");
  ExpectCorrupt(Bytes({0x01, 0x82, 0x81, 0x01}), "truncated item at offset 4");
  ExpectCorrupt(Bytes({0x01, 0x19, 0x01}), "truncated head");
}

TEST(Codec, RejectsItemsOutsideTheCanonicalKinds) {
  ExpectCorrupt(Bytes({0x01, 0x41, 0x00}), "byte strings are not allowed");
  ExpectCorrupt(Bytes({0x01, 0xc1, 0x01}), "tags are not allowed");
  ExpectCorrupt(Bytes({0x01, 0xf7}), "unsupported simple value");
  ExpectCorrupt(Bytes({0x01, 0xf8, 0x20}), "unsupported simple value");
  ExpectCorrupt(Bytes({0x01, 0x9f, 0xff}), "indefinite length");
  ExpectCorrupt(Bytes({0x01, 0x7f, 0xff}), "indefinite length");
  ExpectCorrupt(Bytes({0x01, 0x1c}), "reserved additional information");
  ExpectCorrupt(Bytes({0x01, 0x62, 0xc3, 0x28}), "not valid UTF-8");
  ExpectCorrupt(Bytes({0x01, 0x63, 0xed, 0xa0, 0x80}), "not valid UTF-8");  // a surrogate
  ExpectCorrupt(Bytes({0x01, 0x62, 0xc0, 0x80}), "not valid UTF-8");        // overlong
  ExpectCorrupt(Bytes({0x01, 0xa1, 0x01, 0x01}), "map key is not a text string");
  ExpectCorrupt(Bytes({0x01, 0x3b, 0x80, 0, 0, 0, 0, 0, 0, 0}), "below INT64_MIN");
}

TEST(Codec, RejectsNonCanonicalEncodings) {
  ExpectCorrupt(Bytes({0x01, 0x18, 0x05}), "not in canonical form");  // non-minimal integer
  ExpectCorrupt(Bytes({0x01, 0xfb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}), "not in canonical form");
  ExpectCorrupt(Bytes({0x01, 0xfa, 0x3f, 0x80, 0, 0}), "not in canonical form");  // 1.0
  ExpectCorrupt(Bytes({0x01, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}), "not in canonical form");
  ExpectCorrupt(Bytes({0x01, 0xf9, 0x7e, 0x00}), "not in canonical form");  // half NaN
  ExpectCorrupt(Bytes({0x01, 0xa2, 0x61, 'b', 0x01, 0x61, 'a', 0x01}), "not in canonical form");
  ExpectCorrupt(Bytes({0x01, 0xa2, 0x61, 'a', 0x01, 0x61, 'a', 0x02}), "not in canonical form");
}

TEST(Codec, RejectsDeepNestingWithoutRecursing) {
  for (const std::string& opener : {std::string("\x81"), std::string("\xa1\x61\x61")}) {
    std::string deep = "\x01";
    for (int i = 0; i < 100000; ++i) {
      deep += opener;
    }
    deep += "\xf6";
    ExpectCorrupt(deep, "nesting deeper than 256");
    ExpectCorrupt(deep.substr(0, deep.size() - 1), "nesting deeper than 256");
  }
  std::string indefinite(100001, '\x9f');
  indefinite[0] = '\x01';
  ExpectCorrupt(indefinite, "indefinite length");
}

TEST(Codec, AcceptsExactlyTheDepthLimit) {
  Value v = nullptr;
  for (int i = 0; i < 256; ++i) {
    v = Value::array({v});
  }
  EXPECT_TRUE(DecodeValue(EncodeValue(v)).has_value());
  ExpectCorrupt(EncodeValue(Value::array({v})), "nesting deeper than 256");
}

TEST(Codec, RejectsHugeDeclaredLengths) {
  const int ff = 0xff;
  ExpectCorrupt(Bytes({0x01, 0x9b, ff, ff, ff, ff, ff, ff, ff, ff}), "array length exceeds");
  ExpectCorrupt(Bytes({0x01, 0xbb, ff, ff, ff, ff, ff, ff, ff, ff}), "map length exceeds");
  ExpectCorrupt(Bytes({0x01, 0x7b, ff, ff, ff, ff, ff, ff, ff, ff}), "string length exceeds");
  ExpectCorrupt(Bytes({0x01, 0x9a, ff, ff, ff, ff, 0x01}), "array length exceeds");
  ExpectCorrupt(Bytes({0x01, 0xa2, 0x61, 'a', 0x01}), "map length exceeds");
  ExpectCorrupt(Bytes({0x01, 0x81, 0x9b, 0x7f, ff, ff, ff, ff, ff, ff, ff}),
                "array length exceeds");
}

TEST(Codec, StructureErrorsAreCorruptionNamingWhat) {
  Result<BlockOperation> op = DecodeOperation(EncodeValue("x"));
  ASSERT_FALSE(op.has_value());
  EXPECT_EQ(op.error().code(), StatusCode::kCorruption);
  EXPECT_EQ(op.error().message().rfind("decode operation", 0), 0u) << op.error().ToString();

  Result<BlockOperation> neg = DecodeOperation(EncodeValue(Value::array({"e", -1, 0})));
  ASSERT_FALSE(neg.has_value());
  EXPECT_NE(neg.error().message().find("index"), std::string_view::npos);

  Result<Transform> t = DecodeTransform(EncodeValue(Value{{"remove", true}}));
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().message().find("unexpected member"), std::string_view::npos);

  // `delete: false` and `updates: []` are valid Value forms but not canonical bytes.
  EXPECT_TRUE(TransformFromValue(Value{{"delete", false}}).has_value());
  Result<Transform> not_canonical = DecodeTransform(EncodeValue(Value{{"delete", false}}));
  ASSERT_FALSE(not_canonical.has_value());
  EXPECT_NE(not_canonical.error().message().find("not in canonical form"), std::string_view::npos);
  EXPECT_FALSE(DecodeTransform(EncodeValue(Value{{"updates", Value::array()}})).has_value());

  Value mismatched = TransformsToValue(SampleTransforms());
  mismatched["inserts"]["other"] = TestBlock("n1");
  Result<Transforms> ts = DecodeTransforms(EncodeValue(mismatched));
  ASSERT_FALSE(ts.has_value());
  EXPECT_EQ(ts.error().code(), StatusCode::kCorruption);
  EXPECT_NE(ts.error().message().find("inserts[other]"), std::string_view::npos)
      << ts.error().ToString();

  Value not_block = TransformsToValue(Transforms{});
  not_block["inserts"]["x"] = 1;
  EXPECT_FALSE(DecodeTransforms(EncodeValue(not_block)).has_value());
  EXPECT_FALSE(DecodeTransforms(EncodeTransform(Transform{})).has_value());
  EXPECT_EQ(OperationFromValue(Value::array({"e", 1.5, 0})).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Totality -------------------------------------------------------------------------------

// Decodes `bytes` with every decoder: each yields a value or Corruption, and an accepted value
// re-encodes to exactly `bytes`.
void ExpectTotal(const std::string& bytes) {
  Result<Value> v = DecodeValue(bytes);
  if (v.has_value()) {
    ASSERT_EQ(EncodeValue(*v), bytes) << Hex(bytes);
    (void)v->dump();  // valid UTF-8 throughout, so text output is safe
  } else {
    ASSERT_EQ(v.error().code(), StatusCode::kCorruption) << Hex(bytes);
  }
  Result<Transforms> ts = DecodeTransforms(bytes);
  if (ts.has_value()) {
    ASSERT_EQ(EncodeTransforms(*ts), bytes) << Hex(bytes);
  } else {
    ASSERT_EQ(ts.error().code(), StatusCode::kCorruption) << Hex(bytes);
  }
  Result<BlockOperation> op = DecodeOperation(bytes);
  if (op.has_value()) {
    ASSERT_EQ(EncodeOperation(*op), bytes) << Hex(bytes);
  } else {
    ASSERT_EQ(op.error().code(), StatusCode::kCorruption) << Hex(bytes);
  }
}

std::vector<std::string> SampleEncodings(SeededRandom& r, int count) {
  std::vector<std::string> out = {EncodeTransforms(SampleTransforms()),
                                  EncodeOperation(BlockOperation::Splice("e", 1, 2, {1, "x"})),
                                  EncodeBlock(TestBlock("b", {{"v", 0.1}}))};
  while (static_cast<int>(out.size()) < count) {
    out.push_back(EncodeValue(RandomValue(r, 0)));
  }
  return out;
}

TEST(Codec, EveryTruncationIsCorruption) {
  SeededRandom r(7);
  for (const std::string& bytes : SampleEncodings(r, 300)) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      const std::string prefix = bytes.substr(0, n);
      Result<Value> v = DecodeValue(prefix);
      ASSERT_FALSE(v.has_value()) << Hex(prefix);
      ASSERT_EQ(v.error().code(), StatusCode::kCorruption);
      ASSERT_FALSE(DecodeTransforms(prefix).has_value());
    }
  }
}

TEST(Codec, RandomBytesDecodeOrAreCorruption) {
  SeededRandom r(99);
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    std::string bytes(r.Uniform(33), '\0');
    r.Fill(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
    if (!bytes.empty() && r.Uniform(10) != 0) {
      bytes[0] = static_cast<char>(kCodecVersion);
    }
    Result<Value> v = DecodeValue(bytes);
    if (v.has_value()) {
      ++accepted;
      ASSERT_EQ(EncodeValue(*v), bytes) << Hex(bytes);
      (void)v->dump();
    } else {
      ASSERT_EQ(v.error().code(), StatusCode::kCorruption) << Hex(bytes);
    }
    if (i % 8 == 0) {
      ASSERT_NO_FATAL_FAILURE(ExpectTotal(bytes));
    }
  }
  EXPECT_GT(accepted, 0);  // short inputs like 01 05 are valid values
}

TEST(Codec, SingleByteMutationsDecodeOrAreCorruption) {
  SeededRandom r(1234);
  int accepted = 0;
  for (const std::string& bytes : SampleEncodings(r, 200)) {
    for (size_t i = 1; i < bytes.size(); ++i) {
      for (int k = 0; k < 2; ++k) {
        std::string mutated = bytes;
        mutated[i] =
            static_cast<char>(k == 0 ? r.Uniform(256) : (mutated[i] ^ (1 << r.Uniform(8))));
        Result<Value> v = DecodeValue(mutated);
        accepted += v.has_value() ? 1 : 0;
        ASSERT_NO_FATAL_FAILURE(ExpectTotal(mutated));
      }
    }
  }
  EXPECT_GT(accepted, 0);
}

// ---- Trusted decoding ---------------------------------------------------------------------

TEST(Codec, TrustedDecodingAgreesWithCanonicalOnCanonicalBytes) {
  SeededRandom r(77);
  for (const std::string& bytes : SampleEncodings(r, 2000)) {
    Result<Value> canonical = DecodeValue(bytes);
    Result<Value> trusted = DecodeValue(bytes, DecodeMode::kTrusted);
    ASSERT_TRUE(canonical.has_value() && trusted.has_value()) << Hex(bytes);
    ASSERT_EQ(*trusted, *canonical) << Hex(bytes);
  }
  const Value block = TestBlock("b", {{"entries", {1, "x", 2.5}}});
  EXPECT_EQ(*DecodeBlock(EncodeBlock(block), DecodeMode::kTrusted), block);
  Transform t;
  t.insert = TestBlock("x", {{"v", 1}});
  t.updates = {BlockOperation::Clear("v"), BlockOperation::Splice("e", 0, 1, {3})};
  EXPECT_EQ(*DecodeTransform(EncodeTransform(t), DecodeMode::kTrusted), t);
}

TEST(Codec, TrustedDecodingSkipsOnlyTheCanonicalCheck) {
  EXPECT_EQ(*DecodeValue(Bytes({0x01, 0x18, 0x05}), DecodeMode::kTrusted), Value(5));
  EXPECT_EQ(*DecodeValue(Bytes({0x01, 0xfa, 0x3f, 0x80, 0, 0}), DecodeMode::kTrusted), Value(1.0));
  EXPECT_EQ(
      *DecodeValue(Bytes({0x01, 0xa2, 0x61, 'b', 0x01, 0x61, 'a', 0x02}), DecodeMode::kTrusted),
      (Value{{"a", 2}, {"b", 1}}));
  // `delete: false` is a valid Value form of the empty transform, refused only as bytes.
  EXPECT_EQ(*DecodeTransform(EncodeValue(Value{{"delete", false}}), DecodeMode::kTrusted),
            Transform{});
  // Everything else is still checked.
  for (const std::string& bad :
       {std::string(), Bytes({0x02, 0xf6}), Bytes({0x01, 0xf6, 0x00}), Bytes({0x01, 0x82, 0x01}),
        Bytes({0x01, 0x41, 0x00}), Bytes({0x01, 0x62, 0xc3, 0x28}), Bytes({0x01, 0x9f, 0xff})}) {
    Result<Value> v = DecodeValue(bad, DecodeMode::kTrusted);
    ASSERT_FALSE(v.has_value()) << Hex(bad);
    EXPECT_EQ(v.error().code(), StatusCode::kCorruption) << Hex(bad);
  }
  Result<Value> not_block = DecodeBlock(EncodeValue(Value{{"v", 1}}), DecodeMode::kTrusted);
  ASSERT_FALSE(not_block.has_value());
  EXPECT_EQ(not_block.error().code(), StatusCode::kCorruption);
  Result<Transform> not_transform =
      DecodeTransform(EncodeValue(Value{{"remove", true}}), DecodeMode::kTrusted);
  ASSERT_FALSE(not_transform.has_value());
  EXPECT_EQ(not_transform.error().code(), StatusCode::kCorruption);
}

TEST(Codec, TrustedDecodingIsTotal) {
  SeededRandom r(4321);
  for (const std::string& bytes : SampleEncodings(r, 200)) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string mutated = bytes;
      mutated[i] = static_cast<char>(r.Uniform(256));
      for (const std::string& input : {mutated, bytes.substr(0, i)}) {
        Result<Value> v = DecodeValue(input, DecodeMode::kTrusted);
        ASSERT_TRUE(v.has_value() || v.error().code() == StatusCode::kCorruption) << Hex(input);
        Result<Transform> t = DecodeTransform(input, DecodeMode::kTrusted);
        ASSERT_TRUE(t.has_value() || t.error().code() == StatusCode::kCorruption) << Hex(input);
        Result<Value> b = DecodeBlock(input, DecodeMode::kTrusted);
        ASSERT_TRUE(b.has_value() || b.error().code() == StatusCode::kCorruption) << Hex(input);
      }
    }
  }
}

// ---- Hashes ---------------------------------------------------------------------------------

TEST(Codec, Sha256KnownAnswer) {
  const std::array<uint8_t, 32> digest = Sha256("abc");
  EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::array<uint8_t, 32> empty = Sha256("");
  EXPECT_EQ(Hex(std::string_view(reinterpret_cast<const char*>(empty.data()), empty.size())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Codec, ContentHashIsBase32OfTheEncodingsSha256) {
  const Value v = TestBlock("b", {{"entries", {1, 2, 3}}});
  const std::array<uint8_t, 32> digest = Sha256(EncodeValue(v));
  const std::string hash = ContentHash(v);
  EXPECT_EQ(hash.size(), 52u);
  EXPECT_EQ(hash, base::Base32Encode(std::string_view(reinterpret_cast<const char*>(digest.data()),
                                                      digest.size())));
  EXPECT_EQ(ContentHash(1.0), ContentHash(1));
  EXPECT_NE(ContentHash(Value{{"a", 1}}), ContentHash(Value{{"a", 2}}));
  EXPECT_NE(ContentHash("1"), ContentHash(1));
}

}  // namespace
}  // namespace optimystic::block
