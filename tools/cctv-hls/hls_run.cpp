// SPDX-License-Identifier: MIT
// Running renditions: one in the main thread, or one thread per --variant
// plus the master playlist they share.
#include "hls_run.hpp"

#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "cctv/log.hpp"
#include "cctv/output.hpp"
#include "cctv/signals.hpp"
#include "hls_playlist.hpp"
#include "hls_rendition.hpp"
#include "hls_store.hpp"

namespace cctv::hls {

namespace {

// The master playlist: the facts of every variant, written when complete.
class Master {
 public:
  Master(std::filesystem::path path, const std::vector<VariantSpec>& specs)
      : path_(std::move(path)), specs_(specs), facts_(specs.size()) {}

  void update(std::size_t i, const RenditionFacts& f) {
    std::lock_guard lock(mutex_);
    // BANDWIDTH is the peak: rewrite only when a value players use changes.
    const bool changed = !facts_[i] || facts_[i]->peak_bandwidth != f.peak_bandwidth ||
                         facts_[i]->width != f.width || facts_[i]->height != f.height || facts_[i]->codecs != f.codecs;
    facts_[i] = f;
    if (!changed) return;
    std::vector<Variant> variants;
    for (std::size_t k = 0; k < specs_.size(); ++k) {
      if (!facts_[k]) return;  // not every variant has a segment yet
      const auto& v = *facts_[k];
      variants.push_back({specs_[k].name + "/" + kPlaylistName, v.peak_bandwidth, v.average_bandwidth, v.width,
                          v.height, v.codecs});
    }
    const std::string text = render_master(variants);
    auto w = write_file_atomic(path_, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    if (!w) log_warn("master playlist not updated: {}", w.error().what());
  }

 private:
  std::mutex mutex_;
  std::filesystem::path path_;
  const std::vector<VariantSpec>& specs_;
  std::vector<std::optional<RenditionFacts>> facts_;
};

// Makes each variant's folder (and key folder) in the checked parents, and
// checks them, before any camera is contacted.
Status make_variant_dirs(const std::vector<RenditionConfig>& configs) {
  for (const auto& config : configs) {
    for (const auto* dir : {&config.dir, &config.key_dir}) {
      if (dir->empty()) continue;
      std::error_code ec;
      std::filesystem::create_directory(*dir, ec);
      if (ec) return fail(ExitCode::kOutput, "cannot create " + dir->string(), ec.message());
    }
    if (auto c = check_output(config); !c) return c;
  }
  return {};
}

Result<ExitCode> run_variants(const Options& o) {
  Master master(o.output / kPlaylistName, o.variants);
  std::vector<RenditionConfig> configs;
  for (std::size_t i = 0; i < o.variants.size(); ++i) {
    const std::string& name = o.variants[i].name;
    configs.push_back({o.variants[i].url, o.output / name, o.key_dir.empty() ? o.key_dir : o.key_dir / name, name,
                       [&master, i](const RenditionFacts& f) { master.update(i, f); }});
  }
  if (auto d = make_variant_dirs(configs); !d) return fail(d.error());
  std::vector<Result<ExitCode>> results(configs.size(), ExitCode::kOk);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    threads.emplace_back([&, i] {
      results[i] = run_rendition(o, configs[i]);
      if (!results[i]) request_stop();  // one rendition failed for good: finish the others
    });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    if (!r) return r;
  }
  return ExitCode::kOk;
}

}  // namespace

Result<ExitCode> run(const Options& o) {
  const RenditionConfig top{o.url, o.output, o.key_dir, "", nullptr};
  if (auto c = check_output(top); !c) return fail(c.error());
  if (o.variants.empty()) return run_rendition(o, top);
  return run_variants(o);
}

}  // namespace cctv::hls
