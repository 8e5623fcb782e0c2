// SPDX-License-Identifier: Apache-2.0
// The fault suite's history and checker (tests/faults): the file form reads back and names the
// line of what does not read; invokes pair with completions; and each workload's check accepts
// the histories a correct store can produce and names what a wrong one did: a stale or
// impossible register read, a counter read outside its bounds or short of an acknowledged add,
// a bank total that moved, a diary entry twice, out of order, unknown or lost.
#include "faults/checker.h"
#include "faults/history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace optimystic::faults {
namespace {

using block::Value;
using ::testing::HasSubstr;

// Builds a history: each operation as an invoke at `start` and its completion at `end`.
class Builder {
 public:
  Builder& Op(uint64_t process, const std::string& workload, const std::string& f,
              const std::string& key, Value argument, EventType outcome, Value result,
              int64_t start, int64_t end) {
    events_.push_back(Event{process, EventType::kInvoke, workload, f, key, argument, start});
    events_.push_back(Event{process, outcome, workload, f, key, result, end});
    return *this;
  }
  Builder& Write(uint64_t p, Value v, int64_t start, int64_t end, EventType t = EventType::kOk) {
    return Op(p, "register", "write", "r", v, t, nullptr, start, end);
  }
  Builder& Read(uint64_t p, Value v, int64_t start, int64_t end) {
    return Op(p, "register", "read", "r", nullptr, EventType::kOk, v, start, end);
  }
  std::vector<Operation> Operations() {
    // Completion order, as a recorder writes them.
    std::vector<Event> events = events_;
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.time_ns < b.time_ns; });
    auto ops = PairOperations(events);
    EXPECT_TRUE(ops) << ops.error().ToString();
    return ops ? *ops : std::vector<Operation>();
  }
  CheckSummary Check(CheckOptions options = {}) { return CheckHistory(Operations(), options); }

 private:
  std::vector<Event> events_;
};

TEST(History, LinesReadBackAndErrorsNameTheLine) {
  const Event event{7, EventType::kInfo, "bank", "transfer", "", Value{{"from", "a"}}, -5};
  auto back = ParseHistory(EventToLine(event) + "\n\n" + EventToLine(event) + "\n", "h.jsonl");
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, (std::vector<Event>{event, event}));

  auto bad = ParseHistory(EventToLine(event) + "\n{\"process\": 1}\n", "h.jsonl");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("h.jsonl:2: member 'type' must be text"));
  bad = ParseHistory("{nope\n", "h.jsonl");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("h.jsonl:1: not a JSON object"));
  Value wrong = Value::parse(EventToLine(event));
  wrong["type"] = "maybe";
  bad = ParseHistory(wrong.dump(), "h.jsonl");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("'maybe' is not invoke, ok, fail or info"));
}

TEST(History, InvokesPairWithTheirCompletions) {
  std::vector<Event> events = {
      {1, EventType::kInvoke, "register", "write", "r", 1, 10},
      {2, EventType::kInvoke, "register", "read", "r", nullptr, 11},
      {1, EventType::kOk, "register", "write", "r", nullptr, 20},
      {2, EventType::kInfo, "register", "read", "r", nullptr, 30},
      {3, EventType::kInvoke, "register", "write", "r", 3, 40},  // never completed
  };
  auto ops = PairOperations(events);
  ASSERT_TRUE(ops) << ops.error().ToString();
  ASSERT_EQ(ops->size(), 3u);
  EXPECT_EQ((*ops)[0].outcome, Operation::Outcome::kOk);
  EXPECT_EQ((*ops)[0].complete_ns, 20);
  EXPECT_EQ((*ops)[1].outcome, Operation::Outcome::kInfo);
  EXPECT_EQ((*ops)[1].complete_ns, std::numeric_limits<int64_t>::max());
  EXPECT_EQ((*ops)[2].outcome, Operation::Outcome::kInfo);

  events.push_back({3, EventType::kInvoke, "register", "read", "r", nullptr, 50});
  auto twice = PairOperations(events);
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error().message(),
              HasSubstr("event 6 (process 3): invoke while its operation of event 5"));
  auto orphan = PairOperations({{9, EventType::kOk, "register", "read", "r", 1, 5}});
  ASSERT_FALSE(orphan);
  EXPECT_THAT(orphan.error().message(), HasSubstr("process 9): ok without an invoke"));
}

TEST(Register, SequentialAndConcurrentHistoriesAreLinearizable) {
  EXPECT_TRUE(Builder().Read(1, nullptr, 0, 1).Write(1, 1, 2, 3).Read(2, 1, 4, 5).Check().ok());
  // A read concurrent with a write may see either value; two concurrent readers may disagree as
  // long as one order explains both.
  EXPECT_TRUE(Builder()
                  .Write(1, 1, 0, 10)
                  .Write(2, 2, 20, 40)
                  .Read(3, 1, 21, 30)
                  .Read(4, 2, 25, 45)
                  .Check()
                  .ok());
  // An indeterminate write may take effect long after, or never.
  EXPECT_TRUE(Builder()
                  .Write(1, 1, 0, 10)
                  .Write(2, 2, 5, 6, EventType::kInfo)
                  .Read(3, 1, 20, 30)
                  .Read(3, 2, 40, 50)
                  .Check()
                  .ok());
  EXPECT_TRUE(
      Builder().Write(1, 1, 0, 10).Write(2, 2, 5, 6, EventType::kInfo).Read(3, 1, 20, 30).Check().ok());
}

TEST(Register, ManyIndeterminateWritesNoReadSawAreDecidedAtOnce) {
  // Sixty writes of unknown outcome, overlapping everything: none was read, so none matters.
  Builder history;
  history.Write(1, 0, 0, 10);
  for (int i = 1; i <= 60; ++i) {
    history.Write(100 + static_cast<uint64_t>(i), i, 5, 6, EventType::kInfo);
  }
  history.Read(2, 0, 20, 30).Write(3, 99, 40, 50).Read(2, 99, 60, 70);
  EXPECT_TRUE(history.Check().ok());
  history.Read(4, 60, 80, 90);  // one of them did land, late: after 99, which it overwrote
  EXPECT_TRUE(history.Check().ok());
  history.Read(4, 99, 100, 110);  // but then 99 cannot come back
  EXPECT_FALSE(history.Check().ok());
}

TEST(Register, StaleAndImpossibleReadsAreViolations) {
  // Write 2 completed before the read began: reading 1 is stale.
  CheckSummary stale = Builder().Write(1, 1, 0, 10).Write(1, 2, 20, 30).Read(2, 1, 40, 50).Check();
  EXPECT_EQ(stale.violations, 1u);
  ASSERT_EQ(stale.problems.size(), 1u);
  EXPECT_THAT(stale.problems[0], HasSubstr("register r: not linearizable"));
  EXPECT_THAT(stale.problems[0], HasSubstr("process 2 read -> 1 at 40 ns could not be"));
  // A failed write did not happen; reading its value is impossible.
  EXPECT_FALSE(Builder().Write(1, 7, 0, 10, EventType::kFail).Read(2, 7, 20, 30).Check().ok());
  // Once a reader saw the new value, a later read cannot see the old one.
  EXPECT_FALSE(Builder()
                   .Write(1, 1, 0, 10)
                   .Write(2, 2, 20, 100)
                   .Read(3, 2, 30, 40)
                   .Read(4, 1, 50, 60)
                   .Check()
                   .ok());
}

TEST(Register, AConcurrentHistoryOfManyOperationsIsDecided) {
  // Five processes over one register on a real (simulated) timeline: the register applies each
  // write at an instant inside its interval, so the history is linearizable by construction.
  std::mt19937_64 random(42);
  Builder history;
  int64_t clock = 0;
  Value current = nullptr;
  struct Pending { uint64_t p; bool write; int64_t v; int64_t start; };
  for (int i = 0; i < 300; ++i) {
    const uint64_t p = i % 5;
    const int64_t start = clock;
    clock += 1 + static_cast<int64_t>(random() % 3);
    if (random() % 2 == 0) {
      current = i;
      history.Write(p + 10 * static_cast<uint64_t>(i), i, start, clock + 5);
    } else {
      history.Read(p + 10 * static_cast<uint64_t>(i), current, start, clock + 5);
    }
  }
  std::string why;
  EXPECT_TRUE(RegisterLinearizable(history.Operations(), &why)) << why;
}

TEST(Counter, ReadsStayInBoundsAndTheFinalReadHasEveryAcknowledgedAdd) {
  auto counter = [](Builder& b, uint64_t p, const std::string& f, Value arg, EventType t,
                    Value result, int64_t s, int64_t e) -> Builder& {
    return b.Op(p, "counter", f, "c", arg, t, result, s, e);
  };
  Builder good;
  counter(good, 1, "add", 2, EventType::kOk, nullptr, 0, 10);
  counter(good, 2, "add", 3, EventType::kInfo, nullptr, 5, 6);  // may or may not have counted
  counter(good, 3, "read", nullptr, EventType::kOk, 2, 20, 30);  // the info add not yet
  counter(good, 3, "read", nullptr, EventType::kOk, 5, 40, 50);  // and now counted
  CheckSummary s = good.Check();
  EXPECT_TRUE(s.ok()) << FormatSummary(s);

  Builder down;
  counter(down, 1, "add", 2, EventType::kOk, nullptr, 0, 10);
  counter(down, 2, "add", 3, EventType::kInfo, nullptr, 5, 6);
  counter(down, 3, "read", nullptr, EventType::kOk, 5, 20, 30);
  counter(down, 3, "read", nullptr, EventType::kOk, 2, 40, 50);  // within [2, 5], yet lower
  s = down.Check();
  EXPECT_EQ(s.violations, 1u);
  EXPECT_THAT(FormatSummary(s), HasSubstr("went below process 3 read -> 5"));

  Builder short_of;
  counter(short_of, 1, "add", 2, EventType::kOk, nullptr, 0, 10);
  counter(short_of, 2, "add", 1, EventType::kOk, nullptr, 0, 10);
  counter(short_of, 3, "read", nullptr, EventType::kOk, 2, 20, 30);
  s = short_of.Check();
  EXPECT_EQ(s.lost, 1u);
  EXPECT_EQ(s.violations, 1u);  // 2 is below the 3 acknowledged before the read
  EXPECT_THAT(FormatSummary(s), HasSubstr("counter c: the final read 2 lacks 1 of the "
                                          "acknowledged adds' 3"));
  EXPECT_THAT(FormatSummary(s), HasSubstr("is outside [3, 3]"));

  Builder too_much;
  counter(too_much, 1, "add", 2, EventType::kFail, nullptr, 0, 10);
  counter(too_much, 3, "read", nullptr, EventType::kOk, 2, 20, 30);
  EXPECT_EQ(too_much.Check().violations, 1u) << "a failed add counted";
}

TEST(Bank, EveryReadSumsToTheTotalMovedOnlyByPartialOrUnknownLandings) {
  auto transfer = [](Builder& b, uint64_t p, int64_t amount, EventType t, Value committed,
                     int64_t s, int64_t e) {
    b.Op(p, "bank", "transfer", "", Value{{"legs", {{"a", -amount}, {"b", amount}}}}, t,
         committed.is_null() ? Value() : Value{{"committed", committed}}, s, e);
  };
  auto read = [](Builder& b, uint64_t p, int64_t a, int64_t bal, int64_t s, int64_t e) {
    b.Op(p, "bank", "read", "", nullptr, EventType::kOk, Value{{"a", a}, {"b", bal}}, s, e);
  };
  CheckOptions options;
  options.bank_total = 200;
  Builder good;
  transfer(good, 1, 5, EventType::kOk, Value::array({"a", "b"}), 0, 10);
  transfer(good, 2, 7, EventType::kOk, Value::array({"a"}), 0, 10);  // partial: a's leg only
  transfer(good, 3, 4, EventType::kInfo, nullptr, 0, 10);            // a's, b's, both or none
  read(good, 4, 88, 105, 20, 30);   // 193 = 200 - 7
  read(good, 4, 84, 105, 40, 50);   // 189 = 200 - 7 - 4 (a's leg of the unknown one)
  CheckSummary s = good.Check(options);
  EXPECT_TRUE(s.ok()) << FormatSummary(s);

  Builder bad = good;
  read(bad, 5, 95, 106, 60, 70);
  s = bad.Check(options);
  EXPECT_EQ(s.violations, 1u);
  EXPECT_THAT(FormatSummary(s), HasSubstr("sums to 201, outside [189, 197]"));
  Builder no_read;
  transfer(no_read, 1, 5, EventType::kOk, Value::array({"a", "b"}), 0, 10);
  EXPECT_THAT(FormatSummary(no_read.Check()), HasSubstr("bank: no read to check"));
}

TEST(Diary, EntriesOnceInOneOrderAndNoneLost) {
  auto append = [](Builder& b, uint64_t p, Value v, EventType t, int64_t s, int64_t e) {
    b.Op(p, "diary", "append", "d", v, t, nullptr, s, e);
  };
  auto read = [](Builder& b, uint64_t p, Value list, int64_t s, int64_t e) {
    b.Op(p, "diary", "read", "d", nullptr, EventType::kOk, list, s, e);
  };
  Builder good;
  append(good, 1, "x", EventType::kOk, 0, 10);
  append(good, 2, "y", EventType::kInfo, 0, 10);
  read(good, 3, Value::array({"x"}), 11, 12);
  read(good, 4, Value::array({"x", "y"}), 13, 14);
  EXPECT_TRUE(good.Check().ok()) << FormatSummary(good.Check());

  Builder bad;
  append(bad, 1, "x", EventType::kOk, 0, 10);
  append(bad, 2, "y", EventType::kOk, 0, 10);
  append(bad, 5, "z", EventType::kOk, 0, 10);
  read(bad, 3, Value::array({"y", "x", "x"}), 11, 12);  // twice, and lacks z
  read(bad, 4, Value::array({"x", "q"}), 13, 14);         // q was never appended; other order
  const std::string text = FormatSummary(bad.Check());
  EXPECT_THAT(text, HasSubstr("holds \"x\" twice"));
  EXPECT_THAT(text, HasSubstr("holds \"q\", which no one appended"));
  EXPECT_THAT(text, HasSubstr("is not a prefix of the longest read"));
  EXPECT_THAT(text, HasSubstr("lost 1,"));  // z
  EXPECT_THAT(text, HasSubstr("acknowledged process 5 append \"z\""));
}

TEST(Checker, TheSummaryCountsOutcomes) {
  Builder b;
  b.Write(1, 1, 0, 10).Write(2, 2, 0, 10, EventType::kFail).Write(3, 3, 0, 10, EventType::kInfo);
  b.Op(4, "queue", "push", "q", 1, EventType::kOk, nullptr, 0, 1);
  const CheckSummary s = b.Check();
  EXPECT_EQ(s.operations, 4u);
  EXPECT_EQ(s.acknowledged, 2u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.indeterminate, 1u);
  EXPECT_EQ(s.violations, 1u);
  EXPECT_THAT(FormatSummary(s),
              HasSubstr("operations 4, acknowledged 2, failed 1, indeterminate 1, lost 0, "
                        "invariant violations 1\n  - unknown workload 'queue'"));
}

}  // namespace
}  // namespace optimystic::faults
