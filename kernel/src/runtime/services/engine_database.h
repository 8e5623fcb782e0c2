// SPDX-License-Identifier: Apache-2.0
// EngineDatabase: the node's Database (database.h): one collection engine (core Collection) per
// open collection over the node's transactor. Collection types come from a name -> type map (the
// loaded collection plugins), resolvers from a lookup by (type, collection) that the runtime's
// conflict registry answers. Act runs the collection's ActAndSync (act, update and sync under the
// collection latch, so one call's actions commit together or not at all); Query updates first;
// Verify walks the log's hash chain; Describe lists what is open and what types exist. An engine
// whose collection never committed (an invented collection whose first sync failed) is dropped
// again, so a failed create leaves nothing behind.
// Thread-safety: every method may be called from any thread at once; calls on one collection
// serialize on its latch, calls on different collections run in parallel.
// Errors: as database.h; in particular NotFound "collection <name> not found", NotFound
// "unknown collection type <t>", InvalidArgument "collection <name> is a <t>, not a <u>",
// InvalidArgument "invalid collection name: ..." and the engine's Aborted errors (collection.h).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/conflict/conflict_resolver.h>
#include <optimystic/transactor/transactor.h>

#include "core/collection/collection.h"
#include "runtime/services/database.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace optimystic::runtime::services {

// The resolver for collection `collection` of type `type` (YAML: per type, overridden per
// collection). A null resolver means "replay". An error fails the call that needed it.
using ResolverLookup = std::function<Result<const conflict::ConflictResolver*>(
    std::string_view type, std::string_view collection)>;

using CollectionTypeMap = std::map<std::string, const collections::CollectionType*, std::less<>>;

class EngineDatabase final : public Database {
 public:
  // OWNERSHIP: `transactor`, every type, every resolver the lookup returns and the pointers in
  // `services` must outlive the database.
  EngineDatabase(transactor::Transactor& transactor, CollectionTypeMap types,
                 ResolverLookup resolvers, core::collection::CollectionServices services,
                 core::collection::SyncOptions sync = {});
  ~EngineDatabase() override;

  Result<ActOutcome> Act(std::string_view name, std::string_view type,
                         std::vector<collections::Action> actions, bool create) override;
  Result<block::Value> Query(std::string_view name, std::string_view type, std::string_view query,
                             const block::Value& args) override;
  // {"ok": bool, "collection", "entries": n, "blocks": n, "error"?: "<first broken link>"}.
  Result<block::Value> Verify(std::string_view name) override;
  // {"collections": [{"name", "type", "resolver", "revision"}], "types": [{"name",
  // "header_block_type", "default_resolver", "queries"}]}.
  Result<block::Value> Describe() override;

 private:
  using Engine = std::shared_ptr<core::collection::Collection>;

  Result<const collections::CollectionType*> TypeNamed(std::string_view type) const;
  // The type whose header block type is `code`, or null.
  const collections::CollectionType* TypeOfHeader(std::string_view code) const;
  // The engine of `name` (opened, or made when `create`); null when absent and not `create`.
  Result<Engine> EngineFor(std::string_view name, const collections::CollectionType* type,
                           bool create);
  Status CheckType(const Engine& engine, std::string_view name, std::string_view type) const;
  // Drops `engine` from the open set unless it holds a committed revision.
  void ForgetIfUncommitted(std::string_view name, const Engine& engine);

  transactor::Transactor& transactor_;
  const CollectionTypeMap types_;
  const ResolverLookup resolvers_;
  const core::collection::CollectionServices services_;
  const core::collection::SyncOptions sync_;
  std::mutex mutex_;  // guards engines_
  std::map<std::string, Engine, std::less<>> engines_;
};

// OK when `name` may name a collection: 1 to 255 bytes, no control characters.
Status ValidateCollectionName(std::string_view name);

}  // namespace optimystic::runtime::services
