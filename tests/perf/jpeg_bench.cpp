// SPDX-License-Identifier: MIT
// Benchmark: JPEG encode cost per frame, planar TurboJPEG path vs an RGB round trip vs FFmpeg's mjpeg encoder.
#include <chrono>
#include <cstdio>
#include <vector>

#include "cctv/av.hpp"
#include "cctv/decoder.hpp"
#include "cctv/jpeg.hpp"
#include "cctv/source.hpp"

using namespace cctv;
using Clock = std::chrono::steady_clock;

namespace {

// Decoded frames of an H.264 encode of the test pattern would need a file;
// lavfi's testsrc2 gives the same yuv420p planes a decoder would.
std::vector<av::FramePtr> frames(const char* size, int n) {
  auto src = Source::open(std::string("lavfi:testsrc2=size=") + size + ":rate=1000", {});
  if (!src) {
    std::fprintf(stderr, "%s\n", src.error().what().c_str());
    std::exit(1);
  }
  auto dec = Decoder::open(*src->video()).value();
  std::vector<av::FramePtr> out;
  auto pkt = av::make_packet();
  while (static_cast<int>(out.size()) < n && src->read(pkt.get()).value_or(false)) {
    (void)dec.send(pkt.get());
    auto f = av::make_frame();
    if (dec.receive(f.get()).value_or(false)) out.push_back(std::move(f));
  }
  return out;
}

template <typename F>
double ms_per_frame(const std::vector<av::FramePtr>& fs, F&& encode) {
  const auto t0 = Clock::now();
  for (const auto& f : fs) encode(*f);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / static_cast<double>(fs.size());
}

double ffmpeg_mjpeg(const std::vector<av::FramePtr>& fs, int q) {
  const AVCodec* c = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  av::CodecContextPtr ctx(avcodec_alloc_context3(c));
  ctx->width = fs[0]->width;
  ctx->height = fs[0]->height;
  ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
  ctx->time_base = {1, 25};
  ctx->flags |= AV_CODEC_FLAG_QSCALE;
  ctx->global_quality = FF_QP2LAMBDA * q;
  ctx->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL;
  if (avcodec_open2(ctx.get(), c, nullptr) < 0) return -1;
  auto pkt = av::make_packet();
  return ms_per_frame(fs, [&](const AVFrame& f) {
    avcodec_send_frame(ctx.get(), &f);
    while (avcodec_receive_packet(ctx.get(), pkt.get()) == 0) av_packet_unref(pkt.get());
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100;
  std::printf("JPEG encode, quality 85, %d frames of testsrc2 (yuv420p), ms per frame\n", n);
  std::printf("%-8s %14s %14s %10s %18s\n", "size", "planar (ours)", "via RGB", "ratio", "ffmpeg mjpeg q=3");
  for (const char* size : {"1920x1080", "1280x720"}) {
    const auto fs = frames(size, n);
    auto enc = JpegEncoder::create({.quality = 85}).value();
    std::vector<std::uint8_t> out;
    const double planar = ms_per_frame(fs, [&](const AVFrame& f) { (void)enc.encode(f, out); });
    const double rgb = ms_per_frame(fs, [&](const AVFrame& f) { (void)enc.encode_via_rgb(f, out); });
    std::printf("%-8s %14.2f %14.2f %9.2fx %18.2f\n", size, planar, rgb, rgb / planar, ffmpeg_mjpeg(fs, 3));
  }
  return 0;
}
