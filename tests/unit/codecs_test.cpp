// SPDX-License-Identifier: MIT
// Tests for cctv-hls's CODECS strings, from the parameter sets of the fixture's clips.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "cctv/codecs.hpp"

using namespace cctv;

namespace {

// The SPS of tests/fixtures' x264 clip (Main, level 3.1) and x265 clip (Main,
// level 3.1), as the encoders wrote them (emulation prevention included).
const std::vector<std::uint8_t> kH264Sps{0x67, 0x4d, 0x40, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xec, 0x04};
const std::vector<std::uint8_t> kHevcSps{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00,
                                         0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5d, 0xa0, 0x02, 0x80};

}  // namespace

BOOST_AUTO_TEST_SUITE(codecs)

BOOST_AUTO_TEST_CASE(h264_codec_string_is_profile_constraints_level_in_hex) {
  BOOST_TEST(h264_codec_string(kH264Sps) == "avc1.4d401f");
  BOOST_TEST(h264_codec_string(std::vector<std::uint8_t>{0x67, 0x64}).empty());
}

BOOST_AUTO_TEST_CASE(hevc_codec_string_follows_iso_14496_15_annex_e) {
  // Main profile (1), compatibility flags 1 and 2 (0x60000000 reversed: 6),
  // main tier level 93 (3.1), constraint byte 0x90 (progressive, frame only).
  BOOST_TEST(hevc_codec_string(kHevcSps) == "hvc1.1.6.L93.90");
}

BOOST_AUTO_TEST_CASE(emulation_prevention_bytes_are_removed) {
  const std::vector<std::uint8_t> escaped{0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00};
  BOOST_TEST(unescape_rbsp(escaped) == std::string("\x00\x00\x01\x00\x00\x00", 6));
}

BOOST_AUTO_TEST_CASE(video_codec_string_reads_annex_b_extradata) {
  std::vector<std::uint8_t> extra{0, 0, 0, 1};
  extra.insert(extra.end(), kHevcSps.begin(), kHevcSps.end());
  AVCodecParameters par{};
  par.codec_id = AV_CODEC_ID_HEVC;
  par.extradata = extra.data();
  par.extradata_size = static_cast<int>(extra.size());
  BOOST_TEST(video_codec_string(par, nullptr) == "hvc1.1.6.L93.90");
  par.codec_id = AV_CODEC_ID_MJPEG;
  BOOST_TEST(video_codec_string(par, nullptr).empty());
}

BOOST_AUTO_TEST_CASE(aac_lc_is_mp4a_40_2) {
  std::uint8_t asc[2] = {0x15, 0x88};  // AAC-LC, 8 kHz, mono
  AVCodecParameters par{};
  par.codec_id = AV_CODEC_ID_AAC;
  par.extradata = asc;
  par.extradata_size = 2;
  BOOST_TEST(audio_codec_string(par) == "mp4a.40.2");
  par.codec_id = AV_CODEC_ID_PCM_ALAW;
  BOOST_TEST(audio_codec_string(par).empty());
}

BOOST_AUTO_TEST_SUITE_END()
