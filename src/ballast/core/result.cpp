#include "ballast/core/result.hpp"

namespace ballast {

const char* error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_input: return "invalid_input";
    case ErrorCode::io: return "io";
    case ErrorCode::corrupt: return "corrupt";
    case ErrorCode::mismatch: return "mismatch";
    case ErrorCode::not_found: return "not_found";
  }
  return "unknown";
}

}  // namespace ballast
