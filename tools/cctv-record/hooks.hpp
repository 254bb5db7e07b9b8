// SPDX-License-Identifier: MIT
// --on-segment: a shell command per finished segment, a bounded number at once.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace cctv::record {

// Runs `/bin/sh -c 'CMD "$1"' cctv-record-hook PATH` for each submitted
// segment: the path is an argument, never pasted into the command text. At
// most `jobs` run at once; more wait in a queue (at most kMaxQueued; beyond
// that the oldest waiting one is dropped with a warning). The command's
// stdout goes to our stderr (our stdout is the list of segments), its stdin
// is /dev/null. A failure (start failure, non-zero exit, signal) is logged
// and never stops the recording. Not thread-safe: call from one thread.
class HookRunner {
 public:
  static constexpr size_t kMaxQueued = 1000;

  HookRunner(std::string command, int jobs);
  // Leaves commands still running to finish on their own (detached).
  ~HookRunner();
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // Queues the command for `segment` and starts what the limit allows.
  void submit(const std::filesystem::path& segment);
  // Reaps finished commands (logging failures) and starts waiting ones.
  // Cheap; call it often.
  void poll();
  // Waits until every queued and running command has finished, at most `limit`.
  void drain(std::chrono::milliseconds limit);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cctv::record
