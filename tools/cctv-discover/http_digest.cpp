// SPDX-License-Identifier: MIT
// Parsing Digest challenges and computing their answers (OpenSSL's EVP digests).
#include "http_digest.hpp"

#include <cctype>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace cctv::discover {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

// A cursor over one header value: tokens, '=', quoted strings, commas.
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  bool at_end() {
    skip_space();
    return i_ >= s_.size();
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  std::string token() {
    skip_space();
    const size_t b = i_;
    while (i_ < s_.size() && is_token_char(s_[i_])) ++i_;
    return std::string(s_.substr(b, i_ - b));
  }
  // A quoted-string (backslash escapes undone) or a token.
  std::string value() {
    skip_space();
    if (i_ >= s_.size() || s_[i_] != '"') return token();
    std::string out;
    for (++i_; i_ < s_.size() && s_[i_] != '"'; ++i_) {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out += s_[i_];
    }
    if (i_ < s_.size()) ++i_;
    return out;
  }
  size_t pos() const { return i_; }
  void seek(size_t p) { i_ = p; }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

bool supported_algorithm(std::string_view a) {
  return iequals(a, "MD5") || iequals(a, "MD5-sess") || iequals(a, "SHA-256") || iequals(a, "SHA-256-sess");
}

// Reads "name=value, name=value" up to the next challenge (a token not
// followed by '=') or the end.
DigestChallenge read_params(Lexer& lx, bool& qop_seen) {
  DigestChallenge c;
  qop_seen = false;
  while (!lx.at_end()) {
    const size_t start = lx.pos();
    const std::string name = lx.token();
    if (name.empty()) {  // stray punctuation: skip it
      lx.seek(start + 1);
      continue;
    }
    if (!lx.eat('=')) {  // the next scheme's name
      lx.seek(start);
      break;
    }
    const std::string v = lx.value();
    if (iequals(name, "realm")) c.realm = v;
    else if (iequals(name, "nonce")) c.nonce = v;
    else if (iequals(name, "opaque")) c.opaque = v;
    else if (iequals(name, "algorithm")) c.algorithm = v;
    else if (iequals(name, "stale")) c.stale = iequals(v, "true");
    else if (iequals(name, "qop")) {
      qop_seen = true;
      // A list such as "auth,auth-int".
      size_t b = 0;
      while (b <= v.size()) {
        size_t e = v.find(',', b);
        if (e == std::string::npos) e = v.size();
        std::string_view item = std::string_view(v).substr(b, e - b);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (iequals(item, "auth")) c.qop_auth = true;
        b = e + 1;
      }
    }
    lx.eat(',');
  }
  if (c.algorithm.empty()) c.algorithm = "MD5";
  return c;
}

const EVP_MD* evp_for(std::string_view algorithm) {
  if (iequals(algorithm, "MD5") || iequals(algorithm, "MD5-sess")) return EVP_md5();
  if (iequals(algorithm, "SHA-256") || iequals(algorithm, "SHA-256-sess")) return EVP_sha256();
  if (iequals(algorithm, "SHA1")) return EVP_sha1();
  return nullptr;
}

}  // namespace

std::string hex_digest(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = evp_for(algorithm);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return {};
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", out[i]);
  return hex;
}

std::optional<DigestChallenge> parse_digest_challenge(const std::vector<std::string>& headers) {
  for (const std::string& h : headers) {
    Lexer lx(h);
    while (!lx.at_end()) {
      const size_t start = lx.pos();
      const std::string scheme = lx.token();
      if (scheme.empty()) {
        lx.seek(start + 1);
        continue;
      }
      bool qop_seen = false;
      DigestChallenge c = read_params(lx, qop_seen);
      if (iequals(scheme, "Digest") && !c.nonce.empty() && supported_algorithm(c.algorithm)) {
        // qop offered but without "auth" (auth-int only): not answerable here.
        if (!qop_seen || c.qop_auth) return c;
      }
    }
  }
  return std::nullopt;
}

std::string digest_authorization(const DigestChallenge& c, std::string_view user, std::string_view password,
                                 std::string_view method, std::string_view uri, std::string_view cnonce, unsigned nc) {
  const std::string& alg = c.algorithm;
  const bool sess = alg.size() > 5 && iequals(std::string_view(alg).substr(alg.size() - 5), "-sess");
  std::string ha1 = hex_digest(alg, fmt::format("{}:{}:{}", user, c.realm, password));
  if (sess) ha1 = hex_digest(alg, fmt::format("{}:{}:{}", ha1, c.nonce, cnonce));
  const std::string ha2 = hex_digest(alg, fmt::format("{}:{}", method, uri));
  const std::string nc_text = fmt::format("{:08x}", nc);
  const std::string response = c.qop_auth
      ? hex_digest(alg, fmt::format("{}:{}:{}:{}:auth:{}", ha1, c.nonce, nc_text, cnonce, ha2))
      : hex_digest(alg, fmt::format("{}:{}:{}", ha1, c.nonce, ha2));
  // Quoted values may not hold '"' or '\' unescaped (RFC 7616 section 3.4).
  auto q = [](std::string_view v) {
    std::string out = "\"";
    for (const char ch : v) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    return out + "\"";
  };
  std::string h = fmt::format("Digest username={}, realm={}, nonce={}, uri={}, algorithm={}, response={}", q(user),
                              q(c.realm), q(c.nonce), q(uri), alg, q(response));
  if (c.qop_auth) h += fmt::format(", qop=auth, nc={}, cnonce={}", nc_text, q(cnonce));
  if (!c.opaque.empty()) h += ", opaque=" + q(c.opaque);
  return h;
}

}  // namespace cctv::discover
