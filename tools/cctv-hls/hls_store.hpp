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
#include <string_view>
#include <vector>

#include "cctv/error.hpp"
#include "hls_crypto.hpp"
#include "hls_playlist.hpp"

namespace cctv::hls {

inline constexpr const char* kPlaylistName = "stream.m3u8";

// N of a name cctv-hls writes: "stream-N.ts", "stream-N.m4s", "init-N.mp4" or
// "key-N.key", with N in plain decimal (no sign, no leading zero) of at
// most 18 digits, so that N + 1 never overflows; nullopt for any other name. Pure.
std::optional<std::int64_t> own_file_sequence(std::string_view name);

// The media playlist as cctv-hls stores it: `playlist` (MediaPlaylist::render())
// with a comment line after #EXTM3U that marks it as cctv-hls's, and one at
// the end naming `held`: this run's files still on disk that the playlist
// does not list (segments removed from it a short while ago, their init
// and key files). Comments keep it valid HLS (RFC 8216 4.1). Pure.
std::string mark_own_playlist(std::string_view playlist, const std::vector<std::string>& held);

// The files an earlier run of cctv-hls left, by name: what `text`, a
// playlist mark_own_playlist() made, lists (segments, EXT-X-MAP, the last
// component of EXT-X-KEY URIs) and holds, restricted to the names
// own_file_sequence() accepts; sorted, each once. nullopt when `text` is
// not such a playlist (a user's, or one without the marker). Pure.
std::optional<std::vector<std::string>> files_of_own_playlist(std::string_view text);

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

  // Finds the files of an earlier run: those its playlist (stream.m3u8, if
  // files_of_own_playlist() takes it) names; key files in the key folder.
  // They are deleted after the first publish(); nothing else in the folders
  // ever is. Returns the media sequence to continue from: one past every
  // number that playlist names and every name of own_file_sequence() form
  // in the folders (so a player that still holds the old playlist sees
  // numbers go on, and no file there is overwritten), else 0.
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

  // Writes the playlist text (marked, see mark_own_playlist()) atomically,
  // then deletes files that fell far enough out of it. Errors: kOutput (the
  // previous playlist stays intact).
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
  std::vector<std::string> held() const;

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
