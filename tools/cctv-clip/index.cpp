// SPDX-License-Identifier: MIT
// Probing recordings: start from creation_time, end from the fragment index or the packets; spans and gaps.
#include "index.hpp"

#include <algorithm>
#include <string_view>
#include <system_error>

#include "cctv/log.hpp"

namespace cctv::clip {

namespace fs = std::filesystem;
using std::chrono::microseconds;

namespace {

constexpr AVRational kMicros{1, 1'000'000};

microseconds to_us(std::int64_t ts, AVRational tb) { return microseconds(av_rescale_q(ts, tb, kMicros)); }

int video_index(const AVFormatContext* fc) {
  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    if (fc->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
        (fc->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool is_mov(const AVFormatContext* fc) { return std::string_view(fc->iformat->name).find("mp4") != std::string_view::npos; }

// The first and the end of the last complete video frame from the MP4
// sample index (FFmpeg reads every fragment header when it opens a file);
// false when there is no index.
bool span_from_index(AVStream* st, std::uintmax_t size, std::int64_t& first, std::int64_t& end) {
  const int n = avformat_index_get_entries_count(st);
  if (n <= 0) return false;
  int last = -1;
  for (int i = n - 1; i >= 0; --i) {
    const AVIndexEntry* e = avformat_index_get_entry(st, i);
    if (e->pos >= 0 && static_cast<std::uintmax_t>(e->pos) + static_cast<std::uintmax_t>(e->size) <= size) {
      last = i;
      break;
    }
  }
  if (last < 0) return false;
  const AVIndexEntry* l = avformat_index_get_entry(st, last);
  std::int64_t step = 0;
  if (last > 0) step = l->timestamp - avformat_index_get_entry(st, last - 1)->timestamp;
  first = avformat_index_get_entry(st, 0)->timestamp;
  end = l->timestamp + std::max<std::int64_t>(step, 0);
  return true;
}

// The same by reading packets (from the start, or from near the known end).
bool span_from_packets(AVFormatContext* fc, int video, std::uintmax_t size, std::int64_t& first, std::int64_t& end) {
  auto pkt = av::make_packet();
  bool any = false;
  first = AV_NOPTS_VALUE;
  while (av_read_frame(fc, pkt.get()) >= 0) {
    const bool complete = (pkt->flags & AV_PKT_FLAG_CORRUPT) == 0 &&
                          (pkt->pos < 0 || static_cast<std::uintmax_t>(pkt->pos + pkt->size) <= size);
    if (!complete) break;
    // Matroska gives video packets a PTS only (read without
    // avformat_find_stream_info): without B-frames it is the DTS.
    const std::int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    if (pkt->stream_index == video && dts != AV_NOPTS_VALUE) {
      if (first == AV_NOPTS_VALUE) first = dts;
      end = std::max(end, dts + std::max<std::int64_t>(pkt->duration, 0));
      any = true;
    }
    av_packet_unref(pkt.get());
  }
  return any;
}

}  // namespace

Result<av::InputPtr> open_recording(const fs::path& p) {
  av::init();
  AVFormatContext* raw = nullptr;
  if (int e = avformat_open_input(&raw, p.c_str(), nullptr, nullptr); e < 0) {
    return fail(ExitCode::kFailure, "cannot read '" + p.string() + "'", av::error_string(e));
  }
  av::InputPtr in(raw);
  // MPEG-TS has no header: its streams' parameters (AAC's sample rate, the
  // picture size), which the muxers need, are only known by reading some.
  if (std::string_view(raw->iformat->name) == "mpegts") {
    if (int e = avformat_find_stream_info(raw, nullptr); e < 0) {
      return fail(ExitCode::kFailure, "cannot read '" + p.string() + "'", av::error_string(e));
    }
  }
  return in;
}

Result<FileInfo> probe_file(const NamedFile& nf) {
  FileInfo info;
  info.path = nf.path;
  std::error_code ec;
  info.size = fs::file_size(nf.path, ec);
  if (ec) return fail(ExitCode::kFailure, "cannot read '" + nf.path.string() + "'", ec.message());
  auto in = open_recording(nf.path);
  if (!in) return fail(in.error());
  AVFormatContext* fc = in->get();
  const int v = video_index(fc);
  if (v < 0) return fail(ExitCode::kNotFound, "'" + nf.path.string() + "' has no video stream");
  AVStream* st = fc->streams[v];
  info.time_base = st->time_base;
  for (unsigned i = 0; i < fc->nb_streams; ++i) {
    info.has_audio = info.has_audio || fc->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
  }
  // cctv-record's MP4 files carry the start with microseconds in their date
  // tag (creation_time has whole seconds there); Matroska's creation_time has them.
  std::optional<WallTime> start;
  if (const AVDictionaryEntry* date = av_dict_get(fc->metadata, "date", nullptr, 0)) {
    start = parse_creation_time(date->value);
  }
  const AVDictionaryEntry* ct = av_dict_get(fc->metadata, "creation_time", nullptr, 0);
  if (!start && ct != nullptr) start = parse_creation_time(ct->value);
  if (start) {
    info.start_to_second = start->time_since_epoch().count() % 1'000'000 == 0;
  } else if (nf.earliest) {
    start = nf.earliest;
    info.start_from_name = true;
  } else {
    return fail(ExitCode::kNotFound, "'" + nf.path.string() + "' has no creation_time and its name no time");
  }
  std::int64_t first = AV_NOPTS_VALUE, end = 0;
  bool found = is_mov(fc) && span_from_index(st, info.size, first, end);
  if (!found) found = span_from_packets(fc, v, info.size, first, end);
  if (!found) return fail(ExitCode::kNotFound, "'" + nf.path.string() + "' holds no complete video frame yet");
  info.first_dts = first;
  info.start = *start;
  info.end = *start + to_us(end - first, st->time_base);
  return info;
}

Timeline build_timeline(const std::vector<FileInfo>& files) {
  Timeline t;
  for (const FileInfo& f : files) {
    if (!t.spans.empty() && f.start <= t.spans.back().end + kJoinTolerance) {
      Span& s = t.spans.back();
      s.end = std::max(s.end, f.end);
      s.files.push_back(&f);
      continue;
    }
    if (!t.spans.empty()) t.gaps.push_back({t.spans.back().end, f.start});
    t.spans.push_back({f.start, f.end, {&f}});
  }
  return t;
}

Result<std::vector<FileInfo>> find_recordings(const NamePattern& pattern, std::optional<WallTime> from,
                                              std::optional<WallTime> to) {
  const std::vector<NamedFile> named = list_named(pattern);
  std::vector<FileInfo> out;
  constexpr microseconds kSlack{2'000'000};
  for (size_t i = 0; i < named.size(); ++i) {
    const NamedFile& f = named[i];
    if (f.earliest && to && *f.earliest > *to + kSlack) continue;  // named after the range
    // A later file that starts (by its name) before the range leaves this one out of it.
    if (from && f.earliest && i + 1 < named.size() && named[i + 1].latest && *named[i + 1].latest + kSlack <= *from) {
      continue;
    }
    auto info = probe_file(f);
    if (!info) {
      std::error_code ec;
      if (fs::file_size(f.path, ec) == 0 && !ec) log_debug("'{}' is empty; skipped", f.path.string());
      else log_warn("skipped: {}", info.error().what());
      continue;
    }
    if (from && info->end <= *from) continue;
    if (to && info->start >= *to) continue;
    out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(), [](const FileInfo& a, const FileInfo& b) { return a.start < b.start; });
  return out;
}

}  // namespace cctv::clip
