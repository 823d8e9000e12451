// Core conventions: statuses, last error, the C boundary, environment and logging.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "comm/comm.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "mpcomm.h"
#include "scoped_env.hpp"

using mpcomm::Error;

namespace {

using mpcomm::test::ScopedEnv;

}  // namespace

TEST(Status, EveryStatusHasItsOwnString) {
  for (int s = 0; s < MPCOMM_NUM_STATUSES; ++s) {
    std::string text = mpcomm_status_string(static_cast<mpcomm_status_t>(s));
    EXPECT_NE(text, "unknown status") << "status " << s;
    for (int t = 0; t < s; ++t)
      EXPECT_NE(text, mpcomm_status_string(static_cast<mpcomm_status_t>(t)));
  }
  EXPECT_STREQ(mpcomm_status_string(static_cast<mpcomm_status_t>(-1)), "unknown status");
  EXPECT_STREQ(mpcomm_status_string(static_cast<mpcomm_status_t>(999)), "unknown status");
}

TEST(Version, MatchesTheHeader) {
  int major = -1, minor = -1, patch = -1;
  mpcomm_version(&major, &minor, &patch);
  EXPECT_EQ(major, MPCOMM_VERSION_MAJOR);
  EXPECT_EQ(minor, MPCOMM_VERSION_MINOR);
  EXPECT_EQ(patch, MPCOMM_VERSION_PATCH);
  mpcomm_version(nullptr, nullptr, nullptr);  // null pointers are skipped, not dereferenced
}

TEST(Boundary, ErrorBecomesItsStatusAndMessage) {
  auto st = mpcomm::c_boundary(
      "mpcomm_example", [] { mpcomm::require_arg(false, "count must be positive, got ", -3); });
  EXPECT_EQ(st, MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_STREQ(mpcomm_last_error(), "mpcomm_example: count must be positive, got -3");
}

TEST(Boundary, BadAllocBecomesNoMemory) {
  auto st = mpcomm::c_boundary("mpcomm_example", [] { throw std::bad_alloc(); });
  EXPECT_EQ(st, MPCOMM_ERR_NO_MEMORY);
  EXPECT_NE(std::string(mpcomm_last_error()).find("out of memory"), std::string::npos);
}

TEST(Boundary, ForeignExceptionsBecomeInternal) {
  EXPECT_EQ(mpcomm::c_boundary("f", [] { throw std::runtime_error("boom"); }), MPCOMM_ERR_INTERNAL);
  EXPECT_NE(std::string(mpcomm_last_error()).find("boom"), std::string::npos);
  EXPECT_EQ(mpcomm::c_boundary("f", [] { throw 42; }), MPCOMM_ERR_INTERNAL);
}

TEST(Boundary, SuccessKeepsThePreviousFailure) {
  mpcomm::c_boundary("f", [] { throw Error(MPCOMM_ERR_TIMEOUT, "late"); });
  EXPECT_EQ(mpcomm::c_boundary("g", [] {}), MPCOMM_SUCCESS);
  EXPECT_STREQ(mpcomm_last_error(), "f: late");
}

TEST(Boundary, LastErrorIsPerThread) {
  mpcomm::c_boundary("main_thread", [] { throw Error(MPCOMM_ERR_TIMEOUT, "here"); });
  std::string seen_in_thread;
  std::thread t([&] { seen_in_thread = mpcomm_last_error(); });
  t.join();
  EXPECT_EQ(seen_in_thread, "");
  EXPECT_STREQ(mpcomm_last_error(), "main_thread: here");
}

TEST(Env, SecondsAcceptsPositiveNumbers) {
  ScopedEnv e("MPCOMM_TIMEOUT", "2.5");
  EXPECT_DOUBLE_EQ(mpcomm::env::seconds("MPCOMM_TIMEOUT"), 2.5);
}

TEST(Env, UnsetOrEmptyGivesTheTablesDefault) {
  {
    ScopedEnv e("MPCOMM_TIMEOUT", nullptr);
    EXPECT_DOUBLE_EQ(mpcomm::env::seconds("MPCOMM_TIMEOUT"), 300);
    EXPECT_STREQ(mpcomm::env::lookup("MPCOMM_TIMEOUT").default_value, "300");
  }
  ScopedEnv e("MPCOMM_TIMEOUT", "");
  EXPECT_DOUBLE_EQ(mpcomm::env::seconds("MPCOMM_TIMEOUT"), 300);
}

TEST(Env, BadSecondsNameTheVariableAndValue) {
  for (const char *bad : {"abc", "-1", "0", "5s", "inf", "nan", "1e999"}) {
    ScopedEnv e("MPCOMM_TIMEOUT", bad);
    try {
      mpcomm::env::seconds("MPCOMM_TIMEOUT");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error &err) {
      EXPECT_EQ(err.status(), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_NE(std::string(err.what()).find(std::string("MPCOMM_TIMEOUT='") + bad + "'"),
                std::string::npos)
          << err.what();
    }
  }
}

TEST(Env, ChoiceIsCaseInsensitiveAndRejectsOthers) {
  ScopedEnv e("MPCOMM_DEBUG", "info");
  EXPECT_EQ(mpcomm::env::choice("MPCOMM_DEBUG"), "INFO");
  ScopedEnv f("MPCOMM_DEBUG", "LOUD");
  EXPECT_THROW(mpcomm::env::choice("MPCOMM_DEBUG"), Error);
  ScopedEnv g("MPCOMM_DEBUG", nullptr);
  EXPECT_EQ(mpcomm::env::choice("MPCOMM_DEBUG"), "WARN");
}

TEST(Env, IntegerRangeAndMultipleComeFromTheTable) {
  ScopedEnv e("MPCOMM_TENSOR_DICT_PACK_LIMIT", "12");
  EXPECT_EQ(mpcomm::env::integer("MPCOMM_TENSOR_DICT_PACK_LIMIT"), 12);
  for (const char *bad : {"-1", "1073741825", "12x", "99999999999999999999999"}) {
    ScopedEnv f("MPCOMM_TENSOR_DICT_PACK_LIMIT", bad);
    EXPECT_THROW(mpcomm::env::integer("MPCOMM_TENSOR_DICT_PACK_LIMIT"), Error) << bad;
  }
  {
    ScopedEnv g("MPCOMM_TENSOR_DICT_PACK_LIMIT", nullptr);
    EXPECT_EQ(mpcomm::env::integer("MPCOMM_TENSOR_DICT_PACK_LIMIT"), 67108864);
  }
  ScopedEnv h("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE", "24");
  try {
    mpcomm::env::integer("MPCOMM_CUSTOM_ALLREDUCE_MAX_SIZE");
    ADD_FAILURE() << "accepted 24";
  } catch (const Error &err) {
    EXPECT_NE(std::string(err.what()).find("multiple of 16"), std::string::npos) << err.what();
  }
}

TEST(Env, IntegerList) {
  ScopedEnv e("MPCOMM_PP_LAYER_PARTITION", "4, 5,6");
  auto list = mpcomm::env::integer_list("MPCOMM_PP_LAYER_PARTITION");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, (std::vector<long>{4, 5, 6}));
  ScopedEnv f("MPCOMM_PP_LAYER_PARTITION", "4,,6");
  EXPECT_THROW(mpcomm::env::integer_list("MPCOMM_PP_LAYER_PARTITION"), Error);
  ScopedEnv g("MPCOMM_PP_LAYER_PARTITION", nullptr);
  EXPECT_FALSE(mpcomm::env::integer_list("MPCOMM_PP_LAYER_PARTITION").has_value());
}

TEST(Env, Boolean) {
  for (const char *yes : {"1", "true", "YES", "On"}) {
    ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", yes);
    EXPECT_TRUE(mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK")) << yes;
  }
  for (const char *no : {"0", "False", "no", "OFF"}) {
    ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", no);
    EXPECT_FALSE(mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK")) << no;
  }
  {
    ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", nullptr);
    EXPECT_FALSE(mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK"));
  }
  ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", "maybe");
  try {
    mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK");
    ADD_FAILURE() << "accepted maybe";
  } catch (const Error &err) {
    EXPECT_EQ(err.status(), MPCOMM_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(err.what()).find("MPCOMM_SKIP_P2P_CHECK='maybe'"), std::string::npos)
        << err.what();
  }
}

TEST(Env, UnregisteredNamesAreABug) {
  try {
    mpcomm::env::raw("MPCOMM_NOT_A_VARIABLE");
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INTERNAL);
  }
}

TEST(Env, ReadingAVariableAsAnotherKindIsABug) {
  try {
    mpcomm::env::integer("MPCOMM_TIMEOUT");
    ADD_FAILURE();
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), MPCOMM_ERR_INTERNAL);
    EXPECT_NE(std::string(e.what()).find("seconds"), std::string::npos) << e.what();
  }
  EXPECT_THROW(mpcomm::env::boolean("MPCOMM_DEBUG"), Error);
}

// Every entry's default passes its own parser, and each has help.
TEST(Env, EveryDefaultIsValid) {
  for (const auto &v : mpcomm::env::variables()) {
    ScopedEnv unset(v.name, nullptr);
    const auto s = mpcomm::env::setting(v);
    EXPECT_FALSE(s.from_environment) << v.name;
    EXPECT_EQ(s.value, v.default_value) << v.name;
    EXPECT_EQ(s.error, "") << v.name;
    EXPECT_GT(std::string(v.meaning).size(), 10u) << v.name;
    using mpcomm::env::Kind;
    switch (v.kind) {
      case Kind::Seconds: EXPECT_NO_THROW(mpcomm::env::seconds(v.name)) << v.name; break;
      case Kind::Integer: EXPECT_NO_THROW(mpcomm::env::integer(v.name)) << v.name; break;
      case Kind::Boolean: EXPECT_NO_THROW(mpcomm::env::boolean(v.name)) << v.name; break;
      case Kind::Choice: EXPECT_NO_THROW(mpcomm::env::choice(v.name)) << v.name; break;
      case Kind::IntegerList: EXPECT_NO_THROW(mpcomm::env::integer_list(v.name)) << v.name; break;
      case Kind::NameList: EXPECT_NO_THROW(mpcomm::env::name_list(v.name)) << v.name; break;
      case Kind::Text:
      case Kind::Path: EXPECT_NO_THROW(mpcomm::env::raw(v.name)) << v.name; break;
    }
  }
}

TEST(Env, SettingSaysWhereTheValueCameFrom) {
  const auto &timeout = mpcomm::env::lookup("MPCOMM_TIMEOUT");
  {
    ScopedEnv e("MPCOMM_TIMEOUT", "7");
    const auto s = mpcomm::env::setting(timeout);
    EXPECT_TRUE(s.from_environment);
    EXPECT_EQ(s.value, "7");
    EXPECT_EQ(s.error, "");
  }
  ScopedEnv e("MPCOMM_TIMEOUT", "soon");
  const auto s = mpcomm::env::setting(timeout);
  EXPECT_TRUE(s.from_environment);
  EXPECT_EQ(s.value, "soon");
  EXPECT_NE(s.error.find("positive number of seconds"), std::string::npos) << s.error;
}

TEST(Env, UnknownVariablesAreReported) {
  ScopedEnv e("MPCOMM_TIMEOUTT", "3");
  ScopedEnv t("MPCOMM_TEST_SOMETHING", "1");
  auto unknown = mpcomm::env::unknown_variables();
  EXPECT_NE(std::find(unknown.begin(), unknown.end(), "MPCOMM_TIMEOUTT"), unknown.end());
  EXPECT_EQ(std::find(unknown.begin(), unknown.end(), "MPCOMM_TIMEOUT"), unknown.end());
  EXPECT_EQ(std::find(unknown.begin(), unknown.end(), "MPCOMM_TEST_SOMETHING"), unknown.end());
}

namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string source_dir() {
  const char *dir = std::getenv("MPCOMM_TEST_SRCDIR");
  return dir && *dir ? dir : ".";
}

// The MPCOMM_ names that follow `marker` up to the first character that cannot be in a name.
std::vector<std::string> names_after(const std::string &text, const std::string &marker) {
  std::vector<std::string> names;
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) {
    size_t begin = at + marker.size(), end = begin;
    while (end < text.size() &&
           (std::isupper(static_cast<unsigned char>(text[end])) ||
            std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      ++end;
    names.push_back(text.substr(begin, end - begin));
  }
  return names;
}

}  // namespace

// mpcomm(7) documents exactly the table's variables: one ".TP\n.B MPCOMM_..." entry each in its
// ENVIRONMENT section.
TEST(Env, Man7DocumentsExactlyTheTable) {
  const std::string page = read_file(source_dir() + "/man/man7/mpcomm.7");
  const size_t begin = page.find(".SH ENVIRONMENT");
  ASSERT_NE(begin, std::string::npos) << "no mpcomm.7 under " << source_dir();
  const size_t end = page.find("\n.SH ", begin + 1);
  const std::string section = page.substr(begin, end - begin);
  std::vector<std::string> documented;
  for (const auto &name : names_after(section, ".TP\n.B MPCOMM_"))
    documented.push_back("MPCOMM_" + name);
  for (const auto &v : mpcomm::env::variables())
    EXPECT_NE(std::find(documented.begin(), documented.end(), v.name), documented.end())
        << v.name << " is not documented in mpcomm(7)";
  for (const auto &name : documented) EXPECT_NO_THROW(mpcomm::env::lookup(name.c_str())) << name;
}

// README's variables table lists exactly the table's variables, with their defaults.
TEST(Env, ReadmeListsExactlyTheTable) {
  const std::string readme = read_file(source_dir() + "/README.md");
  ASSERT_FALSE(readme.empty()) << "no README.md under " << source_dir();
  std::vector<std::string> documented;
  for (const auto &name : names_after(readme, "\n| `MPCOMM_"))
    documented.push_back("MPCOMM_" + name);
  for (const auto &v : mpcomm::env::variables())
    EXPECT_NE(std::find(documented.begin(), documented.end(), v.name), documented.end())
        << v.name << " is not in README.md's table";
  for (const auto &name : documented) EXPECT_NO_THROW(mpcomm::env::lookup(name.c_str())) << name;
}

// The first call that reads the environment warns once about each unknown MPCOMM_ variable.
TEST(Env, UnknownVariableIsWarnedAboutOnceAtTheFirstCall) {
  const std::string path = "/tmp/mpcomm-test-unknown." + std::to_string(getpid());
  std::remove(path.c_str());
  {
    ScopedEnv file("MPCOMM_DEBUG_FILE", path.c_str());
    ScopedEnv typo("MPCOMM_TIMEOUTT", "3");
    ScopedEnv ours("MPCOMM_TEST_SOMETHING", "1");
    EXPECT_EQ(mpcomm::c_boundary("f", [] {}), MPCOMM_SUCCESS);
    EXPECT_EQ(mpcomm::c_boundary("g", [] {}), MPCOMM_SUCCESS);
  }
  const std::string text = read_file(path);
  std::remove(path.c_str());
  const std::string warning =
      " mpcomm WARN [ENV] MPCOMM_TIMEOUTT is set but is not an mpcomm variable (did you mean "
      "MPCOMM_TIMEOUT?); mpcomm-info --env lists them\n";
  const size_t at = text.find(warning);
  EXPECT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.find(warning, at + 1), std::string::npos) << "warned twice:\n" << text;
  EXPECT_EQ(text.find("MPCOMM_TEST_SOMETHING"), std::string::npos) << text;
  EXPECT_EQ(text.find("MPCOMM_DEBUG_FILE"), std::string::npos) << text;
}

TEST(Log, BadLevelFailsEveryCallWithTheVariableNamed) {
  ScopedEnv e("MPCOMM_DEBUG", "VERBOSE");
  auto st = mpcomm::c_boundary("mpcomm_example", [] {});
  EXPECT_EQ(st, MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("MPCOMM_DEBUG='VERBOSE'"), std::string::npos)
      << mpcomm_last_error();
}

TEST(Log, LevelsFilter) {
  {
    ScopedEnv e("MPCOMM_DEBUG", nullptr);
    EXPECT_TRUE(mpcomm::log::enabled(mpcomm::log::Level::Warn));
    EXPECT_FALSE(mpcomm::log::enabled(mpcomm::log::Level::Info));
  }
  {
    ScopedEnv e("MPCOMM_DEBUG", "INFO");
    EXPECT_TRUE(mpcomm::log::enabled(mpcomm::log::Level::Info));
    EXPECT_FALSE(mpcomm::log::enabled(mpcomm::log::Level::Trace));
  }
  ScopedEnv e("MPCOMM_DEBUG", "TRACE");
  EXPECT_TRUE(mpcomm::log::enabled(mpcomm::log::Level::Trace));
}

TEST(Log, FilePatternExpandsHostAndPid) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::string pid = std::to_string(getpid());
  EXPECT_EQ(mpcomm::log::expand_file_pattern("/tmp/x.%h.%p.log"),
            std::string("/tmp/x.") + host + "." + pid + ".log");
  EXPECT_EQ(mpcomm::log::expand_file_pattern("100%%-%q-%"), "100%-%q-%");
}

TEST(Log, LinesGoToTheFileWithHostPidAndRankPrefix) {
  std::string path = "/tmp/mpcomm-test-log." + std::to_string(getpid()) + ".%p";
  std::string expanded = mpcomm::log::expand_file_pattern(path);
  std::remove(expanded.c_str());
  {
    ScopedEnv level("MPCOMM_DEBUG", "INFO");
    ScopedEnv file("MPCOMM_DEBUG_FILE", path.c_str());
    mpcomm::log::info(mpcomm::log::Subsys::Init, "hello ", 42);
    mpcomm::log::trace(mpcomm::log::Subsys::Init, "not shown");
  }
  std::ifstream in(expanded);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(expanded.c_str());
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::string expected =
      std::string(host) + ":" + std::to_string(getpid()) + " [-] mpcomm INFO [INIT] hello 42\n";
  EXPECT_EQ(text.str(), expected);
}

TEST(Log, UnopenableFileIsAnError) {
  ScopedEnv file("MPCOMM_DEBUG_FILE", "/nonexistent-dir/mpcomm.log");
  EXPECT_EQ(mpcomm::c_boundary("f", [] {}), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("MPCOMM_DEBUG_FILE"), std::string::npos);
}

namespace {

using mpcomm::log::Level;
using mpcomm::log::Subsys;

std::vector<std::string> subsystems(const char *value) {
  ScopedEnv e("MPCOMM_DEBUG_SUBSYS", value);
  return mpcomm::env::name_list("MPCOMM_DEBUG_SUBSYS");
}

// What body logs with MPCOMM_DEBUG=level and MPCOMM_DEBUG_SUBSYS=subsys.
template <class Body>
std::string logged(const char *level, const char *subsys, Body &&body) {
  const std::string path = "/tmp/mpcomm-test-subsys." + std::to_string(getpid());
  std::remove(path.c_str());
  {
    ScopedEnv l("MPCOMM_DEBUG", level);
    ScopedEnv s("MPCOMM_DEBUG_SUBSYS", subsys);
    ScopedEnv file("MPCOMM_DEBUG_FILE", path.c_str());
    body();
  }
  const std::string text = read_file(path);
  std::remove(path.c_str());
  return text;
}

void log_one_of_each() {
  mpcomm::log::info(Subsys::Coll, "coll info");
  mpcomm::log::trace(Subsys::P2P, "p2p trace");
  mpcomm::log::info(Subsys::Init, "init info");
  mpcomm::log::trace(Subsys::Shm, "shm trace");
  mpcomm::log::warn(Subsys::Device, "device warning");
  mpcomm::log::write(Level::Info, "untagged line");
}

}  // namespace

TEST(DebugSubsys, ParsesAsNcclDebugSubsys) {
  using Names = std::vector<std::string>;
  const Names all = {"INIT", "BOOTSTRAP", "COLL", "P2P", "SHM", "DEVICE", "ENV"};
  EXPECT_EQ(subsystems(nullptr), all);
  EXPECT_EQ(subsystems(""), all);
  EXPECT_EQ(subsystems("ALL"), all);
  EXPECT_EQ(subsystems("coll,P2P"), (Names{"COLL", "P2P"}));
  EXPECT_EQ(subsystems(" ENV , INIT "), (Names{"INIT", "ENV"}));
  EXPECT_EQ(subsystems("^INIT,SHM"), (Names{"BOOTSTRAP", "COLL", "P2P", "DEVICE", "ENV"}));
  EXPECT_EQ(subsystems("^ALL"), Names{});
  for (const char *bad : {"COLLECTIVES", "INIT,,COLL", "INIT;COLL", "^", "INIT,^COLL"}) {
    ScopedEnv e("MPCOMM_DEBUG_SUBSYS", bad);
    try {
      mpcomm::env::name_list("MPCOMM_DEBUG_SUBSYS");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error &err) {
      EXPECT_EQ(err.status(), MPCOMM_ERR_INVALID_ARGUMENT);
      EXPECT_NE(std::string(err.what()).find(std::string("MPCOMM_DEBUG_SUBSYS='") + bad + "'"),
                std::string::npos)
          << err.what();
    }
  }
}

TEST(DebugSubsys, MaskHasTheChosenBits) {
  ScopedEnv e("MPCOMM_DEBUG_SUBSYS", "COLL,SHM");
  EXPECT_EQ(mpcomm::log::subsys_mask_from_environment(),
            static_cast<unsigned>(Subsys::Coll) | static_cast<unsigned>(Subsys::Shm));
  for (Subsys s : {Subsys::Init, Subsys::Bootstrap, Subsys::Coll, Subsys::P2P, Subsys::Shm,
                   Subsys::Device, Subsys::Env}) {
    ScopedEnv one("MPCOMM_DEBUG_SUBSYS", mpcomm::log::subsys_name(s));
    EXPECT_EQ(mpcomm::log::subsys_mask_from_environment(), static_cast<unsigned>(s));
  }
}

// INFO and TRACE lines pass only for the chosen subsystems; warnings and untagged lines (failed
// calls) always pass; each tagged line names its subsystem.
TEST(DebugSubsys, FiltersInfoAndTraceLines) {
  std::string text = logged("TRACE", "COLL,P2P", log_one_of_each);
  EXPECT_NE(text.find(" mpcomm INFO [COLL] coll info\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" mpcomm TRACE [P2P] p2p trace\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("init info"), std::string::npos) << text;
  EXPECT_EQ(text.find("shm trace"), std::string::npos) << text;
  EXPECT_NE(text.find(" mpcomm WARN [DEVICE] device warning\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" mpcomm INFO untagged line\n"), std::string::npos) << text;

  text = logged("INFO", "^COLL", log_one_of_each);
  EXPECT_EQ(text.find("coll info"), std::string::npos) << text;
  EXPECT_NE(text.find(" mpcomm INFO [INIT] init info\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("trace"), std::string::npos) << text;  // the level holds TRACE back
  EXPECT_NE(text.find("device warning"), std::string::npos) << text;

  text = logged("TRACE", nullptr, log_one_of_each);  // unset: every subsystem
  for (const char *line :
       {"coll info", "p2p trace", "init info", "shm trace", "device warning", "untagged line"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " missing from\n" << text;

  ScopedEnv l("MPCOMM_DEBUG", "INFO");
  ScopedEnv s("MPCOMM_DEBUG_SUBSYS", "^INIT");
  EXPECT_TRUE(mpcomm::log::enabled(Level::Info, Subsys::Coll));
  EXPECT_FALSE(mpcomm::log::enabled(Level::Info, Subsys::Init));
  EXPECT_FALSE(mpcomm::log::enabled(Level::Trace, Subsys::Coll));
  EXPECT_TRUE(mpcomm::log::enabled(Level::Warn, Subsys::Init));
}

TEST(DebugSubsys, BadValueFailsEveryCallWithTheVariableNamed) {
  ScopedEnv e("MPCOMM_DEBUG_SUBSYS", "COLL,NETWORK");
  EXPECT_EQ(mpcomm::c_boundary("f", [] {}), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("MPCOMM_DEBUG_SUBSYS='COLL,NETWORK'"),
            std::string::npos)
      << mpcomm_last_error();
  EXPECT_EQ(mpcomm::c_boundary("g", [] {}), MPCOMM_ERR_INVALID_ARGUMENT);
}

// At INFO the first call lists, once, the variables the environment sets (subsystem ENV).
TEST(DebugSubsys, FirstCallListsTheSetVariablesAtInfo) {
  ScopedEnv timeout("MPCOMM_TIMEOUT", "7");
  const std::string text = logged("INFO", "ENV", [] {
    EXPECT_EQ(mpcomm::c_boundary("f", [] {}), MPCOMM_SUCCESS);
    EXPECT_EQ(mpcomm::c_boundary("g", [] {}), MPCOMM_SUCCESS);
  });
  const std::string line = " mpcomm INFO [ENV] MPCOMM_TIMEOUT=7 (environment)\n";
  const size_t at = text.find(line);
  EXPECT_NE(at, std::string::npos) << text;
  EXPECT_EQ(text.find(line, at + 1), std::string::npos) << "listed twice:\n" << text;
  EXPECT_NE(text.find(" mpcomm INFO [ENV] MPCOMM_DEBUG_SUBSYS=ENV (environment)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("MPCOMM_HOST_ALLREDUCE"), std::string::npos) << text;  // unset
}

TEST(CallSite, NamesTheCalledFunction) {
  EXPECT_EQ(mpcomm::called_function("MPI_Allreduce(a, b, 1, MPI_INT, MPI_SUM, comm)"),
            "MPI_Allreduce");
  EXPECT_EQ(mpcomm::called_function("::MPI_Send (buf, 1, MPI_INT, 0, 0, comm)"), "MPI_Send");
  EXPECT_EQ(mpcomm::called_function("cudaDeviceSynchronize()"), "cudaDeviceSynchronize");
}

TEST(CallSite, SourceFileIsRelativeToLib) {
  EXPECT_STREQ(mpcomm::source_file("../lib/group/dispatch.cpp"), "group/dispatch.cpp");
  EXPECT_STREQ(mpcomm::source_file("/src/mpcomm/lib/core/env.cpp"), "core/env.cpp");
  EXPECT_STREQ(mpcomm::source_file("lib/core/env.cpp"), "core/env.cpp");
  EXPECT_STREQ(mpcomm::source_file("/src/mylib/x.cpp"), "/src/mylib/x.cpp");
  EXPECT_STREQ(mpcomm::source_file("x.cpp"), "x.cpp");
}

// The message names the function; the call's whole text and its place go to the INFO log,
// whatever MPCOMM_DEBUG_SUBSYS says, and nowhere at WARN.
TEST(CallSite, FailedCallMessageAndLogLine) {
  const mpcomm::CallSite site{"MPI_Allreduce(local, extremes, 2, MPI_INT, MPI_MAX, comm)",
                              "../lib/group/dispatch.cpp", 123};
  std::string message;
  std::string text = logged("INFO", "BOOTSTRAP", [&] {
    message = mpcomm::failed_call_message(site, "MPI_ERR_COMM: invalid communicator");
  });
  EXPECT_EQ(message, "MPI_Allreduce failed: MPI_ERR_COMM: invalid communicator");
  EXPECT_NE(text.find(" mpcomm INFO group/dispatch.cpp:123 MPI_Allreduce(local, extremes, 2, "
                      "MPI_INT, MPI_MAX, comm) failed: MPI_ERR_COMM: invalid communicator\n"),
            std::string::npos)
      << text;
  text = logged("WARN", nullptr, [&] { mpcomm::failed_call_message(site, "boom"); });
  EXPECT_EQ(text, "");
}

// The one failure rule (comm/comm.cpp), plane by plane: what leaves members out of step.
TEST(FailureRule, OneTableForEveryPlane) {
  using mpcomm::breaks_comm;
  using mpcomm::Plane;
  // Nothing breaks on success or on an already broken group.
  for (Plane p :
       {Plane::kControl, Plane::kAgreement, Plane::kHost, Plane::kDevice, Plane::kPairedKernels}) {
    EXPECT_FALSE(breaks_comm(p, MPCOMM_SUCCESS));
    EXPECT_FALSE(breaks_comm(p, MPCOMM_ERR_BROKEN));
    EXPECT_TRUE(breaks_comm(p, MPCOMM_ERR_TIMEOUT));
  }
  // Control: everything after its argument checks, but a kept truncation.
  EXPECT_TRUE(breaks_comm(Plane::kControl, MPCOMM_ERR_NO_MEMORY));
  EXPECT_TRUE(breaks_comm(Plane::kControl, MPCOMM_ERR_MALFORMED));
  EXPECT_FALSE(breaks_comm(Plane::kControl, MPCOMM_ERR_TRUNCATED));
  // Agreement: members that disagree fail alike and stay in step.
  EXPECT_TRUE(breaks_comm(Plane::kAgreement, MPCOMM_ERR_MPI));
  EXPECT_FALSE(breaks_comm(Plane::kAgreement, MPCOMM_ERR_INVALID_ARGUMENT));
  // Host: MPI, malformed bytes and internal errors inside a collective.
  EXPECT_TRUE(breaks_comm(Plane::kHost, MPCOMM_ERR_MPI));
  EXPECT_TRUE(breaks_comm(Plane::kHost, MPCOMM_ERR_MALFORMED));
  EXPECT_TRUE(breaks_comm(Plane::kHost, MPCOMM_ERR_INTERNAL));
  EXPECT_FALSE(breaks_comm(Plane::kHost, MPCOMM_ERR_INVALID_ARGUMENT));
  EXPECT_FALSE(breaks_comm(Plane::kHost, MPCOMM_ERR_NO_MEMORY));
  // Device (NCCL): NCCL errors; a CUDA error before the launch is local.
  EXPECT_TRUE(breaks_comm(Plane::kDevice, MPCOMM_ERR_NCCL));
  EXPECT_FALSE(breaks_comm(Plane::kDevice, MPCOMM_ERR_CUDA));
  EXPECT_FALSE(breaks_comm(Plane::kDevice, MPCOMM_ERR_MPI));
  // Paired kernels: every failure.
  EXPECT_TRUE(breaks_comm(Plane::kPairedKernels, MPCOMM_ERR_CUDA));
  EXPECT_TRUE(breaks_comm(Plane::kPairedKernels, MPCOMM_ERR_TRUNCATED));
}
