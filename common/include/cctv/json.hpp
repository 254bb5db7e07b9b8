// SPDX-License-Identifier: MIT
// JSON text for people as well as programs.
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace cctv {

// Compact JSON text of `v`, like boost::json::serialize, except that a double
// is written in its shortest round-trip decimal form: 25 and 29.97, where
// Boost 1.81 writes 2.5E1 and 2.997E1. A NaN or an infinity, which JSON
// cannot carry, becomes null. Strings are escaped by Boost.JSON.
[[nodiscard]] std::string to_json(const boost::json::value& v);

}  // namespace cctv
