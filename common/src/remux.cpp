// SPDX-License-Identifier: MIT
// Timestamp repair for stream copy, and audio transcoding to AAC.
#include "cctv/remux.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>

extern "C" {
// Only this file resamples, so libswresample stays out of the shared av.hpp.
#include <libavutil/audio_fifo.h>
#include <libswresample/swresample.h>
}

#include "cctv/log.hpp"

namespace cctv {

namespace {

constexpr AVRational kMicros{1, 1'000'000};

std::int64_t to_us(std::int64_t ts, AVRational tb) { return av_rescale_q(ts, tb, kMicros); }
std::int64_t from_us(std::int64_t us, AVRational tb) { return av_rescale_q(us, kMicros, tb); }

}  // namespace

// ---------------------------------------------------------------------------
// TimestampRepair
// ---------------------------------------------------------------------------

namespace {

double seconds_of(std::int64_t ts, AVRational tb) { return static_cast<double>(ts) * av_q2d(tb); }

template <class Duration>
double seconds_of(Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

TimestampRepair::TimestampRepair(std::vector<AVRational> time_bases, TimestampRepairOptions opts)
    : opts_(opts), seen_in_connection_(time_bases.size(), false) {
  for (const AVRational tb : time_bases) streams_.push_back(Stream{tb});
}

void TimestampRepair::new_connection(std::chrono::microseconds gap) {
  pending_connection_ = true;
  pending_gap_ = gap;
  std::fill(seen_in_connection_.begin(), seen_in_connection_.end(), false);
}

// The connection's first packet of any stream decides one shift for all its
// streams; each stream takes it with its own first packet. Returns true for
// that first packet.
bool TimestampRepair::enter_connection(int stream, Stream& s, std::int64_t in_dts) {
  if (pending_connection_) {
    connection_shift_us_ = end_us_ + pending_gap_.count() - to_us(in_dts, s.tb);
    pending_connection_ = false;
  }
  if (seen_in_connection_[static_cast<size_t>(stream)]) return false;
  s.offset = from_us(connection_shift_us_, s.tb);
  seen_in_connection_[static_cast<size_t>(stream)] = true;
  return true;
}

// The clock jump that a step from the stream's last packet to `dts` is, if
// it is one (see TimestampRepairOptions).
std::optional<ClockJump> TimestampRepair::jump_of(int stream, const Stream& s, std::int64_t dts,
                                                  std::optional<TimePoint> arrival) const {
  const bool timed = arrival && s.last_arrival;
  // The time that passed since the last packet: by the arrival clock, or one frame.
  const double passed =
      timed ? seconds_of(*arrival - *s.last_arrival) : seconds_of(std::max<std::int64_t>(s.step, 1), s.tb);
  const double ahead = seconds_of(dts - s.last_dts, s.tb) - passed;
  const double tolerance = seconds_of(opts_.jump_tolerance);
  const double forward_limit = timed ? tolerance : seconds_of(opts_.max_forward_jump);
  if (ahead > forward_limit || (dts <= s.last_dts && ahead < -tolerance)) return ClockJump{stream, ahead};
  return std::nullopt;
}

std::optional<ClockJump> TimestampRepair::fix(int stream, AVPacket* pkt, std::optional<TimePoint> arrival) {
  Stream& s = streams_.at(static_cast<size_t>(stream));
  const std::int64_t next = s.last_dts == AV_NOPTS_VALUE ? from_us(end_us_, s.tb) : s.last_dts + std::max<std::int64_t>(s.step, 1);
  bool repaired = false;
  std::int64_t in_dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
  if (in_dts == AV_NOPTS_VALUE) {
    // No timestamp at all: place it one step after the last packet.
    in_dts = next - s.offset;
    repaired = true;
  }
  const bool first_in_connection = enter_connection(stream, s, in_dts);
  std::int64_t dts = in_dts + s.offset;
  std::optional<ClockJump> jump;
  if (s.last_dts != AV_NOPTS_VALUE) {
    // A new connection's gap is wanted; within a connection a big step is a clock jump.
    if (!first_in_connection) jump = jump_of(stream, s, dts, arrival);
    if (jump || dts <= s.last_dts) {
      s.offset = next - in_dts;  // re-based: continue one step after the last packet
      dts = next;
      repaired = repaired || !jump;
    }
  }
  if (arrival) s.last_arrival = arrival;
  repaired = write_back(s, pkt, dts, repaired || jump.has_value()) || repaired;
  if (jump) ++clock_jumps_;
  else if (repaired) ++repairs_;
  return jump;
}

// Sets the packet's DTS to `dts` and its PTS (shifted like the DTS) to at
// least that, gives it a duration if it has none, and notes it as the
// stream's last packet; `rebased`: the step to it says nothing of the frame
// rate. Returns true when a PTS had to be raised.
bool TimestampRepair::write_back(Stream& s, AVPacket* pkt, std::int64_t dts, bool rebased) {
  std::int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts + s.offset : dts;
  const bool raised = pkt->pts != AV_NOPTS_VALUE && pts < dts;
  pts = std::max(pts, dts);
  if (pkt->duration > 0) {
    s.step = pkt->duration;
  } else if (s.last_dts != AV_NOPTS_VALUE && !rebased && !raised) {
    s.step = dts - s.last_dts;
  }
  if (pkt->duration <= 0 && s.step > 0) pkt->duration = s.step;
  pkt->dts = dts;
  pkt->pts = pts;
  s.last_dts = dts;
  end_us_ = std::max(end_us_, to_us(dts + std::max<std::int64_t>(pkt->duration, 0), s.tb));
  return raised;
}

void log_clock_jump(std::string_view display_url, const ClockJump& jump) {
  log_warn("{}: camera clock jumped {} {:.1f} s; timestamps re-based to stay continuous", display_url,
           jump.seconds < 0 ? "back" : "forward", std::abs(jump.seconds));
}

// ---------------------------------------------------------------------------
// PictureJoiner
// ---------------------------------------------------------------------------

bool has_picture(AVCodecID codec, const AVPacket& pkt) {
  if (codec != AV_CODEC_ID_H264 && codec != AV_CODEC_ID_HEVC) return true;
  const std::span<const std::uint8_t> data(pkt.data, pkt.size > 0 ? static_cast<std::size_t>(pkt.size) : 0);
  bool vcl = false;
  const std::size_t units = for_each_annexb_nal(data, [&](std::span<const std::uint8_t> nal) {
    const int type = nal_unit_type(codec, nal[0]);
    vcl = codec == AV_CODEC_ID_H264 ? (type >= 1 && type <= 5) : (type <= 31);
    return vcl;
  });
  return vcl || units == 0;
}

bool fill_picture_size(AVCodecParameters& par, const AVPacket& keyframe) {
  if (par.width > 0 && par.height > 0) return true;
  const AVCodec* codec = avcodec_find_decoder(par.codec_id);
  if (codec == nullptr) return false;
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return false;
  ctx->thread_count = 1;
  if (avcodec_parameters_to_context(ctx.get(), &par) < 0 || avcodec_open2(ctx.get(), codec, nullptr) < 0) return false;
  auto frame = av::make_frame();
  // Send, drain, receive: the frame comes out whatever the codec's delay.
  if (avcodec_send_packet(ctx.get(), &keyframe) < 0 || avcodec_send_packet(ctx.get(), nullptr) < 0 ||
      avcodec_receive_frame(ctx.get(), frame.get()) < 0) {
    return false;
  }
  par.width = frame->width;
  par.height = frame->height;
  if (par.format < 0) par.format = frame->format;
  if (par.sample_aspect_ratio.num == 0) par.sample_aspect_ratio = frame->sample_aspect_ratio;
  if (par.profile == FF_PROFILE_UNKNOWN) par.profile = ctx->profile;
  if (par.level == FF_LEVEL_UNKNOWN) par.level = ctx->level;
  return par.width > 0 && par.height > 0;
}

bool PictureJoiner::push(AVCodecID codec, AVPacket* pkt) {
  if (!has_picture(codec, *pkt)) {
    held_.insert(held_.end(), pkt->data, pkt->data + pkt->size);
    held_key_ = held_key_ || (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    return false;
  }
  if (held_.empty()) return true;
  av::PacketPtr joined = av::make_packet();
  if (av_new_packet(joined.get(), static_cast<int>(held_.size()) + pkt->size) < 0 ||
      av_packet_copy_props(joined.get(), pkt) < 0) {
    held_.clear();  // out of memory: write the picture alone
    return true;
  }
  std::memcpy(joined->data, held_.data(), held_.size());
  std::memcpy(joined->data + held_.size(), pkt->data, static_cast<std::size_t>(pkt->size));
  joined->stream_index = pkt->stream_index;
  if (held_key_) joined->flags |= AV_PKT_FLAG_KEY;
  av_packet_unref(pkt);
  av_packet_move_ref(pkt, joined.get());
  reset();
  return true;
}

// ---------------------------------------------------------------------------
// can_copy_audio
// ---------------------------------------------------------------------------

namespace {

bool one_of(AVCodecID c, std::initializer_list<AVCodecID> list) {
  return std::find(list.begin(), list.end(), c) != list.end();
}

}  // namespace

bool can_copy_audio(AVCodecID codec, std::string_view muxer) {
  if (muxer == "mp4") {
    return one_of(codec, {AV_CODEC_ID_AAC, AV_CODEC_ID_MP3, AV_CODEC_ID_OPUS, AV_CODEC_ID_ALAC, AV_CODEC_ID_FLAC});
  }
  if (muxer == "mpegts" || muxer == "hls") {
    return one_of(codec, {AV_CODEC_ID_AAC, AV_CODEC_ID_MP3, AV_CODEC_ID_AC3, AV_CODEC_ID_EAC3});
  }
  const std::string name(muxer);
  const AVOutputFormat* fmt = av_guess_format(name.c_str(), nullptr, nullptr);
  // "Unofficial": Matroska carries G.711 through its A_MS/ACM mapping, which
  // FFmpeg writes by default but reports only below normal compliance.
  return fmt != nullptr && avformat_query_codec(fmt, codec, FF_COMPLIANCE_UNOFFICIAL) == 1;
}

// ---------------------------------------------------------------------------
// AudioTranscoder
// ---------------------------------------------------------------------------

namespace {

struct SwrFree { void operator()(SwrContext* s) const { swr_free(&s); } };
struct FifoFree { void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); } };
struct ParFree { void operator()(AVCodecParameters* p) const { avcodec_parameters_free(&p); } };

// AAC's sampling-frequency table (ISO 14496-3); other rates are resampled.
constexpr std::array kAacRates{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000};

int aac_rate(int in) {
  return std::find(kAacRates.begin(), kAacRates.end(), in) != kAacRates.end() ? in : 48000;
}

Error av_fail(std::string what, int err) { return {ExitCode::kFailure, std::move(what), av::error_string(err)}; }

}  // namespace

struct AudioTranscoder::State {
  av::CodecContextPtr dec;
  av::CodecContextPtr enc;
  std::unique_ptr<SwrContext, SwrFree> swr;
  std::unique_ptr<AVAudioFifo, FifoFree> fifo;
  std::unique_ptr<AVCodecParameters, ParFree> par{avcodec_parameters_alloc()};
  av::FramePtr decoded = av::make_frame();
  av::FramePtr chunk = av::make_frame();
  av::PacketPtr pkt = av::make_packet();
  AVRational in_tb{};
  std::int64_t bit_rate = 0;
  std::int64_t next_pts = AV_NOPTS_VALUE;  // output pts of the first sample in the fifo
  // The format swr was set up for (it changes only if the camera changes it).
  int swr_format = -1;
  int swr_rate = 0;
  AVChannelLayout swr_layout{};

  ~State() { av_channel_layout_uninit(&swr_layout); }
  Status open_encoder(const AVChannelLayout& layout, int rate);
  Status ensure_swr(AVFrame* f);
  Status add_frame(AVFrame* f);
  Status encode_ready(bool final, std::vector<av::PacketPtr>& out);
  Status send(const AVFrame* f, std::vector<av::PacketPtr>& out);
};

Status AudioTranscoder::State::open_encoder(const AVChannelLayout& layout, int rate) {
  const AVCodec* codec = avcodec_find_encoder_by_name("aac");
  if (codec == nullptr) return fail(ExitCode::kUnsupported, "this FFmpeg has no AAC encoder");
  enc.reset(avcodec_alloc_context3(codec));
  enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
  enc->sample_rate = rate;
  enc->time_base = AVRational{1, rate};
  // The encoder's ceiling is 6144 bits per channel and 1024-sample frame;
  // stay well below it (8 kHz mono G.711 gets 36 kbit/s).
  enc->bit_rate = std::min<std::int64_t>(bit_rate, std::int64_t{rate} * layout.nb_channels * 6 * 3 / 4);
  enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // AudioSpecificConfig in extradata (MP4, MKV; TS adds ADTS)
  if (int e = av_channel_layout_copy(&enc->ch_layout, &layout); e < 0) return fail(av_fail("AAC layout", e));
  if (int e = avcodec_open2(enc.get(), codec, nullptr); e < 0) return fail(av_fail("cannot open the AAC encoder", e));
  if (int e = avcodec_parameters_from_context(par.get(), enc.get()); e < 0) return fail(av_fail("AAC parameters", e));
  fifo.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, layout.nb_channels, enc->frame_size * 2));
  return {};
}

Status AudioTranscoder::State::ensure_swr(AVFrame* f) {
  if (swr && f->format == swr_format && f->sample_rate == swr_rate &&
      av_channel_layout_compare(&f->ch_layout, &swr_layout) == 0) {
    return {};
  }
  SwrContext* raw = nullptr;
  int e = swr_alloc_set_opts2(&raw, &enc->ch_layout, AV_SAMPLE_FMT_FLTP, enc->sample_rate, &f->ch_layout,
                              static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr);
  swr.reset(raw);
  if (e < 0 || (e = swr_init(raw)) < 0) return fail(av_fail("cannot set up audio resampling", e));
  swr_format = f->format;
  swr_rate = f->sample_rate;
  av_channel_layout_uninit(&swr_layout);
  av_channel_layout_copy(&swr_layout, &f->ch_layout);
  return {};
}

// Converts a decoded frame into the fifo, re-syncing the sample count to the
// frame's timestamp when they disagree by more than half a second.
Status AudioTranscoder::State::add_frame(AVFrame* f) {
  if (auto s = ensure_swr(f); !s) return s;
  const std::int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
  if (ts != AV_NOPTS_VALUE) {
    const std::int64_t pts = av_rescale_q(ts, in_tb, enc->time_base);
    const std::int64_t expected = next_pts + av_audio_fifo_size(fifo.get());
    if (next_pts == AV_NOPTS_VALUE || std::llabs(pts - expected) > enc->sample_rate / 2) {
      next_pts = pts - av_audio_fifo_size(fifo.get());
    }
  } else if (next_pts == AV_NOPTS_VALUE) {
    next_pts = 0;
  }
  const int room = swr_get_out_samples(swr.get(), f->nb_samples);
  if (room < 0) return fail(av_fail("audio resampling", room));
  chunk->nb_samples = room;
  chunk->format = AV_SAMPLE_FMT_FLTP;
  av_channel_layout_copy(&chunk->ch_layout, &enc->ch_layout);
  if (int e = av_frame_get_buffer(chunk.get(), 0); e < 0) return fail(av_fail("audio buffer", e));
  const int n = swr_convert(swr.get(), chunk->data, room, const_cast<const uint8_t**>(f->extended_data), f->nb_samples);
  if (n < 0) return fail(av_fail("audio resampling", n));
  const int w = av_audio_fifo_write(fifo.get(), reinterpret_cast<void**>(chunk->data), n);
  av_frame_unref(chunk.get());
  if (w < n) return fail(ExitCode::kFailure, "audio buffer full");
  return {};
}

Status AudioTranscoder::State::send(const AVFrame* f, std::vector<av::PacketPtr>& out) {
  if (int e = avcodec_send_frame(enc.get(), f); e < 0) return fail(av_fail("AAC encoding", e));
  for (;;) {
    const int e = avcodec_receive_packet(enc.get(), pkt.get());
    if (e == AVERROR(EAGAIN) || e == AVERROR_EOF) return {};
    if (e < 0) return fail(av_fail("AAC encoding", e));
    out.push_back(av::make_packet());
    av_packet_move_ref(out.back().get(), pkt.get());
  }
}

// Encodes every full frame in the fifo (and the partial rest when `final`).
Status AudioTranscoder::State::encode_ready(bool final, std::vector<av::PacketPtr>& out) {
  const int size = enc->frame_size;
  while (av_audio_fifo_size(fifo.get()) >= size || (final && av_audio_fifo_size(fifo.get()) > 0)) {
    const int n = std::min(size, av_audio_fifo_size(fifo.get()));
    chunk->nb_samples = n;
    chunk->format = AV_SAMPLE_FMT_FLTP;
    chunk->sample_rate = enc->sample_rate;
    av_channel_layout_copy(&chunk->ch_layout, &enc->ch_layout);
    if (int e = av_frame_get_buffer(chunk.get(), 0); e < 0) return fail(av_fail("audio buffer", e));
    av_audio_fifo_read(fifo.get(), reinterpret_cast<void**>(chunk->data), n);
    chunk->pts = next_pts;
    next_pts += n;
    auto s = send(chunk.get(), out);
    av_frame_unref(chunk.get());
    if (!s) return s;
  }
  return {};
}

AudioTranscoder::AudioTranscoder(std::unique_ptr<State> s) : s_(std::move(s)) {}
AudioTranscoder::AudioTranscoder(AudioTranscoder&&) noexcept = default;
AudioTranscoder& AudioTranscoder::operator=(AudioTranscoder&&) noexcept = default;
AudioTranscoder::~AudioTranscoder() = default;

Result<AudioTranscoder> AudioTranscoder::open(const AVCodecParameters* in, AVRational in_time_base,
                                              std::int64_t bit_rate) {
  const AVCodec* codec = avcodec_find_decoder(in->codec_id);
  if (codec == nullptr) {
    return fail(ExitCode::kUnsupported, std::string("no decoder for audio codec ") + avcodec_get_name(in->codec_id));
  }
  if (in->sample_rate <= 0 || in->ch_layout.nb_channels <= 0) {
    return fail(ExitCode::kUnsupported, "the audio stream declares no sample rate or channels");
  }
  auto s = std::make_unique<State>();
  s->in_tb = in_time_base;
  s->bit_rate = bit_rate;
  s->dec.reset(avcodec_alloc_context3(codec));
  if (int e = avcodec_parameters_to_context(s->dec.get(), in); e < 0) return fail(av_fail("audio decoder", e));
  s->dec->pkt_timebase = in_time_base;
  if (int e = avcodec_open2(s->dec.get(), codec, nullptr); e < 0) return fail(av_fail("cannot open the audio decoder", e));
  AVChannelLayout layout{};
  if (in->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC) {
    av_channel_layout_default(&layout, in->ch_layout.nb_channels);
  } else {
    av_channel_layout_copy(&layout, &in->ch_layout);
  }
  auto opened = s->open_encoder(layout, aac_rate(in->sample_rate));
  av_channel_layout_uninit(&layout);
  if (!opened) return fail(opened.error());
  return AudioTranscoder(std::move(s));
}

const AVCodecParameters* AudioTranscoder::parameters() const { return s_->par.get(); }
AVRational AudioTranscoder::time_base() const { return s_->enc->time_base; }

Status AudioTranscoder::push(const AVPacket* pkt, std::vector<av::PacketPtr>& out) {
  State& s = *s_;
  if (int e = avcodec_send_packet(s.dec.get(), pkt); e < 0) {
    log_debug("audio packet skipped: {}", av::error_string(e));
    return {};
  }
  for (;;) {
    const int e = avcodec_receive_frame(s.dec.get(), s.decoded.get());
    if (e == AVERROR(EAGAIN) || e == AVERROR_EOF) break;
    if (e < 0) {
      log_debug("audio frame skipped: {}", av::error_string(e));
      break;
    }
    auto added = s.add_frame(s.decoded.get());
    av_frame_unref(s.decoded.get());
    if (!added) return added;
  }
  return s.encode_ready(false, out);
}

Status AudioTranscoder::flush(std::vector<av::PacketPtr>& out) {
  State& s = *s_;
  if (auto r = s.encode_ready(true, out); !r) return r;
  if (auto r = s.send(nullptr, out); !r) return r;
  // A drained encoder cannot take frames again (the native AAC encoder has
  // no flush): open a fresh one with the same parameters.
  AVChannelLayout layout{};
  av_channel_layout_copy(&layout, &s.enc->ch_layout);
  auto reopened = s.open_encoder(layout, s.enc->sample_rate);
  av_channel_layout_uninit(&layout);
  avcodec_flush_buffers(s.dec.get());
  s.next_pts = AV_NOPTS_VALUE;
  return reopened;
}

Result<AudioOutput> audio_output(const AVStream& in, std::string_view muxer) {
  AudioOutput out;
  if (can_copy_audio(in.codecpar->codec_id, muxer)) {
    out.params = av::copy_parameters(in.codecpar);
    return out;
  }
  auto t = AudioTranscoder::open(in.codecpar, in.time_base);
  if (!t) return fail(t.error());
  out.transcoder.emplace(std::move(*t));
  out.params = av::copy_parameters(out.transcoder->parameters());
  return out;
}

}  // namespace cctv
