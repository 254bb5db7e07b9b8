// SPDX-License-Identifier: MIT
// The camera side of the recorder: a thread reading a LiveSource into a queue of events.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cctv/av.hpp"
#include "cctv/live_source.hpp"
#include "segment.hpp"

namespace cctv::record {

struct Event {
  enum class Kind { kConnected, kPacket, kEnd };
  Kind kind = Kind::kPacket;
  av::PacketPtr pkt;     // kPacket
  bool video = false;    // kPacket: the video stream (else the audio stream)
  Streams streams;       // kConnected: the new connection's streams
  Status end;            // kEnd: success (end of a file, stop requested) or the fatal error
};

// Reads the camera on its own thread, so the recorder can notice a silent
// camera (and close its segment) while LiveSource waits to reconnect.
// Packets of streams other than the first video and audio are dropped; the
// queue holds at most kMaxQueued packets (the reader then waits: nothing is
// dropped). Thread safety: next() from one consumer thread.
class PacketReader {
 public:
  static constexpr size_t kMaxQueued = 2000;

  PacketReader(std::string url, LiveOptions opts);
  // Requests a stop (signals.hpp) if the thread still runs, and joins it.
  ~PacketReader();
  PacketReader(const PacketReader&) = delete;
  PacketReader& operator=(const PacketReader&) = delete;

  void start();
  // The next event, or nullopt when none arrived before `deadline`. After
  // kEnd, no more events come.
  std::optional<Event> next(Clock::time_point deadline);

 private:
  void loop();
  void push(Event e);

  LiveSource live_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> queue_;
  size_t packets_ = 0;
  bool closing_ = false;
};

}  // namespace cctv::record
