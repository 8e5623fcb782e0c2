// SPDX-License-Identifier: Apache-2.0
// Transport: message-oriented asynchronous request/reply between peers and from clients
// (DESIGN.md §5). A server Listen()s on a URL with a handler; a client Request()s a URL and gets
// exactly one reply or one error through a callback. Many requests may be in flight at once.
// URLs: tcp://host:port; a plugin may accept more schemes (ipc://, tls+tcp://).
// OWNERSHIP: handlers and callbacks are owned by the host and must outlive the transport (the
// host closes the transport before destroying them). Message bytes are copied by the plugin.
// Thread-safety: every method may be called from any thread; handlers and callbacks run on the
// plugin's threads and must not block for long.
// Errors: refused connections are Unavailable, expired deadlines TimedOut, a message over the
// size limit InvalidArgument, use after Close Unavailable.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace optimystic::transport {

// Sends the reply to one incoming request. Exactly one of Reply/Fail must be called, once.
class Responder {
 public:
  virtual void Reply(std::string_view bytes) noexcept = 0;
  virtual void Fail(const Status& error) noexcept = 0;

 protected:
  ~Responder() = default;
};

class RequestHandler {
 public:
  // `responder` stays valid until it is used; it may be used after OnRequest returns.
  virtual void OnRequest(std::string_view request, Responder& responder) noexcept = 0;

 protected:
  ~RequestHandler() = default;
};

class ReplyCallback {
 public:
  virtual void OnReply(Result<std::string> reply) noexcept = 0;

 protected:
  ~ReplyCallback() = default;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Starts serving `url`. Returns the URL actually bound (port 0 resolved).
  virtual Result<std::string> Listen(std::string_view url, RequestHandler& handler) noexcept = 0;
  // Sends `request` to `url`; `callback` receives the reply or an error by `deadline_unix_ms`.
  virtual void Request(std::string_view url, std::string_view request, int64_t deadline_unix_ms,
                       ReplyCallback& callback) noexcept = 0;
  // Stops listening, completes or fails in-flight requests, joins the plugin's threads.
  virtual Status Close() noexcept = 0;
};

class TransportFactory {
 public:
  static constexpr const char* kInterface = "optimystic.transport.TransportFactory";
  static constexpr uint32_t kVersion = 1;

  virtual Status Validate(const config::Settings& settings) const noexcept = 0;
  virtual Result<std::unique_ptr<Transport>> Create(const config::Settings& settings,
                                                    host::HostServices& host) noexcept = 0;

 protected:
  ~TransportFactory() = default;
};

}  // namespace optimystic::transport
