// SPDX-License-Identifier: MIT
// libavformat's mpegts and mp4 muxers writing into dynamic buffers, cut per segment.
#include "cctv/segment_muxer.hpp"

extern "C" {
#include <libavutil/opt.h>
}

namespace cctv {

struct SegmentMuxer::State {
  SegmentContainer container = SegmentContainer::kTs;
  AVFormatContext* ctx = nullptr;
  std::vector<std::uint8_t> init;
  bool audio = false;

  ~State() {
    if (ctx == nullptr) return;
    take_buffer();
    avformat_free_context(ctx);
  }

  // Detaches the dynamic buffer's bytes (and the buffer) from the context.
  std::vector<std::uint8_t> take_buffer() {
    std::vector<std::uint8_t> out;
    if (ctx->pb == nullptr) return out;
    uint8_t* data = nullptr;
    const int size = avio_close_dyn_buf(ctx->pb, &data);
    ctx->pb = nullptr;
    if (size > 0) out.assign(data, data + size);
    av_free(data);
    return out;
  }
};

namespace {

tl::unexpected<Error> av_fail(ExitCode code, const char* what, int rc) {
  return fail(code, what, av::error_string(rc));
}

Status add_stream(AVFormatContext* ctx, const AVCodecParameters& par, SegmentContainer container) {
  AVStream* st = avformat_new_stream(ctx, nullptr);
  if (st == nullptr) return fail(ExitCode::kFailure, "out of memory");
  if (int rc = avcodec_parameters_copy(st->codecpar, &par); rc < 0) return av_fail(ExitCode::kFailure, "muxer", rc);
  st->codecpar->codec_tag = 0;
  // Apple's players take HEVC in fMP4 only with the hvc1 sample entry
  // (parameter sets in the init segment), not FFmpeg's default hev1.
  if (container == SegmentContainer::kFmp4 && par.codec_id == AV_CODEC_ID_HEVC) {
    st->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
  }
  st->time_base = par.codec_type == AVMEDIA_TYPE_AUDIO && container == SegmentContainer::kFmp4 && par.sample_rate > 0
                      ? AVRational{1, par.sample_rate}
                      : kTimeline;
  return {};
}

}  // namespace

Result<SegmentMuxer> SegmentMuxer::open(SegmentContainer container, const AVCodecParameters& video,
                                        const AVCodecParameters* audio) {
  av::init();
  auto s = std::make_unique<State>();
  s->container = container;
  s->audio = audio != nullptr;
  const char* name = container == SegmentContainer::kTs ? "mpegts" : "mp4";
  if (int rc = avformat_alloc_output_context2(&s->ctx, nullptr, name, nullptr); rc < 0) {
    return av_fail(ExitCode::kFailure, "cannot create the segment muxer", rc);
  }
  if (auto r = add_stream(s->ctx, video, container); !r) return fail(r.error());
  if (audio != nullptr) {
    if (auto r = add_stream(s->ctx, *audio, container); !r) return fail(r.error());
  }
  if (int rc = avio_open_dyn_buf(&s->ctx->pb); rc < 0) return av_fail(ExitCode::kFailure, "muxer buffer", rc);
  AVDictionary* opts = nullptr;
  if (container == SegmentContainer::kFmp4) {
    // An init segment (empty moov), then a fragment exactly where cut() asks;
    // frag_discont keeps the first fragment's decode time (tfdt) on our
    // timeline rather than at zero, so a new init after a reconnect
    // continues the timeline.
    av_dict_set(&opts, "movflags", "+frag_custom+empty_moov+default_base_moof+frag_discont", 0);
  }
  const int rc = avformat_write_header(s->ctx, &opts);
  av_dict_free(&opts);
  if (rc < 0) {
    return av_fail(rc == AVERROR(EINVAL) || rc == AVERROR_PATCHWELCOME ? ExitCode::kUnsupported : ExitCode::kFailure,
                   "the segment muxer refused the streams", rc);
  }
  if (container == SegmentContainer::kFmp4) {
    s->init = s->take_buffer();
    if (int r = avio_open_dyn_buf(&s->ctx->pb); r < 0) return av_fail(ExitCode::kFailure, "muxer buffer", r);
  }
  return SegmentMuxer(std::move(s));
}

SegmentMuxer::SegmentMuxer(std::unique_ptr<State> s) : s_(std::move(s)) {}
SegmentMuxer::SegmentMuxer(SegmentMuxer&&) noexcept = default;
SegmentMuxer& SegmentMuxer::operator=(SegmentMuxer&&) noexcept = default;
SegmentMuxer::~SegmentMuxer() = default;

SegmentContainer SegmentMuxer::container() const { return s_->container; }
bool SegmentMuxer::has_audio() const { return s_->audio; }
std::span<const std::uint8_t> SegmentMuxer::init_segment() const { return s_->init; }

Status SegmentMuxer::write(AVPacket* pkt) {
  av_packet_rescale_ts(pkt, kTimeline, s_->ctx->streams[pkt->stream_index]->time_base);
  if (int rc = av_write_frame(s_->ctx, pkt); rc < 0) return av_fail(ExitCode::kFailure, "muxing failed", rc);
  return {};
}

Result<std::vector<std::uint8_t>> SegmentMuxer::cut() {
  if (int rc = av_write_frame(s_->ctx, nullptr); rc < 0) return av_fail(ExitCode::kFailure, "muxing failed", rc);
  avio_flush(s_->ctx->pb);
  auto bytes = s_->take_buffer();
  if (int rc = avio_open_dyn_buf(&s_->ctx->pb); rc < 0) return av_fail(ExitCode::kFailure, "muxer buffer", rc);
  // Every MPEG-TS segment starts with PAT and PMT so it decodes on its own.
  if (s_->container == SegmentContainer::kTs) av_opt_set(s_->ctx->priv_data, "mpegts_flags", "+resend_headers", 0);
  return bytes;
}

}  // namespace cctv
