// mpcomm-info: the group layout vLLM would build for given parallel sizes, which groups each
// MPI rank belongs to, and what this build of mpcomm includes. Runs as a plain program (MPI
// starts as a singleton) or under mpirun/srun. Uses only the public C API for the layout.
#include <getopt.h>
#include <hwloc.h>
#include <mpi.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config.h"
#include "core/env.hpp"
#include "info/launch_check.hpp"
#include "info/locality_report.hpp"
#include "mpcomm.h"
#ifdef MPCOMM_HAVE_CUDA
#include "kernels/device_probe.h"
#endif
#ifdef MPCOMM_HAVE_NCCL
#include <nccl.h>
#endif

namespace {

constexpr int kExitUsage = 2;

const char kUsage[] =
    "Usage: mpcomm-info [--tp T] [--pp P] [--dp D] [--dcp C] [--pcp C] [--ep] [--world N]\n"
    "                   [--json] [--help] [--version]\n"
    "       mpcomm-info --env [--json]\n"
    "Prints the rank lists of every TP, PP, DP, EP, DCP and PCP group as vLLM lays them out.\n"
    "Under mpirun it also prints, for each rank, the groups it belongs to.\n"
    "  --tp T      tensor_parallel_size (default 1)\n"
    "  --pp P      pipeline_parallel_size (default 1)\n"
    "  --dp D      data_parallel_size (default 1)\n"
    "  --dcp C     decode_context_parallel_size; must divide T (default 1)\n"
    "  --pcp C     prefill_context_parallel_size (default 1)\n"
    "  --ep        enable_expert_parallel: also print the EP groups\n"
    "  --world N   number of ranks, a multiple of D*P*C*T (default: the MPI world size under\n"
    "              mpirun, else D*P*C*T)\n"
    "  --json      one JSON object instead of text\n"
    "  --env       print each MPCOMM_ variable, its value and where it came from (environment or\n"
    "              default), instead of the layout; exits 1 when a value is invalid\n";

// What a usage error prints after its one line.
const char kHint[] = "Try 'mpcomm-info --help' for more information.\n";

struct Options {
  int tp = 1, pp = 1, dp = 1, dcp = 1, pcp = 1;
  bool ep = false;
  int world = 0;  // 0: not given
  bool json = false;
  bool help = false;
  bool version = false;
  bool env = false;
};

// Parses a whole argument as an int in [1, INT_MAX].
bool parse_positive(const char *text, int *out) {
  if (text == nullptr || *text == '\0') return false;
  char *end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < 1 || v > INT_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

// Fills *opts from argv; false with *error set on a bad option.
bool parse_options(int argc, char **argv, Options *opts, std::string *error) {
  enum { kTp = 1000, kPp, kDp, kDcp, kPcp, kEp, kWorld, kJson, kHelp, kVersion, kEnv };
  static const option long_options[] = {
      {"tp", required_argument, nullptr, kTp},       {"pp", required_argument, nullptr, kPp},
      {"dp", required_argument, nullptr, kDp},       {"dcp", required_argument, nullptr, kDcp},
      {"pcp", required_argument, nullptr, kPcp},     {"ep", no_argument, nullptr, kEp},
      {"world", required_argument, nullptr, kWorld}, {"json", no_argument, nullptr, kJson},
      {"help", no_argument, nullptr, kHelp},         {"version", no_argument, nullptr, kVersion},
      {"env", no_argument, nullptr, kEnv},           {nullptr, 0, nullptr, 0}};
  opterr = 0;  // messages are ours, printed by rank 0 only
  optind = 1;
  int c, index = -1;
  while ((c = getopt_long(argc, argv, "h", long_options, &index)) != -1) {
    int *target = nullptr;
    switch (c) {
      case kTp: target = &opts->tp; break;
      case kPp: target = &opts->pp; break;
      case kDp: target = &opts->dp; break;
      case kDcp: target = &opts->dcp; break;
      case kPcp: target = &opts->pcp; break;
      case kWorld: target = &opts->world; break;
      case kEp: opts->ep = true; continue;
      case kJson: opts->json = true; continue;
      case 'h':
      case kHelp: opts->help = true; continue;
      case kVersion: opts->version = true; continue;
      case kEnv: opts->env = true; continue;
      default:
        if (optopt >= kTp && optopt <= kEnv)
          *error = std::string("option ") + argv[optind - 1] + " needs a value";
        else
          *error = std::string("unknown option '") + argv[optind - 1] + "'";
        return false;
    }
    if (!parse_positive(optarg, target)) {
      *error = std::string("option --") + long_options[index].name +
               " needs a positive integer, got '" + optarg + "'";
      return false;
    }
  }
  if (optind < argc) {
    *error = std::string("unexpected argument '") + argv[optind] + "'";
    return false;
  }
  return true;
}

// MPI for the life of the program: initialised here unless the host already did.
class MpiSession {
 public:
  MpiSession(int *argc, char ***argv) {
    MPI_Initialized(&was_initialized_);
    if (!was_initialized_) MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!was_initialized_ && !finalized) MPI_Finalize();
  }
  MpiSession(const MpiSession &) = delete;
  MpiSession &operator=(const MpiSession &) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

  // True when a launcher started us (even with one rank), false for a singleton.
  bool launched() const {
    // (Not PMIX_RANK: Open MPI sets it for a singleton too.)
    return size_ > 1 || std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") ||
           std::getenv("SLURM_STEP_NUM_TASKS");
  }

  // The rank among the processes of this node, and whether it is the node's first.
  int node_rank() const {
    MPI_Comm node = MPI_COMM_NULL;
    int r = 0;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
      MPI_Comm_rank(node, &r);
      MPI_Comm_free(&node);
    }
    return r;
  }

  // Every rank's line, in rank order, on rank 0 (empty elsewhere).
  std::vector<std::string> gather(const std::string &line) const {
    int length = static_cast<int>(line.size());
    std::vector<int> lengths(rank_ == 0 ? size_ : 0), offsets(lengths.size());
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::string all;
    if (rank_ == 0) {
      long total = 0;
      for (int r = 0; r < size_; ++r) {
        offsets[r] = static_cast<int>(total);
        total += lengths[r];
      }
      all.resize(total);
    }
    MPI_Gatherv(line.data(), length, MPI_CHAR, &all[0], lengths.data(), offsets.data(), MPI_CHAR, 0,
                MPI_COMM_WORLD);
    std::vector<std::string> lines;
    for (int r = 0; rank_ == 0 && r < size_; ++r)
      lines.push_back(all.substr(offsets[r], lengths[r]));
    return lines;
  }

 private:
  int was_initialized_ = 0;
  int rank_ = 0, size_ = 1;
};

struct KindLayout {
  mpcomm_group_kind_t kind;
  const char *name;
  int ngroups = 0, size = 0;
  std::vector<int> ranks;                  // row-major ngroups x size
  std::vector<int> group_of, position_of;  // per global rank
};

// A failed C call: its status and message.
struct Failure {
  mpcomm_status_t status;
  std::string message;
};

bool call(mpcomm_status_t status, Failure *failure) {
  if (status == MPCOMM_SUCCESS) return true;
  *failure = {status, mpcomm_last_error()};
  return false;
}

bool build_layout(const mpcomm_parallel_config_t &cfg, int world, mpcomm_group_kind_t kind,
                  const char *name, KindLayout *out, Failure *failure) {
  out->kind = kind;
  out->name = name;
  out->ranks.assign(static_cast<size_t>(world), -1);
  if (!call(mpcomm_layout_group_ranks(&cfg, world, kind, out->ranks.data(), out->ranks.size(),
                                      &out->ngroups, &out->size),
            failure))
    return false;
  out->group_of.assign(world, -1);
  out->position_of.assign(world, -1);
  for (int g = 0; g < out->ngroups; ++g)
    for (int p = 0; p < out->size; ++p) {
      const int r = out->ranks[static_cast<size_t>(g) * out->size + p];
      out->group_of[r] = g;
      out->position_of[r] = p;
    }
  return true;
}

std::string json_string(const std::string &text) {
  std::string out = "\"";
  for (unsigned char ch : text) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", ch);
      out += escaped;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

std::string upper(const char *name) {
  std::string out(name);
  for (char &ch : out) ch = static_cast<char>(ch - 'a' + 'A');
  return out;
}

std::string host_name() {
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0) return "?";
  return host;
}

// What the build includes, and what this process sees of it.
struct BuildFacts {
  bool cuda = false, nccl = false;
  std::string devices;  // "1: NVIDIA H100 (0000:3b:00.0)" or why none
  int device_count = 0;
  std::string nccl_version, hwloc_version, mpi_version;
};

BuildFacts build_facts() {
  BuildFacts facts;
#ifdef MPCOMM_HAVE_CUDA
  facts.cuda = true;
  std::string error;
  const auto devices = mpcomm::kernels::list_devices(&error);
  facts.device_count = static_cast<int>(devices.size());
  facts.devices = std::to_string(devices.size());
  for (size_t i = 0; i < devices.size(); ++i)
    facts.devices +=
        std::string(i == 0 ? ": " : ", ") + devices[i].name + " (" + devices[i].pci_bus_id + ")";
  if (devices.empty() && !error.empty()) facts.devices += " (" + error + ")";
#endif
#ifdef MPCOMM_HAVE_NCCL
  facts.nccl = true;
  facts.nccl_version = std::to_string(NCCL_MAJOR) + "." + std::to_string(NCCL_MINOR) + "." +
                       std::to_string(NCCL_PATCH);
#endif
  const unsigned hw = hwloc_get_api_version();
  facts.hwloc_version = std::to_string(hw >> 16) + "." + std::to_string((hw >> 8) & 0xff) + "." +
                        std::to_string(hw & 0xff);
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = "";
  int length = 0;
  MPI_Get_library_version(mpi, &length);
  facts.mpi_version = std::string(mpi, static_cast<size_t>(length));
  const size_t newline = facts.mpi_version.find_first_of(std::string("\r\n\0", 3));
  if (newline != std::string::npos) facts.mpi_version.resize(newline);
  while (!facts.mpi_version.empty() && facts.mpi_version.back() == ' ')
    facts.mpi_version.pop_back();
  return facts;
}

// "TP group 0 (pos 1), PP group ..." for one rank; empty when the rank lies outside the layout.
std::string membership_text(const std::vector<KindLayout> &kinds, int rank) {
  std::string text;
  for (const auto &k : kinds) {
    if (k.kind == MPCOMM_GROUP_WORLD) continue;
    text += (text.empty() ? "" : ", ") + upper(k.name) + " group " +
            std::to_string(k.group_of[rank]) + " (pos " + std::to_string(k.position_of[rank]) + ")";
  }
  return text;
}

std::string membership_json(const std::vector<KindLayout> &kinds, int rank) {
  std::string text;
  for (const auto &k : kinds) {
    if (k.kind == MPCOMM_GROUP_WORLD) continue;
    text += std::string(text.empty() ? "" : ", ") + "\"" + k.name +
            "\": {\"group\": " + std::to_string(k.group_of[rank]) +
            ", \"position\": " + std::to_string(k.position_of[rank]) + "}";
  }
  return "{" + text + "}";
}

void print_text(const Options &o, int world, const char *hash,
                const std::vector<KindLayout> &kinds) {
  const int block = o.dp * o.pp * o.pcp * o.tp;
  std::printf("# mpcomm-info %s: vLLM rank layout\n", PACKAGE_VERSION);
  std::printf("# world_size %d = %d x DP %d x PP %d x PCP %d x TP %d\n", world, world / block, o.dp,
              o.pp, o.pcp, o.tp);
  std::printf("# sizes: TP %d, PP %d, DP %d, DCP %d, PCP %d, expert parallel %s\n", o.tp, o.pp,
              o.dp, o.dcp, o.pcp, o.ep ? "on" : "off");
  std::printf("# config hash: %s\n", hash);
  const int width = static_cast<int>(std::to_string(world - 1).size());
  for (const auto &k : kinds) {
    if (k.kind == MPCOMM_GROUP_WORLD) continue;
    std::printf("#\n# %s: %d group%s of %d%s\n", upper(k.name).c_str(), k.ngroups,
                k.ngroups == 1 ? "" : "s", k.size, k.size == 1 ? " (every rank alone)" : "");
    if (k.size == 1) continue;
    const int gwidth = static_cast<int>(std::to_string(k.ngroups - 1).size());
    for (int g = 0; g < k.ngroups; ++g) {
      std::printf("  %-3s %*d:", k.name, gwidth, g);
      for (int p = 0; p < k.size; ++p)
        std::printf(" %*d", width, k.ranks[static_cast<size_t>(g) * k.size + p]);
      std::printf("\n");
    }
  }
}

void print_json(const Options &o, int world, const char *hash, const std::vector<KindLayout> &kinds,
                const std::vector<std::string> &rank_objects, const BuildFacts *build,
                const std::vector<std::string> &locality, const std::vector<std::string> &nodes) {
  std::printf("{\"version\": \"%s\", \"world_size\": %d, ", PACKAGE_VERSION, world);
  std::printf("\"sizes\": {\"tp\": %d, \"pp\": %d, \"dp\": %d, \"dcp\": %d, \"pcp\": %d}, ", o.tp,
              o.pp, o.dp, o.dcp, o.pcp);
  std::printf("\"enable_expert_parallel\": %s, \"config_hash\": \"%s\", \"groups\": {",
              o.ep ? "true" : "false", hash);
  for (size_t i = 0; i < kinds.size(); ++i) {
    const auto &k = kinds[i];
    std::printf("%s\"%s\": [", i ? ", " : "", k.name);
    for (int g = 0; g < k.ngroups; ++g) {
      std::printf("%s[", g ? ", " : "");
      for (int p = 0; p < k.size; ++p)
        std::printf("%s%d", p ? ", " : "", k.ranks[static_cast<size_t>(g) * k.size + p]);
      std::printf("]");
    }
    std::printf("]");
  }
  std::printf("}");
  if (!rank_objects.empty()) {
    std::printf(", \"ranks\": [");
    for (size_t r = 0; r < rank_objects.size(); ++r)
      std::printf("%s%s", r ? ", " : "", rank_objects[r].c_str());
    std::printf("]");
  }
  std::printf(", \"locality\": [");
  for (size_t r = 0; r < locality.size(); ++r)
    std::printf("%s%s", r ? ", " : "", locality[r].c_str());
  std::printf("], \"nodes\": [");
  bool first = true;
  for (const auto &node : nodes) {
    if (node.empty()) continue;
    std::printf("%s%s", first ? "" : ", ", node.c_str());
    first = false;
  }
  std::printf("]");
  if (build) {
    std::printf(
        ", \"build\": {\"cuda\": %s, \"devices\": %d, \"nccl\": %s, \"nccl_version\": %s, "
        "\"hwloc_api\": %s, \"mpi\": %s}",
        build->cuda ? "true" : "false", build->device_count, build->nccl ? "true" : "false",
        build->nccl ? json_string(build->nccl_version).c_str() : "null",
        json_string(build->hwloc_version).c_str(), json_string(build->mpi_version).c_str());
  }
  std::printf("}\n");
}

// Why an environment value is invalid, without the "environment variable X='v' is invalid: ".
std::string invalid_reason(const std::string &error) {
  const std::string marker = " is invalid: ";
  const size_t at = error.find(marker);
  return at == std::string::npos ? error : error.substr(at + marker.size());
}

// --env: every registered variable (then every unknown MPCOMM_ one) with its value in force and
// where it came from. Returns 1 when a value is invalid (the library would refuse it), else 0.
int print_env(bool json, bool print) {
  int status = 0;
  std::string text, objects;
  for (const auto &v : mpcomm::env::variables()) {
    auto s = mpcomm::env::setting(v);
    // A secret is never printed: only whether it is set.
    if (std::string(v.name) == "MPCOMM_JOIN_TOKEN" && !s.value.empty()) s.value = "(hidden)";
    if (!s.error.empty()) status = 1;
    const char *source = s.from_environment ? "environment" : "default";
    objects += std::string(objects.empty() ? "" : ", ") + "{\"name\": " + json_string(v.name) +
               ", \"value\": " + json_string(s.value) + ", \"source\": \"" + source +
               "\", \"default\": " + json_string(v.default_value) +
               ", \"kind\": " + json_string(mpcomm::env::kind_name(v.kind)) +
               ", \"help\": " + json_string(v.meaning) + ", \"error\": " +
               (s.error.empty() ? std::string("null") : json_string(invalid_reason(s.error))) + "}";
    text += std::string(v.name) + "=" + s.value + " (" + source;
    if (!s.from_environment && s.value.empty()) text += ": unset";
    if (!s.error.empty()) text += "; invalid: " + invalid_reason(s.error);
    text += ")\n";
  }
  std::string unknown;
  for (const auto &name : mpcomm::env::unknown_variables()) {
    const char *value = std::getenv(name.c_str());
    unknown += std::string(unknown.empty() ? "" : ", ") + json_string(name);
    text +=
        name + "=" + (value ? value : "") + " (environment; unknown: mpcomm does not read it)\n";
  }
  if (!print) return status;
  if (json)
    std::printf("{\"version\": \"%s\", \"env\": [%s], \"unknown\": [%s]}\n", PACKAGE_VERSION,
                objects.c_str(), unknown.c_str());
  else
    std::printf("# mpcomm-info %s: environment (value in force, and where it came from)\n%s",
                PACKAGE_VERSION, text.c_str());
  return status;
}

int run(int argc, char **argv, const MpiSession &mpi) {
  const bool root = mpi.rank() == 0;
  Options o;
  std::string error;
  if (!parse_options(argc, argv, &o, &error)) {
    if (root) std::fprintf(stderr, "mpcomm-info: %s\n%s", error.c_str(), kHint);
    return kExitUsage;
  }
  if (o.help) {
    if (root) std::fputs(kUsage, stdout);
    return 0;
  }
  if (o.version) {
    if (root) std::printf("mpcomm-info %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (o.env) return print_env(o.json, root);
  const bool launched = mpi.launched();

  mpcomm_parallel_config_t cfg = MPCOMM_PARALLEL_CONFIG_INIT;
  cfg.tensor_parallel_size = o.tp;
  cfg.pipeline_parallel_size = o.pp;
  cfg.data_parallel_size = o.dp;
  cfg.data_parallel_size_local = o.dp;
  cfg.decode_context_parallel_size = o.dcp;
  cfg.prefill_context_parallel_size = o.pcp;
  cfg.enable_expert_parallel = o.ep ? 1 : 0;

  Failure failure{MPCOMM_SUCCESS, ""};
  int world = o.world;
  char hash[65] = "";
  std::vector<KindLayout> kinds;
  bool ok = call(mpcomm_parallel_config_validate(&cfg), &failure) &&
            call(mpcomm_parallel_config_hash(&cfg, hash), &failure);
  if (ok && world == 0) {
    if (launched) {
      world = mpi.size();
    } else {
      // D*P*C*T ranks: the layout's smallest world.
      long block = 1;
      for (int size : {o.dp, o.pp, o.pcp, o.tp}) block = block > INT_MAX ? block : block * size;
      if (block > INT_MAX) {
        if (root)
          std::fprintf(stderr, "mpcomm-info: DP*PP*PCP*TP (%ld) exceeds INT_MAX\n%s", block, kHint);
        return kExitUsage;
      }
      world = static_cast<int>(block);
    }
  }
  struct KindName {
    mpcomm_group_kind_t kind;
    const char *name;
  };
  const KindName order[] = {{MPCOMM_GROUP_WORLD, "world"}, {MPCOMM_GROUP_TP, "tp"},
                            {MPCOMM_GROUP_PP, "pp"},       {MPCOMM_GROUP_DP, "dp"},
                            {MPCOMM_GROUP_EP, "ep"},       {MPCOMM_GROUP_DCP, "dcp"},
                            {MPCOMM_GROUP_PCP, "pcp"}};
  for (const auto &kn : order) {
    if (!ok) break;
    if (kn.kind == MPCOMM_GROUP_EP && !o.ep) continue;  // vLLM builds EP only for MoE models
    kinds.emplace_back();
    ok = build_layout(cfg, world, kn.kind, kn.name, &kinds.back(), &failure);
  }
  if (!ok) {
    if (root) {
      std::fprintf(stderr, "mpcomm-info: %s\n", failure.message.c_str());
      if (failure.status == MPCOMM_ERR_INVALID_ARGUMENT) std::fputs(kHint, stderr);
    }
    return failure.status == MPCOMM_ERR_INVALID_ARGUMENT ? kExitUsage : 1;
  }

  // Each rank describes itself; rank 0 prints everything in rank order.
  std::vector<std::string> rank_lines;
  if (launched) {
    const int r = mpi.rank();
    std::string mine;
    if (o.json)
      mine = "{\"rank\": " + std::to_string(r) + ", \"host\": " + json_string(host_name()) +
             (r < world ? ", \"groups\": " + membership_json(kinds, r) : std::string()) + "}";
    else
      mine = "rank " + std::to_string(r) + " (" + host_name() + "): " +
             (r < world ? membership_text(kinds, r)
                        : "outside the layout's world of " + std::to_string(world) + " ranks");
    rank_lines = mpi.gather(mine);
  }
  // Where each rank runs, and each node's GPUs (from the node's first rank).
  const int local_rank = mpi.node_rank();
  const std::vector<std::string> locality =
      mpi.gather(o.json ? mpcomm::info::rank_locality_json(local_rank)
                        : mpcomm::info::rank_locality_text(mpi.rank(), local_rank));
  const std::vector<std::string> nodes = mpi.gather(local_rank != 0 ? std::string()
                                                    : o.json ? mpcomm::info::node_topology_json()
                                                             : mpcomm::info::node_topology_text());
  if (!root) return 0;
  const BuildFacts build = build_facts();
  if (o.json) {
    print_json(o, world, hash, kinds, rank_lines, &build, locality, nodes);
  } else {
    print_text(o, world, hash, kinds);
    if (launched) {
      std::printf("#\n# MPI world of %d rank%s:\n", mpi.size(), mpi.size() == 1 ? "" : "s");
      for (const auto &line : rank_lines) std::printf("%s\n", line.c_str());
    }
    std::printf("#\n# locality (node, cores, NUMA node, GPU by local rank):\n");
    for (const auto &line : locality) std::printf("%s\n", line.c_str());
    for (const auto &block : nodes)
      if (!block.empty()) std::printf("#\n%s", block.c_str());
    std::printf("#\n# build: CUDA %s", build.cuda ? "yes" : "no");
    if (build.cuda) std::printf(" (devices found: %s)", build.devices.c_str());
    std::printf(", NCCL %s", build.nccl ? ("yes " + build.nccl_version).c_str() : "no");
    std::printf(", hwloc API %s, MPI %s\n", build.hwloc_version.c_str(), build.mpi_version.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  // MPI_Get_library_version may be called before MPI_Init.
  char library[MPI_MAX_LIBRARY_VERSION_STRING] = "";
  int length = 0;
  MPI_Get_library_version(library, &length);
  const std::string launch_error = mpcomm::info::srun_without_pmix(library);
  if (!launch_error.empty()) {
    const char *task = std::getenv("SLURM_PROCID");
    if (task == nullptr || std::strcmp(task, "0") == 0)
      std::fprintf(stderr, "mpcomm-info: %s\n", launch_error.c_str());
    return 1;
  }
  MpiSession mpi(&argc, &argv);
  const int status = run(argc, argv, mpi);
  std::fflush(stdout);
  return status;
}
