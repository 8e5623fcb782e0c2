// SPDX-License-Identifier: Apache-2.0
// TcpConnection: one framed connection of the tcp transport (frame_format.h), plain or TLS, in
// one of two roles. A client connection connects to a peer, sends requests with ids it picks,
// matches replies to them by id and fails each request at its deadline. A server connection
// reads requests, hands each to the listener's RequestHandler with a Responder, and writes the
// replies back in whatever order they come. Everything a connection does runs on its own strand;
// the public methods only post to it, so they may be called from any thread.
// Errors: a connection that breaks (peer gone, bad bytes, TLS failure) closes itself, fails its
// client requests with Unavailable and tells its owner; it never throws.
#pragma once

#include <optimystic/base/status.h>
#include <optimystic/logging/logger.h>
#include <optimystic/transport/transport.h>
#include <optimystic/transport/transport_metrics.h>

#include "transport/tcp/frame_format.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <unordered_map>
#include <vector>

namespace optimystic::plugins::transport_tcp {

class ResponderRegistry;
class TcpConnection;

// One client request on its way: the caller's callback and what to send.
struct OutgoingRequest {
  transport::ReplyCallback* callback = nullptr;
  std::string payload;
  std::chrono::steady_clock::time_point deadline;
  std::chrono::steady_clock::time_point started;
  bool resubmitted = false;  // sent again once after finding its connection closed by the peer
};

// What every connection of one transport shares. The transport owns it and joins its threads
// before destroying it, so connections may keep plain references.
struct ConnectionContext {
  boost::asio::io_context* io = nullptr;
  boost::asio::ssl::context* tls = nullptr;  // null: plain TCP
  transport::TransportMetrics* metrics = nullptr;
  logging::Logger* logger = nullptr;
  ResponderRegistry* responders = nullptr;
  uint32_t max_message_bytes = 0;
  uint32_t connect_timeout_ms = 0;
};

// Told when a connection closes and asked to resend a request that found its (idle) client
// connection already closed by the peer. Implemented by the transport.
class ConnectionOwner {
 public:
  virtual void OnConnectionClosed(TcpConnection* connection) noexcept = 0;
  virtual void Resubmit(TcpConnection& from, OutgoingRequest request) noexcept = 0;

 protected:
  ~ConnectionOwner() = default;
};

class TcpConnection final : public std::enable_shared_from_this<TcpConnection> {
 public:
  enum class Role : uint8_t { kClient, kServer };
  using Socket = boost::asio::ip::tcp::socket;
  using TlsStream = boost::asio::ssl::stream<Socket>;

  // A client connection to `host`:`port` (`peer` is its key in the owner's map). Call Start().
  static std::shared_ptr<TcpConnection> NewClient(const ConnectionContext& context,
                                                  ConnectionOwner& owner, std::string peer,
                                                  std::string host, std::string port) noexcept;
  // A server connection on an accepted socket, serving `handler`. Call Start().
  static std::shared_ptr<TcpConnection> NewServer(const ConnectionContext& context,
                                                  ConnectionOwner& owner, Socket socket,
                                                  transport::RequestHandler& handler) noexcept;
  ~TcpConnection();

  // Client: resolve, connect and handshake. Server: handshake, then read requests.
  void Start() noexcept;
  // Client: sends `request`, or queues it while connecting; its callback gets exactly one
  // result (reply, peer error, Unavailable, TimedOut).
  void Submit(OutgoingRequest request) noexcept;
  // Server: writes `frame` (a reply or error reply of `payload_bytes`); dropped once closed.
  void SendFrame(std::string frame, uint64_t payload_bytes) noexcept;
  // Client: closes now, failing every request with `reason`. Server: stops reading, flushes
  // the replies already queued, then closes.
  void Shutdown(Status reason) noexcept;
  // After the transport's threads are joined: fails what is still pending with `reason`.
  void FailPendingAfterStop(const Status& reason) noexcept;

  Role role() const noexcept { return role_; }
  const std::string& peer() const noexcept { return peer_; }
  const std::string& host() const noexcept { return host_; }
  const std::string& port() const noexcept { return port_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    transport::ReplyCallback* callback = nullptr;
    Clock::time_point started;
    std::unique_ptr<boost::asio::steady_timer> deadline_timer;
  };
  enum class State : uint8_t { kConnecting, kOpen, kDraining, kClosed };

  // REQUIRES (all private methods): running on strand_.
  TcpConnection(const ConnectionContext& context, ConnectionOwner& owner, Role role, Socket socket);

  // Connecting (client) and handshaking (both).
  void ArmConnectTimer();
  void OnResolved(const boost::system::error_code& ec,
                  const boost::asio::ip::tcp::resolver::results_type& endpoints);
  void OnConnected(const boost::system::error_code& ec);
  void Handshake();
  void OnHandshake(const boost::system::error_code& ec);
  void OnOpen();

  // Client requests.
  void OnSubmit(OutgoingRequest request);
  uint64_t AddPending(const OutgoingRequest& request);
  void WriteRequest(uint64_t id, std::string_view payload);
  void OnDeadline(uint64_t id, const boost::system::error_code& ec);
  bool PeerClosedWhileIdle();
  // Delivers `result` to request `id` unless it already ended; counts `error_kind` if set.
  void Complete(uint64_t id, Result<std::string> result,
                std::optional<transport::TransportErrorKind> error_kind);
  void Finish(transport::ReplyCallback* callback, Clock::time_point started, const Status& error,
              transport::TransportErrorKind kind);

  // Reading frames.
  void ReadHeader();
  void OnHeader(const boost::system::error_code& ec);
  void OnOversizeFrame(const FrameHeader& header);
  void Discard(uint64_t remaining_bytes);
  void OnFrame(const FrameHeader& header);
  void DispatchRequest(uint64_t id, std::string payload);
  void OnReadError(const boost::system::error_code& ec);
  void ProtocolError(const std::string& what);

  // Writing frames.
  void Enqueue(std::string frame);
  void StartWrite();
  void OnWritten(const boost::system::error_code& ec);

  // Ending: closes the socket, fails every request with `reason` (counted as `request_kind`)
  // and tells the owner, once.
  void Fail(const Status& reason, transport::TransportErrorKind request_kind);
  void CloseSocket();
  void FailAll(const Status& reason, transport::TransportErrorKind kind);

  template <class Buffers, class Handler>
  void AsyncRead(const Buffers& buffers, Handler&& handler);
  template <class Buffers, class Handler>
  void AsyncWrite(const Buffers& buffers, Handler&& handler);
  Socket& socket();

  ConnectionContext context_;
  ConnectionOwner& owner_;
  const Role role_;
  std::string peer_;  // client: the URL's host:port; server: the remote address
  std::string host_;
  std::string port_;
  transport::RequestHandler* handler_ = nullptr;  // server only
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  std::unique_ptr<Socket> plain_;  // exactly one of plain_ and tls_ is set
  std::unique_ptr<TlsStream> tls_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;  // connect plus handshake
  bool connect_timed_out_ = false;
  std::atomic<State> state_{State::kConnecting};  // written on the strand, read anywhere
  bool counted_open_ = false;
  bool owner_told_ = false;

  FrameHeaderBytes header_bytes_{};
  std::string payload_;
  std::vector<char> discard_buffer_;

  std::deque<std::string> queue_;     // frames waiting to be written
  std::vector<std::string> writing_;  // frames of the write in progress
  bool write_in_progress_ = false;

  uint64_t next_id_ = 1;
  std::vector<std::pair<uint64_t, std::string>> unsent_;  // client: submitted while connecting
  std::unordered_map<uint64_t, Pending> pending_;         // client: awaiting a reply
};

}  // namespace optimystic::plugins::transport_tcp
