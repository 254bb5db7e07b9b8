// SPDX-License-Identifier: MIT
// The clip's muxer over a file descriptor: temporary file, rename on success, removal on failure.
#include "writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cctv/output.hpp"

namespace cctv::clip {

namespace {

constexpr int kIoBuffer = 1 << 18;

std::string lower_ext(std::string_view path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// A clip replaces only a regular file (or nothing): never a device, a FIFO,
// a socket, a link or a folder that is at `path` now.
Status check_replaceable(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return {};
  return fail(ExitCode::kOutput, "'" + path + "' is not a regular file and is left as it is",
              "cctv-clip replaces only regular files; write a stream with -o - instead");
}

}  // namespace

std::optional<Container> container_for(std::string_view path) {
  if (path == "-") return Container::kStdoutMp4;
  const std::string ext = lower_ext(path);
  if (ext == ".mp4" || ext == ".m4v") return Container::kMp4;
  if (ext == ".mov") return Container::kMov;
  if (ext == ".mkv") return Container::kMatroska;
  if (ext == ".ts") return Container::kMpegTs;
  return std::nullopt;
}

const char* muxer_name(Container c) {
  switch (c) {
    case Container::kMov: return "mov";
    case Container::kMatroska: return "matroska";
    case Container::kMpegTs: return "mpegts";
    case Container::kMp4:
    case Container::kStdoutMp4: return "mp4";
  }
  return "mp4";
}

bool has_edit_lists(Container c) { return c == Container::kMp4 || c == Container::kMov || c == Container::kStdoutMp4; }

int ClipWriter::write_cb(void* opaque, std::uint8_t* buf, int size) {
  auto* w = static_cast<ClipWriter*>(opaque);
  int done = 0;
  while (done < size) {
    const ssize_t n = ::write(w->fd_, buf + done, static_cast<size_t>(size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      w->errno_ = n < 0 ? errno : EIO;
      return AVERROR(w->errno_);
    }
    done += static_cast<int>(n);
  }
  w->bytes_ += static_cast<std::uint64_t>(size);
  return size;
}

std::int64_t ClipWriter::seek_cb(void* opaque, std::int64_t offset, int whence) {
  auto* w = static_cast<ClipWriter*>(opaque);
  if (whence == AVSEEK_SIZE) {
    struct stat st {};
    return ::fstat(w->fd_, &st) == 0 ? st.st_size : AVERROR(errno);
  }
  const off_t r = ::lseek(w->fd_, offset, whence & ~AVSEEK_FORCE);
  return r < 0 ? AVERROR(errno) : r;
}

Result<std::unique_ptr<ClipWriter>> ClipWriter::open(const std::string& path, Container c) {
  std::unique_ptr<ClipWriter> w(new ClipWriter());
  w->path_ = path;
  w->container_ = c;
  if (c == Container::kStdoutMp4) {
    w->fd_ = STDOUT_FILENO;
  } else {
    if (auto s = check_replaceable(path); !s) return fail(s.error());
    auto t = create_temp_beside(path);
    if (!t) return fail(t.error());
    w->temp_ = t->path;
    w->fd_ = t->fd;
  }
  if (int e = avformat_alloc_output_context2(&w->oc_, nullptr, muxer_name(c), nullptr); e < 0) {
    return fail(ExitCode::kFailure, "cannot set up the muxer", av::error_string(e));
  }
  auto* buf = static_cast<unsigned char*>(av_malloc(kIoBuffer));
  const bool seekable = c != Container::kStdoutMp4;
  w->io_ = avio_alloc_context(buf, kIoBuffer, 1, w.get(), nullptr, &ClipWriter::write_cb,
                              seekable ? &ClipWriter::seek_cb : nullptr);
  w->io_->seekable = seekable ? AVIO_SEEKABLE_NORMAL : 0;
  w->oc_->pb = w->io_;
  w->oc_->flags |= AVFMT_FLAG_CUSTOM_IO;
  return w;
}

ClipWriter::~ClipWriter() {
  if (oc_ != nullptr) avformat_free_context(oc_);
  if (io_ != nullptr) {
    av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
  if (!temp_.empty()) {
    if (fd_ >= 0) ::close(fd_);
    if (!done_) ::unlink(temp_.c_str());
  }
}

int ClipWriter::add_stream(const AVCodecParameters* par, AVRational time_base) {
  AVStream* st = avformat_new_stream(oc_, nullptr);
  avcodec_parameters_copy(st->codecpar, par);
  st->codecpar->codec_tag = 0;
  st->time_base = time_base;
  return st->index;
}

Error ClipWriter::failure(int averror) const {
  const std::string where = path_ == "-" ? "stdout" : "'" + path_ + "'";
  if (errno_ != 0) return {ExitCode::kOutput, "cannot write " + where, std::strerror(errno_)};
  return {ExitCode::kOutput, "cannot write " + where, av::error_string(averror)};
}

Status ClipWriter::start(const std::string& creation_utc) {
  av_dict_set(&oc_->metadata, "creation_time", creation_utc.c_str(), 0);
  AVDictionary* opts = nullptr;
  if (container_ == Container::kStdoutMp4) {
    // Fragments a player can start on; delay_moov writes the moov once the
    // first fragment's timestamps (and so the edit list) are known.
    av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof+delay_moov+use_metadata_tags", 0);
  } else if (container_ == Container::kMp4 || container_ == Container::kMov) {
    // creation_time with its microseconds (the mvhd box holds whole seconds).
    av_dict_set(&opts, "movflags", "use_metadata_tags", 0);
  }
  const int e = avformat_write_header(oc_, &opts);
  av_dict_free(&opts);
  if (e < 0) {
    if (errno_ == 0 && e == AVERROR(EINVAL)) {
      return fail(ExitCode::kUnsupported, std::string("the ") + muxer_name(container_) + " muxer refuses these streams",
                  av::error_string(e));
    }
    return fail(failure(e));
  }
  return {};
}

Status ClipWriter::write(AVPacket* pkt) {
  if (reader_gone()) {
    av_packet_unref(pkt);
    return {};
  }
  if (int e = av_interleaved_write_frame(oc_, pkt); e < 0) {
    if (reader_gone()) return {};
    return fail(failure(e));
  }
  if (io_->error < 0) return fail(failure(io_->error));
  return {};
}

Status ClipWriter::finish() {
  if (reader_gone()) return {};
  if (int e = av_write_trailer(oc_); e < 0) return fail(failure(e));
  avio_flush(io_);
  if (io_->error < 0) return fail(failure(io_->error));
  if (temp_.empty()) return {};
  // No fsync, as everywhere in the tools: rename() alone keeps readers from a half file.
  if (::close(fd_) != 0) {
    errno_ = errno;
    fd_ = -1;
    return fail(failure(AVERROR(errno_)));
  }
  fd_ = -1;
  if (auto s = check_replaceable(path_); !s) return s;  // something else appeared there meanwhile
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    errno_ = errno;
    return fail(failure(AVERROR(errno_)));
  }
  done_ = true;
  return {};
}

}  // namespace cctv::clip
