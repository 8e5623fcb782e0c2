// SPDX-License-Identifier: Apache-2.0
#include "cluster/identity/node_key.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <utility>

namespace optimystic::cluster::identity {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// OpenSSL's reason for the last failure, with its error queue cleared.
std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

Result<std::string> RawKey(EVP_PKEY* key, bool private_part) {
  std::string out(kPublicKeyBytes, '\0');
  size_t size = out.size();
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  const int ok = private_part ? EVP_PKEY_get_raw_private_key(key, bytes, &size)
                              : EVP_PKEY_get_raw_public_key(key, bytes, &size);
  if (ok != 1 || size != kPublicKeyBytes) {
    return Status::Internal("ed25519 raw key: " + OpenSslError());
  }
  return out;
}

Result<std::pair<std::string, std::string>> KeyPair(EVP_PKEY* key) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string priv, RawKey(key, true));
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string pub, RawKey(key, false));
  return std::make_pair(std::move(priv), std::move(pub));
}

Result<Pkey> PrivateKey(const std::string& seed) {
  Pkey key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) return Status::Internal("ed25519 key: " + OpenSslError());
  return key;
}

}  // namespace

Result<NodeKey> NodeKey::Generate() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return Status::Internal("generate ed25519 key: " + OpenSslError());
  }
  Pkey key(raw);
  OPTIMYSTIC_ASSIGN_OR_RETURN(auto pair, KeyPair(key.get()));
  return NodeKey(std::move(pair.first), std::move(pair.second));
}

Result<NodeKey> NodeKey::FromPem(std::string_view pem, std::string_view where) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status::Internal("read " + std::string(where) + ": " + OpenSslError());
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return Status::InvalidArgument(std::string(where) +
                                   ": not a PEM private key: " + OpenSslError());
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return Status::InvalidArgument(std::string(where) + ": holds a " +
                                   OBJ_nid2sn(EVP_PKEY_id(key.get())) +
                                   " key, expected an Ed25519 key");
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(auto pair, KeyPair(key.get()));
  return NodeKey(std::move(pair.first), std::move(pair.second));
}

Result<std::string> NodeKey::ToPem() const {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Pkey key, PrivateKey(private_key_));
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status::Internal("write ed25519 key: " + OpenSslError());
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

Result<std::string> NodeKey::Sign(std::string_view message) const {
  OPTIMYSTIC_ASSIGN_OR_RETURN(Pkey key, PrivateKey(private_key_));
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(kSignatureBytes, '\0');
  size_t size = signature.size();
  // Ed25519 signs the message itself (no digest): one-shot EVP_DigestSign.
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      size != kSignatureBytes) {
    return Status::Internal("ed25519 sign: " + OpenSslError());
  }
  return signature;
}

bool NodeKey::Verify(std::string_view public_key, std::string_view message,
                     std::string_view signature) noexcept {
  if (public_key.size() != kPublicKeyBytes || signature.size() != kSignatureBytes) {
    return false;
  }
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(public_key.data()),
                                       public_key.size()));
  MdCtx ctx(EVP_MD_CTX_new());
  const bool ok =
      key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace optimystic::cluster::identity
