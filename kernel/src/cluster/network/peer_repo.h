// SPDX-License-Identifier: Apache-2.0
// PeerRepo: the repository operations of one peer (SPEC.md §7.1 IRepo): get, getStatus, pend,
// commit and cancel on the blocks that peer holds. Unlike a Transactor, a commit here is of
// exactly the request's block_ids, all or none; the NetworkTransactor orders the steps
// (log-first, SPEC.md §6.4) across peers. LocalPeerRepo serves them from this node's
// repository (with the read-dependency validation of SPEC.md §6.6 before a pend); the
// RemotePeerRepo asks another node over the wire (repo.* messages, docs/protocol.md), and the
// RepoService answers those from a LocalPeerRepo.
// Thread-safety: every method may be called from any thread at once.
// Errors: protocol refusals are StaleFailure values; a Status error means the operation did not
// happen: storage faults, or for a remote peer one that could not be reached (Unavailable or
// TimedOut, "cannot reach <url>: ...") or refused the request (its code and message).
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/base/status.h>
#include <optimystic/transactor/transactor_types.h>
#include <optimystic/transport/transport.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "cluster/wire/wire_call.h"
#include "core/repository/repository.h"

namespace optimystic::cluster::network {

class PeerRepo {
 public:
  virtual ~PeerRepo() = default;
  virtual Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) = 0;
  virtual Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) = 0;
  virtual Result<transactor::PendResult> Pend(const transactor::PendRequest& request) = 0;
  // Commits the action on exactly request.block_ids (tail_id and header_id are not added).
  virtual Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) = 0;
  virtual Status Cancel(const transactor::ActionBlocks& actions) = 0;
};

class LocalPeerRepo final : public PeerRepo {
 public:
  // OWNERSHIP: `repository` must outlive this.
  explicit LocalPeerRepo(core::repository::Repository& repository) : repository_(repository) {}

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override;
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) override;
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override;
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override;
  Status Cancel(const transactor::ActionBlocks& actions) override;

 private:
  core::repository::Repository& repository_;
};

class RemotePeerRepo final : public PeerRepo {
 public:
  // `options.sender` is this node's peer id. OWNERSHIP: `transport` must outlive this.
  RemotePeerRepo(transport::Transport& transport, std::string url, wire::CallOptions options)
      : transport_(transport), url_(std::move(url)), options_(std::move(options)) {}

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override;
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) override;
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override;
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override;
  Status Cancel(const transactor::ActionBlocks& actions) override;

  const std::string& url() const noexcept { return url_; }

 private:
  Result<block::Value> Call(wire::MessageType type, block::Value payload,
                            wire::MessageType reply_type);

  transport::Transport& transport_;
  const std::string url_;
  const wire::CallOptions options_;
  std::atomic<uint64_t> next_request_id_{1};
};

}  // namespace optimystic::cluster::network
