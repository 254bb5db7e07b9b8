// SPDX-License-Identifier: MIT
// Reconnecting packet reader: backoff, stall detection, fatal-vs-retryable errors.
#include "cctv/live_source.hpp"

#include <thread>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/signals.hpp"

namespace cctv {

namespace {

// Errors that a retry cannot fix while the camera has never worked: the
// user's configuration is wrong.
bool fatal_at_first(ExitCode c) {
  return c == ExitCode::kUsage || c == ExitCode::kAuth || c == ExitCode::kNotFound ||
         c == ExitCode::kUnsupported;
}

Error interrupted(const std::string& url) { return {ExitCode::kFailure, url + ": interrupted", ""}; }

}  // namespace

LiveSource::LiveSource(std::string url, LiveOptions opts)
    : url_(std::move(url)), display_url_(redact(url_)), opts_(std::move(opts)), backoff_(opts_.backoff) {
  opts_.source.read_timeout = opts_.stall_timeout;
}

bool LiveSource::take_new_connection() { return std::exchange(new_connection_, false); }

Status LiveSource::connect() {
  auto s = Source::open(url_, opts_.source);
  if (!s) return fail(s.error());
  display_url_ = s->display_url();
  // A camera that refused TCP once will again: reconnect over UDP directly,
  // without another refusal and another notice.
  if (opts_.source.transport == Transport::kAuto && s->transport_name() == "udp") {
    opts_.source.transport = Transport::kUdp;
  }
  source_.emplace(std::move(*s));
  new_connection_ = true;
  keyframe_seen_ = false;
  connected_at_ = Clock::now();
  if (ever_connected_) ++reconnects_;
  log_debug("{}: connected", display_url_);
  ever_connected_ = true;
  backoff_.connected(Clock::now());
  return {};
}

Status LiveSource::wait_before_retry(const Error& why) {
  if (why.code == ExitCode::kUsage || (!ever_connected_ && fatal_at_first(why.code))) return fail(why);
  const auto delay = backoff_.next_delay(Clock::now());
  if (!delay) return fail(why);
  const OutageLog::Line line = outage_.failed(Clock::now(), why.what(), *delay);
  log_at(line.level, "{}", line.text);
  const auto until = Clock::now() + *delay;
  while (Clock::now() < until) {
    if (stop_requested()) return fail(interrupted(display_url_));
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), until - Clock::now()));
  }
  return {};
}

Result<bool> LiveSource::read(AVPacket* pkt) {
  // Each iteration either returns or makes one bounded attempt; the number of
  // attempts is bounded by backoff.max_retries and by stop_requested().
  for (;;) {
    if (stop_requested()) return fail(interrupted(display_url_));
    if (!source_) {
      if (auto c = connect(); !c) {
        if (auto w = wait_before_retry(c.error()); !w) return fail(w.error());
        continue;
      }
    }
    auto r = source_->read(pkt);
    const bool network = is_network(source_->url().kind);
    std::optional<Error> why;
    if (r && *r && !keyframe_seen_) why = check_keyframe(*pkt, network);
    if (!why) {
      if (r && *r && keyframe_seen_ && outage_.down()) {
        if (auto back = outage_.recovered(Clock::now())) log_notice("{}: {}", display_url_, *back);
      }
      if (r && (*r || !network)) return *r;  // a packet, or the end of a file
      // A camera never ends its stream: EOF means it closed the connection.
      why = r ? Error{ExitCode::kUnreachable, display_url_ + ": the camera closed the stream", ""} : r.error();
    }
    source_.reset();
    if (stop_requested()) return fail(interrupted(display_url_));
    if (auto w = wait_before_retry(*why); !w) return fail(w.error());
  }
}

std::optional<Error> LiveSource::check_keyframe(const AVPacket& pkt, bool enforce) {
  const AVStream* video = source_->video();
  if (video == nullptr || (pkt.stream_index == video->index && (pkt.flags & AV_PKT_FLAG_KEY) != 0)) {
    keyframe_seen_ = true;
    return std::nullopt;
  }
  if (!enforce) return std::nullopt;
  const auto limit = opts_.stall_timeout * LiveOptions::kKeyframeStalls;
  if (Clock::now() - connected_at_ <= limit) return std::nullopt;
  return Error{ExitCode::kUnreachable,
               fmt::format("{}: no keyframe within {:g} s", display_url_, limit.count() / 1000.0), ""};
}

}  // namespace cctv
