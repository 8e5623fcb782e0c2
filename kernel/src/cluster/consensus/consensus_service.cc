// SPDX-License-Identifier: Apache-2.0
#include "cluster/consensus/consensus_service.h"

#include <string>

#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::consensus {

using wire::MessageType;

Status ConsensusService::RegisterWith(wire::MessageDispatcher& dispatcher) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(dispatcher.Register(MessageType::kClusterUpdate, *this));
  return dispatcher.Register(MessageType::kRepoHistory, *this);
}

Result<wire::Reply> ConsensusService::Handle(const wire::Envelope& request) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(wire::RequirePeerSender(request));
  switch (request.type) {
    case MessageType::kClusterUpdate: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(wire::ClusterRecord record,
                                  wire::ClusterUpdateFromPayload(request.payload));
      OPTIMYSTIC_ASSIGN_OR_RETURN(wire::ClusterUpdateOk ok, member_.Update(record));
      return wire::Reply{MessageType::kClusterUpdateOk, wire::ClusterUpdateOkToPayload(ok)};
    }
    case MessageType::kRepoHistory: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(wire::HistoryRequest history,
                                  wire::RepoHistoryFromPayload(request.payload));
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<transactor::ActionTransforms> actions,
                                  member_.History(history.block_id, history.after_rev));
      return wire::Reply{MessageType::kRepoHistoryOk, wire::RepoHistoryOkToPayload(actions)};
    }
    default:
      return Status::NotSupported("consensus service: no handler for '" +
                                  std::string(wire::MessageTypeName(request.type)) + "'");
  }
}

}  // namespace optimystic::cluster::consensus
