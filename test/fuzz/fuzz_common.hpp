// Shared by the libFuzzer harnesses (README.md in this folder): a decoder may refuse its input
// only with mpcomm's own exceptions, never crash, read out of bounds or hit undefined behaviour.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "core/error.hpp"
#include "mpcomm.hpp"

// Runs body; an mpcomm refusal (MALFORMED, INVALID_ARGUMENT, TRUNCATED) is a valid answer, any
// other exception a finding.
template <class Body>
void fuzz_guard(Body &&body) {
  try {
    body();
  } catch (const mpcomm::Error &e) {
    if (e.status() != MPCOMM_ERR_MALFORMED && e.status() != MPCOMM_ERR_INVALID_ARGUMENT &&
        e.status() != MPCOMM_ERR_TRUNCATED) {
      std::fprintf(stderr, "unexpected status %d: %s\n", static_cast<int>(e.status()), e.what());
      std::abort();
    }
  } catch (const mpcomm::Exception &e) {
    if (e.status() != MPCOMM_ERR_MALFORMED && e.status() != MPCOMM_ERR_INVALID_ARGUMENT) {
      std::fprintf(stderr, "unexpected status %d: %s\n", static_cast<int>(e.status()), e.what());
      std::abort();
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
}

// A property that must hold; a violation is a finding.
#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)
