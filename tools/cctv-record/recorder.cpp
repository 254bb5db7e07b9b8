// SPDX-License-Identifier: MIT
// The recorder: packets from the reader thread into wall-clock-aligned segments, with retention and hooks.
#include <cstdio>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/notify.hpp"
#include "cctv/output.hpp"
#include "cctv/remux.hpp"
#include "cctv/signals.hpp"
#include "cctv/url.hpp"
#include "hooks.hpp"
#include "playlist.hpp"
#include "reader.hpp"
#include "record.hpp"
#include "retention.hpp"
#include "segment.hpp"

namespace cctv::record {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A camera silent this long has its segment closed (LiveSource reconnects
// on its own schedule; the finished file should not wait for that).
constexpr std::chrono::milliseconds kLossAfter = 2s;
constexpr std::chrono::milliseconds kTick = 200ms;
// After an output failure (disk full), the next attempt waits at least this long.
constexpr std::chrono::milliseconds kOutputRetry = 1s;
constexpr std::chrono::milliseconds kHookDrain = 10s;
constexpr std::chrono::milliseconds kMaxRetryDelay = 2s;

LiveOptions live_options(const Options& o) {
  LiveOptions l;
  l.source = o.input.source;
  l.backoff.max_retries = o.live.retries;
  // A recording's outage should cost its own duration and little more: the
  // delay doubles from 0.5 s only up to kMaxRetryDelay, not 30 s.
  l.backoff.max = kMaxRetryDelay;
  l.stall_timeout = o.live.stall_timeout;
  return l;
}

// Arrival times tell a camera's clock jump from a real pause (TimestampRepair);
// a file or a pipe is read faster than real time, so its arrivals mean nothing.
bool arrivals_mean_time(const std::string& url) {
  const auto parsed = parse_source_url(url);
  return parsed && is_network(parsed->kind);
}

std::string full_pattern(const Options& o) {
  return fs::absolute(substitute_name(o.output, o.name)).lexically_normal().string();
}

PlaylistConfig playlist_config(const Options& o, const std::string& pattern) {
  PlaylistConfig c;
  c.pattern = pattern;
  // Cameras that share a folder ({name} in the file name) get playlists of their own.
  if (!o.name.empty() && fs::path(o.output).filename().string().find("{name}") != std::string::npos) {
    c.prefix = o.name + "-";
  }
  c.camera = o.name;
  c.day_length = day_length_from_env();
  return c;
}

class Recorder {
 public:
  explicit Recorder(const Options& o)
      : o_(o),
        pattern_(full_pattern(o)),
        container_(*container_for(o.output)),
        matcher_(pattern_),
        limits_{o.keep, o.max_size, o.min_free},
        reader_(o.url, live_options(o)) {
    if (!o.on_segment.empty()) hooks_.emplace(o.on_segment, o.hook_jobs);
    if (o.playlist) playlists_.emplace(playlist_config(o, pattern_), matcher_);
  }
  Result<ExitCode> run();

 private:
  Status check_output() const;
  void on_packet(Event& e);
  void on_tick();
  fs::path segment_path(WallClock::time_point name_time, WallClock::time_point now);
  void start_segment(WallClock::time_point name_time, WallClock::time_point now);
  void finish_segment();
  void output_failed(const Error& e);
  void report_status();
  void retention(const std::filesystem::path& current = {}, bool at_least_one = false);

  const Options& o_;
  std::string display_url_ = redact(o_.url);
  bool live_clock_ = arrivals_mean_time(o_.url);
  std::string pattern_;  // absolute, {name} substituted
  Container container_;
  PatternMatcher matcher_;
  RetentionLimits limits_;
  std::optional<HookRunner> hooks_;
  std::optional<PlaylistKeeper> playlists_;
  PacketReader reader_;
  std::optional<Streams> streams_;
  PictureJoiner joiner_;  // a lone SPS/PPS packet goes in front of its picture
  std::unique_ptr<SegmentWriter> seg_;
  WallClock::time_point seg_end_{};
  long seq_ = 0;
  Clock::time_point last_packet_{};
  Clock::time_point retry_output_at_{};
  Clock::time_point last_status_{};
  long frames_since_status_ = 0;
  bool stdout_ok_ = true;
  RetentionResult last_freed_;
};

Status Recorder::check_output() const {
  const auto now = WallClock::now();
  if (expand_pattern(pattern_, now, 0) == expand_pattern(pattern_, now + o_.segment_time, 1)) {
    return fail(ExitCode::kUsage, "the pattern needs time fields (%H-%M-%S) or %N so segments get their own names");
  }
  const fs::path first = expand_pattern(pattern_, now, 0);
  std::error_code ec;
  fs::create_directories(first.parent_path(), ec);
  if (ec) return fail(ExitCode::kOutput, "cannot create output folder '" + first.parent_path().string() + "'", ec.message());
  return check_can_create(first);
}

fs::path Recorder::segment_path(WallClock::time_point name_time, WallClock::time_point now) {
  ++seq_;
  fs::path p = expand_pattern(pattern_, name_time, seq_);
  std::error_code ec;
  // A name is taken by anything there, a dangling link included.
  const auto taken = [&ec](const fs::path& q) { return fs::exists(fs::symlink_status(q, ec)); };
  if (!taken(p)) return p;
  p = expand_pattern(pattern_, now, seq_);  // a restart within the same period
  for (int i = 2; taken(p) && i < 1000; ++i) {
    const fs::path base = expand_pattern(pattern_, now, seq_);
    p = base.parent_path() / fmt::format("{}-{}{}", base.stem().string(), i, base.extension().string());
  }
  return p;
}

void Recorder::start_segment(WallClock::time_point name_time, WallClock::time_point now) {
  const fs::path path = segment_path(name_time, now);
  auto w = SegmentWriter::open(path, container_, *streams_, audio_mode(*streams_, container_, o_.no_audio), now);
  if (!w) return output_failed(w.error());
  seg_ = std::move(*w);
  seg_end_ = next_boundary(now, o_.segment_time);
  if (playlists_) {
    seg_->want_marks();
    playlists_->file_started(path, now, seg_->init_size());
  }
  log_info("recording '{}'", path.string());
}

void Recorder::finish_segment() {
  if (!seg_) return;
  if (auto s = seg_->close(); !s) log_warn("closing '{}': {}", seg_->path().string(), s.error().what());
  const fs::path path = seg_->path();
  if (playlists_) {
    playlists_->add_marks(seg_->take_marks());
    playlists_->file_finished(seg_->media_end(), seg_->seconds(), seg_->discarded());
  }
  if (seg_->discarded()) {
    // Nothing of the camera's reached it (a full disk): no empty file, no
    // path on stdout, no hook.
    log_warn("removed '{}': no media could be written to it", path.string());
    seg_.reset();
    retention();
    return;
  }
  if (seg_->repairs() > 0) log_warn("'{}': {} packet timestamps repaired", path.string(), seg_->repairs());
  log_info("finished '{}' ({:.1f} s)", path.string(), seg_->seconds());
  seg_.reset();
  if (stdout_ok_ && (std::fprintf(stdout, "%s\n", path.c_str()) < 0 || std::fflush(stdout) != 0)) {
    log_warn("stdout closed; segment paths are no longer printed");
    stdout_ok_ = false;
  }
  if (hooks_) hooks_->submit(path);
  retention();
}

void Recorder::retention(const fs::path& current, bool at_least_one) {
  auto r = apply_retention(matcher_, current, limits_, at_least_one);
  if (playlists_) playlists_->deleted(r.deleted);
  last_freed_ = r;
}

// Disk full (or any write failure): keep what was written, make room, resume later.
void Recorder::output_failed(const Error& e) {
  const fs::path failed = seg_ ? seg_->path() : fs::path();
  log_error("{}{}", e.what(), seg_ ? "; segment closed" : "");
  finish_segment();
  // A full disk must get room even when no limit asks for it: this camera's
  // oldest segment goes (never the one just cut short: it is the newest).
  retention(failed, is_disk_full(e));
  const auto& freed = last_freed_;
  log_warn("retention freed {} file(s), {:.1f} MB; recording resumes at the next keyframe after {:g} s", freed.files,
           static_cast<double>(freed.bytes) / 1e6, kOutputRetry.count() / 1000.0);
  retry_output_at_ = Clock::now() + kOutputRetry;
}

void Recorder::on_packet(Event& e) {
  const auto steady = Clock::now();
  const auto now = WallClock::now();
  last_packet_ = steady;
  notify::watchdog_ping();
  if (!streams_) return;
  AVPacket* pkt = e.pkt.get();
  // The reader's queue is empty unless the disk stalls, so now is when it arrived.
  const auto arrival = live_clock_ ? std::optional(steady) : std::nullopt;
  if (!e.video) {
    if (!seg_) return;
    if (auto s = seg_->write_audio(pkt, arrival); !s) output_failed(s.error());
    return;
  }
  if (!joiner_.push(streams_->video.params->codec_id, pkt)) return;
  ++frames_since_status_;
  const bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
  if (seg_ && key && now >= seg_end_) {
    const auto boundary = seg_end_;
    finish_segment();
    // Named after the boundary it belongs to, so names line up across cameras.
    if (steady >= retry_output_at_) start_segment(now - boundary < o_.segment_time ? boundary : now, now);
  }
  if (!seg_) {
    if (!key || steady < retry_output_at_) return;
    if (!fill_picture_size(*streams_->video.params, *pkt)) {
      log_debug("{}: picture size not known yet; waiting for the next keyframe", display_url_);
      return;
    }
    start_segment(now, now);
    if (!seg_) return;
    notify::ready(fmt::format("recording {}", display_url_));
  }
  if (auto s = seg_->write_video(pkt, arrival); !s) return output_failed(s.error());
  if (playlists_) playlists_->add_marks(seg_->take_marks());
  if (auto jump = seg_->take_clock_jump()) log_clock_jump(display_url_, *jump);
}

void Recorder::report_status() {
  const auto now = Clock::now();
  const auto elapsed = std::chrono::duration<double>(now - last_status_).count();
  if (elapsed < 5.0) return;
  if (seg_) {
    notify::status(fmt::format("recording {}: {:.1f} fps into {}", display_url_, frames_since_status_ / elapsed,
                               seg_->path().filename().string()));
  } else {
    notify::status(fmt::format("waiting for {} (camera lost or output failing)", display_url_));
  }
  last_status_ = now;
  frames_since_status_ = 0;
}

void Recorder::on_tick() {
  if (playlists_) playlists_->tick(WallClock::now());
  if (seg_ && Clock::now() - last_packet_ > kLossAfter) {
    log_warn("{}: no packet for {:g} s; closing '{}'", display_url_, kLossAfter.count() / 1000.0,
             seg_->path().string());
    finish_segment();
  }
}

Result<ExitCode> Recorder::run() {
  if (auto c = check_output(); !c) return fail(c.error());
  if (!matcher_.recognises_names()) {
    log_warn("retention cannot tell this pattern's files from others (a strftime field it does not know); "
             "it deletes nothing, not even on a full disk: {}", pattern_);
  }
  if (playlists_) playlists_->start(WallClock::now());
  retention();
  reader_.start();
  for (;;) {  // ends with the reader's kEnd: a signal, the end of a file, or a fatal camera error
    auto ev = reader_.next(Clock::now() + kTick);
    if (hooks_) hooks_->poll();
    report_status();
    if (!ev) {
      on_tick();
      continue;
    }
    switch (ev->kind) {
      case Event::Kind::kConnected:
        finish_segment();  // new timestamps, maybe new parameters: a new file
        streams_ = std::move(ev->streams);
        joiner_.reset();
        break;
      case Event::Kind::kPacket:
        on_packet(*ev);
        on_tick();
        break;
      case Event::Kind::kEnd:
        if (stop_requested()) notify::stopping();
        finish_segment();
        if (playlists_) playlists_->stop();
        if (hooks_) hooks_->drain(kHookDrain);
        if (!ev->end) return fail(ev->end.error());
        return ExitCode::kOk;
    }
  }
}

}  // namespace

Result<ExitCode> run(const Options& o) { return Recorder(o).run(); }

}  // namespace cctv::record
