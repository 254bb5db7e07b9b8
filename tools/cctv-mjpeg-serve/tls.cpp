// SPDX-License-Identifier: MIT
// OpenSSL server context from PEM files; Asio's ssl::context adopts it in server.cpp.
#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>


#include <fmt/format.h>

#include "cctv/read_file.hpp"

namespace cctv::mjpeg {

namespace {

// OpenSSL's reason for the last failure, and the queue emptied.
std::string openssl_reason() {
  const unsigned long e = ERR_peek_last_error();
  const char* r = ERR_reason_error_string(e);
  ERR_clear_error();
  return r != nullptr ? r : "unknown OpenSSL error";
}

Status readable(const std::string& path, std::string_view option) {
  constexpr std::size_t kMaxBytes = 1 << 20;  // a certificate chain or a key
  auto bytes = read_small_file(path, kMaxBytes);
  if (!bytes) return fail(ExitCode::kUsage, fmt::format("{}: {}", option, bytes.error().message), bytes.error().cause);
  if (bytes->empty()) return fail(ExitCode::kUsage, fmt::format("{}: cannot read '{}'", option, path), "empty file");
  return {};
}

// Without a callback OpenSSL would prompt on the terminal for an encrypted key.
int no_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

Result<TlsContext> load_tls(const std::string& cert_file, const std::string& key_file) {
  if (auto s = readable(cert_file, "--tls-cert"); !s) return fail(s.error());
  if (auto s = readable(key_file, "--tls-key"); !s) return fail(s.error());
  TlsContext ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return fail(ExitCode::kFailure, "cannot make a TLS context", openssl_reason());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return fail(ExitCode::kUsage, fmt::format("--tls-cert '{}': not a PEM certificate", cert_file), openssl_reason());
  }
  // OpenSSL 3 checks the key against the certificate already here.
  const bool loaded = SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) == 1;
  const bool mismatch = loaded ? SSL_CTX_check_private_key(ctx.get()) != 1
                               : ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
  if (mismatch) {
    return fail(ExitCode::kUsage,
                fmt::format("--tls-key '{}' does not belong to --tls-cert '{}'", key_file, cert_file),
                openssl_reason());
  }
  if (!loaded) {
    return fail(ExitCode::kUsage, fmt::format("--tls-key '{}': not an unencrypted PEM private key", key_file),
                openssl_reason());
  }
  return ctx;
}

}  // namespace cctv::mjpeg
