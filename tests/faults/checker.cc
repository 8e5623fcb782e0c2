// SPDX-License-Identifier: Apache-2.0
#include "faults/checker.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_set>
#include <utility>

namespace optimystic::faults {

namespace {

using block::Value;
using Outcome = Operation::Outcome;

std::string Describe(const Operation& op) {
  std::string text = "process " + std::to_string(op.process) + " " + op.f;
  if (!op.argument.is_null()) text += " " + op.argument.dump();
  if (op.outcome == Outcome::kOk && !op.result.is_null()) text += " -> " + op.result.dump();
  if (op.outcome == Outcome::kInfo) text += " (indeterminate)";
  return text + " at " + std::to_string(op.invoke_ns) + " ns";
}

class Problems {
 public:
  Problems(CheckSummary& summary, size_t max) : summary_(summary), max_(max) {}
  void Violation(const std::string& what) {
    ++summary_.violations;
    Note(what);
  }
  void Lost(size_t n, const std::string& what) {
    summary_.lost += n;
    Note(what);
  }

 private:
  void Note(const std::string& what) {
    if (summary_.problems.size() < max_) summary_.problems.push_back(what);
  }
  CheckSummary& summary_;
  const size_t max_;
};

// ---- register ------------------------------------------------------------------------------

struct RegisterOp {
  const Operation* op;
  bool write;
  Value value;  // written, or read
  bool required;  // completed ok: it must take effect
};

// Wing & Gong's depth-first search for an order of the operations that a register explains,
// each placed between its invoke and its completion, with Lowe's memo of (placed set, value).
bool Linearize(std::vector<RegisterOp> ops, std::string* why) {
  std::sort(ops.begin(), ops.end(), [](const RegisterOp& a, const RegisterOp& b) {
    return a.op->invoke_ns < b.op->invoke_ns;
  });
  const size_t n = ops.size();
  size_t remaining = 0;
  for (const RegisterOp& op : ops) remaining += op.required ? 1 : 0;
  std::vector<uint64_t> placed((n + 63) / 64, 0);
  auto is_placed = [&](size_t i) { return (placed[i / 64] >> (i % 64)) & 1; };
  auto flip = [&](size_t i) { placed[i / 64] ^= uint64_t{1} << (i % 64); };
  // No operation can go next once an unplaced one has completed before it was invoked.
  auto deadline = [&]() {
    int64_t earliest = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i < n; ++i) {
      if (!is_placed(i) && ops[i].required) earliest = std::min(earliest, ops[i].op->complete_ns);
    }
    return earliest;
  };
  struct Frame {
    explicit Frame(int64_t d) : deadline(d) {}
    int64_t deadline;
    size_t next = 0;    // the next candidate to try
    size_t chosen = 0;  // the candidate placed from this frame
    Value before;       // the register before it
  };
  Value current;  // absent
  std::unordered_set<std::string> seen;
  std::vector<Frame> frames{Frame{deadline()}};
  size_t deepest = 0;
  int64_t stuck_at = frames.back().deadline;
  while (remaining > 0) {
    Frame& frame = frames.back();
    bool moved = false;
    for (size_t i = frame.next; i < n && ops[i].op->invoke_ns < frame.deadline; ++i) {
      if (is_placed(i) || (!ops[i].write && ops[i].value != current)) continue;
      flip(i);
      const Value after = ops[i].write ? ops[i].value : current;
      std::string key(reinterpret_cast<const char*>(placed.data()), placed.size() * 8);
      key += after.dump();
      if (!seen.insert(std::move(key)).second) {
        flip(i);
        continue;
      }
      frame.next = i + 1;
      frame.chosen = i;
      frame.before = current;
      current = after;
      remaining -= ops[i].required ? 1 : 0;
      frames.push_back(Frame{deadline()});
      if (frames.size() - 1 > deepest) {
        deepest = frames.size() - 1;
        stuck_at = frames.back().deadline;
      }
      moved = true;
      break;
    }
    if (moved) continue;
    frames.pop_back();
    if (frames.empty()) break;
    Frame& parent = frames.back();
    flip(parent.chosen);
    remaining += ops[parent.chosen].required ? 1 : 0;
    current = parent.before;
  }
  if (remaining == 0) return true;
  if (why != nullptr) {
    *why = "no order explains it: at most " + std::to_string(deepest) + " of " +
           std::to_string(n) + " operations could be placed";
    for (const RegisterOp& op : ops) {
      if (op.required && op.op->complete_ns == stuck_at) {
        *why += "; then " + Describe(*op.op) + " could not be";
        break;
      }
    }
  }
  return false;
}

// ---- the other workloads ---------------------------------------------------------------------

void CheckCounter(const std::string& key, const std::vector<const Operation*>& ops,
                  Problems& problems) {
  std::vector<const Operation*> adds, reads;
  for (const Operation* op : ops) {
    if (op->outcome == Outcome::kFail) continue;
    if (op->f == "add") {
      if (!op->argument.is_number_integer() || op->argument.get<int64_t>() <= 0) {
        problems.Violation("counter " + key + ": " + Describe(*op) + ": a delta must be > 0");
        continue;
      }
      adds.push_back(op);
    } else if (op->f == "read" && op->outcome == Outcome::kOk) {
      if (!op->result.is_number_integer()) {
        problems.Violation("counter " + key + ": " + Describe(*op) + ": not an integer");
        continue;
      }
      reads.push_back(op);
    } else if (op->f != "read") {
      problems.Violation("counter " + key + ": unknown operation " + Describe(*op));
    }
  }
  int64_t acknowledged = 0;
  for (const Operation* add : adds) {
    if (add->outcome == Outcome::kOk) acknowledged += add->argument.get<int64_t>();
  }
  if (reads.empty()) {
    if (acknowledged > 0) problems.Violation("counter " + key + ": no read to check the adds by");
    return;
  }
  const Operation* last = reads.front();
  for (const Operation* read : reads) {
    int64_t lower = 0, upper = 0;
    for (const Operation* add : adds) {
      const int64_t delta = add->argument.get<int64_t>();
      if (add->outcome == Outcome::kOk && add->complete_ns < read->invoke_ns) lower += delta;
      if (add->invoke_ns < read->complete_ns) upper += delta;
    }
    const int64_t value = read->result.get<int64_t>();
    if (value < lower || value > upper) {
      problems.Violation("counter " + key + ": " + Describe(*read) + " is outside [" +
                         std::to_string(lower) + ", " + std::to_string(upper) + "]");
    }
    if (read->invoke_ns > last->invoke_ns) last = read;
    // Adds only grow a counter: a read never sees less than one that ended before it began.
    for (const Operation* earlier : reads) {
      if (earlier->complete_ns < read->invoke_ns && earlier->result.get<int64_t>() > value) {
        problems.Violation("counter " + key + ": " + Describe(*read) + " went below " +
                           Describe(*earlier));
        break;
      }
    }
  }
  const int64_t final_value = last->result.get<int64_t>();
  if (final_value < acknowledged) {
    problems.Lost(static_cast<size_t>(acknowledged - final_value),
                  "counter " + key + ": the final read " + std::to_string(final_value) +
                      " lacks " + std::to_string(acknowledged - final_value) +
                      " of the acknowledged adds' " + std::to_string(acknowledged));
  }
}

// The member `key` of `v`, or null when `v` is not an object or lacks it.
const Value* MemberOf(const Value& v, const char* key) {
  if (!v.is_object()) return nullptr;
  auto it = v.find(key);
  return it == v.end() ? nullptr : &*it;
}

// A transfer's invoke value is {"legs": {account: delta}}; an ok result {"committed":
// [account]} lists the collections that took it (all of them, or a partial landing). Reads are
// taken with no transfer in flight but indeterminate ones, whose legs each may or may not have
// landed: a read's sum must lie in the range that leaves.
void CheckBank(const std::vector<const Operation*>& ops, const CheckOptions& options,
               Problems& problems) {
  std::optional<int64_t> total = options.bank_total;
  int64_t landed = 0, low = 0, high = 0;  // partial landings, and the indeterminate legs' range
  for (const Operation* op : ops) {
    if (op->f != "transfer" || op->outcome == Outcome::kFail) continue;
    const Value* legs = MemberOf(op->argument, "legs");
    if (legs == nullptr || !legs->is_object()) {
      problems.Violation("bank: " + Describe(*op) + ": a transfer needs {legs: {account: delta}}");
      continue;
    }
    std::set<std::string> committed;
    if (op->outcome == Outcome::kOk) {
      const Value* list = MemberOf(op->result, "committed");
      if (list == nullptr || !list->is_array()) {
        problems.Violation("bank: " + Describe(*op) + ": an ok transfer lists what committed");
        continue;
      }
      for (const Value& c : *list) committed.insert(c.is_string() ? c.get<std::string>() : "");
    }
    for (const auto& [account, delta] : legs->items()) {
      if (!delta.is_number_integer()) continue;
      const int64_t d = delta.get<int64_t>();
      if (op->outcome == Outcome::kOk) {
        landed += committed.count(account) != 0 ? d : 0;
      } else {
        low += std::min<int64_t>(0, d);
        high += std::max<int64_t>(0, d);
      }
    }
  }
  bool any_read = false;
  for (const Operation* op : ops) {
    if (op->f != "read" || op->outcome != Outcome::kOk) continue;
    any_read = true;
    int64_t sum = 0;
    bool readable = op->result.is_object();
    if (readable) {
      for (const auto& [account, balance] : op->result.items()) {
        if (!balance.is_number_integer()) {
          readable = false;
          break;
        }
        sum += balance.get<int64_t>();
      }
    }
    if (!readable) {
      problems.Violation("bank: " + Describe(*op) + ": not a map of integer balances");
      continue;
    }
    if (!total) total = sum - landed;
    const int64_t lo = *total + landed + low, hi = *total + landed + high;
    if (sum < lo || sum > hi) {
      problems.Violation("bank: " + Describe(*op) + " sums to " + std::to_string(sum) +
                         (lo == hi ? ", not " + std::to_string(lo)
                                   : ", outside [" + std::to_string(lo) + ", " +
                                         std::to_string(hi) + "]"));
    }
  }
  if (!any_read) problems.Violation("bank: no read to check the transfers by");
}

void CheckDiary(const std::string& key, const std::vector<const Operation*>& ops,
                Problems& problems) {
  std::map<std::string, const Operation*> appends;  // by the appended value's text
  std::vector<const Operation*> reads;
  for (const Operation* op : ops) {
    if (op->f == "append") {
      if (op->outcome != Outcome::kFail) appends.emplace(op->argument.dump(), op);
    } else if (op->f == "read" && op->outcome == Outcome::kOk) {
      if (!op->result.is_array()) {
        problems.Violation("diary " + key + ": " + Describe(*op) + ": not a list");
        continue;
      }
      reads.push_back(op);
    }
  }
  if (reads.empty()) {
    if (!appends.empty()) problems.Violation("diary " + key + ": no read to check appends by");
    return;
  }
  const Operation* longest = reads.front();
  for (const Operation* read : reads) {
    if (read->result.size() > longest->result.size()) longest = read;
  }
  const Value& order = longest->result;
  for (const Operation* read : reads) {
    std::set<std::string> held;
    for (size_t i = 0; i < read->result.size(); ++i) {
      const std::string entry = read->result[i].dump();
      if (!held.insert(entry).second) {
        problems.Violation("diary " + key + ": " + Describe(*read) + " holds " + entry + " twice");
      }
      if (appends.count(entry) == 0) {
        problems.Violation("diary " + key + ": " + Describe(*read) + " holds " + entry +
                           ", which no one appended");
      }
    }
    for (size_t i = 0; i < read->result.size(); ++i) {
      if (i >= order.size() || order[i] != read->result[i]) {
        problems.Violation("diary " + key + ": " + Describe(*read) +
                           " is not a prefix of the longest read (entry " + std::to_string(i) +
                           ")");
        break;
      }
    }
    for (const auto& [entry, append] : appends) {
      if (append->outcome == Outcome::kOk && append->complete_ns < read->invoke_ns &&
          held.count(entry) == 0 && read != longest) {
        problems.Violation("diary " + key + ": " + Describe(*read) + " lacks " + entry +
                           ", acknowledged before it");
      }
    }
  }
  std::set<std::string> final_entries;
  for (const Value& entry : order) final_entries.insert(entry.dump());
  for (const auto& [entry, append] : appends) {
    if (append->outcome == Outcome::kOk && final_entries.count(entry) == 0) {
      problems.Lost(1, "diary " + key + ": acknowledged " + Describe(*append) +
                           " is not in the final read");
    }
  }
}

}  // namespace

bool RegisterLinearizable(const std::vector<Operation>& operations, std::string* why) {
  std::set<std::string> read_values;
  for (const Operation& op : operations) {
    if (op.f == "read" && op.outcome == Outcome::kOk) read_values.insert(op.result.dump());
  }
  std::vector<RegisterOp> ops;
  for (const Operation& op : operations) {
    if (op.outcome == Outcome::kFail) continue;  // it did not happen
    if (op.f == "write") {
      // An indeterminate write whose value no read returned may as well never have happened
      // (if it did, no read fell between it and the next write); leaving it out keeps the
      // search from trying it everywhere.
      if (op.outcome == Outcome::kInfo && read_values.count(op.argument.dump()) == 0) continue;
      ops.push_back(RegisterOp{&op, true, op.argument, op.outcome == Outcome::kOk});
    } else if (op.f == "read" && op.outcome == Outcome::kOk) {
      ops.push_back(RegisterOp{&op, false, op.result, true});
    }
  }
  return Linearize(std::move(ops), why);
}

CheckSummary CheckHistory(const std::vector<Operation>& operations, const CheckOptions& options) {
  CheckSummary summary;
  Problems problems(summary, options.max_problems);
  std::map<std::pair<std::string, std::string>, std::vector<const Operation*>> by_key;
  for (const Operation& op : operations) {
    ++summary.operations;
    switch (op.outcome) {
      case Outcome::kOk: ++summary.acknowledged; break;
      case Outcome::kFail: ++summary.failed; break;
      case Outcome::kInfo: ++summary.indeterminate; break;
    }
    by_key[{op.workload, op.workload == "bank" ? "" : op.key}].push_back(&op);
  }
  for (const auto& [workload_key, ops] : by_key) {
    const auto& [workload, key] = workload_key;
    if (workload == "register") {
      std::vector<Operation> copies;
      for (const Operation* op : ops) {
        if (op->f != "read" && op->f != "write") {
          problems.Violation("register " + key + ": unknown operation " + Describe(*op));
        }
        copies.push_back(*op);
      }
      std::string why;
      if (!RegisterLinearizable(copies, &why)) {
        problems.Violation("register " + key + ": not linearizable: " + why);
      }
    } else if (workload == "counter") {
      CheckCounter(key, ops, problems);
    } else if (workload == "bank") {
      CheckBank(ops, options, problems);
    } else if (workload == "diary") {
      CheckDiary(key, ops, problems);
    } else {
      problems.Violation("unknown workload '" + workload + "' (" + Describe(*ops.front()) + ")");
    }
  }
  return summary;
}

std::string FormatSummary(const CheckSummary& s) {
  std::string out = "operations " + std::to_string(s.operations) + ", acknowledged " +
                    std::to_string(s.acknowledged) + ", failed " + std::to_string(s.failed) +
                    ", indeterminate " + std::to_string(s.indeterminate) + ", lost " +
                    std::to_string(s.lost) + ", invariant violations " +
                    std::to_string(s.violations) + "\n";
  for (const std::string& problem : s.problems) out += "  - " + problem + "\n";
  const size_t shown = s.problems.size();
  if (s.lost + s.violations > shown && shown > 0) {
    out += "  (the first " + std::to_string(shown) + " problems)\n";
  }
  return out;
}

}  // namespace optimystic::faults
