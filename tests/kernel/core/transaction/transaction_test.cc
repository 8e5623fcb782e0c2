// SPDX-License-Identifier: Apache-2.0
// Transaction identity (SPEC.md §6.8): stamp and transaction ids over the canonical encoding,
// the v1 operations hash, and the version of an operations-hash token.
#include "core/transaction/transaction.h"

#include <optimystic/base/seeded_random.h>
#include <optimystic/block/operation.h>

#include "support/test_host.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace optimystic::core::transaction {
namespace {

using block::Value;
using transactor::ReadDependency;

TransactionStamp SomeStamp() {
  TransactionStamp s;
  s.peer_id = "peer-1";
  s.timestamp_ms = 1000;
  s.schema_hash = "schema";
  s.engine_id = "actions@1.0.0";
  s.expiration_ms = 31000;
  s.nonce = "nonce";
  s.id = StampId(s);
  return s;
}

bool IsBase32Hash(const std::string& text) {
  if (text.size() != 52) {
    return false;
  }
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) {
      return false;
    }
  }
  return true;
}

TEST(TransactionStamp, IdIsAContentHashOfTheFields) {
  const TransactionStamp s = SomeStamp();
  ASSERT_EQ(s.id.rfind("stamp:", 0), 0u) << s.id;
  EXPECT_TRUE(IsBase32Hash(s.id.substr(6))) << s.id;
  EXPECT_EQ(StampId(SomeStamp()), s.id);
  TransactionStamp with_other_id = s;
  with_other_id.id = "whatever";
  EXPECT_EQ(StampId(with_other_id), s.id);  // the id is not hashed into itself
}

TEST(TransactionStamp, IdChangesWithEveryField) {
  const std::string base = SomeStamp().id;
  std::vector<TransactionStamp> changed(6, SomeStamp());
  changed[0].peer_id = "peer-2";
  changed[1].timestamp_ms = 1001;
  changed[2].schema_hash = "other";
  changed[3].engine_id = "sql@1";
  changed[4].expiration_ms = 31001;
  changed[5].nonce = "nonce2";
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(StampId(changed[i]), base) << "field " << i;
  }
}

TEST(TransactionStamp, CreateUsesTheClockTtlAndAFreshNonce) {
  test::TestClock clock;
  base::SeededRandom random(7);
  StampOptions options;
  options.peer_id = "p";
  options.engine_id = "actions@1.0.0";
  const TransactionStamp a = CreateStamp(options, clock, random);
  EXPECT_EQ(a.timestamp_ms, test::TestClock::kStartUnixMs);
  EXPECT_EQ(a.expiration_ms, a.timestamp_ms + kTransactionTtlMs);
  EXPECT_EQ(a.nonce.size(), 26u);  // 16 bytes in base32
  EXPECT_EQ(a.id, StampId(a));
  const TransactionStamp b = CreateStamp(options, clock, random);
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.id, b.id);
  base::SeededRandom same_seed(7);
  EXPECT_EQ(CreateStamp(options, clock, same_seed), a);  // deterministic given clock and seed

  EXPECT_FALSE(IsExpired(a, a.expiration_ms));
  EXPECT_TRUE(IsExpired(a, a.expiration_ms + 1));
}

TEST(Transaction, IdIsDeterministicAndSensitiveToEveryPart) {
  const std::string stamp = SomeStamp().id;
  const std::vector<std::string> statements{"s1", "s2"};
  const std::vector<ReadDependency> reads{{"b1", 1}, {"b2", 5}};
  const std::string id = TransactionId(stamp, statements, reads);
  ASSERT_EQ(id.rfind("tx:", 0), 0u);
  EXPECT_TRUE(IsBase32Hash(id.substr(3))) << id;
  EXPECT_EQ(TransactionId(stamp, statements, reads), id);

  EXPECT_NE(TransactionId("stamp:other", statements, reads), id);
  EXPECT_NE(TransactionId(stamp, {"s1", "s3"}, reads), id);
  EXPECT_NE(TransactionId(stamp, {"s2", "s1"}, reads), id);  // statement order matters
  EXPECT_NE(TransactionId(stamp, {"s1"}, reads), id);
  EXPECT_NE(TransactionId(stamp, statements, {{"b1", 2}, {"b2", 5}}), id);
  EXPECT_NE(TransactionId(stamp, statements, {{"b1", 1}, {"b3", 5}}), id);
  EXPECT_NE(TransactionId(stamp, statements, {{"b2", 5}, {"b1", 1}}), id);  // given order
  EXPECT_NE(TransactionId(stamp, statements, {}), id);
}

TEST(Transaction, PriorityAndSignatureAreInNoId) {
  Transaction tx = MakeTransaction(SomeStamp(), {"s"}, {{"b", 1}});
  EXPECT_EQ(tx.id, TransactionId(tx.stamp.id, tx.statements, tx.reads));
  EXPECT_EQ(tx.priority, 0u);
  const Value plain = TransactionToValue(tx);
  EXPECT_FALSE(plain.contains("priority"));
  tx.priority = ClampPriority(5);
  tx.signature = "sig";
  EXPECT_EQ(TransactionId(tx.stamp.id, tx.statements, tx.reads), tx.id);
  const Value value = TransactionToValue(tx);
  EXPECT_EQ(value["id"], tx.id);
  EXPECT_EQ(value["priority"], 5);
  EXPECT_EQ(value["signature"], "sig");
  EXPECT_EQ(value["stamp"]["id"], tx.stamp.id);
  EXPECT_EQ(value["reads"], (Value::array({Value{{"blockId", "b"}, {"revision", 1}}})));
}

TEST(Transaction, PriorityIsClampedToZeroThroughEight) {
  EXPECT_EQ(ClampPriority(-3), 0u);
  EXPECT_EQ(ClampPriority(0), 0u);
  EXPECT_EQ(ClampPriority(3), 3u);
  EXPECT_EQ(ClampPriority(8), 8u);
  EXPECT_EQ(ClampPriority(100), 8u);
}

block::Transforms SomeTransforms() {
  block::Transforms t;
  t.inserts["n1"] =
      Value{{"header", {{"id", "n1"}, {"type", "T"}, {"collectionId", "a"}}}, {"x", 1}};
  t.updates["u1"] = {block::BlockOperation::Assign("x", 2)};
  t.deletes = {"d2", "d1"};
  return t;
}

TEST(OperationsHash, IndependentOfInputOrder) {
  block::Transforms a = SomeTransforms();
  block::Transforms b;
  b.updates["u9"] = {block::BlockOperation::Assign("y", 3)};
  const std::string hash = HashOperations({{"a", a}, {"b", b}});
  ASSERT_EQ(hash.rfind("ops.v1:", 0), 0u);
  EXPECT_TRUE(IsBase32Hash(hash.substr(7))) << hash;
  EXPECT_EQ(HashOperations({{"b", b}, {"a", a}}), hash);
  block::Transforms reordered = a;
  reordered.deletes = {"d1", "d2"};
  EXPECT_EQ(HashOperations({{"a", reordered}, {"b", b}}), hash);
}

TEST(OperationsHash, SortsByCollectionThenBlockThenInsertUpdateDelete) {
  block::Transforms t;
  t.deletes = {"x"};
  t.updates["x"] = {block::BlockOperation::Assign("k", 1)};
  t.inserts["x"] = Value{{"header", {{"id", "x"}, {"type", "T"}, {"collectionId", "b"}}}};
  t.inserts["w"] = Value{{"header", {{"id", "w"}, {"type", "T"}, {"collectionId", "b"}}}};
  block::Transforms first;
  first.deletes = {"z"};
  const Value ops = CollectOperations({{"b", t}, {"a", first}});
  ASSERT_EQ(ops.size(), 5u);
  EXPECT_EQ(ops[0], (Value{{"type", "delete"}, {"collectionId", "a"}, {"blockId", "z"}}));
  EXPECT_EQ(ops[1]["blockId"], "w");
  EXPECT_EQ(ops[2]["type"], "insert");
  EXPECT_EQ(ops[2]["block"], t.inserts["x"]);
  EXPECT_EQ(ops[3]["type"], "update");
  EXPECT_EQ(ops[3]["operations"].size(), 1u);
  EXPECT_EQ(ops[4]["type"], "delete");
}

TEST(OperationsHash, SensitiveToEveryOperation) {
  const block::Transforms base = SomeTransforms();
  const std::string hash = HashOperations({{"a", base}});
  std::vector<block::Transforms> changed(5, base);
  changed[0].inserts["n1"]["x"] = 9;
  changed[1].updates["u1"] = {block::BlockOperation::Assign("x", 3)};
  changed[2].deletes = {"d1"};
  changed[3].updates.clear();
  changed[4].deletes.push_back("d3");
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(HashOperations({{"a", changed[i]}}), hash) << "change " << i;
  }
  EXPECT_NE(HashOperations({{"b", base}}), hash);  // the collection id is hashed
  EXPECT_NE(HashOperations({}), hash);
}

TEST(OperationsHash, VersionOfAToken) {
  EXPECT_EQ(OpsHashVersion(HashOperations({})), std::optional<std::string>("v1"));
  EXPECT_EQ(OpsHashVersion("ops.v1:abc"), std::optional<std::string>("v1"));
  EXPECT_EQ(OpsHashVersion("ops.v2:"), std::optional<std::string>("v2"));
  EXPECT_EQ(OpsHashVersion("ops:abc"), std::nullopt);  // the legacy token
  EXPECT_EQ(OpsHashVersion(""), std::nullopt);
  EXPECT_EQ(OpsHashVersion("ops.:abc"), std::nullopt);
  EXPECT_EQ(OpsHashVersion("ops.v1"), std::nullopt);
  EXPECT_EQ(OpsHashVersion("ops.v-1:abc"), std::nullopt);
  EXPECT_EQ(OpsHashVersion("garbage"), std::nullopt);
  EXPECT_EQ(OpsHashVersion("xops.v1:abc"), std::nullopt);
}

}  // namespace
}  // namespace optimystic::core::transaction
