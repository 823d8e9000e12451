// The node's cache of mpcomm-p2p-check's answers, as vLLM keeps its gpu_p2p_access_check cache:
// one file per set of GPUs under ${XDG_CACHE_HOME:-$HOME/.cache}/mpcomm/, in the program's own
// output format, written atomically (a temporary file renamed), so that a node runs the program
// once per set of GPUs. Delete the files to check again (after a driver or hardware change).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device/p2p_report.hpp"

namespace mpcomm::device {

// ${XDG_CACHE_HOME}/mpcomm when XDG_CACHE_HOME is an absolute path, else $HOME/.cache/mpcomm;
// nullopt when neither is set (then nothing is cached).
std::optional<std::string> p2p_cache_dir();

// The file name for a set of GPUs (distinct_gpus order): "p2p-<ids joined by '_'>.txt", any
// character other than a letter, a digit, ':' or '.' becoming '-'.
std::string p2p_cache_file_name(const std::vector<std::string> &gpus);

// The answers in the file at path; nullopt when it is missing, unreadable or malformed.
std::optional<std::vector<P2pAnswer>> read_p2p_cache(const std::string &path);

// Writes the answers to dir/name (making dir first), through a temporary file in dir renamed
// over it, so that readers see the old file or the whole new one. Error(INTERNAL) on failure.
void write_p2p_cache(const std::string &dir, const std::string &name,
                     const std::vector<P2pAnswer> &answers);

}  // namespace mpcomm::device
