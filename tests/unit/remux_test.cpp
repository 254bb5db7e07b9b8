// SPDX-License-Identifier: MIT
// Tests for stream-copy timestamp repair, the audio copy policy and the AAC transcoder.
#include "cctv/remux.hpp"

#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

using namespace cctv;
using namespace std::chrono_literals;

namespace {

constexpr AVRational k90k{1, 90000};
constexpr AVRational k8k{1, 8000};

struct Ts {
  std::int64_t dts;
  std::int64_t pts;
};

// Runs one packet through `r` and returns its repaired timestamps.
Ts fix(TimestampRepair& r, int stream, std::int64_t dts, std::int64_t pts, std::int64_t duration = 0) {
  auto pkt = av::make_packet();
  pkt->dts = dts;
  pkt->pts = pts;
  pkt->duration = duration;
  r.fix(stream, pkt.get());
  return {pkt->dts, pkt->pts};
}

// A live camera for TimestampRepair: packets of 25 fps video (90 kHz) that
// arrive at `at` seconds of a steady clock, with the camera's own DTS.
struct LiveCamera {
  TimestampRepair repair{{k90k, k8k}};
  TimestampRepair::TimePoint epoch{};

  struct Out {
    std::int64_t dts;
    std::optional<ClockJump> jump;
  };
  Out send(int stream, std::int64_t dts, double at) {
    auto pkt = av::make_packet();
    pkt->dts = pkt->pts = dts;
    const auto arrival = epoch + std::chrono::microseconds(static_cast<std::int64_t>(at * 1e6));
    auto jump = repair.fix(stream, pkt.get(), arrival);
    return {pkt->dts, jump};
  }
  // Frames `first` .. `last` (inclusive) of the camera's real time, their
  // DTS `offset_s` off that; returns the last one's output.
  Out frames(int first, int last, double offset_s = 0, std::int64_t base = 900000) {
    Out out{};
    for (int i = first; i <= last; ++i) {
      out = send(0, base + i * 3600 + static_cast<std::int64_t>(offset_s * 90000), i / 25.0);
      if (out.jump) return out;
    }
    return out;
  }
};

// A packet holding `bytes`, with the given timestamps and flags.
av::PacketPtr packet(const std::string& bytes, std::int64_t pts = 0, int flags = 0) {
  auto pkt = av::make_packet();
  BOOST_REQUIRE(av_new_packet(pkt.get(), static_cast<int>(bytes.size())) == 0);
  std::memcpy(pkt->data, bytes.data(), bytes.size());
  pkt->pts = pkt->dts = pts;
  pkt->flags = flags;
  return pkt;
}

const std::string kSc("\0\0\1", 3);  // Annex B start code
const std::string kH264Params = kSc + "\x67\x42\x00\x1f" + kSc + "\x68\xce\x3c\x80";  // SPS, PPS
const std::string kH264Idr = kSc + "\x65\x88\x84\x00";                                 // IDR slice
const std::string kH265Params = kSc + "\x40\x01\x0c" + kSc + "\x42\x01\x01" + kSc + "\x44\x01\xc1";  // VPS SPS PPS
const std::string kH265Idr = kSc + "\x26\x01\xaf";                                                  // IDR_W_RADL

}  // namespace

BOOST_AUTO_TEST_SUITE(remux)

BOOST_AUTO_TEST_CASE(has_picture_tells_parameter_sets_from_slices) {
  BOOST_TEST(!has_picture(AV_CODEC_ID_H264, *packet(kH264Params)));
  BOOST_TEST(has_picture(AV_CODEC_ID_H264, *packet(kH264Idr)));
  BOOST_TEST(has_picture(AV_CODEC_ID_H264, *packet(kH264Params + kH264Idr)));
  BOOST_TEST(!has_picture(AV_CODEC_ID_HEVC, *packet(kH265Params)));
  BOOST_TEST(has_picture(AV_CODEC_ID_HEVC, *packet(kH265Params + kH265Idr)));
  // Length-prefixed (MP4) data and other codecs are never held back.
  BOOST_TEST(has_picture(AV_CODEC_ID_H264, *packet(std::string("\0\0\0\4\x67\x42\x00\x1f", 8))));
  BOOST_TEST(has_picture(AV_CODEC_ID_MJPEG, *packet("\xff\xd8")));
}

BOOST_AUTO_TEST_CASE(picture_joiner_puts_lone_parameter_sets_in_front_of_the_next_picture) {
  PictureJoiner j;
  auto params = packet(kH264Params, 100, AV_PKT_FLAG_KEY);
  BOOST_TEST(!j.push(AV_CODEC_ID_H264, params.get()));
  auto idr = packet(kH264Idr, 3700, 0);
  BOOST_TEST(j.push(AV_CODEC_ID_H264, idr.get()));
  BOOST_TEST(std::string(reinterpret_cast<const char*>(idr->data), idr->size) == kH264Params + kH264Idr);
  BOOST_TEST(idr->pts == 3700);  // the picture's timestamps
  BOOST_TEST((idr->flags & AV_PKT_FLAG_KEY) != 0);
  auto next = packet(kH264Idr, 7300, 0);  // nothing held any more: untouched
  BOOST_TEST(j.push(AV_CODEC_ID_H264, next.get()));
  BOOST_TEST(next->size == static_cast<int>(kH264Idr.size()));
  BOOST_TEST((next->flags & AV_PKT_FLAG_KEY) == 0);
}

BOOST_AUTO_TEST_CASE(first_packet_starts_at_zero_and_steady_stream_is_untouched) {
  TimestampRepair r({k90k});
  BOOST_TEST(fix(r, 0, 123456, 123456).dts == 0);
  for (int i = 1; i < 50; ++i) {
    const Ts t = fix(r, 0, 123456 + i * 3600, 123456 + i * 3600);
    BOOST_TEST(t.dts == i * 3600);
    BOOST_TEST(t.pts == i * 3600);
  }
  BOOST_TEST(r.repairs() == 0);
}

BOOST_AUTO_TEST_CASE(backward_jump_is_repaired_to_continue_one_step_later) {
  TimestampRepair r({k90k});
  fix(r, 0, 1000, 1000);
  fix(r, 0, 4600, 4600);            // step 3600
  const Ts back = fix(r, 0, 100, 100);  // the camera's clock went backwards
  BOOST_TEST(back.dts == 7200);
  const Ts next = fix(r, 0, 3700, 3700);  // and continues from there
  BOOST_TEST(next.dts == 10800);
  BOOST_TEST(r.repairs() == 1);
}

BOOST_AUTO_TEST_CASE(equal_dts_is_made_strictly_increasing) {
  TimestampRepair r({k90k});
  fix(r, 0, 0, 0);
  fix(r, 0, 3600, 3600);
  const Ts same = fix(r, 0, 3600, 3600);
  BOOST_TEST(same.dts > 3600);
  BOOST_TEST(r.repairs() == 1);
}

BOOST_AUTO_TEST_CASE(without_arrival_times_a_forward_step_beyond_the_limit_is_a_clock_jump_a_small_gap_is_kept) {
  TimestampRepair r({k90k}, {.max_forward_jump = 5000ms});
  fix(r, 0, 0, 0);
  fix(r, 0, 3600, 3600);
  BOOST_TEST(fix(r, 0, 3600 + 90000, 3600 + 90000).dts == 93600);  // 1 s: a real pause
  BOOST_TEST(r.clock_jumps() == 0);
  auto pkt = av::make_packet();
  pkt->dts = pkt->pts = 93600 + 3600LL * 90000;  // one hour on: a clock jump
  const auto jump = r.fix(0, pkt.get());
  BOOST_TEST(pkt->dts == 93600 + 90000);  // re-based one step (the 1 s one) on
  BOOST_REQUIRE(jump.has_value());
  BOOST_TEST(jump->stream == 0);
  BOOST_TEST(jump->seconds == 3599.0, boost::test_tools::tolerance(0.01));
  BOOST_TEST(r.clock_jumps() == 1);
  BOOST_TEST(r.repairs() == 0);  // a jump is reported, not counted as a repair
}

BOOST_AUTO_TEST_CASE(a_live_camera_stepping_back_5_s_runs_on_one_frame_later_and_reports_one_jump) {
  LiveCamera cam;
  BOOST_TEST(!cam.frames(0, 259).jump);
  const auto back = cam.frames(260, 261, -5.0);
  BOOST_REQUIRE(back.jump.has_value());
  BOOST_TEST(back.jump->seconds == -5.0, boost::test_tools::tolerance(0.01));
  BOOST_TEST(back.dts == 260 * 3600);  // one frame after frame 259
  const auto later = cam.frames(261, 400, -5.0);
  BOOST_TEST(!later.jump);
  BOOST_TEST(later.dts == 400 * 3600);  // and on at the camera's pace
  BOOST_TEST(cam.repair.clock_jumps() == 1);
  BOOST_TEST(cam.repair.repairs() == 0);
}

BOOST_AUTO_TEST_CASE(a_live_camera_stepping_forward_30_s_runs_on_one_frame_later) {
  LiveCamera cam;
  cam.frames(0, 509);
  const auto fwd = cam.frames(510, 511, 30.0);
  BOOST_REQUIRE(fwd.jump.has_value());
  BOOST_TEST(fwd.jump->seconds == 30.0, boost::test_tools::tolerance(0.01));
  BOOST_TEST(fwd.dts == 510 * 3600);
  BOOST_TEST(cam.frames(511, 600, 30.0).dts == 600 * 3600);
  BOOST_TEST(cam.repair.clock_jumps() == 1);
}

BOOST_AUTO_TEST_CASE(a_live_camera_stepping_forward_2_s_is_a_jump_the_frame_limit_alone_would_keep) {
  LiveCamera cam;  // max_forward_jump is 5 s; the arrival clock knows better
  cam.frames(0, 99);
  const auto fwd = cam.frames(100, 101, 2.0);
  BOOST_REQUIRE(fwd.jump.has_value());
  BOOST_TEST(fwd.jump->seconds == 2.0, boost::test_tools::tolerance(0.01));
  BOOST_TEST(fwd.dts == 100 * 3600);
}

BOOST_AUTO_TEST_CASE(a_real_pause_of_a_live_camera_is_kept_however_long) {
  LiveCamera cam;
  cam.frames(0, 99);
  // Nothing for 8 s (beyond max_forward_jump), then frames again: the gap is real.
  const auto after = cam.send(0, 900000 + 100 * 3600 + 8 * 90000, 100 / 25.0 + 8);
  BOOST_TEST(!after.jump);
  BOOST_TEST(after.dts == 100 * 3600 + 8 * 90000);
}

BOOST_AUTO_TEST_CASE(a_burst_after_a_network_stall_is_untouched) {
  LiveCamera cam;
  cam.frames(0, 49);
  // Frames 50..99 held up 2 s by the network, then all at once.
  for (int i = 50; i < 100; ++i) {
    const auto out = cam.send(0, 900000 + i * 3600, 4.0);
    BOOST_TEST(!out.jump);
    BOOST_TEST(out.dts == i * 3600);
  }
  BOOST_TEST(cam.repair.repairs() == 0);
}

BOOST_AUTO_TEST_CASE(a_small_step_back_is_a_repair_not_a_clock_jump) {
  LiveCamera cam;
  cam.frames(0, 9);
  const auto dup = cam.send(0, 900000 + 9 * 3600, 10 / 25.0);  // frame 9's DTS again
  BOOST_TEST(!dup.jump);
  BOOST_TEST(dup.dts == 10 * 3600);
  BOOST_TEST(cam.repair.repairs() == 1);
  BOOST_TEST(cam.repair.clock_jumps() == 0);
}

BOOST_AUTO_TEST_CASE(audio_and_video_jumping_together_stay_in_step) {
  LiveCamera cam;
  // 2 s of video and audio (20 ms of 8 kHz per packet), then both jump 30 s on.
  auto audio = [&](int i, double offset_s) {
    auto pkt = av::make_packet();
    pkt->dts = pkt->pts = 80000 + i * 160 + static_cast<std::int64_t>(offset_s * 8000);
    pkt->duration = 160;
    const auto arrival = cam.epoch + std::chrono::microseconds(i * 20000);
    const auto jump = cam.repair.fix(1, pkt.get(), arrival);
    return std::pair(pkt->dts, jump.has_value());
  };
  for (int i = 0; i < 50; ++i) {
    cam.frames(i, i);
    audio(2 * i, 0);
    audio(2 * i + 1, 0);
  }
  BOOST_TEST(cam.frames(50, 50, 30.0).jump.has_value());
  const auto [a100, jumped] = audio(100, 30.0);
  BOOST_TEST(jumped);
  BOOST_TEST(cam.frames(51, 51, 30.0).dts == 51 * 3600);
  // Audio packet 100 sits at 2.0 s, as video frame 50 does.
  BOOST_TEST(a100 == 100 * 160);
  BOOST_TEST(cam.repair.clock_jumps() == 2);  // one per stream; tools log the video's
}

BOOST_AUTO_TEST_CASE(a_new_connection_keeps_its_gap_with_arrival_times) {
  LiveCamera cam;
  cam.frames(0, 24);
  cam.repair.new_connection(3s);
  // Unrelated timestamps on the new connection: the start of a connection is no jump.
  const auto first = cam.send(0, 77 * 90000, 4.0);
  BOOST_TEST(!first.jump);
  BOOST_TEST(first.dts == 25 * 3600 + 3 * 90000);
}

BOOST_AUTO_TEST_CASE(pts_below_dts_or_missing_is_raised_to_dts) {
  TimestampRepair r({k90k});
  fix(r, 0, 0, 0);
  const Ts low = fix(r, 0, 3600, 100);
  BOOST_TEST(low.pts == low.dts);
  const Ts none = fix(r, 0, 7200, AV_NOPTS_VALUE);
  BOOST_TEST(none.pts == 7200);
  const Ts no_dts = fix(r, 0, AV_NOPTS_VALUE, 10800);  // DTS taken from PTS
  BOOST_TEST(no_dts.dts == 10800);
  BOOST_TEST(no_dts.pts == 10800);
  BOOST_TEST(r.repairs() == 1);  // only the PTS below DTS changed a real value
}

BOOST_AUTO_TEST_CASE(packet_without_any_timestamp_gets_the_next_step) {
  TimestampRepair r({k90k});
  fix(r, 0, 0, 0);
  fix(r, 0, 3600, 3600);
  BOOST_TEST(fix(r, 0, AV_NOPTS_VALUE, AV_NOPTS_VALUE).dts == 7200);
  BOOST_TEST(r.repairs() == 1);
}

BOOST_AUTO_TEST_CASE(new_connection_continues_after_the_last_packet_keeping_av_offsets) {
  TimestampRepair r({k90k, k8k});
  for (int i = 0; i < 25; ++i) fix(r, 0, 500000 + i * 3600, 500000 + i * 3600, 3600);  // 1 s of video
  for (int i = 0; i < 8; ++i) fix(r, 1, 9000 + i * 1000, 9000 + i * 1000, 1000);          // 1 s of audio
  BOOST_TEST(r.end_us() == 1'000'000);
  r.new_connection();
  // The new connection starts from unrelated camera timestamps; its audio
  // begins 0.1 s after its video.
  const Ts v = fix(r, 0, 80 * 90000, 80 * 90000, 3600);
  const Ts a = fix(r, 1, 80 * 8000 + 800, 80 * 8000 + 800, 1000);
  BOOST_TEST(v.dts == 90000);  // right after 1 s
  BOOST_TEST(a.dts == 8000 + 800);
  BOOST_TEST(r.repairs() == 0);
}

BOOST_AUTO_TEST_CASE(new_connection_with_gap_leaves_the_wall_clock_gap) {
  TimestampRepair r({k90k});
  fix(r, 0, 0, 0, 3600);
  r.new_connection(5s);
  BOOST_TEST(fix(r, 0, 42, 42, 3600).dts == 3600 + 5 * 90000);
}

BOOST_AUTO_TEST_CASE(g711_copies_into_matroska_but_not_mp4_or_hls) {
  BOOST_TEST(can_copy_audio(AV_CODEC_ID_PCM_ALAW, "matroska"));
  BOOST_TEST(can_copy_audio(AV_CODEC_ID_PCM_MULAW, "matroska"));
  BOOST_TEST(!can_copy_audio(AV_CODEC_ID_PCM_ALAW, "mp4"));
  BOOST_TEST(!can_copy_audio(AV_CODEC_ID_PCM_MULAW, "mpegts"));
  BOOST_TEST(!can_copy_audio(AV_CODEC_ID_PCM_ALAW, "hls"));
  for (const char* muxer : {"mp4", "matroska", "mpegts", "hls"}) BOOST_TEST(can_copy_audio(AV_CODEC_ID_AAC, muxer));
}

BOOST_AUTO_TEST_CASE(transcoder_turns_g711_into_continuous_aac) {
  AVCodecParameters* in = avcodec_parameters_alloc();
  in->codec_type = AVMEDIA_TYPE_AUDIO;
  in->codec_id = AV_CODEC_ID_PCM_ALAW;
  in->sample_rate = 8000;
  av_channel_layout_default(&in->ch_layout, 1);
  auto t = AudioTranscoder::open(in, k8k);
  avcodec_parameters_free(&in);
  BOOST_REQUIRE_MESSAGE(t.has_value(), (t.has_value() ? std::string() : t.error().what()));
  BOOST_TEST(t->parameters()->codec_id == AV_CODEC_ID_AAC);
  BOOST_TEST(t->parameters()->sample_rate == 8000);
  BOOST_TEST(t->parameters()->extradata_size > 0);
  BOOST_TEST(t->time_base().den == 8000);

  // 2 s of A-law in 20 ms packets (160 bytes each), starting at 1000.
  std::vector<av::PacketPtr> out;
  std::vector<std::uint8_t> payload(160, 0xD5);  // A-law silence
  for (int i = 0; i < 100; ++i) {
    auto pkt = av::make_packet();
    BOOST_REQUIRE(av_new_packet(pkt.get(), 160) == 0);
    std::copy(payload.begin(), payload.end(), pkt->data);
    pkt->pts = pkt->dts = 1000 + i * 160;
    pkt->duration = 160;
    BOOST_REQUIRE(t->push(pkt.get(), out).has_value());
  }
  BOOST_REQUIRE(t->flush(out).has_value());
  // 16000 samples: 15 full frames of 1024 and a partial one, plus the priming.
  BOOST_TEST(out.size() >= 16u);
  for (size_t i = 1; i < out.size(); ++i) BOOST_TEST(out[i]->pts == out[i - 1]->pts + 1024);
  BOOST_TEST(std::llabs(out.front()->pts - (1000 - 1024)) <= 1024);
}

BOOST_AUTO_TEST_CASE(transcoder_refuses_a_stream_without_sample_rate) {
  AVCodecParameters* in = avcodec_parameters_alloc();
  in->codec_type = AVMEDIA_TYPE_AUDIO;
  in->codec_id = AV_CODEC_ID_PCM_MULAW;
  auto t = AudioTranscoder::open(in, k8k);
  avcodec_parameters_free(&in);
  BOOST_REQUIRE(!t.has_value());
  BOOST_TEST(static_cast<int>(t.error().code) == static_cast<int>(ExitCode::kUnsupported));
}

BOOST_AUTO_TEST_SUITE_END()
