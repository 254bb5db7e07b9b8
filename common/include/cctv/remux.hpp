// SPDX-License-Identifier: MIT
// Stream-copy helpers shared by cctv-hls and cctv-record: timestamp repair and audio to AAC.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "cctv/av.hpp"
#include "cctv/error.hpp"

namespace cctv {

// ---------------------------------------------------------------------------
// Timestamp repair
// ---------------------------------------------------------------------------

struct TimestampRepairOptions {
  // With arrival times (a live camera, see fix()): a DTS step that runs ahead
  // of the time that passed between the two packets' arrivals by more than
  // this, or falls behind it by more than this while going backwards, is a
  // camera clock jump (an NTP resync). Real pauses (the camera sent nothing)
  // pass the arrival clock too, so they are kept whatever their length;
  // network bursts only ever bring steps shorter than the arrival gaps.
  std::chrono::milliseconds jump_tolerance{1'000};
  // Without arrival times (a file, a pipe): a DTS step forward larger than
  // this (beyond one frame) is a clock jump, not a real pause (a real pause
  // longer than --stall-timeout is a reconnect anyway). A step backwards of
  // more than jump_tolerance is one too.
  std::chrono::milliseconds max_forward_jump{5'000};
};

// A step of a camera's clock that TimestampRepair took out of the timeline.
struct ClockJump {
  int stream = 0;  // the output stream it was seen on
  // How far the timestamps stepped beyond the time that passed (by the
  // arrival clock, or one frame without one), in seconds; negative: back.
  double seconds = 0;
};

// Makes camera timestamps safe to stream-copy into a muxer. Per output
// stream it guarantees:
//   - DTS strictly increasing (a camera whose clock jumps or goes backwards,
//     or a packet without DTS, is repaired);
//   - PTS >= DTS (a missing or too small PTS becomes the DTS);
//   - no camera clock jump in the timeline: after one (see
//     TimestampRepairOptions) the stream is re-based to continue one frame
//     (its last DTS step or packet duration) after its last packet, so the
//     output runs on at the camera's real pace;
//   - one continuous timeline across reconnects: after new_connection(), the
//     first packet continues right after the last written timestamp (plus an
//     optional gap), with the new connection's own A/V offsets preserved
//     (one shift for all its streams, so lip-sync survives).
// Each packet the guarantee had to change counts as one repair (repairs()),
// for a log line, except clock jumps, which fix() returns (for a log line of
// their own) and clock_jumps() counts; the first packet of each connection is
// re-based on purpose and counts as neither.
//
// Time bases: each stream's timestamps are in the time base given to the
// constructor (choose the output stream's; rescale each packet into it with
// av_packet_rescale_ts before fix()). Timestamps start at 0 for the very
// first packet written.
//
// Pure (no I/O, no FFmpeg calls beyond arithmetic). Thread safety: one
// thread at a time.
class TimestampRepair {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `time_bases[i]` is the time base of output stream i.
  explicit TimestampRepair(std::vector<AVRational> time_bases, TimestampRepairOptions opts = {});

  // Marks the start of a new connection (or the first one): the next packet
  // of any stream is placed `gap` after the end of the last written packet
  // of any stream (gap = 0: seamless; pass the wall-clock outage to keep the
  // timeline true to time). Call before the new connection's first fix().
  void new_connection(std::chrono::microseconds gap = std::chrono::microseconds{0});

  // Rewrites pkt->dts and pkt->pts of a packet of output stream `stream`
  // (0 <= stream < the number of time bases) in place; may set a missing
  // pkt->duration from the previous step. `arrival`: when the packet came
  // from a live camera (steady clock), which lets a jump be told from a real
  // pause; without it (a file, a pipe, an encoder's tail) the step is judged
  // by the frame rate alone (see TimestampRepairOptions). Returns the clock
  // jump this packet revealed, or nullopt. A camera's clock moves all its
  // streams: callers log the jumps of one stream (the video), once each.
  std::optional<ClockJump> fix(int stream, AVPacket* pkt, std::optional<TimePoint> arrival = std::nullopt);

  // Packets repaired since construction, clock jumps left out.
  std::int64_t repairs() const { return repairs_; }
  // Clock jumps taken out of the timeline since construction (all streams).
  std::int64_t clock_jumps() const { return clock_jumps_; }

  // The end (last DTS + duration) of everything written, in microseconds on
  // the output timeline; 0 before the first packet.
  std::int64_t end_us() const { return end_us_; }

 private:
  struct Stream {
    AVRational tb;
    std::int64_t last_dts = AV_NOPTS_VALUE;  // output timeline
    std::int64_t step = 0;                   // last DTS step or duration (> 0 once known)
    std::int64_t offset = 0;                 // added to this stream's input DTS/PTS
    std::optional<TimePoint> last_arrival{};  // of the last packet, when given
  };
  bool enter_connection(int stream, Stream& s, std::int64_t in_dts);
  std::optional<ClockJump> jump_of(int stream, const Stream& s, std::int64_t dts,
                                   std::optional<TimePoint> arrival) const;
  bool write_back(Stream& s, AVPacket* pkt, std::int64_t dts, bool rebased);

  std::vector<Stream> streams_;
  TimestampRepairOptions opts_;
  std::int64_t repairs_ = 0;
  std::int64_t clock_jumps_ = 0;
  std::int64_t end_us_ = 0;
  // Set by new_connection(): the shift (in microseconds) for this connection,
  // decided by its first packet of any stream.
  bool pending_connection_ = true;
  std::chrono::microseconds pending_gap_{0};
  std::int64_t connection_shift_us_ = 0;
  std::vector<bool> seen_in_connection_;
};

// Logs `jump` of the camera at `display_url` as the one warning a clock jump
// gets: "URL: camera clock jumped back 5.0 s; timestamps re-based to stay
// continuous". Thread-safe.
void log_clock_jump(std::string_view display_url, const ClockJump& jump);

// ---------------------------------------------------------------------------
// Video: every written packet a picture
// ---------------------------------------------------------------------------

// The type of an H.264 or H.265 NAL unit from its first header byte.
[[nodiscard]] constexpr int nal_unit_type(AVCodecID codec, std::uint8_t header) {
  return codec == AV_CODEC_ID_H264 ? header & 0x1F : (header >> 1) & 0x3F;
}

// Calls `visit(nal)` for each NAL unit of the Annex B bytes `data` (what
// follows each 00 00 01 start code, without the zeros of a 4-byte start code
// or trailing zero bytes; never empty) until `visit` returns true. Returns
// the number of units visited: 0 for data without a start code.
template <class Visit>
std::size_t for_each_annexb_nal(std::span<const std::uint8_t> data, Visit&& visit) {
  auto next_start = [&](std::size_t from) {  // index just past the next start code, or data.size()
    for (std::size_t j = from; j + 3 <= data.size(); ++j) {
      if (data[j] == 0 && data[j + 1] == 0 && data[j + 2] == 1) return j + 3;
    }
    return data.size();
  };
  std::size_t visited = 0;
  for (std::size_t i = next_start(0); i < data.size();) {
    const std::size_t following = next_start(i);
    std::size_t end = following == data.size() ? data.size() : following - 3;
    while (end > i && data[end - 1] == 0) --end;
    if (end > i) {
      ++visited;
      if (visit(data.subspan(i, end - i))) break;
    }
    i = following;
  }
  return visited;
}

// Whether an H.264 or H.265 packet in Annex B form (what FFmpeg's RTSP
// demuxer gives) holds a coded picture (a VCL NAL unit). False for a packet
// of parameter sets or SEI alone: gst-rtsp-server and some cameras send
// SPS/PPS as their own access unit when a stream starts. A packet of another
// codec, or not in Annex B form (length-prefixed, from MP4), counts as a
// picture. Pure.
[[nodiscard]] bool has_picture(AVCodecID codec, const AVPacket& pkt);

// RTSP sessions often declare no picture size (it is in the SPS), and muxers
// need one (MP4's track header, HLS's RESOLUTION; the library opens sources
// without avformat_find_stream_info). Fills par's width and height, and where
// unknown its pixel format, sample aspect ratio, profile and level, by
// decoding `keyframe` once. Returns true when the size is known (at once,
// without decoding, when it already was); false when it stays unknown.
[[nodiscard]] bool fill_picture_size(AVCodecParameters& par, const AVPacket& keyframe);

// Holds video packets without a picture and puts their bytes in front of the
// next packet that has one, so that every packet written is a decodable
// access unit (a muxer given a lone SPS/PPS packet writes a frame that
// decoders report as "missing picture in access unit"). The joined packet
// keeps the picture's timestamps and gains the held packets' key flag.
// Thread safety: one thread at a time.
class PictureJoiner {
 public:
  // Returns true when `pkt` (modified in place when something was held
  // before it) should be written now; false when it was held.
  [[nodiscard]] bool push(AVCodecID codec, AVPacket* pkt);
  // Drops what is held (a new connection).
  void reset() {
    held_.clear();
    held_key_ = false;
  }

 private:
  std::vector<std::uint8_t> held_;
  bool held_key_ = false;
};

// ---------------------------------------------------------------------------
// Audio: copy or transcode to AAC
// ---------------------------------------------------------------------------

// Whether audio in `codec` can go into `muxer` as is (FFmpeg short muxer
// names: "mp4", "matroska", "mpegts", "hls"; others are asked of FFmpeg
// itself). True: stream-copy it. False: transcode it to AAC
// (AudioTranscoder) or drop it. The answer follows what Debian 12's FFmpeg
// 5.1 can write and what players play:
//   - "mp4": AAC, MP3, Opus, ALAC, FLAC copy; G.711 (PCMA/PCMU) cannot
//     (FFmpeg 5.1's mp4 muxer refuses it).
//   - "matroska": everything FFmpeg's Matroska muxer accepts, G.711 included.
//   - "mpegts" / "hls": AAC, MP3, AC-3, E-AC-3 (what HLS players decode);
//     G.711 would be written but not played.
// Pure apart from asking FFmpeg's muxer tables; thread-safe.
[[nodiscard]] bool can_copy_audio(AVCodecID codec, std::string_view muxer);

// Decodes one audio stream (G.711 PCMA/PCMU, or anything FFmpeg decodes) and
// encodes it with FFmpeg's native "aac" encoder (AAC-LC), resampling with
// libswresample when the encoder needs another sample format or rate (it
// always needs planar float; rates outside AAC's table go to 48 kHz).
//
// Timestamps: output packets are in time_base() = 1/sample_rate of the
// output, and follow the input packets' PTS: the first output packet starts
// at the first input PTS (rescaled), then samples count on continuously; an
// input PTS that strays from that count by more than 0.5 s (a jump, a gap,
// a new connection) re-syncs the count to it. The encoder's priming delay
// (1024 samples) is in the first packets' PTS (may be below the first
// input PTS) as FFmpeg's muxers expect. Run TimestampRepair on the output
// like any other copied stream.
//
// Thread safety: one thread at a time per transcoder.
class AudioTranscoder {
 public:
  // Opens the decoder for `in` (the input stream's codecpar and time base)
  // and the AAC encoder at `bit_rate` bits/s. Errors: kUnsupported when no
  // decoder exists for the input codec or the input has no sample rate or
  // channel layout; kFailure when FFmpeg cannot open the codecs.
  [[nodiscard]] static Result<AudioTranscoder> open(const AVCodecParameters* in, AVRational in_time_base,
                                                    std::int64_t bit_rate = 64'000);

  AudioTranscoder(AudioTranscoder&&) noexcept;
  AudioTranscoder& operator=(AudioTranscoder&&) noexcept;
  ~AudioTranscoder();

  // The output stream's parameters (codec aac, sample rate, channel layout,
  // the AudioSpecificConfig in extradata): avcodec_parameters_copy them into
  // the muxer's stream before avformat_write_header.
  const AVCodecParameters* parameters() const;
  // The time base of the packets push() and flush() append (1/sample_rate).
  AVRational time_base() const;

  // Decodes `pkt` (a packet of the input stream, timestamps in in_time_base)
  // and appends every AAC packet that became ready to `out` (often none or
  // one). A packet the decoder rejects is skipped with a debug log and not
  // an error: a camera's broken audio frame must not stop a recording.
  // Errors: kFailure when the encoder fails.
  [[nodiscard]] Status push(const AVPacket* pkt, std::vector<av::PacketPtr>& out);

  // Drains the encoder (the last partial frame padded with silence) into
  // `out`; call before closing the output. The transcoder can be pushed to
  // again afterwards (a new output file, a new connection).
  [[nodiscard]] Status flush(std::vector<av::PacketPtr>& out);

  struct State;  // implementation detail

 private:
  explicit AudioTranscoder(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

// The audio of an input stream as a muxer takes it: the stream's own
// parameters when it can be copied (can_copy_audio), else AAC from a
// transcoder and that transcoder's parameters.
struct AudioOutput {
  av::ParametersPtr params;
  std::optional<AudioTranscoder> transcoder;  // empty: copy the packets
};

// The AudioOutput of input stream `in` for `muxer` (as for can_copy_audio).
// Errors: those of AudioTranscoder::open, when the audio can be neither
// copied nor transcoded (callers leave it out).
[[nodiscard]] Result<AudioOutput> audio_output(const AVStream& in, std::string_view muxer);

}  // namespace cctv
