// SPDX-License-Identifier: MIT
// Tests for the TurboJPEG encoder: sizes, range expansion, conversions.
#include "cctv/jpeg.hpp"

#include <turbojpeg.h>

#include <boost/test/unit_test.hpp>

using namespace cctv;

namespace {

av::FramePtr solid_frame(AVPixelFormat fmt, int w, int h, uint8_t y, uint8_t u, uint8_t v) {
  auto f = av::make_frame();
  f->format = fmt;
  f->width = w;
  f->height = h;
  BOOST_REQUIRE(av_frame_get_buffer(f.get(), 0) == 0);
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  for (int p = 0; p < 3; ++p) {
    const int ph = p == 0 ? h : AV_CEIL_RSHIFT(h, d->log2_chroma_h);
    for (int row = 0; row < ph; ++row) {
      memset(f->data[p] + row * f->linesize[p], p == 0 ? y : (p == 1 ? u : v), f->linesize[p]);
    }
  }
  return f;
}

struct Decoded {
  int width = 0, height = 0, subsamp = -1;
  std::vector<uint8_t> gray;
};

// Decodes with TurboJPEG's decompressor, independent of the encoder path under test.
Decoded decode(const std::vector<uint8_t>& jpeg) {
  Decoded d;
  tjhandle h = tjInitDecompress();
  int colorspace = 0;
  BOOST_REQUIRE(tjDecompressHeader3(h, jpeg.data(), jpeg.size(), &d.width, &d.height, &d.subsamp, &colorspace) == 0);
  d.gray.resize(static_cast<size_t>(d.width) * d.height);
  BOOST_REQUIRE(tjDecompress2(h, jpeg.data(), jpeg.size(), d.gray.data(), d.width, 0, d.height, TJPF_GRAY, 0) == 0);
  tjDestroy(h);
  return d;
}

double mean(const std::vector<uint8_t>& v) {
  double s = 0;
  for (uint8_t x : v) s += x;
  return s / static_cast<double>(v.size());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(jpeg)

BOOST_AUTO_TEST_CASE(scaled_size_keeps_aspect_when_one_side_is_given) {
  BOOST_TEST(scaled_size(1280, 720, {.width = 320}).height == 180);
  BOOST_TEST(scaled_size(1280, 720, {.height = 360}).width == 640);
  BOOST_TEST(scaled_size(1280, 720, {.width = 100, .height = 100}).height == 100);
  BOOST_TEST(scaled_size(1920, 1080, {}).width == 1920);
  BOOST_TEST(scaled_size(1280, 720, {.width = 333}).height % 2 == 0);
}

BOOST_AUTO_TEST_CASE(encodes_yuv420p_planes_at_source_size) {
  auto f = solid_frame(AV_PIX_FMT_YUV420P, 1280, 720, 128, 128, 128);
  auto enc = JpegEncoder::create({});
  BOOST_REQUIRE(enc);
  std::vector<uint8_t> out;
  BOOST_REQUIRE(enc->encode(*f, out));
  const Decoded d = decode(out);
  BOOST_TEST(d.width == 1280);
  BOOST_TEST(d.height == 720);
  BOOST_TEST(d.subsamp == TJSAMP_420);
}

BOOST_AUTO_TEST_CASE(expands_limited_range_so_video_black_is_jpeg_black) {
  auto enc = JpegEncoder::create({});
  BOOST_REQUIRE(enc);
  std::vector<uint8_t> out;
  BOOST_REQUIRE(enc->encode(*solid_frame(AV_PIX_FMT_YUV420P, 64, 64, 16, 128, 128), out));
  BOOST_TEST(mean(decode(out).gray) < 3.0);
  BOOST_REQUIRE(enc->encode(*solid_frame(AV_PIX_FMT_YUV420P, 64, 64, 235, 128, 128), out));
  BOOST_TEST(mean(decode(out).gray) > 252.0);
  // Full-range input is left alone.
  BOOST_REQUIRE(enc->encode(*solid_frame(AV_PIX_FMT_YUVJ420P, 64, 64, 16, 128, 128), out));
  BOOST_TEST(std::abs(mean(decode(out).gray) - 16.0) < 3.0);
}

BOOST_AUTO_TEST_CASE(scales_and_converts_other_pixel_formats) {
  auto enc = JpegEncoder::create({.quality = 70, .width = 320});
  BOOST_REQUIRE(enc);
  std::vector<uint8_t> out;
  BOOST_REQUIRE(enc->encode(*solid_frame(AV_PIX_FMT_YUV420P, 1280, 720, 16, 128, 128), out));
  Decoded d = decode(out);
  BOOST_TEST(d.width == 320);
  BOOST_TEST(d.height == 180);
  BOOST_TEST(mean(d.gray) < 3.0);  // range expanded on the scaling path too

  auto nv12 = av::make_frame();
  nv12->format = AV_PIX_FMT_NV12;
  nv12->width = 64;
  nv12->height = 48;
  BOOST_REQUIRE(av_frame_get_buffer(nv12.get(), 0) == 0);
  memset(nv12->data[0], 235, nv12->linesize[0] * 48);
  memset(nv12->data[1], 128, nv12->linesize[1] * 24);
  auto plain = JpegEncoder::create({});
  BOOST_REQUIRE(plain->encode(*nv12, out));
  d = decode(out);
  BOOST_TEST(d.width == 64);
  BOOST_TEST(mean(d.gray) > 250.0);
}

BOOST_AUTO_TEST_CASE(rgb_path_gives_the_same_picture) {
  auto f = solid_frame(AV_PIX_FMT_YUV420P, 320, 240, 120, 100, 150);
  auto enc = JpegEncoder::create({});
  std::vector<uint8_t> a, b;
  BOOST_REQUIRE(enc->encode(*f, a));
  BOOST_REQUIRE(enc->encode_via_rgb(*f, b));
  BOOST_TEST(std::abs(mean(decode(a).gray) - mean(decode(b).gray)) < 4.0);
}

BOOST_AUTO_TEST_CASE(rejects_quality_out_of_range) {
  BOOST_TEST(!JpegEncoder::create({.quality = 0}));
  BOOST_TEST(!JpegEncoder::create({.quality = 101}));
}

BOOST_AUTO_TEST_SUITE_END()
