// SPDX-License-Identifier: Apache-2.0
#include "cluster/identity/node_key.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <string>

namespace optimystic::cluster::identity {
namespace {

NodeKey Generated() {
  Result<NodeKey> key = NodeKey::Generate();
  EXPECT_TRUE(key.has_value()) << key.status().ToString();
  return *key;
}

TEST(NodeKey, SignaturesVerifyOnlyForTheirKeyAndMessage) {
  const NodeKey key = Generated();
  const NodeKey other = Generated();
  ASSERT_EQ(key.public_key().size(), kPublicKeyBytes);
  EXPECT_NE(key.public_key(), other.public_key());
  Result<std::string> sig = key.Sign("promise block b1 rev 7");
  ASSERT_TRUE(sig.has_value()) << sig.status().ToString();
  ASSERT_EQ(sig->size(), kSignatureBytes);
  EXPECT_TRUE(NodeKey::Verify(key.public_key(), "promise block b1 rev 7", *sig));
  EXPECT_FALSE(NodeKey::Verify(key.public_key(), "promise block b1 rev 8", *sig));
  EXPECT_FALSE(NodeKey::Verify(other.public_key(), "promise block b1 rev 7", *sig));
  std::string flipped = *sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(NodeKey::Verify(key.public_key(), "promise block b1 rev 7", flipped));
  EXPECT_FALSE(NodeKey::Verify("short", "m", *sig));
  EXPECT_FALSE(NodeKey::Verify(key.public_key(), "m", "short"));
  // Ed25519 is deterministic: the same message signs the same.
  EXPECT_EQ(*key.Sign("promise block b1 rev 7"), *sig);
}

TEST(NodeKey, PemRoundTripsTheSameKey) {
  const NodeKey key = Generated();
  Result<std::string> pem = key.ToPem();
  ASSERT_TRUE(pem.has_value()) << pem.status().ToString();
  EXPECT_EQ(pem->rfind("-----BEGIN PRIVATE KEY-----", 0), 0u) << *pem;
  Result<NodeKey> back = NodeKey::FromPem(*pem, "test");
  ASSERT_TRUE(back.has_value()) << back.status().ToString();
  EXPECT_EQ(back->public_key(), key.public_key());
  EXPECT_TRUE(NodeKey::Verify(key.public_key(), "x", *back->Sign("x")));
}

TEST(NodeKey, FromPemNamesWhatIsWrong) {
  Result<NodeKey> garbage = NodeKey::FromPem("not a key", "node key /d/node_key.pem");
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(garbage.error().message().rfind("node key /d/node_key.pem: not a PEM private key", 0),
            0u)
      << garbage.error().ToString();
  // An EC key is a key, but not this node's kind.
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  ASSERT_NE(ec, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  EVP_PKEY_free(ec);
  Result<NodeKey> wrong = NodeKey::FromPem(pem, "k.pem");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().ToString(),
            "InvalidArgument: k.pem: holds a id-ecPublicKey key, "
            "expected an Ed25519 key");
}

}  // namespace
}  // namespace optimystic::cluster::identity
