// SPDX-License-Identifier: MIT
// cctv-grab's loop: one connection, decode from the first keyframe, write due frames.
#include "grab.hpp"

#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "cctv/decoder.hpp"
#include "cctv/live_source.hpp"
#include "cctv/log.hpp"
#include "cctv/signals.hpp"
#include "sink.hpp"

namespace cctv::grab {

namespace {

double now_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

long effective_count(const Options& o) {
  if (o.count >= 0) return o.count;
  return o.stream ? 0 : 1;
}

bool is_single(const Options& o) { return !o.stream && effective_count(o) == 1; }

LiveOptions live_options(const Options& o) {
  LiveOptions l;
  l.source = o.input.source;
  l.backoff.max_retries = o.live.retries >= 0 ? o.live.retries : (is_single(o) ? 0 : -1);
  l.stall_timeout = o.live.stall_timeout;
  return l;
}

class Grabber {
 public:
  explicit Grabber(const Options& o) : o_(o), live_(o.url, live_options(o)), schedule_(o, now_s()), sink_(o) {}
  cctv::Result<ExitCode> run();

 private:
  Status on_connection();
  // Handles one packet; false once nothing more is wanted.
  cctv::Result<bool> handle(AVPacket& pkt);
  cctv::Result<bool> emit(std::span<const std::uint8_t> jpeg);

  const Options& o_;
  LiveSource live_;
  Schedule schedule_;
  Sink sink_;
  std::optional<JpegEncoder> encoder_;
  std::optional<Decoder> decoder_;
  av::FramePtr frame_ = av::make_frame();
  std::vector<std::uint8_t> jpeg_;
  bool passthrough_ = false;
  bool reader_gone_ = false;
  Clock::time_point connected_at_{};
};

Status Grabber::on_connection() {
  const AVStream& st = *live_.source()->video();
  passthrough_ = st.codecpar->codec_id == AV_CODEC_ID_MJPEG && o_.jpeg.width == 0 && o_.jpeg.height == 0 &&
                 !o_.quality_given;
  decoder_.reset();
  if (!passthrough_) {
    auto d = Decoder::open(st, {.threads = 1, .low_delay = true});
    if (!d) return fail(d.error());
    // Only keyframes are wanted: the decoder skips the rest without decoding.
    if (o_.keyframe_only) d->context()->skip_frame = AVDISCARD_NONKEY;
    decoder_.emplace(std::move(*d));
  }
  connected_at_ = Clock::now();
  return {};
}

cctv::Result<bool> Grabber::emit(std::span<const std::uint8_t> jpeg) {
  auto w = sink_.write(jpeg, schedule_.taken_count() + 1);
  if (!w) return fail(w.error());
  if (!*w) {  // the reader of stdout went away
    reader_gone_ = true;
    return false;
  }
  schedule_.taken(now_s());
  return !schedule_.finished();
}

cctv::Result<bool> Grabber::handle(AVPacket& pkt) {
  if (pkt.stream_index != live_.source()->video()->index) return true;
  if (!live_.keyframe_seen()) {  // nothing decodes before it
    if (Clock::now() - connected_at_ > o_.input.source.timeout) {
      return fail(Error{ExitCode::kUnreachable,
                        fmt::format("{}: no keyframe within {:g} s", live_.display_url(),
                                    o_.input.source.timeout.count() / 1000.0),
                        "", true});
    }
    return true;
  }
  if (passthrough_) return schedule_.due(now_s()) ? emit({pkt.data, static_cast<size_t>(pkt.size)}) : true;
  if (auto s = decoder_->send(&pkt); !s) return fail(s.error());
  for (;;) {  // bounded: a packet yields at most a few frames
    auto got = decoder_->receive(frame_.get());
    if (!got) return fail(got.error());
    if (!*got) return true;
    if (!schedule_.due(now_s())) continue;
    if (auto e = encoder_->encode(*frame_, jpeg_); !e) return fail(e.error());
    auto more = emit(jpeg_);
    if (!more || !*more) return more;
  }
}

cctv::Result<ExitCode> Grabber::run() {
  if (auto c = sink_.check(); !c) return fail(c.error());
  auto enc = JpegEncoder::create(o_.jpeg);
  if (!enc) return fail(enc.error());
  encoder_.emplace(std::move(*enc));
  auto pkt = av::make_packet();
  for (;;) {  // ends with the schedule, the source, the reader, or a signal
    auto more = live_.read(pkt.get());
    if (!more) {
      if (stop_requested() && !is_single(o_)) return ExitCode::kOk;
      return fail(more.error());
    }
    if (!*more) break;  // end of a file
    if (live_.take_new_connection()) {
      if (auto c = on_connection(); !c) return fail(c.error());
    }
    auto go_on = handle(*pkt);
    if (!go_on) return fail(go_on.error());
    if (!*go_on) break;
  }
  if (schedule_.taken_count() == 0 && !reader_gone_) {
    return fail(ExitCode::kNotFound, live_.display_url() + ": the stream ended before a frame decoded");
  }
  return ExitCode::kOk;
}

}  // namespace

Schedule::Schedule(const Options& o, double start_s)
    : cap_(o.stream ? FrameCap::per_second(o.fps, start_s)
                    : FrameCap(effective_count(o) == 1 ? 0.0 : o.interval, start_s)),
      count_(effective_count(o)) {}

bool Schedule::due(double now_s) const { return cap_.due(now_s); }

void Schedule::taken(double now_s) {
  ++taken_;
  cap_.taken(now_s);  // after an outage the missed shots are skipped, not taken in a burst
}

cctv::Result<ExitCode> run(const Options& o) { return Grabber(o).run(); }

}  // namespace cctv::grab
