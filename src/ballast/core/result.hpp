#pragma once
// Result<T>: the error channel for I/O and configuration (files, databases, decoders, CLI input).
// Business rejections of events use Status (status.hpp) instead; programmer errors assert.
// Shaped like std::expected (C++23), which g++ 12 does not offer in C++20 mode.

#include <string>
#include <utility>
#include <variant>

#include "ballast/core/assert.hpp"

namespace ballast {

// Error classes decide the CLI exit status: invalid_input -> 2, the others -> 1.
enum class ErrorCode : unsigned char {
  invalid_input,  // malformed or out-of-range input: a file, a line, a field
  io,             // the operating system or the database failed
  corrupt,        // stored data fails a checksum, a hash chain or a consistency check
  mismatch,       // a replay disagrees with what was recorded
  not_found,      // a named file, record or object does not exist
};

const char* error_code_name(ErrorCode code) noexcept;

struct Error {
  ErrorCode code;
  std::string message;  // says what and where: "record 57: checksum mismatch"
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & {
    BALLAST_ASSERT(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    BALLAST_ASSERT(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    BALLAST_ASSERT(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& {
    BALLAST_ASSERT(!ok());
    return std::get<1>(state_);
  }
  Error&& error() && {
    BALLAST_ASSERT(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Outcome = Result<Ok>;

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace ballast
