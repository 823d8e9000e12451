// Runs a helper program in a child process with a time limit and collects what it prints. The
// child is started with posix_spawn, never fork: the caller may have CUDA initialised and MPI
// running, whose state a forked copy of the process must not touch.
#pragma once

#include <string>
#include <vector>

namespace mpcomm {

struct ChildRun {
  bool started = false;     // posix_spawn started the program
  std::string start_error;  // why not, when !started ("No such file or directory")
  bool timed_out = false;   // still running at the deadline: killed
  int exit_status = -1;     // its exit status when it exited, else -1
  int signal = 0;           // the signal that ended it, else 0
  std::string out;          // its standard output (at most kMaxOutput bytes)
  std::string err;          // the end of its standard error (at most kMaxError bytes)

  static constexpr size_t kMaxOutput = size_t{1} << 20;
  static constexpr size_t kMaxError = 4096;
};

// Runs `program` (a path, not looked up in PATH) with `args`, standard input from /dev/null and
// this process's environment less the variables in `unset`, for `seconds` at most: then it is
// killed with SIGKILL. Failures of the child are reported in the result; Error(INTERNAL) only
// when this process cannot make pipes.
ChildRun run_child(const std::string &program, const std::vector<std::string> &args, double seconds,
                   const std::vector<std::string> &unset = {});

// The outcome in words, for messages: "exited with status 3", "was killed by signal 9", ...
std::string describe(const ChildRun &run, double seconds);

}  // namespace mpcomm
