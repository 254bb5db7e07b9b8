// SPDX-License-Identifier: MIT
// Where cctv-grab's JPEGs go: files named by a pattern, or a stream on stdout.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "cctv/error.hpp"
#include "grab.hpp"

namespace cctv::grab {

class Sink {
 public:
  explicit Sink(const Options& o);
  // Fails with kOutput when the first output file could not be created.
  [[nodiscard]] Status check() const;
  // Writes one JPEG (sequence number `seq`, from 1). Returns false when the
  // reader of stdout went away (the tool then ends with exit 0).
  [[nodiscard]] Result<bool> write(std::span<const std::uint8_t> jpeg, long seq);

 private:
  bool to_stdout_;
  bool multipart_;
  std::string pattern_;
  bool started_ = false;
};

}  // namespace cctv::grab
