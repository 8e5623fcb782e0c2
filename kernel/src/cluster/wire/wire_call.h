// SPDX-License-Identifier: Apache-2.0
// WireCall: one request envelope sent over a Transport and its reply read back, the one way
// clients (optimystic/client) and peers (cluster/network, cluster/membership) talk to a node.
// Start sends and returns at once; Wait blocks until the reply, a transport error or the
// deadline, so that a caller can have many requests in flight and then collect them.
// Thread-safety: a WireCall is used by one thread; any number may run at once.
// Errors: a refusal or a timeout of the transport is Unavailable or TimedOut with a message
// starting "cannot reach <url>: " (IsUnreachable); the node's "error" reply comes back as its
// code and message unchanged; a reply that does not decode, echoes another request id or has an
// unexpected type is Corruption or Internal naming the url; a request over the size limit is
// InvalidArgument naming the message type.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/block/value.h>
#include <optimystic/time/clock.h>
#include <optimystic/transport/transport.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cluster/wire/message_type.h"
#include "cluster/wire/wire_format.h"

namespace optimystic::cluster::wire {

struct CallOptions {
  int64_t timeout_ms = 10'000;  // the request's deadline, from when it is sent. REQUIRES: > 0
  size_t max_request_bytes = format::kMaxEnvelopeBytes;
  std::string sender;                  // this node's peer id; empty for a client
  const time::Clock* clock = nullptr;  // nullptr: the system clock. OWNERSHIP: outlives the call
};

class WireCall final {
 public:
  WireCall();
  ~WireCall();  // waits for the reply if Start succeeded and Wait was not called
  WireCall(const WireCall&) = delete;
  WireCall& operator=(const WireCall&) = delete;
  WireCall(WireCall&&) noexcept;
  WireCall& operator=(WireCall&&) noexcept;

  // Sends `payload` as a `type` request to `url`; the reply is expected to be `reply_type`.
  // OWNERSHIP: `transport` must outlive Wait.
  void Start(transport::Transport& transport, const std::string& url, MessageType type,
             block::Value payload, MessageType reply_type, uint64_t request_id,
             const CallOptions& options) noexcept;
  // The reply's payload, or the error described in the file comment. Call once, after Start.
  Result<block::Value> Wait() noexcept;

 private:
  class Pending;
  std::shared_ptr<Pending> pending_;
  std::string url_;
  MessageType type_ = MessageType::kPing;
  MessageType reply_type_ = MessageType::kPong;
  uint64_t request_id_ = 0;
  std::optional<Status> start_error_;
  bool waited_ = true;
};

// Start and Wait in one.
Result<block::Value> CallAndWait(transport::Transport& transport, const std::string& url,
                                 MessageType type, block::Value payload, MessageType reply_type,
                                 uint64_t request_id, const CallOptions& options) noexcept;

// Whether `error` says a node could not be reached or did not answer in time, as opposed to
// an answer it gave.
bool IsUnreachable(const Status& error) noexcept;

}  // namespace optimystic::cluster::wire
