// A GoogleTest check for the library's internal C++ layers: fn must throw mpcomm::Error with
// the given status, and its message must contain every piece.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>

#include "core/error.hpp"

namespace mpcomm::test {

inline void expect_error(const std::function<void()> &fn, mpcomm_status_t status,
                         std::initializer_list<const char *> pieces) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown";
  } catch (const mpcomm::Error &e) {
    EXPECT_EQ(e.status(), status) << e.what();
    for (const char *piece : pieces)
      EXPECT_NE(std::string(e.what()).find(piece), std::string::npos)
          << "\"" << piece << "\" not in: " << e.what();
  }
}

}  // namespace mpcomm::test
