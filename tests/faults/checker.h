// SPDX-License-Identifier: Apache-2.0
// The fault suite's checker (issue 8): what a history (history.h) must satisfy, per workload.
// - register: each key's operations are linearizable as a read/write register starting absent
//   (null). Wing & Gong's search with Lowe's memo: an operation may take effect at one instant
//   between its invoke and its completion; an indeterminate write may take effect after its
//   invoke or never; failed operations and indeterminate reads did not happen.
// - counter: each ok read lies between the acknowledged adds completed before it was invoked and
//   every add (acknowledged or indeterminate) invoked before it completed, and below no read
//   that ended before it began; the last read is the final value: an acknowledged add it lacks
//   is lost (counted by the amount short).
// - bank: each ok read of all accounts (taken with no transfer in flight) sums to the total
//   (the one given, or the first read's), moved by the legs of partial landings (a transaction's
//   collections commit one by one, docs/transactions.md) and within what indeterminate transfers'
//   legs allow.
// - diary: each ok read has no entry twice and none that was never appended, and is a prefix of
//   the longest read (one order for all readers); a read lacks no append acknowledged before it
//   was invoked; the longest read is the final state: an acknowledged append it lacks is lost.
// Thread-safety: plain functions over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faults/history.h"

namespace optimystic::faults {

struct CheckOptions {
  std::optional<int64_t> bank_total;  // unset: the first ok read's sum
  size_t max_problems = 20;           // problems listed at most (all are counted)
};

struct CheckSummary {
  size_t operations = 0;
  size_t acknowledged = 0;   // ok
  size_t failed = 0;         // fail
  size_t indeterminate = 0;  // info, or never completed
  size_t lost = 0;           // acknowledged writes missing from the final state
  size_t violations = 0;     // invariant or linearizability violations
  std::vector<std::string> problems;  // the first max_problems, each naming the operation
  bool ok() const noexcept { return lost == 0 && violations == 0; }
};

CheckSummary CheckHistory(const std::vector<Operation>& operations, const CheckOptions& options = {});

// The summary as the suite prints it: one line of counts, then one line per problem.
std::string FormatSummary(const CheckSummary& summary);

// Whether the register operations of one key (workload "register") are linearizable; on false,
// `why` says where the search got stuck.
bool RegisterLinearizable(const std::vector<Operation>& operations, std::string* why = nullptr);

}  // namespace optimystic::faults
