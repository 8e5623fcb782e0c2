// SPDX-License-Identifier: Apache-2.0
// Checks on what a process printed, shared by the integration tests: the first group of a
// pattern in a line (a node's ready line, say), and whether a CLI run succeeded.
// Thread-safety: pure functions. Errors: through gtest's AssertionResult.
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "support/subprocess.h"

namespace optimystic::test {

// The first capture group of `pattern` in `text`, or "" when it does not match.
inline std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch m;
  return std::regex_search(text, m, std::regex(pattern)) ? m[1].str() : "";
}

// A CLI run that succeeded: exit 0 and nothing on stderr (unless `quiet_stderr` is false).
inline ::testing::AssertionResult Succeeded(const RunResult& r, bool quiet_stderr = true) {
  if (r.exit_code != 0 || (quiet_stderr && !r.err.empty())) {
    return ::testing::AssertionFailure()
           << "exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace optimystic::test
