// SPDX-License-Identifier: MIT
// Video decoding of a source's stream to frames.
#pragma once

#include "cctv/av.hpp"
#include "cctv/error.hpp"

namespace cctv {

struct DecoderOptions {
  // 1 for one-shot work: frame threading delays the first frame by
  // (threads - 1) frames. 0 lets FFmpeg pick (slice threads only when
  // low_delay).
  int threads = 1;
  // Output each frame as soon as it is decodable (AV_CODEC_FLAG_LOW_DELAY,
  // slice threading instead of frame threading).
  bool low_delay = true;
};

// Decodes one stream. Not thread-safe.
class Decoder {
 public:
  // Opens a decoder for `stream`'s codec parameters. kUnsupported when FFmpeg
  // has no decoder for it, kFailure when it fails to open.
  [[nodiscard]] static Result<Decoder> open(const AVStream& stream, const DecoderOptions& opts = {});

  // Sends a packet (nullptr drains). Corrupt data is not an error: cameras
  // lose packets, and the decoder resynchronises at the next keyframe.
  [[nodiscard]] Status send(const AVPacket* pkt);
  // Receives the next frame: true with `frame` filled, false when it needs
  // more input (or is drained).
  [[nodiscard]] Result<bool> receive(AVFrame* frame);

  AVCodecContext* context() const { return ctx_.get(); }

 private:
  explicit Decoder(av::CodecContextPtr ctx) : ctx_(std::move(ctx)) {}
  av::CodecContextPtr ctx_;
};

}  // namespace cctv
