// SPDX-License-Identifier: Apache-2.0
// Client: the C++ client library (DESIGN.md §8). It talks to one node over any Transport with
// the client messages of the wire protocol (docs/protocol.md): act on a collection, query it,
// verify its log, run a multi-collection transaction, and ask the node's status. Each call sends
// one request, waits for its reply (or the request deadline) and returns the result. The library
// lives in the optimystic_client target, not in the SDK's core library, which does no I/O.
// Thread-safety: every method may be called from any number of threads at once; each call
// blocks its thread until the reply, an error or the deadline.
// Errors: a node's refusal comes back with the node's code and message unchanged (e.g.
// NotFound "collection users not found", Aborted for a rejected conflict). A node that could
// not be reached or did not answer by the deadline is Unavailable or TimedOut with a message
// starting "cannot reach <url>: " (IsUnreachable tells them apart from a node's own errors).
// A request too large to send is InvalidArgument; a reply that is not a valid answer is
// Corruption or Internal.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/block/value.h>
#include <optimystic/collections/action.h>
#include <optimystic/time/clock.h>
#include <optimystic/transport/transport.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace optimystic::client {

struct ClientOptions {
  // Each request's deadline, from when it is sent; the node refuses a request whose deadline
  // has passed, and the transport gives up waiting at it. REQUIRES: > 0.
  int64_t request_timeout_ms = 10'000;
  // The largest request the client sends (the wire protocol's limit by default).
  size_t max_request_bytes = size_t{16} << 20;
  // Where deadlines are read from; nullptr for the system clock.
  // OWNERSHIP: must outlive the client.
  const time::Clock* clock = nullptr;
};

// Whether Act creates a collection that does not exist yet.
enum class CreateMode : uint8_t {
  kOpenExisting = 0,    // an absent collection is NotFound
  kCreateIfAbsent = 1,  // an absent collection is created with the given type
};

struct ActResult {
  uint64_t revision = 0;  // the collection's committed revision after the act
};

// A transaction of which at least one collection committed (docs/transactions.md).
struct TransactResult {
  bool success = false;                // every collection's part committed
  std::string transaction_id;          // "tx:<base32>"
  std::vector<std::string> committed;  // collections that hold the transaction, sorted
  std::vector<std::string> failed;     // collections that do not (a partial landing)
  optimystic::Status error;            // OK on success; else why `failed` failed
};

struct NodeStatus {
  std::string peer_id;
  std::string node_version;
  uint32_t protocol_version = 0;
  block::Value database;  // the node's collections, types and resolvers, as it describes them
  block::Value cluster;   // its cluster: replication, seeds, members with state and ring share
};

class Client final {
 public:
  // `node_url` is where the node listens, e.g. tcp://127.0.0.1:7400.
  // OWNERSHIP: `transport` must outlive the client.
  Client(transport::Transport& transport, std::string node_url, ClientOptions options = {});

  // Acts `actions` on collection `collection` of type `type` and commits them together.
  Result<ActResult> Act(std::string_view collection, std::string_view type,
                        std::vector<collections::Action> actions, CreateMode create) noexcept;
  // Runs query `query` (e.g. "range") of the collection's type with `args`.
  Result<block::Value> Query(std::string_view collection, std::string_view type,
                             std::string_view query, const block::Value& args) noexcept;
  // The node's check of the collection's log chain; the report names the first broken link.
  Result<block::Value> Verify(std::string_view collection) noexcept;
  // Runs `statements` (each the JSON text of {collectionId, actions}) as one transaction.
  // An error means nothing committed; a result with success false is a partial landing, which
  // must not be resent as it is (its committed part would apply twice).
  Result<TransactResult> Transact(std::vector<std::string> statements) noexcept;
  // What the node runs and holds.
  Result<NodeStatus> Status() noexcept;
  // Asks the node to hand its ranges on and leave its cluster (docs/operations.md "Joining and
  // leaving"); it answers at once with its role ("leaving", or "left" when it already has) and
  // stops once it has left.
  Result<std::string> Leave() noexcept;

  const std::string& node_url() const noexcept { return node_url_; }

 private:
  Result<block::Value> Call(uint8_t type, block::Value payload, uint8_t reply_type) noexcept;

  transport::Transport& transport_;
  std::string node_url_;
  ClientOptions options_;
  std::atomic<uint64_t> next_request_id_{1};
};

// Whether `error`, returned by a Client method, means the node could not be reached or did not
// answer by the deadline (as opposed to an answer from the node).
bool IsUnreachable(const optimystic::Status& error) noexcept;

}  // namespace optimystic::client
