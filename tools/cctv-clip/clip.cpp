// SPDX-License-Identifier: MIT
// cctv-clip's body: times, the recordings that cover them, gaps, then the copy and its summary line.
#include "clip.hpp"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/output.hpp"
#include "clipper.hpp"
#include "index.hpp"
#include "names.hpp"
#include "list_report.hpp"

namespace cctv::clip {

namespace fs = std::filesystem;
using std::chrono::microseconds;

namespace {

double seconds(microseconds d) { return std::chrono::duration<double>(d).count(); }

struct Range {
  std::optional<WallTime> from, to;
};

Result<Range> resolve_range(const Options& o) {
  const WallTime now = std::chrono::time_point_cast<microseconds>(std::chrono::system_clock::now());
  Range r;
  if (!o.from.empty()) {
    auto t = parse_time(o.from, now);
    if (!t) return fail(Error{ExitCode::kUsage, "--from: " + t.error().message, ""});
    r.from = *t;
  }
  if (!o.to.empty()) {
    auto t = parse_time(o.to, now);
    if (!t) return fail(Error{ExitCode::kUsage, "--to: " + t.error().message, ""});
    r.to = *t;
  } else if (!o.duration.empty()) {
    auto d = parse_duration_us(o.duration);
    if (!d) return fail(Error{ExitCode::kUsage, "--duration: " + d.error().message, ""});
    if (!r.from) return fail(ExitCode::kUsage, "--duration needs --from");
    r.to = *r.from + *d;
  }
  if (r.from && r.to && *r.to <= *r.from) {
    return fail(ExitCode::kUsage, fmt::format("--to ({}) is not after --from ({})", format_local(*r.to), format_local(*r.from)));
  }
  if (!o.list && (!r.from || !r.to)) return fail(ExitCode::kUsage, "give --from and --to (or --duration)");
  return r;
}

std::string pattern_of(const Options& o) { return substitute_name(o.pattern, o.name); }

// Notes on the files whose start is known less precisely than a frame.
void note_coarse_starts(const std::vector<FileInfo>& files) {
  long to_second = 0;
  for (const FileInfo& f : files) {
    if (f.start_from_name) {
      log_warn("'{}' holds no start time (MPEG-TS): placed by its name, to the second", f.path.string());
    } else if (f.start_to_second) {
      ++to_second;
      log_info("'{}' has its start time to the second only", f.path.string());
    }
  }
  if (to_second > 0) {
    log_warn("{} file{} with a start time to the second only (MP4 from an older cctv-record): the cut may be up to "
             "a second early",
             to_second, to_second == 1 ? "" : "s");
  }
}

// Names each gap within the range; fails with --gaps fail. Warns when the
// range is only partly recorded.
Status check_coverage(const Timeline& t, WallTime from, WallTime to, GapMode mode) {
  for (const Gap& g : t.gaps) {
    log_warn("gap: no recording from {} to {} ({}){}", format_local(g.start), format_local(g.end),
             format_duration(g.end - g.start),
             mode == GapMode::kKeep ? "; kept: the picture holds" : mode == GapMode::kCollapse ? "; collapsed" : "");
  }
  if (mode == GapMode::kFail && !t.gaps.empty()) {
    return fail(ExitCode::kNotFound, fmt::format("{} gap{} in the range (--gaps fail)", t.gaps.size(),
                                                 t.gaps.size() == 1 ? "" : "s"));
  }
  const WallTime a = t.spans.front().start, b = t.spans.back().end;
  if (a > from + kJoinTolerance || b < to - kJoinTolerance) {
    log_warn("the range is only partly recorded: {} to {}", format_local(std::max(a, from)), format_local(std::min(b, to)));
  }
  return {};
}

Result<ExitCode> list(const Options& o, const Range& r) {
  const NamePattern pattern(pattern_of(o));
  auto files = find_recordings(pattern, r.from, r.to);
  if (!files) return fail(files.error());
  const Timeline t = build_timeline(*files);
  const std::string text = list_report(t, pattern_of(o), r.from, r.to, o.json);
  if (std::fputs(text.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
    return fail(ExitCode::kOutput, "cannot write to stdout");
  }
  return ExitCode::kOk;
}

Result<ClipPlan> make_plan(const Options& o, const Range& r) {
  ClipPlan p;
  p.from = *r.from;
  p.to = *r.to;
  p.output = o.output;
  p.gaps = o.gaps;
  p.no_audio = o.no_audio;
  const auto c = container_for(o.output);
  if (!c) return fail(ExitCode::kUsage, "-o must end in .mp4, .mov, .mkv or .ts (or be - for MP4 on stdout): " + o.output);
  p.container = *c;
  if (!has_edit_lists(*c)) {
    if (o.cut == CutMode::kExact) {
      return fail(ExitCode::kUsage, "--cut exact needs an edit list, which only MP4 and MOV have: use --cut keyframe");
    }
    if (o.cut == CutMode::kDefault) {
      log_notice("{} has no edit lists: the clip starts at the keyframe at or before --from (--cut keyframe)",
                 *c == Container::kMatroska ? "Matroska" : "MPEG-TS");
    }
  }
  p.exact = has_edit_lists(*c) && o.cut != CutMode::kKeyframe;
  return p;
}

}  // namespace

Result<ExitCode> run(const Options& o) {
  if (o.pattern.find("{name}") != std::string::npos && o.name.empty()) {
    return fail(ExitCode::kUsage, "the pattern uses {name}: give --name");
  }
  if (o.json && !o.list) return fail(ExitCode::kUsage, "--json goes with --list");
  auto r = resolve_range(o);
  if (!r) return fail(r.error());
  if (o.list) return list(o, *r);
  if (o.output.empty()) return fail(ExitCode::kUsage, "give -o FILE (or -o - for stdout)");
  auto plan = make_plan(o, *r);
  if (!plan) return fail(plan.error());
  if (o.output != "-") {
    if (auto s = check_can_create(o.output); !s) return fail(s.error());
  }
  const NamePattern pattern(pattern_of(o));
  auto files = find_recordings(pattern, r->from, r->to);
  if (!files) return fail(files.error());
  if (files->empty()) {
    return fail(ExitCode::kNotFound, fmt::format("no recording covers {} to {} ({})", format_local(*r->from),
                                                 format_local(*r->to), pattern_of(o)));
  }
  note_coarse_starts(*files);
  const Timeline t = build_timeline(*files);
  if (auto s = check_coverage(t, *r->from, *r->to, o.gaps); !s) return fail(s.error());
  auto done = copy_clip(*plan, *files);
  if (!done) return fail(done.error());
  const std::string cut = plan->exact ? fmt::format("cut exact ({:.3f} s before the first frame hidden by an edit list)",
                                                    seconds(done->preroll))
                                      : "cut at the keyframe";
  log_notice("{}: {} to {}, {}, {:.1f} MB, {}{}", o.output == "-" ? "stdout" : o.output, format_local(done->first),
             format_local(done->end), format_duration(done->duration), static_cast<double>(done->bytes) / 1e6, cut,
             t.gaps.empty() ? "" : fmt::format(", {} gap{} {}", t.gaps.size(), t.gaps.size() == 1 ? "" : "s",
                                               o.gaps == GapMode::kKeep ? "kept" : "collapsed"));
  return ExitCode::kOk;
}

}  // namespace cctv::clip
