// SPDX-License-Identifier: Apache-2.0
#include "transport/tcp/tls_context.h"

#include <boost/system/error_code.hpp>

#include <exception>

namespace optimystic::plugins::transport_tcp {
namespace {

namespace ssl = boost::asio::ssl;

Status FileError(const char* setting, const std::string& path,
                 const boost::system::error_code& ec) {
  return Status::InvalidArgument(std::string(setting) + " '" + path + "': " + ec.message());
}

}  // namespace

Result<std::unique_ptr<ssl::context>> NewTlsContext(const TcpTlsOptions& options) noexcept {
  try {
    auto context = std::make_unique<ssl::context>(ssl::context::tls);
    boost::system::error_code ec;
    context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                             ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                             ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                         ec);
    if (ec) {
      return Status::Internal("tls options: " + ec.message());
    }
    if (context->load_verify_file(options.ca_file, ec); ec) {
      return FileError("ca_file", options.ca_file, ec);
    }
    if (context->use_certificate_chain_file(options.cert_file, ec); ec) {
      return FileError("cert_file", options.cert_file, ec);
    }
    // OpenSSL also checks here that the key belongs to the certificate.
    if (context->use_private_key_file(options.key_file, ssl::context::pem, ec); ec) {
      return FileError("key_file", options.key_file, ec);
    }
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) {
      return Status::Internal("tls verify mode: " + ec.message());
    }
    return context;
  } catch (const std::exception& e) {  // ssl::context's constructor throws when SSL_CTX_new fails
    return Status::Internal(std::string("tls context: ") + e.what());
  }
}

}  // namespace optimystic::plugins::transport_tcp
