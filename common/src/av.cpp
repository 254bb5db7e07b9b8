// SPDX-License-Identifier: MIT
// FFmpeg helpers: allocation, error text, and routing av_log into our logger.
#include "cctv/av.hpp"

#include <algorithm>
#include <dlfcn.h>

#include <cstdio>
#include <mutex>
#include <new>

extern "C" {
#include <libavdevice/version.h>  // the soname's major version only: nothing is linked
}

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

ParametersPtr copy_parameters(const AVCodecParameters* p) {
  if (p == nullptr) return nullptr;
  ParametersPtr out(avcodec_parameters_alloc());
  if (out && avcodec_parameters_copy(out.get(), p) < 0) out.reset();
  return out;
}

bool same_parameters(const AVCodecParameters* a, const AVCodecParameters* b) {
  if ((a == nullptr) != (b == nullptr)) return false;
  if (a == nullptr) return true;
  return a->codec_id == b->codec_id && a->width == b->width && a->height == b->height &&
         a->sample_rate == b->sample_rate && a->ch_layout.nb_channels == b->ch_layout.nb_channels &&
         a->extradata_size == b->extradata_size &&
         (a->extradata_size == 0 || std::equal(a->extradata, a->extradata + a->extradata_size, b->extradata));
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
    avformat_network_init();
    av_log_set_callback(log_callback);
  });
}

bool load_devices() {
  static const bool loaded = [] {
    const std::string soname = "libavdevice.so." AV_STRINGIFY(LIBAVDEVICE_VERSION_MAJOR);
    void* lib = dlopen(soname.c_str(), RTLD_NOW | RTLD_GLOBAL);  // kept loaded for the process
    if (lib == nullptr) {
      log_error("cannot load {}: {}", soname, dlerror());
      return false;
    }
    auto* register_all = reinterpret_cast<void (*)()>(dlsym(lib, "avdevice_register_all"));
    if (register_all == nullptr) {
      log_error("{} has no avdevice_register_all", soname);
      return false;
    }
    register_all();
    return true;
  }();
  return loaded;
}

}  // namespace cctv::av
