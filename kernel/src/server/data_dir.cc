// SPDX-License-Identifier: Apache-2.0
#include "server/data_dir.h"

#include <optimystic/base/base32.h>

#include <fcntl.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/random.h"

namespace optimystic::server {

namespace fs = std::filesystem;

namespace {

Status IoError(const std::string& what, const std::string& path, int err) {
  return Status::IOError(what + " " + path + ": " + std::strerror(err));
}

// Writes `contents` to `path` via a temporary file (created with `mode`), fsync and rename, so a
// crash leaves either the old file or the new one.
Status WriteFileAtomically(const std::string& path, const std::string& contents,
                           mode_t mode = 0644) {
  std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a leftover from a crash may have other permissions
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return IoError("cannot create", tmp, errno);
  ssize_t n = ::write(fd, contents.data(), contents.size());
  int err = errno;
  if (n != static_cast<ssize_t>(contents.size()) || ::fsync(fd) != 0) {
    ::close(fd);
    return IoError("cannot write", tmp, n < 0 ? err : EIO);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot rename to", path, errno);
  return Status::Ok();
}

}  // namespace

Status PrepareDataDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::IOError("cannot create data dir " + path + ": " + ec.message());
  if (!fs::is_directory(path, ec)) {
    return Status::IOError("data dir " + path + " is not a directory");
  }
  // access() says yes to root for anything; writing a file is the only honest check.
  std::string probe = path + "/.write-check";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot write in data dir", path, errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

Result<std::string> LoadOrCreatePeerId(const std::string& data_dir, const std::string& configured) {
  std::string file = data_dir + "/peer_id";
  std::error_code ec;
  if (fs::exists(file, ec)) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in.good() && !in.eof()) return IoError("cannot read", file, errno);
    std::string id = ss.str();
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    if (id.empty() || id.size() > 256 || id.find_first_of(" \t\n") != std::string::npos) {
      return Status::Corruption("peer id file " + file + " is malformed");
    }
    if (!configured.empty() && configured != id) {
      return Status::InvalidArgument("node.id '" + configured + "' differs from the id '" + id +
                                     "' kept in " + file + "; a node's id never changes");
    }
    return id;
  }
  std::string id = configured;
  if (id.empty()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string bytes, base::SecureRandomBytes(32));
    id = base::Base32Encode(bytes);
  }
  OPTIMYSTIC_RETURN_IF_ERROR(WriteFileAtomically(file, id + "\n"));
  return id;
}

Result<cluster::identity::NodeKey> LoadOrCreateNodeKey(const std::string& data_dir) {
  const std::string file = data_dir + "/" + kNodeKeyFile;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno != ENOENT) return IoError("cannot stat", file, errno);
    OPTIMYSTIC_ASSIGN_OR_RETURN(cluster::identity::NodeKey key,
                                cluster::identity::NodeKey::Generate());
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string pem, key.ToPem());
    OPTIMYSTIC_RETURN_IF_ERROR(WriteFileAtomically(file, pem, 0600));
    return key;
  }
  // A private key others can read is no longer this node's alone.
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::InvalidArgument("node key " + file + " is accessible by group or others (mode " +
                                   mode + "); run chmod 600 " + file);
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in.good() && !in.eof()) return IoError("cannot read", file, errno);
  Result<cluster::identity::NodeKey> key =
      cluster::identity::NodeKey::FromPem(ss.str(), "node key " + file);
  if (!key && key.error().code() == StatusCode::kInvalidArgument) {
    return Status::Corruption(key.error().message());
  }
  return key;
}

}  // namespace optimystic::server
