// SPDX-License-Identifier: MIT
// The output folder of one rendition: segment, init and key files written
// atomically, the playlist published atomically, and old files deleted only
// once no player can still ask for them.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cctv/error.hpp"
#include "hls_crypto.hpp"
#include "hls_playlist.hpp"

namespace cctv::hls {

inline constexpr const char* kPlaylistName = "stream.m3u8";

struct StoreOptions {
  int list_size = 6;
  bool encrypt = false;
  std::string key_uri;            // prefix of key file names in EXT-X-KEY
  std::filesystem::path key_dir;  // where key files go; empty: the rendition's folder
  int key_rotate = 0;             // new key every N segments; 0: one per run
};

// Not thread-safe: one per rendition.
class SegmentStore {
 public:
  SegmentStore(std::filesystem::path dir, StoreOptions opts);

  // Fails with kOutput when the folder (or the key folder) is missing or no
  // file can be created in it (checked before connecting to the camera).
  [[nodiscard]] Status check() const;

  // Scans the folder (and the key folder) for the files of an earlier run: returns the media
  // sequence to continue from (one past the newest earlier segment, else
  // 0), so a player that still holds the old playlist sees numbers go on.
  // The earlier files are deleted after the first publish().
  std::int64_t resume();

  // Writes an fMP4 init segment as init-SEQ.mp4 and returns its URI; it is
  // the map of the segments stored after it. Errors: kOutput.
  [[nodiscard]] Result<std::string> store_init(std::int64_t sequence, std::span<const std::uint8_t> bytes);

  // Writes a complete segment as stream-SEQ.EXT (encrypted when asked, IV =
  // sequence, key file rotated as configured) and returns its playlist
  // entry without timing. Errors: kOutput (disk full, permission), kFailure
  // (encryption); nothing is left behind on failure.
  [[nodiscard]] Result<Segment> store_segment(std::int64_t sequence, const char* ext,
                                              std::span<const std::uint8_t> bytes);

  // Writes the playlist text atomically, then deletes files that fell far
  // enough out of it. Errors: kOutput (the previous playlist stays intact).
  [[nodiscard]] Status publish(const std::string& text, const std::vector<Segment>& dropped);

  // Deletes every segment already out of the playlist at once: room for the
  // next segment after a failed write (disk full).
  void drop_retired();

  const std::filesystem::path& dir() const { return dir_; }

 private:
  [[nodiscard]] Result<std::string> current_key_uri(std::int64_t sequence);
  void retire(const std::vector<Segment>& dropped, std::size_t keep);
  void release(const std::string& uri);
  void remove_file(const std::filesystem::path& path);

  std::filesystem::path dir_;
  std::filesystem::path key_dir_;
  StoreOptions opts_;
  // Segments out of the playlist but still on disk (RFC 8216 6.2.2: a
  // removed segment stays available for about one playlist duration more).
  std::deque<Segment> retired_;
  // Init and key files by URI: the file, and the number of stored segments using it.
  struct Aux {
    std::filesystem::path file;
    int refs = 0;
  };
  std::map<std::string, Aux> aux_;
  std::string current_init_;
  struct Key {
    AesKey key;
    std::string uri;
    int used = 0;  // segments encrypted with it
  };
  std::optional<Key> key_;
  std::vector<std::filesystem::path> leftovers_;  // earlier run's files
};

}  // namespace cctv::hls
