// SPDX-License-Identifier: Apache-2.0
// TestCertificateAuthority: a throwaway certificate authority made at test time with OpenSSL's
// C API, for TLS tests. Create() makes a self-signed CA (EC P-256, X.509 v3, CA:TRUE) and
// writes it as PEM into a directory (a test::TempDir); Issue() makes a leaf certificate signed
// by it for CN/SAN localhost and IP 127.0.0.1, usable by a server and a client (serverAuth and
// clientAuth), and writes the certificate and its key as PEM files. Two authorities made by two
// Create() calls are unrelated, for "certificate from another CA" tests. Certificates are valid
// from an hour ago to a day from now.
// Thread-safety: one authority is used from one thread at a time. Errors: Internal with
// OpenSSL's error text when a key, certificate or file cannot be made.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <utility>

namespace optimystic::test {

// PEM files for one TLS endpoint: the CA it trusts, its certificate and its private key.
struct CertFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class TestCertificateAuthority final {
 public:
  // A new CA named `name`, written to <dir>/<name>-ca.pem.
  static Result<TestCertificateAuthority> Create(const std::string& dir, const std::string& name) {
    TestCertificateAuthority ca(dir, name);
    ca.key_.reset(EVP_EC_gen("P-256"));
    if (ca.key_ == nullptr) {
      return OpenSslError("generate CA key");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(ca.cert_, NewCertificate(ca.key_.get(), name + " test CA", nullptr,
                                                         ca.key_.get(), ca.next_serial_++));
    ca.ca_file_ = dir + "/" + name + "-ca.pem";
    OPTIMYSTIC_RETURN_IF_ERROR(WriteCertificate(ca.cert_.get(), ca.ca_file_));
    return ca;
  }

  // A leaf for localhost/127.0.0.1 signed by this CA: <dir>/<name>-<leaf>.pem and .key. The
  // files' ca_file is this CA's.
  Result<CertFiles> Issue(const std::string& leaf) {
    KeyPtr key(EVP_EC_gen("P-256"));
    if (key == nullptr) {
      return OpenSslError("generate key for " + leaf);
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(CertPtr cert, NewCertificate(key.get(), "localhost", cert_.get(),
                                                             key_.get(), next_serial_++));
    CertFiles files;
    files.ca_file = ca_file_;
    files.cert_file = dir_ + "/" + name_ + "-" + leaf + ".pem";
    files.key_file = dir_ + "/" + name_ + "-" + leaf + ".key";
    OPTIMYSTIC_RETURN_IF_ERROR(WriteCertificate(cert.get(), files.cert_file));
    OPTIMYSTIC_RETURN_IF_ERROR(WriteKey(key.get(), files.key_file));
    return files;
  }

  const std::string& ca_file() const noexcept { return ca_file_; }

 private:
  struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  struct CertFree {
    void operator()(X509* cert) const { X509_free(cert); }
  };
  struct BioFree {
    void operator()(BIO* bio) const { BIO_free_all(bio); }
  };
  using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
  using CertPtr = std::unique_ptr<X509, CertFree>;
  using BioPtr = std::unique_ptr<BIO, BioFree>;

  TestCertificateAuthority(std::string dir, std::string name)
      : dir_(std::move(dir)), name_(std::move(name)) {}

  static Status OpenSslError(const std::string& what) {
    char text[256] = "unknown error";
    if (unsigned long code = ERR_get_error(); code != 0) {
      ERR_error_string_n(code, text, sizeof(text));
    }
    ERR_clear_error();
    return Status::Internal("test certs: " + what + ": " + text);
  }

  static bool AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    if (extension == nullptr) {
      return false;
    }
    const bool added = X509_add_ext(cert, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return added;
  }

  // A certificate for `key` named `common_name`, signed by `issuer_key`; self-signed (a CA)
  // when `issuer` is null, otherwise a leaf of `issuer`.
  static Result<CertPtr> NewCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer,
                                        EVP_PKEY* issuer_key, long serial) {
    CertPtr cert(X509_new());
    if (cert == nullptr || X509_set_version(cert.get(), 2) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) == nullptr ||
        X509_set_pubkey(cert.get(), key) != 1) {
      return OpenSslError("make certificate " + common_name);
    }
    X509_NAME* subject = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) != 1 ||
        X509_set_issuer_name(cert.get(),
                             issuer != nullptr ? X509_get_subject_name(issuer) : subject) != 1) {
      return OpenSslError("name certificate " + common_name);
    }
    X509* signer = issuer != nullptr ? issuer : cert.get();
    const bool ok =
        issuer == nullptr
            ? AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
                  AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
                  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash")
            : AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
                  AddExtension(cert.get(), signer, NID_key_usage,
                               "critical,digitalSignature,keyEncipherment") &&
                  AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth") &&
                  AddExtension(cert.get(), signer, NID_subject_alt_name,
                               "DNS:localhost,IP:127.0.0.1") &&
                  AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid");
    if (!ok) {
      return OpenSslError("extensions of " + common_name);
    }
    if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
      return OpenSslError("sign " + common_name);
    }
    return cert;
  }

  static Status WriteCertificate(X509* cert, const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
      return OpenSslError("write " + path);
    }
    return Status::Ok();
  }

  static Status WriteKey(EVP_PKEY* key, const std::string& path) {
    BioPtr bio(BIO_new_file(path.c_str(), "w"));
    if (bio == nullptr ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      return OpenSslError("write " + path);
    }
    return Status::Ok();
  }

  std::string dir_;
  std::string name_;
  std::string ca_file_;
  KeyPtr key_;
  CertPtr cert_;
  long next_serial_ = 1;
};

}  // namespace optimystic::test
