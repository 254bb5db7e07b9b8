// SPDX-License-Identifier: MIT
// MSE viewers' queues with keyframe skipping, and the per-camera GOP cache.
#include "media_hub.hpp"

#include <algorithm>
#include <utility>

#include "ll_hls.hpp"

namespace cctv::mjpeg {

namespace {
// A GOP larger than this is not cached whole: new viewers then wait for the
// next keyframe rather than the server holding unbounded memory.
constexpr std::size_t kMaxGopBytes = 32u << 20;
// LL-HLS windows are fed while a request came within this; a client counts
// as a session while it asked for a playlist within kHlsSession.
constexpr auto kHlsKeep = std::chrono::seconds(30);
constexpr auto kHlsSession = std::chrono::seconds(10);
}  // namespace

MediaHub::MediaHub(QueueLimits limits) : MediaHub(limits, HlsConfig{}) {}

MediaHub::MediaHub(QueueLimits limits, const HlsConfig& hls)
    : limits_(limits), hls_always_(hls.always), hls_fed_(hls.always) {
  for (auto& w : hls_) w = std::make_unique<HlsWindow>(hls);
}

MediaHub::~MediaHub() = default;

void MediaQueue::set_wake(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

void MediaQueue::put_init(MediaInitPtr init) {
  std::lock_guard lock(mu_);
  init_ = std::move(init);
  waiting_.clear();
  bytes_ = 0;
  skipping_ = true;
  if (wake_) wake_();
}

bool MediaQueue::put(const MediaFragmentPtr& f, MediaClock::time_point now) {
  std::lock_guard lock(mu_);
  if (!end_.empty()) return false;
  bool started_skip = false;
  if (!skipping_ && !waiting_.empty() &&
      (bytes_ + f->bytes.size() > limits_.max_bytes || now - waiting_.front().queued > limits_.max_wait)) {
    // Behind by more than the limits: drop what waits and resume at the next keyframe.
    waiting_.clear();
    bytes_ = 0;
    skipping_ = true;
    started_skip = true;
    ++skips_;
  }
  if (skipping_) {
    if (!f->key) return started_skip;
    skipping_ = false;
  }
  waiting_.push_back({f, now});
  bytes_ += f->bytes.size();
  if (wake_) wake_();
  return started_skip;
}

void MediaQueue::put_end(std::string why) {
  std::lock_guard lock(mu_);
  end_ = std::move(why);
  waiting_.clear();
  bytes_ = 0;
  if (wake_) wake_();
}

MediaQueue::Batch MediaQueue::take() {
  std::lock_guard lock(mu_);
  Batch b;
  b.init = std::exchange(init_, nullptr);
  b.fragments.reserve(waiting_.size());
  for (auto& w : waiting_) b.fragments.push_back(std::move(w.fragment));
  waiting_.clear();
  bytes_ = 0;
  b.end = end_;
  return b;
}

std::uint64_t MediaQueue::skips() const {
  std::lock_guard lock(mu_);
  return skips_;
}

void MediaHub::set_supported(bool supported, std::string why) {
  std::lock_guard lock(mu_);
  unsupported_ = supported ? std::string() : std::move(why);
  if (supported) return;
  for (auto& v : viewers_) v.queue->put_end(unsupported_);
}

void MediaHub::set_audio(bool has_audio) {
  std::lock_guard lock(mu_);
  has_audio_ = has_audio;
}

void MediaHub::start(MediaQueue& q, const Variant& v, MediaClock::time_point now) {
  if (!v.init) return;
  q.put_init(v.init);
  for (const auto& f : v.gop) q.put(f, now);
}

void MediaHub::publish_init(int variant, MediaInitPtr init) {
  std::lock_guard lock(mu_);
  Variant& v = variants_[variant];
  v.init = std::move(init);
  v.gop.clear();
  v.gop_bytes = 0;
  ++generations_;
  hls_[variant]->set_init(v.init);
  for (auto& viewer : viewers_) {
    if (variant_of(viewer.audio) == variant) viewer.queue->put_init(v.init);
  }
}

void MediaHub::publish(int variant, MediaFragmentPtr f) {
  const auto now = MediaClock::now();
  std::lock_guard lock(mu_);
  Variant& v = variants_[variant];
  if (f->key) {
    v.gop.clear();
    v.gop_bytes = 0;
  }
  if (v.gop_bytes + f->bytes.size() <= kMaxGopBytes && (f->key || !v.gop.empty())) {
    v.gop.push_back(f);
    v.gop_bytes += f->bytes.size();
  } else {
    v.gop.clear();  // too long a GOP: the next viewer waits for a keyframe
    v.gop_bytes = 0;
  }
  for (auto& viewer : viewers_) {
    if (variant_of(viewer.audio) != variant) continue;
    if (viewer.queue->put(f, now)) ++skips_;
  }
  if (hls_fed_ && !hls_always_ && now - last_hls_ > kHlsKeep) {  // nobody asked for a while: stop, free the memory
    hls_fed_ = false;
    for (auto& w : hls_) w->clear();
  }
  if (hls_fed_) hls_[variant]->add(*f);
}

HlsWindow& MediaHub::hls(bool audio, const std::string& client) {
  const auto now = MediaClock::now();
  std::lock_guard lock(mu_);
  last_hls_ = now;
  if (!hls_fed_) {  // the GOP so far: the first segment ends at the next keyframe, not one GOP later
    hls_fed_ = true;
    for (int v : {kVideoOnly, kWithAudio}) {
      for (const auto& f : variants_[v].gop) hls_[v]->add(*f);
    }
  }
  std::erase_if(hls_clients_, [&](const auto& c) { return now - c.second > kHlsSession; });
  hls_clients_[client] = now;
  return *hls_[variant_of(audio)];
}

void MediaHub::count_hls(HlsServed what) { hls_served_[static_cast<int>(what)].fetch_add(1, std::memory_order_relaxed); }

void MediaHub::count_hls_blocked(int delta) {
  if (delta > 0) hls_blocked_.fetch_add(1, std::memory_order_relaxed);
  else hls_blocked_.fetch_sub(1, std::memory_order_relaxed);
}

void MediaHub::drop_cache() {
  std::lock_guard lock(mu_);
  for (auto& v : variants_) {
    v.gop.clear();
    v.gop_bytes = 0;
  }
  for (auto& w : hls_) w->clear();
}

bool MediaHub::wanted(MediaClock::time_point now, std::chrono::milliseconds within) const {
  std::lock_guard lock(mu_);
  return !viewers_.empty() || (last_hls_ != MediaClock::time_point{} && now - last_hls_ < within);
}

std::shared_ptr<MediaQueue> MediaHub::subscribe(bool audio) {
  auto q = std::make_shared<MediaQueue>(limits_);
  std::lock_guard lock(mu_);
  viewers_.push_back({q, audio});
  if (!unsupported_.empty()) {
    q->put_end(unsupported_);
  } else {
    start(*q, variants_[variant_of(audio)], MediaClock::now());
  }
  return q;
}

void MediaHub::unsubscribe(const std::shared_ptr<MediaQueue>& q) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(viewers_.begin(), viewers_.end(), [&](const Viewer& v) { return v.queue == q; });
  if (it == viewers_.end()) return;
  viewers_.erase(it);
  if (viewers_.empty()) idle_since_ = MediaClock::now();
}

std::string MediaHub::unsupported() const {
  std::lock_guard lock(mu_);
  return unsupported_;
}

int MediaHub::viewers() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(viewers_.size());
}

std::chrono::milliseconds MediaHub::idle_for(MediaClock::time_point now) const {
  std::lock_guard lock(mu_);
  if (!viewers_.empty()) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - std::max(idle_since_, last_hls_));
}

void MediaHub::count_sent(std::size_t bytes) {
  bytes_out_.fetch_add(bytes, std::memory_order_relaxed);
  fragments_out_.fetch_add(1, std::memory_order_relaxed);
}

MediaStats MediaHub::stats() const {
  MediaStats s;
  std::lock_guard lock(mu_);
  s.viewers = static_cast<int>(viewers_.size());
  s.skips = skips_;
  s.gop_cache_bytes = variants_[variant_of(true)].gop_bytes;
  s.generations = generations_;
  s.bytes_out = bytes_out_.load(std::memory_order_relaxed);
  s.fragments_out = fragments_out_.load(std::memory_order_relaxed);
  const auto now = MediaClock::now();
  for (const auto& [client, last] : hls_clients_) s.hls_sessions += now - last <= kHlsSession ? 1 : 0;
  s.hls_blocked = hls_blocked_.load(std::memory_order_relaxed);
  s.hls_playlists = hls_served_[static_cast<int>(HlsServed::kPlaylist)].load(std::memory_order_relaxed);
  s.hls_parts = hls_served_[static_cast<int>(HlsServed::kPart)].load(std::memory_order_relaxed);
  s.hls_segments = hls_served_[static_cast<int>(HlsServed::kSegment)].load(std::memory_order_relaxed);
  return s;
}

}  // namespace cctv::mjpeg
