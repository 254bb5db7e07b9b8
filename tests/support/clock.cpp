// SPDX-License-Identifier: MIT
// Reads the wall-clock stamp that the camera fixture's /clock mount paints into each frame.
#include <cstdint>
#include <optional>

#include "support.hpp"

namespace cctv::test {

namespace {
constexpr int kColumns = 32;  // squares per row; a square is width/32 pixels wide
constexpr int kBits = 48;     // milliseconds since the epoch, most significant bit first
constexpr int kChecks = 2 * kColumns - kBits;  // complements of the bits before them in row 1
}  // namespace

std::optional<std::int64_t> read_clock_stamp(const std::uint8_t* luma, int stride, int width,
                                             int height) {
  const int size = width / kColumns;
  if (size < 4 || height < 2 * size) return std::nullopt;
  // The middle half of each square, away from the coding blur at its edges.
  const auto bit = [&](int index) {
    const int x0 = (index % kColumns) * size + size / 4;
    const int y0 = (index / kColumns) * size + size / 4;
    int sum = 0;
    int count = 0;
    for (int y = y0; y < y0 + size / 2; ++y) {
      for (int x = x0; x < x0 + size / 2; ++x) {
        sum += luma[static_cast<std::ptrdiff_t>(y) * stride + x];
        ++count;
      }
    }
    return sum / count >= 126;
  };
  std::int64_t value = 0;
  for (int i = 0; i < kBits; ++i) value = (value << 1) | (bit(i) ? 1 : 0);
  for (int i = 0; i < kChecks; ++i) {
    if (bit(kColumns + i) == bit(kBits + i)) return std::nullopt;
  }
  return value;
}

}  // namespace cctv::test
