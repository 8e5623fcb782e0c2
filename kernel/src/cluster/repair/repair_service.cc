// SPDX-License-Identifier: Apache-2.0
#include "cluster/repair/repair_service.h"

#include <string>

#include "cluster/wire/repo_messages.h"

namespace optimystic::cluster::repair {

using wire::MessageType;

namespace {

Status CheckAsker(const wire::Envelope& request, const std::string& peer) {
  if (peer != request.sender) {
    return Status::InvalidArgument(std::string(wire::MessageTypeName(request.type)) +
                                   " payload member 'peer': '" + peer +
                                   "' is not the sender '" + request.sender + "'");
  }
  return Status::Ok();
}

}  // namespace

Status RepairService::RegisterWith(wire::MessageDispatcher& dispatcher) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(dispatcher.Register(MessageType::kRepoDigest, *this));
  OPTIMYSTIC_RETURN_IF_ERROR(dispatcher.Register(MessageType::kRepoHeads, *this));
  return dispatcher.Register(MessageType::kRepoRepair, *this);
}

Result<wire::Reply> RepairService::Handle(const wire::Envelope& request) noexcept {
  OPTIMYSTIC_RETURN_IF_ERROR(wire::RequirePeerSender(request));
  switch (request.type) {
    case MessageType::kRepoDigest: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(wire::DigestRequest digest,
                                  wire::RepoDigestFromPayload(request.payload));
      OPTIMYSTIC_RETURN_IF_ERROR(CheckAsker(request, digest.peer));
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<std::string> digests,
                                  anti_entropy_.DigestFor(digest));
      return wire::Reply{MessageType::kRepoDigestOk, wire::RepoDigestOkToPayload(digests)};
    }
    case MessageType::kRepoHeads: {
      OPTIMYSTIC_ASSIGN_OR_RETURN(wire::HeadsRequest heads,
                                  wire::RepoHeadsFromPayload(request.payload));
      OPTIMYSTIC_RETURN_IF_ERROR(CheckAsker(request, heads.peer));
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<core::repository::BlockHead> found,
                                  anti_entropy_.HeadsFor(heads));
      return wire::Reply{MessageType::kRepoHeadsOk, wire::RepoHeadsOkToPayload(found)};
    }
    case MessageType::kRepoRepair: {
      // Queued, not run here: the repair asks other peers, which a request handler must not
      // wait on.
      OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<block::BlockId> ids,
                                  wire::RepoRepairFromPayload(request.payload));
      const uint64_t queued = anti_entropy_.RequestRepair(ids);
      return wire::Reply{MessageType::kRepoRepairOk, wire::RepoRepairOkToPayload(queued)};
    }
    default:
      return Status::NotSupported("repair service: no handler for '" +
                                  std::string(wire::MessageTypeName(request.type)) + "'");
  }
}

}  // namespace optimystic::cluster::repair
