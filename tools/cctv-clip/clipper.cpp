// SPDX-License-Identifier: MIT
// Stream copy across files: the cut at --from (edit list or keyframe), placement, the end at --to.
#include "clipper.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/signals.hpp"

namespace cctv::clip {

namespace {

using std::chrono::microseconds;
constexpr AVRational kMicros{1, 1'000'000};
// Audio this far outside its file's video span is not that file's (a
// recorder that did not sync the streams): left out, with a warning.
constexpr std::chrono::seconds kStray{10};

microseconds to_us(std::int64_t ts, AVRational tb) { return microseconds(av_rescale_q(ts, tb, kMicros)); }
std::int64_t from_us(microseconds us, AVRational tb) { return av_rescale_q(us.count(), kMicros, tb); }

struct ParFree { void operator()(AVCodecParameters* p) const { avcodec_parameters_free(&p); } };
using ParPtr = std::unique_ptr<AVCodecParameters, ParFree>;

ParPtr copy_par(const AVCodecParameters* p) {
  ParPtr out(avcodec_parameters_alloc());
  avcodec_parameters_copy(out.get(), p);
  return out;
}

bool same_video(const AVCodecParameters& a, const AVCodecParameters& b) {
  return a.codec_id == b.codec_id && a.width == b.width && a.height == b.height &&
         a.extradata_size == b.extradata_size &&
         (a.extradata_size == 0 || std::memcmp(a.extradata, b.extradata, static_cast<size_t>(a.extradata_size)) == 0);
}

bool same_audio(const AVCodecParameters& a, const AVCodecParameters& b) {
  return a.codec_id == b.codec_id && a.sample_rate == b.sample_rate && a.ch_layout.nb_channels == b.ch_layout.nb_channels;
}

int first_stream(const AVFormatContext* fc, AVMediaType type) {
  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    const AVStream* st = fc->streams[i];
    if (st->codecpar->codec_type == type && (st->disposition & AV_DISPOSITION_ATTACHED_PIC) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// A packet held until the cut is decided.
struct Held {
  av::PacketPtr pkt;
  bool video = false;
};

// Percent of the range and time left on a terminal, at most twice a second.
class Progress {
 public:
  Progress(WallTime from, WallTime to) : from_(from), to_(to), on_(::isatty(STDERR_FILENO) == 1 && log_enabled(LogLevel::kNotice)) {}
  void update(WallTime at) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(500)) return;
    last_ = now;
    const double total = std::chrono::duration<double>(to_ - from_).count();
    const double done = std::clamp(std::chrono::duration<double>(at - from_).count(), 0.0, total);
    const double spent = std::chrono::duration<double>(now - began_).count();
    const double left = done > 0 ? spent * (total - done) / done : 0;
    std::fprintf(stderr, "\rcctv-clip: %3.0f%% of the range, %s left\033[K", 100 * done / std::max(total, 1e-9),
                 format_duration(microseconds(static_cast<long long>(left * 1e6))).c_str());
    shown_ = true;
  }
  ~Progress() {
    if (shown_) std::fputs("\r\033[K", stderr);
  }

 private:
  WallTime from_, to_;
  bool on_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

class Clipper {
 public:
  Clipper(const ClipPlan& plan, const std::vector<FileInfo>& files) : plan_(plan), files_(files), progress_(plan.from, plan.to) {}
  Result<ClipResult> run();

 private:
  enum class Audio { kNone, kCopy, kTranscode };
  struct Input {
    av::InputPtr fc;
    const FileInfo* info = nullptr;
    int v = -1, a = -1;
    bool audio_ok = false;  // its audio matches the output's
  };

  Status set_up_output(const Input& first);
  Status check_streams(Input& in);
  Status read_packets(Input& in);
  Result<Input> open_input(const FileInfo& f);
  Status copy_file(Input& in, bool first);
  Status on_packet(Input& in, av::PacketPtr pkt, bool video);
  Status decide_cut();
  Status emit(const Input& in, av::PacketPtr pkt, bool video);
  Status write_audio(av::PacketPtr pkt, microseconds out_pts, microseconds out_dts);
  Status write_out(AVPacket* pkt, int index);
  WallTime wall(const Input& in, std::int64_t ts, bool video) const;
  void place(const Input& in);

  const ClipPlan& plan_;
  const std::vector<FileInfo>& files_;
  std::unique_ptr<ClipWriter> writer_;
  ParPtr video_par_;
  ParPtr audio_par_;
  AVRational audio_in_tb_{};
  Audio audio_ = Audio::kNone;
  std::optional<AudioTranscoder> transcoder_;
  int out_a_ = -1;
  std::int64_t last_dts_[2] = {AV_NOPTS_VALUE, AV_NOPTS_VALUE};
  // The cut: packets from the keyframe at or before --from until it is decided.
  std::vector<Held> held_;
  const Input* held_from_ = nullptr;
  bool started_ = false;
  WallTime origin_{};  // the clip's time 0, on the placed timeline
  microseconds shift_{0};  // placed = wall + shift_ for the current file
  // --to on the placed timeline: the clip lasts the range from the frame at
  // --from along the recording's own timestamps (within a frame), so a
  // recorder's late clock reading at a later file's start neither shortens
  // nor stretches it; less the gaps that collapse.
  WallTime end_ = plan_.to;
  std::optional<WallTime> placed_end_;  // end of the last video frame written (placed)
  std::optional<WallTime> wall_end_;    // the same on the wall clock
  microseconds last_step_{40'000};
  bool done_ = false;
  ClipResult result_;
  Progress progress_;
};

WallTime Clipper::wall(const Input& in, std::int64_t ts, bool video) const {
  const AVRational tb = in.fc->streams[video ? in.v : in.a]->time_base;
  return in.info->start + (to_us(ts, tb) - to_us(in.info->first_dts, in.info->time_base));
}

Result<Clipper::Input> Clipper::open_input(const FileInfo& f) {
  auto fc = open_recording(f.path);
  if (!fc) return fail(fc.error());
  Input in;
  in.fc = std::move(*fc);
  in.info = &f;
  in.v = first_stream(in.fc.get(), AVMEDIA_TYPE_VIDEO);
  in.a = plan_.no_audio ? -1 : first_stream(in.fc.get(), AVMEDIA_TYPE_AUDIO);
  // An audio stream that never got a packet declares no sample rate: no audio.
  if (in.a >= 0 && in.fc->streams[in.a]->codecpar->sample_rate <= 0) in.a = -1;
  if (in.v < 0) return fail(ExitCode::kNotFound, "'" + f.path.string() + "' has no video stream");
  for (unsigned i = 0; i < in.fc->nb_streams; ++i) {
    const bool wanted = static_cast<int>(i) == in.v || static_cast<int>(i) == in.a;
    in.fc->streams[i]->discard = wanted ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  }
  return in;
}

// The output's streams: the first file's video, and the first audio any file has.
Status Clipper::set_up_output(const Input& first) {
  video_par_ = copy_par(first.fc->streams[first.v]->codecpar);
  auto w = ClipWriter::open(plan_.output, plan_.container);
  if (!w) return fail(w.error());
  writer_ = std::move(*w);
  writer_->add_stream(video_par_.get(), first.fc->streams[first.v]->time_base);
  const auto take_audio = [this](const Input& in) {
    const AVStream* st = in.fc->streams[in.a];
    audio_par_ = copy_par(st->codecpar);
    audio_in_tb_ = st->time_base;
  };
  if (first.a >= 0) {
    take_audio(first);
  } else if (!plan_.no_audio) {
    // The next few files with audio (a camera whose audio came back).
    int tries = 0;
    for (auto f = files_.begin() + 1; f != files_.end() && !audio_par_ && tries < 3; ++f) {
      if (!f->has_audio) continue;
      ++tries;
      auto in = open_input(*f);
      if (in && in->a >= 0) take_audio(*in);
    }
  }
  if (audio_par_) {
    if (can_copy_audio(audio_par_->codec_id, muxer_name(plan_.container))) {
      audio_ = Audio::kCopy;
      out_a_ = writer_->add_stream(audio_par_.get(), audio_in_tb_);
    } else if (auto t = AudioTranscoder::open(audio_par_.get(), audio_in_tb_); t) {
      transcoder_.emplace(std::move(*t));
      audio_ = Audio::kTranscode;
      out_a_ = writer_->add_stream(transcoder_->parameters(), transcoder_->time_base());
      log_info("audio: {} becomes AAC for {}", avcodec_get_name(audio_par_->codec_id), muxer_name(plan_.container));
    } else {
      log_warn("audio left out: {}", t.error().what());
    }
  }
  return {};
}

Status Clipper::write_out(AVPacket* pkt, int index) {
  pkt->stream_index = index;
  pkt->pos = -1;
  std::int64_t& last = last_dts_[index];
  if (last != AV_NOPTS_VALUE && pkt->dts <= last) {
    if (index != 0) {  // audio overlapping the file before: leave it out
      ++result_.dropped_audio;
      av_packet_unref(pkt);
      return {};
    }
    pkt->dts = last + 1;
    pkt->pts = std::max(pkt->pts, pkt->dts);
  }
  last = pkt->dts;
  return writer_->write(pkt);
}

Status Clipper::write_audio(av::PacketPtr pkt, microseconds out_pts, microseconds out_dts) {
  if (audio_ == Audio::kCopy) {
    const AVRational tb = writer_->time_base(out_a_);
    pkt->duration = av_rescale_q(pkt->duration, audio_in_tb_, tb);
    pkt->pts = from_us(out_pts, tb);
    pkt->dts = from_us(out_dts, tb);
    return write_out(pkt.get(), out_a_);
  }
  pkt->pts = from_us(out_pts, audio_in_tb_);
  pkt->dts = from_us(out_dts, audio_in_tb_);
  std::vector<av::PacketPtr> encoded;
  if (auto s = transcoder_->push(pkt.get(), encoded); !s) return s;
  const AVRational tb = writer_->time_base(out_a_);
  for (auto& e : encoded) {
    av_packet_rescale_ts(e.get(), transcoder_->time_base(), tb);
    if (auto s = write_out(e.get(), out_a_); !s) return s;
  }
  return {};
}

Status Clipper::emit(const Input& in, av::PacketPtr pkt, bool video) {
  const WallTime wall_dts = wall(in, pkt->dts, video);
  const WallTime wall_pts = pkt->pts != AV_NOPTS_VALUE ? wall(in, pkt->pts, video) : wall_dts;
  const AVRational tb = in.fc->streams[video ? in.v : in.a]->time_base;
  const microseconds dur = pkt->duration > 0 ? to_us(pkt->duration, tb) : (video ? last_step_ : microseconds(0));
  // The end is the last frame before --to, counted along the clip's own
  // timeline (see end_).
  if (wall_pts + shift_ >= end_) return {};
  if (!video) {
    // Audio starts at the first frame shown, not before: a packet across it
    // is left out (the muxer then delays the audio track by less than a
    // packet with an empty edit, which every player honours).
    if (wall_pts + shift_ < origin_) return {};
    if (audio_ == Audio::kNone || !in.audio_ok) return {};
    return write_audio(std::move(pkt), wall_pts + shift_ - origin_, wall_dts + shift_ - origin_);
  }
  if (pkt->duration > 0) last_step_ = dur;
  const AVRational otb = writer_->time_base(0);
  pkt->pts = from_us(wall_pts + shift_ - origin_, otb);
  pkt->dts = from_us(wall_dts + shift_ - origin_, otb);
  pkt->duration = from_us(dur, otb);
  const WallTime end = std::max(wall_pts, wall_dts) + dur;
  placed_end_ = std::max(placed_end_.value_or(end + shift_), end + shift_);
  wall_end_ = std::max(wall_end_.value_or(end), end);
  ++result_.frames;
  progress_.update(wall_pts);
  return write_out(pkt.get(), 0);
}

// The cut, once the frame shown at --from is known: time 0 is that frame
// (exact) or the keyframe (keyframe cut); the held packets go out.
Status Clipper::decide_cut() {
  const Input& in = *held_from_;
  WallTime key{}, shown{};
  bool have_key = false, have_shown = false;
  for (const Held& h : held_) {
    if (!h.video) continue;
    const WallTime t = wall(in, h.pkt->pts != AV_NOPTS_VALUE ? h.pkt->pts : h.pkt->dts, true);
    if (!have_key) key = t, have_key = true;
    if (t <= plan_.from && (!have_shown || t > shown)) shown = t, have_shown = true;
  }
  const WallTime first = plan_.exact && have_shown ? shown : key;
  result_.first = first;
  result_.preroll = first - key;
  origin_ = first + shift_;
  // An exact clip lasts the range from the frame shown at --from (which
  // starts up to a frame before it), so it ends up to a frame before --to.
  if (plan_.exact && have_shown) end_ -= plan_.from - first;
  started_ = true;
  // The header once the cut is known: creation_time is the clip's first
  // frame, and the muxer may change the streams' time bases. A recording
  // that declares no picture size (MP4 needs one) gets it from the keyframe.
  if (!held_.empty() && !fill_picture_size(*writer_->parameters(0), *held_.front().pkt)) {
    return fail(ExitCode::kUnsupported, "the picture size of '" + in.info->path.string() + "' is unknown");
  }
  if (auto s = writer_->start(format_utc(origin_)); !s) return s;
  auto held = std::move(held_);
  held_.clear();
  for (Held& h : held) {
    if (auto s = emit(in, std::move(h.pkt), h.video); !s) return s;
  }
  return {};
}

Status Clipper::on_packet(Input& in, av::PacketPtr pkt, bool video) {
  if (started_) return emit(in, std::move(pkt), video);
  if (!video) {
    if (!held_.empty()) held_.push_back({std::move(pkt), false});
    return {};
  }
  const bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
  const WallTime t = wall(in, pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts, true);
  held_from_ = &in;
  if (key && t <= plan_.from) {
    held_.clear();
    held_.push_back({std::move(pkt), true});
    return {};
  }
  if (held_.empty()) {
    if (!key) return {};
    held_.push_back({std::move(pkt), true});  // the first keyframe comes after --from
    return decide_cut();
  }
  if (t <= plan_.from) {
    held_.push_back({std::move(pkt), true});
    return {};
  }
  if (auto s = decide_cut(); !s) return s;
  return emit(in, std::move(pkt), true);
}

// Where a file after the first goes: right after the last frame when it
// continues it (or when gaps collapse), else at its wall-clock time.
void Clipper::place(const Input& in) {
  if (!placed_end_ || !wall_end_) return;
  const microseconds distance = in.info->start - *wall_end_;
  const bool gap = distance > kJoinTolerance;
  if (gap && plan_.gaps == GapMode::kCollapse) end_ -= distance;  // the range loses the gap too
  if (!gap || plan_.gaps == GapMode::kCollapse) {
    shift_ = *placed_end_ - in.info->start;
    if (distance < -kJoinTolerance) {
      log_warn("'{}' starts {:.3f} s before the end of the file before it; it is placed after it",
               in.info->path.string(), -std::chrono::duration<double>(distance).count());
    }
  }
}

// The file's video must be the clip's (one stream copy); its audio joins
// when it matches.
Status Clipper::check_streams(Input& in) {
  const AVStream* vs = in.fc->streams[in.v];
  if (!same_video(*video_par_, *vs->codecpar)) {
    return fail(ExitCode::kUnsupported,
                fmt::format("the video changes at {} ('{}': {} {}x{}): clip the parts before and after it separately",
                            format_local(in.info->start), in.info->path.string(), avcodec_get_name(vs->codecpar->codec_id),
                            vs->codecpar->width, vs->codecpar->height));
  }
  in.audio_ok = in.a >= 0 && audio_par_ && same_audio(*audio_par_, *in.fc->streams[in.a]->codecpar);
  if (in.a >= 0 && !in.audio_ok && audio_ != Audio::kNone) {
    log_warn("'{}': its audio differs from the clip's; left out", in.info->path.string());
  }
  return {};
}

Status Clipper::copy_file(Input& in, bool first) {
  if (auto s = check_streams(in); !s) return s;
  if (!first) place(in);
  if (first && plan_.from > in.info->start) {
    const std::int64_t ts = in.info->first_dts + from_us(plan_.from - in.info->start, in.info->time_base);
    if (av_seek_frame(in.fc.get(), in.v, ts, AVSEEK_FLAG_BACKWARD) < 0) {
      log_debug("'{}': seek failed; reading from its start", in.info->path.string());
    }
  }
  return read_packets(in);
}

Status Clipper::read_packets(Input& in) {
  auto pkt = av::make_packet();
  std::int64_t stray = 0;
  const auto warn_stray = [&] {
    if (stray > 0) {
      log_warn("'{}': {} audio packets timed far outside the file's video were left out", in.info->path.string(), stray);
    }
  };
  for (;;) {
    if (stop_requested()) return fail(ExitCode::kFailure, "interrupted");
    if (writer_ && writer_->reader_gone()) {
      done_ = true;
      break;
    }
    const int e = av_read_frame(in.fc.get(), pkt.get());
    if (e == AVERROR_EOF) break;
    if (e < 0) {
      log_warn("'{}': {}; the rest of it is left out", in.info->path.string(), av::error_string(e));
      break;
    }
    // A file still being written: only what was complete when it was looked at.
    if ((pkt->flags & AV_PKT_FLAG_CORRUPT) != 0 ||
        (pkt->pos >= 0 && static_cast<std::uintmax_t>(pkt->pos + pkt->size) > in.info->size)) {
      break;
    }
    const bool video = pkt->stream_index == in.v;
    // Matroska's video packets carry a PTS only here (no B-frames: it is the DTS).
    if (pkt->dts == AV_NOPTS_VALUE) pkt->dts = pkt->pts;
    if ((!video && pkt->stream_index != in.a) || pkt->dts == AV_NOPTS_VALUE) {
      av_packet_unref(pkt.get());
      continue;
    }
    const WallTime at = wall(in, pkt->dts, video);
    if (video && at + shift_ >= end_ + std::chrono::seconds(1)) {
      done_ = true;
      break;
    }
    if (!video && (at < in.info->start - kStray || at > in.info->end + kStray)) {
      ++stray;  // not this file's time: audio the recorder did not sync
      av_packet_unref(pkt.get());
      continue;
    }
    auto own = av::make_packet();
    av_packet_move_ref(own.get(), pkt.get());
    if (auto s = on_packet(in, std::move(own), video); !s) return s;
  }
  warn_stray();
  return {};
}

Result<ClipResult> Clipper::run() {
  auto first = open_input(files_.front());
  if (!first) return fail(first.error());
  if (auto s = set_up_output(*first); !s) return fail(s.error());
  // One open file at a time.
  for (size_t i = 0; i < files_.size() && !done_; ++i) {
    Input in;
    if (i == 0) {
      in = std::move(*first);
    } else {
      auto next = open_input(files_[i]);
      if (!next) return fail(next.error());
      in = std::move(*next);
    }
    if (auto s = copy_file(in, i == 0); !s) return fail(s.error());
    if (!started_ && !held_.empty()) {
      // The file ended before a frame after --from: the cut is what it held.
      if (auto s = decide_cut(); !s) return fail(s.error());
    }
  }
  if (!started_ || result_.frames == 0) {
    return fail(ExitCode::kNotFound, "no keyframe in the range: nothing to clip");
  }
  if (transcoder_) {
    std::vector<av::PacketPtr> tail;
    if (transcoder_->flush(tail)) {
      for (auto& p : tail) {
        av_packet_rescale_ts(p.get(), transcoder_->time_base(), writer_->time_base(out_a_));
        if (auto s = write_out(p.get(), out_a_); !s) return fail(s.error());
      }
    }
  }
  if (auto s = writer_->finish(); !s) return fail(s.error());
  if (writer_->reader_gone()) log_info("stdout was closed by its reader; the clip stopped there");
  result_.end = *wall_end_;
  result_.duration = *placed_end_ - origin_;
  result_.bytes = writer_->bytes();
  return result_;
}

}  // namespace

Result<ClipResult> copy_clip(const ClipPlan& plan, const std::vector<FileInfo>& files) {
  Clipper c(plan, files);
  return c.run();
}

}  // namespace cctv::clip
