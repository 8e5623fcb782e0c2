// SPDX-License-Identifier: Apache-2.0
// RawConnect: a plain TCP socket to 127.0.0.1:<port>, for tests that write bytes a transport
// must survive. Reads on it give up after `read_timeout_s`, so a test never hangs on a server
// that stays silent. Thread-safety: none needed. Errors: -1 when the socket cannot connect.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>

namespace optimystic::test {

inline int RawConnect(uint16_t port, int read_timeout_s = 30) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  timeval guard{read_timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace optimystic::test
