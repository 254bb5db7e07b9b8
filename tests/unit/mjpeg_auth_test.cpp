// SPDX-License-Identifier: MIT
// Tests for cctv-mjpeg-serve's logins: auth and token files, password and token checks, the cache, the
// login throttle, and how many viewers the descriptor limit leaves room for.
#include "auth.hpp"

#include <openssl/evp.h>

#include <limits>

#include <boost/test/unit_test.hpp>

#include "login_throttle.hpp"
#include "pages.hpp"
#include "serve.hpp"

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

BOOST_AUTO_TEST_CASE(password_or_user_with_an_embedded_nul_is_refused) {
  using namespace std::string_literals;
  for (const auto& h : {kSha512, kSha256, kYescrypt}) {
    BOOST_TEST(!verify_password("correct horse\0junk"s, h), h);  // crypt(3) alone would stop at the NUL
    BOOST_TEST(!verify_password("correct horse\0"s, h), h);
    BOOST_TEST(verify_password("correct horse"s, h), h);
  }
  const Auth a = both();
  BOOST_TEST(!a.allows(basic("alice", "correct horse\0junk"s), ""));
  BOOST_TEST(!a.allows(basic("alice", "correct horse\0"s), ""));
  BOOST_TEST(!a.allows(basic("alice\0x"s, "correct horse"), ""));
  BOOST_TEST(!a.allows(basic("alic", "correct horse"), ""));  // a prefix of a name is no name
  BOOST_TEST(!a.allows(basic("alicee", "correct horse"), ""));
  BOOST_TEST(a.allows(basic("alice", "correct horse"), ""));
  BOOST_TEST(!a.allows(basic("alice", "correct horse\0junk"s), ""));  // the cache holds whole headers only
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

namespace {

using Clock = LoginThrottle::Clock;
using std::chrono::milliseconds;

const ClientKey kMallory = client_key(std::array<std::uint8_t, 4>{192, 0, 2, 66});
const ClientKey kAlice = client_key(std::array<std::uint8_t, 4>{192, 0, 2, 7});
const Clock::time_point kT0 = Clock::time_point() + std::chrono::hours(1);

long ms(Clock::duration d) { return static_cast<long>(std::chrono::duration_cast<milliseconds>(d).count()); }

// A login of `client` at `now` that fails as soon as it gets its turn, as a
// client that waits for each answer does. Returns when it was checked.
Clock::time_point fail_in_turn(LoginThrottle& th, const ClientKey& client, Clock::time_point now) {
  for (int i = 0; i < 3; ++i) {  // a turn once granted is taken at that time: never more than 2 asks
    auto turn = th.claim(client, now);
    if (!turn) {
      th.failed(client, now);
      return now;
    }
    now = *turn;
  }
  BOOST_FAIL("no turn");
  return now;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mjpeg_login_throttle)

BOOST_AUTO_TEST_CASE(delay_doubles_from_100_ms_to_a_5_s_cap) {
  BOOST_TEST(ms(LoginThrottle::delay_after(0)) == 0);
  BOOST_TEST(ms(LoginThrottle::delay_after(1)) == 100);
  BOOST_TEST(ms(LoginThrottle::delay_after(2)) == 200);
  BOOST_TEST(ms(LoginThrottle::delay_after(6)) == 3200);
  BOOST_TEST(ms(LoginThrottle::delay_after(7)) == 5000);
  BOOST_TEST(ms(LoginThrottle::delay_after(1000000)) == 5000);
}

BOOST_AUTO_TEST_CASE(consecutive_failures_of_one_client_are_checked_further_and_further_apart) {
  LoginThrottle th;
  BOOST_TEST(!th.claim(kMallory, kT0));  // no failure yet: no wait
  BOOST_TEST(th.failed(kMallory, kT0));  // begins throttling: log it
  auto t = kT0;
  std::vector<long> gaps;
  for (int i = 0; i < 8; ++i) {
    const auto checked = fail_in_turn(th, kMallory, t + milliseconds(1));  // asks right after the 401
    gaps.push_back(ms(checked - t));
    t = checked;
  }
  BOOST_TEST(gaps == (std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000}), boost::test_tools::per_element());
  BOOST_TEST(!th.failed(kMallory, t));  // logged once, not per failure
  BOOST_TEST(th.size() == 1u);
}

BOOST_AUTO_TEST_CASE(parallel_attempts_of_one_client_take_turns) {
  LoginThrottle th;
  th.failed(kMallory, kT0);
  const auto now = kT0 + milliseconds(100);
  BOOST_TEST(!th.claim(kMallory, now));  // the first of many connections gets the turn...
  const auto next = th.claim(kMallory, now);
  BOOST_TEST_REQUIRE(next.has_value());  // ...the others wait one delay for the next
  BOOST_TEST(ms(*next - now) == 100);
  th.failed(kMallory, now + milliseconds(2));  // the first one's check failed: the next waits longer
  const auto later = th.claim(kMallory, *next);
  BOOST_TEST_REQUIRE(later.has_value());
  BOOST_TEST(ms(*later - now) == 202);
}

BOOST_AUTO_TEST_CASE(other_clients_are_not_slowed_down) {
  LoginThrottle th;
  for (int i = 0; i < 10; ++i) fail_in_turn(th, kMallory, kT0);
  BOOST_TEST(th.claim(kMallory, kT0 + milliseconds(1)).has_value());
  BOOST_TEST(!th.claim(kAlice, kT0 + milliseconds(1)));
  BOOST_TEST(th.failed(kAlice, kT0 + milliseconds(2)));  // her own first failure, her own log line
  const auto hers = th.claim(kAlice, kT0 + milliseconds(3));
  BOOST_TEST_REQUIRE(hers.has_value());
  BOOST_TEST(ms(*hers - kT0) == 102);
}

BOOST_AUTO_TEST_CASE(a_success_or_a_quiet_period_forgets_the_failures) {
  LoginThrottle th;
  for (int i = 0; i < 5; ++i) fail_in_turn(th, kMallory, kT0);
  th.succeeded(kMallory);
  BOOST_TEST(th.size() == 0u);
  BOOST_TEST(!th.claim(kMallory, kT0));
  BOOST_TEST(th.failed(kMallory, kT0));  // throttling begins anew (and is logged anew)
  BOOST_TEST(!th.claim(kMallory, kT0 + LoginThrottle::kForget - milliseconds(1)));  // its turn, still known
  BOOST_TEST(th.size() == 1u);
  BOOST_TEST(!th.claim(kMallory, kT0 + LoginThrottle::kForget));
  BOOST_TEST(th.size() == 0u);  // forgotten
  BOOST_TEST(th.failed(kMallory, kT0 + LoginThrottle::kForget));
}

BOOST_AUTO_TEST_CASE(table_is_bounded_and_drops_the_client_whose_last_failure_is_oldest) {
  LoginThrottle th;
  auto t = kT0;
  th.failed(kAlice, t);
  for (std::uint32_t i = 0; i < LoginThrottle::kCapacity + 100; ++i) {
    t += milliseconds(1);
    if (i == 4000) th.failed(kAlice, t);  // refreshed: now younger than the clients that go
    th.failed(client_key(std::array<std::uint8_t, 4>{10, static_cast<std::uint8_t>(i >> 16),
                                                     static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}),
              t);
    BOOST_TEST_REQUIRE(th.size() <= LoginThrottle::kCapacity);
  }
  BOOST_TEST(th.size() == LoginThrottle::kCapacity);
  BOOST_TEST(!th.claim(client_key(std::array<std::uint8_t, 4>{10, 0, 0, 0}), t));  // the oldest went
  BOOST_TEST(th.claim(client_key(std::array<std::uint8_t, 4>{10, 0, 16, 99}), t).has_value());  // the newest stays
  BOOST_TEST(th.claim(kAlice, t - milliseconds(1)).has_value());  // still remembered
}

BOOST_AUTO_TEST_CASE(ipv4_is_one_client_per_address_and_ipv6_one_per_64_prefix) {
  const std::array<std::uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 66};
  BOOST_TEST((client_key(mapped) == kMallory));  // a dual-stack listener's view of the same client
  BOOST_TEST((kMallory != kAlice));
  std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1};
  std::array<std::uint8_t, 16> b = a;
  b[15] = 0x99;
  b[9] = 0x42;  // another host part in the same /64
  BOOST_TEST((client_key(a) == client_key(b)));
  b[7] = 3;  // another /64
  BOOST_TEST((client_key(a) != client_key(b)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mjpeg_viewer_capacity)

BOOST_AUTO_TEST_CASE(viewers_get_the_descriptor_limit_less_a_reserve_and_at_least_one) {
  BOOST_TEST(viewer_capacity(1024, 1) == 1024 - 64 - 8);
  BOOST_TEST(viewer_capacity(1048576, 10) == 1048576 - 64 - 80);
  BOOST_TEST(viewer_capacity(100, 10) == 1);  // the reserve is more than the limit: still serve someone
  BOOST_TEST(viewer_capacity(0, 0) == 1);
  BOOST_TEST(viewer_capacity(std::numeric_limits<std::uint64_t>::max(), 1) == std::numeric_limits<int>::max());
}

BOOST_AUTO_TEST_SUITE_END()
