// The closing line every mpcomm test program prints, read by scripts/test-summary:
//   # mpcomm-test: passed=N failed=N skipped=N
#pragma once

#include <cstdio>

namespace mpcomm::test {

struct Counts {
  int passed = 0, failed = 0, skipped = 0;
};

inline void print_summary(const Counts &c) {
  std::printf("# mpcomm-test: passed=%d failed=%d skipped=%d\n", c.passed, c.failed, c.skipped);
  std::fflush(stdout);
}

// Exit status for automake's harness: 0 pass, 1 fail, 77 when everything was skipped.
inline int exit_code(const Counts &c) {
  if (c.failed > 0) return 1;
  if (c.passed == 0 && c.skipped > 0) return 77;
  return 0;
}

}  // namespace mpcomm::test
