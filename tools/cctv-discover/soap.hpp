// SPDX-License-Identifier: MIT
// SOAP 1.2 for ONVIF: envelopes, WS-Security UsernameToken, faults, and a
// client that adds HTTP Digest when a device asks for it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cctv/error.hpp"
#include "http.hpp"
#include "http_digest.hpp"
#include "xml.hpp"

namespace cctv::discover {

// Namespace URIs, matched exactly.
namespace ns {
inline constexpr std::string_view kSoap12 = "http://www.w3.org/2003/05/soap-envelope";
inline constexpr std::string_view kSoap11 = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kWsse =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
inline constexpr std::string_view kWsu =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
inline constexpr std::string_view kDevice = "http://www.onvif.org/ver10/device/wsdl";   // tds
inline constexpr std::string_view kMedia = "http://www.onvif.org/ver10/media/wsdl";     // trt
inline constexpr std::string_view kMedia2 = "http://www.onvif.org/ver20/media/wsdl";    // tr2
inline constexpr std::string_view kSchema = "http://www.onvif.org/ver10/schema";        // tt
inline constexpr std::string_view kError = "http://www.onvif.org/ver10/error";          // ter
}  // namespace ns

struct Credentials {
  std::string user;  // empty: ask without credentials
  std::string password;
};

// Created of a UsernameToken: UTC, whole seconds, with 'Z' (Hikvision refuses
// "+00:00": python-onvif-zeep-async #122).
[[nodiscard]] std::string format_created(std::chrono::system_clock::time_point t);

// Base64(SHA1(nonce + created + password)), nonce being the raw bytes
// (WS-Security UsernameToken Profile 1.0, PasswordDigest).
[[nodiscard]] std::string password_digest(std::string_view nonce, std::string_view created, std::string_view password);

[[nodiscard]] std::string base64(std::string_view bytes);

// The <wsse:Security> header element (prefixes of soap_envelope()) for
// `user` with a digest of `password`; `nonce` raw bytes.
[[nodiscard]] std::string security_header(std::string_view user, std::string_view password, std::string_view nonce,
                                          std::string_view created);

// A SOAP 1.2 envelope around `body` (one operation element), with `header`
// (may be empty) in its Header. The Envelope declares the prefixes s, tds,
// trt, tr2, tt, wsse and wsu for the body and header to use.
[[nodiscard]] std::string soap_envelope(std::string_view body, std::string_view header);

// A SOAP fault, SOAP 1.2 or 1.1.
struct SoapFault {
  std::vector<std::string> codes;  // local names: Code/Value, then each Subcode/Value ("Sender", "NotAuthorized")
  std::string reason;              // Reason/Text (1.2) or faultstring (1.1)

  // True for the faults that mean "who are you?": ter:NotAuthorized, WS-Security's
  // FailedAuthentication, InvalidSecurity, InvalidSecurityToken, FailedCheck.
  [[nodiscard]] bool is_auth() const;
  // "Sender/NotAuthorized: Sender not authorized" for messages.
  [[nodiscard]] std::string describe() const;
};

// The Body element of a SOAP 1.2 or 1.1 envelope, or the empty node.
[[nodiscard]] XmlNode soap_body(const XmlDoc& doc);
// The Fault in `body`, if there is one.
[[nodiscard]] std::optional<SoapFault> soap_fault(XmlNode body);

// A parsed answer. `body` points into `doc`.
struct SoapReply {
  XmlDoc doc;
  XmlNode body;
  std::optional<SoapFault> fault;  // set when the device answered with a fault that is not about auth
};

// Talks SOAP to one device. Not thread-safe: one per device and thread.
class SoapClient {
 public:
  SoapClient(HttpPost post, Credentials creds) : post_(std::move(post)), creds_(std::move(creds)) {}

  // camera UTC - ours, added to every Created (ONVIF Device Manager's way; a
  // camera 20 s off refuses tokens: onvif-rs #121).
  void set_clock_offset(std::chrono::seconds offset) { offset_ = offset; }
  [[nodiscard]] bool has_credentials() const { return !creds_.user.empty(); }
  // True once the device refused our answer to its HTTP Digest challenge:
  // asking again, with or without a UsernameToken, only counts towards a lockout.
  [[nodiscard]] bool http_auth_refused() const { return http_auth_refused_; }

  // POSTs the operation `body` to `url` as SOAP `action`. With credentials
  // and `authenticate`, a UsernameToken goes with it; a 401 with a Digest
  // challenge is answered once (and the challenge kept for later calls).
  // Errors: the transport's (kUnreachable, ...); kAuth when the device refuses
  // the credentials (HTTP 401/403, a NotAuthorized fault) or wants some that
  // were not given; kNotFound for HTTP 404; kFailure for an answer that is not
  // SOAP. Any other fault is a reply with `fault` set: the caller decides
  // whether the operation was optional.
  [[nodiscard]] Result<SoapReply> call(const std::string& url, std::string_view action, std::string_view body,
                                       bool authenticate = true);

 private:
  [[nodiscard]] HttpRequest request(const std::string& url, std::string_view action, std::string_view body,
                                    bool authenticate);
  [[nodiscard]] Error auth_error(const std::string& url, std::string_view why) const;

  HttpPost post_;
  Credentials creds_;
  std::chrono::seconds offset_{0};
  std::optional<DigestChallenge> digest_;
  unsigned nc_ = 0;
  bool http_auth_refused_ = false;
};

// `n` random bytes (OpenSSL's RAND_bytes).
[[nodiscard]] std::string random_bytes(size_t n);

}  // namespace cctv::discover
