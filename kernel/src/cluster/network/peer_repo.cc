// SPDX-License-Identifier: Apache-2.0
#include "cluster/network/peer_repo.h"

#include <string>
#include <string_view>
#include <utility>

#include "cluster/wire/repo_messages.h"
#include "core/transactor/repository_ops.h"

namespace optimystic::cluster::network {

using wire::MessageType;

namespace {

// A reply that does not read names where it came from.
template <typename T>
Result<T> FromPeer(Result<T> decoded, std::string_view what, const std::string& url) {
  if (!decoded) {
    return decoded.error().WithContext(std::string(what) + " from " + url);
  }
  return decoded;
}

}  // namespace

Result<transactor::GetBlockResults> LocalPeerRepo::Get(const transactor::BlockGets& gets) {
  return repository_.Get(gets);
}

Result<std::vector<transactor::BlockActionStatus>> LocalPeerRepo::GetStatus(
    const std::vector<transactor::ActionBlocks>& actions) {
  return transactor::StatusOf(repository_, actions);
}

Result<transactor::PendResult> LocalPeerRepo::Pend(const transactor::PendRequest& request) {
  return transactor::ValidateAndPend(repository_, request);
}

Result<transactor::CommitResult> LocalPeerRepo::Commit(const transactor::CommitRequest& request) {
  return repository_.Commit(request);
}

Status LocalPeerRepo::Cancel(const transactor::ActionBlocks& actions) {
  return repository_.Cancel(actions);
}

Result<block::Value> RemotePeerRepo::Call(MessageType type, block::Value payload,
                                          MessageType reply_type) {
  return wire::CallAndWait(transport_, url_, type, std::move(payload), reply_type,
                           next_request_id_.fetch_add(1), options_);
}

Result<transactor::GetBlockResults> RemotePeerRepo::Get(const transactor::BlockGets& gets) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value reply,
      Call(MessageType::kRepoGet, wire::RepoGetToPayload(gets), MessageType::kRepoGetOk));
  return FromPeer(wire::RepoGetOkFromPayload(reply), "repo.get.ok", url_);
}

Result<std::vector<transactor::BlockActionStatus>> RemotePeerRepo::GetStatus(
    const std::vector<transactor::ActionBlocks>& actions) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value reply,
                              Call(MessageType::kRepoStatus, wire::RepoStatusToPayload(actions),
                                   MessageType::kRepoStatusOk));
  return FromPeer(wire::RepoStatusOkFromPayload(reply), "repo.status.ok", url_);
}

Result<transactor::PendResult> RemotePeerRepo::Pend(const transactor::PendRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      block::Value reply,
      Call(MessageType::kRepoPend, wire::RepoPendToPayload(request), MessageType::kRepoPendOk));
  return FromPeer(wire::RepoPendOkFromPayload(reply), "repo.pend.ok", url_);
}

Result<transactor::CommitResult> RemotePeerRepo::Commit(const transactor::CommitRequest& request) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value reply,
                              Call(MessageType::kRepoCommit, wire::RepoCommitToPayload(request),
                                   MessageType::kRepoCommitOk));
  return FromPeer(wire::RepoCommitOkFromPayload(reply), "repo.commit.ok", url_);
}

Status RemotePeerRepo::Cancel(const transactor::ActionBlocks& actions) {
  OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value reply,
                              Call(MessageType::kRepoCancel, wire::RepoCancelToPayload(actions),
                                   MessageType::kRepoCancelOk));
  Status read = wire::RepoCancelOkFromPayload(reply);
  return read.ok() ? read : read.WithContext("repo.cancel.ok from " + url_);
}

}  // namespace optimystic::cluster::network
