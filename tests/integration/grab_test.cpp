// SPDX-License-Identifier: MIT
// cctv-grab run as a user would, against the camera fixture; outputs checked with ffprobe/ffmpeg.
#define BOOST_TEST_MODULE grab_integration
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "support.hpp"

using namespace cctv::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

Camera& camera() {
  static Camera cam;
  return cam;
}

RunResult run_grab(std::vector<std::string> args, std::chrono::milliseconds deadline = 30s) {
  args.insert(args.begin(), "cctv-grab");
  return run_tool(args, deadline);
}

// Width and height of a picture as ffprobe reads it ("1280x720"), or its error.
std::string jpeg_size(const fs::path& p) {
  const RunResult r = run_tool({"ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                "stream=width,height", "-of", "csv=p=0:s=x", p.string()});
  if (r.exit_code != 0 || !r.err.empty()) return "error: " + r.err;
  return r.out.substr(0, r.out.find_last_not_of('\n') + 1);
}

// Standard deviation of the luma of a JPEG, decoded by ffmpeg: a full picture
// of the test pattern varies a lot, a gray missing-reference frame does not.
double luma_stddev(const fs::path& p) {
  const RunResult r = run_tool({"ffmpeg", "-v", "error", "-i", p.string(), "-f", "rawvideo", "-pix_fmt", "gray", "-"});
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  double sum = 0, sq = 0;
  for (unsigned char c : r.out) {
    sum += c;
    sq += static_cast<double>(c) * c;
  }
  const double n = static_cast<double>(r.out.size());
  return n > 0 ? std::sqrt(sq / n - (sum / n) * (sum / n)) : 0.0;
}

// Saves `bytes` as a file and counts its frames with ffprobe's `format`
// demuxer (mjpeg: concatenated JPEGs, mpjpeg: multipart), decoding each.
RunResult ffprobe_frames(const fs::path& dir, const std::string& bytes, const std::string& format) {
  const fs::path out = dir / ("stream." + format);
  std::ofstream(out, std::ios::binary) << bytes;
  return run_tool({"ffprobe", "-v", "error", "-f", format, "-count_frames", "-show_entries",
                   "stream=nb_read_frames", "-of", "csv=p=0", out.string()});
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(grab)

BOOST_AUTO_TEST_CASE(each_video_mount_gives_a_valid_jpeg_of_its_size) {
  TempDir tmp;
  struct Mount { const char* path; const char* size; };
  for (const Mount m : {Mount{"h264", "1280x720"}, Mount{"h265", "1280x720"},
                        Mount{"mjpeg", "640x360"}, Mount{"h264-pcma", "1280x720"}}) {
    BOOST_TEST_CONTEXT("mount " << m.path) {
      const fs::path out = tmp.path() / (std::string(m.path) + ".jpg");
      const RunResult r = run_grab({"-o", out.string(), camera().url(m.path)});
      BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      BOOST_TEST(jpeg_size(out) == m.size);
      for (const auto& f : files_in(tmp.path())) BOOST_TEST(f.extension() == ".jpg");  // no temporary left
    }
  }
}

BOOST_AUTO_TEST_CASE(h265_joined_mid_gop_gives_a_full_picture_every_time) {
  TempDir tmp;
  for (int i = 0; i < 3; ++i) {
    const fs::path out = tmp.path() / ("h265-" + std::to_string(i) + ".jpg");
    std::this_thread::sleep_for(std::chrono::milliseconds(300 * i + 200));  // other points of the GOP
    BOOST_REQUIRE_EQUAL(run_grab({"-o", out.string(), camera().url("h265")}).exit_code, 0);
    BOOST_TEST(luma_stddev(out) > 20.0);
  }
}

BOOST_AUTO_TEST_CASE(width_320_scales_720p_to_320x180) {
  TempDir tmp;
  const fs::path out = tmp.path() / "small.jpg";
  BOOST_REQUIRE_EQUAL(run_grab({"--width", "320", "--quality", "60", "-o", out.string(), camera().url("h264")}).exit_code, 0);
  BOOST_TEST(jpeg_size(out) == "320x180");
}

BOOST_AUTO_TEST_CASE(stdout_output_is_one_jpeg) {
  const RunResult r = run_grab({"-o", "-", camera().url("h264")});
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_REQUIRE(r.out.size() > 1000);
  BOOST_TEST(static_cast<unsigned char>(r.out[0]) == 0xFF);
  BOOST_TEST(static_cast<unsigned char>(r.out[1]) == 0xD8);
  BOOST_TEST(static_cast<unsigned char>(r.out[r.out.size() - 1]) == 0xD9);
}

BOOST_AUTO_TEST_CASE(timelapse_of_5_at_half_a_second_gives_5_distinct_files) {
  TempDir tmp;
  const RunResult r = run_grab({"--count", "5", "--interval", "0.5", "-o", (tmp.path() / "tl-%03N.jpg").string(),
                            camera().url("h264")});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto files = files_in(tmp.path());
  BOOST_REQUIRE_EQUAL(files.size(), 5u);
  std::set<std::string> contents;
  for (int i = 0; i < 5; ++i) {
    BOOST_TEST(files[i].filename() == "tl-00" + std::to_string(i + 1) + ".jpg");
    BOOST_TEST(jpeg_size(files[i]) == "1280x720");
    contents.insert(slurp(files[i]));
  }
  BOOST_TEST(contents.size() == 5u);
}

BOOST_AUTO_TEST_CASE(stream_for_3_seconds_gives_at_least_60_decodable_jpegs) {
  TempDir tmp;
  // SIGTERM after 8 s: connecting (which a loaded machine may slow to a few
  // seconds) and the keyframe wait (up to 2 s) first, then at least 3 s of stream.
  const RunResult g = run_tool({"timeout", "--preserve-status", "-s", "TERM", "8",
                                (bin_dir() / "cctv-grab").string(), "--stream", "-o", "-", camera().url("h264")},
                               20s);
  BOOST_TEST(g.exit_code == 0, g.err);
  const fs::path out = tmp.path() / "stream.mjpeg";
  std::ofstream(out, std::ios::binary) << g.out;
  const RunResult r = run_tool({"ffprobe", "-v", "error", "-f", "mjpeg", "-count_frames", "-select_streams", "v:0",
                                "-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0", out.string()});
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_TEST(r.err.empty(), "decode errors: " << r.err);
  const int frames = std::stoi(r.out.substr(r.out.rfind(',') + 1));
  BOOST_TEST(frames >= static_cast<int>(kRateShare * 60));  // see kRateShare
  BOOST_TEST(r.out.rfind("1280,720,", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(stream_as_multipart_is_read_by_ffmpeg_mpjpeg_demuxer) {
  TempDir tmp;
  const RunResult g = run_grab({"--stream", "--format", "mpjpeg", "--fps", "5", "--count", "8", camera().url("mjpeg")});
  BOOST_REQUIRE_MESSAGE(g.exit_code == 0, g.err);
  const RunResult r = ffprobe_frames(tmp.path(), g.out, "mpjpeg");
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  BOOST_TEST(r.err.empty(), r.err);
  BOOST_TEST(std::stoi(r.out) == 8);
  BOOST_TEST(g.out.rfind("--cctvframe\r\nContent-Type: image/jpeg\r\nContent-Length: ", 0) == 0u);
  // The boundary follows the last picture at once.
  BOOST_TEST(g.out.substr(g.out.size() - 15) == "\r\n--cctvframe\r\n");
}

BOOST_AUTO_TEST_CASE(mjpeg_pass_through_is_byte_identical_to_the_cameras_frames) {
  TempDir tmp;
  const fs::path theirs = tmp.path() / "ffmpeg";
  const fs::path ours = tmp.path() / "ours";
  fs::create_directories(theirs);
  fs::create_directories(ours);
  // FFmpeg's own RTSP client copies the camera's JPEGs for 11 s, more than
  // the whole 10 s clip the camera loops, while we grab 10: whichever moment
  // each of the two connects at, every frame we grab is among its copies.
  Process ref({"ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", camera().url("mjpeg"), "-t", "11", "-c:v",
               "copy", "-f", "image2", (theirs / "%04d.jpg").string()});
  const RunResult r = run_grab({"--count", "10", "--interval", "0.1", "-o", (ours / "%04N.jpg").string(),
                            camera().url("mjpeg")});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_REQUIRE_EQUAL(ref.wait(60s).value_or(-1), 0);
  std::set<std::string> camera_frames;
  for (const auto& f : files_in(theirs)) camera_frames.insert(slurp(f));
  BOOST_REQUIRE_EQUAL(camera_frames.size(), 250u);  // the clip's 250 frames, each as the camera sends it
  const auto grabbed = files_in(ours);
  BOOST_REQUIRE_EQUAL(grabbed.size(), 10u);
  for (const auto& f : grabbed) BOOST_TEST(camera_frames.count(slurp(f)) == 1u, f << " is not a camera frame");
}

BOOST_AUTO_TEST_CASE(http_mjpeg_camera_is_passed_through_byte_for_byte) {
  TempDir tmp;
  const fs::path source = tmp.path() / "source";
  const fs::path ours = tmp.path() / "ours";
  fs::create_directories(source);
  fs::create_directories(ours);
  // The clip's own JPEGs, split by FFmpeg.
  BOOST_REQUIRE_EQUAL(run_tool({"ffmpeg", "-v", "error", "-i", (media_dir() / "mjpeg.mjpeg").string(), "-c", "copy",
                                "-f", "image2", (source / "%04d.jpg").string()})
                          .exit_code,
                      0);
  // An HTTP multipart camera: FFmpeg's own HTTP server mode, one client.
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/cam.mjpg";
  Process camera_http({"ffmpeg", "-v", "error", "-re", "-stream_loop", "-1", "-i", (media_dir() / "mjpeg.mjpeg").string(),
                       "-c", "copy", "-f", "mpjpeg", "-listen", "1", url});
  const RunResult r =
      run_grab({"--retries", "20", "--count", "3", "--interval", "0.2", "-o", (ours / "%N.jpg").string(), url});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::set<std::string> frames;
  for (const auto& f : files_in(source)) frames.insert(slurp(f));
  BOOST_REQUIRE_EQUAL(frames.size(), 250u);
  const auto grabbed = files_in(ours);
  BOOST_REQUIRE_EQUAL(grabbed.size(), 3u);
  for (const auto& f : grabbed) BOOST_TEST(frames.count(slurp(f)) == 1u, f << " is not one of the clip's JPEGs");
}

BOOST_AUTO_TEST_CASE(timelapse_survives_a_camera_outage) {
  TempDir tmp;
  Camera cam;  // its own camera: this test stops it
  Process p({(bin_dir() / "cctv-grab").string(), "--count", "6", "--interval", "1", "-o",
             (tmp.path() / "%N.jpg").string(), "-v", cam.url("h264")});
  const auto until = std::chrono::steady_clock::now() + 15s;
  while (files_in(tmp.path()).size() < 2 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  BOOST_REQUIRE(files_in(tmp.path()).size() >= 2);
  cam.stop();
  std::this_thread::sleep_for(2s);
  cam.start();
  const auto code = p.wait(40s);
  BOOST_TEST(code.value_or(-1) == 0);
  BOOST_TEST(files_in(tmp.path()).size() == 6u);
  BOOST_TEST(p.stderr_text().find("retrying") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(read_only_folder_exits_7_and_leaves_nothing) {
  TempDir tmp;
  const fs::path dir = tmp.path() / "ro";
  fs::create_directories(dir);
  // A camera that never answers: checking the folder first gives 7 at once;
  // connecting first would give 3 after the timeout.
  SilentListener silent;
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(silent.port()) + "/h264";
  RunResult r;
  if (::geteuid() == 0) {
    // root writes through permission bits: make a really read-only mount in a private namespace.
    r = run_tool({"unshare", "--mount", "sh", "-c",
                  "mount -t tmpfs -o ro tmpfs \"$1\" && exec \"$2\" --timeout 5 -o \"$1/snap.jpg\" \"$3\"", "sh",
                  dir.string(), (bin_dir() / "cctv-grab").string(), url},
                 30s);
  } else {
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    r = run_grab({"--timeout", "5", "-o", (dir / "snap.jpg").string(), url});
    fs::permissions(dir, fs::perms::owner_all);
  }
  BOOST_TEST(r.exit_code == 7, r.err);
  BOOST_TEST(r.err.find("cannot write") != std::string::npos);
  BOOST_TEST(fs::is_empty(dir));
}

BOOST_AUTO_TEST_CASE(failed_grab_leaves_the_previous_snapshot_untouched) {
  TempDir tmp;
  const fs::path out = tmp.path() / "snap.jpg";
  std::ofstream(out) << "previous";
  const RunResult r = run_grab({"-o", out.string(), "rtsp://127.0.0.1:" + std::to_string(closed_port()) + "/h264"});
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(slurp(out) == "previous");
  BOOST_TEST(files_in(tmp.path()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_stream_that_never_brings_a_keyframe_exits_3_and_keeps_the_old_snapshot) {
  TempDir tmp;
  const fs::path out = tmp.path() / "snap.jpg";
  std::ofstream(out) << "previous";
  // --timeout 6: a connection slowed by a loaded machine still connects
  // before it, and the missing keyframe ends the wait.
  const RunResult r = run_grab({"--timeout", "6", "-o", out.string(), camera().url("no-keyframe")}, 60s);
  BOOST_TEST(r.exit_code == 3);
  BOOST_TEST(r.seconds < 6 + 10.0);  // bounded: packets flow, only the keyframe limit ends it
  BOOST_TEST(r.err.find("no keyframe within 6 s") != std::string::npos, r.err);
  BOOST_TEST(slurp(out) == "previous");
  BOOST_TEST(files_in(tmp.path()).size() == 1u);
}

BOOST_AUTO_TEST_CASE(closed_pipe_ends_the_stream_quietly_with_exit_0) {
  const RunResult r = run_tool({"bash", "-c", "\"$0\" --stream -o - \"$1\" | head -c 100000 >/dev/null; exit ${PIPESTATUS[0]}",
                                (bin_dir() / "cctv-grab").string(), camera().url("h264")},
                               30s);
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.empty(), r.err);
}

BOOST_AUTO_TEST_CASE(keyframe_only_shots_are_a_gop_apart) {
  TempDir tmp;
  // Keyframes come every 2 s: three keyframe-only shots cannot take less
  // than 4 s, whatever the interval asks; decoded frames would take 0.2 s.
  const RunResult r = run_grab({"--keyframe", "--count", "3", "--interval", "0.1", "-o",
                                (tmp.path() / "k%N.jpg").string(), camera().url("h264")});
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  BOOST_TEST(files_in(tmp.path()).size() == 3u);
  BOOST_TEST(r.seconds >= 3.9);
}

BOOST_AUTO_TEST_CASE(fps_caps_the_stream_rate) {
  TempDir tmp;
  const RunResult g = run_tool({"timeout", "--preserve-status", "-s", "TERM", "8", (bin_dir() / "cctv-grab").string(),
                                "--stream", "--fps", "4", camera().url("mjpeg")},
                               20s);
  BOOST_TEST(g.exit_code == 0, "exit " << g.exit_code << " after " << g.seconds << " s: " << g.err);
  const RunResult r = ffprobe_frames(tmp.path(), g.out, "mjpeg");
  BOOST_REQUIRE_EQUAL(r.exit_code, 0);
  const int frames = std::stoi(r.out);
  // Up to 8 s at 4 fps (less the connection), not 200 frames at the camera's
  // 25 fps; at least 2.5 s of it, however slow the connection under load.
  BOOST_TEST(frames >= 10);
  BOOST_TEST(frames <= 34);
}

BOOST_AUTO_TEST_CASE(failing_stdout_exits_7) {
  const RunResult r = run_tool({"bash", "-c", "exec \"$0\" -o - \"$1\" > /dev/full",
                                (bin_dir() / "cctv-grab").string(), camera().url("mjpeg")},
                               20s);
  BOOST_TEST(r.exit_code == 7);
  BOOST_TEST(r.err.find("cannot write stdout") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(error_exit_codes_match_cctv_probe) {
  SilentListener silent;
  const std::string base = "rtsp://127.0.0.1:";
  struct Case { std::vector<std::string> args; int code; };
  const std::vector<Case> cases{
      {{"ftp://cam/x"}, 2},
      {{"--quality", "0", camera().url("h264")}, 2},
      {{"--fps", "5", camera().url("h264")}, 2},  // --fps needs --stream
      {{base + std::to_string(closed_port()) + "/h264"}, 3},
      {{"--timeout", "2", base + std::to_string(silent.port()) + "/h264"}, 3},
      {{camera().url("auth")}, 4},
      {{camera().url("no-such-stream")}, 5},
      {{"/nonexistent/clip.mp4"}, 5},
  };
  TempDir tmp;
  for (const Case& c : cases) {
    std::vector<std::string> args{"-o", (tmp.path() / "x.jpg").string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const RunResult r = run_grab(args, 20s);
    BOOST_TEST_INFO("args: " << c.args.back());
    BOOST_TEST(r.exit_code == c.code);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  const RunResult ok = run_grab({"-o", (tmp.path() / "auth.jpg").string(), "--user", "admin", camera().url("auth")}, 30s);
  BOOST_TEST(ok.exit_code == 4);  // a user without a password is still refused
}

BOOST_AUTO_TEST_SUITE_END()
