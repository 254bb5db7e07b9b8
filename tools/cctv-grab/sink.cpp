// SPDX-License-Identifier: MIT
// cctv-grab's outputs: atomic files by pattern, or JPEG / multipart on stdout.
#include "sink.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/output.hpp"

namespace cctv::grab {

namespace {
// The boundary of --format mpjpeg; FFmpeg's mpjpeg demuxer and browsers read it.
constexpr std::string_view kBoundary = "cctvframe";
}  // namespace

Sink::Sink(const Options& o)
    : to_stdout_(o.output == "-"), multipart_(o.format == StreamFormat::kMpjpeg), pattern_(o.output) {}

Status Sink::check() const {
  if (to_stdout_) return {};
  return check_can_create(expand_pattern(pattern_, std::chrono::system_clock::now(), 1));
}

Result<bool> Sink::write(std::span<const std::uint8_t> jpeg, long seq) {
  if (!to_stdout_) {
    const std::string path = expand_pattern(pattern_, std::chrono::system_clock::now(), seq);
    if (auto s = write_file_atomic(path, jpeg); !s) return fail(s.error());
    log_info("wrote {} ({} bytes)", path, jpeg.size());
    return true;
  }
  if (!multipart_) return write_all(STDOUT_FILENO, jpeg, "stdout");
  // The boundary goes right after each JPEG, not before the next one: a
  // reader then knows at once that the part is complete.
  std::string head = !started_ ? fmt::format("--{}\r\n", kBoundary) : std::string();
  head += fmt::format("Content-Type: image/jpeg\r\nContent-Length: {}\r\n\r\n", jpeg.size());
  started_ = true;
  const std::string tail = fmt::format("\r\n--{}\r\n", kBoundary);
  for (std::span<const std::uint8_t> piece :
       {std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(head.data()), head.size()), jpeg,
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(tail.data()), tail.size())}) {
    auto w = write_all(STDOUT_FILENO, piece, "stdout");
    if (!w || !*w) return w;
  }
  return true;
}

}  // namespace cctv::grab
