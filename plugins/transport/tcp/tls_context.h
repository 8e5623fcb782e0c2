// SPDX-License-Identifier: Apache-2.0
// NewTlsContext: the OpenSSL context (through boost::asio::ssl) every TLS connection of one tcp
// transport shares, set up for mutual authentication: it presents `cert_file` with `key_file`,
// trusts only certificates signed by `ca_file`, and requires the peer to present one (a server
// refuses a client without a certificate during the handshake). TLS 1.2 is the oldest version
// offered. This is the one place where Asio's throwing SSL setup is wrapped.
// Thread-safety: the context is read by every connection at once, which OpenSSL allows once it
// is set up. Errors: InvalidArgument naming the file setting and the path that failed.
#pragma once

#include <optimystic/base/result.h>

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

namespace optimystic::plugins::transport_tcp {

struct TcpTlsOptions {
  std::string ca_file;    // PEM: the cluster CA that signs every peer's certificate
  std::string cert_file;  // PEM: this node's certificate (chain)
  std::string key_file;   // PEM: its private key
};

Result<std::unique_ptr<boost::asio::ssl::context>> NewTlsContext(
    const TcpTlsOptions& options) noexcept;

}  // namespace optimystic::plugins::transport_tcp
