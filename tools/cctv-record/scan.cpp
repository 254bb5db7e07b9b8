// SPDX-License-Identifier: MIT
// Segment files read back: the MP4 box structure (moov, moof) by hand, MPEG-TS through libavformat.
#include "scan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

#include "cctv/av.hpp"

namespace cctv::record {

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
std::uint64_t be64(const std::uint8_t* p) { return (std::uint64_t{be32(p)} << 32) | be32(p + 4); }

// A bounded view of a box's body; reads past the end give 0, so a damaged
// box yields nonsense numbers, never a read out of bounds.
struct View {
  const std::uint8_t* p = nullptr;
  size_t n = 0;
  std::uint32_t u32(size_t at) const { return at + 4 <= n ? be32(p + at) : 0; }
  std::uint64_t u64(size_t at) const { return at + 8 <= n ? be64(p + at) : 0; }
  std::uint8_t version() const { return n > 0 ? p[0] : 0; }
};

// Calls f(type, body) for each child box in `v`.
template <typename F>
void children(View v, F f) {
  size_t at = 0;
  while (at + 8 <= v.n) {
    std::uint64_t size = be32(v.p + at);
    size_t header = 8;
    if (size == 1) {
      if (at + 16 > v.n) return;
      size = be64(v.p + at + 8);
      header = 16;
    } else if (size == 0) {
      size = v.n - at;
    }
    if (size < header || size > v.n - at) return;
    f(std::string_view(reinterpret_cast<const char*>(v.p + at + 4), 4), View{v.p + at + header, size - header});
    at += size;
  }
}

struct Track {
  std::uint32_t id = 0;
  std::uint32_t timescale = 0;
  bool video = false;
};

struct Moov {
  Track video;
  std::uint32_t trex_duration = 0, trex_flags = 0;
  std::optional<WallClock::time_point> date;
  std::optional<std::int64_t> created;  // seconds since 1970
};

}  // namespace

std::optional<WallClock::time_point> parse_iso_utc(const std::string& s) {
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  std::int64_t us = 0;
  if (*rest == '.') {
    int digits = 0;
    for (++rest; *rest >= '0' && *rest <= '9'; ++rest) {
      if (digits++ < 6) us = us * 10 + (*rest - '0');
    }
    for (; digits < 6; ++digits) us *= 10;
  }
  return WallClock::from_time_t(timegm(&tm)) + std::chrono::microseconds(us);
}

namespace {

void parse_trak(View trak, Moov& m) {
  Track t;
  children(trak, [&](std::string_view type, View b) {
    if (type == "tkhd") t.id = b.u32(b.version() == 1 ? 20 : 12);
    if (type != "mdia") return;
    children(b, [&](std::string_view type2, View c) {
      if (type2 == "mdhd") t.timescale = c.u32(c.version() == 1 ? 20 : 12);
      if (type2 == "hdlr" && c.n >= 12) t.video = std::string_view(reinterpret_cast<const char*>(c.p + 8), 4) == "vide";
    });
  });
  if (t.video && !m.video.video) m.video = t;
}

// udta/meta/ilst/\251day/data: the date tag SegmentWriter writes.
void parse_udta(View udta, Moov& m) {
  children(udta, [&](std::string_view type, View meta) {
    if (type != "meta" || meta.n < 4) return;
    children(View{meta.p + 4, meta.n - 4}, [&](std::string_view t2, View ilst) {
      if (t2 != "ilst") return;
      children(ilst, [&](std::string_view t3, View day) {
        if (t3 != "\251day") return;
        children(day, [&](std::string_view t4, View data) {
          if (t4 == "data" && data.n > 8) {
            m.date = parse_iso_utc(std::string(reinterpret_cast<const char*>(data.p + 8), data.n - 8));
          }
        });
      });
    });
  });
}

Moov parse_moov(View moov) {
  Moov m;
  children(moov, [&](std::string_view type, View b) {
    if (type == "mvhd" && b.n > 12) {
      const std::uint64_t t = b.version() == 1 ? b.u64(4) : b.u32(4);
      if (t > 2082844800u) m.created = static_cast<std::int64_t>(t - 2082844800u);  // 1904 -> 1970
    }
    if (type == "trak") parse_trak(b, m);
    if (type == "udta") parse_udta(b, m);
  });
  children(moov, [&](std::string_view type, View b) {
    if (type != "mvex") return;
    children(b, [&](std::string_view t2, View trex) {
      if (t2 == "trex" && trex.u32(4) == m.video.id) {
        m.trex_duration = trex.u32(12);
        m.trex_flags = trex.u32(20);
      }
    });
  });
  return m;
}

// The video of one moof: its decode time, the first sample's flags, the duration.
struct Fragment {
  bool has_video = false;
  std::uint64_t base = 0;
  std::uint64_t duration = 0;
  bool key = false;
};

void parse_trun(View b, std::uint32_t def_duration, std::uint32_t def_flags, Fragment& f, bool first) {
  const std::uint32_t flags = b.u32(0) & 0xffffff;
  const std::uint32_t count = b.u32(4);
  size_t at = 8;
  if (flags & 0x1) at += 4;
  std::optional<std::uint32_t> first_flags;
  if (flags & 0x4) {
    first_flags = b.u32(at);
    at += 4;
  }
  const size_t per = 4 * (((flags & 0x100) != 0) + ((flags & 0x200) != 0) + ((flags & 0x400) != 0) + ((flags & 0x800) != 0));
  for (std::uint32_t i = 0; i < count && at + per <= b.n; ++i, at += per) {
    f.duration += (flags & 0x100) ? b.u32(at) : def_duration;
    if (i == 0 && first && !first_flags) {
      const size_t flags_at = at + 4 * (((flags & 0x100) != 0) + ((flags & 0x200) != 0));
      first_flags = (flags & 0x400) ? b.u32(flags_at) : def_flags;
    }
  }
  if (first) f.key = !(first_flags.value_or(def_flags) & 0x10000);  // sample_is_non_sync_sample
}

Fragment parse_moof(View moof, const Moov& m) {
  Fragment f;
  children(moof, [&](std::string_view type, View traf) {
    if (type != "traf") return;
    std::uint32_t def_duration = m.trex_duration, def_flags = m.trex_flags;
    bool ours = false;
    bool first = true;
    children(traf, [&](std::string_view t2, View b) {
      if (t2 == "tfhd") {
        const std::uint32_t flags = b.u32(0) & 0xffffff;
        ours = b.u32(4) == m.video.id;
        size_t at = 8;
        if (flags & 0x1) at += 8;
        if (flags & 0x2) at += 4;
        if (flags & 0x8) def_duration = b.u32(at), at += 4;
        if (flags & 0x10) at += 4;
        if (flags & 0x20) def_flags = b.u32(at);
      } else if (t2 == "tfdt" && ours) {
        f.base = b.version() == 1 ? b.u64(4) : b.u32(4);
      } else if (t2 == "trun" && ours) {
        f.has_video = true;
        parse_trun(b, def_duration, def_flags, f, first);
        first = false;
      }
    });
  });
  return f;
}

Error read_error(const fs::path& p, const std::string& cause) {
  return {ExitCode::kOutput, "cannot read '" + p.string() + "'", cause};
}

bool read_at(int fd, std::int64_t off, Bytes& buf, size_t n) {
  buf.resize(n);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, buf.data() + got, n - got, static_cast<off_t>(off + static_cast<std::int64_t>(got)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<ScannedFile> scan_mp4(const fs::path& p) {
  Fd f{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st {};
  if (f.fd < 0 || ::fstat(f.fd, &st) != 0) return fail(read_error(p, std::strerror(errno)));
  const std::int64_t size = st.st_size;
  ScannedFile out;
  std::optional<Moov> moov;
  Fragment pending;  // a moof whose mdat is not checked yet (has_video: one is pending)
  std::int64_t pending_at = 0;
  double first = -1;
  Bytes buf;
  for (std::int64_t at = 0; at + 8 <= size;) {
    if (!read_at(f.fd, at, buf, static_cast<size_t>(std::min<std::int64_t>(16, size - at)))) break;
    std::uint64_t box = be32(buf.data());
    if (box == 1 && buf.size() >= 16) box = be64(buf.data() + 8);
    const std::string type(reinterpret_cast<const char*>(buf.data() + 4), 4);  // buf is read into below
    if (box < 8 || static_cast<std::int64_t>(box) > size - at || type == "mfra") break;  // cut short, or the end
    const auto next = at + static_cast<std::int64_t>(box);
    if (type == "moov" || (type == "moof" && moov)) {
      if (box > (64u << 20) || !read_at(f.fd, at + 8, buf, box - 8)) break;
      const View body{buf.data(), buf.size()};
      if (type == "moov") {
        moov = parse_moov(body);
        out.init_size = next;
        out.media_end = next;
      } else {
        pending = parse_moof(body, *moov);
        pending_at = at;
      }
    } else if (type == "mdat" && moov) {
      if (pending.has_video && moov->video.timescale > 0) {
        const double base = static_cast<double>(pending.base) / moov->video.timescale;
        if (first < 0) first = base;
        out.marks.push_back({pending_at, base - first, pending.key});
        out.end_time = base - first + static_cast<double>(pending.duration) / moov->video.timescale;
      }
      pending = Fragment{};
      out.media_end = next;
    }
    at = next;
  }
  if (!moov) return fail(read_error(p, "no moov box: not an MP4 written by cctv-record"));
  if (moov->date) {
    out.start = moov->date;
  } else if (moov->created) {
    out.start = WallClock::from_time_t(static_cast<std::time_t>(*moov->created));
  }
  return out;
}

Result<ScannedFile> scan_ts(const fs::path& p) {
  AVFormatContext* raw = nullptr;
  if (int e = avformat_open_input(&raw, p.c_str(), av_find_input_format("mpegts"), nullptr); e < 0) {
    return fail(read_error(p, av::error_string(e)));
  }
  av::InputPtr ic(raw);
  const int video = av_find_best_stream(ic.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (video < 0) return fail(read_error(p, "no video stream"));
  const AVRational tb = ic->streams[video]->time_base;
  ScannedFile out;
  auto pkt = av::make_packet();
  std::int64_t first = AV_NOPTS_VALUE;
  while (av_read_frame(ic.get(), pkt.get()) >= 0) {
    if (pkt->stream_index == video && pkt->dts != AV_NOPTS_VALUE && pkt->pos >= 0) {
      if (first == AV_NOPTS_VALUE) first = pkt->dts;
      out.marks.push_back({pkt->pos, static_cast<double>(pkt->dts - first) * av_q2d(tb),
                           (pkt->flags & AV_PKT_FLAG_KEY) != 0});
    }
    av_packet_unref(pkt.get());
  }
  if (out.marks.empty()) return fail(read_error(p, "no video packet"));
  // The last packet may be cut short (a killed recorder): the media ends where it begins.
  out.media_end = out.marks.back().offset;
  out.end_time = out.marks.back().time;
  out.marks.pop_back();
  if (!out.marks.empty()) out.marks.front().offset = 0;  // the PAT and PMT before the first packet
  return out;
}

}  // namespace cctv::record
