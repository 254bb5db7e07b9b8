// SPDX-License-Identifier: MIT
// The clip file: a muxer writing to a temporary file renamed into place when whole, or to stdout.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cctv/av.hpp"
#include "cctv/error.hpp"

namespace cctv::clip {

enum class Container { kMp4, kMov, kMatroska, kMpegTs, kStdoutMp4 };

// The container for `-o PATH` by its extension (.mp4 .mov .mkv .ts, any
// case; "-": fragmented MP4 on stdout), or nullopt.
std::optional<Container> container_for(std::string_view path);
// FFmpeg's muxer name.
const char* muxer_name(Container c);
// Whether the container can hide the frames before the cut with an edit list.
bool has_edit_lists(Container c);

// One output. Data goes through our own AVIOContext to a file created with
// O_EXCL beside the destination (or to stdout), so that a write error is
// known by its errno; finish() renames the file into place, and a writer
// destroyed before that removes it: a failed clip leaves nothing behind.
// Not thread-safe.
class ClipWriter {
 public:
  // Prepares the muxer for `path` ("-": stdout). Streams are added with
  // add_stream() before start(). Errors: kOutput (temporary file).
  [[nodiscard]] static Result<std::unique_ptr<ClipWriter>> open(const std::string& path, Container c);
  ~ClipWriter();
  ClipWriter(const ClipWriter&) = delete;
  ClipWriter& operator=(const ClipWriter&) = delete;

  // A new output stream with these parameters (copied); returns its index.
  int add_stream(const AVCodecParameters* par, AVRational time_base);
  AVRational time_base(int index) const { return oc_->streams[index]->time_base; }
  // The parameters of output stream `index`, to complete before start().
  AVCodecParameters* parameters(int index) { return oc_->streams[index]->codecpar; }
  // Writes the header with creation_time `creation_utc` (ISO 8601).
  // Errors: kOutput (disk full: the cause says so), kUnsupported (a codec the container refuses).
  [[nodiscard]] Status start(const std::string& creation_utc);
  // Writes one packet (timestamps in the output stream's time base;
  // the packet is consumed). Errors: kOutput.
  [[nodiscard]] Status write(AVPacket* pkt);
  // Trailer, close, rename into place. Errors: kOutput (nothing left behind).
  [[nodiscard]] Status finish();

  std::uint64_t bytes() const { return bytes_; }
  // True once the reader of stdout went away (EPIPE: `| head`, a player
  // closed): later writes are dropped and finish() succeeds, as a pipe's
  // reader chose to stop.
  bool reader_gone() const { return temp_.empty() && errno_ == EPIPE; }

 private:
  ClipWriter() = default;
  Error failure(int averror) const;
  static int write_cb(void* opaque, std::uint8_t* buf, int size);
  static std::int64_t seek_cb(void* opaque, std::int64_t offset, int whence);

  std::string path_;
  std::string temp_;  // empty for stdout
  Container container_ = Container::kMp4;
  int fd_ = -1;
  AVFormatContext* oc_ = nullptr;
  AVIOContext* io_ = nullptr;
  std::uint64_t bytes_ = 0;
  int errno_ = 0;  // of the first failed write
  bool done_ = false;
};

}  // namespace cctv::clip
