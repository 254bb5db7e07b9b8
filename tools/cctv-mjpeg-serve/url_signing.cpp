// SPDX-License-Identifier: MIT
// HMAC-SHA256 link signatures through OpenSSL, compared in constant time.
#include "url_signing.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include <fmt/format.h>

#include "cctv/read_file.hpp"

namespace cctv::mjpeg {

namespace {

std::string base64url(const unsigned char* data, std::size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (i + 1 < n ? std::uint32_t{data[i + 1]} << 8 : 0) |
                            (i + 2 < n ? std::uint32_t{data[i + 2]} : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < n) out += kAlphabet[(v >> 6) & 63];
    if (i + 2 < n) out += kAlphabet[v & 63];
  }
  return out;
}

}  // namespace

std::string camera_prefix(std::string_view path) {
  if (path.size() < 3 || path[0] != '/') return {};
  const auto slash = path.find('/', 1);
  if (slash == std::string_view::npos || slash == 1) return {};
  return std::string(path.substr(0, slash + 1));
}

Result<std::shared_ptr<const UrlSigner>> UrlSigner::load(const std::string& key_file) {
  auto text = read_small_file(key_file, 4096);
  if (!text) return fail(text.error());
  std::string key = std::move(*text);
  if (key.size() >= 2 && key.compare(key.size() - 2, 2, "\r\n") == 0) {
    key.resize(key.size() - 2);
  } else if (!key.empty() && key.back() == '\n') {
    key.pop_back();
  }
  if (key.size() < kMinUrlKeyBytes) {
    return fail(ExitCode::kUsage, fmt::format("--url-key-file '{}': the key is {} bytes; at least {} random bytes "
                                              "are needed (openssl rand -hex 32 > FILE)",
                                              key_file, key.size(), kMinUrlKeyBytes));
  }
  return std::make_shared<const UrlSigner>(std::move(key));
}

std::string UrlSigner::sign(std::string_view prefix, std::int64_t expires) const {
  const std::string message = fmt::format("{}:{}", expires, prefix);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &len);
  return base64url(mac, len);
}

UrlSigner::Verdict UrlSigner::check(std::string_view path, std::string_view exp, std::string_view sig,
                                    std::int64_t now) const {
  const std::string prefix = camera_prefix(path);
  std::int64_t expires = 0;
  const auto [end, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), expires);
  if (prefix.empty() || exp.empty() || ec != std::errc() || end != exp.data() + exp.size() || expires < 0) {
    return Verdict::kBad;
  }
  const std::string expected = sign(prefix, expires);
  if (sig.size() != expected.size() || CRYPTO_memcmp(sig.data(), expected.data(), expected.size()) != 0) {
    return Verdict::kBad;
  }
  return expires < now ? Verdict::kExpired : Verdict::kValid;
}

}  // namespace cctv::mjpeg
