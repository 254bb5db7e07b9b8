// SPDX-License-Identifier: MIT
// The Low-Latency HLS window: parts and segments cut from the MSE fragments, and the playlist (RFC 8216bis).
#include "ll_hls.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "cctv/times.hpp"

namespace cctv::mjpeg {

namespace {

// Seconds with five decimals, rounded down: a part printed as at most its
// target never prints as more than the printed target.
std::string seconds(std::int64_t ticks) {
  const std::int64_t tenth_ms = ticks * 100000 / kHlsTicks;
  return fmt::format("{}.{:05}", tenth_ms / 100000, tenth_ms % 100000);
}

}  // namespace

void HlsWindow::set_init(MediaInitPtr init) {
  std::lock_guard lock(mu_);
  if (init_ && init && init_->generation == init->generation) return;
  close_part();
  close_segment();
  if (init_) discontinuity_next_ = true;
  init_ = std::move(init);
  want_key_ = true;
  notify();
}

void HlsWindow::add(const MediaFragment& f) {
  std::lock_guard lock(mu_);
  if (!init_) return;
  if (want_key_) {
    if (!f.key) return;
    want_key_ = false;
  }
  const std::int64_t open_duration = open_.duration + part_duration_;
  const bool has_frames = open_duration > 0 || part_frames_ > 0;
  if (has_frames && (f.discontinuity || (f.key && open_duration + f.duration / 2 >= c_.segment_ticks))) {
    close_part();
    close_segment();
  } else if (has_frames && !f.key && open_duration + f.duration > 3 * c_.segment_ticks) {
    // A camera without a keyframe for this long: the segment ends anyway, so
    // that the window stays bounded (the next one is not independent).
    close_part();
    close_segment();
  }
  if (f.discontinuity && (!done_.empty() || next_msn_ > 0)) discontinuity_next_ = true;
  if (part_frames_ > 0 && part_duration_ + f.duration > c_.part_ticks) close_part();
  if (open_.parts.empty() && part_frames_ == 0) {  // the first frame of a segment
    open_.msn = next_msn_;
    open_.generation = init_->generation;
    open_.wall = f.wall;
    open_.discontinuity = std::exchange(discontinuity_next_, false);
    inits_[init_->generation] = init_;
  }
  if (part_frames_ == 0) part_independent_ = f.key;
  part_bytes_.insert(part_bytes_.end(), f.bytes.begin(), f.bytes.end());
  part_duration_ += f.duration;
  ++part_frames_;
  // Sent as soon as another frame of the same length would not fit.
  if (part_duration_ + f.duration > c_.part_ticks) close_part();
}

void HlsWindow::clear() {
  std::lock_guard lock(mu_);
  if (done_.empty() && open_.parts.empty() && part_frames_ == 0) return;
  next_msn_ += open_.parts.empty() && part_frames_ == 0 ? 0 : 1;
  for (const auto& s : done_) discontinuities_ += s.discontinuity ? 1 : 0;
  done_.clear();
  open_ = Segment{};
  part_bytes_.clear();
  part_duration_ = 0;
  part_frames_ = 0;
  ++next_part_;  // a request blocked on the part being made must not get another
  inits_.clear();
  want_key_ = true;
  discontinuity_next_ = true;
  notify();
}

void HlsWindow::close_part() {
  if (part_frames_ == 0) return;
  auto p = std::make_shared<HlsPart>();
  p->bytes = std::move(part_bytes_);
  p->duration = part_duration_;
  p->independent = part_independent_;
  p->number = next_part_++;
  open_.duration += p->duration;
  open_.parts.push_back(std::move(p));
  part_bytes_ = {};
  part_duration_ = 0;
  part_frames_ = 0;
  notify();
}

void HlsWindow::close_segment() {
  if (open_.parts.empty()) return;
  target_s_ = std::max(target_s_, static_cast<int>((open_.duration + kHlsTicks / 2) / kHlsTicks));
  done_.push_back(std::move(open_));
  open_ = Segment{};
  ++next_msn_;
  while (static_cast<int>(done_.size()) > c_.window) {
    discontinuities_ += done_.front().discontinuity ? 1 : 0;
    done_.pop_front();
  }
  // Keep only the init segments the window still names, and the current one.
  for (auto it = inits_.begin(); it != inits_.end();) {
    const bool used = std::any_of(done_.begin(), done_.end(), [&](const Segment& s) { return s.generation == it->first; });
    it = used || (init_ && it->first == init_->generation) ? std::next(it) : inits_.erase(it);
  }
  notify();
}

void HlsWindow::notify() {
  ++version_;
  for (auto& w : waiters_) w();
  waiters_.clear();
}

bool HlsWindow::holds(const HlsWant& w) const {
  if (!w.msn) return !done_.empty();
  if (*w.msn < next_msn_) return true;  // that segment, every part of it included, is complete
  return w.part && *w.msn == next_msn_ && *w.part < open_.parts.size();
}

HlsWindow::Ready HlsWindow::ready(const HlsWant& w, const std::function<void()>& wake) {
  std::lock_guard lock(mu_);
  if (w.msn) {
    // The last Media Segment is next_msn_ - 1: a request beyond it + 2 is too far.
    if (*w.msn > next_msn_ + 1) return Ready::kTooFar;
    const auto limit = static_cast<std::uint64_t>(advance_part_limit());
    if (w.part && *w.msn == next_msn_ && *w.part + 1 > open_.parts.size() + limit) return Ready::kTooFar;
    if (w.part && *w.msn == next_msn_ + 1 && *w.part + 1 > limit) return Ready::kTooFar;
  }
  if (holds(w)) return Ready::kYes;
  if (wake) waiters_.push_back(wake);
  return Ready::kWait;
}

std::string HlsWindow::playlist(std::string_view query) const {
  std::lock_guard lock(mu_);
  if (made_version_ == version_ && made_query_ == query) return made_;
  std::string out = "#EXTM3U\n#EXT-X-VERSION:9\n";
  out += fmt::format("#EXT-X-TARGETDURATION:{}\n", target_s_);
  out += fmt::format("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK={}\n", seconds(3 * c_.part_ticks));
  out += fmt::format("#EXT-X-PART-INF:PART-TARGET={}\n", seconds(c_.part_ticks));
  const std::uint64_t first = done_.empty() ? next_msn_ : done_.front().msn;
  out += fmt::format("#EXT-X-MEDIA-SEQUENCE:{}\n", first);
  out += fmt::format("#EXT-X-DISCONTINUITY-SEQUENCE:{}\n", discontinuities_);
  // Parts are listed for the segments that end within three target durations of the live edge.
  std::int64_t after = open_.duration;
  std::vector<bool> with_parts(done_.size());
  for (std::size_t i = done_.size(); i-- > 0;) {
    with_parts[i] = after < 3 * target_s_ * kHlsTicks;
    after += done_[i].duration;
  }
  std::optional<std::uint64_t> generation;
  const auto head = [&](const Segment& s) {
    if (s.discontinuity) out += "#EXT-X-DISCONTINUITY\n";
    if (generation != s.generation) {
      out += fmt::format("#EXT-X-MAP:URI=\"init.mp4?v={}{}\"\n", s.generation,
                         query.empty() ? std::string() : "&" + std::string(query.substr(1)));
      generation = s.generation;
    }
    out += fmt::format("#EXT-X-PROGRAM-DATE-TIME:{}\n",
                       format_utc(std::chrono::time_point_cast<std::chrono::microseconds>(s.wall), 3));
  };
  const auto parts = [&](const Segment& s) {
    for (const auto& p : s.parts) {
      out += fmt::format("#EXT-X-PART:DURATION={},URI=\"part{}.m4s{}\"{}\n", seconds(p->duration), p->number, query,
                         p->independent ? ",INDEPENDENT=YES" : "");
    }
  };
  for (std::size_t i = 0; i < done_.size(); ++i) {
    const Segment& s = done_[i];
    head(s);
    if (with_parts[i]) parts(s);
    out += fmt::format("#EXTINF:{},\nseg{}.m4s{}\n", seconds(s.duration), s.msn, query);
  }
  if (!open_.parts.empty()) {
    head(open_);
    parts(open_);
  }
  out += fmt::format("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part{}.m4s{}\"\n", next_part_, query);
  made_version_ = version_;
  made_query_ = query;
  made_ = out;
  return out;
}

MediaInitPtr HlsWindow::init(std::optional<std::uint64_t> generation) const {
  std::lock_guard lock(mu_);
  if (!generation) return init_;
  auto it = inits_.find(*generation);
  return it == inits_.end() ? nullptr : it->second;
}

std::vector<HlsPartPtr> HlsWindow::segment(std::uint64_t msn) const {
  std::lock_guard lock(mu_);
  if (done_.empty() || msn < done_.front().msn || msn >= next_msn_) return {};
  return done_[msn - done_.front().msn].parts;
}

HlsPartPtr HlsWindow::part(std::uint64_t number, bool& pending, const std::function<void()>& wake) {
  std::lock_guard lock(mu_);
  pending = number == next_part_;
  if (pending) {
    if (wake) waiters_.push_back(wake);
    return nullptr;
  }
  const auto find = [&](const Segment& s) -> HlsPartPtr {
    if (s.parts.empty() || number < s.parts.front()->number || number > s.parts.back()->number) return nullptr;
    return s.parts[number - s.parts.front()->number];
  };
  if (auto p = find(open_)) return p;
  for (const auto& s : done_) {
    if (auto p = find(s)) return p;
  }
  return nullptr;
}

std::chrono::milliseconds HlsWindow::block_limit() const {
  std::lock_guard lock(mu_);
  return std::chrono::milliseconds(3000LL * target_s_);
}

int HlsWindow::advance_part_limit() const {
  return c_.part_ticks < kHlsTicks ? static_cast<int>(3 * kHlsTicks / c_.part_ticks) : 3;
}

}  // namespace cctv::mjpeg
