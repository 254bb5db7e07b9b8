// SPDX-License-Identifier: MIT
// The per-camera loop: stream copy into keyframe-aligned segments, reconnects
// as discontinuities on one continuous timeline, a clean finish on SIGTERM.
#include "hls_rendition.hpp"

#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cctv/live_source.hpp"
#include "cctv/log.hpp"
#include "cctv/notify.hpp"
#include "cctv/remux.hpp"
#include "cctv/signals.hpp"
#include "cctv/url.hpp"
#include "cctv/codecs.hpp"
#include "cctv/segment_muxer.hpp"
#include "hls_playlist.hpp"
#include "hls_store.hpp"

namespace cctv::hls {

namespace {

constexpr int kVideo = 0, kAudio = 1;  // output streams

LiveOptions live_options(const Options& o) {
  LiveOptions l;
  l.source = o.input.source;
  l.backoff.max_retries = o.live.retries;
  l.stall_timeout = o.live.stall_timeout;
  return l;
}

StoreOptions store_options(const Options& o, const RenditionConfig& c) {
  return {o.list_size, o.encrypt, o.key_uri, c.key_dir, o.key_rotate};
}

std::int64_t ticks(double seconds) { return static_cast<std::int64_t>(seconds * kTimeline.den); }
double seconds(std::int64_t t) { return static_cast<double>(t) / kTimeline.den; }

using av::copy_parameters;
using av::same_parameters;
using ParPtr = av::ParametersPtr;

class Rendition {
 public:
  Rendition(const Options& o, const RenditionConfig& c)
      : o_(o), c_(c), live_(c.url, live_options(o)), store_(c.dir, store_options(o, c)),
        playlist_(o.list_size, o.segment_time), repair_({kTimeline, kTimeline}) {}

  Result<ExitCode> run();

 private:
  Status on_connection();
  Status start_output(const AVPacket& key);
  Status setup_audio(SegmentContainer container);
  Status handle(AVPacket* pkt);
  Status handle_video(AVPacket* pkt);
  Status handle_audio(AVPacket* pkt);
  Status write(int stream, AVPacket* pkt);
  Status finish_segment(std::int64_t end);
  void publish(const std::vector<Segment>& dropped);
  Result<ExitCode> finish(Result<ExitCode> result, bool end_list);
  void report_status();

  const Options& o_;
  const RenditionConfig& c_;
  LiveSource live_;
  SegmentStore store_;
  MediaPlaylist playlist_;
  TimestampRepair repair_;
  PictureJoiner joiner_;  // a lone SPS/PPS packet goes in front of its picture
  std::optional<SegmentMuxer> muxer_;
  std::optional<AudioTranscoder> transcoder_;
  ParPtr video_par_, audio_par_;  // what the muxer was opened with
  std::string codecs_;
  int in_video_ = -1, in_audio_ = -1;
  bool live_clock_ = false;  // arrival times tell a camera's clock jump from a pause
  bool waiting_key_ = true;
  std::int64_t sequence_ = 0;
  // The segment being written (timeline ticks).
  bool open_ = false;
  std::int64_t seg_start_ = 0, seg_end_ = 0;
  SystemTime seg_pdt_{};
  bool discontinuity_ = false;
  // Wall clock of the connection's first written packet, for PROGRAM-DATE-TIME.
  std::optional<std::pair<SystemTime, std::int64_t>> anchor_;
  std::vector<av::PacketPtr> aac_;
  Clock::time_point last_packet_{};
  std::int64_t peak_bps_ = 0, total_bytes_ = 0;
  double total_seconds_ = 0;
  long frames_ = 0;
  Clock::time_point status_at_ = Clock::now();
};

Status Rendition::on_connection() {
  Source& src = *live_.source();
  if (open_) {  // the camera dropped mid-segment: list what arrived
    if (auto f = finish_segment(seg_end_); !f) return f;
  }
  const AVCodecID codec = src.video()->codecpar->codec_id;
  if (codec != AV_CODEC_ID_H264 && codec != AV_CODEC_ID_HEVC) {
    return fail(ExitCode::kUnsupported,
                fmt::format("{}: {} video cannot be stream-copied to HLS (H.264 and H.265 can)", live_.display_url(),
                            avcodec_get_name(codec)));
  }
  // A file is read faster than real time: its arrival times mean nothing.
  live_clock_ = is_network(src.url().kind);
  in_video_ = src.video()->index;
  in_audio_ = !o_.no_audio && src.audio() != nullptr ? src.audio()->index : -1;
  if (muxer_) {
    const auto gap = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - last_packet_);
    repair_.new_connection(gap);
    discontinuity_ = true;
  }
  anchor_.reset();
  joiner_.reset();
  waiting_key_ = true;
  return {};
}

Status Rendition::setup_audio(SegmentContainer container) {
  transcoder_.reset();
  audio_par_.reset();
  if (in_audio_ < 0) return {};
  const AVStream* in = live_.source()->format()->streams[in_audio_];
  auto out = audio_output(*in, container == SegmentContainer::kTs ? "mpegts" : "mp4");
  if (!out) {
    log_warn("{}: {} audio left out: {}", live_.display_url(), avcodec_get_name(in->codecpar->codec_id),
             out.error().what());
    in_audio_ = -1;
    return {};
  }
  if (out->transcoder) {
    log_info("{}: {} audio transcoded to AAC", live_.display_url(), avcodec_get_name(in->codecpar->codec_id));
  }
  transcoder_ = std::move(out->transcoder);
  audio_par_ = std::move(out->params);
  return {};
}

// The first keyframe of a connection: the muxer is kept when the streams are
// the same as before (fMP4 keeps its init segment), else opened anew.
Status Rendition::start_output(const AVPacket& key) {
  ParPtr video = copy_parameters(live_.source()->video()->codecpar);
  // An unknown size only leaves RESOLUTION out of the master playlist.
  static_cast<void>(fill_picture_size(*video, key));
  const bool hevc = video->codec_id == AV_CODEC_ID_HEVC;
  if (hevc && o_.segment_type == SegmentType::kTs) log_warn("H.265 goes into fMP4 segments (--segment-type ts ignored)");
  const SegmentContainer container = hevc || o_.segment_type == SegmentType::kFmp4 ? SegmentContainer::kFmp4 : SegmentContainer::kTs;
  ParPtr old_audio = std::move(audio_par_);
  if (auto a = setup_audio(container); !a) return a;
  codecs_ = video_codec_string(*video, &key);
  if (audio_par_) {
    if (const auto a = audio_codec_string(*audio_par_); !a.empty()) codecs_ += (codecs_.empty() ? "" : ",") + a;
  }
  if (muxer_ && muxer_->container() == container && same_parameters(video_par_.get(), video.get()) &&
      same_parameters(old_audio.get(), audio_par_.get())) {
    return {};
  }
  auto m = SegmentMuxer::open(container, *video, audio_par_.get());
  if (!m) return fail(m.error());
  muxer_.emplace(std::move(*m));
  video_par_ = std::move(video);
  if (container == SegmentContainer::kFmp4) {
    auto uri = store_.store_init(sequence_, muxer_->init_segment());
    if (!uri) return fail(uri.error());
  }
  return {};
}

Status Rendition::write(int stream, AVPacket* pkt) {
  pkt->stream_index = stream;
  const auto arrival = live_clock_ ? std::optional(last_packet_) : std::nullopt;
  // The video speaks for the camera's clock; the audio follows it silently.
  if (auto jump = repair_.fix(stream, pkt, arrival); jump && stream == kVideo) {
    log_clock_jump(live_.display_url(), *jump);
  }
  if (stream == kVideo) {
    if (!anchor_) anchor_.emplace(std::chrono::system_clock::now(), pkt->dts);
    if (open_ && (pkt->flags & AV_PKT_FLAG_KEY) != 0 && pkt->dts - seg_start_ >= ticks(o_.segment_time) - 1) {
      if (auto f = finish_segment(pkt->dts); !f) return f;
    }
    if (!open_) {
      open_ = true;
      seg_start_ = pkt->dts;
      seg_pdt_ = anchor_->first + std::chrono::microseconds(av_rescale_q(pkt->dts - anchor_->second, kTimeline, {1, 1000000}));
    }
    seg_end_ = pkt->dts + std::max<std::int64_t>(pkt->duration, 0);
    ++frames_;
  } else if (!open_) {
    return {};  // audio before the first video frame of the run
  }
  if (muxer_->has_audio() || stream == kVideo) {
    if (auto w = muxer_->write(pkt); !w) return w;
  }
  return {};
}

Status Rendition::handle_video(AVPacket* pkt) {
  if (!joiner_.push(live_.source()->video()->codecpar->codec_id, pkt)) return {};
  if (waiting_key_) {
    if ((pkt->flags & AV_PKT_FLAG_KEY) == 0) return {};
    if (auto s = start_output(*pkt); !s) return s;
    waiting_key_ = false;
  }
  av_packet_rescale_ts(pkt, live_.source()->video()->time_base, kTimeline);
  return write(kVideo, pkt);
}

Status Rendition::handle_audio(AVPacket* pkt) {
  if (waiting_key_ || !audio_par_) return {};
  if (!transcoder_) {
    av_packet_rescale_ts(pkt, live_.source()->format()->streams[in_audio_]->time_base, kTimeline);
    return write(kAudio, pkt);
  }
  aac_.clear();
  if (auto p = transcoder_->push(pkt, aac_); !p) return p;
  for (auto& a : aac_) {
    av_packet_rescale_ts(a.get(), transcoder_->time_base(), kTimeline);
    if (auto w = write(kAudio, a.get()); !w) return w;
  }
  return {};
}

Status Rendition::handle(AVPacket* pkt) {
  last_packet_ = Clock::now();
  notify::watchdog_ping();
  if (pkt->stream_index == in_video_) return handle_video(pkt);
  if (pkt->stream_index == in_audio_) return handle_audio(pkt);
  return {};
}

// Lists the open segment, which ends at `end`. A segment that cannot be
// written is logged and skipped (the next one starts a discontinuity);
// the playlist is only ever replaced whole.
Status Rendition::finish_segment(std::int64_t end) {
  open_ = false;
  auto bytes = muxer_->cut();
  if (!bytes) return fail(bytes.error());
  auto seg = store_.store_segment(sequence_, muxer_->container() == SegmentContainer::kTs ? "ts" : "m4s", *bytes);
  if (!seg) {
    log_warn("{}: segment {} lost: {}", c_.dir.string(), sequence_, seg.error().what());
    store_.drop_retired();  // room for the next one if the disk is full
    discontinuity_ = true;
    return {};
  }
  seg->duration = seconds(end - seg_start_);
  seg->program_date_time = seg_pdt_;
  seg->discontinuity = std::exchange(discontinuity_, false);
  ++sequence_;
  peak_bps_ = std::max(peak_bps_, static_cast<std::int64_t>(seg->bytes * 8 / std::max(seg->duration, 0.1)));
  total_bytes_ += seg->bytes;
  total_seconds_ += seg->duration;
  publish(playlist_.add(std::move(*seg)));
  if (c_.on_segment) {
    c_.on_segment({peak_bps_, static_cast<std::int64_t>(total_bytes_ * 8 / std::max(total_seconds_, 0.1)),
                   video_par_->width, video_par_->height, codecs_});
  }
  return {};
}

void Rendition::publish(const std::vector<Segment>& dropped) {
  if (auto p = store_.publish(playlist_.render(), dropped); !p) {
    log_warn("{}: playlist not updated (retried with the next segment): {}", c_.dir.string(), p.error().what());
  }
}

void Rendition::report_status() {
  const auto now = Clock::now();
  const double dt = std::chrono::duration<double>(now - status_at_).count();
  if (dt < 5) return;
  const std::string prefix = c_.label.empty() ? "" : c_.label + ": ";
  notify::status(fmt::format("{}{}, {:.1f} fps, segment {}", prefix, live_.connected() ? "streaming" : "reconnecting",
                             frames_ / dt, sequence_));
  frames_ = 0;
  status_at_ = now;
}

// Lists the last (partial) segment and writes the final playlist.
Result<ExitCode> Rendition::finish(Result<ExitCode> result, bool end_list) {
  notify::stopping();
  if (transcoder_ && open_) {
    aac_.clear();
    if (transcoder_->flush(aac_)) {
      for (auto& a : aac_) {
        av_packet_rescale_ts(a.get(), transcoder_->time_base(), kTimeline);
        if (!write(kAudio, a.get())) break;
      }
    }
  }
  if (open_) {
    if (auto f = finish_segment(seg_end_); !f && result) result = fail(f.error());
  }
  if (end_list) {
    playlist_.end();
    publish({});
  }
  return result;
}

Result<ExitCode> Rendition::run() {
  sequence_ = store_.resume();
  discontinuity_ = sequence_ > 0;
  auto pkt = av::make_packet();
  for (;;) {  // ends with the source, a fatal error, or a signal
    auto more = live_.read(pkt.get());
    if (!more) {
      if (stop_requested()) return finish(ExitCode::kOk, o_.vod_on_exit);
      return finish(fail(more.error()), o_.vod_on_exit);
    }
    if (!*more) return finish(ExitCode::kOk, true);  // the end of a file: a finished video
    notify::ready(c_.label.empty() ? "streaming" : c_.label + ": streaming");
    if (live_.take_new_connection()) {
      if (auto c = on_connection(); !c) return finish(fail(c.error()), o_.vod_on_exit);
    }
    if (auto h = handle(pkt.get()); !h) return finish(fail(h.error()), o_.vod_on_exit);
    report_status();
  }
}

}  // namespace

Status check_output(const RenditionConfig& c) {
  StoreOptions folders;
  folders.key_dir = c.key_dir;
  return SegmentStore(c.dir, folders).check();
}

Result<ExitCode> run_rendition(const Options& o, const RenditionConfig& config) {
  return Rendition(o, config).run();
}

}  // namespace cctv::hls
