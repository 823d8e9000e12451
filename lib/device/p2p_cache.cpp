#include "device/p2p_cache.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace mpcomm::device {

namespace {

// mkdir -p, private to the user as XDG asks of the directories it makes.
void make_directories(const std::string &dir) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string part = dir.substr(0, slash);
    if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      throw Error(MPCOMM_ERR_INTERNAL, concat("cannot make ", part, ": ", std::strerror(errno)));
    if (slash == std::string::npos) return;
  }
}

// Closes the descriptor and removes the temporary file unless it was renamed.
struct TempFile {
  std::string path;
  int fd = -1;
  bool renamed = false;
  ~TempFile() {
    if (fd >= 0) close(fd);
    if (!renamed && !path.empty()) unlink(path.c_str());
  }
};

}  // namespace

std::optional<std::string> p2p_cache_dir() {
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/mpcomm";
  const char *home = std::getenv("HOME");
  if (home && home[0] != '\0') return std::string(home) + "/.cache/mpcomm";
  return std::nullopt;
}

std::string p2p_cache_file_name(const std::vector<std::string> &gpus) {
  std::string name = "p2p-";
  for (size_t i = 0; i < gpus.size(); ++i) {
    if (i) name += '_';
    for (char c : gpus[i])
      name += std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '.' ? c : '-';
  }
  return name + ".txt";
}

std::optional<std::vector<P2pAnswer>> read_p2p_cache(const std::string &path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return parse_p2p_answers(text.str(), nullptr);
}

void write_p2p_cache(const std::string &dir, const std::string &name,
                     const std::vector<P2pAnswer> &answers) {
  make_directories(dir);
  std::string text;
  for (const auto &a : answers) text += format_p2p_answer(a) + '\n';
  TempFile tmp;
  std::string pattern = concat(dir, '/', name, ".XXXXXX");
  tmp.fd = mkstemp(pattern.data());
  if (tmp.fd < 0)
    throw Error(MPCOMM_ERR_INTERNAL,
                concat("cannot make a file in ", dir, ": ", std::strerror(errno)));
  tmp.path = pattern;
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = write(tmp.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw Error(MPCOMM_ERR_INTERNAL,
                  concat("cannot write ", tmp.path, ": ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  const std::string path = concat(dir, '/', name);
  if (rename(tmp.path.c_str(), path.c_str()) != 0)
    throw Error(MPCOMM_ERR_INTERNAL,
                concat("cannot rename ", tmp.path, " to ", path, ": ", std::strerror(errno)));
  tmp.renamed = true;
}

}  // namespace mpcomm::device
