// Core conventions: statuses, last error, the C boundary, environment and logging.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

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
  EXPECT_DOUBLE_EQ(mpcomm::env::seconds("MPCOMM_TIMEOUT", 300), 2.5);
}

TEST(Env, UnsetOrEmptyGivesTheDefault) {
  {
    ScopedEnv e("MPCOMM_TIMEOUT", nullptr);
    EXPECT_DOUBLE_EQ(mpcomm::env::seconds("MPCOMM_TIMEOUT", 300), 300);
  }
  ScopedEnv e("MPCOMM_TIMEOUT", "");
  EXPECT_DOUBLE_EQ(mpcomm::env::seconds("MPCOMM_TIMEOUT", 300), 300);
}

TEST(Env, BadSecondsNameTheVariableAndValue) {
  for (const char *bad : {"abc", "-1", "0", "5s", "inf", "nan", "1e999"}) {
    ScopedEnv e("MPCOMM_TIMEOUT", bad);
    try {
      mpcomm::env::seconds("MPCOMM_TIMEOUT", 300);
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
  EXPECT_EQ(mpcomm::env::choice("MPCOMM_DEBUG", "WARN", {"WARN", "INFO", "TRACE"}), "INFO");
  ScopedEnv f("MPCOMM_DEBUG", "LOUD");
  EXPECT_THROW(mpcomm::env::choice("MPCOMM_DEBUG", "WARN", {"WARN", "INFO"}), Error);
}

TEST(Env, IntegerRange) {
  ScopedEnv e("MPCOMM_TIMEOUT", "12");
  EXPECT_EQ(mpcomm::env::integer("MPCOMM_TIMEOUT", 1, 1, 100), 12);
  EXPECT_THROW(mpcomm::env::integer("MPCOMM_TIMEOUT", 1, 1, 10), Error);
  ScopedEnv f("MPCOMM_TIMEOUT", "12x");
  EXPECT_THROW(mpcomm::env::integer("MPCOMM_TIMEOUT", 1, 1, 100), Error);
  ScopedEnv g("MPCOMM_TIMEOUT", "99999999999999999999999");
  EXPECT_THROW(mpcomm::env::integer("MPCOMM_TIMEOUT", 1, 1, 100), Error);
}

TEST(Env, IntegerList) {
  ScopedEnv e("MPCOMM_PP_LAYER_PARTITION", "4, 5,6");
  auto list = mpcomm::env::integer_list("MPCOMM_PP_LAYER_PARTITION");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(*list, (std::vector<long>{4, 5, 6}));
  ScopedEnv f("MPCOMM_PP_LAYER_PARTITION", "4,,6");
  EXPECT_THROW(mpcomm::env::integer_list("MPCOMM_PP_LAYER_PARTITION"), Error);
}

TEST(Env, Boolean) {
  for (const char *yes : {"1", "true", "YES", "On"}) {
    ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", yes);
    EXPECT_TRUE(mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK", false)) << yes;
  }
  for (const char *no : {"0", "False", "no", "OFF"}) {
    ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", no);
    EXPECT_FALSE(mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK", true)) << no;
  }
  {
    ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", nullptr);
    EXPECT_FALSE(mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK", false));
    EXPECT_TRUE(mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK", true));
  }
  ScopedEnv e("MPCOMM_SKIP_P2P_CHECK", "maybe");
  try {
    mpcomm::env::boolean("MPCOMM_SKIP_P2P_CHECK", false);
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

TEST(Env, UnknownVariablesAreReported) {
  ScopedEnv e("MPCOMM_TIMEOUTT", "3");
  auto unknown = mpcomm::env::unknown_variables();
  EXPECT_NE(std::find(unknown.begin(), unknown.end(), "MPCOMM_TIMEOUTT"), unknown.end());
  EXPECT_EQ(std::find(unknown.begin(), unknown.end(), "MPCOMM_TIMEOUT"), unknown.end());
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
    mpcomm::log::info("hello ", 42);
    mpcomm::log::trace("not shown");
  }
  std::ifstream in(expanded);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(expanded.c_str());
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::string expected =
      std::string(host) + ":" + std::to_string(getpid()) + " [-] mpcomm INFO hello 42\n";
  EXPECT_EQ(text.str(), expected);
}

TEST(Log, UnopenableFileIsAnError) {
  ScopedEnv file("MPCOMM_DEBUG_FILE", "/nonexistent-dir/mpcomm.log");
  EXPECT_EQ(mpcomm::c_boundary("f", [] {}), MPCOMM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(mpcomm_last_error()).find("MPCOMM_DEBUG_FILE"), std::string::npos);
}
