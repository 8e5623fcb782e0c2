// SPDX-License-Identifier: Apache-2.0
// HttpGet: a minimal HTTP/1.0 GET over a loopback socket, for scraping /metrics in integration
// tests without another dependency. Returns the status code and body, or an error string.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace optimystic::test {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string error;  // non-empty when the request failed
};

inline HttpResponse HttpGet(const std::string& host, int port, const std::string& path) {
  HttpResponse r;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    r.error = "connect " + host + ":" + std::to_string(port) + " failed";
    ::close(fd);
    return r;
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    r.error = "send failed";
    ::close(fd);
    return r;
  }
  std::string raw;
  char buf[8192];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) raw.append(buf, n);
  ::close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) {
    r.error = "malformed response";
    return r;
  }
  r.status = std::stoi(raw.substr(raw.find(' ') + 1, 3));
  r.body = raw.substr(head_end + 4);
  return r;
}

}  // namespace optimystic::test
