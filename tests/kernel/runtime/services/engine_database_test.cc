// SPDX-License-Identifier: Apache-2.0
// EngineDatabase end to end: LocalTransactor over the Repository over the memory storage engine,
// with the test collection types and resolvers.
#include "runtime/services/engine_database.h"

#include <optimystic/base/seeded_random.h>
#include <optimystic/chain/chain_format.h>

#include "core/collection/collection.h"
#include "core/repository/repository.h"
#include "core/transactor/local_transactor.h"
#include "storage/memory/memory_storage_engine.h"
#include "support/intercept_transactor.h"
#include "support/test_collection_types.h"
#include "support/test_host.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace optimystic::runtime::services {
namespace {

using block::Value;
using collections::Action;

Action Set(const std::string& key, Value value) {
  return Action{"set", Value{{"key", key}, {"value", std::move(value)}}, std::nullopt, 0};
}

// One "node": its own engines, latch table and random source over the shared transactor.
struct Node {
  Node(transactor::Transactor& transactor, const CollectionTypeMap& types, ResolverLookup lookup,
       test::TestClock& clock, uint64_t seed)
      : random(seed) {
    core::collection::CollectionServices services;
    services.clock = &clock;
    services.random = &random;
    services.latches = &latches;
    services.sleep_ms = [&clock](int64_t ms) { clock.Advance(ms); };
    services.on_conflict = [this](std::string_view resolver, std::string_view outcome) {
      conflicts[std::string(resolver) + "/" + std::string(outcome)]++;
    };
    db = std::make_unique<EngineDatabase>(transactor, types, std::move(lookup), services);
  }
  base::SeededRandom random;
  core::collection::LatchTable latches;
  std::map<std::string, int> conflicts;
  std::unique_ptr<EngineDatabase> db;
};

class EngineDatabaseTest : public ::testing::Test {
 protected:
  EngineDatabaseTest()
      : reject_("reject", conflict::Resolution{conflict::Resolution::Kind::kReject, std::nullopt,
                                               "changed meanwhile"}) {
    types_["kv"] = &kv_;
    types_["append"] = &append_;
  }

  ResolverLookup Lookup() {
    return [this](std::string_view type,
                  std::string_view collection) -> Result<const conflict::ConflictResolver*> {
      lookups_.push_back(std::string(type) + ":" + std::string(collection));
      if (collection == "strict") {
        return &reject_;
      }
      if (collection == "broken") {
        return Status::InvalidArgument("no resolver for broken");
      }
      return static_cast<const conflict::ConflictResolver*>(nullptr);
    };
  }
  std::unique_ptr<Node> MakeNode(uint64_t seed) {
    return std::make_unique<Node>(transactor_, types_, Lookup(), clock_, seed);
  }

  plugins::storage_memory::MemoryStorageEngine engine_;
  core::repository::Repository repository_{engine_, core::repository::RepositoryOptions{false}};
  transactor::LocalTransactor local_{repository_};
  test::InterceptTransactor transactor_{local_};
  test::TestClock clock_;
  test::KeyValueType kv_;
  test::AppendType append_;
  test::FixedResolver reject_;
  CollectionTypeMap types_;
  std::vector<std::string> lookups_;
};

TEST_F(EngineDatabaseTest, ActCreatesThenQueriesAndDescribes) {
  std::unique_ptr<Node> node = MakeNode(1);
  Result<ActOutcome> acted = node->db->Act("users", "kv", {Set("alice", "A")}, true);
  ASSERT_TRUE(acted.has_value()) << acted.error().ToString();
  EXPECT_EQ(acted->revision, 1u);
  acted = node->db->Act("users", "kv", {Set("bob", "B"), Set("carol", "C")}, false);
  ASSERT_TRUE(acted.has_value()) << acted.error().ToString();
  EXPECT_EQ(acted->revision, 2u);
  EXPECT_EQ(lookups_, std::vector<std::string>{"kv:users"});  // one engine per collection

  Result<Value> got = node->db->Query("users", "kv", "get", Value{{"key", "bob"}});
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, "B");

  Result<Value> described = node->db->Describe();
  ASSERT_TRUE(described.has_value());
  ASSERT_EQ((*described)["collections"].size(), 1u);
  EXPECT_EQ((*described)["collections"][0],
            (Value{{"name", "users"}, {"type", "kv"}, {"resolver", "replay"}, {"revision", 2}}));
  ASSERT_EQ((*described)["types"].size(), 2u);
  EXPECT_EQ((*described)["types"][1]["name"], "kv");
  EXPECT_EQ((*described)["types"][1]["header_block_type"], "TKV");
  EXPECT_EQ((*described)["types"][1]["queries"], (Value{"get", "all"}));
}

TEST_F(EngineDatabaseTest, AnotherNodeSeesCommittedDataAfterUpdate) {
  std::unique_ptr<Node> a = MakeNode(1);
  std::unique_ptr<Node> b = MakeNode(2);
  ASSERT_TRUE(a->db->Act("shared", "kv", {Set("k", 1)}, true).has_value());
  Result<Value> seen = b->db->Query("shared", "kv", "get", Value{{"key", "k"}});
  ASSERT_TRUE(seen.has_value()) << seen.error().ToString();
  EXPECT_EQ(*seen, 1);
  ASSERT_TRUE(a->db->Act("shared", "kv", {Set("k", 2)}, false).has_value());
  seen = b->db->Query("shared", "", "get", Value{{"key", "k"}});
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, 2);
  Result<ActOutcome> acted = b->db->Act("shared", "kv", {Set("k", 3)}, false);
  ASSERT_TRUE(acted.has_value()) << acted.error().ToString();
  EXPECT_EQ(acted->revision, 3u);
}

TEST_F(EngineDatabaseTest, ErrorsNameWhatIsWrong) {
  std::unique_ptr<Node> node = MakeNode(1);
  ASSERT_TRUE(node->db->Act("users", "kv", {Set("a", 1)}, true).has_value());

  Result<ActOutcome> r = node->db->Act("users", "nope", {}, true);
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.error().message(), "unknown collection type nope");

  r = node->db->Act("users", "append", {Action{"append", "x"}}, true);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "collection users is a kv, not a append");

  // A fresh node, which has no engine for it yet, says the same from the header.
  std::unique_ptr<Node> other = MakeNode(2);
  r = other->db->Act("users", "append", {Action{"append", "x"}}, true);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "collection users is a kv, not a append");

  r = node->db->Act("absent", "kv", {Set("a", 1)}, false);
  EXPECT_EQ(r.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.error().message(), "collection absent not found");

  Result<Value> q = node->db->Query("absent", "kv", "get", Value{{"key", "a"}});
  EXPECT_EQ(q.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(q.error().message(), "collection absent not found");

  q = node->db->Query("users", "kv", "nosuchquery", Value::object());
  EXPECT_EQ(q.error().code(), StatusCode::kNotFound);

  r = node->db->Act("", "kv", {}, true);
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "invalid collection name: empty");

  r = node->db->Act("broken", "kv", {Set("a", 1)}, true);
  EXPECT_EQ(r.error().message(), "no resolver for broken");
}

TEST_F(EngineDatabaseTest, FailedCreateLeavesNothingBehind) {
  std::unique_ptr<Node> node = MakeNode(1);
  Result<ActOutcome> r =
      node->db->Act("fresh", "kv", {Set("a", 1), Action{"bogus", Value{{"key", "a"}}}}, true);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(transactor_.pends().empty());
  Result<Value> q = node->db->Query("fresh", "kv", "all", Value::object());
  EXPECT_EQ(q.error().code(), StatusCode::kNotFound);
  Result<Value> described = node->db->Describe();
  EXPECT_TRUE((*described)["collections"].empty());
  // Creating it properly afterwards works and starts at rev 1.
  r = node->db->Act("fresh", "kv", {Set("a", 1)}, true);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->revision, 1u);
}

TEST_F(EngineDatabaseTest, RejectingResolverFailsTheSecondWriterWithAborted) {
  std::unique_ptr<Node> a = MakeNode(1);
  std::unique_ptr<Node> b = MakeNode(2);
  ASSERT_TRUE(a->db->Act("strict", "kv", {Set("k", "a0")}, true).has_value());
  ASSERT_TRUE(b->db->Query("strict", "kv", "all", Value::object()).has_value());  // b opens it
  // b stages on top of rev 1 while a commits rev 2 on the same key. Since Act pulls before it
  // pushes, make a's commit land between b's act and b's update: a commits first here and b's
  // engine still holds rev 1.
  ASSERT_TRUE(a->db->Act("strict", "kv", {Set("k", "a1")}, false).has_value());
  Result<ActOutcome> r = b->db->Act("strict", "kv", {Set("k", "b1")}, false);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), StatusCode::kAborted);
  const std::string message(r.error().message());
  EXPECT_EQ(message.rfind("conflict rejected by reject: changed meanwhile; local action ", 0), 0u)
      << message;
  EXPECT_NE(message.find("\"a1\""), std::string::npos) << message;
  EXPECT_EQ(b->conflicts["reject/reject"], 1);
  Result<Value> k = b->db->Query("strict", "kv", "get", Value{{"key", "k"}});
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(*k, "a1");
  // b can write again once it has seen a1.
  r = b->db->Act("strict", "kv", {Set("k", "b2")}, false);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->revision, 3u);
}

TEST_F(EngineDatabaseTest, VerifyReportsAnIntactLog) {
  std::unique_ptr<Node> node = MakeNode(1);
  for (int i = 0; i < 40; ++i) {  // more than one log block (32 entries each)
    ASSERT_TRUE(node->db->Act("v", "kv", {Set("k" + std::to_string(i), i)}, true).has_value());
  }
  Result<Value> report = node->db->Verify("v");
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ((*report)["ok"], true);
  EXPECT_EQ((*report)["collection"], "v");
  EXPECT_EQ((*report)["entries"], 40);
  EXPECT_EQ((*report)["blocks"], 2);
  EXPECT_FALSE(report->contains("error"));

  Result<Value> absent = node->db->Verify("nothing");
  EXPECT_EQ(absent.error().code(), StatusCode::kNotFound);
}

TEST_F(EngineDatabaseTest, VerifyNamesTheFirstBrokenLink) {
  std::unique_ptr<Node> node = MakeNode(1);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(node->db->Act("bad", "kv", {Set("k", i)}, true).has_value());
  }
  Result<std::optional<Value>> header = core::collection::ProbeHeader(transactor_, "bad");
  ASSERT_TRUE(header.has_value() && header->has_value());
  const std::string head = (**header)[std::string(chain::kHeadIdMember)].get<std::string>();
  // Tamper with the first log block as read back: its successor's priorHash no longer matches.
  transactor_.on_get = [head](const transactor::BlockGets&, transactor::GetBlockResults& results) {
    auto it = results.find(head);
    if (it != results.end() && it->second.block.has_value()) {
      (*it->second.block)["entries"][0]["timestamp"] = 1;
    }
  };
  Result<Value> report = node->db->Verify("bad");
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ((*report)["ok"], false);
  ASSERT_TRUE(report->contains("error"));
  EXPECT_NE((*report)["error"].get<std::string>().find("priorHash mismatch"), std::string::npos)
      << (*report)["error"];
}

}  // namespace
}  // namespace optimystic::runtime::services
