// SPDX-License-Identifier: MIT
// Tests for cctv-hls's AES-128 segment encryption and its options' checks.
#include <boost/test/unit_test.hpp>

#include "hls_crypto.hpp"
#include "hls_options.hpp"

using namespace cctv::hls;

BOOST_AUTO_TEST_SUITE(hls_crypto)

BOOST_AUTO_TEST_CASE(iv_is_the_media_sequence_as_128_bit_big_endian) {
  const AesIv iv = iv_for_sequence(0x0102);
  for (int i = 0; i < 14; ++i) BOOST_TEST(iv[static_cast<std::size_t>(i)] == 0);
  BOOST_TEST(iv[14] == 0x01);
  BOOST_TEST(iv[15] == 0x02);
}

BOOST_AUTO_TEST_CASE(aes128_cbc_matches_the_nist_vector_and_pads_with_pkcs7) {
  // NIST SP 800-38A F.2.1, first block, plus one full block of PKCS7 padding.
  const AesKey key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
  const AesIv iv{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const std::vector<std::uint8_t> plain{0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
                                        0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
  const auto out = encrypt_aes128(plain, key, iv);
  BOOST_REQUIRE(out);
  BOOST_REQUIRE_EQUAL(out->size(), 32u);
  const std::vector<std::uint8_t> first(out->begin(), out->begin() + 16);
  const std::vector<std::uint8_t> expected{0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46,
                                           0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9, 0x19, 0x7d};
  BOOST_TEST(first == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(random_keys_differ) {
  const auto a = random_key(), b = random_key();
  BOOST_REQUIRE(a && b);
  BOOST_TEST((*a != *b));
}

BOOST_AUTO_TEST_CASE(variant_needs_a_plain_name_and_a_url) {
  const auto v = parse_variant("main=rtsp://cam/1");
  BOOST_REQUIRE(v);
  BOOST_TEST(v->name == "main");
  BOOST_TEST(v->url == "rtsp://cam/1");
  BOOST_TEST((parse_variant("no-equals").error().code == cctv::ExitCode::kUsage));
  BOOST_TEST((parse_variant("a/b=rtsp://cam/").error().code == cctv::ExitCode::kUsage));
  BOOST_TEST((parse_variant("sub=").error().code == cctv::ExitCode::kUsage));
  // The password never reaches the message.
  BOOST_TEST(parse_variant("rtsp://admin:secret@cam/").error().message.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(options_want_one_url_or_variants_and_key_options_need_encrypt) {
  Options both;
  both.url = "rtsp://cam/1";
  both.variant_args = {"sub=rtsp://cam/2"};
  BOOST_TEST(!check_options(both));
  Options none;
  BOOST_TEST(!check_options(none));
  Options key;
  key.url = "rtsp://cam/1";
  key.key_rotate = 5;
  BOOST_TEST(!check_options(key));
  key.encrypt = true;
  BOOST_TEST(check_options(key).has_value());
  Options twice;
  twice.variant_args = {"a=rtsp://cam/1", "a=rtsp://cam/2"};
  BOOST_TEST(!check_options(twice));
}

BOOST_AUTO_TEST_SUITE_END()
