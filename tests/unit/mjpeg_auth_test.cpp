// SPDX-License-Identifier: MIT
// Tests for cctv-mjpeg-serve's authentication: auth file and token file parsing, password and token checks, the cache.
#include "auth.hpp"

#include <openssl/evp.h>

#include <boost/test/unit_test.hpp>

#include "pages.hpp"

using namespace cctv;
using namespace cctv::mjpeg;

namespace {

// The password "correct horse", hashed by `openssl passwd -6|-5 -salt Zk3pQ9vLw2xR`
// and by libxcrypt's yescrypt (what mkpasswd makes).
const std::string kSha512 =
    "$6$Zk3pQ9vLw2xR$Lqi5pgFvUdSFTRnpuiPWTCYMZqBwngIzle.nTnGNJLTqYpuABkq9aKTUsp.nBphWNZ8BJk9z9AUewNkH1e5in.";
const std::string kSha256 = "$5$Zk3pQ9vLw2xR$AwP7AsTQd6rhJnghMTiygCt92KzyTbJhW4iWphYS8mD";
const std::string kYescrypt = "$y$j9T$x9w68LVopsyM0CN9B3ylB.$/a5lMga1FJp89WqiISX745bekNcloFvWfRrDgrJe7d/";
const std::string kMd5 = "$1$abcdefgh$y6iHhJNbuC0xpbk0w9pm80";  // openssl passwd -1: too weak
const std::string kToken = "0123456789abcdef0123456789abcdef";

std::string base64(std::string_view s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string basic(std::string_view user, std::string_view password) {
  return "Basic " + base64(std::string(user) + ":" + std::string(password));
}

// quick_check()'s answer as a word, printable in a failed check.
std::string quick(const Auth& a, const std::string& authorization, const std::string& token) {
  const auto v = a.quick_check(authorization, token);
  return !v ? "needs a hash" : *v ? "allowed" : "denied";
}

Auth both() {
  return Auth({{"alice", kSha512}, {"bob", kYescrypt}}, {kToken});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mjpeg_auth)

BOOST_AUTO_TEST_CASE(sha512_sha256_and_yescrypt_hashes_verify_the_right_password_only) {
  for (const auto& h : {kSha512, kSha256, kYescrypt}) {
    BOOST_TEST(supported_hash(h), h);
    BOOST_TEST(verify_password("correct horse", h), h);
    BOOST_TEST(!verify_password("correct horsf", h), h);
    BOOST_TEST(!verify_password("", h), h);
  }
}

BOOST_AUTO_TEST_CASE(plaintext_md5_des_and_truncated_hashes_are_refused) {
  for (const std::string& h : {std::string("secret"), std::string(""), kMd5, std::string("abJnggxhB/yWI"),
                              kSha512.substr(0, kSha512.size() - 1), std::string("$6$"), std::string("$6$salt"),
                              std::string("$9$whatever$xyz")}) {
    BOOST_TEST(!supported_hash(h), h);
  }
}

BOOST_AUTO_TEST_CASE(auth_file_skips_blank_lines_and_comments_and_takes_crlf) {
  auto users = parse_basic_auth("# viewers\n\nalice:" + kSha512 + "\r\n  \nbob:" + kYescrypt + "\n", "f");
  BOOST_TEST_REQUIRE(users.has_value(), (users ? "" : users.error().what()));
  BOOST_TEST(users->size() == 2u);
  BOOST_TEST((*users)[0].name == "alice");
  BOOST_TEST((*users)[0].hash == kSha512);
  BOOST_TEST((*users)[1].hash == kYescrypt);
}

BOOST_AUTO_TEST_CASE(auth_file_with_a_plaintext_password_is_a_usage_error_that_does_not_show_it) {
  auto r = parse_basic_auth("alice:" + kSha512 + "\nbob:hunter2-plaintext\n", "users.txt");
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST(static_cast<int>(r.error().code) == 2);
  const std::string what = r.error().what();
  BOOST_TEST(what.find("users.txt") != std::string::npos, what);
  BOOST_TEST(what.find("line 2") != std::string::npos, what);
  BOOST_TEST(what.find("hunter2") == std::string::npos, what);
  BOOST_TEST(what.find('\n') == std::string::npos, what);
  BOOST_TEST(!parse_basic_auth("carol:" + kMd5, "f").has_value());
}

BOOST_AUTO_TEST_CASE(auth_file_lines_without_colon_empty_or_repeated_users_and_no_users_are_refused) {
  for (const std::string& text : {std::string("alice"), ":" + kSha512, "alice:" + kSha512 + "\nalice:" + kSha256,
                                 std::string(""), std::string("# only a comment\n\n")}) {
    auto r = parse_basic_auth(text, "f");
    BOOST_TEST(!r.has_value(), text);
    if (!r) BOOST_TEST(static_cast<int>(r.error().code) == 2);
  }
}

BOOST_AUTO_TEST_CASE(token_file_trims_and_skips_comments_and_refuses_weak_tokens_without_showing_them) {
  auto tokens = parse_tokens("# tv in the hall\n  " + kToken + " \r\n\nAbC-._~+/=0123456789\n", "t");
  BOOST_TEST_REQUIRE(tokens.has_value(), (tokens ? "" : tokens.error().what()));
  BOOST_TEST(tokens->size() == 2u);
  BOOST_TEST((*tokens)[0] == kToken);
  for (const std::string& bad : {std::string("short-token"), std::string("has a space inside it!"),
                                std::string("quote\"0123456789abcdef"), std::string("\n# nothing\n")}) {
    auto r = parse_tokens(bad, "t");
    BOOST_TEST_REQUIRE(!r.has_value(), bad);
    BOOST_TEST(static_cast<int>(r.error().code) == 2);
    if (bad.size() > 12) BOOST_TEST(r.error().what().find(bad.substr(0, 12)) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(basic_credentials_pass_only_with_the_right_user_and_password) {
  const Auth a = both();
  BOOST_TEST(a.allows(basic("alice", "correct horse"), ""));
  BOOST_TEST(a.allows(basic("bob", "correct horse"), ""));
  BOOST_TEST(a.allows("basic " + base64("alice:correct horse"), ""));  // the scheme is case-insensitive
  BOOST_TEST(!a.allows(basic("alice", "wrong"), ""));
  BOOST_TEST(!a.allows(basic("mallory", "correct horse"), ""));
  BOOST_TEST(!a.allows(basic("alice", ""), ""));
  BOOST_TEST(!a.allows("Basic " + base64("alice"), ""));  // no colon
  BOOST_TEST(!a.allows("Basic !!!!", ""));                // not base64
  BOOST_TEST(!a.allows("Basic", ""));
  BOOST_TEST(!a.allows("", ""));
  BOOST_TEST(!a.allows("Digest username=\"alice\"", ""));
}

BOOST_AUTO_TEST_CASE(tokens_pass_as_bearer_header_or_query_and_nothing_else) {
  const Auth a = both();
  BOOST_TEST(a.allows("Bearer " + kToken, ""));
  BOOST_TEST(a.allows("bearer " + kToken, ""));
  BOOST_TEST(a.allows("", kToken));
  BOOST_TEST(a.allows(basic("alice", "wrong"), kToken));  // either method is enough
  BOOST_TEST(!a.allows("Bearer " + kToken + "x", ""));
  BOOST_TEST(!a.allows("Bearer " + kToken.substr(1), ""));
  BOOST_TEST(!a.allows("", kToken.substr(0, 31)));
  BOOST_TEST(!a.allows("Basic " + base64(kToken), ""));
}

BOOST_AUTO_TEST_CASE(each_method_is_off_unless_its_file_was_given) {
  const Auth basic_only({{"alice", kSha512}}, {});
  const Auth tokens_only({}, {kToken});
  BOOST_TEST(!basic_only.allows("Bearer " + kToken, kToken));
  BOOST_TEST(!tokens_only.allows(basic("alice", "correct horse"), ""));
  BOOST_TEST(basic_only.challenges().size() == 1u);
  BOOST_TEST(basic_only.challenges()[0].starts_with("Basic realm=\"cctv-mjpeg-serve\""));
  BOOST_TEST(tokens_only.challenges() == std::vector<std::string>{"Bearer realm=\"cctv-mjpeg-serve\""});
  BOOST_TEST(both().challenges().size() == 2u);
  BOOST_TEST(both().challenges()[0].starts_with("Basic "));  // browsers ask for a password on Basic
}

BOOST_AUTO_TEST_CASE(verified_basic_headers_are_cached_and_the_cache_stays_bounded) {
  const Auth a({{"alice", kSha256}}, {});
  BOOST_TEST(a.allows(basic("alice", "correct horse"), ""));
  BOOST_TEST(a.cache_entries() == 1u);
  BOOST_TEST(a.allows(basic("alice", "correct horse"), ""));
  BOOST_TEST(a.cache_entries() == 1u);  // a hit adds nothing
  BOOST_TEST(!a.allows(basic("alice", "wrong"), ""));
  BOOST_TEST(a.cache_entries() == 1u);  // failures are not remembered
  // Distinct valid headers (the blanks after the scheme differ) fill it up to its bound.
  const std::string creds = base64("alice:correct horse");
  for (std::size_t i = 1; i <= Auth::kCacheSize + 10; ++i) {
    BOOST_TEST_REQUIRE(a.allows("Basic" + std::string(i, ' ') + creds, ""));
  }
  BOOST_TEST(a.cache_entries() == Auth::kCacheSize);
  BOOST_TEST(a.allows(basic("alice", "correct horse"), ""));
  BOOST_TEST(!a.allows(basic("alice", "correct horsf"), ""));
}

BOOST_AUTO_TEST_CASE(quick_check_decides_all_but_uncached_passwords_without_hashing) {
  const Auth a = both();
  BOOST_TEST(quick(a, "", kToken) == "allowed");
  BOOST_TEST(quick(a, "Bearer " + kToken, "") == "allowed");
  BOOST_TEST(quick(a, "Bearer nope", "") == "denied");
  BOOST_TEST(quick(a, "", "") == "denied");
  BOOST_TEST(quick(a, "Negotiate abc", "") == "denied");
  BOOST_TEST(quick(a, basic("alice", "correct horse"), "") == "needs a hash");  // needs the hash once
  BOOST_TEST(a.allows(basic("alice", "correct horse"), ""));
  BOOST_TEST(quick(a, basic("alice", "correct horse"), "") == "allowed");
  BOOST_TEST(quick(a, basic("alice", "wrong"), "") == "needs a hash");
  const Auth tokens_only({}, {kToken});
  BOOST_TEST(quick(tokens_only, basic("alice", "correct horse"), "") == "denied");
}

BOOST_AUTO_TEST_CASE(load_reads_nothing_without_files_and_refuses_an_unreadable_one) {
  auto none = Auth::load("", "");
  BOOST_TEST_REQUIRE(none.has_value());
  BOOST_TEST(!*none);
  auto missing = Auth::load("/nonexistent/users", "");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(static_cast<int>(missing.error().code) == 2);
  BOOST_TEST(missing.error().what().find("/nonexistent/users") != std::string::npos);
  BOOST_TEST(!Auth::load("", "/nonexistent/tokens").has_value());
}

BOOST_AUTO_TEST_CASE(index_page_carries_the_token_percent_encoded_in_every_link) {
  const std::vector<CameraView> cams{{"door", "rtsp://10.0.0.5/", {}}, {"yard", "rtsp://10.0.0.6/", {}}};
  const std::string page = index_html(cams, "abc+/=0123456789abcdef");
  BOOST_TEST(page.find("src=\"/door/stream.mjpg?token=abc%2B%2F%3D0123456789abcdef\"") != std::string::npos, page);
  BOOST_TEST(page.find("href=\"/yard/snapshot.jpg?token=abc%2B%2F%3D0123456789abcdef\"") != std::string::npos);
  BOOST_TEST(index_html(cams).find("token") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
