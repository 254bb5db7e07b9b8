// SPDX-License-Identifier: MIT
// One segment file: stream copy of a camera's video (and audio) into MP4, MKV or MPEG-TS, flushed as it goes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "cctv/av.hpp"
#include "cctv/error.hpp"
#include "cctv/remux.hpp"

namespace cctv::record {

using WallClock = std::chrono::system_clock;

enum class Container { kMp4, kMatroska, kMpegTs };

// The container for a file name or pattern by its extension (.mp4, .mkv,
// .ts; case-insensitive), or nullopt.
std::optional<Container> container_for(std::string_view path);
// FFmpeg's muxer name: "mp4", "matroska", "mpegts".
const char* muxer_name(Container c);

// The start of the next wall-clock segment after `t`: a multiple of `period`
// since local midnight (10 min: :00, :10, ...), at most the next midnight.
WallClock::time_point next_boundary(WallClock::time_point t, std::chrono::seconds period);

struct ParamsFree { void operator()(AVCodecParameters* p) const { avcodec_parameters_free(&p); } };
using ParamsPtr = std::unique_ptr<AVCodecParameters, ParamsFree>;

// A connection's streams as the segments need them (owned copies, so they
// outlive the connection's AVFormatContext).
struct StreamInfo {
  ParamsPtr params;
  AVRational time_base{};
};
struct Streams {
  StreamInfo video;
  std::optional<StreamInfo> audio;
};
// Copies the parameters of `st`.
StreamInfo stream_info(const AVStream& st);

// A point of a segment file where an HLS segment may begin (see
// SegmentWriter::take_marks): its byte offset, its video time in seconds
// since the file's first packet, and whether its first video frame is a keyframe.
struct Mark {
  std::int64_t offset = 0;
  double time = 0;
  bool key = false;
};

// True when `e` is a full disk (ENOSPC) or an exhausted quota (EDQUOT).
bool is_disk_full(const Error& e);

enum class AudioMode { kNone, kCopy, kTranscode };
// What to do with the audio of `s` in container `c` (remux.hpp's can_copy_audio).
AudioMode audio_mode(const Streams& s, Container c, bool no_audio);

// An open segment file. Timestamps start at 0 at the first packet (a video
// keyframe) and are repaired (cctv/remux.hpp) to be monotonic and free of
// camera clock jumps, so the file's duration is the time it covers. Data reaches
// the file as it is recorded: fragmented MP4 (a fragment per keyframe or
// second), Matroska clusters of a second, TS packets flushed at once, so a
// killed recorder leaves a file that plays up to about a second before.
// Not thread-safe.
class SegmentWriter {
 public:
  // Creates the folders and the file, writes the header with the wall-clock
  // `start` as creation_time. A transcoder that cannot open drops the audio
  // with a warning. Errors: kOutput (folders, file, header); a file it
  // created is removed again on failure.
  [[nodiscard]] static Result<std::unique_ptr<SegmentWriter>> open(const std::filesystem::path& path, Container c,
                                                                   const Streams& s, AudioMode audio,
                                                                   WallClock::time_point start);
  ~SegmentWriter();

  // Writes one input packet (timestamps in its stream's time base; modified
  // in place). `arrival`: when it came from a live camera (see
  // TimestampRepair::fix), nullopt for a file or a pipe. Audio before the
  // segment's first video packet is dropped.
  // Errors: kOutput, the cause naming errno (ENOSPC: disk full).
  [[nodiscard]] Status write_video(AVPacket* pkt, std::optional<TimestampRepair::TimePoint> arrival);
  [[nodiscard]] Status write_audio(AVPacket* pkt, std::optional<TimestampRepair::TimePoint> arrival);

  // The camera clock jump the video written since the last call revealed
  // (taken out of the file's timeline), for the one log line it gets.
  std::optional<ClockJump> take_clock_jump() { return std::exchange(jump_, std::nullopt); }

  // Flushes the audio encoder, writes the trailer (MP4: the fragment index)
  // and closes the file. A file that got no media (the header or every
  // packet failed, or it is empty: a full disk) is removed, if open() created
  // it and it is still that regular file: see discarded(). Errors: kOutput;
  // the file is closed either way.
  [[nodiscard]] Status close();
  // True once close() removed the file because no media reached it.
  bool discarded() const { return discarded_; }

  const std::filesystem::path& path() const { return path_; }
  double seconds() const;  // video duration written so far

  // For HLS byte ranges (--playlist). MP4: the start of each fragment that
  // holds video, with its first video frame; MPEG-TS: the start of each
  // video packet (a keyframe's with the PAT and PMT written before it).
  // The marks found since the last call, in file order; every byte before
  // a mark's offset is written to the file (flushed), so a range that ends
  // at a mark is complete on disk.
  // Only after want_marks() (a recorder without --playlist keeps none).
  void want_marks() { marks_wanted_ = true; }
  std::vector<Mark> take_marks() { return std::exchange(marks_, {}); }
  // The size of the init segment (MP4: ftyp and moov), 0 for MPEG-TS.
  std::int64_t init_size() const { return init_size_; }
  // After close(): where the media ends (MP4: before the fragment index;
  // MPEG-TS: the end of the file), or 0 when nothing was written.
  std::int64_t media_end() const { return media_end_; }
  std::int64_t repairs() const { return repair_.repairs(); }  // clock jumps left out

 private:
  SegmentWriter(std::filesystem::path path, std::vector<AVRational> tbs);
  Status create_file();
  Status write_out(AVPacket* pkt, int index, std::optional<TimestampRepair::TimePoint> arrival);
  void remove_if_empty();
  void note_write(std::int64_t before, bool video, double time, bool key);

  std::filesystem::path path_;
  AVFormatContext* oc_ = nullptr;
  TimestampRepair repair_;
  std::vector<AVRational> in_tbs_;
  AudioMode audio_ = AudioMode::kNone;
  std::optional<AudioTranscoder> transcoder_;
  std::vector<av::PacketPtr> encoded_;
  std::optional<ClockJump> jump_;
  std::int64_t last_video_end_ = 0;  // in the video input time base, output timeline
  bool header_written_ = false;
  bool video_started_ = false;
  bool failed_ = false;
  // The file create_file() made (device and inode): the only one close() may remove.
  std::optional<std::pair<dev_t, ino_t>> created_;
  std::int64_t packets_ = 0;  // written without an error
  bool discarded_ = false;
  // take_marks()
  bool mp4_ = false;
  bool marks_wanted_ = false;
  std::vector<Mark> marks_;
  std::int64_t written_ = 0;        // bytes in the file after the last write
  std::int64_t frag_start_ = -1;    // MP4: a fragment begun there has no video yet
  std::int64_t init_size_ = 0;
  std::int64_t media_end_ = 0;
};

}  // namespace cctv::record
