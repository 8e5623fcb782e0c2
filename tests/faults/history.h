// SPDX-License-Identifier: Apache-2.0
// The fault suite's history (issue 8): every client operation as events, in the manner of
// Jepsen's histories. A client (a "process", one operation at a time) records an `invoke` before
// it sends an operation and, once it knows the outcome, one completion: `ok` (it took effect, with
// its result), `fail` (it certainly did not) or `info` (unknown: a timeout, a lost connection).
// A process whose operation ended in `info` issues no more operations; its client goes on as a
// new process.
//
// File form: one JSON object per line,
//   {"process": u64, "type": "invoke"|"ok"|"fail"|"info", "workload": text, "f": text,
//    "key": text, "value": any, "timeNs": i64}
// with these workloads and operations:
//   register  write {value: v} | read -> ok {value: v or null}          one key per register
//   counter   add {value: delta > 0} | read -> ok {value: total}        one key per counter
//   bank      transfer {value: {legs: {account: delta}}} -> ok {value: {committed: [account]}}
//             | read -> ok {value: {account: balance}}, with no transfer in flight
//   diary     append {value: v, unique} | read -> ok {value: [v, ...] in log order}
// Thread-safety: HistoryWriter may be used from any thread at once; the rest are plain values.
// Errors: ParseHistory names the source and line ("history.jsonl:12: ...") of what does not read;
// PairOperations names the process and line of a completion without an invoke or a second invoke.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::faults {

enum class EventType { kInvoke, kOk, kFail, kInfo };

std::string_view EventTypeName(EventType type) noexcept;

struct Event {
  uint64_t process = 0;
  EventType type = EventType::kInvoke;
  std::string workload;  // "register", "counter", "bank", "diary"
  std::string f;         // the operation: "write", "read", "add", "transfer", "append"
  std::string key;
  block::Value value;    // the argument (invoke) or the result (ok); null when none
  int64_t time_ns = 0;   // on one monotonic clock for the whole run
  bool operator==(const Event&) const = default;
};

// One line of the file form, without its newline.
std::string EventToLine(const Event& event);
// Every event of `text` (the file form); `source` names it in errors.
Result<std::vector<Event>> ParseHistory(std::string_view text, std::string_view source);

// One operation: an invoke and its completion.
struct Operation {
  enum class Outcome { kOk, kFail, kInfo };
  uint64_t process = 0;
  std::string workload;
  std::string f;
  std::string key;
  block::Value argument;  // the invoke's value
  block::Value result;    // the ok's value (null otherwise)
  Outcome outcome = Outcome::kInfo;
  int64_t invoke_ns = 0;
  // The completion's time; for an indeterminate (info) operation, or one never completed,
  // the end of time: it may have taken effect at any point after its invoke.
  int64_t complete_ns = std::numeric_limits<int64_t>::max();
};

// The operations of `events`, in invoke order. An invoke without a completion is indeterminate.
Result<std::vector<Operation>> PairOperations(const std::vector<Event>& events);

// Appends events to a file, one line each, flushed per event (a node's kill -9 does not lose
// the client's record of what it asked).
class HistoryWriter {
 public:
  // Unavailable when `path` cannot be opened for writing.
  static Result<std::unique_ptr<HistoryWriter>> Open(const std::string& path);
  Status Write(const Event& event);

 private:
  explicit HistoryWriter(std::ofstream out) : out_(std::move(out)) {}
  std::mutex mu_;
  std::ofstream out_;
};

}  // namespace optimystic::faults
