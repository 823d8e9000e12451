// The GPU tests' own small harness: they build without GoogleTest and without MPI, so that
// test/gpu/run-on-gpu.sh can compile them with nvcc alone on a bare GPU machine. Each named
// check passes, fails (with a detail line) or is skipped (with the reason); finish() prints the
// "# mpcomm-test:" line and returns the exit status (0, 1, or 77 when everything skipped).
#pragma once

#include <cstdio>
#include <string>

#include "test_summary.hpp"

namespace mpcomm::test {

class Checks {
 public:
  // Records one check; prints failures always and passes only when verbose.
  bool expect(bool ok, const std::string &name, const std::string &detail = "") {
    if (ok) {
      counts_.passed++;
      if (verbose_) std::printf("[ PASS ] %s\n", name.c_str());
    } else {
      counts_.failed++;
      if (counts_.failed <= kMaxPrintedFailures)
        std::printf("[ FAIL ] %s%s%s\n", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
      else if (counts_.failed == kMaxPrintedFailures + 1)
        std::printf("[ FAIL ] (further failures not printed)\n");
    }
    std::fflush(stdout);
    return ok;
  }

  void skip(const std::string &name, const std::string &why) {
    counts_.skipped++;
    std::printf("[ SKIP ] %s: %s\n", name.c_str(), why.c_str());
    std::fflush(stdout);
  }

  // A progress line for a group of checks.
  void note(const std::string &line) {
    std::printf("[ .... ] %s\n", line.c_str());
    std::fflush(stdout);
  }

  void set_verbose(bool verbose) { verbose_ = verbose; }
  int failed() const { return counts_.failed; }

  int finish() const {
    print_summary(counts_);
    return exit_code(counts_);
  }

 private:
  static constexpr int kMaxPrintedFailures = 40;
  Counts counts_;
  bool verbose_ = false;
};

}  // namespace mpcomm::test
