// SPDX-License-Identifier: Apache-2.0
// Subprocess: runs a real program (optimystic-node, promtool, ...) for integration tests, with
// its stdout and stderr captured. The child is killed (SIGKILL) and reaped on destruction, so a
// failing test never leaves processes behind. Thread-safety: one thread per object.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace optimystic::test {

class Subprocess {
 public:
  explicit Subprocess(std::vector<std::string> argv) : argv_(std::move(argv)) {}
  ~Subprocess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    CloseFd(out_fd_);
    CloseFd(err_fd_);
  }
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts the program; false (with errno) when fork or pipe fails.
  bool Start() {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return false;
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      std::vector<char*> args;
      for (auto& a : argv_) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    return true;
  }

  // Reads stdout until a line containing `needle` arrives; returns that line, or nullopt when
  // the child closes stdout or the timeout passes. Stderr is drained meanwhile.
  std::optional<std::string> WaitForLine(const std::string& needle,
                                         std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (size_t pos; (pos = stdout_.find('\n', scanned_)) != std::string::npos;) {
        std::string line = stdout_.substr(scanned_, pos - scanned_);
        scanned_ = pos + 1;
        if (line.find(needle) != std::string::npos) return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !Pump(static_cast<int>(left.count()))) return std::nullopt;
    }
  }

  // Waits for exit and returns the exit status (128+N for death by signal N), or nullopt on
  // timeout. Captures all remaining output.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Pump(20);
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        while (Pump(0)) {
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return std::nullopt;
  }

  // Reads whatever output is waiting, without blocking: a long-running child that logs must be
  // drained now and then, or it blocks once a pipe's buffer is full.
  void Drain() {
    while (Pump(0) && Readable()) {
    }
  }

  bool Signal(int sig) { return pid_ > 0 && ::kill(pid_, sig) == 0; }
  pid_t pid() const { return pid_; }
  const std::string& stdout_text() const { return stdout_; }
  const std::string& stderr_text() const { return stderr_; }

 private:
  static void CloseFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  // Reads what is available within `timeout_ms`; false when both pipes are closed.
  bool Pump(int timeout_ms) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    if (out_fd_ < 0 && err_fd_ < 0) return false;
    int n = ::poll(fds, 2, timeout_ms);
    if (n <= 0) return n == 0;
    ReadInto(fds[0], out_fd_, stdout_);
    ReadInto(fds[1], err_fd_, stderr_);
    return out_fd_ >= 0 || err_fd_ >= 0;
  }
  bool Readable() {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    return ::poll(fds, 2, 0) > 0;
  }
  static void ReadInto(const pollfd& p, int& fd, std::string& sink) {
    if (fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) return;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      sink.append(buf, static_cast<size_t>(n));
    } else {
      CloseFd(fd);
    }
  }

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string stdout_;
  std::string stderr_;
  size_t scanned_ = 0;
};

// Runs a program to completion (with a timeout) and returns {exit status, stdout, stderr}.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline RunResult RunToExit(std::vector<std::string> argv,
                     std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  Subprocess p(std::move(argv));
  RunResult r;
  if (!p.Start()) return r;
  r.exit_code = p.Wait(timeout).value_or(-1);
  r.out = p.stdout_text();
  r.err = p.stderr_text();
  return r;
}

}  // namespace optimystic::test
