// SPDX-License-Identifier: Apache-2.0
// Status: the outcome of an operation that can fail. An OK status allocates nothing; an error
// carries a code and a message that gains context as it propagates ("open users: read block 17:
// IOError: ..."). Status is a value type; it is safe to copy between threads. Nothing in
// Optimystic throws: every fallible call returns a Status or a Result<T>.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace optimystic {

enum class StatusCode : uint8_t {
  kOk = 0,
  kNotFound = 1,
  kInvalidArgument = 2,
  kCorruption = 3,
  kIOError = 4,
  kNotSupported = 5,
  kAborted = 6,  // transaction conflict; retryable
  kUnavailable = 7,
  kTimedOut = 8,
  kIncompatible = 9,  // ABI or config version mismatch
  kInternal = 10,
};

// The name of a code as it appears in messages, e.g. "InvalidArgument".
std::string_view StatusCodeName(StatusCode code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string_view message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status Ok() noexcept { return Status(); }
  static Status NotFound(std::string_view msg) { return {StatusCode::kNotFound, msg}; }
  static Status InvalidArgument(std::string_view msg) {
    return {StatusCode::kInvalidArgument, msg};
  }
  static Status Corruption(std::string_view msg) { return {StatusCode::kCorruption, msg}; }
  static Status IOError(std::string_view msg) { return {StatusCode::kIOError, msg}; }
  static Status NotSupported(std::string_view msg) { return {StatusCode::kNotSupported, msg}; }
  static Status Aborted(std::string_view msg) { return {StatusCode::kAborted, msg}; }
  static Status Unavailable(std::string_view msg) { return {StatusCode::kUnavailable, msg}; }
  static Status TimedOut(std::string_view msg) { return {StatusCode::kTimedOut, msg}; }
  static Status Incompatible(std::string_view msg) { return {StatusCode::kIncompatible, msg}; }
  static Status Internal(std::string_view msg) { return {StatusCode::kInternal, msg}; }

  bool ok() const noexcept { return rep_ == nullptr; }
  StatusCode code() const noexcept { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message without the code name; empty for OK.
  std::string_view message() const noexcept {
    return rep_ ? std::string_view(rep_->message) : std::string_view();
  }
  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

  // The same code with "context: " put before the message. OK stays OK.
  Status WithContext(std::string_view context) const;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<const Rep> rep_;
};

inline bool operator==(const Status& a, StatusCode c) noexcept { return a.code() == c; }

}  // namespace optimystic

#define OPTIMYSTIC_STATUS_CONCAT_INNER(a, b) a##b
#define OPTIMYSTIC_STATUS_CONCAT(a, b) OPTIMYSTIC_STATUS_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define OPTIMYSTIC_RETURN_IF_ERROR(expr)                                           \
  do {                                                                             \
    ::optimystic::Status optimystic_status_ = ::optimystic::internal::ToStatus(expr); \
    if (!optimystic_status_.ok()) return optimystic_status_;                       \
  } while (0)

namespace optimystic::internal {
inline const Status& ToStatus(const Status& s) { return s; }
inline Status ToStatus(Status&& s) { return std::move(s); }
}  // namespace optimystic::internal
