// SPDX-License-Identifier: Apache-2.0
// NodeKey: a node's Ed25519 key pair (OpenSSL), with which it signs its votes (DESIGN.md §7,
// SPEC.md §7.4) and by which peers know it. The node keeps it in its data dir as a PKCS#8 PEM
// file (server/data_dir.h). A value type: copies share nothing mutable.
// Thread-safety: a NodeKey is immutable; Sign and Verify may run on any thread at once.
// Errors: Generate fails Internal when OpenSSL does; FromPem is InvalidArgument naming `where`
// for text that is not a PEM private key or holds a key of another type.
#pragma once

#include <optimystic/base/result.h>

#include <string>
#include <string_view>

namespace optimystic::cluster::identity {

inline constexpr size_t kPublicKeyBytes = 32;
inline constexpr size_t kSignatureBytes = 64;

class NodeKey final {
 public:
  static Result<NodeKey> Generate();
  // The key of a PEM private key; `where` names its source in errors (e.g. the file).
  static Result<NodeKey> FromPem(std::string_view pem, std::string_view where);

  // The private key as PKCS#8 PEM text, what FromPem reads.
  Result<std::string> ToPem() const;
  // The raw 32-byte public key.
  const std::string& public_key() const noexcept { return public_key_; }
  // The 64-byte Ed25519 signature of `message`.
  Result<std::string> Sign(std::string_view message) const;

  // Whether `signature` is `public_key`'s signature of `message`; false for malformed input.
  static bool Verify(std::string_view public_key, std::string_view message,
                     std::string_view signature) noexcept;

 private:
  NodeKey(std::string private_key, std::string public_key)
      : private_key_(std::move(private_key)), public_key_(std::move(public_key)) {}

  std::string private_key_;  // the raw 32-byte seed
  std::string public_key_;
};

}  // namespace optimystic::cluster::identity
