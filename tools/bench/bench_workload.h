// SPDX-License-Identifier: Apache-2.0
// The data the benchmarks write: blocks of a fixed shape with about 200 bytes of payload, and a
// stream of 10-block transactions over them. The first transactions insert new blocks until the
// pool is full; every later one updates 10 existing blocks round-robin (a new payload and a
// counter). The stream keeps the current content of every block, so that a raw baseline can
// write the very bytes (EncodeBlock) that the repository materializes for the same transaction.
// Ids and payloads come from a seeded generator, so every run writes the same data.
// Thread-safety: a Workload is used by one thread. Errors: none.
#pragma once

#include <optimystic/block/block.h>
#include <optimystic/block/transform.h>
#include <optimystic/block/value.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::bench {

inline constexpr size_t kBlocksPerTransaction = 10;
inline constexpr size_t kPayloadBytes = 200;

// One transaction of the stream.
struct Transaction {
  uint64_t rev = 0;                       // 1, 2, 3, ...: the collection revision it commits at
  std::string action_id;                  // unique per transaction
  bool inserts = false;                   // inserts new blocks (else updates existing ones)
  std::vector<block::BlockId> block_ids;  // sorted
  block::Transforms transforms;           // what the repository pends and commits
  // The content of each touched block after the transaction, in block_ids order.
  std::vector<const block::Value*> blocks;
};

class Workload {
 public:
  // `pool_blocks` is rounded up to a multiple of kBlocksPerTransaction.
  explicit Workload(size_t pool_blocks, uint64_t seed = 42);

  // The next transaction. The returned reference and its block pointers stay valid until the
  // next call.
  const Transaction& Next();

  // The current content of every block inserted so far, by id.
  const std::map<block::BlockId, block::Value>& blocks() const { return blocks_; }

 private:
  std::string RandomChars(size_t n, std::string_view alphabet);
  void NextInsert();
  void NextUpdate();

  const size_t pool_blocks_;
  std::mt19937_64 random_;
  std::vector<std::string> payloads_;  // a fixed set, so no generator runs inside a benchmark
  std::vector<block::BlockId> order_;  // insertion order: the round-robin of updates
  std::map<block::BlockId, block::Value> blocks_;
  size_t next_update_ = 0;
  uint64_t counter_ = 0;
  Transaction current_;
};

// A block {header: {id, type "TL", collectionId "bench"}, n, payload}.
block::Value BenchBlock(const block::BlockId& id, int64_t n, const std::string& payload);

}  // namespace optimystic::bench
