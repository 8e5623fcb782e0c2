// SPDX-License-Identifier: Apache-2.0
// Transaction identity (SPEC.md §6.8): the TransactionStamp (who, when, which engine, until
// when, a nonce) and the Transaction (a stamp, the statements, the reads), each named by a
// content hash, and the v1 operations hash over every collection's transforms. The ids hash the
// project's canonical encoding (block::ContentHash: SHA-256 of the canonical CBOR, map keys
// sorted), not the reference's JSON with a fixed key order (SPEC.md §10 pitfall 29), and write
// the hash in base32 like every hash text here (SPEC.md "Deliberate differences"; the
// reference writes base64url): the same precedent as the log's PriorHashOf. The stamp nonce is
// 16 random bytes in base32 (the reference: base64url), like the collections' action ids.
// The reads of a transaction id keep their given order (the reference's rule; the operations
// hash sorts its operations). Priority is fairness only: it is in no id and no hash.
// Thread-safety: value types and pure functions; CreateStamp uses the clock and random source
// it is given.
// Errors: none; OpsHashVersion returns nullopt for a token it does not recognize.
#pragma once

#include <optimystic/base/random_source.h>
#include <optimystic/block/transform.h>
#include <optimystic/block/value.h>
#include <optimystic/time/clock.h>
#include <optimystic/transactor/transactor_types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::core::transaction {

// Appendix A.
inline constexpr int64_t kTransactionTtlMs = 30000;
inline constexpr uint32_t kMaxPriority = 8;
inline constexpr size_t kStampNonceBytes = 16;
inline constexpr std::string_view kOpsHashVersion = "v1";
inline constexpr std::string_view kOpsHashPrefix = "ops.v1:";
inline constexpr std::string_view kStampIdPrefix = "stamp:";
inline constexpr std::string_view kTransactionIdPrefix = "tx:";

struct TransactionStamp {
  std::string peer_id;
  int64_t timestamp_ms = 0;
  std::string schema_hash;
  std::string engine_id;
  int64_t expiration_ms = 0;  // timestamp_ms + ttl
  std::string nonce;
  std::string id;  // StampId of the fields above
  bool operator==(const TransactionStamp&) const = default;
};

struct StampOptions {
  std::string peer_id = "local";
  std::string schema_hash;  // the SQL engines' schema; the actions engine has none
  std::string engine_id;
  int64_t ttl_ms = kTransactionTtlMs;
};

// "stamp:" + ContentHash({peerId, timestamp, schemaHash, engineId, expiration, nonce}).
std::string StampId(const TransactionStamp& stamp);
// A stamp at the clock's wall time with a fresh nonce and its id.
TransactionStamp CreateStamp(const StampOptions& options, const time::Clock& clock,
                             base::RandomSource& random);
// Expired once the wall clock is past the expiration.
inline bool IsExpired(const TransactionStamp& stamp, int64_t now_unix_ms) {
  return now_unix_ms > stamp.expiration_ms;
}

struct Transaction {
  TransactionStamp stamp;
  std::vector<std::string> statements;
  std::vector<transactor::ReadDependency> reads;
  std::string id;  // TransactionId(stamp.id, statements, reads)
  std::optional<std::string> signature;
  uint32_t priority = 0;  // aged retry counter, [0, kMaxPriority]
  bool operator==(const Transaction&) const = default;
};

// "tx:" + ContentHash({stampId, statements, reads: [{blockId, revision}...]}), reads in the
// given order.
std::string TransactionId(const std::string& stamp_id, const std::vector<std::string>& statements,
                          const std::vector<transactor::ReadDependency>& reads);
// A transaction with its id computed, priority 0, no signature.
Transaction MakeTransaction(TransactionStamp stamp, std::vector<std::string> statements,
                            std::vector<transactor::ReadDependency> reads);
// clamp(n, 0, kMaxPriority).
uint32_t ClampPriority(int64_t n);

// The value a pend carries for validation: {stamp: {peerId, timestamp, schemaHash, engineId,
// expiration, nonce, id}, statements, reads: [{blockId, revision}], id, signature?, priority?}.
block::Value TransactionToValue(const Transaction& transaction);

// One collection's staged transforms, as the operations hash reads them.
struct CollectionTransforms {
  std::string collection_id;
  block::Transforms transforms;
};

// SPEC.md §6.8 operations hash v1, steps 1–2: {type: "insert", collectionId, blockId, block},
// {type: "update", collectionId, blockId, operations} and {type: "delete", collectionId,
// blockId} for every transform, sorted by (collectionId, blockId), then insert < update <
// delete. The order of `all` and of each delete list does not matter.
block::Value CollectOperations(const std::vector<CollectionTransforms>& all);
// "ops.v1:" + ContentHash(CollectOperations(all)).
std::string HashOperations(const std::vector<CollectionTransforms>& all);
// The version of an operations-hash token "ops.<v>:<hash>" (e.g. "v1"); nullopt for anything
// else (the legacy "ops:", an empty version, no colon, garbage).
std::optional<std::string> OpsHashVersion(std::string_view token);

}  // namespace optimystic::core::transaction
