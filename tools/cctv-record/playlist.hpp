// SPDX-License-Identifier: MIT
// --playlist: one HLS playlist per day over the segment files (byte ranges), and recordings.json.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "retention.hpp"
#include "segment.hpp"

namespace cctv::record {

// EXT-X-TARGETDURATION of every playlist, fixed up front so that no update
// ever changes it: a segment is one GOP, and a GOP that would last longer
// than kSplitAfter is split at the next mark (fragments come at least every
// second), so no segment reaches it.
inline constexpr int kTargetDuration = 10;
inline constexpr double kSplitAfter = 8.0;
// Files that follow each other closer than this belong to one span of recordings.json.
inline constexpr double kJoinSeconds = 1.0;
// recordings.json is rewritten when files start, end or go, and otherwise
// (the growing end of today's last span) at most this often: each atomic
// replacement costs the recorder a rename and its flush.
inline constexpr std::chrono::seconds kIndexInterval{10};

// One HLS media segment: a byte range of a segment file.
struct HlsSegment {
  std::int64_t offset = 0;
  std::int64_t size = 0;
  double duration = 0;
};

// Cuts a file's marks into HLS segments: a new one at every keyframe mark,
// or at any mark once the open one lasts kSplitAfter. Pure.
class SegmentCutter {
 public:
  void mark(const Mark& m, std::vector<HlsSegment>& out);
  // The file ends at `end` bytes, `end_time` seconds: the open segment is complete.
  void finish(std::int64_t end, double end_time, std::vector<HlsSegment>& out);

 private:
  std::optional<Mark> open_;
};

// A recording day: its name (the local date "2026-12-07", or with a short
// day length "2026-12-07T10-00-20") and its bounds.
struct Day {
  std::string name;
  WallClock::time_point start, end;
};
// The day holding `t`: the local date when `length` is a day or more, else
// the `length`-long period since local midnight (a test's short days).
Day day_of(WallClock::time_point t, std::chrono::seconds length);
// CCTV_RECORD_DAY_SECONDS (tests: days of that many seconds, dividing
// 86400), else 86400.
std::chrono::seconds day_length_from_env();

// The "%XX" escape of what a URI path may not hold as it is (RFC 3986; '/' kept).
std::string uri_escape(std::string_view path);

struct PlaylistConfig {
  std::string pattern;      // absolute, {name} substituted
  std::string prefix;       // before the day's name and recordings.json ("front-"), or empty
  std::string camera;       // --name, for recordings.json
  std::chrono::seconds day_length{86400};
};

// Keeps the day playlists and recordings.json true to the files on disk:
// fed by the recorder as it writes (file_started, add_marks, file_finished),
// by retention (deleted) and the clock (tick). Each playlist is replaced
// atomically (write_file_atomic) and lists only byte ranges already written
// to the file. Failures to write are logged, never fatal. Not thread-safe.
class PlaylistKeeper {
 public:
  PlaylistKeeper(PlaylistConfig config, const PatternMatcher& matcher);

  // Reads recordings.json, closes days left open by a crash (VOD, ENDLIST)
  // and rebuilds today's playlist from today's files (scanning them).
  void start(WallClock::time_point now);
  // A new segment file, its first frame recorded at `start`.
  void file_started(const std::filesystem::path& path, WallClock::time_point start, std::int64_t init_size);
  // Marks from SegmentWriter::take_marks() of the open file; rewrites the
  // playlist when a segment completed.
  void add_marks(const std::vector<Mark>& marks);
  // The open file is closed: its media ends at `media_end` bytes and
  // `end_time` seconds; `discarded`: it was removed.
  void file_finished(std::int64_t media_end, double end_time, bool discarded);
  // Ends the day when it is over and no file of it is open.
  void tick(WallClock::time_point now);
  // Retention deleted these files: the days that held them are rewritten
  // (VOD), or lose their playlist when nothing is left.
  void deleted(const std::vector<std::filesystem::path>& files);
  // The recorder stops: today's playlist becomes VOD with ENDLIST.
  void stop();

 public:
  struct File {
    std::filesystem::path path;
    std::string uri;  // relative to the playlist, escaped
    WallClock::time_point start;
    std::int64_t init_size = 0;
    std::vector<HlsSegment> segments;
    double duration = 0;
    std::string text;  // the segments' lines, rendered once
    bool open = false;
  };
  struct Span {
    WallClock::time_point start, end;
  };
  struct DayState {
    Day day;
    std::filesystem::path playlist;
    std::deque<File> files;
    long media_sequence = 0;
    long discontinuity_sequence = 0;
    bool trimmed = false;  // retention removed its first files while it is recorded
    bool ended = false;
  };

 private:
  struct Summary {  // a day of recordings.json
    std::string name;
    std::filesystem::path playlist;
    std::vector<Span> spans;
    bool recording = false;
    std::optional<std::set<std::filesystem::path>> files;  // read from its playlist when needed
  };

  std::filesystem::path playlist_path(const Day& d) const;
  std::optional<File> load_file(const std::filesystem::path& p, const std::filesystem::path& playlist) const;
  File new_file(const std::filesystem::path& p, const std::filesystem::path& playlist) const;
  void append(File& f, const std::vector<HlsSegment>& segs) const;
  DayState load_day(const Day& d, const std::vector<std::filesystem::path>& candidates) const;
  static std::set<std::filesystem::path> playlist_files(const std::filesystem::path& playlist);
  void reload_past(Summary& s);
  void write_day(const DayState& d) const;
  void write_index();
  void write_index_soon();
  Summary summary_of(const DayState& d) const;
  void end_today();
  void load_index();

  PlaylistConfig config_;
  const PatternMatcher& matcher_;
  std::filesystem::path folder_pattern_;  // the pattern's folders that hold no time of day
  std::filesystem::path index_path_;      // recordings.json
  bool mp4_ = true;
  std::optional<DayState> today_;
  std::optional<SegmentCutter> cutter_;   // of today's open file
  std::map<std::string, Summary> past_;   // by day name
  std::chrono::steady_clock::time_point index_written_{};
  bool index_dirty_ = false;
};

}  // namespace cctv::record
