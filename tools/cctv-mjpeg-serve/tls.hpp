// SPDX-License-Identifier: MIT
// The TLS certificate and key of --tls-cert/--tls-key, loaded and checked with OpenSSL before serving.
#pragma once

#include <memory>
#include <string>

#include "cctv/error.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace cctv::mjpeg {

// An OpenSSL server context holding the certificate chain and its key.
using TlsContext = std::shared_ptr<ssl_ctx_st>;

// Loads the PEM certificate chain `cert_file` and PEM private key `key_file`
// into a server context (TLS 1.2 or newer, no renegotiation). kUsage with one
// line naming the file when a file cannot be read, is not PEM of the right
// kind, the key is encrypted (there is nobody to type a passphrase), or the
// key does not belong to the certificate.
[[nodiscard]] Result<TlsContext> load_tls(const std::string& cert_file, const std::string& key_file);

}  // namespace cctv::mjpeg
