// SPDX-License-Identifier: Apache-2.0
// FakeCollectionReader: a CollectionReader for testing collection types without the collection
// engine. It reads blocks from a store the test owns and serves a log the test writes as a list
// of entries (each a list of actions), selected as SPEC.md §5.6 selectLog does: forward is the
// entries oldest first, backward is the entries newest first with each entry's actions
// reversed; `limit` 0 means all.
// Thread-safety: none; use from one thread. Errors: none; SelectLog always succeeds.
#pragma once

#include <optimystic/collections/action.h>
#include <optimystic/collections/collection_type.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace optimystic::test {

class FakeCollectionReader final : public collections::CollectionReader {
 public:
  // OWNERSHIP: `blocks` must outlive the reader.
  FakeCollectionReader(block::BlockSource& blocks, block::BlockId id)
      : blocks_(blocks), id_(std::move(id)) {}

  const block::BlockId& collection_id() const noexcept override { return id_; }
  uint64_t revision() const noexcept override { return entries_.size(); }
  block::BlockSource& blocks() noexcept override { return blocks_; }
  Result<std::vector<collections::Action>> SelectLog(bool forward, size_t limit) override {
    std::vector<collections::Action> out;
    auto add = [&](const collections::Action& a) {
      if (limit == 0 || out.size() < limit) out.push_back(a);
    };
    if (forward) {
      for (const auto& entry : entries_) {
        for (const auto& action : entry) add(action);
      }
    } else {
      for (auto e = entries_.rbegin(); e != entries_.rend(); ++e) {
        for (auto a = e->rbegin(); a != e->rend(); ++a) add(*a);
      }
    }
    return out;
  }

  // Appends one committed log entry holding `actions`.
  void AddEntry(std::vector<collections::Action> actions) {
    entries_.push_back(std::move(actions));
  }

 private:
  block::BlockSource& blocks_;
  block::BlockId id_;
  std::vector<std::vector<collections::Action>> entries_;
};

}  // namespace optimystic::test
