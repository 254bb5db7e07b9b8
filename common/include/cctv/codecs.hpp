// SPDX-License-Identifier: MIT
// Facts a playlist or a MediaSource needs from the streams: RFC 6381 CODECS strings
// (from the parameter sets). The picture size: remux.hpp fill_picture_size().
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "cctv/av.hpp"

namespace cctv {

// Removes H.264/H.265 emulation-prevention bytes (00 00 03 -> 00 00).
std::string unescape_rbsp(std::span<const std::uint8_t> nal);

// "avc1.PPCCLL" from an H.264 SPS NAL unit (header byte included); empty
// when it is too short.
std::string h264_codec_string(std::span<const std::uint8_t> sps);

// "hvc1.P.C.TL.B..." (ISO/IEC 14496-15 annex E) from an H.265 SPS NAL unit
// (2-byte header included): profile space and idc, the compatibility flags
// bit-reversed in hex, tier and level, the constraint bytes without
// trailing zeros. Empty when it is too short.
std::string hevc_codec_string(std::span<const std::uint8_t> sps);

// The video CODECS entry for a stream, from its extradata (Annex B, avcC or
// hvcC) or else from the in-band SPS of `keyframe` (may be null). Empty
// when neither holds an SPS, or the codec is not H.264/H.265.
std::string video_codec_string(const AVCodecParameters& par, const AVPacket* keyframe);

// "mp4a.40.2" (AAC-LC; 40.5 HE-AAC from the AudioSpecificConfig), "mp4a.40.34"
// (MP3), "ac-3", "ec-3"; empty for anything else.
std::string audio_codec_string(const AVCodecParameters& par);

}  // namespace cctv
