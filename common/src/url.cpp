// SPDX-License-Identifier: MIT
// Source URL validation (Boost.URL), credential injection and redaction.
#include "cctv/url.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace cctv {

namespace {

struct SchemeInfo {
  std::string_view name;
  SourceKind kind;
};
constexpr std::array kSchemes = {
    SchemeInfo{"rtsp", SourceKind::kRtsp}, SchemeInfo{"rtsps", SourceKind::kRtsps},
    SchemeInfo{"http", SourceKind::kHttp}, SchemeInfo{"https", SourceKind::kHttps},
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "scheme:" prefix per RFC 3986, or empty.
std::string_view scheme_prefix(std::string_view text) {
  if (text.empty() || std::isalpha(static_cast<unsigned char>(text[0])) == 0) return {};
  for (size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ':') return text.substr(0, i);
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '-' && c != '.') {
      return {};
    }
  }
  return {};
}

// How to write a password that a URL cannot hold as it is, when `text` looks
// like it tried ("user:...@" with the '@' past the authority's end).
std::string password_hint(std::string_view text) {
  const size_t begin = text.find("://");
  if (begin == std::string_view::npos) return {};
  const std::string_view rest = text.substr(begin + 3);
  const size_t end = rest.find_first_of("/?# ");
  const size_t at = rest.rfind('@');
  if (at == std::string_view::npos || end == std::string_view::npos || at < end) return {};
  return "; a password holding / ? # @ or a space is written percent-encoded (%2F %3F %23 %40 %20), "
         "or given with --user and --password-file";
}

Result<SourceUrl> parse_network(std::string_view text, const SchemeInfo& scheme) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return fail(ExitCode::kUsage, "malformed URL '" + redact(text) + "'",
                parsed.error().message() + password_hint(text));
  }
  const boost::urls::url_view& u = *parsed;
  if (!u.has_authority() || u.encoded_host().empty()) {
    return fail(ExitCode::kUsage, "missing host in URL '" + redact(text) + "'" + password_hint(text));
  }
  SourceUrl out;
  out.kind = scheme.kind;
  out.scheme = std::string(scheme.name);
  // Schemes are case-insensitive; FFmpeg's protocol names are lower case.
  out.original = std::string(scheme.name) + std::string(text.substr(scheme.name.size()));
  out.host = std::string(u.encoded_host());
  if (u.has_port()) {
    const auto p = u.port();
    int port = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size() || port < 1 || port > 65535) {
      // Not the port's text: it may be the start of a password.
      return fail(ExitCode::kUsage, "invalid port in URL '" + redact(text) + "'" + password_hint(text));
    }
    out.port = port;
  }
  if (u.has_userinfo()) {
    out.user = u.user();
    out.password = u.password();
  }
  out.path = std::string(u.encoded_path());
  if (u.has_query()) out.path += "?" + std::string(u.encoded_query());
  return out;
}

}  // namespace

Result<SourceUrl> parse_source_url(std::string_view text) {
  if (text.empty()) return fail(ExitCode::kUsage, "empty URL");
  if (text.substr(0, 6) == "lavfi:") {
    SourceUrl out;
    out.kind = SourceKind::kLavfi;
    out.scheme = "lavfi";
    out.path = std::string(text.substr(6));
    out.original = std::string(text);
    if (out.path.empty()) return fail(ExitCode::kUsage, "empty lavfi graph in 'lavfi:'");
    return out;
  }
  if (text == "-" || text == "pipe:0") {
    SourceUrl out;
    out.kind = SourceKind::kStdin;
    out.original = std::string(text);
    return out;
  }
  const std::string scheme = lower(scheme_prefix(text));
  const bool has_slashes = text.find("://") != std::string_view::npos;
  if (scheme == "file") {
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return fail(ExitCode::kUsage, "malformed URL '" + std::string(text) + "'");
    SourceUrl out;
    out.kind = SourceKind::kFile;
    out.path = parsed->path();
    out.original = std::string(text);
    return out;
  }
  for (const SchemeInfo& s : kSchemes) {
    if (scheme == s.name) return parse_network(text, s);
  }
  if (!scheme.empty() && has_slashes) {
    return fail(ExitCode::kUsage, "unknown scheme '" + scheme + "' in '" + redact(text) +
                                      "' (expected rtsp, rtsps, http, https, file, lavfi)");
  }
  SourceUrl out;
  out.kind = SourceKind::kFile;
  out.path = std::string(text);
  out.original = std::string(text);
  return out;
}

std::string url_with_credentials(const SourceUrl& url, std::string_view user, std::string_view password) {
  auto parsed = boost::urls::parse_uri(url.original);
  if (!parsed) return url.original;
  boost::urls::url u(*parsed);
  u.remove_userinfo();
  if (!user.empty()) {
    u.set_user(user);
    if (!password.empty()) u.set_password(password);
  }
  return std::string(u.buffer());
}

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  const auto is_quote = [](char c) { return c == '\'' || c == '"' || c == '\n'; };
  while (pos < text.size()) {
    const size_t sep = text.find("://", pos);
    if (sep == std::string_view::npos) break;
    const size_t auth_begin = sep + 3;
    size_t auth_end = auth_begin;
    while (auth_end < text.size() && text[auth_end] != '/' && text[auth_end] != '?' &&
           text[auth_end] != '#' && std::isspace(static_cast<unsigned char>(text[auth_end])) == 0 &&
           !is_quote(text[auth_end])) {
      ++auth_end;
    }
    std::string_view authority = text.substr(auth_begin, auth_end - auth_begin);
    size_t at = authority.rfind('@');
    const size_t colon = authority.substr(0, at).find(':');
    if (colon != std::string_view::npos) {
      // "user:pa/ss@host", "user:p@/ss@host", "user:pa ss@host": a password
      // holding a character that ends an authority. Up to the last '@' of the
      // URL (of the quoted text or the line, when a space may be in it), all
      // is hidden; hiding too much is safe.
      size_t limit = auth_end;
      while (limit < text.size() && !is_quote(text[limit]) &&
             (at == std::string_view::npos || std::isspace(static_cast<unsigned char>(text[limit])) == 0)) {
        ++limit;
      }
      const size_t last_at = text.substr(auth_begin, limit - auth_begin).rfind('@');
      if (last_at != std::string_view::npos && (at == std::string_view::npos || last_at > at)) {
        auth_end = auth_begin + last_at + 1;
        while (auth_end < limit && text[auth_end] != '/' && text[auth_end] != '?' && text[auth_end] != '#' &&
               std::isspace(static_cast<unsigned char>(text[auth_end])) == 0) {
          ++auth_end;
        }
        authority = text.substr(auth_begin, auth_end - auth_begin);
        at = last_at;
      }
    }
    out.append(text.substr(pos, auth_begin - pos));
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out.append(authority.substr(0, colon + 1));
      out.append("***");
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    pos = auth_end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace cctv
