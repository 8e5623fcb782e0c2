// SPDX-License-Identifier: Apache-2.0
// TcpTestTransport: a tcp transport (plugins/transport/tcp) of the test process itself, to speak
// to real nodes as a client (client::Client) or as a peer (wire::CallAndWait). It owns the host
// and factory the transport needs. Thread-safety: as the transport's (any thread). Errors: ok()
// is false, and status() says why, when the transport could not be made.
#pragma once

#include <optimystic/config/settings.h>
#include <optimystic/transport/transport.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "support/settings_nodes.h"
#include "support/test_host.h"
#include "transport/tcp/tcp_transport_factory.h"

namespace optimystic::test {

class TcpTestTransport {
 public:
  // `who` names the transport in settings errors; `threads` its I/O threads.
  explicit TcpTestTransport(const std::string& who = "test client", int threads = 1) {
    std::vector<config::SettingsEntry> entries;
    entries.emplace_back("threads", SettingsScalar(std::to_string(threads), who));
    const config::SettingsNode node = SettingsMap(std::move(entries), who);
    const config::Settings settings(&node, "transport.settings", who);
    auto made = factory_.Create(settings, host_);
    if (made.has_value()) {
      transport_ = std::move(*made);
    } else {
      status_ = made.error();
    }
  }

  bool ok() const noexcept { return transport_ != nullptr; }
  const Status& status() const noexcept { return status_; }
  // REQUIRES: ok().
  transport::Transport& operator*() const noexcept { return *transport_; }
  transport::Transport* operator->() const noexcept { return transport_.get(); }

 private:
  TestHost host_;
  plugins::transport_tcp::TcpTransportFactory factory_;
  std::unique_ptr<transport::Transport> transport_;
  Status status_;
};

}  // namespace optimystic::test
