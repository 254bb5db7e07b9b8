// SPDX-License-Identifier: MIT
// Signed, expiring links (--url-key-file): HMAC-SHA256 over the expiry and a
// camera's path prefix, so that one link opens every endpoint of one camera.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"

namespace cctv::mjpeg {

// The shortest key --url-key-file accepts, in bytes.
inline constexpr std::size_t kMinUrlKeyBytes = 32;

// The scheme (the man page gives it with a test vector):
//   message = EXPIRES ":" PREFIX      EXPIRES: Unix time in decimal digits;
//                                     PREFIX: "/NAME/", the camera's path prefix
//   sig     = base64url(HMAC-SHA256(key, message)), without '=' padding
//   link    = any path under PREFIX + "?exp=" EXPIRES "&sig=" sig
// The key is the key file's bytes, less one trailing newline.
class UrlSigner {
 public:
  // Reads the key file (kUsage when it cannot be read or holds fewer than
  // kMinUrlKeyBytes bytes).
  [[nodiscard]] static Result<std::shared_ptr<const UrlSigner>> load(const std::string& key_file);
  explicit UrlSigner(std::string key) : key_(std::move(key)) {}

  // The signature of `prefix` ("/NAME/") until `expires` (Unix time).
  std::string sign(std::string_view prefix, std::int64_t expires) const;

  enum class Verdict { kValid, kExpired, kBad };
  // Checks the exp and sig query values of a request for `path` at Unix time
  // `now`: kBad for a malformed expiry, a signature that does not match (in
  // constant time) or a path outside any camera; kExpired for a good
  // signature whose time has passed.
  Verdict check(std::string_view path, std::string_view exp, std::string_view sig, std::int64_t now) const;

 private:
  std::string key_;
};

// "/NAME/" for a path "/NAME/..." (empty when the path names no camera).
std::string camera_prefix(std::string_view path);

}  // namespace cctv::mjpeg
