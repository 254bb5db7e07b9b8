// SPDX-License-Identifier: MIT
// Stream copy into per-frame fMP4 fragments for the MediaHub, with a continuous timeline.
#include "fmp4_feed.hpp"

#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cctv/codecs.hpp"
#include "cctv/log.hpp"
#include "cctv/remux.hpp"
#include "cctv/segment_muxer.hpp"

namespace cctv::mjpeg {

namespace {
constexpr int kVideo = 0, kAudio = 1;  // output streams
// A frame's duration when the camera gives none yet (the first frame): 25 fps.
constexpr std::int64_t kDefaultFrameTicks = kTimeline.den / 25;
}  // namespace

struct Fmp4Feed::State {
  State(std::shared_ptr<MediaHub> h, std::string n) : hub(std::move(h)), name(std::move(n)) {}

  std::shared_ptr<MediaHub> hub;
  std::string name;
  Source* src = nullptr;
  int in_video = -1, in_audio = -1;
  bool live_clock = false;
  bool failed = true;  // until a connection with H.264 or H.265 video
  bool waiting_key = true;
  bool first_of_connection = true;  // the next video fragment starts a discontinuity (LL-HLS)
  TimestampRepair repair{{kTimeline, kTimeline}};
  PictureJoiner joiner;
  std::optional<SegmentMuxer> muxers[2];  // MediaHub::kVideoOnly, kWithAudio
  av::ParametersPtr video_par, audio_par;  // what the muxers were opened with
  std::optional<AudioTranscoder> transcoder;
  std::uint64_t generation = 0;
  MediaClock::time_point last_packet{};
  std::int64_t frame_ticks = kDefaultFrameTicks;
  av::PacketPtr pkt = av::make_packet();
  av::PacketPtr copy = av::make_packet();
  std::vector<av::PacketPtr> aac;

  void stop(const Error& e) {
    log_warn("{}: MSE stream stopped until the next connection: {}", name, e.what());
    failed = true;
  }
  Status setup_audio();
  Status start_output(const AVPacket& key);
  Status write(int stream, AVPacket* p);
  Status handle_video();
  Status handle_audio();
};

Status Fmp4Feed::State::setup_audio() {
  transcoder.reset();
  audio_par.reset();
  if (in_audio < 0) return {};
  const AVStream* in = src->format()->streams[in_audio];
  auto out = audio_output(*in, "mp4");
  if (!out) {
    log_warn("{}: {} audio left out of the MSE stream: {}", name, avcodec_get_name(in->codecpar->codec_id),
             out.error().what());
    in_audio = -1;
    return {};
  }
  transcoder = std::move(out->transcoder);
  audio_par = std::move(out->params);
  return {};
}

// The first keyframe of a connection: the muxers go on when the streams are
// the same as before, else new ones start with new init segments.
Status Fmp4Feed::State::start_output(const AVPacket& key) {
  av::ParametersPtr video = av::copy_parameters(src->video()->codecpar);
  static_cast<void>(fill_picture_size(*video, key));
  av::ParametersPtr old_audio = std::move(audio_par);
  if (auto a = setup_audio(); !a) return a;
  if (muxers[MediaHub::kVideoOnly] && av::same_parameters(video_par.get(), video.get()) &&
      av::same_parameters(old_audio.get(), audio_par.get())) {
    return {};
  }
  const std::string video_codec = video_codec_string(*video, &key);
  if (video_codec.empty()) return fail(ExitCode::kUnsupported, "no codec string from the stream's SPS");
  const std::string audio_codec = audio_par ? audio_codec_string(*audio_par) : std::string();
  for (auto& m : muxers) m.reset();
  auto plain = SegmentMuxer::open(SegmentContainer::kFmp4, *video, nullptr);
  if (!plain) return fail(plain.error());
  muxers[MediaHub::kVideoOnly].emplace(std::move(*plain));
  if (audio_par && !audio_codec.empty()) {
    auto with_audio = SegmentMuxer::open(SegmentContainer::kFmp4, *video, audio_par.get());
    if (!with_audio) return fail(with_audio.error());
    muxers[MediaHub::kWithAudio].emplace(std::move(*with_audio));
  }
  video_par = std::move(video);
  hub->set_audio(muxers[MediaHub::kWithAudio].has_value());
  ++generation;
  for (int v : {MediaHub::kVideoOnly, MediaHub::kWithAudio}) {
    if (!muxers[v]) continue;
    auto init = std::make_shared<MediaInit>();
    const auto bytes = muxers[v]->init_segment();
    init->bytes.assign(bytes.begin(), bytes.end());
    const std::string codecs = v == MediaHub::kWithAudio ? video_codec + "," + audio_codec : video_codec;
    init->mime = fmt::format("video/mp4; codecs=\"{}\"", codecs);
    init->generation = generation;
    hub->publish_init(v, std::move(init));
  }
  log_info("{}: MSE stream {}x{} {}{}", name, video_par->width, video_par->height, video_codec,
           audio_codec.empty() ? "" : " + " + audio_codec);
  return {};
}

// Writes a packet of output stream `stream` (timestamps on kTimeline, repaired)
// into every muxer that takes it; a video frame ends a fragment in each.
Status Fmp4Feed::State::write(int stream, AVPacket* p) {
  for (int v : {MediaHub::kVideoOnly, MediaHub::kWithAudio}) {
    if (!muxers[v] || (stream == kAudio && v == MediaHub::kVideoOnly)) continue;
    if (int rc = av_packet_ref(copy.get(), p); rc < 0) return fail(ExitCode::kFailure, "out of memory");
    copy->stream_index = stream;
    auto w = muxers[v]->write(copy.get());
    av_packet_unref(copy.get());
    if (!w) return w;
    if (stream != kVideo) continue;
    auto bytes = muxers[v]->cut();
    if (!bytes) return fail(bytes.error());
    auto f = std::make_shared<MediaFragment>();
    f->bytes = std::move(*bytes);
    f->key = (p->flags & AV_PKT_FLAG_KEY) != 0;
    f->discontinuity = first_of_connection;
    f->duration = p->duration;
    f->made = MediaClock::now();
    f->wall = std::chrono::system_clock::now();
    hub->publish(v, std::move(f));
  }
  if (stream == kVideo) first_of_connection = false;
  return {};
}

Status Fmp4Feed::State::handle_video() {
  if (!joiner.push(src->video()->codecpar->codec_id, pkt.get())) return {};
  if (waiting_key) {
    if ((pkt->flags & AV_PKT_FLAG_KEY) == 0) return {};
    if (auto s = start_output(*pkt); !s) return s;
    waiting_key = false;
  }
  av_packet_rescale_ts(pkt.get(), src->video()->time_base, kTimeline);
  const auto arrival = live_clock ? std::optional(last_packet) : std::nullopt;
  // The camera's clock speaks through its video; the audio follows silently.
  if (auto jump = repair.fix(kVideo, pkt.get(), arrival)) log_clock_jump(name, *jump);
  // A sample needs a duration before the next frame is known: the last step.
  if (pkt->duration > 0) frame_ticks = pkt->duration;
  pkt->duration = frame_ticks;
  return write(kVideo, pkt.get());
}

Status Fmp4Feed::State::handle_audio() {
  if (waiting_key || !muxers[MediaHub::kWithAudio]) return {};
  const auto arrival = live_clock ? std::optional(last_packet) : std::nullopt;
  if (!transcoder) {
    av_packet_rescale_ts(pkt.get(), src->format()->streams[in_audio]->time_base, kTimeline);
    repair.fix(kAudio, pkt.get(), arrival);
    return write(kAudio, pkt.get());
  }
  aac.clear();
  if (auto p = transcoder->push(pkt.get(), aac); !p) return p;
  for (auto& a : aac) {
    av_packet_rescale_ts(a.get(), transcoder->time_base(), kTimeline);
    repair.fix(kAudio, a.get(), arrival);
    if (auto w = write(kAudio, a.get()); !w) return w;
  }
  return {};
}

Fmp4Feed::Fmp4Feed(std::shared_ptr<MediaHub> hub, std::string name)
    : s_(std::make_unique<State>(std::move(hub), std::move(name))) {}

Fmp4Feed::~Fmp4Feed() = default;

void Fmp4Feed::on_connection(Source& src, bool live_clock) {
  State& s = *s_;
  s.src = &src;
  const AVCodecID codec = src.video()->codecpar->codec_id;
  if (codec != AV_CODEC_ID_H264 && codec != AV_CODEC_ID_HEVC) {
    s.hub->set_supported(false, fmt::format("{} video cannot go through MSE (H.264 and H.265 can): use stream.mjpg",
                                            avcodec_get_name(codec)));
    s.failed = true;
    return;
  }
  s.hub->set_supported(true);
  s.in_video = src.video()->index;
  s.in_audio = src.audio() != nullptr ? src.audio()->index : -1;
  s.live_clock = live_clock;
  // One seamless timeline: the new connection's first frame follows the
  // last one. A fragmented MP4 cannot hold a gap (FFmpeg's muxer would
  // stretch the first new frame over the outage, and a player would show it
  // that long); the LL-HLS playlist tells the outage by its
  // EXT-X-DISCONTINUITY and PROGRAM-DATE-TIME.
  if (s.muxers[MediaHub::kVideoOnly]) s.repair.new_connection();
  s.joiner.reset();
  s.waiting_key = true;
  s.first_of_connection = true;
  s.failed = false;
}

void Fmp4Feed::handle(const AVPacket& in) {
  State& s = *s_;
  if (s.failed || s.src == nullptr) return;
  s.last_packet = MediaClock::now();
  if (in.stream_index != s.in_video && in.stream_index != s.in_audio) return;
  if (av_packet_ref(s.pkt.get(), &in) < 0) return;
  const Status r = in.stream_index == s.in_video ? s.handle_video() : s.handle_audio();
  av_packet_unref(s.pkt.get());
  if (!r) s.stop(r.error());
}

}  // namespace cctv::mjpeg
