// SPDX-License-Identifier: MIT
// AES-128-CBC segment encryption with OpenSSL's EVP interface.
#include "hls_crypto.hpp"

#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace cctv::hls {

namespace {

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

std::string openssl_error() {
  char buf[256] = "unknown error";
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

}  // namespace

AesIv iv_for_sequence(std::int64_t sequence) {
  AesIv iv{};
  auto v = static_cast<std::uint64_t>(sequence);
  for (int i = 15; i >= 8; --i, v >>= 8) iv[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v & 0xff);
  return iv;
}

Result<AesKey> random_key() {
  AesKey key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return fail(ExitCode::kFailure, "cannot make an encryption key", openssl_error());
  }
  return key;
}

Result<std::vector<std::uint8_t>> encrypt_aes128(std::span<const std::uint8_t> plain, const AesKey& key,
                                                 const AesIv& iv) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> ctx(EVP_CIPHER_CTX_new());
  std::vector<std::uint8_t> out(plain.size() + 16);
  int n = 0, tail = 0;
  // EVP takes int lengths: segments are far below 2 GiB.
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, key.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &n, plain.data(), static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &tail) != 1) {
    return fail(ExitCode::kFailure, "AES-128 encryption failed", openssl_error());
  }
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

}  // namespace cctv::hls
