// SPDX-License-Identifier: Apache-2.0
#include "runtime/services/engine_database.h"

#include <optimystic/block/tracker.h>
#include <optimystic/chain/chain_format.h>
#include <optimystic/log/log.h>

#include "core/collection/transactor_source.h"

#include <set>
#include <utility>

namespace optimystic::runtime::services {

using block::Value;
using core::collection::Collection;

namespace {

constexpr size_t kMaxCollectionNameBytes = 255;

Status NotFoundCollection(std::string_view name) {
  return Status::NotFound("collection " + std::string(name) + " not found");
}

// Counts the log's data blocks by following nextId from the header's headId.
Result<uint64_t> CountLogBlocks(block::BlockSource& blocks, const Value& header) {
  auto head = header.find(chain::kHeadIdMember);
  if (head == header.end() || !head->is_string()) {
    return uint64_t{0};
  }
  std::set<block::BlockId> seen;
  block::BlockId id = head->get<std::string>();
  while (seen.insert(id).second) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value data, block::GetBlock(blocks, id));
    auto next = data.find(chain::kNextIdMember);
    if (next == data.end() || !next->is_string()) {
      break;
    }
    id = next->get<std::string>();
  }
  return static_cast<uint64_t>(seen.size());
}

}  // namespace

Status ValidateCollectionName(std::string_view name) {
  if (name.empty()) {
    return Status::InvalidArgument("invalid collection name: empty");
  }
  if (name.size() > kMaxCollectionNameBytes) {
    return Status::InvalidArgument("invalid collection name: longer than " +
                                   std::to_string(kMaxCollectionNameBytes) + " bytes");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("invalid collection name: control character");
    }
  }
  return Status::Ok();
}

EngineDatabase::EngineDatabase(transactor::Transactor& transactor, CollectionTypeMap types,
                               ResolverLookup resolvers,
                               core::collection::CollectionServices services,
                               core::collection::SyncOptions sync)
    : transactor_(transactor),
      types_(std::move(types)),
      resolvers_(std::move(resolvers)),
      services_(std::move(services)),
      sync_(sync) {}

EngineDatabase::~EngineDatabase() = default;

Result<const collections::CollectionType*> EngineDatabase::TypeNamed(std::string_view type) const {
  auto it = types_.find(type);
  if (it == types_.end() || it->second == nullptr) {
    return Status::NotFound("unknown collection type " + std::string(type));
  }
  return it->second;
}

const collections::CollectionType* EngineDatabase::TypeOfHeader(std::string_view code) const {
  for (const auto& [name, type] : types_) {
    if (type != nullptr && type->header_block_type() == code) {
      return type;
    }
  }
  return nullptr;
}

Result<EngineDatabase::Engine> EngineDatabase::EngineFor(std::string_view name,
                                                         const collections::CollectionType* type,
                                                         bool create) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = engines_.find(name); it != engines_.end()) {
    return it->second;
  }
  const block::BlockId id(name);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> header,
                              core::collection::ProbeHeader(transactor_, id));
  const collections::CollectionType* actual = type;
  if (header.has_value()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader parsed, block::HeaderOf(*header));
    actual = TypeOfHeader(parsed.type);
    if (actual == nullptr) {
      return Status::InvalidArgument("collection " + id + " has header type " + parsed.type +
                                     ", which no loaded collection type makes");
    }
    if (type != nullptr && actual != type) {
      return Status::InvalidArgument("collection " + id + " is a " + std::string(actual->name()) +
                                     ", not a " + std::string(type->name()));
    }
  } else if (!create) {
    return Engine();
  } else if (type == nullptr) {
    return Status::InvalidArgument("creating collection " + id + " needs a collection type");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(const conflict::ConflictResolver* resolver,
                              resolvers_(actual->name(), name));
  Result<std::unique_ptr<Collection>> opened =
      header.has_value() ? Collection::Open(transactor_, *actual, resolver, id, services_)
                         : Collection::CreateOrOpen(transactor_, *actual, resolver, id, services_);
  if (!opened) {
    return opened.error().WithContext("open collection " + id);
  }
  if (*opened == nullptr) {
    // The header vanished between the probe and the open.
    return create ? Status::Aborted("collection " + id + " changed while opening")
                  : NotFoundCollection(name);
  }
  Engine engine(std::move(*opened));
  engines_.emplace(id, engine);
  return engine;
}

Status EngineDatabase::CheckType(const Engine& engine, std::string_view name,
                                 std::string_view type) const {
  if (!type.empty() && engine->type().name() != type) {
    return Status::InvalidArgument("collection " + std::string(name) + " is a " +
                                   std::string(engine->type().name()) + ", not a " +
                                   std::string(type));
  }
  return Status::Ok();
}

void EngineDatabase::ForgetIfUncommitted(std::string_view name, const Engine& engine) {
  if (engine->revision() != 0) {
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = engines_.find(name); it != engines_.end() && it->second == engine) {
    engines_.erase(it);
  }
}

Result<ActOutcome> EngineDatabase::Act(std::string_view name, std::string_view type,
                                       std::vector<collections::Action> actions, bool create) {
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateCollectionName(name));
  const collections::CollectionType* wanted = nullptr;
  if (!type.empty()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(wanted, TypeNamed(type));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(Engine engine, EngineFor(name, wanted, create));
  if (engine == nullptr) {
    return NotFoundCollection(name);
  }
  OPTIMYSTIC_RETURN_IF_ERROR(CheckType(engine, name, type));
  Status status = engine->ActAndSync(std::move(actions), sync_);
  if (!status.ok()) {
    ForgetIfUncommitted(name, engine);
    return status;
  }
  return ActOutcome{engine->revision()};
}

Result<Value> EngineDatabase::Query(std::string_view name, std::string_view type,
                                    std::string_view query, const Value& args) {
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateCollectionName(name));
  const collections::CollectionType* wanted = nullptr;
  if (!type.empty()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(wanted, TypeNamed(type));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(Engine engine, EngineFor(name, wanted, /*create=*/false));
  // Revision 0: a collection some other call is creating right now; it does not exist yet.
  if (engine == nullptr || engine->revision() == 0) {
    return NotFoundCollection(name);
  }
  OPTIMYSTIC_RETURN_IF_ERROR(CheckType(engine, name, type));
  OPTIMYSTIC_RETURN_IF_ERROR(engine->Update());
  return engine->Query(query, args);
}

Result<Value> EngineDatabase::Verify(std::string_view name) {
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateCollectionName(name));
  const block::BlockId id(name);
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<Value> header,
                              core::collection::ProbeHeader(transactor_, id));
  if (!header.has_value()) {
    return NotFoundCollection(name);
  }
  // The committed latest, read without the engines' caches: what storage really holds.
  core::collection::TransactorSource source(id, transactor_, *services_.random);
  block::Tracker view(source);
  Value report = Value::object();
  report["collection"] = id;
  Status verified = log::VerifyLog(view, id);
  if (!verified.ok() && verified.code() != StatusCode::kCorruption) {
    return verified.WithContext("verify collection " + id);
  }
  report["ok"] = verified.ok();
  if (!verified.ok()) {
    report["error"] = std::string(verified.message());
  }
  Result<uint64_t> blocks = CountLogBlocks(view, *header);
  report["blocks"] = blocks ? *blocks : 0;
  uint64_t entries = 0;
  if (verified.ok()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::optional<log::Log> opened, log::Log::Open(view, id));
    if (opened.has_value()) {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<log::LogEntry> all, opened->Select());
      entries = all.size();
    }
  }
  report["entries"] = entries;
  return report;
}

Result<Value> EngineDatabase::Describe() {
  Value out = Value::object();
  Value collections = Value::array();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [name, engine] : engines_) {
      if (engine->revision() == 0) {
        continue;  // being created by a call in flight
      }
      collections.push_back({{"name", name},
                             {"type", std::string(engine->type().name())},
                             {"resolver", std::string(engine->resolver_name())},
                             {"revision", engine->revision()}});
    }
  }
  Value types = Value::array();
  for (const auto& [name, type] : types_) {
    if (type == nullptr) {
      continue;
    }
    Value queries = Value::array();
    for (const std::string& query : type->query_names()) {
      queries.push_back(query);
    }
    types.push_back({{"name", name},
                     {"header_block_type", std::string(type->header_block_type())},
                     {"default_resolver", std::string(type->default_resolver())},
                     {"queries", std::move(queries)}});
  }
  out["collections"] = std::move(collections);
  out["types"] = std::move(types);
  return out;
}

}  // namespace optimystic::runtime::services
