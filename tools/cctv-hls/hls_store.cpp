// SPDX-License-Identifier: MIT
// Segment, init, key and playlist files of one rendition, and their retention.
#include "hls_store.hpp"

#include <charconv>
#include <system_error>

#include <fmt/format.h>

#include "cctv/log.hpp"
#include "cctv/output.hpp"

namespace cctv::hls {

namespace {

std::span<const std::uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// N of "stream-N.ts", "stream-N.m4s", "init-N.mp4", "key-N.key"; nullopt for other names.
std::optional<std::int64_t> numbered(const std::string& name, std::string_view prefix) {
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  const auto dot = name.find('.', prefix.size());
  if (dot == std::string::npos) return std::nullopt;
  const std::string_view ext = std::string_view(name).substr(dot);
  if (ext != ".ts" && ext != ".m4s" && ext != ".mp4" && ext != ".key") return std::nullopt;
  std::int64_t n = -1;
  const auto [end, ec] = std::from_chars(name.data() + prefix.size(), name.data() + dot, n);
  if (ec != std::errc() || end != name.data() + dot) return std::nullopt;
  return n;
}

}  // namespace

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
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (auto n = numbered(name, "stream-")) {
      next = std::max(next, *n + 1);
      leftovers_.push_back(entry.path());
    } else if (numbered(name, "init-") || numbered(name, "key-")) {
      leftovers_.push_back(entry.path());
    }
  }
  if (key_dir_ != dir_) {
    for (const auto& entry : std::filesystem::directory_iterator(key_dir_, ec)) {
      if (numbered(entry.path().filename().string(), "key-")) leftovers_.push_back(entry.path());
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
  if (auto w = write_file_atomic(dir_ / kPlaylistName, as_bytes(text)); !w) return fail(w.error());
  for (const auto& path : leftovers_) remove_file(path);
  leftovers_.clear();
  return {};
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
