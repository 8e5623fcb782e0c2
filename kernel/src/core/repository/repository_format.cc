// SPDX-License-Identifier: Apache-2.0
#include "core/repository/repository_format.h"

#include <cstdio>

namespace optimystic::core::repository {
namespace {

void AppendRev(std::string& key, uint64_t rev) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    key.push_back(static_cast<char>((rev >> shift) & 0xff));
  }
}

}  // namespace

std::string BlockPrefix(const block::BlockId& id) {
  std::string key = "b/";
  key.reserve(id.size() + 4);
  for (char c : id) {
    key.push_back(c);
    if (c == '\0') {
      key.push_back(static_cast<char>(0xff));
    }
  }
  key.push_back('\0');
  return key;
}

std::string BlockKeys::Key(char tag, size_t extra) const {
  std::string key;
  key.reserve(prefix_.size() + 1 + extra);
  key.append(prefix_);
  key.push_back(tag);
  return key;
}

std::string BlockKeys::Revision(uint64_t rev) const {
  std::string key = Key(kRevisionTag, 8);
  AppendRev(key, rev);
  return key;
}

std::string BlockKeys::Committed(std::string_view action_id) const {
  return Key(kCommittedTag, action_id.size()).append(action_id);
}

std::string BlockKeys::Pending(std::string_view action_id) const {
  return Key(kPendingTag, action_id.size()).append(action_id);
}

std::string BlockKeys::Materialized(uint64_t rev) const {
  std::string key = Key(kMaterializedTag, 8);
  AppendRev(key, rev);
  return key;
}

std::string TagPrefix(const block::BlockId& id, char tag) { return BlockKeys(id).Tag(tag); }

std::string MetaKey(const block::BlockId& id) { return BlockKeys(id).Meta(); }

std::string RevisionKey(const block::BlockId& id, uint64_t rev) {
  return BlockKeys(id).Revision(rev);
}

std::string CommittedKey(const block::BlockId& id, std::string_view action_id) {
  return BlockKeys(id).Committed(action_id);
}

std::string PendingKey(const block::BlockId& id, std::string_view action_id) {
  return BlockKeys(id).Pending(action_id);
}

std::string MaterializedKey(const block::BlockId& id, uint64_t rev) {
  return BlockKeys(id).Materialized(rev);
}

std::optional<uint64_t> ParseRevKey(std::string_view key, std::string_view prefix) {
  if (key.size() != prefix.size() + 8 || key.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  uint64_t rev = 0;
  for (size_t i = prefix.size(); i < key.size(); ++i) {
    rev = (rev << 8) | static_cast<unsigned char>(key[i]);
  }
  return rev;
}

std::optional<std::string> ParseActionKey(std::string_view key, std::string_view prefix) {
  if (key.size() < prefix.size() || key.substr(0, prefix.size()) != prefix) {
    return std::nullopt;
  }
  return std::string(key.substr(prefix.size()));
}

std::optional<ParsedBlockKey> ParseBlockKey(std::string_view key) {
  if (key.substr(0, 2) != "b/") {
    return std::nullopt;
  }
  ParsedBlockKey parsed;
  for (size_t i = 2; i < key.size(); ++i) {
    if (key[i] != '\0') {
      parsed.id.push_back(key[i]);
    } else if (i + 1 < key.size() && key[i + 1] == static_cast<char>(0xff)) {
      parsed.id.push_back('\0');
      ++i;
    } else if (i + 1 < key.size()) {
      parsed.tag = key[i + 1];
      return parsed;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string PrintableKey(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", byte);
      out.append(buf);
    }
  }
  return out;
}

}  // namespace optimystic::core::repository
