// mpcomm C++ API: header-only RAII and exceptions over the C API of <mpcomm.h>.
#ifndef MPCOMM_HPP
#define MPCOMM_HPP

#include <stdexcept>
#include <string>

#include "mpcomm.h"

namespace mpcomm {

// Thrown by the C++ API when a C call fails: the status plus mpcomm_last_error()'s text.
class Exception : public std::runtime_error {
 public:
  Exception(mpcomm_status_t status, const std::string &what)
      : std::runtime_error(what), status_(status) {}
  mpcomm_status_t status() const noexcept { return status_; }

 private:
  mpcomm_status_t status_;
};

// Throws Exception unless status is MPCOMM_SUCCESS.
inline void check(mpcomm_status_t status) {
  if (status != MPCOMM_SUCCESS)
    throw Exception(status, std::string(mpcomm_status_string(status)) + ": " +
                                mpcomm_last_error());
}

}  // namespace mpcomm

#endif  // MPCOMM_HPP
