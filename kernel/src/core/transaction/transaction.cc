// SPDX-License-Identifier: Apache-2.0
#include "core/transaction/transaction.h"

#include <optimystic/base/base32.h>
#include <optimystic/block/codec.h>

#include <algorithm>
#include <tuple>
#include <utility>

namespace optimystic::core::transaction {

using block::Value;

namespace {

Value StampFieldsToValue(const TransactionStamp& stamp) {
  return Value{{"peerId", stamp.peer_id},           {"timestamp", stamp.timestamp_ms},
               {"schemaHash", stamp.schema_hash},   {"engineId", stamp.engine_id},
               {"expiration", stamp.expiration_ms}, {"nonce", stamp.nonce}};
}

Value ReadsToValue(const std::vector<transactor::ReadDependency>& reads) {
  Value out = Value::array();
  for (const transactor::ReadDependency& read : reads) {
    out.push_back(Value{{"blockId", read.block_id}, {"revision", read.revision}});
  }
  return out;
}

struct Operation {
  std::string collection_id;
  std::string block_id;
  int rank = 0;  // insert < update < delete
  Value value;
};

}  // namespace

std::string StampId(const TransactionStamp& stamp) {
  return std::string(kStampIdPrefix) + block::ContentHash(StampFieldsToValue(stamp));
}

TransactionStamp CreateStamp(const StampOptions& options, const time::Clock& clock,
                             base::RandomSource& random) {
  TransactionStamp stamp;
  stamp.peer_id = options.peer_id;
  stamp.timestamp_ms = clock.NowUnixMs();
  stamp.schema_hash = options.schema_hash;
  stamp.engine_id = options.engine_id;
  stamp.expiration_ms = stamp.timestamp_ms + options.ttl_ms;
  std::string bytes(kStampNonceBytes, '\0');
  random.Fill(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size());
  stamp.nonce = base::Base32Encode(bytes);
  stamp.id = StampId(stamp);
  return stamp;
}

std::string TransactionId(const std::string& stamp_id, const std::vector<std::string>& statements,
                          const std::vector<transactor::ReadDependency>& reads) {
  const Value fields{
      {"stampId", stamp_id}, {"statements", statements}, {"reads", ReadsToValue(reads)}};
  return std::string(kTransactionIdPrefix) + block::ContentHash(fields);
}

Transaction MakeTransaction(TransactionStamp stamp, std::vector<std::string> statements,
                            std::vector<transactor::ReadDependency> reads) {
  Transaction tx;
  tx.id = TransactionId(stamp.id, statements, reads);
  tx.stamp = std::move(stamp);
  tx.statements = std::move(statements);
  tx.reads = std::move(reads);
  return tx;
}

uint32_t ClampPriority(int64_t n) {
  return static_cast<uint32_t>(std::clamp<int64_t>(n, 0, kMaxPriority));
}

Value TransactionToValue(const Transaction& transaction) {
  Value stamp = StampFieldsToValue(transaction.stamp);
  stamp["id"] = transaction.stamp.id;
  Value out{{"stamp", std::move(stamp)},
            {"statements", transaction.statements},
            {"reads", ReadsToValue(transaction.reads)},
            {"id", transaction.id}};
  if (transaction.signature.has_value()) {
    out["signature"] = *transaction.signature;
  }
  if (transaction.priority > 0) {
    out["priority"] = transaction.priority;
  }
  return out;
}

Value CollectOperations(const std::vector<CollectionTransforms>& all) {
  std::vector<Operation> ops;
  for (const CollectionTransforms& c : all) {
    for (const auto& [id, block] : c.transforms.inserts) {
      ops.push_back({c.collection_id, id, 0,
                     Value{{"type", "insert"},
                           {"collectionId", c.collection_id},
                           {"blockId", id},
                           {"block", block}}});
    }
    for (const auto& [id, updates] : c.transforms.updates) {
      Value operations = Value::array();
      for (const block::BlockOperation& op : updates) {
        operations.push_back(block::OperationToValue(op));
      }
      ops.push_back({c.collection_id, id, 1,
                     Value{{"type", "update"},
                           {"collectionId", c.collection_id},
                           {"blockId", id},
                           {"operations", std::move(operations)}}});
    }
    for (const block::BlockId& id : c.transforms.deletes) {
      ops.push_back(
          {c.collection_id, id, 2,
           Value{{"type", "delete"}, {"collectionId", c.collection_id}, {"blockId", id}}});
    }
  }
  std::stable_sort(ops.begin(), ops.end(), [](const Operation& a, const Operation& b) {
    return std::tie(a.collection_id, a.block_id, a.rank) <
           std::tie(b.collection_id, b.block_id, b.rank);
  });
  Value out = Value::array();
  for (Operation& op : ops) {
    out.push_back(std::move(op.value));
  }
  return out;
}

std::string HashOperations(const std::vector<CollectionTransforms>& all) {
  return std::string(kOpsHashPrefix) + block::ContentHash(CollectOperations(all));
}

std::optional<std::string> OpsHashVersion(std::string_view token) {
  constexpr std::string_view kPrefix = "ops.";
  if (token.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  const std::string_view rest = token.substr(kPrefix.size());
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return std::nullopt;
  }
  const std::string_view version = rest.substr(0, colon);
  for (char c : version) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum) {
      return std::nullopt;
    }
  }
  return std::string(version);
}

}  // namespace optimystic::core::transaction
