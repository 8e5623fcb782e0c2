// SPDX-License-Identifier: Apache-2.0
#include "cluster/network/repo_service.h"

#include <optimystic/block/transform.h>

#include <algorithm>

#include "cluster/network/id_list.h"
#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::network {

using wire::MessageType;
using wire::Reply;

Status RepoService::RegisterWith(wire::MessageDispatcher& dispatcher) noexcept {
  for (MessageType type : {MessageType::kRepoGet, MessageType::kRepoStatus, MessageType::kRepoPend,
                           MessageType::kRepoCommit, MessageType::kRepoCancel}) {
    OPTIMYSTIC_RETURN_IF_ERROR(dispatcher.Register(type, *this));
  }
  return Status::Ok();
}

Status RepoService::CheckResponsible(const std::vector<block::BlockId>& block_ids) const {
  std::vector<block::BlockId> elsewhere;
  for (const block::BlockId& id : block_ids) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> cluster, cluster_for_(id));
    if (std::find(cluster.begin(), cluster.end(), self_) == cluster.end()) {
      elsewhere.push_back(id);
    }
  }
  if (elsewhere.empty()) {
    return Status::Ok();
  }
  return Status::Unavailable("not responsible for block(s): " + ListIds(elsewhere));
}

Result<Reply> RepoService::Handle(const wire::Envelope& request) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(wire::RequirePeerSender(request));
  switch (request.type) {
    case MessageType::kRepoGet: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::BlockGets gets,
                                  wire::RepoGetFromPayload(request.payload));
      OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::GetBlockResults results, local_.Get(gets));
      return Reply{MessageType::kRepoGetOk, wire::RepoGetOkToPayload(results)};
    }
    case MessageType::kRepoStatus: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<transactor::ActionBlocks> actions,
                                  wire::RepoStatusFromPayload(request.payload));
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<transactor::BlockActionStatus> statuses,
                                  local_.GetStatus(actions));
      return Reply{MessageType::kRepoStatusOk, wire::RepoStatusOkToPayload(statuses)};
    }
    case MessageType::kRepoPend: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::PendRequest pend,
                                  wire::RepoPendFromPayload(request.payload));
      std::vector<block::BlockId> ids = block::BlockIdsForTransforms(pend.transforms);
      for (const transactor::ReadDependency& read : pend.reads) ids.push_back(read.block_id);
      OPTIMYSTIC_RETURN_IF_ERROR(CheckResponsible(ids));
      OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::PendResult result, local_.Pend(pend));
      return Reply{MessageType::kRepoPendOk, wire::RepoPendOkToPayload(result)};
    }
    case MessageType::kRepoCommit: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::CommitRequest commit,
                                  wire::RepoCommitFromPayload(request.payload));
      OPTIMYSTIC_RETURN_IF_ERROR(CheckResponsible(commit.block_ids));
      OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::CommitResult result, local_.Commit(commit));
      return Reply{MessageType::kRepoCommitOk, wire::RepoCommitOkToPayload(result)};
    }
    case MessageType::kRepoCancel: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::ActionBlocks cancel,
                                  wire::RepoCancelFromPayload(request.payload));
      OPTIMYSTIC_RETURN_IF_ERROR(CheckResponsible(cancel.block_ids));
      OPTIMYSTIC_RETURN_IF_ERROR(local_.Cancel(cancel));
      return Reply{MessageType::kRepoCancelOk, wire::RepoCancelOkToPayload()};
    }
    default:
      return Status::NotSupported("repo service: no handler for '" +
                                  std::string(wire::MessageTypeName(request.type)) + "'");
  }
}

}  // namespace optimystic::cluster::network
