// SPDX-License-Identifier: MIT
// CODECS strings from parameter sets, and the picture size from a keyframe.
#include "cctv/codecs.hpp"

#include <optional>

#include <fmt/format.h>

#include "cctv/remux.hpp"

namespace cctv {

namespace {

using Bytes = std::span<const std::uint8_t>;

// Big-endian bit reader over an unescaped RBSP.
class Bits {
 public:
  explicit Bits(const std::string& d) : d_(d) {}
  std::uint32_t read(int n) {
    std::uint32_t v = 0;
    for (int i = 0; i < n; ++i, ++pos_) {
      const std::size_t byte = pos_ / 8;
      const int bit = byte < d_.size() ? (static_cast<std::uint8_t>(d_[byte]) >> (7 - pos_ % 8)) & 1 : 0;
      v = (v << 1) | static_cast<std::uint32_t>(bit);
    }
    return v;
  }
  bool ok() const { return pos_ <= d_.size() * 8; }

 private:
  const std::string& d_;
  std::size_t pos_ = 0;
};

std::uint32_t reverse_bits(std::uint32_t v) {
  std::uint32_t r = 0;
  for (int i = 0; i < 32; ++i) r |= ((v >> i) & 1u) << (31 - i);
  return r;
}

// The first NAL unit of `type` in Annex B data.
std::optional<Bytes> find_annexb_nal(Bytes data, AVCodecID codec, int type) {
  std::optional<Bytes> found;
  for_each_annexb_nal(data, [&](Bytes nal) {
    if (nal_unit_type(codec, nal[0]) == type) found = nal;
    return found.has_value();
  });
  return found;
}

std::string hvcc_codec_string(Bytes c) {
  // hvcC: byte 1 profile space/tier/idc, 2..5 compatibility, 6..11 constraints, 12 level.
  if (c.size() < 13) return {};
  std::string sps = {0x42, 0x01, 0x01};  // a fake SPS header + first byte, then the PTL
  sps.append(reinterpret_cast<const char*>(c.data() + 1), 12);
  return hevc_codec_string({reinterpret_cast<const std::uint8_t*>(sps.data()), sps.size()});
}

}  // namespace

std::string unescape_rbsp(Bytes nal) {
  std::string out;
  out.reserve(nal.size());
  int zeros = 0;
  for (std::uint8_t b : nal) {
    if (zeros >= 2 && b == 3) {
      zeros = 0;
      continue;
    }
    zeros = b == 0 ? zeros + 1 : 0;
    out.push_back(static_cast<char>(b));
  }
  return out;
}

std::string h264_codec_string(Bytes sps) {
  if (sps.size() < 4) return {};
  return fmt::format("avc1.{:02x}{:02x}{:02x}", sps[1], sps[2], sps[3]);
}

std::string hevc_codec_string(Bytes sps) {
  const std::string rbsp = unescape_rbsp(sps);
  if (rbsp.size() < 2 + 1 + 12) return {};
  Bits b(rbsp);
  b.read(16 + 4 + 3 + 1);  // NAL header, sps_video_parameter_set_id, max_sub_layers, temporal_id_nesting
  const std::uint32_t space = b.read(2), tier = b.read(1), idc = b.read(5);
  const std::uint32_t compat = b.read(32);
  std::uint8_t constraints[6];
  for (auto& c : constraints) c = static_cast<std::uint8_t>(b.read(8));
  const std::uint32_t level = b.read(8);
  static constexpr const char* kSpace[] = {"", "A", "B", "C"};
  std::string s = fmt::format("hvc1.{}{}.{:X}.{}{}", kSpace[space], idc, reverse_bits(compat), tier ? 'H' : 'L', level);
  int last = 5;
  while (last >= 0 && constraints[last] == 0) --last;
  for (int i = 0; i <= last; ++i) s += fmt::format(".{:X}", constraints[i]);
  return s;
}

std::string video_codec_string(const AVCodecParameters& par, const AVPacket* keyframe) {
  if (par.codec_id != AV_CODEC_ID_H264 && par.codec_id != AV_CODEC_ID_HEVC) return {};
  const bool h264 = par.codec_id == AV_CODEC_ID_H264;
  const Bytes extra(par.extradata, par.extradata != nullptr ? static_cast<std::size_t>(par.extradata_size) : 0);
  if (extra.size() > 4 && extra[0] == 1) {  // avcC / hvcC
    return h264 ? fmt::format("avc1.{:02x}{:02x}{:02x}", extra[1], extra[2], extra[3]) : hvcc_codec_string(extra);
  }
  const int sps_type = h264 ? 7 : 33;
  auto sps = find_annexb_nal(extra, par.codec_id, sps_type);
  if (!sps && keyframe != nullptr) sps = find_annexb_nal({keyframe->data, static_cast<std::size_t>(keyframe->size)}, par.codec_id, sps_type);
  if (!sps) return {};
  return h264 ? h264_codec_string(*sps) : hevc_codec_string(*sps);
}

std::string audio_codec_string(const AVCodecParameters& par) {
  switch (par.codec_id) {
    case AV_CODEC_ID_AAC: {
      const int aot = par.extradata_size > 0 ? par.extradata[0] >> 3 : 2;
      return fmt::format("mp4a.40.{}", aot == 5 || aot == 29 ? aot : 2);
    }
    case AV_CODEC_ID_MP3: return "mp4a.40.34";
    case AV_CODEC_ID_AC3: return "ac-3";
    case AV_CODEC_ID_EAC3: return "ec-3";
    default: return {};
  }
}

}  // namespace cctv
