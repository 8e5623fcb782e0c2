// SPDX-License-Identifier: Apache-2.0
#include "transport/tcp/tcp_transport.h"

#include <charconv>
#include <chrono>
#include <exception>
#include <utility>

namespace optimystic::plugins::transport_tcp {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using transport::TransportErrorKind;

constexpr std::string_view kScheme = "tcp://";
// How long Close() lets connections finish their last writes before it stops the threads.
constexpr auto kCloseGrace = std::chrono::seconds(5);

struct TcpUrl {
  std::string host;
  std::string port;
  std::string peer;  // host:port as written, the key of a client connection
};

// Parses tcp://host:port (host may be a bracketed IPv6 address).
Result<TcpUrl> ParseTcpUrl(std::string_view url) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("bad url '" + std::string(url) + "': " + std::string(why) +
                                   " (expected tcp://host:port)");
  };
  if (url.substr(0, kScheme.size()) != kScheme) {
    return bad("unsupported scheme");
  }
  TcpUrl parsed;
  parsed.peer = std::string(url.substr(kScheme.size()));
  const std::string_view rest = parsed.peer;
  const size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return bad("missing host or port");
  }
  std::string_view host = rest.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return bad("unterminated IPv6 address");
    }
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port = rest.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  parsed.host = std::string(host);
  parsed.port = std::string(port);
  return parsed;
}

std::string UrlOf(const asio::ip::tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return std::string(kScheme) + host + ":" + std::to_string(endpoint.port());
}

}  // namespace

struct TcpTransport::Listener {
  explicit Listener(asio::io_context& io, transport::RequestHandler& handler_in)
      : strand(asio::make_strand(io)), acceptor(strand), handler(handler_in) {}
  asio::strand<asio::io_context::executor_type> strand;
  asio::ip::tcp::acceptor acceptor;  // used on `strand` only once accepting
  transport::RequestHandler& handler;
  std::string url;
};

TcpTransport::TcpTransport(const TcpTransportOptions& options, host::HostServices& host,
                           transport::TransportMetrics metrics)
    : options_(options),
      host_(host),
      metrics_(metrics),
      responders_(metrics_, options.max_message_bytes),
      io_(std::make_unique<asio::io_context>()) {
  work_.emplace(io_->get_executor());
}

Result<std::unique_ptr<TcpTransport>> TcpTransport::Create(
    const TcpTransportOptions& options, host::HostServices& host,
    transport::TransportMetrics metrics) noexcept {
  std::unique_ptr<TcpTransport> transport(new TcpTransport(options, host, metrics));
  if (options.tls.has_value()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(transport->tls_, NewTlsContext(*options.tls));
  }
  OPTIMYSTIC_RETURN_IF_ERROR(transport->StartThreads());
  return transport;
}

Status TcpTransport::StartThreads() {
  try {
    for (uint32_t i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] { RunThread(); });
    }
  } catch (const std::exception& e) {  // std::thread throws system_error when it cannot start
    Status status = Status::Internal(std::string("cannot start a transport thread: ") + e.what());
    (void)Close();
    return status;
  }
  return Status::Ok();
}

void TcpTransport::RunThread() noexcept {
  for (;;) {
    try {
      io_->run();
      break;
    } catch (const std::exception& e) {  // no handler of ours throws; this is a last resort
      host_.logger().Log(logging::LogLevel::kError,
                         std::string("transport.tcp: handler threw: ") + e.what());
    }
  }
  {
    std::lock_guard lock(mu_);
    ++threads_exited_;
  }
  threads_done_.notify_all();
}

TcpTransport::~TcpTransport() {
  (void)Close();
  clients_.clear();
  servers_.clear();
  listeners_.clear();
  io_.reset();  // destroys the connections its queued handlers still hold
}

Result<std::string> TcpTransport::Listen(std::string_view url,
                                         transport::RequestHandler& handler) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(TcpUrl parsed, ParseTcpUrl(url));
  const std::string where = "listen " + std::string(url) + ": ";
  error_code ec;
  asio::ip::tcp::resolver resolver(*io_);
  const auto endpoints =
      resolver.resolve(parsed.host, parsed.port, asio::ip::tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return Status::InvalidArgument(where + "resolve: " + (ec ? ec.message() : "no address"));
  }
  const asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto listener = std::make_unique<Listener>(*io_, handler);
  asio::ip::tcp::acceptor& acceptor = listener->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return Status::IOError(where + "open: " + ec.message());
  }
  // A restarted node rebinds its port at once, even with old connections in TIME_WAIT.
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) {
    return Status::IOError(where + "reuse_address: " + ec.message());
  }
  if (acceptor.bind(endpoint, ec); ec) {
    return Status::IOError(where + "bind: " + ec.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::IOError(where + "listen: " + ec.message());
  }
  const auto bound = acceptor.local_endpoint(ec);
  if (ec) {
    return Status::IOError(where + "local address: " + ec.message());
  }
  listener->url = UrlOf(bound);
  std::string bound_url = listener->url;
  Listener* raw = listener.get();
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      return Status::Unavailable(where + "transport closed");
    }
    listeners_.push_back(std::move(listener));
    asio::post(raw->strand, [this, raw] { Accept(raw); });
  }
  host_.logger().Log(logging::LogLevel::kInfo, "transport.tcp: listening on " + bound_url +
                                                   (tls_ != nullptr ? " (tls)" : " (plain)"));
  return bound_url;
}

void TcpTransport::Accept(Listener* listener) {
  listener->acceptor.async_accept(
      *io_, asio::bind_executor(listener->strand, [this, listener](const error_code& ec,
                                                                   asio::ip::tcp::socket socket) {
        OnAccept(listener, ec, std::move(socket));
      }));
}

void TcpTransport::OnAccept(Listener* listener, const error_code& ec,
                            asio::ip::tcp::socket socket) {
  if (!listener->acceptor.is_open() || ec == asio::error::operation_aborted) {
    return;  // closed
  }
  if (ec) {
    metrics_.CountError(TransportErrorKind::kIo);
    host_.logger().Log(logging::LogLevel::kWarn,
                       "transport.tcp: accept on " + listener->url + ": " + ec.message());
    Accept(listener);
    return;
  }
  ConnectionContext context{io_.get(),
                            tls_.get(),
                            &metrics_,
                            &host_.logger(),
                            &responders_,
                            options_.max_message_bytes,
                            options_.connect_timeout_ms};
  std::shared_ptr<TcpConnection> connection =
      TcpConnection::NewServer(context, *this, std::move(socket), listener->handler);
  if (connection != nullptr) {
    std::lock_guard lock(mu_);
    if (!closed_) {
      servers_.emplace(connection.get(), connection);
      connection->Start();
    }
  }
  Accept(listener);
}

void TcpTransport::Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
                           transport::ReplyCallback& callback) noexcept {
  const auto started = std::chrono::steady_clock::now();
  if (request.size() > options_.max_message_bytes) {
    Reject(callback,
           Status::InvalidArgument("request too large: " + std::to_string(request.size()) +
                                   " bytes, max_message_bytes is " +
                                   std::to_string(options_.max_message_bytes)),
           TransportErrorKind::kTooLarge);
    return;
  }
  Result<TcpUrl> parsed = ParseTcpUrl(url);
  if (!parsed) {
    Reject(callback, parsed.error(), TransportErrorKind::kRefused);
    return;
  }
  if (parsed->port == "0") {
    Reject(callback, Status::InvalidArgument("bad url '" + std::string(url) + "': port 0"),
           TransportErrorKind::kRefused);
    return;
  }
  const int64_t remaining_ms = deadline_unix_ms - host_.clock().NowUnixMs();
  if (remaining_ms <= 0) {
    Reject(callback, Status::TimedOut("request to " + parsed->peer + ": deadline already passed"),
           TransportErrorKind::kTimeout);
    return;
  }
  OutgoingRequest outgoing;
  outgoing.callback = &callback;
  outgoing.payload = std::string(request);
  outgoing.started = started;
  outgoing.deadline = started + std::chrono::milliseconds(remaining_ms);
  std::unique_lock lock(mu_);
  if (closed_) {
    lock.unlock();
    Reject(callback, Status::Unavailable("transport closed"), TransportErrorKind::kClosed);
    return;
  }
  SubmitLocked(parsed->peer, parsed->host, parsed->port, std::move(outgoing), nullptr);
}

void TcpTransport::SubmitLocked(const std::string& peer, const std::string& host,
                                const std::string& port, OutgoingRequest request,
                                const TcpConnection* replacing) {
  std::shared_ptr<TcpConnection>& slot = clients_[peer];
  if (slot != nullptr && slot.get() == replacing) {
    slot.reset();
  }
  if (slot == nullptr) {
    ConnectionContext context{io_.get(),
                              tls_.get(),
                              &metrics_,
                              &host_.logger(),
                              &responders_,
                              options_.max_message_bytes,
                              options_.connect_timeout_ms};
    slot = TcpConnection::NewClient(context, *this, peer, host, port);
    if (slot == nullptr) {
      clients_.erase(peer);
      asio::post(*io_, [callback = request.callback] {
        callback->OnReply(Status::Internal("cannot create a connection (see the log)"));
      });
      return;
    }
    slot->Start();
  }
  // Posted under mu_, so that Close(), which sets closed_ under mu_ before it shuts the
  // connections down, always finds this request on the connection and fails it.
  slot->Submit(std::move(request));
}

void TcpTransport::Reject(transport::ReplyCallback& callback, Status error,
                          TransportErrorKind kind) {
  metrics_.CountError(kind);
  std::unique_lock lock(mu_);
  if (closed_) {
    lock.unlock();
    callback.OnReply(std::move(error));
    return;
  }
  asio::post(*io_, [&callback, error = std::move(error)] { callback.OnReply(error); });
}

void TcpTransport::Resubmit(TcpConnection& from, OutgoingRequest request) noexcept {
  std::unique_lock lock(mu_);
  if (closed_) {
    lock.unlock();
    metrics_.CountError(TransportErrorKind::kClosed);
    request.callback->OnReply(Status::Unavailable("transport closed"));
    return;
  }
  SubmitLocked(from.peer(), from.host(), from.port(), std::move(request), &from);
}

void TcpTransport::OnConnectionClosed(TcpConnection* connection) noexcept {
  std::lock_guard lock(mu_);
  if (connection->role() == TcpConnection::Role::kServer) {
    servers_.erase(connection);
    return;
  }
  auto it = clients_.find(connection->peer());
  if (it != clients_.end() && it->second.get() == connection) {
    clients_.erase(it);
  }
}

Status TcpTransport::Close() noexcept {
  std::vector<std::shared_ptr<TcpConnection>> connections;
  {
    std::lock_guard lock(mu_);
    if (closed_) {
      return Status::Ok();
    }
    closed_ = true;
    for (auto& [peer, connection] : clients_) {
      connections.push_back(connection);
    }
    for (auto& [raw, connection] : servers_) {
      connections.push_back(connection);
    }
    for (const std::unique_ptr<Listener>& listener : listeners_) {
      asio::post(listener->strand, [listener = listener.get()] {
        error_code ignored;
        listener->acceptor.close(ignored);
      });
    }
  }
  for (const std::shared_ptr<TcpConnection>& connection : connections) {
    connection->Shutdown(Status::Unavailable("transport closed"));
  }
  work_.reset();  // the threads return once every connection has wound down
  {
    std::unique_lock lock(mu_);
    if (!threads_done_.wait_for(lock, kCloseGrace,
                                [&] { return threads_exited_ == threads_.size(); })) {
      host_.logger().Log(logging::LogLevel::kWarn,
                         "transport.tcp: close: connections still busy after 5 s, stopping");
      io_->stop();
    }
  }
  for (std::thread& thread : threads_) {
    thread.join();
  }
  // Only after a forced stop can a request still be pending here.
  for (const std::shared_ptr<TcpConnection>& connection : connections) {
    if (connection->role() == TcpConnection::Role::kClient) {
      connection->FailPendingAfterStop(Status::Unavailable("transport closed"));
    }
  }
  return Status::Ok();
}

}  // namespace optimystic::plugins::transport_tcp
