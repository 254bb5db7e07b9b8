// SPDX-License-Identifier: MIT
// Who may watch: --basic-auth-file (user:crypt-hash lines) and --token-file (bearer tokens), checked in constant time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"

namespace cctv::mjpeg {

// The realm of every challenge, and what a browser shows in its login dialog.
inline constexpr std::string_view kRealm = "cctv-mjpeg-serve";

// Shortest token --token-file accepts: a guessable token is no protection.
inline constexpr std::size_t kMinTokenLength = 16;

// One line of --basic-auth-file.
struct BasicUser {
  std::string name;  // non-empty, no ':'
  std::string hash;  // a crypt(3) string of a supported method (supported_hash())
};

using Sha256 = std::array<std::uint8_t, 32>;

// SHA-256 of `data` (OpenSSL).
Sha256 sha256(std::string_view data);

// True for a well-formed crypt(3) hash of a method strong enough to keep:
// SHA-512-crypt "$6$" (openssl passwd -6), SHA-256-crypt "$5$" (openssl
// passwd -5), yescrypt "$y$"/"$gy$" (mkpasswd), scrypt "$7$", bcrypt "$2b$".
// Plaintext, DES and MD5-crypt are refused. Costs one hash computation (the
// whole string is checked by libxcrypt, so a truncated hash is refused too).
bool supported_hash(const std::string& hash);

// Checks `password` against the crypt(3) `hash` with libxcrypt's crypt_rn,
// comparing in constant time. False for a wrong password or a bad hash, and
// for a password holding a NUL byte (crypt(3) would stop at it).
// Thread safe. Costs milliseconds (that is the point of these hashes).
bool verify_password(std::string_view password, const std::string& hash);

// Parses the text of --basic-auth-file: one "user:hash" per line; blank lines
// and lines starting with '#' are skipped, a trailing '\r' is ignored.
// kUsage, with `source` (the file name) and the line number but never the
// hash, when a line has no ':', an empty or repeated user, or a hash that is
// not supported_hash(); and when no user is left.
[[nodiscard]] Result<std::vector<BasicUser>> parse_basic_auth(std::string_view text, std::string_view source);

// Parses the text of --token-file: one token per line, surrounding blanks
// trimmed; blank lines and '#' comments skipped. A token is at least
// kMinTokenLength characters of A-Z a-z 0-9 - . _ ~ + / = (RFC 6750's
// b64token, so it fits a header unchanged). kUsage, with `source` and the line
// number but never the token, for a bad token or when none is left.
[[nodiscard]] Result<std::vector<std::string>> parse_tokens(std::string_view text, std::string_view source);

// The accepted users and tokens, and the check of each request.
// Thread safety: allows() and the accessors may be called from any thread.
class Auth {
 public:
  // REQUIRES: users or tokens not empty.
  Auth(std::vector<BasicUser> users, const std::vector<std::string>& tokens);
  Auth(const Auth&) = delete;
  Auth& operator=(const Auth&) = delete;

  // Reads and parses the files (an empty name: that method is off).
  // nullptr when both names are empty; kUsage when a file cannot be read or
  // does not parse (see parse_basic_auth and parse_tokens).
  [[nodiscard]] static Result<std::shared_ptr<const Auth>> load(const std::string& basic_auth_file,
                                                                const std::string& token_file);

  // True when `authorization` (the Authorization header's value, empty when
  // absent) holds valid Basic credentials or a valid Bearer token, or when
  // `query_token` (the ?token= value, empty when absent) is a valid token.
  // Basic credentials that passed are remembered (by SHA-256 of the header,
  // at most kCacheSize of them) so that a page's many requests cost one
  // password hash, not one each.
  bool allows(std::string_view authorization, std::string_view query_token) const;

  // allows()'s answer when it needs no password hash (a token, no or
  // malformed credentials, Basic credentials in the cache); nullopt when
  // only allows() can tell, at the cost of one hash (milliseconds).
  std::optional<bool> quick_check(std::string_view authorization, std::string_view query_token) const;

  // The WWW-Authenticate values for a 401: Basic first (browsers show their
  // login dialog for it), then Bearer, for the methods that are on.
  std::vector<std::string> challenges() const;

  bool basic_on() const { return !users_.empty(); }
  bool tokens_on() const { return !tokens_.empty(); }

  // Basic credentials remembered now (at most kCacheSize).
  std::size_t cache_entries() const;

  static constexpr std::size_t kCacheSize = 64;

 private:
  bool basic_allows(std::string_view credentials_b64, const Sha256& key) const;
  bool token_allows(std::string_view token) const;
  bool cached(const Sha256& key) const;
  void remember(const Sha256& key) const;

  std::vector<BasicUser> users_;
  std::vector<Sha256> tokens_;  // hashed: every comparison has the same length
  mutable std::mutex cache_mu_;
  mutable std::vector<Sha256> cache_;  // ring of verified Authorization headers
  mutable std::size_t cache_next_ = 0;
};

// Whether `origin` is a Web origin as browsers send it: http or https
// scheme, a host, an optional port, nothing else.
bool valid_origin(std::string_view origin);

// Whether a WebSocket upgrade with the Origin header `origin` may go on, for
// a server reached as `host` (the Host header) over `tls`. No Origin (not a
// browser) passes; a browser's page must come from the server itself (same
// scheme, host and port, compared as browsers do) or from an origin in
// `allowed` (--allow-origin, compared exactly, case-insensitively). Browsers
// send Basic credentials and cookies with cross-site WebSocket requests, so
// this is what keeps another site's page from watching with them.
bool origin_allowed(std::string_view origin, std::string_view host, bool tls,
                    const std::vector<std::string>& allowed);

}  // namespace cctv::mjpeg
