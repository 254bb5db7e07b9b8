// SPDX-License-Identifier: MIT
// Opening sources with a deadline on every blocking call, and classifying failures.
#include "cctv/source.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cctv/backoff.hpp"
#include "cctv/log.hpp"
#include "cctv/signals.hpp"

namespace cctv {

// Standard input read through our own AVIOContext: FFmpeg's pipe protocol
// blocks in read(), where neither a deadline nor a signal can reach it.
struct StdinIo {
  std::vector<uint8_t> head;  // bytes read ahead to pick the demuxer
  size_t head_pos = 0;
  AVIOContext* avio = nullptr;
  ~StdinIo() {
    if (avio != nullptr) av_freep(&avio->buffer);
    avio_context_free(&avio);
  }
};

struct Source::State {
  SourceUrl url;
  std::string display_url;
  SourceOptions opts;
  std::unique_ptr<StdinIo> stdin_io;  // declared before fmt: freed after it
  av::InputPtr fmt;
  int video = -1;
  int audio = -1;
  Clock::time_point deadline{};
  bool timed_out = false;
  std::string transport;
  // lavfi pacing: a built-in camera runs in real time, like a camera.
  std::optional<Clock::time_point> pace_start;
  int64_t pace_first_pts = 0;

  void pace(const AVPacket& pkt);

  void arm(std::chrono::milliseconds limit) {
    timed_out = false;
    deadline = Clock::now() + limit;
  }
};

namespace {

// FFmpeg polls this from every blocking network call (about every 100 ms).
// The RTSP `timeout` option alone does not cover a server that accepts and
// then says nothing during the handshake, so the deadline lives here.
int interrupt_cb(void* opaque) {
  auto* s = static_cast<Source::State*>(opaque);
  if (s->opts.abort_on_signal && stop_requested()) return 1;
  if (Clock::now() > s->deadline) {
    s->timed_out = true;
    return 1;
  }
  return 0;
}

// For RTSP, the transport of the first attempt: kAuto starts with TCP.
std::string transport_of(const SourceUrl& url, const SourceOptions& opts) {
  switch (url.kind) {
    case SourceKind::kRtsp:
    case SourceKind::kRtsps: return opts.transport == Transport::kUdp ? "udp" : "tcp";
    case SourceKind::kHttp:
    case SourceKind::kHttps: return "http";
    case SourceKind::kLavfi: return "lavfi";
    case SourceKind::kStdin: return "stdin";
    case SourceKind::kFile: break;
  }
  return "file";
}

// `transport`: "tcp" or "udp" for RTSP, ignored otherwise.
AVDictionary* input_options(const SourceUrl& url, const SourceOptions& opts, const std::string& transport) {
  AVDictionary* d = nullptr;
  const auto us = std::to_string(std::chrono::microseconds(opts.timeout).count());
  if (url.kind == SourceKind::kRtsp || url.kind == SourceKind::kRtsps) {
    // One transport per attempt: FFmpeg's own fallback tries UDP first and
    // can hang for a minute where UDP is dropped.
    av_dict_set(&d, "rtsp_transport", transport.c_str(), 0);
    // FFmpeg 5: `timeout` is the socket I/O timeout (`stimeout` is gone).
    av_dict_set(&d, "timeout", us.c_str(), 0);
    av_dict_set(&d, "user_agent", "cctv-tools/" CCTV_VERSION, 0);
  } else if (url.kind == SourceKind::kHttp || url.kind == SourceKind::kHttps) {
    av_dict_set(&d, "timeout", us.c_str(), 0);
    av_dict_set(&d, "user_agent", "cctv-tools/" CCTV_VERSION, 0);
    // Multipart MJPEG is detected from the first bytes; do not read a megabyte first.
    av_dict_set(&d, "probesize", "65536", 0);
  }
  return d;
}

// --user and a password source override the URL's userinfo piece by piece:
// `rtsp://admin@cam/` with $CCTV_PASSWORD set is the common case.
std::string ffmpeg_url(const SourceUrl& url, const SourceOptions& opts) {
  if (url.kind == SourceKind::kLavfi || url.kind == SourceKind::kFile) return url.path;
  if (url.kind == SourceKind::kStdin) return "pipe:0";  // informative: read through StdinIo
  if (opts.user.empty() && opts.password.empty()) return url.original;
  return url_with_credentials(url, opts.user.empty() ? url.user : opts.user,
                              opts.password.empty() ? url.password : opts.password);
}

std::string display_of(const SourceUrl& url, const SourceOptions& opts) {
  if (url.kind == SourceKind::kStdin) return "stdin";
  if (!is_network(url.kind)) return url.original;
  return redact(ffmpeg_url(url, opts));
}


// One read(2) from standard input, waiting in poll() slices of 100 ms so the
// source's deadline and a stop request are honoured.
int read_stdin_once(Source::State* s, uint8_t* buf, int size) {
  for (;;) {
    if (interrupt_cb(s) != 0) return AVERROR_EXIT;
    pollfd p{STDIN_FILENO, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno != EINTR) return AVERROR(errno);
    if (ready <= 0) continue;
    const ssize_t n = ::read(STDIN_FILENO, buf, static_cast<size_t>(size));
    if (n > 0) return static_cast<int>(n);
    if (n == 0) return AVERROR_EOF;
    if (errno != EINTR && errno != EAGAIN) return AVERROR(errno);
  }
}

int read_stdin(void* opaque, uint8_t* buf, int size) {
  auto* s = static_cast<Source::State*>(opaque);
  StdinIo& io = *s->stdin_io;
  if (io.head_pos < io.head.size()) {
    const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(size), io.head.size() - io.head_pos));
    std::memcpy(buf, io.head.data() + io.head_pos, static_cast<size_t>(n));
    io.head_pos += static_cast<size_t>(n);
    return n;
  }
  return read_stdin_once(s, buf, size);
}

// The demuxer for standard input, from its first bytes: FFmpeg's probe needs
// far more data than a slow JPEG producer has sent, and then fails. A JPEG
// (FF D8) starts concatenated JPEGs, "--" a multipart stream; anything else
// (MPEG-TS, Matroska...) is left to the probe.
const AVInputFormat* stdin_format(const std::vector<uint8_t>& head) {
  if (head.size() >= 2 && head[0] == 0xFF && head[1] == 0xD8) return av_find_input_format("mjpeg");
  size_t i = 0;
  while (i < head.size() && (head[i] == '\r' || head[i] == '\n')) ++i;
  if (head.size() >= i + 2 && head[i] == '-' && head[i + 1] == '-') return av_find_input_format("mpjpeg");
  return nullptr;
}

// Sets up `ctx` to read standard input and returns the demuxer to force.
Result<const AVInputFormat*> open_stdin(Source::State* s, AVFormatContext* ctx) {
  constexpr int kBuffer = 64 * 1024;
  s->stdin_io = std::make_unique<StdinIo>();
  auto& head = s->stdin_io->head;
  head.resize(kBuffer);
  size_t got = 0;
  while (got < 2) {  // enough to tell a JPEG from a multipart boundary
    const int n = read_stdin_once(s, head.data() + got, static_cast<int>(head.size() - got));
    if (n == AVERROR_EOF) break;
    if (n < 0) return fail(classify_av_error(n, "stdin", s->timed_out, s->opts.timeout));
    got += static_cast<size_t>(n);
  }
  head.resize(got);
  if (got == 0) return fail(ExitCode::kNotFound, "stdin: no input (end of file)");
  auto* buffer = static_cast<uint8_t*>(av_malloc(kBuffer));
  if (buffer == nullptr) return fail(ExitCode::kFailure, "out of memory");
  s->stdin_io->avio = avio_alloc_context(buffer, kBuffer, 0, s, read_stdin, nullptr, nullptr);
  if (s->stdin_io->avio == nullptr) {
    av_free(buffer);
    return fail(ExitCode::kFailure, "out of memory");
  }
  ctx->pb = s->stdin_io->avio;
  ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
  return stdin_format(head);
}

}  // namespace

Error classify_av_error(int averror, std::string_view display_url, bool timed_out,
                        std::chrono::milliseconds timeout) {
  const std::string url(display_url);
  const std::string cause = av::error_string(averror);
  if (timed_out) {
    return {ExitCode::kUnreachable,
            fmt::format("{}: no answer within {:g} s (timed out)", url, timeout.count() / 1000.0), "", true};
  }
  if (stop_requested() && averror == AVERROR_EXIT) {
    return {ExitCode::kFailure, url + ": interrupted", ""};
  }
  switch (averror) {
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
      return {ExitCode::kAuth, url + ": authentication failed", cause};
    case AVERROR_HTTP_NOT_FOUND:
      return {ExitCode::kNotFound, url + ": stream not found", cause};
    case AVERROR(ENOENT):
      return {ExitCode::kNotFound, url + ": no such file", ""};
    case AVERROR(ECONNREFUSED):
      return {ExitCode::kUnreachable, url + ": connection refused", ""};
    case AVERROR(ETIMEDOUT):
      return {ExitCode::kUnreachable, url + ": timed out", "", true};
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH):
    case AVERROR(ECONNRESET):
    case AVERROR(EPIPE):
      return {ExitCode::kUnreachable, url + ": unreachable", cause};
    case AVERROR_PROTOCOL_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_DECODER_NOT_FOUND:
      return {ExitCode::kUnsupported, url + ": unsupported", cause};
    default: break;
  }
  return {ExitCode::kFailure, url + ": cannot open", cause};
}

Source::Source(std::unique_ptr<State> s) : s_(std::move(s)) {}
Source::Source(Source&&) noexcept = default;
Source& Source::operator=(Source&&) noexcept = default;
Source::~Source() = default;

namespace {

// Errors that depend on the kind of source: a DNS failure is EIO for FFmpeg,
// a file it cannot parse is INVALIDDATA.
Error refine(Error e, int averror, const SourceUrl& url, const std::string& display_url) {
  if (e.code != ExitCode::kFailure) return e;
  if (is_network(url.kind) && averror == AVERROR(EIO)) {
    e.code = ExitCode::kUnreachable;
    e.message = display_url + ": cannot connect (DNS or network)";
  } else if (url.kind == SourceKind::kFile && averror == AVERROR_INVALIDDATA) {
    e.code = ExitCode::kUnsupported;
    e.message = url.path + ": unrecognised format";
  }
  return e;
}

AVFormatContext* new_context(Source::State& s) {
  AVFormatContext* ctx = avformat_alloc_context();
  if (ctx != nullptr) ctx->interrupt_callback = {interrupt_cb, &s};
  return ctx;
}

// One avformat_open_input over s.transport; frees `ctx` on failure.
int open_input(Source::State& s, AVFormatContext*& ctx, const AVInputFormat* ifmt) {
  AVDictionary* dict = input_options(s.url, s.opts, s.transport);
  log_debug("opening {} over {}", s.display_url, s.transport);
  const int rc = avformat_open_input(&ctx, ffmpeg_url(s.url, s.opts).c_str(), ifmt, &dict);
  av_dict_free(&dict);
  return rc;
}

bool is_rtsp(const SourceUrl& url) { return url.kind == SourceKind::kRtsp || url.kind == SourceKind::kRtsps; }

// FFmpeg's answer to "461 Unsupported Transport" for the only transport it
// was allowed is EPROTONOSUPPORT ("Protocol not supported"), which tells a
// user nothing: name the refusal and the other transport.
Error transport_refused(const Source::State& s) {
  constexpr std::string_view kRefuses = "the camera refuses RTSP over";
  if (s.opts.transport == Transport::kAuto) {
    return {ExitCode::kUnsupported, fmt::format("{}: {} TCP and UDP (461 Unsupported Transport)", s.display_url, kRefuses), ""};
  }
  const bool tcp = s.transport == "tcp";
  return {ExitCode::kUnsupported,
          fmt::format("{}: {} {} (461 Unsupported Transport); try --transport {}", s.display_url, kRefuses,
                      tcp ? "TCP" : "UDP", tcp ? "udp" : "tcp"),
          ""};
}

}  // namespace

Result<Source> Source::open(std::string_view text, const SourceOptions& opts) {
  av::init();
  auto url = parse_source_url(text);
  if (!url) return fail(url.error());
  auto s = std::make_unique<State>();
  s->url = std::move(*url);
  s->opts = opts;
  s->display_url = display_of(s->url, opts);
  s->transport = transport_of(s->url, opts);

  AVFormatContext* ctx = new_context(*s);
  if (ctx == nullptr) return fail(ExitCode::kFailure, "out of memory");
  const bool lavfi = s->url.kind == SourceKind::kLavfi;
  const AVInputFormat* ifmt = lavfi && av::load_devices() ? av_find_input_format("lavfi") : nullptr;
  if (s->url.kind == SourceKind::kLavfi && ifmt == nullptr) {
    avformat_free_context(ctx);
    return fail(ExitCode::kUnsupported, "this FFmpeg has no lavfi device");
  }
  s->arm(opts.timeout);
  if (s->url.kind == SourceKind::kStdin) {
    auto forced = open_stdin(s.get(), ctx);
    if (!forced) {
      avformat_free_context(ctx);
      return fail(forced.error());
    }
    ifmt = *forced;
  }
  int rc = open_input(*s, ctx, ifmt);
  const bool refused = rc == AVERROR(EPROTONOSUPPORT) && is_rtsp(s->url);
  if (refused && opts.transport == Transport::kAuto && !s->timed_out) {
    log_notice("{}: the camera refuses RTSP over TCP (461 Unsupported Transport); using UDP, "
               "which firewalls and NAT may drop", s->display_url);
    s->transport = "udp";
    ctx = new_context(*s);
    rc = ctx != nullptr ? open_input(*s, ctx, ifmt) : AVERROR(ENOMEM);
  }
  if (rc < 0) {  // avformat_open_input freed ctx
    if (rc == AVERROR(EPROTONOSUPPORT) && is_rtsp(s->url)) return fail(transport_refused(*s));
    return fail(refine(classify_av_error(rc, s->display_url, s->timed_out, opts.timeout), rc, s->url, s->display_url));
  }
  s->fmt.reset(ctx);
  s->video = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  s->audio = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (s->video < 0) return fail(ExitCode::kNotFound, s->display_url + ": no video stream");
  return Source(std::move(s));
}

void Source::State::pace(const AVPacket& pkt) {
  if (pkt.pts == AV_NOPTS_VALUE) return;
  if (!pace_start) {
    pace_start = Clock::now();
    pace_first_pts = pkt.pts;
    return;
  }
  const AVRational tb = fmt->streams[pkt.stream_index]->time_base;
  const auto due = *pace_start + std::chrono::microseconds(av_rescale_q(pkt.pts - pace_first_pts, tb, {1, 1000000}));
  // Sleep in slices so that a signal still ends the wait promptly.
  while (Clock::now() < due && !(opts.abort_on_signal && stop_requested())) {
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(50), due - Clock::now()));
  }
}

Result<bool> Source::read(AVPacket* pkt) {
  av_packet_unref(pkt);
  const auto limit = s_->opts.read_timeout.value_or(s_->opts.timeout);
  s_->arm(limit);
  const int rc = av_read_frame(s_->fmt.get(), pkt);
  if (rc == AVERROR_EOF) return false;
  if (rc < 0) {
    Error e = classify_av_error(rc, s_->display_url, s_->timed_out, limit);
    if (e.code == ExitCode::kFailure && is_network(s_->url.kind)) {
      e.code = ExitCode::kUnreachable;  // a read error on a live stream is a lost camera
      e.message = s_->display_url + ": connection lost";
    }
    return fail(std::move(e));
  }
  if (s_->url.kind == SourceKind::kLavfi) s_->pace(*pkt);
  return true;
}

AVFormatContext* Source::format() const { return s_->fmt.get(); }
AVStream* Source::video() const { return s_->video >= 0 ? s_->fmt->streams[s_->video] : nullptr; }
AVStream* Source::audio() const { return s_->audio >= 0 ? s_->fmt->streams[s_->audio] : nullptr; }
const SourceUrl& Source::url() const { return s_->url; }
const std::string& Source::display_url() const { return s_->display_url; }
std::string_view Source::transport_name() const { return s_->transport; }

}  // namespace cctv
