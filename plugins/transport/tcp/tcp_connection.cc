// SPDX-License-Identifier: Apache-2.0
#include "transport/tcp/tcp_connection.h"

#include "transport/tcp/responder_registry.h"

#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <exception>
#include <utility>

namespace optimystic::plugins::transport_tcp {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using transport::TransportErrorKind;
using Clock = std::chrono::steady_clock;

constexpr size_t kDiscardChunkBytes = 64 * 1024;
constexpr size_t kMaxFramesPerWrite = 64;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A peer that simply went away: end of stream, or a TLS stream cut without close_notify.
bool IsPeerGone(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::broken_pipe;
}

bool IsTlsError(const error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() ||
         ec.category() == asio::ssl::error::get_stream_category();
}

}  // namespace

TcpConnection::TcpConnection(const ConnectionContext& context, ConnectionOwner& owner, Role role,
                             Socket socket)
    : context_(context),
      owner_(owner),
      role_(role),
      strand_(asio::make_strand(*context.io)),
      resolver_(*context.io),
      connect_timer_(strand_) {
  if (context.tls != nullptr) {
    tls_ = std::make_unique<TlsStream>(std::move(socket), *context.tls);  // may throw: SSL_new
  } else {
    plain_ = std::make_unique<Socket>(std::move(socket));
  }
}

TcpConnection::~TcpConnection() {
  if (counted_open_) {
    context_.metrics->ConnectionClosed();
  }
}

std::shared_ptr<TcpConnection> TcpConnection::NewClient(const ConnectionContext& context,
                                                        ConnectionOwner& owner, std::string peer,
                                                        std::string host,
                                                        std::string port) noexcept {
  try {
    std::shared_ptr<TcpConnection> connection(
        new TcpConnection(context, owner, Role::kClient, Socket(*context.io)));
    connection->peer_ = std::move(peer);
    connection->host_ = std::move(host);
    connection->port_ = std::move(port);
    return connection;
  } catch (const std::exception& e) {  // Asio's one throwing spot here: SSL stream creation
    context.logger->Log(logging::LogLevel::kError,
                        std::string("transport.tcp: cannot create a connection: ") + e.what());
    return nullptr;
  }
}

std::shared_ptr<TcpConnection> TcpConnection::NewServer(
    const ConnectionContext& context, ConnectionOwner& owner, Socket socket,
    transport::RequestHandler& handler) noexcept {
  error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  std::string peer =
      ec ? "unknown peer" : remote.address().to_string() + ":" + std::to_string(remote.port());
  try {
    std::shared_ptr<TcpConnection> connection(
        new TcpConnection(context, owner, Role::kServer, std::move(socket)));
    connection->peer_ = std::move(peer);
    connection->handler_ = &handler;
    return connection;
  } catch (const std::exception& e) {
    context.logger->Log(logging::LogLevel::kError,
                        std::string("transport.tcp: cannot serve a connection: ") + e.what());
    return nullptr;
  }
}

TcpConnection::Socket& TcpConnection::socket() {
  return plain_ != nullptr ? *plain_ : tls_->next_layer();
}

template <class Buffers, class Handler>
void TcpConnection::AsyncRead(const Buffers& buffers, Handler&& handler) {
  if (tls_ != nullptr) {
    asio::async_read(*tls_, buffers, asio::bind_executor(strand_, std::forward<Handler>(handler)));
  } else {
    asio::async_read(*plain_, buffers,
                     asio::bind_executor(strand_, std::forward<Handler>(handler)));
  }
}

template <class Buffers, class Handler>
void TcpConnection::AsyncWrite(const Buffers& buffers, Handler&& handler) {
  if (tls_ != nullptr) {
    asio::async_write(*tls_, buffers, asio::bind_executor(strand_, std::forward<Handler>(handler)));
  } else {
    asio::async_write(*plain_, buffers,
                      asio::bind_executor(strand_, std::forward<Handler>(handler)));
  }
}

// ---- Connecting and handshaking ----------------------------------------------------------

void TcpConnection::Start() noexcept {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->state_ != State::kConnecting) {
      return;
    }
    if (self->role_ == Role::kServer) {
      self->counted_open_ = true;
      self->context_.metrics->ConnectionOpened();
      // Replies are whole frames written at once: Nagle would only hold back their tails
      // (a TLS record split off a large reply waited 40 ms for a delayed ACK).
      error_code ignored;
      self->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      if (self->tls_ != nullptr) {
        self->ArmConnectTimer();  // a peer that never finishes its handshake is dropped
        self->Handshake();
      } else {
        self->OnOpen();
      }
      return;
    }
    self->ArmConnectTimer();
    error_code ec;
    const asio::ip::address address = asio::ip::make_address(self->host_, ec);
    if (!ec) {                  // a literal address needs no resolver (and no resolver thread)
      unsigned short port = 0;  // the URL parser has checked it is a number below 65536
      std::from_chars(self->port_.data(), self->port_.data() + self->port_.size(), port);
      self->OnResolved(ec, asio::ip::tcp::resolver::results_type::create(
                               asio::ip::tcp::endpoint(address, port), self->host_, self->port_));
      return;
    }
    self->resolver_.async_resolve(
        self->host_, self->port_,
        asio::bind_executor(self->strand_, [self](const error_code& ec2, const auto& results) {
          self->OnResolved(ec2, results);
        }));
  });
}

void TcpConnection::ArmConnectTimer() {
  connect_timer_.expires_after(std::chrono::milliseconds(context_.connect_timeout_ms));
  connect_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || (self->state_ != State::kConnecting)) {
      return;
    }
    self->connect_timed_out_ = true;
    error_code ignored;
    self->resolver_.cancel();
    self->socket().close(ignored);  // the pending connect or handshake completes with an error
  });
}

void TcpConnection::OnResolved(const error_code& ec,
                               const asio::ip::tcp::resolver::results_type& endpoints) {
  if (state_ == State::kClosed) {
    return;
  }
  if (ec) {
    Fail(Status::Unavailable("resolve " + peer_ + ": " + ec.message()),
         TransportErrorKind::kRefused);
    return;
  }
  asio::async_connect(
      socket(), endpoints,
      asio::bind_executor(strand_, [self = shared_from_this()](const error_code& ec2, const auto&) {
        self->OnConnected(ec2);
      }));
}

void TcpConnection::OnConnected(const error_code& ec) {
  if (state_ == State::kClosed) {
    return;
  }
  if (ec) {
    const std::string why = connect_timed_out_
                                ? "timed out after " + std::to_string(context_.connect_timeout_ms) +
                                      " ms (connect_timeout_ms)"
                                : ec.message();
    Fail(Status::Unavailable("connect to " + peer_ + ": " + why), TransportErrorKind::kRefused);
    return;
  }
  counted_open_ = true;
  context_.metrics->ConnectionOpened();
  error_code ignored;
  socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls_ != nullptr) {
    Handshake();
  } else {
    connect_timer_.cancel();
    OnOpen();
  }
}

void TcpConnection::Handshake() {
  const auto type =
      role_ == Role::kClient ? asio::ssl::stream_base::client : asio::ssl::stream_base::server;
  tls_->async_handshake(
      type, asio::bind_executor(strand_, [self = shared_from_this()](const error_code& ec) {
        self->OnHandshake(ec);
      }));
}

void TcpConnection::OnHandshake(const error_code& ec) {
  if (state_ == State::kClosed) {
    return;
  }
  connect_timer_.cancel();
  if (ec) {
    const std::string why = connect_timed_out_ ? "timed out" : ec.message();
    context_.metrics->CountError(TransportErrorKind::kTls);
    if (role_ == Role::kServer) {
      context_.logger->Log(logging::LogLevel::kWarn,
                           "transport.tcp: tls handshake with " + peer_ + " failed: " + why);
    }
    Fail(Status::Unavailable("tls handshake with " + peer_ + ": " + why),
         TransportErrorKind::kRefused);
    return;
  }
  OnOpen();
}

void TcpConnection::OnOpen() {
  state_ = State::kOpen;
  ReadHeader();
  std::vector<std::pair<uint64_t, std::string>> unsent = std::move(unsent_);
  unsent_.clear();
  for (auto& [id, payload] : unsent) {
    if (pending_.count(id) != 0) {  // not timed out while connecting
      WriteRequest(id, payload);
    }
  }
}

// ---- Client requests -----------------------------------------------------------------------

void TcpConnection::Submit(OutgoingRequest request) noexcept {
  asio::post(strand_, [self = shared_from_this(), request = std::move(request)]() mutable {
    self->OnSubmit(std::move(request));
  });
}

void TcpConnection::OnSubmit(OutgoingRequest request) {
  const State state = state_;
  // A connection the peer closed while it sat idle (the peer restarted) is noticed here, before
  // the request is written into it, so that the request goes out on a fresh connection.
  const bool stale = state == State::kClosed ||
                     (state == State::kOpen && pending_.empty() && PeerClosedWhileIdle());
  if (stale && !request.resubmitted) {
    if (state != State::kClosed) {
      Fail(Status::Unavailable("connection to " + peer_ + " closed by the peer"),
           TransportErrorKind::kRefused);
    }
    request.resubmitted = true;
    owner_.Resubmit(*this, std::move(request));
    return;
  }
  if (state == State::kClosed || state == State::kDraining) {
    Finish(request.callback, request.started,
           Status::Unavailable("connection to " + peer_ + " closed"), TransportErrorKind::kRefused);
    return;
  }
  const uint64_t id = AddPending(request);
  if (state == State::kOpen) {
    WriteRequest(id, request.payload);
  } else {
    unsent_.emplace_back(id, std::move(request.payload));
  }
}

uint64_t TcpConnection::AddPending(const OutgoingRequest& request) {
  const uint64_t id = next_id_++;
  Pending pending;
  pending.callback = request.callback;
  pending.started = request.started;
  pending.deadline_timer = std::make_unique<asio::steady_timer>(strand_);
  pending.deadline_timer->expires_at(request.deadline);
  pending.deadline_timer->async_wait(
      [self = shared_from_this(), id](const error_code& ec) { self->OnDeadline(id, ec); });
  pending_.emplace(id, std::move(pending));
  return id;
}

void TcpConnection::WriteRequest(uint64_t id, std::string_view payload) {
  context_.metrics->CountSent(payload.size());
  Enqueue(EncodeFrame(FrameKind::kRequest, id, payload));
}

void TcpConnection::OnDeadline(uint64_t id, const error_code& ec) {
  if (ec == asio::error::operation_aborted) {
    return;
  }
  // A reply that comes after this finds no pending entry and is dropped.
  Complete(id, Status::TimedOut("request to " + peer_ + " timed out (deadline passed)"),
           TransportErrorKind::kTimeout);
}

bool TcpConnection::PeerClosedWhileIdle() {
  char byte = 0;
  const ssize_t n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void TcpConnection::Complete(uint64_t id, Result<std::string> result,
                             std::optional<TransportErrorKind> error_kind) {
  auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;  // late: the request already timed out or failed
  }
  Pending pending = std::move(it->second);
  pending_.erase(it);
  pending.deadline_timer->cancel();
  if (error_kind.has_value()) {
    context_.metrics->CountError(*error_kind);
  }
  context_.metrics->ObserveRequestSeconds(SecondsSince(pending.started));
  pending.callback->OnReply(std::move(result));
}

void TcpConnection::Finish(transport::ReplyCallback* callback, Clock::time_point started,
                           const Status& error, TransportErrorKind kind) {
  context_.metrics->CountError(kind);
  context_.metrics->ObserveRequestSeconds(SecondsSince(started));
  callback->OnReply(error);
}

// ---- Server replies ------------------------------------------------------------------------

void TcpConnection::SendFrame(std::string frame, uint64_t payload_bytes) noexcept {
  if (state_.load() == State::kClosed) {
    return;  // the connection is gone; the reply is dropped
  }
  // dispatch, not post: a handler answering on a pool thread while the strand is idle writes
  // the reply at once, one thread hand-off fewer per request.
  asio::dispatch(strand_,
                 [self = shared_from_this(), frame = std::move(frame), payload_bytes]() mutable {
                   if (self->state_ == State::kClosed) {
                     return;
                   }
                   self->context_.metrics->CountSent(payload_bytes);
                   self->Enqueue(std::move(frame));
                 });
}

// ---- Reading frames ------------------------------------------------------------------------

void TcpConnection::ReadHeader() {
  AsyncRead(asio::buffer(header_bytes_),
            [self = shared_from_this()](const error_code& ec, size_t) { self->OnHeader(ec); });
}

void TcpConnection::OnHeader(const error_code& ec) {
  if (state_ == State::kClosed) {
    return;
  }
  if (ec) {
    OnReadError(ec);
    return;
  }
  Result<FrameHeader> header = DecodeFrameHeader(header_bytes_);
  if (!header) {
    ProtocolError(std::string(header.error().message()));
    return;
  }
  const bool is_request = header->kind == FrameKind::kRequest;
  if (is_request != (role_ == Role::kServer)) {
    ProtocolError(std::string("unexpected ") + (is_request ? "request" : "reply") + " frame on a " +
                  (is_request ? "client" : "server") + " connection");
    return;
  }
  if (header->length > context_.max_message_bytes) {
    OnOversizeFrame(*header);
    return;
  }
  payload_.resize(header->length);
  AsyncRead(asio::buffer(payload_),
            [self = shared_from_this(), header = *header](const error_code& ec2, size_t) {
              if (self->state_ == State::kClosed) {
                return;
              }
              if (ec2) {
                self->OnReadError(ec2);
                return;
              }
              self->OnFrame(header);
            });
}

void TcpConnection::OnOversizeFrame(const FrameHeader& header) {
  context_.metrics->CountError(TransportErrorKind::kTooLarge);
  const std::string what = "message too large: " + std::to_string(header.length) +
                           " bytes, max_message_bytes is " +
                           std::to_string(context_.max_message_bytes);
  if (role_ == Role::kServer) {
    context_.logger->Log(logging::LogLevel::kWarn,
                         "transport.tcp: refused a request from " + peer_ + ": " + what);
    const std::string payload = EncodeErrorPayload(Status::InvalidArgument("request " + what));
    context_.metrics->CountSent(payload.size());
    Enqueue(EncodeFrame(FrameKind::kError, header.request_id, payload));
  } else {
    Complete(header.request_id, Status::InvalidArgument("reply " + what), std::nullopt);
  }
  Discard(header.length);  // skip the payload without holding it, then read on
}

void TcpConnection::Discard(uint64_t remaining_bytes) {
  if (remaining_bytes == 0) {
    ReadHeader();
    return;
  }
  discard_buffer_.resize(kDiscardChunkBytes);
  const size_t chunk = static_cast<size_t>(std::min<uint64_t>(remaining_bytes, kDiscardChunkBytes));
  AsyncRead(asio::buffer(discard_buffer_.data(), chunk),
            [self = shared_from_this(), remaining_bytes, chunk](const error_code& ec, size_t) {
              if (self->state_ == State::kClosed) {
                return;
              }
              if (ec) {
                self->OnReadError(ec);
                return;
              }
              self->Discard(remaining_bytes - chunk);
            });
}

void TcpConnection::OnFrame(const FrameHeader& header) {
  context_.metrics->CountReceived(payload_.size());
  if (role_ == Role::kServer) {
    if (state_ != State::kOpen) {
      return;  // draining: no new requests are taken, and nothing more is read
    }
    DispatchRequest(header.request_id, std::move(payload_));
    payload_ = std::string();
  } else if (header.kind == FrameKind::kReply) {
    Complete(header.request_id, std::move(payload_), std::nullopt);
    payload_ = std::string();
  } else {
    Status error = DecodeErrorPayload(payload_);
    if (error.code() == StatusCode::kCorruption) {
      context_.metrics->CountError(TransportErrorKind::kProtocol);
      error = error.WithContext("malformed error reply from " + peer_);
    }
    Complete(header.request_id, std::move(error), std::nullopt);
  }
  ReadHeader();
}

void TcpConnection::DispatchRequest(uint64_t id, std::string payload) {
  // The handler runs on the pool, not on this strand, so that a slow handler does not hold up
  // the other requests of this connection.
  transport::Responder& responder = context_.responders->Create(weak_from_this(), id);
  asio::post(*context_.io, [handler = handler_, &responder, payload = std::move(payload)] {
    handler->OnRequest(payload, responder);
  });
}

void TcpConnection::OnReadError(const error_code& ec) {
  if (IsPeerGone(ec) || ec == asio::error::operation_aborted) {
    Fail(Status::Unavailable("connection to " + peer_ + " closed by the peer"),
         TransportErrorKind::kRefused);
    return;
  }
  const TransportErrorKind kind =
      IsTlsError(ec) ? TransportErrorKind::kTls : TransportErrorKind::kIo;
  context_.metrics->CountError(kind);
  if (role_ == Role::kServer) {
    context_.logger->Log(logging::LogLevel::kWarn,
                         "transport.tcp: dropping connection from " + peer_ + ": " + ec.message());
  }
  Fail(Status::Unavailable("connection to " + peer_ + ": " + ec.message()),
       TransportErrorKind::kRefused);
}

void TcpConnection::ProtocolError(const std::string& what) {
  context_.metrics->CountError(TransportErrorKind::kProtocol);
  context_.logger->Log(logging::LogLevel::kWarn,
                       "transport.tcp: dropping connection " +
                           std::string(role_ == Role::kServer ? "from " : "to ") + peer_ +
                           ": protocol error: " + what);
  Fail(Status::Unavailable("protocol error on connection to " + peer_ + ": " + what),
       TransportErrorKind::kRefused);
}

// ---- Writing frames ------------------------------------------------------------------------

void TcpConnection::Enqueue(std::string frame) {
  queue_.push_back(std::move(frame));
  if (!write_in_progress_) {
    StartWrite();
  }
}

void TcpConnection::StartWrite() {
  writing_.clear();
  while (!queue_.empty() && writing_.size() < kMaxFramesPerWrite) {
    writing_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(writing_.size());
  for (const std::string& frame : writing_) {
    buffers.push_back(asio::buffer(frame));
  }
  write_in_progress_ = true;
  AsyncWrite(buffers,
             [self = shared_from_this()](const error_code& ec, size_t) { self->OnWritten(ec); });
}

void TcpConnection::OnWritten(const error_code& ec) {
  write_in_progress_ = false;
  writing_.clear();
  if (state_ == State::kClosed) {
    return;
  }
  if (ec) {
    OnReadError(ec);
    return;
  }
  if (!queue_.empty()) {
    StartWrite();
  } else if (state_ == State::kDraining) {
    Fail(Status::Unavailable("closed"), TransportErrorKind::kClosed);
  }
}

// ---- Ending --------------------------------------------------------------------------------

void TcpConnection::Shutdown(Status reason) noexcept {
  asio::post(strand_, [self = shared_from_this(), reason = std::move(reason)] {
    if (self->state_ == State::kClosed) {
      return;
    }
    if (self->role_ == Role::kServer && self->state_ == State::kOpen) {
      // Replies already handed over are written first; the rest are dropped.
      self->state_ = State::kDraining;
      if (self->write_in_progress_ || !self->queue_.empty()) {
        return;
      }
    }
    self->Fail(reason, TransportErrorKind::kClosed);
  });
}

void TcpConnection::Fail(const Status& reason, TransportErrorKind request_kind) {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  CloseSocket();
  FailAll(reason, request_kind);
  if (!owner_told_) {
    owner_told_ = true;
    owner_.OnConnectionClosed(this);
  }
}

void TcpConnection::CloseSocket() {
  error_code ignored;
  connect_timer_.cancel();
  resolver_.cancel();
  socket().shutdown(Socket::shutdown_both, ignored);
  socket().close(ignored);
  if (counted_open_) {
    counted_open_ = false;
    context_.metrics->ConnectionClosed();
  }
}

void TcpConnection::FailAll(const Status& reason, TransportErrorKind kind) {
  std::unordered_map<uint64_t, Pending> pending = std::move(pending_);
  pending_.clear();
  unsent_.clear();
  for (auto& [id, entry] : pending) {
    entry.deadline_timer->cancel();
    Finish(entry.callback, entry.started, reason, kind);
  }
}

void TcpConnection::FailPendingAfterStop(const Status& reason) noexcept {
  state_ = State::kClosed;
  FailAll(reason, TransportErrorKind::kClosed);
}

}  // namespace optimystic::plugins::transport_tcp
