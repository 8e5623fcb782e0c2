// SPDX-License-Identifier: Apache-2.0
// The key/value layout of the block repository inside a StorageEngine (SPEC.md §1.10), and the
// functions that build and take apart its keys.
//
// Every key of one block starts with the block prefix: the two bytes "b/", then the block id with
// each 0x00 byte written as 0x00 0xff, then one 0x00 byte. The terminator cannot occur inside an
// escaped id (a 0x00 there is always followed by 0xff, and no tag byte is 0xff), so one block's
// keys never share a prefix with another's even when ids contain '/' (collection names do). After
// the prefix comes a one-byte tag:
//   'm'                      metadata: EncodeValue of {"latest": {"a": actionId, "r": rev}
//                            (absent before the first commit), "ranges": [[start] or
//                            [start, end], ...] (held revision spans, end exclusive, a
//                            one-element span is open-ended), "n": revisions committed here}.
//   'r' + rev (8 bytes BE)   revision index: the committing actionId, raw bytes.
//   'c' + actionId           committed transform: EncodeTransform (the forward delta).
//   'p' + actionId           pending transform: EncodeTransform.
//   'x' + rev (8 bytes BE)   materialized block at that rev: EncodeBlock.
// Big-endian revs make a scan of 'r' or 'x' keys visit revisions in numeric order, so "the
// highest revision at or below R" is one backward scan with limit 1.
//
// Materializations are kept at the tip, at the range floor (the first revision committed here),
// and at every kCheckpointInterval-th revision *of the block* (its ordinal "n", not the sparse
// collection rev, so that the replay bound holds for blocks touched rarely); a commit deletes the
// previous tip's materialization unless it is one of those. A tombstone revision (the transform
// deletes the block) has no materialization; neither needs one, since a transform that inserts or
// deletes determines the block without its base. So any held rev is rebuilt from the nearest
// materialization or base-independent transform at or below it by replaying at most
// kCheckpointInterval forward transforms.
// Thread-safety: pure functions. Errors: Parse* return nullopt for keys of another shape.
#pragma once

#include <optimystic/block/block.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace optimystic::core::repository {

inline constexpr uint64_t kCheckpointInterval = 32;

inline constexpr char kMetaTag = 'm';
inline constexpr char kRevisionTag = 'r';
inline constexpr char kCommittedTag = 'c';
inline constexpr char kPendingTag = 'p';
inline constexpr char kMaterializedTag = 'x';

// "b/" + escaped id + 0x00.
std::string BlockPrefix(const block::BlockId& id);

// The keys of one block, from its BlockPrefix built once: an operation makes several keys per
// block. Tag(t) equals TagPrefix(id, t), Meta() MetaKey(id), Revision(rev) RevisionKey(id, rev),
// and so on for the free functions below.
class BlockKeys final {
 public:
  explicit BlockKeys(const block::BlockId& id) : prefix_(BlockPrefix(id)) {}

  std::string Tag(char tag) const { return Key(tag, 0); }
  std::string Meta() const { return Key(kMetaTag, 0); }
  std::string Revision(uint64_t rev) const;
  std::string Committed(std::string_view action_id) const;
  std::string Pending(std::string_view action_id) const;
  std::string Materialized(uint64_t rev) const;

 private:
  // prefix_ + tag, with room for `extra` more bytes.
  std::string Key(char tag, size_t extra) const;

  std::string prefix_;
};

// BlockPrefix(id) + tag: the prefix of every key of one kind.
std::string TagPrefix(const block::BlockId& id, char tag);

std::string MetaKey(const block::BlockId& id);
std::string RevisionKey(const block::BlockId& id, uint64_t rev);
std::string CommittedKey(const block::BlockId& id, std::string_view action_id);
std::string PendingKey(const block::BlockId& id, std::string_view action_id);
std::string MaterializedKey(const block::BlockId& id, uint64_t rev);

// The rev of a RevisionKey or MaterializedKey whose TagPrefix is `prefix`.
std::optional<uint64_t> ParseRevKey(std::string_view key, std::string_view prefix);
// The action id of a PendingKey or CommittedKey whose TagPrefix is `prefix`.
std::optional<std::string> ParseActionKey(std::string_view key, std::string_view prefix);

// A block key taken apart: the block id its prefix names and the tag byte after it.
struct ParsedBlockKey {
  block::BlockId id;
  char tag = 0;
};
// nullopt for a key that is not "b/" + escaped id + 0x00 + tag.
std::optional<ParsedBlockKey> ParseBlockKey(std::string_view key);

// A key for messages: printable ASCII kept, other bytes as \xNN.
std::string PrintableKey(std::string_view key);

}  // namespace optimystic::core::repository
