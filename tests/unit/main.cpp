// SPDX-License-Identifier: MIT
// Entry point of the unit test binary.
#define BOOST_TEST_MODULE cctv_unit_tests
#include <boost/test/unit_test.hpp>
