// SPDX-License-Identifier: MIT
// The capture loop: LiveSource -> Decoder -> JpegEncoder (or MJPEG pass-through) -> Hub,
// and LiveSource -> Fmp4Feed (stream copy) -> MediaHub.
#include "capture.hpp"

#include <cmath>
#include <optional>

#include "cctv/backoff.hpp"
#include "cctv/decoder.hpp"
#include "cctv/jpeg.hpp"
#include "cctv/live_source.hpp"
#include "cctv/log.hpp"
#include "cctv/signals.hpp"
#include "cctv/url.hpp"
#include "fmp4_feed.hpp"

namespace cctv::mjpeg {

struct Capture::Shared {
  CameraSpec camera;
  Options opts;
  std::shared_ptr<Hub> hub;
  std::shared_ptr<MediaHub> media;
  std::atomic<bool> done{false};
};

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kDecodeGrace{3000};

double now_s() { return std::chrono::duration<double>(SteadyClock::now().time_since_epoch()).count(); }

milliseconds ms(double seconds) { return milliseconds(std::lround(seconds * 1000)); }

// Sleeps up to `d` in short slices; false once a stop was requested.
bool sleep_unless_stopped(milliseconds d) {
  const auto until = SteadyClock::now() + d;
  while (SteadyClock::now() < until) {
    if (stop_requested()) return false;
    std::this_thread::sleep_for(std::min<SteadyClock::duration>(milliseconds(50), until - SteadyClock::now()));
  }
  return !stop_requested();
}

// One connection's worth of state: created on connect, dropped on loss or idle.
class Session {
 public:
  Session(const Capture::Shared& s, LiveSource& live) : s_(s), live_(live), cap_(FrameCap::per_second(s.opts.fps)) {}

  Status on_connection() {
    const AVStream& st = *live_.source()->video();
    const auto& o = s_.opts;
    passthrough_ = st.codecpar->codec_id == AV_CODEC_ID_MJPEG && o.jpeg.width == 0 && o.jpeg.height == 0 &&
                   !o.quality_given;
    decoder_.reset();
    waiting_key_ = true;
    if (passthrough_) return {};
    auto d = Decoder::open(st, {.threads = 1, .low_delay = true});
    if (!d) return fail(d.error());
    decoder_.emplace(std::move(*d));
    if (!encoder_) {
      auto e = JpegEncoder::create(o.jpeg);
      if (!e) return fail(e.error());
      encoder_.emplace(std::move(*e));
    }
    return {};
  }

  // Handles one packet. Nothing is decoded while no frame is wanted; the
  // decoder then restarts at the next keyframe. Frames decoded with nobody
  // subscribed are not encoded.
  Status handle(const AVPacket& pkt, bool wanted) {
    if (pkt.stream_index != live_.source()->video()->index) return {};
    s_.hub->count_frame_in();
    if (!wanted) {
      waiting_key_ = true;
      return {};
    }
    if (waiting_key_) {
      if ((pkt.flags & AV_PKT_FLAG_KEY) == 0) return {};
      waiting_key_ = false;
      if (decoder_) avcodec_flush_buffers(decoder_->context());
    }
    if (passthrough_) {
      if (s_.hub->demand() == 0 || !cap_.due(now_s())) return {};
      cap_.taken(now_s());
      s_.hub->publish(std::vector<std::uint8_t>(pkt.data, pkt.data + pkt.size), 0.0);
      return {};
    }
    return decode(pkt);
  }

 private:
  Status decode(const AVPacket& pkt) {
    if (auto s = decoder_->send(&pkt); !s) return fail(s.error());
    for (;;) {  // bounded: a packet yields at most a few frames
      auto got = decoder_->receive(frame_.get());
      if (!got) return fail(got.error());
      if (!*got) return {};
      if (s_.hub->demand() == 0 || !cap_.due(now_s())) continue;
      cap_.taken(now_s());
      const auto t0 = SteadyClock::now();
      std::vector<std::uint8_t> jpeg;
      if (auto e = encoder_->encode(*frame_, jpeg); !e) return fail(e.error());
      s_.hub->publish(std::move(jpeg), std::chrono::duration<double>(SteadyClock::now() - t0).count());
    }
  }

  const Capture::Shared& s_;
  LiveSource& live_;
  FrameCap cap_;
  std::optional<Decoder> decoder_;
  std::optional<JpegEncoder> encoder_;
  av::FramePtr frame_ = av::make_frame();
  bool passthrough_ = false;
  bool waiting_key_ = true;
};

class Loop {
 public:
  explicit Loop(Capture::Shared& s) : s_(s), backoff_(backoff_policy(s.opts)), feed_(s.media, s.camera.name) {}
  void run();

 private:
  static BackoffPolicy backoff_policy(const Options& o) {
    BackoffPolicy p;
    p.max_retries = o.live.retries;
    return p;
  }
  bool always() const { return s_.opts.always_on || s_.camera.is_stdin(); }
  // Pictures (MJPEG viewers, snapshots), MSE viewers or LL-HLS requests.
  bool wanted() const {
    return always() || s_.hub->demand() > 0 || s_.media->wanted(SteadyClock::now(), ms(s_.opts.idle_timeout));
  }
  // Decoding goes on for a short grace after the last viewer left, so that a
  // page reload (or a snapshot right after one) need not wait for a keyframe.
  bool decode_wanted() const { return s_.hub->idle_for(SteadyClock::now()) < kDecodeGrace; }
  bool idle_too_long() const {
    const auto now = SteadyClock::now();
    return !always() && std::min(s_.hub->idle_for(now), s_.media->idle_for(now)) > ms(s_.opts.idle_timeout);
  }
  // One connection, until it fails, idles out or ends. Returns the failure.
  std::optional<Error> connection(bool& ended);

  Capture::Shared& s_;
  Backoff backoff_;
  OutageLog outage_;
  Fmp4Feed feed_;  // outlives connections: one MSE timeline across reconnects
};

std::optional<Error> Loop::connection(bool& ended) {
  LiveOptions lo;
  lo.source = s_.opts.input.source;
  lo.backoff.max_retries = 0;  // this loop paces reconnects, so it can give up when nobody watches
  lo.stall_timeout = s_.opts.live.stall_timeout;
  LiveSource live(s_.camera.url, lo);
  Session session(s_, live);
  auto pkt = av::make_packet();
  for (;;) {  // ends with the connection, idleness, or a signal
    auto more = live.read(pkt.get());
    if (!more) return more.error();
    if (!*more) {
      ended = true;
      return std::nullopt;
    }
    if (live.take_new_connection()) {
      backoff_.connected(SteadyClock::now());
      s_.hub->set_connected(true);
      log_info("{}: connected to {}", s_.camera.name, live.display_url());
      if (auto c = session.on_connection(); !c) return c.error();
      feed_.on_connection(*live.source(), is_network(live.source()->url().kind));
    }
    feed_.handle(*pkt);  // stream copy for MSE viewers: no decode
    if (auto h = session.handle(*pkt, decode_wanted()); !h) return h.error();
    if (outage_.down() && live.keyframe_seen()) {
      if (auto back = outage_.recovered(SteadyClock::now())) log_notice("{}: {}", s_.camera.name, *back);
    }
    if (idle_too_long() || stop_requested()) {
      log_info("{}: no viewer for {:g} s, disconnecting", s_.camera.name, s_.opts.idle_timeout);
      s_.media->drop_cache();
      return std::nullopt;
    }
  }
}

void Loop::run() {
  while (!stop_requested()) {  // each turn: wait for demand, then one connection
    if (!wanted()) {
      outage_.forget();  // unwatched, the camera is not tried: its outage has no known end
      s_.hub->wait_for_demand(milliseconds(100));
      continue;
    }
    bool ended = false;
    auto err = connection(ended);
    s_.hub->set_connected(false);
    if (stop_requested()) return;
    // Standard input that ended (or never began) cannot come back.
    if (s_.camera.is_stdin() && (ended || (err && err->code == ExitCode::kNotFound))) {
      log_warn("stdin: end of input; serving the last frame");
      s_.hub->set_failed("end of input");
      return;
    }
    if (!err && !ended) continue;  // idle: reconnect on the next demand
    const Error why = err.value_or(Error{ExitCode::kNotFound, s_.camera.url + ": the stream ended", ""});
    s_.hub->set_error(why.what());
    const auto delay = backoff_.next_delay(SteadyClock::now());
    if (!delay) {
      log_error("{}: giving up after {} retries: {}", s_.camera.name, s_.opts.live.retries, why.what());
      s_.hub->set_failed(why.what());
      return;
    }
    const OutageLog::Line line = outage_.failed(SteadyClock::now(), s_.camera.name + ": " + why.what(), *delay);
    log_at(line.level, "{}", line.text);
    s_.hub->count_reconnect();
    // The wait ends early when nobody watches any more: the next viewer reconnects at once.
    const auto until = SteadyClock::now() + *delay;
    while (SteadyClock::now() < until && wanted() && sleep_unless_stopped(milliseconds(50))) {
    }
  }
}

}  // namespace

Capture::Capture(CameraSpec camera, const Options& o, std::shared_ptr<Hub> hub)
    : shared_(std::make_shared<Shared>()) {
  shared_->camera = std::move(camera);
  shared_->opts = o;
  shared_->hub = std::move(hub);
  shared_->media = shared_->hub->media();
  thread_ = std::thread([s = shared_] {
    Loop(*s).run();
    s->done = true;
  });
}

void Capture::finish(milliseconds timeout) {
  if (!thread_.joinable()) return;
  const auto until = SteadyClock::now() + timeout;
  while (!shared_->done && SteadyClock::now() < until) std::this_thread::sleep_for(milliseconds(20));
  if (shared_->done) {
    thread_.join();
  } else {
    log_warn("{}: capture thread did not stop within {} ms; leaving it", shared_->camera.name, timeout.count());
    thread_.detach();
  }
}

Capture::~Capture() { finish(milliseconds(2000)); }

}  // namespace cctv::mjpeg
