// SPDX-License-Identifier: Apache-2.0
// What the crash worker writes and the crash test checks, in one place: transaction n inserts
// the blocks "<n>-a" and "<n>-b" (v = n) and sets the shared block "counter" to v = n (inserting
// it when n is 1), as action "txn-<n>" at collection rev n. Also opens the engine under test.
// Thread-safety: pure functions. Errors: engine open failures as Status.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/block.h>
#include <optimystic/block/operation.h>
#include <optimystic/block/transform.h>
#include <optimystic/logging/logger.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transactor/transactor_types.h>

#include "storage/file/file_storage_engine.h"
#include "storage/rocksdb/rocksdb_storage_engine.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace optimystic::test::crash {

inline constexpr std::string_view kCounter = "counter";

inline std::string BlockA(uint64_t n) { return std::to_string(n) + "-a"; }
inline std::string BlockB(uint64_t n) { return std::to_string(n) + "-b"; }
inline std::string ActionFor(uint64_t n) { return "txn-" + std::to_string(n); }

inline block::Value TxnBlock(const std::string& id, uint64_t n) {
  block::Value b = block::MakeBlock(block::BlockHeader{id, "TL", "crash"});
  b["v"] = n;
  return b;
}

inline block::Transforms TxnTransforms(uint64_t n) {
  block::Transforms t;
  t.inserts.emplace(BlockA(n), TxnBlock(BlockA(n), n));
  t.inserts.emplace(BlockB(n), TxnBlock(BlockB(n), n));
  if (n == 1) {
    t.inserts.emplace(std::string(kCounter), TxnBlock(std::string(kCounter), n));
  } else {
    t.updates[std::string(kCounter)].push_back(block::BlockOperation::Assign("v", n));
  }
  return t;
}

// "file" or "rocksdb", with sync on, at `dir`.
inline Result<std::unique_ptr<storage::StorageEngine>> OpenEngine(std::string_view kind,
                                                                  const std::string& dir,
                                                                  logging::Logger& logger) {
  if (kind == "file") {
    plugins::storage_file::FileStorageOptions options;
    options.path = dir;
    options.sync = true;
    OPTIMYSTIC_ASSIGN_OR_RETURN(auto engine,
                                plugins::storage_file::FileStorageEngine::Open(options, logger));
    return std::unique_ptr<storage::StorageEngine>(std::move(engine));
  }
  if (kind == "rocksdb") {
    plugins::storage_rocksdb::RocksDbOptions options;
    options.path = dir;
    options.sync = true;
    OPTIMYSTIC_ASSIGN_OR_RETURN(auto engine,
                                plugins::storage_rocksdb::RocksDbStorageEngine::Open(options));
    return std::unique_ptr<storage::StorageEngine>(std::move(engine));
  }
  return Status::InvalidArgument("unknown engine " + std::string(kind));
}

}  // namespace optimystic::test::crash
