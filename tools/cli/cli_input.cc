// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_input.h"

#include <charconv>
#include <limits>
#include <string>

namespace optimystic::tools::cli {

namespace {

using block::Value;

// Keeps the first parse error of a SAX run; every other event is accepted and dropped.
class ErrorOnlySax {
 public:
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(Value::number_integer_t) { return true; }
  bool number_unsigned(Value::number_unsigned_t) { return true; }
  bool number_float(Value::number_float_t, const Value::string_t&) { return true; }
  bool string(Value::string_t&) { return true; }
  bool binary(Value::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(Value::string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) {
    position_ = position;
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    // keeps only what follows the location.
    std::string what = ex.what();
    const size_t colon = what.find(": ");
    reason_ = colon == std::string::npos ? what : what.substr(colon + 2);
    return false;
  }

  size_t position_ = 0;
  std::string reason_;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Whether `s` is a JSON number literal: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view s, bool& integral) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size() || !IsDigit(s[i])) return false;
  if (s[i] == '0') {
    ++i;
  } else {
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  integral = true;
  if (i < s.size() && s[i] == '.') {
    integral = false;
    ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    integral = false;
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || !IsDigit(s[i])) return false;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i == s.size();
}

}  // namespace

Result<Value> ParseJsonArgument(std::string_view text, std::string_view what) noexcept {
  Value value = Value::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded()) {
    return value;
  }
  ErrorOnlySax sax;
  Value::sax_parse(text, &sax);
  return Status::InvalidArgument(std::string(what) + ": malformed JSON at position " +
                                 std::to_string(sax.position_) + ": " + sax.reason_);
}

Value ParseKey(std::string_view text, KeyMode mode) noexcept {
  bool integral = false;
  if (mode == KeyMode::kAlwaysText || !IsJsonNumber(text, integral)) {
    return Value(std::string(text));
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (integral) {
    int64_t i = 0;
    if (auto [p, ec] = std::from_chars(begin, end, i); ec == std::errc() && p == end) return i;
    uint64_t u = 0;
    if (auto [p, ec] = std::from_chars(begin, end, u); ec == std::errc() && p == end) return u;
    return Value(std::string(text));  // too large for an integer: keep the digits exactly
  }
  double d = 0;
  if (auto [p, ec] = std::from_chars(begin, end, d); ec == std::errc() && p == end) return d;
  return Value(std::string(text));
}

Result<int64_t> ParseInteger(std::string_view text, std::string_view what) noexcept {
  int64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(what) + ": expected an integer, got '" +
                                   std::string(text) + "'");
  }
  return value;
}

Result<uint64_t> ParseCount(std::string_view text, std::string_view what, uint64_t min,
                            uint64_t max) noexcept {
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || value < min ||
      value > max) {
    return Status::InvalidArgument(std::string(what) + ": expected an integer from " +
                                   std::to_string(min) + " to " + std::to_string(max) + ", got '" +
                                   std::string(text) + "'");
  }
  return value;
}

}  // namespace optimystic::tools::cli
