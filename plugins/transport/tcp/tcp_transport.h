// SPDX-License-Identifier: Apache-2.0
// TcpTransport: the Transport of the `tcp` plugin: length-prefixed frames (frame_format.h) over
// TCP with Boost.Asio, optionally inside TLS with mutual authentication (tls_context.h). An
// io_context run by `threads` threads serves every connection; each connection runs on its own
// strand. A client keeps one connection per peer (host:port of the URL), sends many requests
// on it at once and matches replies by request id; a connection that broke is replaced by a
// new one on the next request. Deadlines are unix ms read against the host clock and then
// timed on the steady clock.
// Thread-safety: every method may be called from any thread, except that Close() (and the
// destructor) must not be called from a handler or callback, which run on the transport's own
// threads. Errors: Listen returns InvalidArgument for a bad URL and IOError when it cannot bind;
// a request's callback gets InvalidArgument (bad URL, too large), Unavailable (refused, peer
// gone, TLS refused, closed), TimedOut (deadline), or the error the peer's handler sent.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/host/host_services.h>
#include <optimystic/transport/transport.h>
#include <optimystic/transport/transport_metrics.h>

#include "transport/tcp/responder_registry.h"
#include "transport/tcp/tcp_connection.h"
#include "transport/tcp/tls_context.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace optimystic::plugins::transport_tcp {

struct TcpTransportOptions {
  uint32_t threads = 2;
  uint32_t max_message_bytes = 16u << 20;  // 16 MiB
  uint32_t connect_timeout_ms = 5000;      // connect plus TLS handshake
  std::optional<TcpTlsOptions> tls;        // set: every connection, in and out, is TLS
};

class TcpTransport final : public transport::Transport, private ConnectionOwner {
 public:
  // Starts the threads. Errors: the TLS files' errors (tls_context.h), Internal when a thread
  // cannot be started.
  static Result<std::unique_ptr<TcpTransport>> Create(const TcpTransportOptions& options,
                                                      host::HostServices& host,
                                                      transport::TransportMetrics metrics) noexcept;
  ~TcpTransport() override;  // Close()s first

  // `url` is tcp://host:port; port 0 picks a free port, and the URL returned names it.
  Result<std::string> Listen(std::string_view url,
                             transport::RequestHandler& handler) noexcept override;
  void Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
               transport::ReplyCallback& callback) noexcept override;
  // Stops accepting, fails client requests in flight with Unavailable ("closed"), writes the
  // replies server handlers have already given, drops later ones, and joins the threads. A
  // Responder not used yet stays valid (its reply is dropped) until the transport is destroyed.
  Status Close() noexcept override;

 private:
  struct Listener;

  TcpTransport(const TcpTransportOptions& options, host::HostServices& host,
               transport::TransportMetrics metrics);
  Status StartThreads();
  void RunThread() noexcept;
  void Accept(Listener* listener);
  void OnAccept(Listener* listener, const boost::system::error_code& ec,
                boost::asio::ip::tcp::socket socket);
  // Hands `request` to the connection for `peer`, opening one if there is none; with
  // `replacing` set, a connection other than `replacing` is kept and `replacing` is dropped.
  void SubmitLocked(const std::string& peer, const std::string& host, const std::string& port,
                    OutgoingRequest request, const TcpConnection* replacing);
  // Fails `request` with `error` on a pool thread (inline once closed).
  void Reject(transport::ReplyCallback& callback, Status error, transport::TransportErrorKind kind);

  void OnConnectionClosed(TcpConnection* connection) noexcept override;
  void Resubmit(TcpConnection& from, OutgoingRequest request) noexcept override;

  const TcpTransportOptions options_;
  host::HostServices& host_;
  transport::TransportMetrics metrics_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  ResponderRegistry responders_;
  // Destroyed explicitly in the destructor, before the members above, because connections
  // (owned by handlers queued in it) point at them.
  std::unique_ptr<boost::asio::io_context> io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;

  std::mutex mu_;
  std::condition_variable threads_done_;
  size_t threads_exited_ = 0;                                      // guarded by mu_
  bool closed_ = false;                                            // guarded by mu_
  std::map<std::string, std::shared_ptr<TcpConnection>> clients_;  // guarded by mu_
  std::unordered_map<const TcpConnection*, std::shared_ptr<TcpConnection>> servers_;  // mu_
  std::vector<std::unique_ptr<Listener>> listeners_;  // guarded by mu_
};

}  // namespace optimystic::plugins::transport_tcp
