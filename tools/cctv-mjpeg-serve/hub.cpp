// SPDX-License-Identifier: MIT
// The per-camera hub: newest-wins slots, demand tracking and counters.
#include "hub.hpp"

#include <algorithm>
#include <utility>

#include "cctv/url.hpp"

namespace cctv::mjpeg {

namespace {
constexpr std::size_t kFpsWindow = 32;  // frames the fps figure is averaged over
}

void ViewerSlot::set_wake(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

bool ViewerSlot::put(JpegPtr frame) {
  bool replaced = false;
  {
    std::lock_guard lock(mu_);
    replaced = frame_ != nullptr;
    if (replaced) ++dropped_;
    frame_ = std::move(frame);
    // Under the lock, so that once set_wake(nullptr) returns no wake-up is
    // still on its way to a viewer that is gone.
    if (wake_) wake_();
  }
  return replaced;
}

JpegPtr ViewerSlot::take() {
  std::lock_guard lock(mu_);
  return std::exchange(frame_, nullptr);
}

std::uint64_t ViewerSlot::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

Hub::Hub(std::string name, std::string display_url, const HlsConfig& hls)
    : name_(std::move(name)), display_url_(std::move(display_url)), media_(std::make_shared<MediaHub>(QueueLimits{}, hls)) {
  recent_.reserve(kFpsWindow);
}

void Hub::subscribe(const std::shared_ptr<ViewerSlot>& slot, bool stream, std::chrono::milliseconds fresh) {
  JpegPtr first;
  {
    std::lock_guard lock(mu_);
    slots_.push_back(slot);
    if (stream) ++stream_viewers_;
    if (latest_ && SteadyClock::now() - latest_->captured <= fresh) first = latest_;
  }
  demand_cv_.notify_all();
  if (first) slot->put(std::move(first));
}

void Hub::unsubscribe(const std::shared_ptr<ViewerSlot>& slot, bool stream) {
  std::lock_guard lock(mu_);
  auto it = std::find(slots_.begin(), slots_.end(), slot);
  if (it == slots_.end()) return;
  slots_.erase(it);
  if (stream) --stream_viewers_;
  if (slots_.empty()) idle_since_ = SteadyClock::now();
}

int Hub::demand() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(slots_.size());
}

std::chrono::milliseconds Hub::idle_for(SteadyClock::time_point now) const {
  std::lock_guard lock(mu_);
  if (!slots_.empty()) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - idle_since_);
}

bool Hub::wait_for_demand(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return demand_cv_.wait_for(lock, timeout, [this] { return !slots_.empty(); });
}

void Hub::publish(std::vector<std::uint8_t> bytes, double encode_seconds) {
  auto jpeg = std::make_shared<Jpeg>();
  jpeg->bytes = std::move(bytes);
  jpeg->captured = SteadyClock::now();
  std::vector<std::shared_ptr<ViewerSlot>> slots;
  {
    std::lock_guard lock(mu_);
    jpeg->seq = latest_ ? latest_->seq + 1 : 1;
    encode_seconds_ += encode_seconds;
    latest_ = jpeg;
    slots = slots_;
  }
  // Outside the lock: a slot's wake-up posts to a viewer's strand.
  std::uint64_t dropped = 0;
  for (const auto& s : slots) dropped += s->put(jpeg) ? 1 : 0;
  dropped_.fetch_add(dropped, std::memory_order_relaxed);
}

void Hub::count_frame_in() {
  frames_in_.fetch_add(1, std::memory_order_relaxed);
  const auto now = SteadyClock::now();
  std::lock_guard lock(mu_);
  last_in_ = now;
  if (recent_.size() < kFpsWindow) {
    recent_.push_back(now);
  } else {
    recent_[recent_next_] = now;
    recent_next_ = (recent_next_ + 1) % kFpsWindow;
  }
}

JpegPtr Hub::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

void Hub::set_connected(bool connected) {
  std::lock_guard lock(mu_);
  connected_ = connected;
  if (connected) last_error_.clear();
}

void Hub::count_sent(std::size_t bytes) {
  frames_out_.fetch_add(1, std::memory_order_relaxed);
  bytes_out_.fetch_add(bytes, std::memory_order_relaxed);
}

void Hub::set_failed(std::string why) {
  std::lock_guard lock(mu_);
  failed_ = true;
  connected_ = false;
  last_error_ = redact(why);  // shown by /healthz: never a camera password
}

void Hub::set_error(std::string why) {
  std::lock_guard lock(mu_);
  connected_ = false;
  last_error_ = redact(why);  // shown by /healthz: never a camera password
}

CameraStats Hub::stats(SteadyClock::time_point now) const {
  CameraStats s;
  std::lock_guard lock(mu_);
  s.connected = connected_;
  s.failed = failed_;
  s.viewers = stream_viewers_;
  s.last_error = last_error_;
  s.encode_seconds = encode_seconds_;
  if (latest_) s.frames_published = latest_->seq;
  if (last_in_) s.last_frame_age_s = std::chrono::duration<double>(now - *last_in_).count();
  // The rate over the frames of the last 2 s: a camera that stopped has none.
  std::optional<SteadyClock::time_point> lo;
  int n = 0;
  for (const auto& t : recent_) {
    if (now - t > std::chrono::seconds(2)) continue;
    ++n;
    if (!lo || t < *lo) lo = t;
  }
  if (n >= 2 && last_in_ && *last_in_ > *lo) {
    s.fps = (n - 1) / std::chrono::duration<double>(*last_in_ - *lo).count();
  }
  s.frames_in = frames_in_.load(std::memory_order_relaxed);
  s.frames_out = frames_out_.load(std::memory_order_relaxed);
  s.bytes_out = bytes_out_.load(std::memory_order_relaxed);
  s.dropped_frames = dropped_.load(std::memory_order_relaxed);
  s.reconnects = reconnects_.load(std::memory_order_relaxed);
  s.media = media_->stats();
  return s;
}

}  // namespace cctv::mjpeg
