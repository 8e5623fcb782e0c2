// SPDX-License-Identifier: Apache-2.0
// The Value layout of log entries (SPEC.md §4.1), as they sit in the `entries` array of a log's
// LGD data blocks, and of the pieces of the transactor protocol they hold. Member names are the
// reference's, so that a log reads the same in every implementation:
//   LogEntry         {"timestamp": int (ms), "rev": uint, and exactly one of
//                     "action": ActionEntry, "checkpoint": CheckpointEntry}
//   ActionEntry      {"actionId": string, "actions": [Value...] (collections::ActionToValue form),
//                     "blockIds": [string...], "collectionIds": [string...] (written only when
//                     not empty), "reads": [ReadDependency...] (written only when known: absent
//                     means unknown, [] means "read nothing")}
//   CheckpointEntry  {"pendings": [ActionRev...]}
//   ActionRev        {"actionId": string, "rev": uint}
//   ReadDependency   {"blockId": string, "revision": uint}
// Integers are JSON integers (the canonical codec writes them in the shortest CBOR form). The
// reference's `invalidation` entries are not supported yet: nothing writes them, and an entry
// holding one is Corruption like any other malformed entry.
// A log data block is a chain data block (chain_format.h) plus, on every block but the head,
// "priorHash": the base32 SHA-256 of the canonical encoding of the predecessor without its links
// (log.h PriorHashOf).
// Thread-safety: pure functions. Errors: Corruption naming the malformed member; callers add the
// block and position.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/block/value.h>
#include <optimystic/transactor/transactor_types.h>

#include <string_view>

namespace optimystic::log {

inline constexpr std::string_view kTimestampMember = "timestamp";
inline constexpr std::string_view kRevMember = "rev";
inline constexpr std::string_view kActionMember = "action";
inline constexpr std::string_view kCheckpointMember = "checkpoint";
inline constexpr std::string_view kActionIdMember = "actionId";
inline constexpr std::string_view kActionsMember = "actions";
inline constexpr std::string_view kBlockIdsMember = "blockIds";
inline constexpr std::string_view kCollectionIdsMember = "collectionIds";
inline constexpr std::string_view kReadsMember = "reads";
inline constexpr std::string_view kPendingsMember = "pendings";
inline constexpr std::string_view kBlockIdMember = "blockId";
inline constexpr std::string_view kRevisionMember = "revision";

block::Value ActionRevToValue(const transactor::ActionRev& rev);
Result<transactor::ActionRev> ActionRevFromValue(const block::Value& value);

block::Value ReadDependencyToValue(const transactor::ReadDependency& read);
Result<transactor::ReadDependency> ReadDependencyFromValue(const block::Value& value);

}  // namespace optimystic::log
