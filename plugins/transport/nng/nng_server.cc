// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_server.h"

#include "transport/nng/nng_reply_format.h"
#include "transport/nng/nng_status.h"

#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>

#include <utility>
#include <vector>

namespace optimystic::plugins::transport_nng {

using transport::TransportErrorKind;

namespace {

// Keeps the open-connections gauge: ADD_PRE and REM_POST come in pairs for every pipe.
void OnPipeEvent(nng_pipe, nng_pipe_ev event, void* arg) {
  auto* setup = static_cast<NngSetup*>(arg);
  if (event == NNG_PIPE_EV_ADD_PRE) setup->metrics.ConnectionOpened();
  if (event == NNG_PIPE_EV_REM_POST) setup->metrics.ConnectionClosed();
}

}  // namespace

Result<std::shared_ptr<NngServer>> NngServer::Start(const NngUrl& url,
                                                    transport::RequestHandler& handler,
                                                    NngSetup& setup) {
  auto server = std::make_shared<NngServer>(handler, setup);
  Status bound = server->Bind(url);
  if (!bound.ok()) {
    if (nng_socket_id(server->socket_) > 0) nng_close(server->socket_);
    return bound;
  }
  for (size_t i = 0; i < kReceivers; ++i) server->SpawnReceiver();
  return server;
}

Status NngServer::Bind(const NngUrl& url) {
  const std::string context = "listen " + url.text;
  int rv = nng_rep0_open(&socket_);
  if (rv != 0) return NngStatus(rv, context + ": open rep0 socket");
  rv = nng_socket_set_size(socket_, NNG_OPT_RECVMAXSZ, setup_.receive_limit_bytes());
  if (rv != 0) return NngStatus(rv, context + ": set " NNG_OPT_RECVMAXSZ);
  for (nng_pipe_ev event : {NNG_PIPE_EV_ADD_PRE, NNG_PIPE_EV_REM_POST}) {
    rv = nng_pipe_notify(socket_, event, OnPipeEvent, &setup_);
    if (rv != 0) return NngStatus(rv, context + ": pipe notifications");
  }
  rv = nng_listener_create(&listener_, socket_, url.text.c_str());
  if (rv != 0) return NngStatus(rv, context);
  if (url.tls()) {
    rv = nng_listener_set_ptr(listener_, NNG_OPT_TLS_CONFIG, setup_.options.tls->server.get());
    if (rv != 0) return NngStatus(rv, context + ": set TLS configuration");
  }
  rv = nng_listener_start(listener_, 0);
  if (rv != 0) return NngStatus(rv, context);
  bound_url_ = url.text;
  if (url.scheme != NngScheme::kIpc) {
    int port = 0;
    rv = nng_listener_get_int(listener_, NNG_OPT_TCP_BOUND_PORT, &port);
    if (rv != 0) return NngStatus(rv, context + ": read the bound port");
    bound_url_ = url.WithPort(static_cast<uint32_t>(port));
  }
  return Status::Ok();
}

void NngServer::SpawnReceiver() {
  auto* call = new ServerCall(shared_from_this());
  int rv = call->Open();
  if (rv != 0) {
    setup_.logger.Log(
        logging::LogLevel::kWarn,
        NngStatus(rv, "transport.nng: " + bound_url_ + ": open a context").ToString());
    call->Retire();
    return;
  }
  bool closing = false;
  {
    std::lock_guard lock(mu_);
    closing = closing_;
    if (!closing) receiving_.insert(call);
  }
  if (closing) {
    call->Retire();
    return;
  }
  call->Receive();
}

void NngServer::Close(std::chrono::milliseconds drain) {
  std::unique_lock lock(mu_);
  if (closing_) return;
  closing_ = true;
  // Holding the lock keeps every receiving call (and its aio) alive; nng completes a cancelled
  // aio on its own threads, so the callbacks wait for the lock rather than run here.
  for (ServerCall* call : receiving_) nng_aio_cancel(call->aio_);
  if (!handling_.empty() && drain.count() > 0) {
    setup_.logger.Log(logging::LogLevel::kInfo,
                      "transport.nng: " + bound_url_ + ": closing; waiting up to " +
                          std::to_string(drain.count()) + " ms for " +
                          std::to_string(handling_.size()) + " requests held by handlers");
  }
  changed_.wait_for(lock, drain, [this] { return handling_.empty() && replying_ == 0; });
  lock.unlock();
  {
    std::lock_guard ctx_lock(ctx_mu_);
    socket_closed_ = true;
  }
  nng_close(socket_);  // fails every send and receive still pending
  lock.lock();
  changed_.wait(lock, [this] { return receiving_.empty() && replying_ == 0; });
  closed_ = true;
  std::vector<nng_aio*> orphaned;
  for (ServerCall* call : handling_) {
    orphaned.push_back(call->aio_);
    call->aio_ = nullptr;
  }
  lock.unlock();
  if (!orphaned.empty()) {
    setup_.logger.Log(logging::LogLevel::kWarn, "transport.nng: " + bound_url_ + ": closed with " +
                                                    std::to_string(orphaned.size()) +
                                                    " requests still unanswered");
  }
  // nng_aio_free waits for a callback still running (a handler still inside OnRequest).
  for (nng_aio* aio : orphaned) nng_aio_free(aio);
}

// ---- ServerCall ---------------------------------------------------------------------------

int ServerCall::Open() noexcept {
  int rv = nng_aio_alloc(&aio_, &ServerCall::OnAio, this);
  if (rv != 0) return rv;
  std::lock_guard lock(server_->ctx_mu_);
  return server_->socket_closed_ ? NNG_ECLOSED : nng_ctx_open(&ctx_, server_->socket_);
}

ServerCall::~ServerCall() = default;

void ServerCall::OnAio(void* arg) noexcept {
  auto* call = static_cast<ServerCall*>(arg);
  const int rv = nng_aio_result(call->aio_);
  if (call->phase_ == Phase::kReceiving) {
    call->OnReceived(rv);
  } else {
    call->OnSent(rv);
  }
}

void ServerCall::Receive() noexcept {
  phase_ = Phase::kReceiving;
  nng_ctx_recv(ctx_, aio_);
}

void ServerCall::OnReceived(int rv) noexcept {
  NngServer& server = *server_;
  bool spawn = false;
  {
    std::lock_guard lock(server.mu_);
    server.receiving_.erase(this);
    if (rv == 0) {
      phase_ = Phase::kHandling;
      server.handling_.insert(this);
      spawn = !server.closing_ && server.receiving_.size() < NngServer::kReceivers &&
              server.receiving_.size() + server.handling_.size() < NngServer::kMaxInFlight;
    }
    server.changed_.notify_all();
  }
  if (rv != 0) {
    // Closed or cancelled by Close; anything else leaves a context short, so replace it.
    const bool replace = rv != NNG_ECLOSED && rv != NNG_ECANCELED;
    std::shared_ptr<NngServer> keep = server_;
    Retire();
    if (replace) keep->SpawnReceiver();
    return;
  }
  if (spawn) server.SpawnReceiver();
  Handle();
}

void ServerCall::Handle() noexcept {
  NngSetup& setup = server_->setup_;
  nng_msg* msg = nng_aio_get_msg(aio_);
  nng_aio_set_msg(aio_, nullptr);
  const size_t length = nng_msg_len(msg);
  if (length > setup.options.max_message_bytes) {
    nng_msg_free(msg);
    setup.metrics.CountError(TransportErrorKind::kTooLarge);
    Fail(setup.TooLarge("request", length));
    return;
  }
  setup.metrics.CountReceived(length);
  transport::RequestHandler& handler = server_->handler_;
  // After OnRequest starts, `this` belongs to the handler: it may already be replied and gone.
  handler.OnRequest(std::string_view(static_cast<const char*>(nng_msg_body(msg)), length), *this);
  nng_msg_free(msg);
}

void ServerCall::Reply(std::string_view bytes) noexcept { Respond(bytes, nullptr); }

void ServerCall::Fail(const Status& error) noexcept {
  const Status sent = error.ok() ? Status::Internal("handler failed with an OK status") : error;
  Respond({}, &sent);
}

void ServerCall::Respond(std::string_view payload, const Status* error) noexcept {
  {
    std::shared_ptr<NngServer> keep =
        server_;  // `delete this` must not end the server under its lock
    std::lock_guard lock(keep->mu_);
    keep->handling_.erase(this);
    if (keep->closed_) {
      delete this;  // Close already freed the aio; the socket and the transport may be gone
      return;
    }
    ++keep->replying_;
    phase_ = Phase::kReplying;
  }
  // Close now waits for OnSent, so the server and the transport's setup stay valid.
  NngSetup& setup = server_->setup_;
  std::string body;
  size_t payload_bytes = 0;
  if (error != nullptr) {
    body = EncodeErrorReply(*error);
  } else if (payload.size() > setup.options.max_message_bytes) {
    setup.metrics.CountError(TransportErrorKind::kTooLarge);
    body = EncodeErrorReply(setup.TooLarge("reply", payload.size()));
  } else {
    body = EncodeOkReply(payload);
    payload_bytes = payload.size();
  }
  nng_msg* msg = nullptr;
  int rv = nng_msg_alloc(&msg, 0);
  if (rv == 0) rv = nng_msg_append(msg, body.data(), body.size());
  if (rv != 0) {
    if (msg != nullptr) nng_msg_free(msg);
    OnSent(rv);
    return;
  }
  setup.metrics.CountSent(payload_bytes);
  nng_aio_set_msg(aio_, msg);
  nng_ctx_send(ctx_, aio_);
}

void ServerCall::OnSent(int rv) noexcept {
  NngServer& server = *server_;
  if (rv != 0) {
    // On failure the message is still ours.
    nng_msg* msg = nng_aio_get_msg(aio_);
    nng_aio_set_msg(aio_, nullptr);
    if (msg != nullptr) nng_msg_free(msg);
    if (rv != NNG_ECLOSED) server.setup_.metrics.CountError(NngErrorKind(rv));
  }
  bool again = false;
  {
    std::lock_guard lock(server.mu_);
    --server.replying_;
    again = !server.closing_ && server.receiving_.size() < NngServer::kReceivers;
    if (again) server.receiving_.insert(this);
    server.changed_.notify_all();
  }
  if (again) {
    Receive();
  } else {
    Retire();
  }
}

void ServerCall::Retire() noexcept {
  {
    std::lock_guard lock(server_->ctx_mu_);
    if (!server_->socket_closed_ && nng_ctx_id(ctx_) > 0) nng_ctx_close(ctx_);
  }
  if (aio_ != nullptr) nng_aio_reap(aio_);
  delete this;
}

}  // namespace optimystic::plugins::transport_nng
