// SPDX-License-Identifier: MIT
// Tests for cctv-mjpeg-serve's signed links: the man page's test vector, expiry, tampering, other cameras.
#include "url_signing.hpp"

#include <boost/test/unit_test.hpp>

using namespace cctv::mjpeg;

namespace {
const UrlSigner kSigner("0123456789abcdef0123456789abcdef");
constexpr std::int64_t kExpires = 1767225600;  // 2026-01-01T00:00:00Z
}  // namespace

BOOST_AUTO_TEST_SUITE(mjpeg_signing)

BOOST_AUTO_TEST_CASE(the_man_pages_test_vector) {
  // printf '1767225600:/front/' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef -binary |
  //   basenc --base64url | tr -d '='
  BOOST_TEST(kSigner.sign("/front/", kExpires) == "_chLhwt9AvchaWacG4Sm6fxo6eczkDrUJF8L0N5Wp6I");
}

BOOST_AUTO_TEST_CASE(a_signature_opens_its_camera_until_it_expires) {
  const std::string sig = kSigner.sign("/front/", kExpires);
  const auto exp = std::to_string(kExpires);
  BOOST_TEST((kSigner.check("/front/stream.mjpg", exp, sig, kExpires - 1) == UrlSigner::Verdict::kValid));
  BOOST_TEST((kSigner.check("/front/snapshot.jpg", exp, sig, kExpires) == UrlSigner::Verdict::kValid));
  BOOST_TEST((kSigner.check("/front/stream.ws", exp, sig, kExpires + 1) == UrlSigner::Verdict::kExpired));
  BOOST_TEST((kSigner.check("/yard/stream.mjpg", exp, sig, kExpires - 1) == UrlSigner::Verdict::kBad));
  BOOST_TEST((kSigner.check("/", exp, sig, kExpires - 1) == UrlSigner::Verdict::kBad));
  std::string tampered = sig;
  tampered[3] = tampered[3] == 'x' ? 'y' : 'x';
  BOOST_TEST((kSigner.check("/front/stream.mjpg", exp, tampered, kExpires - 1) == UrlSigner::Verdict::kBad));
  BOOST_TEST((kSigner.check("/front/stream.mjpg", exp + "0", sig, kExpires - 1) == UrlSigner::Verdict::kBad));
  BOOST_TEST((kSigner.check("/front/stream.mjpg", "12x", sig, 0) == UrlSigner::Verdict::kBad));
  BOOST_TEST((kSigner.check("/front/stream.mjpg", "", "", 0) == UrlSigner::Verdict::kBad));
  BOOST_TEST((UrlSigner("another key, 32 bytes long......").check("/front/x", exp, sig, 0) == UrlSigner::Verdict::kBad));
}

BOOST_AUTO_TEST_CASE(camera_prefixes) {
  BOOST_TEST(camera_prefix("/front/stream.mjpg") == "/front/");
  BOOST_TEST(camera_prefix("/front/") == "/front/");
  BOOST_TEST(camera_prefix("/front") == "");
  BOOST_TEST(camera_prefix("//x") == "");
  BOOST_TEST(camera_prefix("") == "");
}

BOOST_AUTO_TEST_SUITE_END()
