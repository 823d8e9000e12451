#include "device/p2p_report.hpp"

#include <algorithm>
#include <sstream>

#include "core/env.hpp"
#include "core/error.hpp"

#ifndef MPCOMM_PKGLIBEXECDIR
#error "MPCOMM_PKGLIBEXECDIR (where mpcomm-p2p-check is installed) must be defined"
#endif

namespace mpcomm::device {

namespace {

const P2pAnswer *find_answer(const std::vector<P2pAnswer> &answers, const std::string &from,
                             const std::string &to) {
  for (const auto &a : answers)
    if (a.from == from && a.to == to) return &a;
  return nullptr;
}

// The end of a child's standard error, on one line, for a message.
std::string last_words(const std::string &err) {
  std::string text = err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text.empty() ? "" : concat(": ", text);
}

}  // namespace

std::string format_p2p_answer(const P2pAnswer &answer) {
  std::string line = concat(answer.from, ' ', answer.to, ' ', answer.ok ? '1' : '0');
  if (!answer.reason.empty()) {
    std::string reason = answer.reason;
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    std::replace(reason.begin(), reason.end(), '\r', ' ');
    line += ' ' + reason;
  }
  return line;
}

std::optional<std::vector<P2pAnswer>> parse_p2p_answers(const std::string &text,
                                                        std::string *error) {
  std::vector<P2pAnswer> answers;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    P2pAnswer a;
    std::string ok;
    fields >> a.from >> a.to >> ok;
    if (a.from.empty() || a.to.empty() || (ok != "0" && ok != "1")) {
      if (error)
        *error =
            concat("line ", number, " is not \"<bus id> <bus id> <0|1> [reason]\": '", line, "'");
      return std::nullopt;
    }
    a.ok = ok == "1";
    std::getline(fields >> std::ws, a.reason);
    answers.push_back(std::move(a));
  }
  return answers;
}

std::vector<std::string> distinct_gpus(const std::vector<std::string> &bus_ids) {
  std::vector<std::string> gpus = bus_ids;
  std::sort(gpus.begin(), gpus.end());
  gpus.erase(std::unique(gpus.begin(), gpus.end()), gpus.end());
  return gpus;
}

std::optional<P2pVerdict> verdict_from_answers(const std::vector<std::string> &gpus,
                                               const std::vector<P2pAnswer> &answers) {
  std::optional<P2pVerdict> failed;
  for (const auto &from : gpus)
    for (const auto &to : gpus) {
      if (from == to) continue;
      const P2pAnswer *a = find_answer(answers, from, to);
      if (!a) return std::nullopt;
      if (!a->ok && !failed)
        failed = P2pVerdict{false, concat("from the GPU ", from, " to the GPU ", to, ": ",
                                          a->reason.empty() ? "failed" : a->reason)};
    }
  if (failed) return failed;
  return P2pVerdict{true, ""};
}

P2pVerdict verdict_from_run(const ChildRun &run, const std::string &program, double seconds,
                            const std::vector<std::string> &gpus, std::vector<P2pAnswer> *answers) {
  const auto not_verified = [&](const std::string &what) {
    return P2pVerdict{false, concat("P2P could not be verified: ", program, ' ', what,
                                    "; set MPCOMM_SKIP_P2P_CHECK=1 to trust "
                                    "cudaDeviceCanAccessPeer instead")};
  };
  if (!run.started || run.timed_out || run.signal || run.exit_status != 0)
    return not_verified(concat(describe(run, seconds), last_words(run.err)));
  std::string error;
  auto parsed = parse_p2p_answers(run.out, &error);
  if (!parsed) return not_verified(concat("printed something else: ", error));
  auto verdict = verdict_from_answers(gpus, *parsed);
  if (!verdict) return not_verified("did not answer for every pair of GPUs");
  if (answers) *answers = std::move(*parsed);
  return *verdict;
}

std::string p2p_check_program() {
  return env::raw("MPCOMM_P2P_CHECK_PROGRAM").value_or(MPCOMM_PKGLIBEXECDIR "/mpcomm-p2p-check");
}

}  // namespace mpcomm::device
