#include "core/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.hpp"

extern char **environ;

namespace mpcomm {

namespace {

// Closes its descriptors at scope exit.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    require(pipe2(fd, O_CLOEXEC) == 0, MPCOMM_ERR_INTERNAL, "pipe2 failed: ", std::strerror(errno));
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) close(fd[i]);
    fd[i] = -1;
  }
  Pipe(const Pipe &) = delete;
  Pipe &operator=(const Pipe &) = delete;
};

struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
  SpawnActions(const SpawnActions &) = delete;
  SpawnActions &operator=(const SpawnActions &) = delete;
};

std::vector<std::string> environment_without(const std::vector<std::string> &unset) {
  std::vector<std::string> env;
  for (char **e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool drop = false;
    for (const auto &u : unset) drop = drop || name == u;
    if (!drop) env.push_back(entry);
  }
  return env;
}

std::vector<char *> pointers(std::vector<std::string> &strings) {
  std::vector<char *> p;
  for (auto &s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

// Appends what fd has to *text, keeping its first (or, with keep_tail, last) `limit` bytes.
// False at end of file or on an error.
bool drain(int fd, std::string *text, size_t limit, bool keep_tail) {
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  text->append(buf, static_cast<size_t>(n));
  if (text->size() > limit) {
    if (keep_tail)
      text->erase(0, text->size() - limit);
    else
      text->resize(limit);
  }
  return true;
}

void record_exit(int status, ChildRun *run) {
  if (WIFEXITED(status)) run->exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run->signal = WTERMSIG(status);
}

}  // namespace

ChildRun run_child(const std::string &program, const std::vector<std::string> &args, double seconds,
                   const std::vector<std::string> &unset) {
  ChildRun run;
  Pipe out, err;
  SpawnActions files;
  posix_spawn_file_actions_addopen(&files.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&files.actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&files.actions, err.fd[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Nothing else of ours (MPI's sockets, CUDA's descriptors) lives on in the child.
  posix_spawn_file_actions_addclosefrom_np(&files.actions, 3);
#endif
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = environment_without(unset);
  auto argv = pointers(argv_strings);
  auto envp = pointers(env_strings);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, program.c_str(), &files.actions, nullptr, argv.data(), envp.data());
  out.close_end(1);
  err.close_end(1);
  if (rc != 0) {
    run.start_error = std::strerror(rc);
    return run;
  }
  run.started = true;

  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds > 0 ? seconds : 0.0));
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
    if (left.count() <= 0) {
      run.timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_open ? out.fd[0] : -1, POLLIN, 0},
                     {err_open ? err.fd[0] : -1, POLLIN, 0}};
    const int ready = poll(fds, 2, static_cast<int>(std::min<long long>(left.count() + 1, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (fds[0].revents) out_open = drain(out.fd[0], &run.out, ChildRun::kMaxOutput, false);
    if (fds[1].revents) err_open = drain(err.fd[0], &run.err, ChildRun::kMaxError, true);
  }
  // Both pipes closed: the child is exiting. Wait for it until the deadline, then kill it.
  int status = 0;
  while (!run.timed_out) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      record_exit(status, &run);
      return run;
    }
    if (done < 0 && errno != EINTR) return run;
    if (Clock::now() >= end) {
      run.timed_out = true;
      break;
    }
    usleep(1000);
  }
  kill(pid, SIGKILL);
  // A killed child ends at once (unless stuck in the kernel, which no waiting would cure).
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return run;
}

std::string describe(const ChildRun &run, double seconds) {
  if (!run.started) return concat("could not be started: ", run.start_error);
  if (run.timed_out) return concat("did not finish within ", seconds, " s and was killed");
  if (run.signal)
    return concat("was killed by signal ", run.signal, " (", strsignal(run.signal), ")");
  return concat("exited with status ", run.exit_status);
}

}  // namespace mpcomm
