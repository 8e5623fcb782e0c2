// SPDX-License-Identifier: Apache-2.0
// NngServer: one Listen()ed URL: a rep0 socket served through nng contexts, each an nng_ctx with
// its own nng_aio, so that many requests are handled at once and a handler may answer later
// from any thread. A few contexts always wait to receive; when one gets a request it hands it to
// the handler (on an nng thread) and another context takes its place, up to kMaxInFlight
// requests held by handlers. A context whose reply has been sent goes back to receiving, or is
// freed when enough others already wait.
// Close stops receiving, waits up to the drain time for the requests handlers hold, closes the
// socket (which drops its connections) and waits for every nng callback. A Responder used after
// that does nothing and frees itself: responders share ownership of the server's state, so one
// may outlive the transport without touching freed memory.
// Thread-safety: Close may be called from any thread but not from a handler or an nng callback.
// Errors: Start returns the nng error with the URL as context (see nng_status.h).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/transport/transport.h>

#include "transport/nng/nng_setup.h"
#include "transport/nng/nng_url.h"

#include <nng/nng.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

namespace optimystic::plugins::transport_nng {

class ServerCall;

class NngServer final : public std::enable_shared_from_this<NngServer> {
 public:
  // Contexts kept waiting to receive, and the most requests handlers may hold at once (more
  // wait in nng's queues, which pushes back on the senders).
  static constexpr size_t kReceivers = 16;
  static constexpr size_t kMaxInFlight = 8192;

  // Listens on `url` and starts receiving. `handler` and `setup` must outlive Close.
  static Result<std::shared_ptr<NngServer>> Start(const NngUrl& url,
                                                  transport::RequestHandler& handler,
                                                  NngSetup& setup);
  NngServer(transport::RequestHandler& handler, NngSetup& setup) noexcept
      : handler_(handler), setup_(setup) {}
  NngServer(const NngServer&) = delete;
  NngServer& operator=(const NngServer&) = delete;

  const std::string& bound_url() const noexcept { return bound_url_; }
  void Close(std::chrono::milliseconds drain);

 private:
  friend class ServerCall;

  Status Bind(const NngUrl& url);
  // Opens one more receiving context, unless closing.
  void SpawnReceiver();

  transport::RequestHandler& handler_;
  NngSetup& setup_;
  nng_socket socket_ = NNG_SOCKET_INITIALIZER;
  nng_listener listener_ = NNG_LISTENER_INITIALIZER;
  std::string bound_url_;

  // nng 1.5.2 races nng_ctx_open and nng_ctx_close with nng_close of the same socket (see
  // nng_client.h): contexts are opened and closed under ctx_mu_, never after socket_closed_.
  std::mutex ctx_mu_;
  bool socket_closed_ = false;
  std::mutex mu_;
  std::condition_variable changed_;
  bool closing_ = false;  // no more receiving; set first by Close
  bool closed_ = false;   // socket closed and callbacks finished: responders do nothing
  std::unordered_set<ServerCall*> receiving_;
  std::unordered_set<ServerCall*> handling_;  // held by a handler
  size_t replying_ = 0;                       // reply sends in progress
};

// One context: receives a request, is the handler's Responder, sends the reply.
class ServerCall final : public transport::Responder {
 public:
  explicit ServerCall(std::shared_ptr<NngServer> server) noexcept : server_(std::move(server)) {}
  ServerCall(const ServerCall&) = delete;
  ServerCall& operator=(const ServerCall&) = delete;

  // Allocates the aio and context; nng's error otherwise.
  int Open() noexcept;
  void Reply(std::string_view bytes) noexcept override;
  void Fail(const Status& error) noexcept override;

 private:
  friend class NngServer;
  ~ServerCall();

  static void OnAio(void* arg) noexcept;
  void Receive() noexcept;
  void OnReceived(int rv) noexcept;
  void Handle() noexcept;
  // Sends the reply (`error` null) or the error reply; after Close frees this and does nothing.
  void Respond(std::string_view payload, const Status* error) noexcept;
  void OnSent(int rv) noexcept;
  // Closes the context, hands the aio to nng's reaper and deletes this. Not under the lock.
  void Retire() noexcept;

  enum class Phase : uint8_t { kReceiving, kHandling, kReplying };
  std::shared_ptr<NngServer> server_;
  nng_aio* aio_ = nullptr;  // null once Close has freed it for a handler that still holds us
  nng_ctx ctx_ = NNG_CTX_INITIALIZER;
  Phase phase_ = Phase::kReceiving;
};

}  // namespace optimystic::plugins::transport_nng
