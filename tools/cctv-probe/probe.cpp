// SPDX-License-Identifier: MIT
// cctv-probe's logic: open, decode the first keyframe, optionally measure.
#include "probe.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "cctv/backoff.hpp"
#include "cctv/decoder.hpp"
#include "cctv/log.hpp"
#include "cctv/signals.hpp"
#include "cctv/source.hpp"

namespace cctv::probe {

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double q2d_or_zero(AVRational r) { return r.num > 0 && r.den > 0 ? av_q2d(r) : 0.0; }

std::string level_text(AVCodecID id, int level) {
  if (level <= 0) return {};
  if (id == AV_CODEC_ID_H264) return fmt::format("{:g}", level / 10.0);
  if (id == AV_CODEC_ID_HEVC) return fmt::format("{:g}", level / 30.0);
  return std::to_string(level);
}

// What the session description / container header says, before any decoding.
VideoInfo video_from_params(const AVStream& st) {
  const AVCodecParameters& p = *st.codecpar;
  VideoInfo v;
  v.codec = avcodec_get_name(p.codec_id);
  if (const char* prof = avcodec_profile_name(p.codec_id, p.profile)) v.profile = prof;
  v.level = level_text(p.codec_id, p.level);
  v.width = p.width;
  v.height = p.height;
  if (p.format >= 0) v.pix_fmt = av_get_pix_fmt_name(static_cast<AVPixelFormat>(p.format));
  v.fps_declared = q2d_or_zero(st.avg_frame_rate);
  if (v.fps_declared == 0) v.fps_declared = q2d_or_zero(st.r_frame_rate);
  return v;
}

// The decoder knows what the SPS says once it has decoded a frame.
void refine_from_decoder(VideoInfo& v, const AVCodecContext& c, const AVFrame& f) {
  if (const char* prof = avcodec_profile_name(c.codec_id, c.profile)) v.profile = prof;
  if (auto lvl = level_text(c.codec_id, c.level); !lvl.empty()) v.level = lvl;
  v.width = f.width;
  v.height = f.height;
  if (const char* pf = av_get_pix_fmt_name(static_cast<AVPixelFormat>(f.format))) v.pix_fmt = pf;
  if (double fr = q2d_or_zero(c.framerate); fr > 0) v.fps_declared = fr;
}

// Reads the picture size (and profile, level, format, frame rate) from the
// slice headers of any video packet, keyframe or not, once the SPS is known
// (the SDP carries it): FFmpeg's parser, no decoding.
class SizeParser {
 public:
  explicit SizeParser(const AVStream& st) : parser_(av_parser_init(st.codecpar->codec_id)) {
    ctx_.reset(avcodec_alloc_context3(nullptr));
    if (!ctx_ || avcodec_parameters_to_context(ctx_.get(), st.codecpar) < 0) parser_.reset();
    if (!parser_) return;
    parser_->flags |= PARSER_FLAG_COMPLETE_FRAMES;
    // H.264 timing counts fields; its decoder sets ticks_per_frame = 2 at init
    // and the parser's frame rate assumes it (else 25 fps reads as 50).
    if (st.codecpar->codec_id == AV_CODEC_ID_H264) ctx_->ticks_per_frame = 2;
  }
  bool usable() const { return parser_ != nullptr; }

  // True once `v` has the size from this or an earlier packet.
  bool feed(const AVPacket& pkt, VideoInfo& v) {
    if (v.width > 0) return true;
    if (!parser_) return false;
    uint8_t* out = nullptr;
    int out_size = 0;
    av_parser_parse2(parser_.get(), ctx_.get(), &out, &out_size, pkt.data, pkt.size, pkt.pts, pkt.dts, 0);
    if (parser_->width <= 0) return false;
    v.width = parser_->width;
    v.height = parser_->height;
    if (const char* prof = avcodec_profile_name(ctx_->codec_id, ctx_->profile)) v.profile = prof;
    if (auto lvl = level_text(ctx_->codec_id, ctx_->level); !lvl.empty()) v.level = lvl;
    if (parser_->format >= 0) v.pix_fmt = av_get_pix_fmt_name(static_cast<AVPixelFormat>(parser_->format));
    if (double fr = q2d_or_zero(ctx_->framerate); fr > 0) v.fps_declared = fr;
    return true;
  }

 private:
  av::ParserPtr parser_;
  av::CodecContextPtr ctx_;
};

AudioInfo audio_from_params(const AVStream& st) {
  const AVCodecParameters& p = *st.codecpar;
  return {avcodec_get_name(p.codec_id), p.sample_rate, p.ch_layout.nb_channels};
}

// Collects what --sample measures, from the first keyframe on: each video
// frame with its timestamp and arrival time, and the bytes of other streams.
// A camera's frames (and a lavfi graph's, paced by Source) arrive on the
// steady clock; a file is read as fast as it decodes, so its frames arrive on
// its MediaClock.
class Sampler {
 public:
  Sampler(const AVStream& video, bool live) : tb_(video.time_base), video_index_(video.index), live_(live) {}

  // Adds `pkt`, read at `now`.
  void add(const AVPacket& pkt, Clock::time_point now) {
    if (pkt.stream_index != video_index_) {
      other_bytes_ += pkt.size;
      return;
    }
    const int64_t ts = pkt.pts != AV_NOPTS_VALUE ? pkt.pts : pkt.dts;
    const double pts = ts != AV_NOPTS_VALUE ? static_cast<double>(ts) * av_q2d(tb_) : std::nan("");
    const double arrival = live_ ? std::chrono::duration<double>(now - origin_).count() : media_clock_.arrival(pts);
    frames_.push_back({pts, arrival, (pkt.flags & AV_PKT_FLAG_KEY) != 0, pkt.size});
  }
  // Seconds from the first video frame to the last, on the sample's clock.
  double elapsed() const { return frames_.empty() ? 0 : frames_.back().arrival - frames_.front().arrival; }
  Measured result() const { return measure(frames_, other_bytes_); }

 private:
  AVRational tb_;
  int video_index_;
  bool live_;
  Clock::time_point origin_ = Clock::now();
  MediaClock media_clock_;
  std::vector<FrameSample> frames_;
  int64_t other_bytes_ = 0;
};

// Whether packets come at the pace they are made (a camera, a lavfi graph,
// a pipe), not as fast as they are read (a file).
bool is_live(const Source& src) { return src.transport_name() != "file"; }

void fail_result(ProbeResult& r, const Error& e) {
  r.code = e.code;
  r.status = status_word(e.code, e.timeout);
  r.error = e.what();
}

// Reads until the first keyframe of the video stream decodes; fills r.video.
// `sampler` (optional) sees every video packet from that keyframe on.
cctv::Status first_keyframe(Source& src, const Options& opts, Clock::time_point t0, ProbeResult& r,
                            Sampler* sampler, const av::PacketPtr& pkt, bool have_packet = false) {
  auto dec = Decoder::open(*src.video(), {.threads = 1, .low_delay = true});
  if (!dec) return fail(dec.error());
  auto frame = av::make_frame();
  const int vi = src.video()->index;
  bool started = false;
  // Packets before the keyframe still tell the size, for the report of a
  // camera whose keyframe never comes.
  SizeParser sizes(*src.video());
  const auto limit = t0 + opts.input.source.timeout;
  while (Clock::now() < limit) {
    if (!have_packet) {
      auto more = src.read(pkt.get());
      if (!more) return fail(more.error());
      if (!*more) return fail(ExitCode::kNotFound, r.url + ": stream ended before a keyframe");
    }
    have_packet = false;
    const bool is_video = pkt->stream_index == vi;
    started = started || (is_video && (pkt->flags & AV_PKT_FLAG_KEY) != 0);
    if (started && sampler != nullptr) sampler->add(*pkt, Clock::now());
    if (!is_video) continue;
    if (!started) {
      sizes.feed(*pkt, *r.video);
      continue;
    }
    if (auto s = dec->send(pkt.get()); !s) return s;
    auto got = dec->receive(frame.get());
    if (!got) return fail(got.error());
    if (*got) {
      r.keyframe_ms = ms_since(t0);
      refine_from_decoder(*r.video, *dec->context(), *frame);
      return {};
    }
  }
  Error e{ExitCode::kUnreachable,
          fmt::format("{}: no keyframe within {:g} s", r.url, opts.input.source.timeout.count() / 1000.0), "",
          true};
  return fail(e);
}

// --fast: the session description, completed from the first video packets
// without waiting for a keyframe. FFmpeg's parser reads the size from any
// slice header once the SPS is known (the SDP carries it); intra-only codecs
// (MJPEG) simply decode their first packet.
cctv::Status fast_fill(Source& src, const Options& opts, ProbeResult& r, const av::PacketPtr& pkt) {
  const AVStream& st = *src.video();
  if (r.video->width > 0) return {};
  const AVCodecDescriptor* desc = avcodec_descriptor_get(st.codecpar->codec_id);
  const bool intra_only = desc != nullptr && (desc->props & AV_CODEC_PROP_INTRA_ONLY) != 0;
  SizeParser sizes(st);
  if (!sizes.usable() && !intra_only) return {};
  const auto limit = Clock::now() + opts.input.source.timeout;
  for (int seen = 0; seen < 5 && Clock::now() < limit;) {
    auto more = src.read(pkt.get());
    if (!more) return fail(more.error());
    if (!*more) break;
    if (pkt->stream_index != st.index) continue;
    ++seen;
    if (intra_only) return first_keyframe(src, opts, Clock::now(), r, nullptr, pkt, /*have_packet=*/true);
    if (sizes.feed(*pkt, *r.video)) return {};
  }
  return {};
}

// Reads until the sample's clock (see Sampler) has run opts.sample_seconds
// from the first keyframe: wall time for a camera, however its timestamps
// jump. The wall-clock bound stops a file that decodes slower than real time.
cctv::Status sample(Source& src, const Options& opts, Sampler& sampler, const av::PacketPtr& pkt) {
  const auto wall_limit = Clock::now() + std::chrono::duration<double>(opts.sample_seconds * 1.5 + 1);
  while (sampler.elapsed() < opts.sample_seconds && Clock::now() < wall_limit && !stop_requested()) {
    auto more = src.read(pkt.get());
    if (!more) return fail(more.error());
    if (!*more) break;  // a file shorter than the sample
    sampler.add(*pkt, Clock::now());
  }
  return {};
}

}  // namespace

std::string status_word(ExitCode code, bool timeout) {
  switch (code) {
    case ExitCode::kOk: return "ok";
    case ExitCode::kUnreachable: return timeout ? "timeout" : "unreachable";
    case ExitCode::kAuth: return "auth";
    case ExitCode::kNotFound: return "not_found";
    case ExitCode::kUnsupported: return "unsupported";
    case ExitCode::kUsage: return "usage";
    default: return "error";
  }
}

ProbeResult probe_one(const std::string& url, const Options& opts) {
  ProbeResult r;
  r.url = redact(url);
  r.status = "ok";
  const auto t0 = Clock::now();
  auto src = Source::open(url, opts.input.source);
  if (!src) {
    fail_result(r, src.error());
    return r;
  }
  r.url = src->display_url();
  r.transport = std::string(src->transport_name());
  r.connect_ms = ms_since(t0);
  r.video = video_from_params(*src->video());
  if (const AVStream* a = src->audio()) r.audio = audio_from_params(*a);
  auto pkt = av::make_packet();
  if (opts.mode == Mode::kFast) {
    if (auto f = fast_fill(*src, opts, r, pkt); !f) fail_result(r, f.error());
    r.keyframe_ms.reset();  // documented as null: --fast does not wait for one
    return r;
  }

  Sampler sampler(*src->video(), is_live(*src));
  cctv::Status s = first_keyframe(*src, opts, t0, r, &sampler, pkt);
  if (s && opts.mode == Mode::kSample) {
    s = sample(*src, opts, sampler, pkt);
    if (s) r.measured = sampler.result();
  }
  if (!s) fail_result(r, s.error());
  return r;
}

std::vector<ProbeResult> probe_all(const Options& opts) {
  std::vector<ProbeResult> results(opts.urls.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < opts.urls.size(); i = next++) results[i] = probe_one(opts.urls[i], opts);
  };
  const size_t n = std::clamp<size_t>(static_cast<size_t>(std::max(1, opts.jobs)), 1, opts.urls.size());
  std::vector<std::jthread> pool;
  for (size_t i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  pool.clear();  // join before the results are read
  return results;
}

}  // namespace cctv::probe
