// SPDX-License-Identifier: Apache-2.0
// The node's data directory: created on first start, checked for writing by actually writing,
// and home of the node's stable peer id (the file `peer_id`, generated once: 32 random bytes in
// base32). Thread-safety: call from one thread at start-up.
// Errors: IOError naming the path and the system's reason; Corruption for a malformed peer_id
// file; InvalidArgument when node.id disagrees with the id already kept in the data dir.
#pragma once

#include <optimystic/base/result.h>

#include <string>

#include "cluster/identity/node_key.h"

namespace optimystic::server {

// Creates `path` (and parents) if missing and proves it writable.
Status PrepareDataDir(const std::string& path);

// The peer id kept in `data_dir`; when none is kept yet, `configured` (node.id) if not empty,
// otherwise a new random id, which is then kept.
Result<std::string> LoadOrCreatePeerId(const std::string& data_dir, const std::string& configured);

inline constexpr const char* kNodeKeyFile = "node_key.pem";

// The node key kept in `data_dir`/node_key.pem; when there is none, a new one, kept with mode
// 0600. Refuses a key file that group or others may read or write.
Result<cluster::identity::NodeKey> LoadOrCreateNodeKey(const std::string& data_dir);

}  // namespace optimystic::server
