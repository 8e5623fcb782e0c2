// SPDX-License-Identifier: Apache-2.0
// ClientService: serves the client messages of the wire protocol (docs/protocol.md, "Client
// messages") on a MessageDispatcher: collection.act, collection.query, collection.verify,
// node.status and transaction, each answered by its ".ok" reply from a Database (database.h); a
// transaction of which nothing committed is an error, a partial landing a transaction.ok with
// success false. It decodes each payload itself, so a request the dispatcher accepted but whose
// payload is wrong becomes an error reply naming the message and the member, never a call into
// the Database; the Database's own errors reach the client unchanged (code and message).
// Thread-safety: immutable after construction; Handle runs on many threads at once, so the
// Database must allow concurrent calls (its contract says it does).
// Errors: RegisterWith returns the dispatcher's InvalidArgument when a type already has a
// handler; Handle returns InvalidArgument for a bad payload and the Database's errors.
#pragma once

#include <optimystic/base/result.h>

#include <functional>
#include <string>

#include "cluster/wire/message_dispatcher.h"
#include "runtime/services/database.h"

namespace optimystic::runtime::services {

class ClientService final : public cluster::wire::MessageHandler {
 public:
  // What node.status reports as "cluster" (cluster/membership/cluster_view.h); asked at each
  // status request, from any thread.
  using ClusterDescriber = std::function<block::Value()>;

  // `peer_id` and `node_version` are what node.status reports about this node; without a
  // `describe_cluster`, its "cluster" is null.
  // OWNERSHIP: `database` must outlive the service.
  ClientService(Database& database, std::string peer_id, std::string node_version,
                ClusterDescriber describe_cluster = nullptr);

  // Registers this service for every client request type on `dispatcher`.
  // OWNERSHIP: the service must outlive `dispatcher`.
  Status RegisterWith(cluster::wire::MessageDispatcher& dispatcher) noexcept;

  Result<cluster::wire::Reply> Handle(const cluster::wire::Envelope& request) noexcept override;

 private:
  Result<cluster::wire::Reply> Act(const block::Value& payload);
  Result<cluster::wire::Reply> Query(const block::Value& payload);
  Result<cluster::wire::Reply> Verify(const block::Value& payload);
  Result<cluster::wire::Reply> Describe(const block::Value& payload);
  Result<cluster::wire::Reply> Transact(const block::Value& payload);

  Database& database_;
  std::string peer_id_;
  std::string node_version_;
  ClusterDescriber describe_cluster_;
};

}  // namespace optimystic::runtime::services
