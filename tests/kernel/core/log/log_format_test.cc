// SPDX-License-Identifier: Apache-2.0
// Unit tests for the log entry codec (SPEC.md §4.1, kernel/src/core/log/log_format.h).
#include <optimystic/block/codec.h>
#include <optimystic/log/log.h>

#include "core/log/log_format.h"

#include <gtest/gtest.h>

#include <string>

namespace optimystic::log {
namespace {

using block::Value;

LogEntry ActionAt(uint64_t rev, std::string action_id) {
  LogEntry entry;
  entry.timestamp_ms = 1700000000000 + static_cast<int64_t>(rev);
  entry.rev = rev;
  entry.action = ActionEntry{std::move(action_id),
                             {Value{{"type", "replace"}, {"data", Value::array({1, "a"})}}},
                             {"block-1", "block-2"},
                             {},
                             std::nullopt};
  return entry;
}

// Round trip through the Value form and the canonical byte encoding, as a stored block does.
LogEntry RoundTrip(const LogEntry& entry) {
  Value value = LogEntryToValue(entry);
  Result<Value> decoded = block::DecodeValue(block::EncodeValue(value));
  EXPECT_TRUE(decoded) << decoded.error().ToString();
  Result<LogEntry> back = LogEntryFromValue(*decoded);
  EXPECT_TRUE(back) << back.error().ToString();
  return back ? *back : LogEntry{};
}

TEST(LogFormat, ActionEntryRoundTrips) {
  LogEntry entry = ActionAt(3, "a3");
  EXPECT_EQ(RoundTrip(entry), entry);
  entry.action->collection_ids = {"users", "orders"};
  entry.action->reads = std::vector<ReadDependency>{{"block-7", 2}, {"block-9", 0}};
  EXPECT_EQ(RoundTrip(entry), entry);
}

TEST(LogFormat, AbsentAndEmptyReadsStayDistinct) {
  LogEntry unknown = ActionAt(1, "a1");
  EXPECT_EQ(LogEntryToValue(unknown)["action"].count("reads"), 0u);
  EXPECT_FALSE(RoundTrip(unknown).action->reads.has_value());
  LogEntry none = unknown;
  none.action->reads = std::vector<ReadDependency>{};
  EXPECT_EQ(LogEntryToValue(none)["action"]["reads"], Value::array());
  ASSERT_TRUE(RoundTrip(none).action->reads.has_value());
  EXPECT_TRUE(RoundTrip(none).action->reads->empty());
}

TEST(LogFormat, UsesTheReferenceMemberNames) {
  LogEntry entry = ActionAt(2, "a2");
  entry.action->reads = std::vector<ReadDependency>{{"block-7", 1}};
  const Value value = LogEntryToValue(entry);
  EXPECT_EQ(value["rev"], 2);
  EXPECT_EQ(value["timestamp"], 1700000000002);
  EXPECT_EQ(value["action"]["actionId"], "a2");
  EXPECT_EQ(value["action"]["blockIds"], Value::array({"block-1", "block-2"}));
  EXPECT_EQ(value["action"]["reads"][0], (Value{{"blockId", "block-7"}, {"revision", 1}}));
  EXPECT_EQ(value["action"].count("collectionIds"), 0u);  // empty: left out

  LogEntry checkpoint;
  checkpoint.rev = 4;
  checkpoint.checkpoint = CheckpointEntry{{{"a1", 1}, {"a2", 2}}};
  const Value cp = LogEntryToValue(checkpoint);
  EXPECT_EQ(cp["checkpoint"]["pendings"][1], (Value{{"actionId", "a2"}, {"rev", 2}}));
  EXPECT_EQ(cp.count("action"), 0u);
  EXPECT_EQ(RoundTrip(checkpoint), checkpoint);
}

TEST(LogFormat, MalformedEntriesAreCorruption) {
  const Value good = LogEntryToValue(ActionAt(1, "a1"));
  auto expect_corrupt = [](const Value& v, std::string_view mentions) {
    Result<LogEntry> got = LogEntryFromValue(v);
    ASSERT_FALSE(got) << v.dump();
    EXPECT_EQ(got.error().code(), StatusCode::kCorruption) << got.error().ToString();
    EXPECT_NE(got.error().message().find(mentions), std::string_view::npos)
        << got.error().ToString();
  };
  expect_corrupt(Value("not an entry"), "object");
  Value v = good;
  v["rev"] = "1";
  expect_corrupt(v, "rev");
  v = good;
  v["rev"] = -1;
  expect_corrupt(v, "rev");
  v = good;
  v.erase("timestamp");
  expect_corrupt(v, "timestamp");
  v = good;
  v["checkpoint"] = Value{{"pendings", Value::array()}};
  expect_corrupt(v, "exactly one");
  v = good;
  v.erase("action");
  expect_corrupt(v, "exactly one");
  v = good;
  v.erase("action");
  v["invalidation"] = Value{{"invalidatedActionId", "a0"}};  // not supported (log_format.h)
  expect_corrupt(v, "exactly one");
  v = good;
  v["action"]["blockIds"] = Value::array({"ok", 3});
  expect_corrupt(v, "blockIds[1]");
  v = good;
  v["action"].erase("actionId");
  expect_corrupt(v, "action: actionId");
  v = good;
  v["action"]["reads"] = Value::array({Value{{"blockId", "b"}, {"revision", "x"}}});
  expect_corrupt(v, "reads[0]: revision");
  v = good;
  v.erase("action");
  v["checkpoint"] = Value{{"pendings", Value::array({Value{{"actionId", ""}, {"rev", 1}}})}};
  expect_corrupt(v, "pendings[0]: actionId");
}

}  // namespace
}  // namespace optimystic::log
