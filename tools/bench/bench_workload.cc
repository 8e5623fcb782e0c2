// SPDX-License-Identifier: Apache-2.0
#include "bench_workload.h"

#include <optimystic/block/block_id.h>
#include <optimystic/block/operation.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace optimystic::bench {
namespace {

constexpr std::string_view kBase32 = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kPrintable =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ,.-";
constexpr size_t kDistinctPayloads = 64;

}  // namespace

block::Value BenchBlock(const block::BlockId& id, int64_t n, const std::string& payload) {
  block::Value value = block::MakeBlock(block::BlockHeader{id, "TL", "bench"});
  value["n"] = n;
  value["payload"] = payload;
  return value;
}

Workload::Workload(size_t pool_blocks, uint64_t seed)
    : pool_blocks_((pool_blocks + kBlocksPerTransaction - 1) / kBlocksPerTransaction *
                   kBlocksPerTransaction),
      random_(seed) {
  payloads_.reserve(kDistinctPayloads);
  for (size_t i = 0; i < kDistinctPayloads; ++i) {
    payloads_.push_back(RandomChars(kPayloadBytes, kPrintable));
  }
}

std::string Workload::RandomChars(size_t n, std::string_view alphabet) {
  std::string out(n, ' ');
  for (char& c : out) {
    c = alphabet[random_() % alphabet.size()];
  }
  return out;
}

const Transaction& Workload::Next() {
  ++counter_;
  current_.rev = counter_;
  char action[32];
  std::snprintf(action, sizeof(action), "bench-action-%012llu",
                static_cast<unsigned long long>(counter_));
  current_.action_id = action;
  current_.transforms = block::Transforms{};
  current_.block_ids.clear();
  current_.blocks.clear();
  if (order_.size() < pool_blocks_) {
    NextInsert();
  } else {
    NextUpdate();
  }
  std::sort(current_.block_ids.begin(), current_.block_ids.end());
  for (const block::BlockId& id : current_.block_ids) {
    current_.blocks.push_back(&blocks_.at(id));
  }
  return current_;
}

void Workload::NextInsert() {
  current_.inserts = true;
  for (size_t i = 0; i < kBlocksPerTransaction; ++i) {
    block::BlockId id = RandomChars(block::kBlockIdChars, kBase32);
    block::Value value = BenchBlock(id, static_cast<int64_t>(counter_),
                                    payloads_[order_.size() % kDistinctPayloads]);
    current_.transforms.inserts.emplace(id, value);
    current_.block_ids.push_back(id);
    blocks_.insert_or_assign(id, std::move(value));
    order_.push_back(std::move(id));
  }
}

void Workload::NextUpdate() {
  current_.inserts = false;
  for (size_t i = 0; i < kBlocksPerTransaction; ++i) {
    const block::BlockId& id = order_[next_update_];
    next_update_ = (next_update_ + 1) % order_.size();
    const std::string& payload = payloads_[(counter_ + i) % kDistinctPayloads];
    const int64_t n = static_cast<int64_t>(counter_);
    current_.transforms.updates.emplace(
        id, block::BlockOperations{block::BlockOperation::Assign("n", n),
                                   block::BlockOperation::Assign("payload", payload)});
    current_.block_ids.push_back(id);
    block::Value& value = blocks_.at(id);
    value["n"] = n;
    value["payload"] = payload;
  }
}

}  // namespace optimystic::bench
