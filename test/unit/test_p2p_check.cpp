// The P2P check's parts that need no GPU: mpcomm-p2p-check's output lines, the verdict drawn
// from them or from a failed run (a missing program is "not verified", with a reason that names
// it and MPCOMM_SKIP_P2P_CHECK), the per-node cache file, and the child-process runner.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/child_process.hpp"
#include "device/p2p_cache.hpp"
#include "device/p2p_report.hpp"
#include "scoped_env.hpp"

using namespace mpcomm::device;
using mpcomm::ChildRun;
using mpcomm::run_child;
using mpcomm::test::ScopedEnv;

namespace {

const std::string kA = "0000:3b:00.0", kB = "0000:5e:00.0", kC = "0000:86:00.0";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// A fresh directory under the test's temporary directory, removed with its files at exit.
class TempDir {
 public:
  TempDir() {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/mpcomm-p2p-XXXXXX";
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    const std::string command = "rm -rf '" + path_ + "'";
    EXPECT_EQ(std::system(command.c_str()), 0);
  }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

std::vector<P2pAnswer> all_ok(const std::vector<std::string> &gpus) {
  std::vector<P2pAnswer> answers;
  for (const auto &a : gpus)
    for (const auto &b : gpus)
      if (a != b) answers.push_back({a, b, true, ""});
  return answers;
}

std::string lines_of(const std::vector<P2pAnswer> &answers) {
  std::string text;
  for (const auto &a : answers) text += format_p2p_answer(a) + "\n";
  return text;
}

ChildRun exited(int status, const std::string &out, const std::string &err = "") {
  ChildRun run;
  run.started = true;
  run.exit_status = status;
  run.out = out;
  run.err = err;
  return run;
}

}  // namespace

TEST(P2pReport, LinesRoundTrip) {
  const std::vector<P2pAnswer> answers = {{kA, kB, true, ""},
                                          {kB, kA, false, "CUDA reports no peer access"}};
  const std::string text = lines_of(answers);
  EXPECT_EQ(text, kA + " " + kB + " 1\n" + kB + " " + kA + " 0 CUDA reports no peer access\n");
  std::string error;
  auto parsed = parse_p2p_answers(text, &error);
  ASSERT_TRUE(parsed) << error;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].from, kA);
  EXPECT_EQ((*parsed)[0].to, kB);
  EXPECT_TRUE((*parsed)[0].ok);
  EXPECT_EQ((*parsed)[0].reason, "");
  EXPECT_FALSE((*parsed)[1].ok);
  EXPECT_EQ((*parsed)[1].reason, "CUDA reports no peer access");
}

TEST(P2pReport, AReasonStaysOnOneLine) {
  const std::string line = format_p2p_answer({kA, kB, false, "first\nsecond"});
  EXPECT_EQ(line, kA + " " + kB + " 0 first second");
  auto parsed = parse_p2p_answers(line + "\n\n", nullptr);
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].reason, "first second");
}

TEST(P2pReport, MalformedLinesAreRefused) {
  for (const std::string &bad : {kA + "\n", kA + " " + kB + "\n", kA + " " + kB + " yes\n",
                                 kA + " " + kB + " 2 why\n", std::string("Segmentation fault\n")}) {
    std::string error;
    EXPECT_FALSE(parse_p2p_answers(kA + " " + kB + " 1\n" + bad, &error)) << bad;
    EXPECT_TRUE(contains(error, "line 2")) << error;
  }
  auto empty = parse_p2p_answers("", nullptr);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(P2pReport, MembersSharingAGpuNeedNoCheck) {
  EXPECT_EQ(distinct_gpus({kB, kA, kB, kA}), (std::vector<std::string>{kA, kB}));
  EXPECT_EQ(distinct_gpus({kA, kA}), (std::vector<std::string>{kA}));
  auto one = verdict_from_answers({kA}, {});
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->ok);
}

TEST(P2pReport, EveryOrderedPairMustAnswerOne) {
  const std::vector<std::string> gpus = {kA, kB, kC};
  auto answers = all_ok(gpus);
  auto verdict = verdict_from_answers(gpus, answers);
  ASSERT_TRUE(verdict);
  EXPECT_TRUE(verdict->ok);
  EXPECT_EQ(verdict->problem, "");

  answers[3] = {answers[3].from, answers[3].to, false, "dropped peer writes"};
  verdict = verdict_from_answers(gpus, answers);
  ASSERT_TRUE(verdict);
  EXPECT_FALSE(verdict->ok);
  EXPECT_EQ(verdict->problem, "from the GPU " + answers[3].from + " to the GPU " + answers[3].to +
                                  ": dropped peer writes");

  answers.pop_back();  // one direction of one pair is not answered
  EXPECT_FALSE(verdict_from_answers(gpus, answers));
}

TEST(P2pReport, AMissingProgramIsNotVerified) {
  const std::string program = "/nowhere/libexec/mpcomm/mpcomm-p2p-check";
  const ChildRun run = run_child(program, {kA, kB}, 5.0);
  EXPECT_FALSE(run.started);
  std::vector<P2pAnswer> answers;
  const P2pVerdict verdict = verdict_from_run(run, program, 5.0, {kA, kB}, &answers);
  EXPECT_FALSE(verdict.ok);
  EXPECT_TRUE(contains(verdict.problem, "P2P could not be verified: " + program +
                                            " could not be started: No such file or directory"))
      << verdict.problem;
  EXPECT_TRUE(contains(verdict.problem, "MPCOMM_SKIP_P2P_CHECK=1")) << verdict.problem;
  EXPECT_TRUE(answers.empty());
}

TEST(P2pReport, AFailedRunIsNotVerified) {
  const std::string program = "/opt/mpcomm-p2p-check";
  const std::vector<std::string> gpus = {kA, kB};
  struct Case {
    ChildRun run;
    std::string says;
  };
  ChildRun killed = exited(-1, "");
  killed.signal = 9;
  ChildRun slow = exited(-1, "");
  slow.timed_out = true;
  const Case cases[] = {
      {exited(1, "", "mpcomm-p2p-check: no usable CUDA device: no driver\n"),
       "exited with status 1: mpcomm-p2p-check: no usable CUDA device: no driver"},
      {killed, "was killed by signal 9"},
      {slow, "did not finish within 7.5 s and was killed"},
      {exited(0, "nonsense\n"), "printed something else: line 1"},
      {exited(0, kA + " " + kB + " 1\n"), "did not answer for every pair of GPUs"},
  };
  for (const auto &c : cases) {
    std::vector<P2pAnswer> answers;
    const P2pVerdict verdict = verdict_from_run(c.run, program, 7.5, gpus, &answers);
    EXPECT_FALSE(verdict.ok);
    EXPECT_TRUE(contains(verdict.problem, "P2P could not be verified: " + program + " " + c.says))
        << verdict.problem;
    EXPECT_TRUE(contains(verdict.problem, "MPCOMM_SKIP_P2P_CHECK=1")) << verdict.problem;
    EXPECT_TRUE(answers.empty());
  }
}

TEST(P2pReport, ACompleteRunGivesItsVerdictAndAnswers) {
  const std::vector<std::string> gpus = {kA, kB};
  std::vector<P2pAnswer> answers;
  P2pVerdict verdict =
      verdict_from_run(exited(0, lines_of(all_ok(gpus))), "prog", 1.0, gpus, &answers);
  EXPECT_TRUE(verdict.ok) << verdict.problem;
  EXPECT_EQ(answers.size(), 2u);
  const std::string no =
      kA + " " + kB + " 1\n" + kB + " " + kA + " 0 CUDA reports no peer access\n";
  verdict = verdict_from_run(exited(0, no), "prog", 1.0, gpus, &answers);
  EXPECT_FALSE(verdict.ok);
  EXPECT_EQ(verdict.problem,
            "from the GPU " + kB + " to the GPU " + kA + ": CUDA reports no peer access");
  EXPECT_EQ(answers.size(), 2u);  // a negative answer is an answer, and is cached too
}

TEST(P2pReport, TheProgramIsTheInstalledOneUnlessTheVariableNamesAnother) {
  {
    ScopedEnv e("MPCOMM_P2P_CHECK_PROGRAM", nullptr);
    const std::string program = p2p_check_program();
    EXPECT_EQ(program.substr(0, 1), "/");
    EXPECT_TRUE(contains(program, "/mpcomm/mpcomm-p2p-check")) << program;
  }
  ScopedEnv e("MPCOMM_P2P_CHECK_PROGRAM", "/opt/check");
  EXPECT_EQ(p2p_check_program(), "/opt/check");
}

TEST(P2pCache, TheDirectoryFollowsXdg) {
  ScopedEnv home("HOME", "/home/someone");
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/var/cache/me");
    EXPECT_EQ(p2p_cache_dir(), std::optional<std::string>("/var/cache/me/mpcomm"));
  }
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "relative/is/ignored");
    EXPECT_EQ(p2p_cache_dir(), std::optional<std::string>("/home/someone/.cache/mpcomm"));
  }
  ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  EXPECT_EQ(p2p_cache_dir(), std::optional<std::string>("/home/someone/.cache/mpcomm"));
  ScopedEnv no_home("HOME", nullptr);
  EXPECT_FALSE(p2p_cache_dir());
}

TEST(P2pCache, TheFileIsNamedByTheSetOfGpus) {
  EXPECT_EQ(p2p_cache_file_name({kA, kB}), "p2p-0000:3b:00.0_0000:5e:00.0.txt");
  EXPECT_EQ(p2p_cache_file_name({"../x", "a b"}), "p2p-..-x_a-b.txt");
}

TEST(P2pCache, WrittenAnswersReadBack) {
  TempDir tmp;
  const std::string dir = tmp.path() + "/cache/mpcomm";  // made on the way
  const std::vector<std::string> gpus = {kA, kB, kC};
  auto answers = all_ok(gpus);
  answers[0].ok = false;
  answers[0].reason = "dropped peer writes";
  const std::string name = p2p_cache_file_name(gpus);
  EXPECT_FALSE(read_p2p_cache(dir + "/" + name));
  write_p2p_cache(dir, name, answers);
  auto read = read_p2p_cache(dir + "/" + name);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), answers.size());
  for (size_t i = 0; i < answers.size(); ++i) {
    EXPECT_EQ((*read)[i].from, answers[i].from);
    EXPECT_EQ((*read)[i].to, answers[i].to);
    EXPECT_EQ((*read)[i].ok, answers[i].ok);
    EXPECT_EQ((*read)[i].reason, answers[i].reason);
  }
  // Rewriting replaces the file whole and leaves no temporary file behind.
  write_p2p_cache(dir, name, all_ok(gpus));
  read = read_p2p_cache(dir + "/" + name);
  ASSERT_TRUE(read);
  EXPECT_TRUE(verdict_from_answers(gpus, *read)->ok);
  const std::string leftovers = "test $(ls -A '" + dir + "' | wc -l) -eq 1";
  EXPECT_EQ(std::system(leftovers.c_str()), 0);
  // A damaged file counts as no cache.
  std::ofstream(dir + "/" + name) << "garbage\n";
  EXPECT_FALSE(read_p2p_cache(dir + "/" + name));
}

TEST(P2pCache, AnUnwritableDirectoryIsAnError) {
  TempDir tmp;
  const std::string file = tmp.path() + "/file";
  std::ofstream(file) << "x";
  EXPECT_THROW(write_p2p_cache(file + "/mpcomm", "p2p-x.txt", {}), mpcomm::Error);
}

TEST(ChildProcess, OutputErrorAndStatus) {
  const ChildRun run =
      run_child("/bin/sh", {"-c", "echo out; echo err >&2; echo \"$1\"; exit 3", "sh", "arg"}, 10);
  EXPECT_TRUE(run.started);
  EXPECT_FALSE(run.timed_out);
  EXPECT_EQ(run.exit_status, 3);
  EXPECT_EQ(run.out, "out\narg\n");
  EXPECT_EQ(run.err, "err\n");
  EXPECT_EQ(mpcomm::describe(run, 10), "exited with status 3");
}

TEST(ChildProcess, ASlowChildIsKilledAtTheDeadline) {
  const auto start = std::chrono::steady_clock::now();
  const ChildRun run = run_child("/bin/sh", {"-c", "echo started; exec sleep 30"}, 0.5);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(run.started);
  EXPECT_TRUE(run.timed_out);
  EXPECT_EQ(run.out, "started\n");
  EXPECT_GE(took, 0.5);
  EXPECT_LT(took, 5.0);
  EXPECT_EQ(mpcomm::describe(run, 0.5), "did not finish within 0.5 s and was killed");
}

TEST(ChildProcess, VariablesCanBeLeftOut) {
  ScopedEnv visible("CUDA_VISIBLE_DEVICES", "1");
  const char *script = "echo ${CUDA_VISIBLE_DEVICES-unset}";
  EXPECT_EQ(run_child("/bin/sh", {"-c", script}, 10).out, "1\n");
  EXPECT_EQ(run_child("/bin/sh", {"-c", script}, 10, {"CUDA_VISIBLE_DEVICES"}).out, "unset\n");
}

TEST(ChildProcess, AFakeCheckProgramEndToEnd) {
  TempDir tmp;
  const std::string program = tmp.path() + "/fake-p2p-check";
  std::ofstream(program) << "#!/bin/sh\nfor a; do for b; do test \"$a\" = \"$b\" || echo \"$a $b "
                            "1\"; done; done\n";
  ASSERT_EQ(chmod(program.c_str(), 0755), 0);
  const std::vector<std::string> gpus = {kA, kB, kC};
  std::vector<P2pAnswer> answers;
  const P2pVerdict verdict =
      verdict_from_run(run_child(program, gpus, 10), program, 10, gpus, &answers);
  EXPECT_TRUE(verdict.ok) << verdict.problem;
  EXPECT_EQ(answers.size(), 6u);
}
