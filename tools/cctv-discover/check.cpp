// SPDX-License-Identifier: MIT
// check_stream(): Source::open, then packets until a video keyframe decodes.
#include "check.hpp"

#include <chrono>

#include "cctv/av.hpp"
#include "cctv/decoder.hpp"

namespace cctv::discover {

namespace {

// A camera sends a keyframe once per GOP; this many packets without one
// decoding is a stream that does not start.
constexpr int kMaxPackets = 2000;

}  // namespace

StreamCheck check_stream(const std::string& uri, const SourceOptions& opts) {
  StreamCheck c;
  const auto failed = [&c](const Error& e) {
    c.code = e.code;
    c.error = e.what();
    return c;
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto src = Source::open(uri, opts);
  if (!src) return failed(src.error());
  const AVStream* video = src->video();
  c.codec = avcodec_get_name(video->codecpar->codec_id);
  c.width = video->codecpar->width;  // from the SDP, when it says
  c.height = video->codecpar->height;
  // Without a decoder (an unusual codec) the keyframe's arrival is the answer.
  auto decoder = Decoder::open(*video);
  auto pkt = av::make_packet();
  auto frame = av::make_frame();
  bool started = false;
  for (int i = 0; i < kMaxPackets; ++i) {
    auto more = src->read(pkt.get());
    if (!more) return failed(more.error());
    if (!*more) break;
    if (pkt->stream_index != video->index) continue;
    started = started || (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    if (!started) continue;
    bool decoded = !decoder;
    if (decoder && decoder->send(pkt.get())) {
      auto got = decoder->receive(frame.get());
      decoded = got && *got;
      if (decoded) {
        c.width = frame->width;
        c.height = frame->height;
      }
    }
    if (decoded) {
      c.keyframe_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      return c;
    }
  }
  return failed(Error{ExitCode::kNotFound, src->display_url() + ": no video keyframe decoded", ""});
}

}  // namespace cctv::discover
