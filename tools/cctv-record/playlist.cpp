// SPDX-License-Identifier: MIT
// Day playlists (EVENT while recorded, VOD once over) and recordings.json, kept in step with the files.
#include "playlist.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <system_error>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "cctv/json.hpp"
#include "cctv/log.hpp"
#include "cctv/output.hpp"
#include "scan.hpp"

namespace cctv::record {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// True when a folder name of the pattern holds a field that changes within
// a day (%H, %M, %S, %N...): the day's playlist goes above it.
bool holds_time_of_day(std::string_view part) {
  constexpr std::string_view kDateOnly = "YyCGgmbBhdejFDaAuwUVWxzZnt%";
  for (size_t i = 0; i < part.size(); ++i) {
    if (part[i] != '%') continue;
    size_t k = i + 1;
    while (k < part.size() && (std::string_view("_-0^#").find(part[k]) != std::string_view::npos ||
                               std::isdigit(static_cast<unsigned char>(part[k])))) {
      ++k;
    }
    if (k < part.size() && (part[k] == 'E' || part[k] == 'O')) ++k;
    if (k >= part.size() || kDateOnly.find(part[k]) == std::string_view::npos) return true;
    i = k;
  }
  return false;
}

std::string local(std::time_t t, const char* format) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  return std::string(buf, std::strftime(buf, sizeof buf, format, &tm));
}

// RFC 3339 in UTC with milliseconds, as EXT-X-PROGRAM-DATE-TIME and recordings.json carry times.
std::string iso_ms(WallClock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, ((ms % 1000) + 1000) % 1000);
}

WallClock::time_point to_wall(fs::file_time_type t) {
  return std::chrono::time_point_cast<WallClock::duration>(std::chrono::file_clock::to_sys(t));
}

WallClock::time_point plus(WallClock::time_point t, double seconds) {
  return t + std::chrono::duration_cast<WallClock::duration>(std::chrono::duration<double>(seconds));
}

double seconds_between(WallClock::time_point a, WallClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string uri_unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

void log_write_failure(const fs::path& p, const Status& s) {
  if (!s) log_warn("cannot write '{}': {}", p.string(), s.error().what());
}

}  // namespace

void SegmentCutter::mark(const Mark& m, std::vector<HlsSegment>& out) {
  if (!open_) {
    open_ = m;
    return;
  }
  if (m.offset > open_->offset && (m.key || m.time - open_->time >= kSplitAfter)) {
    out.push_back({open_->offset, m.offset - open_->offset, std::max(0.0, m.time - open_->time)});
    open_ = m;
  }
}

void SegmentCutter::finish(std::int64_t end, double end_time, std::vector<HlsSegment>& out) {
  if (open_ && end > open_->offset && end_time > open_->time) {
    out.push_back({open_->offset, end - open_->offset, end_time - open_->time});
  }
  open_.reset();
}

Day day_of(WallClock::time_point t, std::chrono::seconds length) {
  const std::time_t now = WallClock::to_time_t(t);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  std::tm next = tm;
  const auto midnight = WallClock::from_time_t(std::mktime(&tm));
  next.tm_mday += 1;
  next.tm_isdst = -1;
  const auto next_midnight = WallClock::from_time_t(std::mktime(&next));
  if (length >= std::chrono::hours(24)) return {local(now, "%Y-%m-%d"), midnight, next_midnight};
  const auto k = std::chrono::duration_cast<std::chrono::seconds>(t - midnight).count() / length.count();
  const auto start = midnight + k * length;
  return {local(WallClock::to_time_t(start), "%Y-%m-%dT%H-%M-%S"), start, std::min(start + length, next_midnight)};
}

std::chrono::seconds day_length_from_env() {
  const char* v = std::getenv("CCTV_RECORD_DAY_SECONDS");
  if (v == nullptr || *v == '\0') return std::chrono::hours(24);
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end != '\0' || n <= 0 || n > 86400 || 86400 % n != 0) {
    log_warn("CCTV_RECORD_DAY_SECONDS={} ignored: it must divide 86400", v);
    return std::chrono::hours(24);
  }
  return std::chrono::seconds(n);
}

std::string uri_escape(std::string_view path) {
  std::string out;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || std::string_view("-._~/").find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

namespace {
bool has_segments(const std::deque<PlaylistKeeper::File>& files) {
  return std::any_of(files.begin(), files.end(), [](const auto& f) { return !f.segments.empty(); });
}
}  // namespace

PlaylistKeeper::PlaylistKeeper(PlaylistConfig config, const PatternMatcher& matcher)
    : config_(std::move(config)), matcher_(matcher) {
  for (const auto& part : fs::path(config_.pattern).parent_path()) {
    if (holds_time_of_day(part.string())) break;
    folder_pattern_ /= part;
  }
  index_path_ = matcher_.root() / (config_.prefix + "recordings.json");
  mp4_ = container_for(config_.pattern) != Container::kMpegTs;
}

fs::path PlaylistKeeper::playlist_path(const Day& d) const {
  return fs::path(expand_pattern(folder_pattern_.string(), d.start, 0)) / (config_.prefix + d.name + ".m3u8");
}

PlaylistKeeper::File PlaylistKeeper::new_file(const fs::path& p, const fs::path& playlist) const {
  File f;
  f.path = p;
  f.uri = uri_escape(p.lexically_relative(playlist.parent_path()).string());
  return f;
}

void PlaylistKeeper::append(File& f, const std::vector<HlsSegment>& segs) const {
  for (const auto& s : segs) {
    f.segments.push_back(s);
    f.duration += s.duration;
    f.text += fmt::format("#EXTINF:{:.3f},\n#EXT-X-BYTERANGE:{}@{}\n{}\n", s.duration, s.size, s.offset, f.uri);
  }
}

std::optional<PlaylistKeeper::File> PlaylistKeeper::load_file(const fs::path& p, const fs::path& playlist) const {
  auto scanned = container_for(p.string()) == Container::kMpegTs ? scan_ts(p) : scan_mp4(p);
  if (!scanned) {
    log_warn("playlist: skipping '{}': {}", p.string(), scanned.error().what());
    return std::nullopt;
  }
  File f = new_file(p, playlist);
  f.init_size = scanned->init_size;
  SegmentCutter cutter;
  std::vector<HlsSegment> segs;
  for (const auto& m : scanned->marks) cutter.mark(m, segs);
  cutter.finish(scanned->media_end, scanned->end_time, segs);
  append(f, segs);
  if (scanned->start) {
    f.start = *scanned->start;
  } else {  // MPEG-TS keeps no date: the last write less the duration
    std::error_code ec;
    const auto mtime = fs::last_write_time(p, ec);
    f.start = plus(to_wall(mtime), -f.duration);
  }
  return f;
}

PlaylistKeeper::DayState PlaylistKeeper::load_day(const Day& d, const std::vector<fs::path>& candidates) const {
  DayState state{d, playlist_path(d), {}, 0, 0, false, false};
  for (const auto& p : candidates) {
    auto f = load_file(p, state.playlist);
    if (f && day_of(f->start, config_.day_length).name == d.name) state.files.push_back(std::move(*f));
  }
  std::sort(state.files.begin(), state.files.end(), [](const File& a, const File& b) { return a.start < b.start; });
  return state;
}

std::set<fs::path> PlaylistKeeper::playlist_files(const fs::path& playlist) {
  std::set<fs::path> out;
  std::ifstream in(playlist);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    out.insert((playlist.parent_path() / uri_unescape(line)).lexically_normal());
  }
  return out;
}

void PlaylistKeeper::write_day(const DayState& d) const {
  std::error_code ec;
  if (!has_segments(d.files)) {
    // Nothing left to list (retention took it all): no playlist, and no empty folder.
    if (d.files.empty() && fs::remove(d.playlist, ec)) {
      log_info("playlist: removed '{}'", d.playlist.string());
      remove_empty_folders(d.playlist.parent_path(), matcher_.root());
    }
    return;
  }
  size_t size = 256;
  for (const auto& f : d.files) size += f.text.size() + 2 * f.uri.size() + 128;
  std::string out;
  out.reserve(size);
  out += fmt::format("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:{}\n", kTargetDuration);
  if (d.media_sequence > 0) out += fmt::format("#EXT-X-MEDIA-SEQUENCE:{}\n", d.media_sequence);
  if (d.discontinuity_sequence > 0) out += fmt::format("#EXT-X-DISCONTINUITY-SEQUENCE:{}\n", d.discontinuity_sequence);
  if (d.ended) {
    out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  } else if (!d.trimmed) {
    out += "#EXT-X-PLAYLIST-TYPE:EVENT\n";  // (a trimmed day is a plain live playlist: EVENT only grows)
  }
  bool first = true;
  for (const auto& f : d.files) {
    if (f.segments.empty()) continue;
    if (!first) out += "#EXT-X-DISCONTINUITY\n";
    first = false;
    if (mp4_) out += fmt::format("#EXT-X-MAP:URI=\"{}\",BYTERANGE=\"{}@0\"\n", f.uri, f.init_size);
    out += fmt::format("#EXT-X-PROGRAM-DATE-TIME:{}\n", iso_ms(f.start));
    out += f.text;
  }
  if (d.ended) out += "#EXT-X-ENDLIST\n";
  log_write_failure(d.playlist, write_file_atomic(d.playlist, std::span(reinterpret_cast<const std::uint8_t*>(out.data()),
                                                                        out.size())));
}

PlaylistKeeper::Summary PlaylistKeeper::summary_of(const DayState& d) const {
  Summary s{d.day.name, d.playlist, {}, !d.ended, std::set<fs::path>()};
  for (const auto& f : d.files) {
    if (f.segments.empty()) continue;
    s.files->insert(f.path);
    const Span span{f.start, plus(f.start, f.duration)};
    if (!s.spans.empty() && seconds_between(s.spans.back().end, span.start) <= kJoinSeconds) {
      s.spans.back().end = std::max(s.spans.back().end, span.end);
    } else {
      s.spans.push_back(span);
    }
  }
  return s;
}

void PlaylistKeeper::write_index_soon() {
  if (std::chrono::steady_clock::now() - index_written_ >= kIndexInterval) {
    write_index();
  } else {
    index_dirty_ = true;
  }
}

void PlaylistKeeper::write_index() {
  index_written_ = std::chrono::steady_clock::now();
  index_dirty_ = false;
  std::map<std::string, const Summary*> days;
  for (const auto& [name, s] : past_) days[name] = &s;
  std::optional<Summary> today;
  if (today_ && has_segments(today_->files)) {
    today = summary_of(*today_);
    days[today->name] = &*today;
  }
  const auto span_json = [](WallClock::time_point a, WallClock::time_point b) {
    return json::object{{"start", iso_ms(a)}, {"end", iso_ms(b)}, {"duration", seconds_between(a, b)}};
  };
  json::array out;
  for (const auto& [name, s] : days) {
    if (s->spans.empty()) continue;
    json::array spans, gaps;
    double recorded = 0;
    for (size_t i = 0; i < s->spans.size(); ++i) {
      spans.push_back(span_json(s->spans[i].start, s->spans[i].end));
      recorded += seconds_between(s->spans[i].start, s->spans[i].end);
      if (i > 0) gaps.push_back(span_json(s->spans[i - 1].end, s->spans[i].start));
    }
    out.push_back(json::object{{"day", name},
                               {"playlist", uri_escape(s->playlist.lexically_relative(index_path_.parent_path()).string())},
                               {"recording", s->recording},
                               {"start", iso_ms(s->spans.front().start)},
                               {"end", iso_ms(s->spans.back().end)},
                               {"recorded", recorded},
                               {"spans", std::move(spans)},
                               {"gaps", std::move(gaps)}});
  }
  json::object root{{"version", 1}, {"target_duration", kTargetDuration}, {"days", std::move(out)}};
  if (!config_.camera.empty()) root["camera"] = config_.camera;
  const std::string text = to_json(root) + "\n";
  log_write_failure(index_path_, write_file_atomic(index_path_, std::span(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                                          text.size())));
}

void PlaylistKeeper::load_index() {
  std::ifstream in(index_path_);
  if (!in) return;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::error_code ec;
  const json::value v = json::parse(text, ec);
  const json::object* root = ec ? nullptr : v.if_object();
  const json::value* days = root != nullptr ? root->if_contains("days") : nullptr;
  if (days == nullptr || !days->is_array()) {
    log_warn("playlist: '{}' is not a recordings.json; it is rewritten", index_path_.string());
    return;
  }
  for (const auto& d : days->get_array()) {
    const auto* o = d.if_object();
    if (o == nullptr || !o->contains("day") || !o->at("day").is_string() || !o->contains("playlist") ||
        !o->at("playlist").is_string()) {
      continue;
    }
    Summary s;
    s.name = json::value_to<std::string>(o->at("day"));
    s.playlist = (index_path_.parent_path() / uri_unescape(o->at("playlist").get_string())).lexically_normal();
    s.recording = o->contains("recording") && o->at("recording").is_bool() && o->at("recording").get_bool();
    if (const auto* spans = o->if_contains("spans"); spans != nullptr && spans->is_array()) {
      for (const auto& sp : spans->get_array()) {
        const auto* so = sp.if_object();
        if (so == nullptr || !so->contains("start") || !so->contains("end") || !so->at("start").is_string() ||
            !so->at("end").is_string()) {
          continue;
        }
        const auto a = parse_iso_utc(json::value_to<std::string>(so->at("start")));
        const auto b = parse_iso_utc(json::value_to<std::string>(so->at("end")));
        if (a && b) s.spans.push_back({*a, *b});
      }
    }
    past_[s.name] = std::move(s);
  }
}

void PlaylistKeeper::reload_past(Summary& s) {
  if (!s.files) s.files = playlist_files(s.playlist);
  DayState d{Day{s.name, {}, {}}, s.playlist, {}, 0, 0, false, true};
  std::error_code ec;
  for (const auto& p : *s.files) {
    if (!fs::is_regular_file(fs::symlink_status(p, ec))) continue;
    if (auto f = load_file(p, s.playlist)) d.files.push_back(std::move(*f));
  }
  std::sort(d.files.begin(), d.files.end(), [](const File& a, const File& b) { return a.start < b.start; });
  write_day(d);
  s = summary_of(d);
}

void PlaylistKeeper::start(WallClock::time_point now) {
  load_index();
  const Day today = day_of(now, config_.day_length);
  past_.erase(today.name);  // rebuilt from its files below
  for (auto& [name, s] : past_) {
    if (s.recording) {
      log_info("playlist: closing '{}', left open by an earlier run", s.playlist.string());
      reload_past(s);
    }
  }
  std::erase_if(past_, [](const auto& kv) { return kv.second.spans.empty(); });
  std::vector<fs::path> candidates;
  for (const auto& f : list_segments(matcher_)) {
    if (to_wall(f.mtime) >= today.start) candidates.push_back(f.path);
  }
  today_ = load_day(today, candidates);
  write_day(*today_);
  write_index();
}

void PlaylistKeeper::file_started(const fs::path& path, WallClock::time_point start, std::int64_t init_size) {
  const Day d = day_of(start, config_.day_length);
  if (today_ && today_->day.name != d.name) end_today();
  if (!today_) {
    today_ = DayState{d, playlist_path(d), {}, 0, 0, false, false};
    past_.erase(d.name);
  }
  File f = new_file(path, today_->playlist);
  f.start = start;
  f.init_size = init_size;
  f.open = true;
  today_->files.push_back(std::move(f));
  cutter_.emplace();
}

void PlaylistKeeper::add_marks(const std::vector<Mark>& marks) {
  if (!cutter_ || !today_ || marks.empty()) return;
  std::vector<HlsSegment> segs;
  for (const auto& m : marks) cutter_->mark(m, segs);
  if (segs.empty()) return;
  append(today_->files.back(), segs);
  write_day(*today_);
  write_index_soon();
}

void PlaylistKeeper::file_finished(std::int64_t media_end, double end_time, bool discarded) {
  if (!cutter_ || !today_) return;
  std::vector<HlsSegment> segs;
  if (!discarded) cutter_->finish(media_end, end_time, segs);
  cutter_.reset();
  if (discarded) {
    today_->files.pop_back();
  } else {
    today_->files.back().open = false;
    append(today_->files.back(), segs);
  }
  write_day(*today_);
  write_index();
}

void PlaylistKeeper::end_today() {
  today_->ended = true;
  today_->trimmed = false;
  write_day(*today_);
  if (has_segments(today_->files)) past_[today_->day.name] = summary_of(*today_);
  today_.reset();
  write_index();
}

void PlaylistKeeper::tick(WallClock::time_point now) {
  if (index_dirty_) write_index_soon();
  // (day_of() only once the day's bounds are passed: tick() runs for every packet.)
  if (today_ && !cutter_ && (now >= today_->day.end || now < today_->day.start) &&
      day_of(now, config_.day_length).name != today_->day.name) {
    end_today();
  }
}

void PlaylistKeeper::stop() {
  if (cutter_) file_finished(0, 0, false);
  if (today_) end_today();
}

void PlaylistKeeper::deleted(const std::vector<fs::path>& files) {
  if (files.empty()) return;
  std::set<fs::path> gone;
  for (const auto& f : files) gone.insert(f.lexically_normal());
  if (today_) {
    auto& list = today_->files;
    const size_t before = list.size();
    for (auto it = list.begin(); it != list.end();) {
      if (it->open || !gone.count(it->path)) {
        ++it;
        continue;
      }
      today_->media_sequence += static_cast<long>(it->segments.size());
      it = list.erase(it);
      if (it != list.end()) ++today_->discontinuity_sequence;  // the tag before the next file went with it
    }
    if (list.size() != before) {
      today_->trimmed = true;
      write_day(*today_);
    }
  }
  for (auto& [name, s] : past_) {
    if (!s.files) s.files = playlist_files(s.playlist);
    if (std::any_of(s.files->begin(), s.files->end(), [&](const fs::path& p) { return gone.count(p) > 0; })) {
      reload_past(s);
    }
  }
  std::erase_if(past_, [](const auto& kv) { return kv.second.spans.empty(); });
  write_index();
}

}  // namespace cctv::record
