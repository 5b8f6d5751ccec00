#include "server/self_signed.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace cpx::server {

namespace {
template <class T, void (*F)(T*)>
struct Free {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Free<X509, X509_free>>;

bool add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}
}  // namespace

Result<bool> ensure_self_signed(const std::string& cert_path, const std::string& key_path) {
  namespace fs = std::filesystem;
  if (fs::exists(cert_path) && fs::exists(key_path)) return true;
  std::error_code ec;
  for (const std::string& p : {cert_path, key_path}) {
    const fs::path dir = fs::path(p).parent_path();
    if (!dir.empty()) fs::create_directories(dir, ec);
  }
  // RSA: QuickFIX 1.15.1's TLS acceptor loads RSA (or DSA) keys only.
  Key key(EVP_RSA_gen(2048));
  if (!key) return Error{"tls_error", "cannot generate a key"};
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("CPX development"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  if (!add_ext(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
      !add_ext(cert.get(), NID_basic_constraints, "critical,CA:TRUE")) {
    return Error{"tls_error", "cannot add certificate extensions"};
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return Error{"tls_error", "cannot sign the certificate"};

  std::FILE* kf = std::fopen(key_path.c_str(), "wb");
  if (!kf) return Error{"io_error", "cannot write " + key_path};
  ::chmod(key_path.c_str(), 0600);
  const bool key_ok = PEM_write_PrivateKey(kf, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(kf);
  std::FILE* cf = std::fopen(cert_path.c_str(), "wb");
  if (!cf) return Error{"io_error", "cannot write " + cert_path};
  const bool cert_ok = PEM_write_X509(cf, cert.get()) == 1;
  std::fclose(cf);
  if (!key_ok || !cert_ok) return Error{"io_error", "cannot write the PEM files"};
  return true;
}

}  // namespace cpx::server
