// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_client.h"

#include "transport/nng/nng_reply_format.h"
#include "transport/nng/nng_status.h"

#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

namespace optimystic::plugins::transport_nng {

using transport::TransportErrorKind;

namespace {

// How soon and how often nng redials a peer that is down.
constexpr nng_duration kReconnectMinMs = 50;
constexpr nng_duration kReconnectMaxMs = 1000;

// Latency is real time even under a host whose clock is simulated: it measures the sockets.
int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// One request: its context, its aio and where the answer goes. Lives from Request until its
// callback has run; nng owns it meanwhile (an operation is pending on its aio at all times).
class ClientCall final {
 public:
  ClientCall(NngClient& client, NngClient::Peer& peer, transport::ReplyCallback& callback,
             size_t request_bytes, nng_time expire_ms, int64_t start_ns) noexcept
      : client_(client),
        peer_(peer),
        callback_(callback),
        request_bytes_(request_bytes),
        expire_ms_(expire_ms),
        start_ns_(start_ns) {}

  // Sends `request`; every outcome arrives through the callback.
  void Start(std::string_view request) noexcept;
  // Fails the reply wait with NNG_ECONNRESET. REQUIRES: client mu_ held, call awaiting.
  void AbortLocked() noexcept { nng_aio_abort(aio_, NNG_ECONNRESET); }

 private:
  static void OnAio(void* arg) noexcept;
  void OnSent(int rv) noexcept;
  void OnReplied(int rv) noexcept;
  // The error and metric kind of a request that could not be sent.
  std::pair<Status, TransportErrorKind> SendError(int rv) const;
  Status ReplyError(int rv) const;
  // Delivers `reply`, counts it, frees everything and deletes this.
  // `kind` is empty for a reply, including a handler's error, which is no transport failure.
  void Finish(Result<std::string> reply, std::optional<TransportErrorKind> kind) noexcept;

  NngClient& client_;
  NngClient::Peer& peer_;
  transport::ReplyCallback& callback_;
  size_t request_bytes_;
  nng_time expire_ms_;  // on nng's monotonic clock
  int64_t start_ns_;    // SteadyNowNs() at Request
  nng_aio* aio_ = nullptr;
  nng_ctx ctx_ = NNG_CTX_INITIALIZER;
  bool sent_ = false;
};

void ClientCall::Start(std::string_view request) noexcept {
  int rv = nng_aio_alloc(&aio_, &ClientCall::OnAio, this);
  if (rv == 0) {
    std::lock_guard lock(client_.ctx_mu_);
    rv = client_.sockets_closed_ ? NNG_ECLOSED : nng_ctx_open(&ctx_, peer_.socket);
  }
  nng_msg* msg = nullptr;
  if (rv == 0) rv = nng_msg_alloc(&msg, 0);
  if (rv == 0) rv = nng_msg_append(msg, request.data(), request.size());
  if (rv != 0) {
    if (msg != nullptr) nng_msg_free(msg);
    Finish(NngStatus(rv, "nng request to " + peer_.url), NngErrorKind(rv));
    return;
  }
  const nng_time now_ms = nng_clock();
  nng_aio_set_timeout(aio_,
                      static_cast<nng_duration>(expire_ms_ > now_ms ? expire_ms_ - now_ms : 1));
  nng_aio_set_msg(aio_, msg);
  nng_ctx_send(ctx_, aio_);
}

void ClientCall::OnAio(void* arg) noexcept {
  auto* call = static_cast<ClientCall*>(arg);
  const int rv = nng_aio_result(call->aio_);
  if (call->sent_) {
    call->OnReplied(rv);
  } else {
    call->OnSent(rv);
  }
}

void ClientCall::OnSent(int rv) noexcept {
  if (rv != 0) {
    nng_msg* msg = nng_aio_get_msg(aio_);  // still ours after a failed send
    nng_aio_set_msg(aio_, nullptr);
    if (msg != nullptr) nng_msg_free(msg);
    auto [error, kind] = SendError(rv);
    Finish(std::move(error), kind);
    return;
  }
  client_.setup_.metrics.CountSent(request_bytes_);
  bool lost = false;
  {
    std::lock_guard lock(client_.mu_);
    sent_ = true;
    // No connection now means the one this request went out on is gone already, and its loss
    // was reported before this request could be told (see OnPipeEvent).
    lost = peer_.pipes == 0;
    if (!lost) peer_.awaiting.insert(this);
  }
  if (lost) {
    Finish(ReplyError(NNG_ECONNRESET), TransportErrorKind::kRefused);
    return;
  }
  const nng_time now_ms = nng_clock();
  nng_aio_set_timeout(aio_,
                      static_cast<nng_duration>(expire_ms_ > now_ms ? expire_ms_ - now_ms : 1));
  nng_ctx_recv(ctx_, aio_);
}

void ClientCall::OnReplied(int rv) noexcept {
  {
    std::lock_guard lock(client_.mu_);
    peer_.awaiting.erase(this);
  }
  if (rv != 0) {
    TransportErrorKind kind = client_.closing_ ? TransportErrorKind::kClosed : NngErrorKind(rv);
    Finish(ReplyError(rv), kind);
    return;
  }
  nng_msg* msg = nng_aio_get_msg(aio_);
  nng_aio_set_msg(aio_, nullptr);
  std::string_view body(static_cast<const char*>(nng_msg_body(msg)), nng_msg_len(msg));
  Result<std::string> reply = DecodeReply(body);
  nng_msg_free(msg);
  if (!reply.has_value() && reply.error().code() == StatusCode::kCorruption) {
    Finish(reply.error().WithContext("nng reply from " + peer_.url), TransportErrorKind::kProtocol);
    return;
  }
  const uint64_t max = client_.setup_.options.max_message_bytes;
  if (reply.has_value() && reply->size() > max) {
    Finish(client_.setup_.TooLarge("nng reply from " + peer_.url, reply->size()),
           TransportErrorKind::kTooLarge);
    return;
  }
  client_.setup_.metrics.CountReceived(reply.has_value() ? reply->size() : 0);
  Finish(std::move(reply), std::nullopt);
}

std::pair<Status, TransportErrorKind> ClientCall::SendError(int rv) const {
  const std::string context = "nng request to " + peer_.url;
  if (client_.closing_) {
    return {Status::Unavailable(context + ": transport closed"), TransportErrorKind::kClosed};
  }
  if (rv != NNG_ETIMEDOUT) return {NngStatus(rv, context), NngErrorKind(rv)};
  // nng's dialer keeps why its attempts failed only in its statistics, and reading those
  // while sockets close can hang nng 1.5.2's nng_close; so the message lists the causes.
  return {Status::Unavailable(context + ": no connection before the deadline (nobody listening, "
                                        "unreachable, or the TLS handshake failed)"),
          TransportErrorKind::kRefused};
}

Status ClientCall::ReplyError(int rv) const {
  const std::string context = "nng request to " + peer_.url;
  if (client_.closing_) return Status::Unavailable(context + ": transport closed");
  if (rv == NNG_ETIMEDOUT) return Status::TimedOut(context + ": no reply before the deadline");
  if (rv == NNG_ECONNRESET) {
    return Status::Unavailable(context + ": connection lost before the reply");
  }
  return NngStatus(rv, context);
}

void ClientCall::Finish(Result<std::string> reply,
                        std::optional<TransportErrorKind> kind) noexcept {
  NngSetup& setup = client_.setup_;
  const double seconds = static_cast<double>(SteadyNowNs() - start_ns_) / 1e9;
  setup.metrics.ObserveRequestSeconds(std::max(0.0, seconds));
  if (kind.has_value()) setup.metrics.CountError(*kind);
  callback_.OnReply(std::move(reply));
  NngClient& client = client_;
  {
    std::lock_guard lock(client.ctx_mu_);
    if (!client.sockets_closed_ && nng_ctx_id(ctx_) > 0) nng_ctx_close(ctx_);
  }
  if (aio_ != nullptr) nng_aio_reap(aio_);
  delete this;
  client.CallDone();
}

// ---- NngClient ----------------------------------------------------------------------------

void NngClient::Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
                        transport::ReplyCallback& callback) noexcept {
  const uint64_t max = setup_.options.max_message_bytes;
  if (request.size() > max) {
    return Refuse(callback, setup_.TooLarge("nng request to " + std::string(url), request.size()),
                  TransportErrorKind::kTooLarge);
  }
  Result<NngUrl> parsed = ParseNngUrl(url);
  if (!parsed.has_value()) return Refuse(callback, parsed.error(), TransportErrorKind::kIo);
  const int64_t remaining_ms = deadline_unix_ms - setup_.clock.NowUnixMs();
  if (remaining_ms <= 0) {
    return Refuse(
        callback,
        Status::TimedOut("nng request to " + std::string(url) + ": deadline already passed"),
        TransportErrorKind::kTimeout);
  }
  Result<Peer*> peer =
      Status::Unavailable("nng request to " + std::string(url) + ": transport closed");
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      peer = PeerLocked(*parsed);
      if (peer.has_value()) ++active_;
    }
  }
  if (!peer.has_value()) {
    // Not under the lock: the callback may do anything, even call Request again.
    return Refuse(callback, peer.error(),
                  closing_ ? TransportErrorKind::kClosed : TransportErrorKind::kIo);
  }
  auto* call = new ClientCall(*this, **peer, callback, request.size(),
                              nng_clock() + static_cast<nng_time>(remaining_ms), SteadyNowNs());
  call->Start(request);
}

void NngClient::Refuse(transport::ReplyCallback& callback, Status error, TransportErrorKind kind) {
  setup_.metrics.CountError(kind);
  callback.OnReply(std::move(error));
}

Result<NngClient::Peer*> NngClient::PeerLocked(const NngUrl& url) {
  auto it = peers_.find(url.text);
  if (it != peers_.end()) return it->second.get();
  if (url.tls() && !setup_.options.tls.has_value()) {
    return Status::InvalidArgument("nng request to " + url.text +
                                   ": tls+tcp:// needs the transport's tls settings "
                                   "(ca_file, cert_file, key_file)");
  }
  auto peer = std::make_unique<Peer>();
  peer->client = this;
  peer->url = url.text;
  Status dialed = Dial(url, *peer);
  if (!dialed.ok()) {
    if (nng_socket_id(peer->socket) > 0) nng_close(peer->socket);
    return dialed;
  }
  Peer* raw = peer.get();
  peers_.emplace(url.text, std::move(peer));
  return raw;
}

Status NngClient::Dial(const NngUrl& url, Peer& peer) {
  const std::string context = "nng dial " + url.text;
  int rv = nng_req0_open(&peer.socket);
  if (rv != 0) return NngStatus(rv, context + ": open req0 socket");
  // At most once: no resend after a lost connection or a slow reply.
  rv = nng_socket_set_ms(peer.socket, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
  if (rv == 0)
    rv = nng_socket_set_size(peer.socket, NNG_OPT_RECVMAXSZ, setup_.receive_limit_bytes());
  if (rv == 0) rv = nng_socket_set_ms(peer.socket, NNG_OPT_RECONNMINT, kReconnectMinMs);
  if (rv == 0) rv = nng_socket_set_ms(peer.socket, NNG_OPT_RECONNMAXT, kReconnectMaxMs);
  if (rv != 0) return NngStatus(rv, context + ": socket options");
  for (nng_pipe_ev event : {NNG_PIPE_EV_ADD_PRE, NNG_PIPE_EV_REM_POST}) {
    rv = nng_pipe_notify(peer.socket, event, &NngClient::OnPipeEvent, &peer);
    if (rv != 0) return NngStatus(rv, context + ": pipe notifications");
  }
  rv = nng_dialer_create(&peer.dialer, peer.socket, url.text.c_str());
  if (rv != 0) return NngStatus(rv, context);
  peer.tls = url.tls();
  if (peer.tls) {
    rv = nng_dialer_set_ptr(peer.dialer, NNG_OPT_TLS_CONFIG, setup_.options.tls->client.get());
    if (rv != 0) return NngStatus(rv, context + ": set TLS configuration");
  }
  rv = nng_dialer_start(peer.dialer, NNG_FLAG_NONBLOCK);
  if (rv != 0) return NngStatus(rv, context);
  return Status::Ok();
}

void NngClient::OnPipeEvent(nng_pipe pipe, nng_pipe_ev event, void* arg) noexcept {
  Peer& peer = *static_cast<Peer*>(arg);
  NngClient* client = peer.client;
  const bool added = event == NNG_PIPE_EV_ADD_PRE;
  if (added) {
    client->setup_.metrics.ConnectionOpened();
  } else if (event == NNG_PIPE_EV_REM_POST) {
    client->setup_.metrics.ConnectionClosed();
  } else {
    return;
  }
  std::lock_guard lock(client->mu_);
  peer.pipes += added ? 1 : -1;
  if (added) return;
  // With resending off, a request sent on a lost connection will never be answered; one dialer
  // has one connection at a time, so every request awaiting a reply on this socket is lost.
  for (ClientCall* call : peer.awaiting) call->AbortLocked();
}

void NngClient::CallDone() noexcept {
  std::lock_guard lock(mu_);
  --active_;
  if (active_ == 0) idle_.notify_all();
}

void NngClient::Close() noexcept {
  std::vector<nng_socket> sockets;
  {
    std::lock_guard lock(mu_);
    if (closing_ && peers_.empty()) return;
    closing_ = true;
    for (auto& [url, peer] : peers_) sockets.push_back(peer->socket);
  }
  // Fails every pending send and receive with NNG_ECLOSED; the callbacks take mu_.
  {
    std::lock_guard lock(ctx_mu_);
    sockets_closed_ = true;
  }
  for (nng_socket socket : sockets) nng_close(socket);
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return active_ == 0; });
  peers_.clear();
}

}  // namespace optimystic::plugins::transport_nng
