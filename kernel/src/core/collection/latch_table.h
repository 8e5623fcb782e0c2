// SPDX-License-Identifier: Apache-2.0
// LatchTable: named mutexes shared by everything in a process that must serialize on the same
// name (SPEC.md §5.6, §10.33). Collections take the latch "Collection:<id>", so that two
// instances of one collection in one process serialize against each other. The table is an
// ordinary object (no process global): the composition root owns one per process and hands it
// to every collection; tests make their own. Entries live as long as the table (one per name
// ever asked for, which is bounded by the collections a node opens).
// Thread-safety: every method may be called concurrently.
// Errors: none.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace optimystic::core::collection {

class LatchTable final {
 public:
  // The mutex named `key`, made on first use. The same key always yields the same mutex.
  std::shared_ptr<std::mutex> Latch(std::string_view key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = latches_.find(key);
    if (it == latches_.end()) {
      it = latches_.emplace(std::string(key), std::make_shared<std::mutex>()).first;
    }
    return it->second;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<std::mutex>, std::less<>> latches_;
};

}  // namespace optimystic::core::collection
