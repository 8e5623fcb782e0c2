// SPDX-License-Identifier: Apache-2.0
// NngOptions: the nng transport's settings, read and checked once (README.md lists every key).
// Parsing reads the TLS files and builds the nng TLS configurations right away, so a missing,
// unreadable or malformed certificate is reported when the configuration is validated, with the
// setting's YAML location and the file's path, not when the first peer connects.
// Thread-safety: NngOptions is built on one thread and then only read; an NngTlsConfig may be
// handed to any number of nng dialers and listeners from any thread (nng counts references).
// Errors: InvalidArgument with the location for bad values and unknown keys; IOError with the
// location for files that cannot be read.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/config/settings.h>

#include <cstdint>
#include <optional>
#include <string>

struct nng_tls_config;

namespace optimystic::plugins::transport_nng {

// Owns one reference to an nng_tls_config. Move-only.
class NngTlsConfig final {
 public:
  NngTlsConfig() noexcept = default;
  explicit NngTlsConfig(nng_tls_config* config) noexcept : config_(config) {}
  NngTlsConfig(NngTlsConfig&& other) noexcept : config_(other.release()) {}
  NngTlsConfig& operator=(NngTlsConfig&& other) noexcept;
  NngTlsConfig(const NngTlsConfig&) = delete;
  NngTlsConfig& operator=(const NngTlsConfig&) = delete;
  ~NngTlsConfig();

  nng_tls_config* get() const noexcept { return config_; }

 private:
  nng_tls_config* release() noexcept;
  nng_tls_config* config_ = nullptr;
};

struct NngTlsOptions {
  std::string ca_file;
  std::string cert_file;    // empty: this transport has no certificate and cannot listen
  std::string key_file;     // set exactly when cert_file is
  std::string server_name;  // empty: the server's name is not checked, only its CA
  NngTlsConfig client;      // for dialers: verifies the server, presents our certificate
  NngTlsConfig server;      // for listeners; empty without a certificate
};

struct NngOptions {
  static constexpr uint64_t kDefaultMaxMessageBytes = 16ull << 20;
  static constexpr uint64_t kMaxMaxMessageBytes = 1ull << 30;
  static constexpr uint64_t kDefaultCloseDrainMs = 5000;

  uint64_t max_message_bytes = kDefaultMaxMessageBytes;
  // How long Close waits for requests already handed to a handler to be answered.
  uint64_t close_drain_ms = kDefaultCloseDrainMs;
  std::optional<NngTlsOptions> tls;
};

// Reads `settings` (the plugin's `settings:` map; absent means all defaults).
Result<NngOptions> ParseNngOptions(const config::Settings& settings);

}  // namespace optimystic::plugins::transport_nng
