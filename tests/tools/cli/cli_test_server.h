// SPDX-License-Identifier: Apache-2.0
// CliTestServer: what the CLI tests talk to: a node's RequestRouter over a FakeDatabase, served
// by a real tcp transport on 127.0.0.1 (port chosen by the system), plus a client transport and
// Client for tests that act on the node themselves, and a URL where nothing listens.
// Thread-safety: construct and destroy on one thread; the served node answers on the
// transport's threads. Errors: setup failures fail the test (gtest assertions).
#pragma once

#include <optimystic/client/client.h>
#include <optimystic/transport/transport_metrics.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/request_router.h"
#include "support/fake_database.h"
#include "support/test_host.h"
#include "transport/tcp/tcp_transport.h"

namespace optimystic::test {

inline std::unique_ptr<transport::Transport> NewTcpTransport(host::HostServices& host) {
  Result<transport::TransportMetrics> metrics =
      transport::TransportMetrics::Create(host.metrics(), "tcp");
  EXPECT_TRUE(metrics.has_value());
  auto transport = plugins::transport_tcp::TcpTransport::Create(
      plugins::transport_tcp::TcpTransportOptions{}, host, *metrics);
  EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
  return transport ? std::move(transport).value() : nullptr;
}

// Answers nothing; only lets a test find a port where no node listens.
class NoReply final : public transport::RequestHandler {
 public:
  void OnRequest(std::string_view, transport::Responder& responder) noexcept override {
    responder.Fail(Status::Unavailable("no"));
  }
};

class CliTestServer {
 public:
  CliTestServer() {
    server_ = NewTcpTransport(host_);
    client_transport_ = NewTcpTransport(host_);
    auto router = server::RequestRouter::Create("peer-cli", "0.1.0", host_.clock(), &database_);
    EXPECT_TRUE(router.has_value());
    router_ = std::move(*router);
    Result<std::string> url = server_->Listen("tcp://127.0.0.1:0", *router_);
    EXPECT_TRUE(url.has_value()) << url.status().ToString();
    url_ = url.value_or("");
    client::ClientOptions options;
    options.clock = &host_.clock();
    client_ = std::make_unique<client::Client>(*client_transport_, url_, options);
    // A port that was free a moment ago: bound by another transport that is then closed.
    std::unique_ptr<transport::Transport> gone = NewTcpTransport(host_);
    NoReply handler;
    Result<std::string> dead = gone->Listen("tcp://127.0.0.1:0", handler);
    EXPECT_TRUE(dead.has_value());
    EXPECT_TRUE(gone->Close().ok());
    dead_url_ = dead.value_or("");
  }
  ~CliTestServer() {
    EXPECT_TRUE(client_transport_->Close().ok());
    EXPECT_TRUE(server_->Close().ok());
  }

  const std::string& url() const { return url_; }
  const std::string& dead_url() const { return dead_url_; }
  FakeDatabase& database() { return database_; }
  client::Client& client() { return *client_; }
  // A client of this server whose request clock is the given transport's host clock.
  client::Client ClientOn(transport::Transport& transport, const std::string& url) {
    client::ClientOptions options;
    options.clock = &host_.clock();
    return client::Client(transport, url, options);
  }
  transport::Transport& client_transport() { return *client_transport_; }
  TestHost& host() { return host_; }

 private:
  TestHost host_;
  FakeDatabase database_;
  std::unique_ptr<transport::Transport> server_;
  std::unique_ptr<transport::Transport> client_transport_;
  std::unique_ptr<server::RequestRouter> router_;
  std::unique_ptr<client::Client> client_;
  std::string url_;
  std::string dead_url_;
};

}  // namespace optimystic::test
