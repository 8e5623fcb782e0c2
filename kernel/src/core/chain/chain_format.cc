// SPDX-License-Identifier: Apache-2.0
#include <optimystic/chain/chain_format.h>

#include <string>

namespace optimystic::chain {

namespace {

using block::BlockId;
using block::Value;

// "block <id>: " when `block` has a readable id, else "block: ".
std::string Where(const Value& block) {
  Result<block::BlockHeader> header = block::HeaderOf(block);
  return header.has_value() ? "block " + header->id + ": " : std::string("block: ");
}

// OK when `member` of `block` is absent, null, or a non-empty string.
Status CheckOptionalId(const Value& block, std::string_view member) {
  auto it = block.find(member);
  if (it == block.end() || it->is_null()) {
    return Status::Ok();
  }
  const std::string* text = it->get_ptr<const std::string*>();
  if (text == nullptr || text->empty()) {
    return Status::Corruption(Where(block) + std::string(member) + ": expected a block id");
  }
  return Status::Ok();
}

// True when `value` is a string, non-empty when `non_empty`.
bool IsText(const Value& value, bool non_empty) {
  const std::string* text = value.get_ptr<const std::string*>();
  return text != nullptr && (!non_empty || !text->empty());
}

// True when `header` is a well-formed block header (block::HeaderOf's rules), in one pass and
// without building strings: chains validate every block they read.
bool IsHeader(const Value& header) {
  const Value::object_t* members = header.get_ptr<const Value::object_t*>();
  if (members == nullptr) {
    return false;
  }
  int found = 0;
  for (const auto& [key, value] : *members) {
    if (key == "id" || key == "type") {
      found += IsText(value, true) ? 1 : -8;
    } else if (key == "collectionId") {
      found += IsText(value, false) ? 1 : -8;
    }
  }
  return found == 3;
}

// True when `value` is null or a non-empty string.
bool IsOptionalId(const Value& value) { return value.is_null() || IsText(value, true); }

// The Corruption form of block::ValidateBlock's complaint about `block`.
Status HeaderError(const Value& block, std::string_view what) {
  Status invalid = block::ValidateBlock(block);
  if (invalid.ok()) {
    return invalid;
  }
  return Status::Corruption(std::string(what) + std::string(invalid.message()));
}

// The slow path of ValidateDataBlock, run only on a block that failed the fast one: names the
// first problem.
Status DataBlockError(const Value& block) {
  OPTIMYSTIC_RETURN_IF_ERROR(HeaderError(block, "chain data "));
  auto entries = block.find(kEntriesMember);
  if (entries == block.end() || !entries->is_array()) {
    return Status::Corruption(Where(block) + std::string(kEntriesMember) + ": expected an array");
  }
  OPTIMYSTIC_RETURN_IF_ERROR(CheckOptionalId(block, kPriorIdMember));
  return CheckOptionalId(block, kNextIdMember);
}

}  // namespace

Status ValidateDataBlock(const Value& block) {
  const Value::object_t* members = block.get_ptr<const Value::object_t*>();
  bool header = false;
  bool entries = false;
  bool links = true;
  if (members != nullptr) {
    for (const auto& [key, value] : *members) {
      if (key == "header") {
        header = IsHeader(value);
      } else if (key == kEntriesMember) {
        entries = value.is_array();
      } else if (key == kPriorIdMember || key == kNextIdMember) {
        links = links && IsOptionalId(value);
      }
    }
  }
  return header && entries && links ? Status::Ok() : DataBlockError(block);
}

Result<std::optional<ChainEnds>> EndsOf(const Value& header) {
  const Value::object_t* members = header.get_ptr<const Value::object_t*>();
  const Value* head = nullptr;
  const Value* tail = nullptr;
  bool valid_header = false;
  if (members != nullptr) {
    for (const auto& [key, value] : *members) {
      if (key == "header") {
        valid_header = IsHeader(value);
      } else if (key == kHeadIdMember) {
        head = &value;
      } else if (key == kTailIdMember) {
        tail = &value;
      }
    }
  }
  if (!valid_header) {
    return HeaderError(header, "chain header ");
  }
  if ((head != nullptr && !IsOptionalId(*head)) || (tail != nullptr && !IsOptionalId(*tail))) {
    OPTIMYSTIC_RETURN_IF_ERROR(CheckOptionalId(header, kHeadIdMember));
    return CheckOptionalId(header, kTailIdMember);
  }
  if (head == nullptr || head->is_null() || tail == nullptr || tail->is_null()) {
    return std::optional<ChainEnds>();
  }
  return std::optional<ChainEnds>(
      ChainEnds{*head->get_ptr<const std::string*>(), *tail->get_ptr<const std::string*>()});
}

const Value& EntriesOf(const Value& data_block) { return *data_block.find(kEntriesMember); }

std::optional<BlockId> LinkOf(const Value& data_block, std::string_view member) {
  auto it = data_block.find(member);
  if (it == data_block.end() || !it->is_string()) {
    return std::nullopt;
  }
  return *it->get_ptr<const std::string*>();
}

const BlockId& IdOf(const Value& block) {
  return *block.find("header")->find("id")->get_ptr<const std::string*>();
}

Value LinkFreePayload(const Value& data_block) {
  Value payload = data_block;
  if (payload.is_object()) {
    payload.erase(std::string(kPriorIdMember));
    payload.erase(std::string(kNextIdMember));
  }
  return payload;
}

}  // namespace optimystic::chain
