// SPDX-License-Identifier: MIT
// Video decoder setup (threads, low delay) and tolerant packet decoding.
#include "cctv/decoder.hpp"

#include "cctv/log.hpp"

namespace cctv {

Result<Decoder> Decoder::open(const AVStream& stream, const DecoderOptions& opts) {
  const AVCodecParameters* par = stream.codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) {
    return fail(ExitCode::kUnsupported,
                std::string("no decoder for codec '") + avcodec_get_name(par->codec_id) + "'");
  }
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) return fail(ExitCode::kFailure, "out of memory");
  int rc = avcodec_parameters_to_context(ctx.get(), par);
  if (rc < 0) return fail(ExitCode::kFailure, "cannot configure decoder", av::error_string(rc));
  ctx->pkt_timebase = stream.time_base;
  ctx->thread_count = opts.threads;
  if (opts.low_delay) {
    // Frame threading holds (threads - 1) frames back; slices do not.
    ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
    ctx->thread_type = FF_THREAD_SLICE;
  }
  rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) {
    return fail(ExitCode::kUnsupported, std::string("cannot open decoder '") + codec->name + "'",
                av::error_string(rc));
  }
  return Decoder(std::move(ctx));
}

Status Decoder::send(const AVPacket* pkt) {
  const int rc = avcodec_send_packet(ctx_.get(), pkt);
  if (rc == AVERROR_INVALIDDATA) {
    log_debug("decoder skipped a corrupt packet");
    return {};
  }
  if (rc < 0 && rc != AVERROR(EAGAIN) && rc != AVERROR_EOF) {
    return fail(ExitCode::kFailure, "decoding failed", av::error_string(rc));
  }
  return {};
}

Result<bool> Decoder::receive(AVFrame* frame) {
  const int rc = avcodec_receive_frame(ctx_.get(), frame);
  if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return false;
  if (rc == AVERROR_INVALIDDATA) return false;
  if (rc < 0) return fail(ExitCode::kFailure, "decoding failed", av::error_string(rc));
  return true;
}

}  // namespace cctv
