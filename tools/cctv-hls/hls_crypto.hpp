// SPDX-License-Identifier: MIT
// HLS AES-128 segment encryption (RFC 8216 4.3.2.4): AES-128-CBC with PKCS7
// padding over the whole segment, a random 16-byte key per key period.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "cctv/error.hpp"

namespace cctv::hls {

using AesKey = std::array<std::uint8_t, 16>;
using AesIv = std::array<std::uint8_t, 16>;

// The IV a player uses when EXT-X-KEY has no IV attribute: the segment's
// media sequence number as a 128-bit big-endian integer.
AesIv iv_for_sequence(std::int64_t sequence);

// 16 bytes from OpenSSL's CSPRNG. Errors: kFailure when it has no entropy.
[[nodiscard]] Result<AesKey> random_key();

// AES-128-CBC with PKCS7 padding (the output is 1 to 16 bytes longer).
// Errors: kFailure from OpenSSL. Thread-safe.
[[nodiscard]] Result<std::vector<std::uint8_t>> encrypt_aes128(std::span<const std::uint8_t> plain, const AesKey& key,
                                                               const AesIv& iv);

}  // namespace cctv::hls
