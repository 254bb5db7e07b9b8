// SPDX-License-Identifier: MIT
// The reader thread: LiveSource packets and connection changes, queued for the recorder.
#include "reader.hpp"

#include "cctv/signals.hpp"

namespace cctv::record {

PacketReader::PacketReader(std::string url, LiveOptions opts) : live_(std::move(url), std::move(opts)) {}

PacketReader::~PacketReader() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    request_stop();  // LiveSource's reads and waits end on it
    thread_.join();
  }
}

void PacketReader::start() { thread_ = std::thread([this] { loop(); }); }

void PacketReader::push(Event e) {
  std::unique_lock lock(mu_);
  const bool packet = e.kind == Event::Kind::kPacket;
  cv_.wait(lock, [&] { return closing_ || !packet || packets_ < kMaxQueued; });
  if (closing_) return;
  if (packet) ++packets_;
  queue_.push_back(std::move(e));
  lock.unlock();
  cv_.notify_all();
}

void PacketReader::loop() {
  auto pkt = av::make_packet();
  int video = -1, audio = -1;
  for (;;) {
    auto more = live_.read(pkt.get());
    if (!more || !*more) {
      Event end;
      end.kind = Event::Kind::kEnd;
      if (!more && !stop_requested()) end.end = fail(more.error());
      push(std::move(end));
      return;
    }
    if (live_.take_new_connection()) {
      Source& src = *live_.source();
      Event c;
      c.kind = Event::Kind::kConnected;
      c.streams.video = stream_info(*src.video());
      if (src.audio() != nullptr) c.streams.audio = stream_info(*src.audio());
      video = src.video()->index;
      audio = src.audio() != nullptr ? src.audio()->index : -1;
      push(std::move(c));
    }
    if (pkt->stream_index != video && pkt->stream_index != audio) continue;
    Event p;
    p.video = pkt->stream_index == video;
    p.pkt = av::make_packet();
    av_packet_move_ref(p.pkt.get(), pkt.get());
    push(std::move(p));
  }
}

std::optional<Event> PacketReader::next(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_until(lock, deadline, [&] { return !queue_.empty(); })) return std::nullopt;
  Event e = std::move(queue_.front());
  queue_.pop_front();
  if (e.kind == Event::Kind::kPacket) --packets_;
  lock.unlock();
  cv_.notify_all();
  return e;
}

}  // namespace cctv::record
