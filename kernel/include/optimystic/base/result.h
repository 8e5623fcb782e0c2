// SPDX-License-Identifier: Apache-2.0
// Result<T>: a value or an error Status. A subset of C++23 std::expected<T, Status> (has_value,
// operator bool, value, error, *, ->) so that it can become an alias once the toolchain has
// <expected>. Accessing value() of an error, or error() of a value, is a programmer error and
// aborts in every build mode.
#pragma once

#include <optimystic/base/status.h>

#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace optimystic {

template <class T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "Result<Status> makes no sense");

  // A value. Implicit so that `return value;` works.
  template <class U = T,
            class = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                     !std::is_same_v<std::decay_t<U>, Status> &&
                                     !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  // An error. REQUIRES: !status.ok()
  Result(Status status) : v_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    if (std::get<1>(v_).ok()) {
      Die("Result constructed from an OK status");
    }
  }

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { Check(); return std::get<0>(v_); }
  const T& value() const& { Check(); return std::get<0>(v_); }
  T&& value() && { Check(); return std::get<0>(std::move(v_)); }

  const Status& error() const& {
    if (has_value()) Die("Result::error() called on a value");
    return std::get<1>(v_);
  }
  Status error() && {
    if (has_value()) Die("Result::error() called on a value");
    return std::get<1>(std::move(v_));
  }
  // OK when a value is held; the error otherwise.
  Status status() const { return has_value() ? Status::Ok() : std::get<1>(v_); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void Check() const {
    if (!has_value()) {
      std::fprintf(stderr, "Result::value() on error: %s\n",
                   std::get<1>(v_).ToString().c_str());
      std::abort();
    }
  }
  [[noreturn]] static void Die(const char* what) {
    std::fprintf(stderr, "%s\n", what);
    std::abort();
  }
  std::variant<T, Status> v_;
};

namespace internal {
template <class T>
Status ToStatus(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace optimystic

// Declares `lhs` from the value of a Result expression, or returns its error.
#define OPTIMYSTIC_ASSIGN_OR_RETURN(lhs, expr) \
  OPTIMYSTIC_ASSIGN_OR_RETURN_IMPL(OPTIMYSTIC_STATUS_CONCAT(optimystic_result_, __LINE__), lhs, expr)
#define OPTIMYSTIC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.has_value()) return std::move(tmp).error();   \
  lhs = std::move(tmp).value()
