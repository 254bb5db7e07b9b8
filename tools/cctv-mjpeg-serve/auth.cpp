// SPDX-License-Identifier: MIT
// Basic and bearer authentication: file parsing, libxcrypt verification, constant-time comparisons, a small cache.
#include "auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <optional>
#include <set>

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "cctv/read_file.hpp"

namespace cctv::mjpeg {

namespace {

// Prefixes of the crypt(3) methods worth keeping (see supported_hash()).
constexpr std::string_view kHashPrefixes[] = {"$6$", "$5$", "$y$", "$gy$", "$7$", "$2b$"};

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// Calls `each(line_number, line)` for the lines that are neither blank nor comments.
template <class F>
Status for_each_line(std::string_view text, F each) {
  int number = 0;
  while (!text.empty()) {  // bounded: every turn consumes one line
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++number;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (auto s = each(number, line); !s) return s;
  }
  return {};
}

bool token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~+/=").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Standard base64 with padding (RFC 7617 Basic credentials); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 4096) return std::nullopt;
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  const std::size_t pad = in.ends_with("==") ? 2 : in.ends_with('=') ? 1 : 0;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// Equal in constant time for equal lengths; lengths are no secret.
bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Login and token files: regular files, at most a MiB.
Result<std::string> read_whole(const std::string& path, std::string_view option) {
  constexpr std::size_t kMaxBytes = 1 << 20;
  auto text = read_small_file(path, kMaxBytes);
  if (!text) return fail(ExitCode::kUsage, fmt::format("{}: {}", option, text.error().message), text.error().cause);
  return text;
}

struct Credentials {
  std::string_view scheme;  // "Basic", "Bearer", ... as sent (case varies)
  std::string_view value;
};

std::optional<Credentials> split_authorization(std::string_view header) {
  const std::string_view v = trim(header);
  const auto space = v.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  return Credentials{v.substr(0, space), trim(v.substr(space + 1))};
}

}  // namespace

Sha256 sha256(std::string_view data) {
  Sha256 out{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // about 32 KiB: not for a coroutine's stack
  // crypt(3) takes a C string and would hash "pw\0junk" as "pw": such a
  // password is hashed all the same (the same cost) and then refused.
  const bool whole = password.find('\0') == std::string_view::npos;
  std::string phrase(password);
  const char* out = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  const bool ok = out != nullptr && same(out, hash) && whole;
  OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  OPENSSL_cleanse(phrase.data(), phrase.size());
  return ok;
}

bool supported_hash(const std::string& hash) {
  bool known = false;
  for (auto p : kHashPrefixes) known = known || hash.starts_with(p);
  if (!known) return false;
  // Hashing anything with the whole string as setting gives a string of the
  // same shape: same settings and salt, a hash part of the same length.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn("", hash.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') return false;
  const std::string_view o(out);
  const auto cut = hash.rfind('$');
  return o.size() == hash.size() && o.substr(0, cut + 1) == std::string_view(hash).substr(0, cut + 1);
}

Result<std::vector<BasicUser>> parse_basic_auth(std::string_view text, std::string_view source) {
  std::vector<BasicUser> users;
  std::set<std::string, std::less<>> names;
  auto s = for_each_line(text, [&](int n, std::string_view line) -> Status {
    const auto where = fmt::format("--basic-auth-file '{}' line {}", source, n);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail(ExitCode::kUsage, where + ": expected user:hash");
    BasicUser u{std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1)))};
    if (u.name.empty()) return fail(ExitCode::kUsage, where + ": empty user name");
    if (!names.insert(u.name).second) return fail(ExitCode::kUsage, where + ": user '" + u.name + "' given twice");
    if (!supported_hash(u.hash)) {
      return fail(ExitCode::kUsage, where + ": user '" + u.name +
                                        "': not a supported password hash (make one with: openssl passwd -6)");
    }
    users.push_back(std::move(u));
    return {};
  });
  if (!s) return fail(s.error());
  if (users.empty()) return fail(ExitCode::kUsage, fmt::format("--basic-auth-file '{}': no user in it", source));
  return users;
}

Result<std::vector<std::string>> parse_tokens(std::string_view text, std::string_view source) {
  std::vector<std::string> tokens;
  auto s = for_each_line(text, [&](int n, std::string_view line) -> Status {
    bool ok = line.size() >= kMinTokenLength;
    for (char c : line) ok = ok && token_char(c);
    if (!ok) {
      return fail(ExitCode::kUsage,
                  fmt::format("--token-file '{}' line {}: a token is at least {} characters of A-Z a-z 0-9 - . _ ~ + "
                              "/ = (make one with: openssl rand -hex 32)",
                              source, n, kMinTokenLength));
    }
    tokens.emplace_back(line);
    return {};
  });
  if (!s) return fail(s.error());
  if (tokens.empty()) return fail(ExitCode::kUsage, fmt::format("--token-file '{}': no token in it", source));
  return tokens;
}

Auth::Auth(std::vector<BasicUser> users, const std::vector<std::string>& tokens) : users_(std::move(users)) {
  for (const auto& t : tokens) tokens_.push_back(sha256(t));
}

Result<std::shared_ptr<const Auth>> Auth::load(const std::string& basic_auth_file, const std::string& token_file) {
  if (basic_auth_file.empty() && token_file.empty()) return std::shared_ptr<const Auth>();
  std::vector<BasicUser> users;
  std::vector<std::string> tokens;
  if (!basic_auth_file.empty()) {
    auto text = read_whole(basic_auth_file, "--basic-auth-file");
    if (!text) return fail(text.error());
    auto parsed = parse_basic_auth(*text, basic_auth_file);
    if (!parsed) return fail(parsed.error());
    users = std::move(*parsed);
  }
  if (!token_file.empty()) {
    auto text = read_whole(token_file, "--token-file");
    if (!text) return fail(text.error());
    auto parsed = parse_tokens(*text, token_file);
    if (!parsed) return fail(parsed.error());
    tokens = std::move(*parsed);
  }
  return std::make_shared<const Auth>(std::move(users), tokens);
}

std::optional<bool> Auth::quick_check(std::string_view authorization, std::string_view query_token) const {
  if (!query_token.empty() && token_allows(query_token)) return true;
  const auto c = split_authorization(authorization);
  if (!c) return false;
  if (iequals(c->scheme, "Bearer")) return token_allows(c->value);
  if (!iequals(c->scheme, "Basic") || users_.empty()) return false;
  if (cached(sha256(trim(authorization)))) return true;
  return std::nullopt;
}

bool Auth::allows(std::string_view authorization, std::string_view query_token) const {
  if (auto quick = quick_check(authorization, query_token)) return *quick;
  return basic_allows(split_authorization(authorization)->value, sha256(trim(authorization)));
}

bool Auth::basic_allows(std::string_view credentials_b64, const Sha256& key) const {
  const auto decoded = base64_decode(credentials_b64);
  if (!decoded) return false;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  const std::string_view name = std::string_view(*decoded).substr(0, colon);
  const std::string_view password = std::string_view(*decoded).substr(colon + 1);
  const BasicUser* user = nullptr;
  for (const auto& u : users_) {  // every name compared, whole and in constant time
    if (same(u.name, name)) user = &u;
  }
  // An unknown user costs one hash too, so timing does not tell which names exist.
  const bool ok = verify_password(password, user ? user->hash : users_.front().hash) && user != nullptr;
  if (ok) remember(key);
  return ok;
}

bool Auth::token_allows(std::string_view token) const {
  const Sha256 h = sha256(token);
  bool ok = false;
  for (const auto& t : tokens_) ok = (CRYPTO_memcmp(t.data(), h.data(), h.size()) == 0) || ok;  // no early exit
  return ok;
}

bool Auth::cached(const Sha256& key) const {
  std::lock_guard lock(cache_mu_);
  bool hit = false;
  for (const auto& k : cache_) hit = (CRYPTO_memcmp(k.data(), key.data(), key.size()) == 0) || hit;
  return hit;
}

void Auth::remember(const Sha256& key) const {
  std::lock_guard lock(cache_mu_);
  if (cache_.size() < kCacheSize) {
    cache_.push_back(key);
  } else {
    cache_[cache_next_] = key;  // the oldest entry goes
    cache_next_ = (cache_next_ + 1) % kCacheSize;
  }
}

std::size_t Auth::cache_entries() const {
  std::lock_guard lock(cache_mu_);
  return cache_.size();
}

std::vector<std::string> Auth::challenges() const {
  std::vector<std::string> out;
  if (basic_on()) out.push_back(fmt::format("Basic realm=\"{}\", charset=\"UTF-8\"", kRealm));
  if (tokens_on()) out.push_back(fmt::format("Bearer realm=\"{}\"", kRealm));
  return out;
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "scheme://host:port" with the scheme's default port spelt out, or nullopt.
std::optional<std::string> normal_origin(std::string_view origin) {
  auto u = boost::urls::parse_absolute_uri(origin);
  if (!u || u->has_userinfo() || !u->encoded_path().empty() || u->has_query() || u->has_fragment() ||
      u->encoded_host().empty()) {
    return std::nullopt;
  }
  const std::string scheme = lower(u->scheme());
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const std::string port = u->has_port() ? std::string(u->port()) : (scheme == "https" ? "443" : "80");
  return scheme + "://" + lower(u->encoded_host()) + ":" + port;
}

}  // namespace

bool valid_origin(std::string_view origin) { return normal_origin(origin).has_value(); }

bool origin_allowed(std::string_view origin, std::string_view host, bool tls, const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  const auto from = normal_origin(origin);
  if (!from) return false;  // "null" (a sandboxed or file page) or junk
  for (const auto& a : allowed) {
    if (normal_origin(a) == from) return true;
  }
  const auto self = normal_origin(std::string(tls ? "https://" : "http://") + std::string(host));
  return self && *self == *from;
}

}  // namespace cctv::mjpeg
