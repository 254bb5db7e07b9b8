// SPDX-License-Identifier: MIT
// TurboJPEG encoding from YUV planes, with range expansion and optional scaling.
#include "cctv/jpeg.hpp"

#include <turbojpeg.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace cctv {

Size scaled_size(int src_w, int src_h, const JpegOptions& opts) {
  auto even = [](double v) { return std::max(2, static_cast<int>(std::lround(v / 2.0)) * 2); };
  if (src_w <= 0 || src_h <= 0) return {};
  if (opts.width > 0 && opts.height > 0) return {opts.width, opts.height};
  if (opts.width > 0) return {opts.width, even(static_cast<double>(src_h) * opts.width / src_w)};
  if (opts.height > 0) return {even(static_cast<double>(src_w) * opts.height / src_h), opts.height};
  return {src_w, src_h};
}

namespace {

struct TjFree {
  void operator()(void* h) const { tjDestroy(h); }
};

// JPEG (JFIF) is full range; video decoders mostly give limited range
// (16-235 luma, 16-240 chroma). Encoding those planes as they are gives a
// washed-out picture, so they are expanded first:
//   luma:   (v - 16) * 255 / 219          chroma: (v - 128) * 127 / 112 + 128
// in 8.8 fixed point on 16-bit lanes, which the compiler vectorizes: a table
// lookup per byte was 12 % of cctv-mjpeg-serve's CPU at 720p.
struct RangeMap {
  std::uint8_t lo, hi;     // the legal range; values outside are clamped to it first
  std::uint16_t mul, add;  // out = ((v - lo) * mul + add) >> 8, at most 255
  constexpr std::uint8_t operator()(std::uint8_t v) const {
    const auto x = static_cast<std::uint16_t>(std::clamp(v, lo, hi) - lo);
    return static_cast<std::uint8_t>(static_cast<std::uint16_t>(x * mul + add) >> 8);
  }
};
constexpr RangeMap kLumaRange{16, 235, 298, 132};
constexpr RangeMap kChromaRange{16, 240, 290, 408};

// round(num / den), halves up, for den > 0: the exact values to compare with.
constexpr int round_div(int num, int den) {
  const int n = 2 * num + den, d = 2 * den;
  return n >= 0 ? n / d : -((-n + d - 1) / d);
}
// Every input lands within 1 of the exact value (an 8-bit rounding step).
constexpr bool range_maps_are_close() {
  for (int v = 0; v < 256; ++v) {
    const int luma = std::clamp(round_div((v - 16) * 255, 219), 0, 255);
    const int chroma = std::clamp(round_div((v - 128) * 127 + 128 * 112, 112), 0, 255);
    const auto b = static_cast<std::uint8_t>(v);
    if (kLumaRange(b) - luma > 1 || luma - kLumaRange(b) > 1) return false;
    if (kChromaRange(b) - chroma > 1 || chroma - kChromaRange(b) > 1) return false;
  }
  return kLumaRange(16) == 0 && kLumaRange(235) == 255 && kChromaRange(128) == 128;
}
static_assert(range_maps_are_close());

// In place: with one pointer there is no aliasing to rule out, so the
// fixed-trip inner loop is vectorized even at -O2.
void expand_row(std::uint8_t* row, int n, RangeMap map) {
  constexpr int kBlock = 64;
  int x = 0;
  for (; x + kBlock <= n; x += kBlock) {
    for (int k = 0; k < kBlock; ++k) row[x + k] = map(row[x + k]);
  }
  for (; x < n; ++x) row[x] = map(row[x]);
}

int tj_subsamp(AVPixelFormat f) {
  switch (f) {
    case AV_PIX_FMT_YUV420P: case AV_PIX_FMT_YUVJ420P: return TJSAMP_420;
    case AV_PIX_FMT_YUV422P: case AV_PIX_FMT_YUVJ422P: return TJSAMP_422;
    case AV_PIX_FMT_YUV444P: case AV_PIX_FMT_YUVJ444P: return TJSAMP_444;
    case AV_PIX_FMT_GRAY8: return TJSAMP_GRAY;
    default: return -1;
  }
}

bool is_full_range(const AVFrame& f) {
  const auto fmt = static_cast<AVPixelFormat>(f.format);
  return f.color_range == AVCOL_RANGE_JPEG || fmt == AV_PIX_FMT_YUVJ420P ||
         fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P;
}

}  // namespace

struct JpegEncoder::State {
  JpegOptions opts;
  std::unique_ptr<void, TjFree> tj;
  av::SwsPtr sws;
  av::FramePtr scratch;  // scaled / converted / range-expanded planes
  std::vector<std::uint8_t> rgb;
  // TurboJPEG's worst-case output, sized once: each JPEG is copied out at its
  // own size (about 1/20 of this), so callers never zero-fill megabytes per
  // frame, and frames held for viewers do not carry the worst case as capacity.
  std::vector<std::uint8_t> worst;

  // Points TurboJPEG at `worst` (grown to w x h); `finish` copies the result to `out`.
  unsigned char* output(int w, int h, int subsamp, unsigned long& size) {
    const unsigned long need = tjBufSize(w, h, subsamp);
    if (worst.size() < need) worst.resize(need);
    size = worst.size();
    return worst.data();
  }
  void finish(unsigned long size, std::vector<std::uint8_t>& out) const {
    out.assign(worst.begin(), worst.begin() + static_cast<std::ptrdiff_t>(size));
  }

  Status compress(const std::array<const unsigned char*, 3>& planes, const std::array<int, 3>& strides,
                  int w, int h, int subsamp, std::vector<std::uint8_t>& out);
  Result<const AVFrame*> to_yuv420(const AVFrame& in, Size size);
  Result<const AVFrame*> expand_range(const AVFrame& in, int subsamp);
  bool ensure_scratch(int w, int h, int format);
};

Status JpegEncoder::State::compress(const std::array<const unsigned char*, 3>& planes,
                                    const std::array<int, 3>& strides, int w, int h, int subsamp,
                                    std::vector<std::uint8_t>& out) {
  unsigned long size = 0;
  unsigned char* buf = output(w, h, subsamp, size);
  const unsigned char* p[3] = {planes[0], planes[1], planes[2]};
  const int s[3] = {strides[0], strides[1], strides[2]};
  // NOREALLOC: the buffer is already the worst-case size; TurboJPEG writes in place.
  if (tjCompressFromYUVPlanes(tj.get(), p, w, s, h, subsamp, &buf, &size, opts.quality,
                              TJFLAG_NOREALLOC | TJFLAG_FASTDCT) != 0) {
    return fail(ExitCode::kFailure, "JPEG encoding failed", tjGetErrorStr2(tj.get()));
  }
  finish(size, out);
  return {};
}

Result<const AVFrame*> JpegEncoder::State::to_yuv420(const AVFrame& in, Size size) {
  const auto src_fmt = static_cast<AVPixelFormat>(in.format);
  sws.reset(sws_getCachedContext(sws.release(), in.width, in.height, src_fmt, size.width, size.height,
                                 AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (!sws) return fail(ExitCode::kUnsupported, "cannot convert frames of this pixel format");
  if (!ensure_scratch(size.width, size.height, AV_PIX_FMT_YUV420P)) return fail(ExitCode::kFailure, "out of memory");
  sws_scale(sws.get(), in.data, in.linesize, 0, in.height, scratch->data, scratch->linesize);
  // swscale's unscaled paths ignore range conversion; expand_range() does it for all paths.
  scratch->color_range = is_full_range(in) ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  return scratch.get();
}

bool JpegEncoder::State::ensure_scratch(int w, int h, int format) {
  if (scratch->width == w && scratch->height == h && scratch->format == format) return true;
  av_frame_unref(scratch.get());
  scratch->width = w;
  scratch->height = h;
  scratch->format = format;
  return av_frame_get_buffer(scratch.get(), 0) == 0;
}

// Returns `in` itself when it is full range already; otherwise the expanded
// planes in `scratch` (in place when `in` is the scratch frame).
Result<const AVFrame*> JpegEncoder::State::expand_range(const AVFrame& in, int subsamp) {
  if (is_full_range(in)) return &in;
  if (&in != scratch.get() && !ensure_scratch(in.width, in.height, in.format)) {
    return fail(ExitCode::kFailure, "out of memory");
  }
  const int planes = subsamp == TJSAMP_GRAY ? 1 : 3;
  for (int p = 0; p < planes; ++p) {
    const RangeMap map = p == 0 ? kLumaRange : kChromaRange;
    const int pw = p == 0 ? in.width : tjPlaneWidth(1, in.width, subsamp);
    const int ph = p == 0 ? in.height : tjPlaneHeight(1, in.height, subsamp);
    for (int y = 0; y < ph; ++y) {
      const std::uint8_t* src = in.data[p] + static_cast<std::ptrdiff_t>(y) * in.linesize[p];
      std::uint8_t* dst = scratch->data[p] + static_cast<std::ptrdiff_t>(y) * scratch->linesize[p];
      if (dst != src) std::memcpy(dst, src, static_cast<std::size_t>(pw));
      expand_row(dst, pw, map);
    }
  }
  scratch->color_range = AVCOL_RANGE_JPEG;
  return scratch.get();
}

Result<JpegEncoder> JpegEncoder::create(const JpegOptions& opts) {
  if (opts.quality < 1 || opts.quality > 100) {
    return fail(ExitCode::kUsage, "JPEG quality must be 1..100");
  }
  auto s = std::make_unique<State>();
  s->opts = opts;
  s->tj.reset(tjInitCompress());
  if (!s->tj) return fail(ExitCode::kFailure, "cannot initialise TurboJPEG", tjGetErrorStr2(nullptr));
  s->scratch = av::make_frame();
  return JpegEncoder(std::move(s));
}

JpegEncoder::JpegEncoder(std::unique_ptr<State> s) : s_(std::move(s)) {}
JpegEncoder::JpegEncoder(JpegEncoder&&) noexcept = default;
JpegEncoder& JpegEncoder::operator=(JpegEncoder&&) noexcept = default;
JpegEncoder::~JpegEncoder() = default;

Status JpegEncoder::encode(const AVFrame& frame, std::vector<std::uint8_t>& out) {
  const Size size = scaled_size(frame.width, frame.height, s_->opts);
  if (size.width == 0) return fail(ExitCode::kFailure, "empty frame");
  int subsamp = tj_subsamp(static_cast<AVPixelFormat>(frame.format));
  const AVFrame* src = &frame;
  if (subsamp < 0 || size.width != frame.width || size.height != frame.height) {
    auto converted = s_->to_yuv420(frame, size);
    if (!converted) return fail(converted.error());
    src = *converted;
    subsamp = TJSAMP_420;
  }
  auto expanded = s_->expand_range(*src, subsamp);
  if (!expanded) return fail(expanded.error());
  src = *expanded;
  return s_->compress({src->data[0], src->data[1], src->data[2]},
                      {src->linesize[0], src->linesize[1], src->linesize[2]}, size.width, size.height,
                      subsamp, out);
}

Status JpegEncoder::encode_via_rgb(const AVFrame& frame, std::vector<std::uint8_t>& out) {
  const int w = frame.width;
  const int h = frame.height;
  s_->sws.reset(sws_getCachedContext(s_->sws.release(), w, h, static_cast<AVPixelFormat>(frame.format), w, h,
                                     AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr));
  if (!s_->sws) return fail(ExitCode::kUnsupported, "cannot convert to RGB");
  s_->rgb.resize(static_cast<size_t>(w) * h * 3);
  uint8_t* dst[4] = {s_->rgb.data(), nullptr, nullptr, nullptr};
  int dst_stride[4] = {w * 3, 0, 0, 0};
  sws_scale(s_->sws.get(), frame.data, frame.linesize, 0, h, dst, dst_stride);
  unsigned long size = 0;
  unsigned char* buf = s_->output(w, h, TJSAMP_420, size);
  if (tjCompress2(s_->tj.get(), s_->rgb.data(), w, w * 3, h, TJPF_RGB, &buf, &size, TJSAMP_420,
                  s_->opts.quality, TJFLAG_NOREALLOC | TJFLAG_FASTDCT) != 0) {
    return fail(ExitCode::kFailure, "JPEG encoding failed", tjGetErrorStr2(s_->tj.get()));
  }
  s_->finish(size, out);
  return {};
}

}  // namespace cctv
