// SPDX-License-Identifier: MIT
// Segment, init, key and playlist files of one rendition, and their retention.
#include "hls_store.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cctv/log.hpp"
#include "cctv/output.hpp"

namespace cctv::hls {

namespace {

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The comment lines of mark_own_playlist(): plain comments, not tags (a
// strict player refuses an unknown #EXT tag).
constexpr std::string_view kMarker = "# written by cctv-hls";
constexpr std::string_view kHeld = "# cctv-hls also holds:";

// Larger than any playlist cctv-hls writes; a bigger stream.m3u8 is not ours.
constexpr std::uintmax_t kMaxPlaylistBytes = 1 << 20;

// The value of URI="..." in a tag's attribute list; empty when there is none.
std::string_view uri_attribute(std::string_view line) {
  constexpr std::string_view kUri = "URI=\"";
  const auto at = line.find(kUri);
  if (at == std::string_view::npos) return {};
  const auto begin = at + kUri.size();
  const auto end = line.find('"', begin);
  return end == std::string_view::npos ? std::string_view() : line.substr(begin, end - begin);
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return out;
}

// The whole of `path` if it is a regular file (not a link) of a playlist's size.
std::optional<std::string> read_playlist(const std::filesystem::path& path) {
  std::error_code ec;
  const auto st = std::filesystem::symlink_status(path, ec);
  if (ec || !std::filesystem::is_regular_file(st)) return std::nullopt;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxPlaylistBytes) return std::string();  // there, but not ours
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return std::string();
  return text;
}

}  // namespace

std::optional<std::int64_t> own_file_sequence(std::string_view name) {
  struct Kind {
    std::string_view prefix;
    std::initializer_list<std::string_view> extensions;
  };
  static const Kind kKinds[] = {{"stream-", {".ts", ".m4s"}}, {"init-", {".mp4"}}, {"key-", {".key"}}};
  for (const Kind& k : kKinds) {
    if (!name.starts_with(k.prefix)) continue;
    const std::string_view rest = name.substr(k.prefix.size());
    const auto dot = rest.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    const std::string_view digits = rest.substr(0, dot), ext = rest.substr(dot);
    if (std::find(k.extensions.begin(), k.extensions.end(), ext) == k.extensions.end()) return std::nullopt;
    // 18 digits at most: N + 1 (the next sequence) never overflows an int64.
    if (digits.empty() || digits.size() > 18 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
    std::int64_t n = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || n < 0) return std::nullopt;
    return n;
  }
  return std::nullopt;
}

std::string mark_own_playlist(std::string_view playlist, const std::vector<std::string>& held) {
  constexpr std::string_view kFirst = "#EXTM3U\n";
  std::string out;
  if (playlist.starts_with(kFirst)) {
    out = fmt::format("{}{}\n{}", kFirst, kMarker, playlist.substr(kFirst.size()));
  } else {
    out = std::string(playlist);  // not a playlist: left unmarked (never happens)
  }
  if (!held.empty()) out += fmt::format("{} {}\n", kHeld, fmt::join(held, " "));
  return out;
}

std::optional<std::vector<std::string>> files_of_own_playlist(std::string_view text) {
  const auto lines = lines_of(text);
  if (lines.size() < 2 || lines[0] != "#EXTM3U" || lines[1] != kMarker) return std::nullopt;
  std::set<std::string, std::less<>> names;
  const auto add = [&names](std::string_view name) {
    if (own_file_sequence(name)) names.emplace(name);
  };
  for (const std::string_view line : lines) {
    if (line.starts_with(kHeld)) {
      std::string_view rest = line.substr(kHeld.size());
      while (!rest.empty()) {
        const auto space = rest.find(' ');
        add(rest.substr(0, space));
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      }
    } else if (line.starts_with("#EXT-X-MAP:")) {
      add(uri_attribute(line));
    } else if (line.starts_with("#EXT-X-KEY:")) {
      // The key file's name follows --key-uri's prefix (an address elsewhere).
      const std::string_view uri = uri_attribute(line);
      const auto slash = uri.rfind('/');
      add(slash == std::string_view::npos ? uri : uri.substr(slash + 1));
    } else if (!line.empty() && line[0] != '#') {
      add(line);  // a segment: a plain name, as cctv-hls lists them
    }
  }
  return std::vector<std::string>(names.begin(), names.end());
}

SegmentStore::SegmentStore(std::filesystem::path dir, StoreOptions opts)
    : dir_(std::move(dir)), key_dir_(opts.key_dir.empty() ? dir_ : opts.key_dir), opts_(std::move(opts)) {}

Status SegmentStore::check() const {
  for (const auto& [folder, what] : {std::pair{&dir_, "output"}, std::pair{&key_dir_, "key"}}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(*folder, ec)) {
      return fail(ExitCode::kOutput, fmt::format("{} folder '{}' does not exist", what, folder->string()));
    }
    if (auto c = check_can_create(*folder / kPlaylistName); !c) return c;
  }
  return {};
}

std::int64_t SegmentStore::resume() {
  std::int64_t next = 0;
  // Numbers already taken in the folders, whoever wrote the files: never
  // one of them again (the files themselves are left alone).
  for (const auto* folder : {&dir_, &key_dir_}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(*folder, ec)) {
      if (auto n = own_file_sequence(entry.path().filename().string())) next = std::max(next, *n + 1);
    }
  }
  // The earlier run's files: those its own playlist names.
  const std::filesystem::path playlist = dir_ / kPlaylistName;
  if (const auto text = read_playlist(playlist)) {
    if (const auto files = files_of_own_playlist(*text)) {
      for (const std::string& name : *files) {
        next = std::max(next, *own_file_sequence(name) + 1);
        leftovers_.push_back((name.starts_with("key-") ? key_dir_ : dir_) / name);
      }
    } else {
      log_warn("{} was not written by cctv-hls: it is replaced, but no file it names is deleted", playlist.string());
    }
  }
  if (next > 0) log_info("{}: continuing after an earlier run at media sequence {}", dir_.string(), next);
  return next;
}

Result<std::string> SegmentStore::store_init(std::int64_t sequence, std::span<const std::uint8_t> bytes) {
  const std::string name = fmt::format("init-{}.mp4", sequence);
  if (auto w = write_file_atomic(dir_ / name, bytes); !w) return fail(w.error());
  if (!current_init_.empty() && aux_[current_init_].refs == 0) release(current_init_);
  current_init_ = name;
  aux_[name] = {dir_ / name, 0};
  return name;
}

Result<std::string> SegmentStore::current_key_uri(std::int64_t sequence) {
  if (key_ && (opts_.key_rotate == 0 || key_->used < opts_.key_rotate)) return key_->uri;
  auto key = random_key();
  if (!key) return fail(key.error());
  const std::string file = fmt::format("key-{}.key", sequence);
  if (auto w = write_file_atomic(key_dir_ / file, *key); !w) return fail(w.error());
  if (key_ && aux_[key_->uri].refs == 0) release(key_->uri);
  key_ = Key{*key, opts_.key_uri + file, 0};
  aux_[key_->uri] = {key_dir_ / file, 0};
  return key_->uri;
}

Result<Segment> SegmentStore::store_segment(std::int64_t sequence, const char* ext,
                                            std::span<const std::uint8_t> bytes) {
  Segment s;
  s.sequence = sequence;
  s.uri = fmt::format("stream-{}.{}", sequence, ext);
  s.map_uri = current_init_;
  std::vector<std::uint8_t> sealed;
  if (opts_.encrypt) {
    auto uri = current_key_uri(sequence);
    if (!uri) return fail(uri.error());
    auto enc = encrypt_aes128(bytes, key_->key, iv_for_sequence(sequence));
    if (!enc) return fail(enc.error());
    sealed = std::move(*enc);
    bytes = sealed;
    s.key_uri = *uri;
  }
  if (auto w = write_file_atomic(dir_ / s.uri, bytes); !w) return fail(w.error());
  s.bytes = static_cast<std::int64_t>(bytes.size());
  if (opts_.encrypt) ++key_->used;
  if (!s.map_uri.empty()) ++aux_[s.map_uri].refs;
  if (!s.key_uri.empty()) ++aux_[s.key_uri].refs;
  return s;
}

Status SegmentStore::publish(const std::string& text, const std::vector<Segment>& dropped) {
  retire(dropped, static_cast<std::size_t>(opts_.list_size + 1));
  const std::string marked = mark_own_playlist(text, held());
  if (auto w = write_file_atomic(dir_ / kPlaylistName, as_bytes(marked)); !w) return fail(w.error());
  // An earlier run's files, named by this playlist until they are gone (a
  // crash here leaves them to the next run).
  for (const auto& path : leftovers_) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::symlink_status(path, ec))) remove_file(path);
  }
  leftovers_.clear();
  return {};
}

// This run's files on disk that the playlist does not list, and the earlier run's not yet deleted.
std::vector<std::string> SegmentStore::held() const {
  std::vector<std::string> out;
  for (const Segment& s : retired_) out.push_back(s.uri);
  for (const auto& [uri, aux] : aux_) out.push_back(aux.file.filename().string());
  for (const auto& path : leftovers_) out.push_back(path.filename().string());
  std::erase(out, std::string());
  return out;
}

void SegmentStore::drop_retired() { retire({}, 0); }

void SegmentStore::retire(const std::vector<Segment>& dropped, std::size_t keep) {
  retired_.insert(retired_.end(), dropped.begin(), dropped.end());
  while (retired_.size() > keep) {
    const Segment& s = retired_.front();
    remove_file(dir_ / s.uri);
    for (const auto* aux : {&s.map_uri, &s.key_uri}) {
      if (aux->empty()) continue;
      const bool current = *aux == current_init_ || (key_ && *aux == key_->uri);
      if (--aux_[*aux].refs == 0 && !current) release(*aux);
    }
    retired_.pop_front();
  }
}

// Deletes an init or key file that no stored segment uses any more.
void SegmentStore::release(const std::string& uri) {
  const auto it = aux_.find(uri);
  if (it == aux_.end()) return;
  remove_file(it->second.file);
  aux_.erase(it);
}

void SegmentStore::remove_file(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  if (ec) log_warn("cannot delete {}: {}", path.string(), ec.message());
}

}  // namespace cctv::hls
