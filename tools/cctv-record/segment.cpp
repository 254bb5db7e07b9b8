// SPDX-License-Identifier: MIT
// Segment files: muxer set-up for crash safety, stream copy, audio transcoding, trailer.
#include "segment.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "cctv/log.hpp"

namespace cctv::record {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Error write_error(const fs::path& p, int averror) {
  return {ExitCode::kOutput, "cannot write '" + p.string() + "'", av::error_string(averror)};
}

// ISO 8601 UTC with microseconds, as FFmpeg's muxers parse creation_time.
std::string iso_utc(WallClock::time_point t) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1'000'000);
}

// Muxer options that push data to the file as it is recorded (see the class comment).
AVDictionary* crash_safe_options(Container c) {
  AVDictionary* d = nullptr;
  av_dict_set(&d, "flush_packets", "1", 0);
  if (c == Container::kMp4) {
    // An empty moov up front and a self-contained fragment per keyframe or
    // second: a file cut anywhere plays up to its last complete fragment.
    av_dict_set(&d, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
    av_dict_set(&d, "frag_duration", "1000000", 0);
  } else if (c == Container::kMatroska) {
    av_dict_set(&d, "cluster_time_limit", "1000", 0);
  }
  return d;
}

}  // namespace

std::optional<Container> container_for(std::string_view path) {
  const std::string ext = lower(fs::path(path).extension().string());
  if (ext == ".mp4") return Container::kMp4;
  if (ext == ".mkv") return Container::kMatroska;
  if (ext == ".ts") return Container::kMpegTs;
  return std::nullopt;
}

const char* muxer_name(Container c) {
  switch (c) {
    case Container::kMp4: return "mp4";
    case Container::kMatroska: return "matroska";
    case Container::kMpegTs: return "mpegts";
  }
  return "mp4";
}

WallClock::time_point next_boundary(WallClock::time_point t, std::chrono::seconds period) {
  const std::time_t now = WallClock::to_time_t(t);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  const std::time_t midnight = std::mktime(&tm);
  tm.tm_mday += 1;
  tm.tm_isdst = -1;
  const std::time_t next_midnight = std::mktime(&tm);
  const auto since = t - WallClock::from_time_t(midnight);
  const auto k = std::chrono::duration_cast<std::chrono::seconds>(since).count() / period.count() + 1;
  return std::min(WallClock::from_time_t(midnight) + k * period, WallClock::from_time_t(next_midnight));
}

StreamInfo stream_info(const AVStream& st) {
  StreamInfo info{ParamsPtr(avcodec_parameters_alloc()), st.time_base};
  avcodec_parameters_copy(info.params.get(), st.codecpar);
  return info;
}

bool is_disk_full(const Error& e) {
  return e.code == ExitCode::kOutput &&
         (e.cause == av::error_string(AVERROR(ENOSPC)) || e.cause == av::error_string(AVERROR(EDQUOT)));
}

AudioMode audio_mode(const Streams& s, Container c, bool no_audio) {
  if (no_audio || !s.audio) return AudioMode::kNone;
  return can_copy_audio(s.audio->params->codec_id, muxer_name(c)) ? AudioMode::kCopy : AudioMode::kTranscode;
}

SegmentWriter::SegmentWriter(fs::path path, std::vector<AVRational> tbs)
    : path_(std::move(path)), repair_(tbs), in_tbs_(std::move(tbs)) {}

SegmentWriter::~SegmentWriter() {
  if (oc_ != nullptr) (void)close();
}

Result<std::unique_ptr<SegmentWriter>> SegmentWriter::open(const fs::path& path, Container c, const Streams& s,
                                                           AudioMode audio, WallClock::time_point start) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return fail(ExitCode::kOutput, "cannot create folder '" + path.parent_path().string() + "'", ec.message());
  std::optional<AudioTranscoder> transcoder;
  if (audio == AudioMode::kTranscode) {
    auto t = AudioTranscoder::open(s.audio->params.get(), s.audio->time_base);
    if (t) {
      transcoder.emplace(std::move(*t));
    } else {
      log_warn("audio dropped: {}", t.error().what());
      audio = AudioMode::kNone;
    }
  }
  std::vector<AVRational> tbs{s.video.time_base};
  if (audio != AudioMode::kNone) tbs.push_back(transcoder ? transcoder->time_base() : s.audio->time_base);
  std::unique_ptr<SegmentWriter> w(new SegmentWriter(path, tbs));
  w->audio_ = audio;
  w->transcoder_ = std::move(transcoder);
  if (int e = avformat_alloc_output_context2(&w->oc_, nullptr, muxer_name(c), path.c_str()); e < 0) {
    return fail(write_error(path, e));
  }
  AVStream* v = avformat_new_stream(w->oc_, nullptr);
  avcodec_parameters_copy(v->codecpar, s.video.params.get());
  v->codecpar->codec_tag = 0;
  v->time_base = s.video.time_base;
  if (audio != AudioMode::kNone) {
    AVStream* a = avformat_new_stream(w->oc_, nullptr);
    avcodec_parameters_copy(a->codecpar, w->transcoder_ ? w->transcoder_->parameters() : s.audio->params.get());
    a->codecpar->codec_tag = 0;
    a->time_base = tbs[1];
  }
  av_dict_set(&w->oc_->metadata, "creation_time", iso_utc(start).c_str(), 0);
  // MP4 keeps creation_time in whole seconds (mvhd); the date tag (ilst
  // "\251day") keeps the microseconds, for a playlist rebuilt from the file
  // and for cctv-clip, which places every frame by it.
  if (c == Container::kMp4) av_dict_set(&w->oc_->metadata, "date", iso_utc(start).c_str(), 0);
  w->mp4_ = c == Container::kMp4;
  if (auto s = w->create_file(); !s) return fail(s.error());
  // On failure below, w's destructor closes and removes the file it created.
  if (int e = avio_open(&w->oc_->pb, path.c_str(), AVIO_FLAG_WRITE); e < 0) return fail(write_error(path, e));
  AVDictionary* opts = crash_safe_options(c);
  const int e = avformat_write_header(w->oc_, &opts);
  av_dict_free(&opts);
  if (e < 0) return fail(write_error(path, e));
  w->header_written_ = true;
  w->written_ = avio_tell(w->oc_->pb);
  if (w->mp4_) w->init_size_ = w->frag_start_ = w->written_;
  return w;
}

// Creates the file (O_EXCL: never one that was there, never through a link)
// and remembers it, so close() can tell it from anything put there later.
// A name that is taken (the recorder ran out of "-N" suffixes, or something
// appeared there since) is an output error: nothing is overwritten.
Status SegmentWriter::create_file() {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return fail(ExitCode::kOutput, "cannot write '" + path_.string() + "'", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0) created_.emplace(st.st_dev, st.st_ino);
  ::close(fd);
  return {};
}

// Removes the file this writer created when no media reached it: a header
// that failed, no packet written, or nothing on disk (a full disk).
void SegmentWriter::remove_if_empty() {
  if (!created_) return;
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != created_->first ||
      st.st_ino != created_->second) {
    return;  // gone, or no longer the file it created
  }
  if (header_written_ && packets_ > 0 && st.st_size > 0) return;
  if (::unlink(path_.c_str()) == 0) discarded_ = true;
}

Status SegmentWriter::write_out(AVPacket* pkt, int index, std::optional<TimestampRepair::TimePoint> arrival) {
  if (failed_) return fail(ExitCode::kOutput, "cannot write '" + path_.string() + "'", "earlier write failed");
  // The video speaks for the camera's clock; the audio follows it silently.
  if (auto jump = repair_.fix(index, pkt, arrival); jump && index == 0) jump_ = jump;
  if (index == 0) {
    video_started_ = true;
    last_video_end_ = pkt->dts + std::max<std::int64_t>(pkt->duration, 0);
  } else if (pkt->dts < 0) {
    return {};  // audio from before the first keyframe
  }
  pkt->stream_index = index;
  pkt->pos = -1;
  const double time = static_cast<double>(pkt->dts) * av_q2d(in_tbs_[static_cast<size_t>(index)]);
  const bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
  const std::int64_t before = avio_tell(oc_->pb);
  av_packet_rescale_ts(pkt, in_tbs_[static_cast<size_t>(index)], oc_->streams[index]->time_base);
  // Not interleaved: packets arrive in order, and interleaving would hold
  // video in memory while waiting for audio (the opposite of crash safety).
  if (int e = av_write_frame(oc_, pkt); e < 0) {
    failed_ = true;
    return fail(write_error(path_, e));
  }
  ++packets_;
  note_write(before, index == 0, time, key);
  return {};
}

// flush_packets: after av_write_frame() returns, everything before
// avio_tell() is in the file. The MP4 muxer writes a fragment out when the
// packet that starts the next one arrives (before adding it), so the file
// then ends where that next fragment will begin.
void SegmentWriter::note_write(std::int64_t before, bool video, double time, bool key) {
  const std::int64_t after = avio_tell(oc_->pb);
  if (marks_wanted_ && !mp4_ && video) marks_.push_back({before, time, key});
  if (marks_wanted_ && mp4_) {
    if (after > written_) frag_start_ = after;
    if (video && frag_start_ >= 0) {
      marks_.push_back({frag_start_, time, key});
      frag_start_ = -1;
    }
  }
  written_ = after;  // media_end() needs it, marks or not
}

Status SegmentWriter::write_video(AVPacket* pkt, std::optional<TimestampRepair::TimePoint> arrival) {
  return write_out(pkt, 0, arrival);
}

Status SegmentWriter::write_audio(AVPacket* pkt, std::optional<TimestampRepair::TimePoint> arrival) {
  if (audio_ == AudioMode::kNone) return {};
  if (!video_started_) return {};  // nothing before the first keyframe
  if (audio_ == AudioMode::kCopy) return write_out(pkt, 1, arrival);
  encoded_.clear();
  if (auto s = transcoder_->push(pkt, encoded_); !s) return s;
  for (auto& p : encoded_) {
    if (auto s = write_out(p.get(), 1, arrival); !s) return s;
  }
  return {};
}

Status SegmentWriter::close() {
  if (oc_ == nullptr) return {};
  Status result;
  if (transcoder_ && !failed_ && header_written_) {
    encoded_.clear();
    if (transcoder_->flush(encoded_)) {
      for (auto& p : encoded_) {
        if (!write_out(p.get(), 1, std::nullopt)) break;  // the encoder's tail: one step on
      }
    }
  }
  media_end_ = written_;
  if (!failed_ && header_written_) {
    // MP4: the last fragment out first, so its end is known apart from the index after it.
    if (mp4_ && packets_ > 0 && av_write_frame(oc_, nullptr) >= 0) media_end_ = avio_tell(oc_->pb);
    if (int e = av_write_trailer(oc_); e < 0) {
      result = fail(write_error(path_, e));
    } else if (!mp4_) {
      media_end_ = avio_tell(oc_->pb);
    }
  }
  if (int e = oc_->pb != nullptr ? avio_closep(&oc_->pb) : 0; e < 0 && result) result = fail(write_error(path_, e));
  avformat_free_context(oc_);
  oc_ = nullptr;
  remove_if_empty();
  return result;
}

double SegmentWriter::seconds() const { return static_cast<double>(last_video_end_) * av_q2d(in_tbs_[0]); }

}  // namespace cctv::record
