// SPDX-License-Identifier: MIT
// FFmpeg helpers: allocation, error text, and routing av_log into our logger.
#include "cctv/av.hpp"

#include <cstdio>
#include <mutex>
#include <new>

#include "cctv/log.hpp"

namespace cctv::av {

PacketPtr make_packet() {
  AVPacket* p = av_packet_alloc();
  if (p == nullptr) throw std::bad_alloc();
  return PacketPtr(p);
}

FramePtr make_frame() {
  AVFrame* f = av_frame_alloc();
  if (f == nullptr) throw std::bad_alloc();
  return FramePtr(f);
}

std::string error_string(int averror) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(averror, buf, sizeof buf) < 0) {
    std::snprintf(buf, sizeof buf, "error %d", averror);
  }
  return buf;
}

namespace {

LogLevel our_level(int av_level) {
  if (av_level <= AV_LOG_ERROR) return LogLevel::kDebug;  // our own errors say it better
  if (av_level <= AV_LOG_INFO) return LogLevel::kDebug;
  return LogLevel::kTrace;
}

// FFmpeg logs in pieces without a newline; keep one line per thread.
void log_callback(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_VERBOSE || !log_enabled(our_level(level))) return;
  thread_local std::string pending;
  thread_local int print_prefix = 1;
  char line[1024];
  av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix);
  pending += line;
  if (!pending.empty() && pending.back() == '\n') {
    pending.pop_back();
    log_line(our_level(level), "ffmpeg: " + pending);
    pending.clear();
  }
}

}  // namespace

void init() {
  static std::once_flag once;
  std::call_once(once, [] {
    avdevice_register_all();
    avformat_network_init();
    av_log_set_callback(log_callback);
  });
}

}  // namespace cctv::av
