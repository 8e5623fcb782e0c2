// SPDX-License-Identifier: Apache-2.0
// Database: what the client service asks of a node's collections, by collection name. The
// node's implementation (EngineDatabase) keeps one collection engine per open collection over
// the node's transactor, with its type from the collection-type registry and its resolver from
// the conflict registry; tests use fakes. A collection's id is its name.
// Thread-safety: every method may be called from any thread at once.
// Errors (codes are what the client sees): NotFound "collection <name> not found" (Query, Verify
// or Act with create=false on an absent collection) and "unknown collection type <t>";
// InvalidArgument for a bad name, a type that does not match the existing collection
// ("collection users is a tree, not a diary"), an invalid action or query arguments; Aborted
// for an action a resolver rejected or a sync that exhausted its retries; storage faults as
// they come.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/block/value.h>
#include <optimystic/collections/action.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::runtime::services {

struct ActOutcome {
  uint64_t revision = 0;  // the collection's committed revision after the sync
};

// What a transaction (Database::Transact) came to when at least one collection's part
// committed.
struct TransactOutcome {
  bool success = false;                // every part committed
  std::string transaction_id;          // "tx:<base32>", the actionId of every part's log entry
  std::vector<std::string> committed;  // collections whose part committed, sorted
  std::vector<std::string> failed;     // collections whose part did not (a partial landing)
  Status error;                        // OK on success; else why the failed parts failed
};

class Database {
 public:
  virtual ~Database() = default;
  // Acts `actions` on collection `name` of `type` and syncs them (updateAndSync), creating the
  // collection when it is absent and `create` is set. All actions of one call commit together.
  virtual Result<ActOutcome> Act(std::string_view name, std::string_view type,
                                 std::vector<collections::Action> actions, bool create) = 0;
  // Runs query `query` of the collection's type after pulling remote changes (update).
  virtual Result<block::Value> Query(std::string_view name, std::string_view type,
                                     std::string_view query, const block::Value& args) = 0;
  // Checks the collection's log hash chain; the report names the first broken link.
  virtual Result<block::Value> Verify(std::string_view name) = 0;
  // Open collections and their revisions, collection types and resolvers.
  virtual Result<block::Value> Describe() = 0;
  // Runs `statements` as one multi-collection transaction (SPEC.md §6.8, docs/transactions.md):
  // each statement is the JSON text of {collectionId, actions: [...]} for an existing
  // collection. An error means nothing committed: InvalidArgument "statement <i>: ..." or
  // "transaction has no statements", NotFound "Collection not found: <id>", an action's error,
  // TimedOut "Transaction expired at <ms>", Aborted "Transaction <id> lost <n> times: ..." after
  // the retries. A value with success false is a partial landing (some collections committed,
  // `failed` did not; error Aborted "Transaction partially committed: ..."): it is never retried,
  // since retrying would apply the committed part twice.
  virtual Result<TransactOutcome> Transact(std::vector<std::string> statements) = 0;
};

}  // namespace optimystic::runtime::services
