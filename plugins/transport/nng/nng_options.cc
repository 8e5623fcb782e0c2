// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_options.h"

#include "transport/nng/nng_status.h"

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

namespace optimystic::plugins::transport_nng {
namespace {

constexpr uint64_t kMaxCloseDrainMs = 10ull * 60 * 1000;
constexpr uint64_t kMaxPemBytes = 1ull << 20;

// The whole file, or IOError at `where` naming the path and the system's reason.
Result<std::string> ReadPem(const config::Settings& where, const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int saved = errno;
    return Status::IOError(where.Where() + ": cannot read '" + path +
                           "': " + (saved != 0 ? std::strerror(saved) : "cannot open"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string pem = std::move(text).str();
  if (pem.empty()) return where.Error("'" + path + "' is empty");
  if (pem.size() > kMaxPemBytes) return where.Error("'" + path + "' is larger than 1 MiB");
  return pem;
}

Result<std::string> RequireFileKey(const config::Settings& tls, std::string_view key) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string path, tls.RequireString(key));
  if (path.empty()) return tls.Get(key).Error("must not be empty");
  return path;
}

struct Pems {
  std::string ca;
  std::string cert;
  std::string key;
};

// Refuses a password prompt: an encrypted key is not supported, and a node must never wait on a
// terminal.
int NoPassword(char*, int, int, void*) { return -1; }

// mbedTLS (inside nng) takes a key that does not belong to the certificate and then fails every
// handshake; OpenSSL can tell at validation time, and which file is wrong.
Status CheckKeyPair(const config::Settings& tls, const NngTlsOptions& options, const Pems& pems) {
  struct Free {
    void operator()(BIO* bio) const { BIO_free(bio); }
    void operator()(X509* cert) const { X509_free(cert); }
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  std::unique_ptr<BIO, Free> cert_bio(
      BIO_new_mem_buf(pems.cert.data(), static_cast<int>(pems.cert.size())));
  std::unique_ptr<BIO, Free> key_bio(
      BIO_new_mem_buf(pems.key.data(), static_cast<int>(pems.key.size())));
  std::unique_ptr<X509, Free> cert(
      cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  std::unique_ptr<EVP_PKEY, Free> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  const bool matches = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  if (!cert)
    return tls.Get("cert_file").Error("'" + options.cert_file + "' is not a PEM certificate");
  if (!key) {
    return tls.Get("key_file")
        .Error("'" + options.key_file + "' is not an unencrypted PEM private key");
  }
  if (!matches) {
    return tls.Get("key_file")
        .Error("'" + options.key_file + "' is not the private key of certificate '" +
               options.cert_file + "'");
  }
  return Status::Ok();
}

// A file the TLS library refused is a configuration error, whatever nng calls it.
Status Rejected(const config::Settings& where, const std::string& what, int rv) {
  return where.Error(what + ": nng: " + nng_strerror(rv));
}

// One TLS configuration in `mode`, requiring and verifying the peer's certificate.
Result<NngTlsConfig> BuildTlsConfig(nng_tls_mode mode, const config::Settings& tls,
                                    const NngTlsOptions& options, const Pems& pems) {
  nng_tls_config* raw = nullptr;
  int rv = nng_tls_config_alloc(&raw, mode);
  if (rv != 0) return NngStatus(rv, tls.Where() + ": allocate TLS configuration");
  NngTlsConfig config(raw);
  rv = nng_tls_config_auth_mode(raw, NNG_TLS_AUTH_MODE_REQUIRED);
  if (rv != 0) return NngStatus(rv, tls.Where() + ": require peer certificates");
  rv = nng_tls_config_ca_chain(raw, pems.ca.c_str(), nullptr);
  if (rv != 0) {
    return Rejected(tls.Get("ca_file"), "'" + options.ca_file + "' holds no usable CA certificate",
                    rv);
  }
  if (!pems.cert.empty()) {
    rv = nng_tls_config_own_cert(raw, pems.cert.c_str(), pems.key.c_str(), nullptr);
    if (rv != 0) {
      return Rejected(
          tls.Get("cert_file"),
          "certificate '" + options.cert_file + "' with key '" + options.key_file + "' rejected",
          rv);
    }
  }
  if (mode == NNG_TLS_MODE_CLIENT && !options.server_name.empty()) {
    rv = nng_tls_config_server_name(raw, options.server_name.c_str());
    if (rv != 0) return Rejected(tls.Get("server_name"), "not accepted", rv);
  }
  return config;
}

Result<NngTlsOptions> ParseTls(const config::Settings& tls) {
  if (!tls.is_map()) return tls.Error("expected a map with ca_file, cert_file and key_file");
  OPTIMYSTIC_RETURN_IF_ERROR(tls.CheckKeys({"ca_file", "cert_file", "key_file", "server_name"}));
  NngTlsOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.ca_file, RequireFileKey(tls, "ca_file"));
  if (tls.Has("cert_file") || tls.Has("key_file")) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(options.cert_file, RequireFileKey(tls, "cert_file"));
    OPTIMYSTIC_ASSIGN_OR_RETURN(options.key_file, RequireFileKey(tls, "key_file"));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.server_name, tls.GetString("server_name", ""));
  Pems pems;
  OPTIMYSTIC_ASSIGN_OR_RETURN(pems.ca, ReadPem(tls.Get("ca_file"), options.ca_file));
  if (!options.cert_file.empty()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(pems.cert, ReadPem(tls.Get("cert_file"), options.cert_file));
    OPTIMYSTIC_ASSIGN_OR_RETURN(pems.key, ReadPem(tls.Get("key_file"), options.key_file));
  }
  if (!pems.cert.empty()) OPTIMYSTIC_RETURN_IF_ERROR(CheckKeyPair(tls, options, pems));
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.client,
                              BuildTlsConfig(NNG_TLS_MODE_CLIENT, tls, options, pems));
  if (!pems.cert.empty()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(options.server,
                                BuildTlsConfig(NNG_TLS_MODE_SERVER, tls, options, pems));
  }
  return options;
}

}  // namespace

NngTlsConfig& NngTlsConfig::operator=(NngTlsConfig&& other) noexcept {
  if (this != &other) {
    if (config_ != nullptr) nng_tls_config_free(config_);
    config_ = other.release();
  }
  return *this;
}

NngTlsConfig::~NngTlsConfig() {
  if (config_ != nullptr) nng_tls_config_free(config_);
}

nng_tls_config* NngTlsConfig::release() noexcept {
  nng_tls_config* config = config_;
  config_ = nullptr;
  return config;
}

Result<NngOptions> ParseNngOptions(const config::Settings& settings) {
  OPTIMYSTIC_RETURN_IF_ERROR(settings.CheckKeys({"max_message_bytes", "close_drain_ms", "tls"}));
  NngOptions options;
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      options.max_message_bytes,
      settings.GetUint("max_message_bytes", NngOptions::kDefaultMaxMessageBytes));
  if (options.max_message_bytes == 0 ||
      options.max_message_bytes > NngOptions::kMaxMaxMessageBytes) {
    return settings.Get("max_message_bytes")
        .Error("must be between 1 and " + std::to_string(NngOptions::kMaxMaxMessageBytes));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(options.close_drain_ms,
                              settings.GetUint("close_drain_ms", NngOptions::kDefaultCloseDrainMs));
  if (options.close_drain_ms > kMaxCloseDrainMs) {
    return settings.Get("close_drain_ms")
        .Error("must be at most " + std::to_string(kMaxCloseDrainMs));
  }
  if (settings.Get("tls").present()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(NngTlsOptions tls, ParseTls(settings.Get("tls")));
    options.tls = std::move(tls);
  }
  return options;
}

}  // namespace optimystic::plugins::transport_nng
