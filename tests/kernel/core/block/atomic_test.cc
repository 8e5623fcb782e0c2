// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/atomic.h>

#include "kernel/core/block/block_test_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace optimystic::block {
namespace {

using test::TestBlock;

TEST(Atomic, CommitWritesDeletesInsertsThenUpdates) {
  test::LoggingBlockStore store;
  ASSERT_TRUE(store.inner().Insert(TestBlock("u")).ok());
  ASSERT_TRUE(store.inner().Insert(TestBlock("d")).ok());
  Atomic atomic(store);
  ASSERT_TRUE(atomic.Update("u", BlockOperation::Assign("v", 1)).ok());
  ASSERT_TRUE(atomic.Insert(TestBlock("i")).ok());
  ASSERT_TRUE(atomic.Delete("d").ok());
  EXPECT_TRUE(store.log().empty());
  EXPECT_TRUE(store.inner().Contains("d"));
  ASSERT_TRUE(atomic.Commit().ok());
  EXPECT_EQ(store.log(), (std::vector<std::string>{"delete d", "insert i", "update u"}));
  EXPECT_TRUE(IsTransformsEmpty(atomic.transforms()));
  EXPECT_EQ((*GetBlock(store, "u"))["v"], 1);
}

TEST(Atomic, RollbackWritesNothing) {
  test::LoggingBlockStore store;
  Atomic atomic(store);
  ASSERT_TRUE(atomic.Insert(TestBlock("i")).ok());
  atomic.Rollback();
  EXPECT_TRUE(IsTransformsEmpty(atomic.transforms()));
  ASSERT_TRUE(atomic.Commit().ok());
  EXPECT_TRUE(store.log().empty());
}

TEST(Atomic, ReadsSeeItsOwnWrites) {
  test::MemoryBlockStore store;
  Atomic atomic(store);
  ASSERT_TRUE(atomic.Insert(TestBlock("i", {{"v", 1}})).ok());
  auto i = GetBlock(atomic, "i");
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ((*i)["v"], 1);
  EXPECT_FALSE(store.Contains("i"));
}

TEST(AtomicProxy, ForwardsToTheBaseOutsideScopes) {
  test::MemoryBlockStore base;
  AtomicProxy proxy(base);
  ASSERT_TRUE(proxy.Insert(TestBlock("a")).ok());
  EXPECT_TRUE(base.Contains("a"));
  EXPECT_EQ(*proxy.GenerateId(), "block-1");
}

TEST(AtomicProxy, SharedReadsGoToTheScopeOnItsThreadAndToTheBaseElsewhere) {
  test::MemoryBlockStore base;
  ASSERT_TRUE(base.Insert(TestBlock("a", {{"v", 0}})).ok());
  AtomicProxy proxy(base);
  BlockRef outside = *GetBlockRef(proxy, "a");
  EXPECT_EQ(outside, *GetBlockRef(base, "a"));  // no scope: the base's own block
  Status status = proxy.Run([&](BlockStore& scope) -> Status {
    OPTIMYSTIC_RETURN_IF_ERROR(scope.Update("a", BlockOperation::Assign("v", 1)));
    EXPECT_EQ((**GetBlockRef(proxy, "a"))["v"], 1);  // this thread: the scope's overlay
    std::optional<Result<BlockRef>> other;
    std::thread reader([&] { other.emplace(GetBlockRef(proxy, "a")); });
    reader.join();
    EXPECT_TRUE(other.has_value() && other->has_value());
    if (other.has_value() && other->has_value()) {
      EXPECT_EQ((***other)["v"], 0);  // another thread: the base
    }
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ((*outside)["v"], 0);  // the block read before the commit never changes
  EXPECT_EQ((**GetBlockRef(proxy, "a"))["v"], 1);
}

TEST(AtomicProxy, CommitsAScopeThatSucceeds) {
  test::MemoryBlockStore base;
  AtomicProxy proxy(base);
  Status status = proxy.Run([&](BlockStore& scope) -> Status {
    OPTIMYSTIC_RETURN_IF_ERROR(scope.Insert(TestBlock("a")));
    // The proxy itself, on this thread, goes to the scope too.
    OPTIMYSTIC_RETURN_IF_ERROR(proxy.Insert(TestBlock("b")));
    EXPECT_FALSE(base.Contains("a"));
    EXPECT_FALSE(base.Contains("b"));
    auto b = scope.TryGet("b", ReadPurpose::kValue);
    EXPECT_TRUE(b.has_value() && b->has_value());
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(base.Contains("a"));
  EXPECT_TRUE(base.Contains("b"));
}

TEST(AtomicProxy, DiscardsAScopeThatFails) {
  test::MemoryBlockStore base;
  AtomicProxy proxy(base);
  Status status = proxy.Run([&](BlockStore& scope) -> Status {
    OPTIMYSTIC_RETURN_IF_ERROR(scope.Insert(TestBlock("a")));
    return Status::Aborted("changed my mind");
  });
  EXPECT_EQ(status.code(), StatusCode::kAborted);
  EXPECT_EQ(status.message(), "changed my mind");
  EXPECT_FALSE(base.Contains("a"));
  EXPECT_EQ(base.counts().inserts, 0u);
  // The proxy is usable again and writes to the base.
  ASSERT_TRUE(proxy.Insert(TestBlock("c")).ok());
  EXPECT_TRUE(base.Contains("c"));
}

TEST(AtomicProxy, NestedScopeWithParentJoinsAndCommitsOnce) {
  test::LoggingBlockStore base;
  AtomicProxy proxy(base);
  Status status = proxy.Run([&](Atomic& outer) -> Status {
    OPTIMYSTIC_RETURN_IF_ERROR(outer.Insert(TestBlock("a")));
    OPTIMYSTIC_RETURN_IF_ERROR(proxy.Run(
        [&](BlockStore& inner) -> Status {
          EXPECT_EQ(&inner, &outer);
          return inner.Insert(TestBlock("b"));
        },
        &outer));
    EXPECT_TRUE(base.log().empty());  // the joined scope did not commit
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(base.log(), (std::vector<std::string>{"insert a", "insert b"}));
}

TEST(AtomicProxy, FailureOfAJoinedScopeDiscardsTheWholeScope) {
  test::MemoryBlockStore base;
  AtomicProxy proxy(base);
  Status status = proxy.Run([&](Atomic& outer) -> Status {
    OPTIMYSTIC_RETURN_IF_ERROR(outer.Insert(TestBlock("a")));
    return proxy.Run([&](BlockStore&) { return Status::Internal("inner"); }, &outer);
  });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(base.size(), 0u);
}

TEST(AtomicProxy, NestedScopeWithoutParentIsRefusedNotDeadlocked) {
  test::MemoryBlockStore base;
  AtomicProxy proxy(base);
  Status inner_status;
  Status status = proxy.Run([&](BlockStore&) -> Status {
    inner_status = proxy.Run([](BlockStore&) { return Status::Ok(); });
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(inner_status.code(), StatusCode::kInvalidArgument);
}

TEST(AtomicProxy, ParentThatIsNotTheRunningScopeIsRefused) {
  test::MemoryBlockStore base;
  AtomicProxy proxy(base);
  Atomic stranger(base);
  EXPECT_EQ(proxy.Run([](BlockStore&) { return Status::Ok(); }, &stranger).code(),
            StatusCode::kInvalidArgument);
}

// Two threads: the second scope must not start before the first has finished, whether the
// first commits or fails (SPEC.md §1.7, §10.5).
void ExpectSerialized(bool first_fails) {
  test::MemoryBlockStore base;
  AtomicProxy proxy(base);
  std::mutex mu;
  std::condition_variable cv;
  bool first_started = false;
  bool release_first = false;
  std::atomic<bool> first_finished{false};
  std::atomic<bool> second_started{false};
  bool second_saw_first_finished = false;

  std::thread first([&] {
    Status s = proxy.Run([&](BlockStore& scope) -> Status {
      OPTIMYSTIC_RETURN_IF_ERROR(scope.Insert(TestBlock("first")));
      std::unique_lock<std::mutex> lock(mu);
      first_started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release_first; });
      first_finished = true;
      return first_fails ? Status::Aborted("first fails") : Status::Ok();
    });
    EXPECT_EQ(s.ok(), !first_fails);
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return first_started; });
  }
  std::thread second([&] {
    Status s = proxy.Run([&](BlockStore& scope) -> Status {
      second_started = true;
      second_saw_first_finished = first_finished.load();
      // The first scope's outcome is already in the base store.
      auto seen = scope.TryGet("first", ReadPurpose::kValue);
      EXPECT_TRUE(seen.has_value());
      EXPECT_EQ(seen->has_value(), !first_fails);
      return scope.Insert(TestBlock("second"));
    });
    EXPECT_TRUE(s.ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second_started.load());  // still waiting for the first scope
  {
    std::lock_guard<std::mutex> lock(mu);
    release_first = true;
  }
  cv.notify_all();
  first.join();
  second.join();
  EXPECT_TRUE(second_started.load());
  EXPECT_TRUE(second_saw_first_finished);
  EXPECT_EQ(base.Contains("first"), !first_fails);
  EXPECT_TRUE(base.Contains("second"));
}

TEST(AtomicProxy, TopLevelScopesAreSerialized) { ExpectSerialized(false); }

TEST(AtomicProxy, TopLevelScopesAreSerializedEvenWhenTheFirstFails) { ExpectSerialized(true); }

TEST(AtomicProxy, OtherThreadsBypassARunningScope) {
  test::MemoryBlockStore base;
  ASSERT_TRUE(base.Insert(TestBlock("a", {{"v", 0}})).ok());
  AtomicProxy proxy(base);
  Status status = proxy.Run([&](BlockStore& scope) -> Status {
    OPTIMYSTIC_RETURN_IF_ERROR(scope.Update("a", BlockOperation::Assign("v", 1)));
    std::optional<Value> seen;
    std::thread reader([&] { seen = *proxy.TryGet("a", ReadPurpose::kValue); });
    reader.join();
    EXPECT_TRUE(seen.has_value());
    EXPECT_EQ((*seen)["v"], 0);  // the scope's write is not visible outside it
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*GetBlock(base, "a"))["v"], 1);
}

}  // namespace
}  // namespace optimystic::block
