// SPDX-License-Identifier: Apache-2.0
// TempDir: a fresh, empty directory for one test (mkdtemp under $TMPDIR, or /tmp), removed with
// everything in it when the object goes away. Thread-safety: path() may be read from any
// thread; construct and destroy on one. Errors: a directory that cannot be created aborts the
// test binary with a message (nothing sensible can follow); failure to remove it is ignored.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace optimystic::test {

class TempDir final {
 public:
  explicit TempDir(std::string_view prefix = "optimystic-test") {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                          std::string(prefix) + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
      std::perror(("mkdtemp " + pattern).c_str());
      std::abort();
    }
    path_ = buffer.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const noexcept { return path_; }
  // path() + "/" + name.
  std::string Sub(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace optimystic::test
