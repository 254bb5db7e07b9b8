// SPDX-License-Identifier: MIT
// JPEG encoding of decoded frames with TurboJPEG, straight from the YUV planes.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cctv/av.hpp"
#include "cctv/error.hpp"

namespace cctv {

struct JpegOptions {
  int quality = 85;  // 1..100
  // Target size; 0 keeps the source size, one of them 0 keeps the aspect
  // ratio (rounded to even).
  int width = 0;
  int height = 0;
};

// The output size for a `src_w`x`src_h` frame under `opts` (pure; unit-tested).
struct Size { int width = 0; int height = 0; };
Size scaled_size(int src_w, int src_h, const JpegOptions& opts);

// Encodes frames to JPEG. Planar YUV 4:2:0/4:2:2/4:4:4 and gray frames of the
// target size go straight from the frame's planes to TurboJPEG (no RGB pass);
// other pixel formats and scaling go through one swscale pass to YUV 4:2:0.
// Not thread-safe; one per encoding thread.
class JpegEncoder {
 public:
  [[nodiscard]] static Result<JpegEncoder> create(const JpegOptions& opts);
  JpegEncoder(JpegEncoder&&) noexcept;
  JpegEncoder& operator=(JpegEncoder&&) noexcept;
  ~JpegEncoder();

  // Encodes `frame` into `out` (replacing its contents).
  [[nodiscard]] Status encode(const AVFrame& frame, std::vector<std::uint8_t>& out);

  // The same frame converted to packed RGB first, then compressed: the path
  // a naive encoder takes; kept only so the benchmark can show the cost.
  [[nodiscard]] Status encode_via_rgb(const AVFrame& frame, std::vector<std::uint8_t>& out);

 private:
  struct State;
  explicit JpegEncoder(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace cctv
