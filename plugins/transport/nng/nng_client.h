// SPDX-License-Identifier: Apache-2.0
// NngClient: the requesting half of the nng transport. One req0 socket per peer URL, dialed
// without blocking so that nng keeps reconnecting by itself (after a refusal, or after the peer
// restarts); one nng_ctx and nng_aio per request, so any number are in flight on one connection
// and nng matches each reply to its request by its own request id. Resending is off: a request
// reaches the peer at most once, and one whose connection drops before the reply fails rather
// than being replayed to the restarted peer.
// Deadlines: a request that finds no connection before its deadline fails Unavailable (nobody
// listening, unreachable, or the TLS handshake refused); one sent but unanswered by then fails
// TimedOut; one whose connection is lost before the reply fails Unavailable at once.
// Close fails every request in flight with Unavailable ("closed") and returns once every
// callback has run.
// Thread-safety: every method may be called from any thread; Close not from a ReplyCallback.
// Errors: delivered to the ReplyCallback, never returned (see transport.h).
#pragma once

#include <optimystic/transport/transport.h>

#include "transport/nng/nng_setup.h"
#include "transport/nng/nng_url.h"

#include <nng/nng.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace optimystic::plugins::transport_nng {

class ClientCall;

class NngClient final {
 public:
  explicit NngClient(NngSetup& setup) noexcept : setup_(setup) {}
  NngClient(const NngClient&) = delete;
  NngClient& operator=(const NngClient&) = delete;
  ~NngClient() { Close(); }

  void Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
               transport::ReplyCallback& callback) noexcept;
  void Close() noexcept;

 private:
  friend class ClientCall;

  // One peer URL: its socket and the requests sent on it that await a reply.
  struct Peer {
    NngClient* client = nullptr;
    std::string url;
    bool tls = false;
    nng_socket socket = NNG_SOCKET_INITIALIZER;
    nng_dialer dialer = NNG_DIALER_INITIALIZER;
    int pipes = 0;  // open connections: 0 or 1 (one dialer)
    std::unordered_set<ClientCall*> awaiting;
  };

  // `arg` is the Peer; it outlives its socket's callbacks (nng_close waits for them).
  static void OnPipeEvent(nng_pipe pipe, nng_pipe_ev event, void* arg) noexcept;
  // The peer for `url`, dialing it on first use. REQUIRES: mu_ held.
  Result<Peer*> PeerLocked(const NngUrl& url);
  Status Dial(const NngUrl& url, Peer& peer);
  // Fails `callback` at once, counting the error.
  void Refuse(transport::ReplyCallback& callback, Status error, transport::TransportErrorKind kind);
  void CallDone() noexcept;

  NngSetup& setup_;
  // nng 1.5.2 races nng_ctx_open and nng_ctx_close with nng_close of the same socket (a lost
  // wakeup hangs nng_close; a late close touches the freed socket). Contexts are opened and
  // closed under ctx_mu_, and never once sockets_closed_ is set, just before the nng_close
  // calls; closing a socket closes its contexts anyway.
  std::mutex ctx_mu_;
  bool sockets_closed_ = false;
  std::mutex mu_;
  std::condition_variable idle_;
  std::atomic<bool> closing_ = false;  // written under mu_; read by callbacks without it
  size_t active_ = 0;                  // requests whose callback has not run yet
  std::map<std::string, std::unique_ptr<Peer>, std::less<>> peers_;  // by URL
};

}  // namespace optimystic::plugins::transport_nng
