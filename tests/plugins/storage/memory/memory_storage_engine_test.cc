// SPDX-License-Identifier: Apache-2.0
#include <optimystic/config/settings.h>
#include <optimystic/storage/storage_engine.h>

#include "storage/memory/memory_storage_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace optimystic::plugins::storage_memory {
namespace {

using storage::ScanDirection;
using storage::ScanRange;
using storage::WriteBatch;
using storage::WriteOptions;
using ::testing::StartsWith;
using Entries = std::vector<std::pair<std::string, std::string>>;
using namespace std::string_literals;

// Collects entries; stops after `stop_after` of them when non-zero; may run a callback per entry.
class CollectingSink final : public storage::ScanSink {
 public:
  explicit CollectingSink(size_t stop_after = 0) : stop_after_(stop_after) {}
  bool OnEntry(std::string_view key, std::string_view value) noexcept override {
    entries.emplace_back(key, value);
    if (on_entry) on_entry(key);
    return stop_after_ == 0 || entries.size() < stop_after_;
  }
  Entries entries;
  std::function<void(std::string_view)> on_entry;

 private:
  size_t stop_after_;
};

std::vector<std::string> Keys(const Entries& entries) {
  std::vector<std::string> keys;
  for (const auto& entry : entries) keys.push_back(entry.first);
  return keys;
}

Entries ScanAll(MemoryStorageEngine& engine, const ScanRange& range) {
  CollectingSink sink;
  Status status = engine.Scan(range, sink);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return sink.entries;
}

ScanRange Range(std::string start, std::string end,
                ScanDirection direction = ScanDirection::kForward, uint64_t limit = 0) {
  ScanRange range;
  range.start = std::move(start);
  range.end = std::move(end);
  range.direction = direction;
  range.limit = limit;
  return range;
}

void PutAll(MemoryStorageEngine& engine, const std::vector<std::string>& keys) {
  WriteBatch batch;
  for (const std::string& key : keys) batch.Put(key, "v:" + key);
  ASSERT_TRUE(engine.Write(batch, WriteOptions{}).ok());
}

TEST(MemoryStorageEngine, GetReturnsWhatWasWrittenAndNotFoundOtherwise) {
  MemoryStorageEngine engine;
  WriteBatch batch;
  batch.Put("k", "v1");
  batch.Put("k", "v2");
  batch.Put(std::string("\0z", 2), std::string("\0\xff", 2));
  ASSERT_TRUE(engine.Write(batch, WriteOptions{.sync = true}).ok());
  EXPECT_EQ(*engine.Get("k"), "v2");
  EXPECT_EQ(*engine.Get(std::string("\0z", 2)), std::string("\0\xff", 2));
  auto missing = engine.Get("m\x01");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().ToString(), "NotFound: memory engine: key 'm\\x01' not found");
}

TEST(MemoryStorageEngine, OrdersKeysAsUnsignedBytesShorterFirst) {
  MemoryStorageEngine engine;
  PutAll(engine, {"\x80", "\xff", "a", "ab", "", "\x7f", "\0"s, "a\x80", "b"});
  EXPECT_EQ(Keys(ScanAll(engine, ScanRange{})),
            (std::vector<std::string>{"", "\0"s, "a", "ab", "a\x80", "b", "\x7f", "\x80", "\xff"}));
}

TEST(MemoryStorageEngine, ScansHalfOpenRangesBothWays) {
  MemoryStorageEngine engine;
  PutAll(engine, {"a", "b", "c", "d", "e"});
  EXPECT_EQ(Keys(ScanAll(engine, Range("b", "d"))), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(Keys(ScanAll(engine, Range("b", "d", ScanDirection::kBackward))),
            (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(Keys(ScanAll(engine, Range("", "c", ScanDirection::kBackward))),
            (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(Keys(ScanAll(engine, Range("c", "", ScanDirection::kBackward))),
            (std::vector<std::string>{"e", "d", "c"}));
  EXPECT_EQ(Keys(ScanAll(engine, Range("bb", "dd"))), (std::vector<std::string>{"c", "d"}));
  EXPECT_TRUE(ScanAll(engine, Range("c", "c")).empty());
  EXPECT_TRUE(ScanAll(engine, Range("d", "b")).empty());
  EXPECT_TRUE(ScanAll(engine, Range("d", "b", ScanDirection::kBackward)).empty());
  EXPECT_TRUE(ScanAll(engine, Range("f", "")).empty());
  EXPECT_EQ(ScanAll(engine, Range("e", ""))[0], (std::pair<std::string, std::string>{"e", "v:e"}));
}

TEST(MemoryStorageEngine, ScansPrefixesIncludingHighBytes) {
  MemoryStorageEngine engine;
  PutAll(engine, {"ab", "ab\0"s, "ab\xff", "ab\xff\xff", "ac", "aa\xff", "\xff", "\xff\xff\x01"});
  EXPECT_EQ(Keys(ScanAll(engine, ScanRange::Prefix("ab"))),
            (std::vector<std::string>{"ab", "ab\0"s, "ab\xff", "ab\xff\xff"}));
  EXPECT_EQ(Keys(ScanAll(engine, ScanRange::Prefix("ab", ScanDirection::kBackward))),
            (std::vector<std::string>{"ab\xff\xff", "ab\xff", "ab\0"s, "ab"}));
  EXPECT_EQ(Keys(ScanAll(engine, ScanRange::Prefix("\xff"))),
            (std::vector<std::string>{"\xff", "\xff\xff\x01"}));
  EXPECT_EQ(Keys(ScanAll(engine, ScanRange::Prefix("ab\xff"))),
            (std::vector<std::string>{"ab\xff", "ab\xff\xff"}));
  EXPECT_EQ(ScanAll(engine, ScanRange::Prefix("")).size(), 8u);
}

TEST(MemoryStorageEngine, LimitsAndEarlyStops) {
  MemoryStorageEngine engine;
  PutAll(engine, {"a", "b", "c", "d"});
  EXPECT_EQ(Keys(ScanAll(engine, Range("", "", ScanDirection::kForward, 2))),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Keys(ScanAll(engine, Range("", "", ScanDirection::kBackward, 3))),
            (std::vector<std::string>{"d", "c", "b"}));
  EXPECT_EQ(ScanAll(engine, Range("", "", ScanDirection::kForward, 10)).size(), 4u);
  CollectingSink sink(/*stop_after=*/1);
  ASSERT_TRUE(engine.Scan(ScanRange{}, sink).ok());
  EXPECT_EQ(Keys(sink.entries), (std::vector<std::string>{"a"}));
}

TEST(MemoryStorageEngine, DeletesAndAppliesABatchInOrder) {
  MemoryStorageEngine engine;
  PutAll(engine, {"a", "b"});
  WriteBatch batch;
  batch.Delete("a");
  batch.Put("a", "again");
  batch.Put("c", "c");
  batch.Delete("c");
  batch.Delete("b");
  batch.Delete("never-there");
  ASSERT_TRUE(engine.Write(batch, WriteOptions{}).ok());
  EXPECT_EQ(ScanAll(engine, ScanRange{}), (Entries{{"a", "again"}}));
  EXPECT_EQ(engine.Stats().live_bytes, 6u);
}

TEST(MemoryStorageEngine, TheSinkMayCallBackIntoTheEngine) {
  MemoryStorageEngine engine;
  PutAll(engine, {"a", "b"});
  CollectingSink sink;
  sink.on_entry = [&](std::string_view key) {
    WriteBatch batch;
    batch.Put("copy-" + std::string(key), "x");
    EXPECT_TRUE(engine.Write(batch, WriteOptions{}).ok());
    EXPECT_TRUE(engine.Get(key).has_value());
  };
  ASSERT_TRUE(engine.Scan(Range("a", "c"), sink).ok());
  EXPECT_EQ(Keys(sink.entries), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(engine.Stats().keys, 4u);
}

TEST(MemoryStorageEngine, ReadersNeverSeeHalfABatch) {
  MemoryStorageEngine engine;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      WriteBatch batch;
      batch.Put("x", std::to_string(i));
      batch.Put("y", std::to_string(i));
      batch.Delete("z");
      if (i % 2 == 0) batch.Put("z", "even");
      ASSERT_TRUE(engine.Write(batch, WriteOptions{}).ok());
    }
    stop = true;
  });
  int scans = 0;
  std::string failure;
  while (failure.empty() && (!stop || scans == 0)) {
    Entries entries = ScanAll(engine, ScanRange{});
    if (entries.empty()) continue;
    ++scans;
    if (entries.size() < 2 || entries[0].second != entries[1].second) {
      failure = "x and y come from different batches";
    } else if (entries.size() != (std::stoi(entries[0].second) % 2 == 0 ? 3u : 2u)) {
      failure = "z does not match x and y";
    }
  }
  writer.join();
  EXPECT_EQ(failure, "");
  EXPECT_GT(scans, 0);
}

TEST(MemoryStorageEngine, MaxBytesRefusesAWholeBatchThatWouldNotFit) {
  MemoryStorageEngine engine(MemoryStorageOptions{.max_bytes = 10});
  WriteBatch fits;
  fits.Put("ab", "cdef");  // 6 bytes
  ASSERT_TRUE(engine.Write(fits, WriteOptions{}).ok());

  WriteBatch too_big;
  too_big.Put("x", "y");     // 8 bytes so far: fine alone
  too_big.Put("gh", "ijk");  // 13 bytes: over
  Status status = engine.Write(too_big, WriteOptions{});
  EXPECT_EQ(status.ToString(),
            "IOError: memory engine full: the batch would take the live bytes to 13, max_bytes "
            "is 10");
  EXPECT_EQ(ScanAll(engine, ScanRange{}), (Entries{{"ab", "cdef"}})) << "nothing applied";
  EXPECT_EQ(engine.Stats().errors_total, 1u);

  WriteBatch replace;  // replaces the 6 bytes of "ab" and fills up to exactly 10
  replace.Delete("ab");
  replace.Put("ab", "c");
  replace.Put("x", "yyyy");
  replace.Put("x", "yy");
  ASSERT_TRUE(engine.Write(replace, WriteOptions{}).ok());
  EXPECT_EQ(engine.Stats().live_bytes, 6u);
  WriteBatch exact;
  exact.Put("zz", "zz");
  EXPECT_TRUE(engine.Write(exact, WriteOptions{}).ok());
  EXPECT_EQ(engine.Stats().live_bytes, 10u);
}

TEST(MemoryStorageEngine, StatsCountOperationsAndBytes) {
  MemoryStorageEngine engine;
  PutAll(engine, {"a", "bb"});  // values "v:a", "v:bb": live 1+3 + 2+4
  ASSERT_TRUE(engine.Get("a").has_value());
  ASSERT_FALSE(engine.Get("zz").has_value());
  ScanAll(engine, ScanRange{});
  storage::StorageStats stats = engine.Stats();
  EXPECT_EQ(stats.keys, 2u);
  EXPECT_EQ(stats.live_bytes, 10u);
  EXPECT_EQ(stats.disk_bytes, 0u);
  EXPECT_EQ(stats.reads_total, 2u);
  EXPECT_EQ(stats.scans_total, 1u);
  EXPECT_EQ(stats.writes_total, 1u);
  EXPECT_EQ(stats.bytes_written_total, 10u);
  EXPECT_EQ(stats.bytes_read_total, 3u + 10u);
  EXPECT_EQ(stats.errors_total, 0u);
}

TEST(MemoryStorageEngine, CloseMakesEveryLaterCallUnavailable) {
  MemoryStorageEngine engine;
  PutAll(engine, {"a"});
  ASSERT_TRUE(engine.Flush().ok());
  ASSERT_TRUE(engine.Close().ok());
  ASSERT_TRUE(engine.Close().ok()) << "Close is idempotent";
  EXPECT_EQ(engine.Get("a").error().ToString(), "Unavailable: memory engine is closed");
  CollectingSink sink;
  EXPECT_EQ(engine.Scan(ScanRange{}, sink).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(sink.entries.empty());
  WriteBatch batch;
  batch.Put("b", "b");
  EXPECT_EQ(engine.Write(batch, WriteOptions{}).code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine.Flush().code(), StatusCode::kUnavailable);
  EXPECT_EQ(engine.Stats().keys, 0u);
}

config::SettingsNode Scalar(std::string text) {
  config::SettingsNode node;
  node.kind = config::SettingsNode::Kind::kScalar;
  node.scalar = std::move(text);
  node.line = 4;
  node.column = 16;
  return node;
}

TEST(MemoryStorageOptions, AcceptsOnlyMaxBytes) {
  config::Settings absent(nullptr, "storage.settings", "node.yaml");
  ASSERT_TRUE(MemoryStorageOptions::FromSettings(absent).has_value());
  EXPECT_EQ(MemoryStorageOptions::FromSettings(absent)->max_bytes, 0u);

  config::SettingsNode map;
  map.kind = config::SettingsNode::Kind::kMap;
  map.line = 3;
  map.column = 3;
  map.children.emplace_back("max_bytes", Scalar("4096"));
  config::Settings settings(&map, "storage.settings", "node.yaml");
  ASSERT_TRUE(MemoryStorageOptions::FromSettings(settings).has_value());
  EXPECT_EQ(MemoryStorageOptions::FromSettings(settings)->max_bytes, 4096u);

  map.children[0].second.scalar = "lots";
  auto bad = MemoryStorageOptions::FromSettings(settings);
  ASSERT_FALSE(bad.has_value());
  EXPECT_THAT(std::string(bad.error().message()),
              StartsWith("node.yaml:4:16: storage.settings.max_bytes"));

  map.children[0].second.scalar = "1";
  map.children.emplace_back("path", Scalar("/tmp"));
  auto unknown = MemoryStorageOptions::FromSettings(settings);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().ToString(),
            "InvalidArgument: node.yaml:4:16: storage.settings.path: unknown key 'path' "
            "(allowed: max_bytes)");
}

}  // namespace
}  // namespace optimystic::plugins::storage_memory
