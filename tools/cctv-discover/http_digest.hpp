// SPDX-License-Identifier: MIT
// HTTP Digest access authentication (RFC 7616) for devices that answer 401.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cctv::discover {

// One "Digest ..." challenge of a WWW-Authenticate header.
struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;     // echoed back when present
  std::string algorithm;  // "MD5" (also when absent), "MD5-sess", "SHA-256", "SHA-256-sess"
  bool qop_auth = false;  // the server offers qop=auth; without it, RFC 2069's digest
  bool stale = false;     // the nonce expired, the credentials were right
};

// The first Digest challenge with an algorithm we compute (MD5, SHA-256 and
// their -sess forms) among the WWW-Authenticate header values `headers`;
// each value may hold several challenges ("Digest realm=..., Basic realm=...").
// nullopt when there is none (Basic only, an unknown algorithm, no nonce).
[[nodiscard]] std::optional<DigestChallenge> parse_digest_challenge(const std::vector<std::string>& headers);

// The Authorization header value answering `c` for `method` on `uri` (the
// request target, "/onvif/device_service"): RFC 7616 with qop=auth when the
// server offered it, else RFC 2069's form. `cnonce` is the client's random
// nonce (hex), `nc` the count of requests made with this nonce, from 1.
[[nodiscard]] std::string digest_authorization(const DigestChallenge& c, std::string_view user,
                                               std::string_view password, std::string_view method,
                                               std::string_view uri, std::string_view cnonce, unsigned nc);

// Lower-case hex of the digest `algorithm` ("MD5", "SHA-256", "SHA1") of `data`.
[[nodiscard]] std::string hex_digest(std::string_view algorithm, std::string_view data);

}  // namespace cctv::discover
