// SPDX-License-Identifier: MIT
// SOAP envelopes, UsernameToken digests (OpenSSL), faults, and SoapClient::call.
#include "soap.hpp"

#include <ctime>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cctv/url.hpp"

namespace cctv::discover {

namespace {

// The local part of a QName value ("ter:NotAuthorized" -> "NotAuthorized").
std::string local_part(const std::string& qname) {
  const size_t colon = qname.rfind(':');
  return colon == std::string::npos ? qname : qname.substr(colon + 1);
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

}  // namespace

std::string format_created(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

std::string password_digest(std::string_view nonce, std::string_view created, std::string_view password) {
  std::string input;
  input.reserve(nonce.size() + created.size() + password.size());
  input.append(nonce).append(created).append(password);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(input.data(), input.size(), md, &len, EVP_sha1(), nullptr) != 1) return {};
  return base64(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string security_header(std::string_view user, std::string_view password, std::string_view nonce,
                            std::string_view created) {
  return fmt::format(
      "<wsse:Security s:mustUnderstand=\"1\"><wsse:UsernameToken>"
      "<wsse:Username>{}</wsse:Username>"
      "<wsse:Password Type=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">{}</wsse:Password>"
      "<wsse:Nonce EncodingType=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-soap-message-security-1.0#Base64Binary\">{}</wsse:Nonce>"
      "<wsu:Created>{}</wsu:Created>"
      "</wsse:UsernameToken></wsse:Security>",
      xml_escape(user), password_digest(nonce, created, password), base64(nonce), created);
}

std::string soap_envelope(std::string_view body, std::string_view header) {
  return fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<s:Envelope xmlns:s=\"{}\" xmlns:tds=\"{}\" xmlns:trt=\"{}\" xmlns:tr2=\"{}\" xmlns:tt=\"{}\" "
      "xmlns:wsse=\"{}\" xmlns:wsu=\"{}\">"
      "<s:Header>{}</s:Header><s:Body>{}</s:Body></s:Envelope>",
      ns::kSoap12, ns::kDevice, ns::kMedia, ns::kMedia2, ns::kSchema, ns::kWsse, ns::kWsu, header, body);
}

bool SoapFault::is_auth() const {
  for (const std::string& c : codes) {
    if (c == "NotAuthorized" || c == "FailedAuthentication" || c == "InvalidSecurity" ||
        c == "InvalidSecurityToken" || c == "FailedCheck") {
      return true;
    }
  }
  return false;
}

std::string SoapFault::describe() const {
  std::string out;
  for (const std::string& c : codes) out += (out.empty() ? "" : "/") + c;
  if (out.empty()) out = "fault";
  return reason.empty() ? out : out + ": " + reason;
}

XmlNode soap_body(const XmlDoc& doc) {
  const XmlNode root = doc.root();
  for (const std::string_view env : {ns::kSoap12, ns::kSoap11}) {
    if (root.local_name() == "Envelope" && root.ns() == env) return root.child(env, "Body");
  }
  return {};
}

std::optional<SoapFault> soap_fault(XmlNode body) {
  SoapFault f;
  if (const XmlNode fault = body.child(ns::kSoap12, "Fault")) {
    XmlNode code = fault.child(ns::kSoap12, "Code");
    while (code) {
      if (std::string v = local_part(code.child(ns::kSoap12, "Value").text()); !v.empty()) f.codes.push_back(v);
      code = code.child(ns::kSoap12, "Subcode");
    }
    f.reason = fault.child(ns::kSoap12, "Reason").child(ns::kSoap12, "Text").text();
    return f;
  }
  if (const XmlNode fault = body.child(ns::kSoap11, "Fault")) {
    // SOAP 1.1's faultcode and faultstring are unqualified.
    if (std::string v = local_part(fault.child("", "faultcode").text()); !v.empty()) f.codes.push_back(v);
    f.reason = fault.child("", "faultstring").text();
    return f;
  }
  return std::nullopt;
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // Never a predictable nonce: the token would still be valid, only
    // replayable, but a failing RNG is not something to work around.
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

HttpRequest SoapClient::request(const std::string& url, std::string_view action, std::string_view body,
                                bool authenticate) {
  HttpRequest req;
  req.url = url;
  req.content_type = fmt::format("application/soap+xml; charset=utf-8; action=\"{}\"", action);
  std::string header;
  if (authenticate && has_credentials()) {
    const auto created = format_created(std::chrono::system_clock::now() + offset_);
    header = security_header(creds_.user, creds_.password, random_bytes(16), created);
  }
  req.body = soap_envelope(body, header);
  if (digest_ && has_credentials()) {
    auto target = parse_http_url(url);
    req.authorization = digest_authorization(*digest_, creds_.user, creds_.password, "POST",
                                             target ? target->target : url, hex(random_bytes(8)), ++nc_);
  }
  return req;
}

Error SoapClient::auth_error(const std::string& url, std::string_view why) const {
  if (!has_credentials()) {
    return Error{ExitCode::kAuth, fmt::format("{}: needs a user name and password (--user): {}", redact(url), why), ""};
  }
  return Error{ExitCode::kAuth, fmt::format("{}: user '{}' refused: {}", redact(url), creds_.user, why), ""};
}

Result<SoapReply> SoapClient::call(const std::string& url, std::string_view action, std::string_view body,
                                   bool authenticate) {
  for (int attempt = 0;; ++attempt) {
    const HttpRequest req = request(url, action, body, authenticate);
    auto res = post_(req);
    if (!res) return fail(res.error());
    if (res->status == 401) {
      if (!has_credentials()) return fail(auth_error(url, "HTTP 401"));
      auto challenge = parse_digest_challenge(res->www_authenticate);
      // One answer to a challenge per call: a second 401 is a wrong password
      // (and repeating it would count towards the camera's lockout).
      const bool same = challenge && digest_ && !req.authorization.empty() && challenge->nonce == digest_->nonce;
      if (challenge && attempt == 0 && (!same || challenge->stale)) {
        digest_ = std::move(*challenge);
        nc_ = 0;
        continue;
      }
      if (!challenge && res->www_authenticate.empty()) return fail(auth_error(url, "HTTP 401"));
      if (!challenge) return fail(auth_error(url, "HTTP 401, and no Digest challenge (only Digest is sent)"));
      http_auth_refused_ = true;
      return fail(auth_error(url, "HTTP 401 after Digest authentication"));
    }
    if (res->status == 403) return fail(auth_error(url, "HTTP 403"));
    if (res->status == 404) {
      return fail(ExitCode::kNotFound, fmt::format("{}: no ONVIF service there (HTTP 404)", redact(url)));
    }
    auto doc = XmlDoc::parse(res->body);
    XmlNode soap = doc ? soap_body(*doc) : XmlNode();
    if (!soap) {
      return fail(ExitCode::kFailure,
                  fmt::format("{}: HTTP {} without a SOAP answer to {}", redact(url), res->status,
                              action.substr(action.rfind('/') + 1)),
                  doc ? "" : doc.error().cause);
    }
    auto fault = soap_fault(soap);
    if (fault && fault->is_auth()) return fail(auth_error(url, fault->describe()));
    if (!fault && res->status != 200) {
      return fail(ExitCode::kFailure, fmt::format("{}: HTTP {}", redact(url), res->status));
    }
    return SoapReply{std::move(*doc), soap, std::move(fault)};
  }
}

}  // namespace cctv::discover
