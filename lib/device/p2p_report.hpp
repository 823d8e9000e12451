// What mpcomm-p2p-check prints and what the library concludes from it. The program answers for
// every ordered pair of distinct GPUs (by PCI bus id) one line, "<from> <to> <0|1> [reason]";
// the custom allreduce needs every pair of the group's GPUs to answer 1. Pure: no CUDA, no MPI.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/child_process.hpp"

namespace mpcomm::device {

struct P2pAnswer {
  std::string from, to;  // PCI bus ids
  bool ok = false;       // from's kernels can write into to's memory
  std::string reason;    // why not, when !ok (one line)
};

struct P2pVerdict {
  bool ok = false;
  std::string problem;  // why not, when !ok
};

// One line of the program's output, without the newline; the reason is put on one line.
std::string format_p2p_answer(const P2pAnswer &answer);

// The answers in the program's output (or a cache file); nullopt with *error when a line is
// malformed. Empty lines are ignored.
std::optional<std::vector<P2pAnswer>> parse_p2p_answers(const std::string &text,
                                                        std::string *error);

// The distinct GPUs of a group's members, sorted: members that share a GPU need no check.
std::vector<std::string> distinct_gpus(const std::vector<std::string> &bus_ids);

// The verdict on every ordered pair of distinct gpus: ok when each was answered 1, else the
// first failure; nullopt when a pair has no answer.
std::optional<P2pVerdict> verdict_from_answers(const std::vector<std::string> &gpus,
                                               const std::vector<P2pAnswer> &answers);

// The verdict from a run of `program` over gpus, with a time limit of `seconds`. When the
// program could not answer (missing, failed, killed, malformed or incomplete output) P2P is not
// verified, and the problem names the program and suggests MPCOMM_SKIP_P2P_CHECK=1. *answers
// gets the program's answers when they are complete (worth caching), else stays empty.
P2pVerdict verdict_from_run(const ChildRun &run, const std::string &program, double seconds,
                            const std::vector<std::string> &gpus, std::vector<P2pAnswer> *answers);

// The program to run: MPCOMM_P2P_CHECK_PROGRAM, else the one installed with the library.
std::string p2p_check_program();

}  // namespace mpcomm::device
