// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/block.h>

#include <string>

namespace optimystic::block {

namespace {

// The string member `name` of `header`, or InvalidArgument naming the block and member.
Result<std::string> HeaderString(const Value& header, const char* name, bool non_empty,
                                 const std::string& where) {
  auto it = header.find(name);
  if (it == header.end() || !it->is_string()) {
    return Status::InvalidArgument(where + "header." + name + ": expected a string");
  }
  const std::string& text = *it->get_ptr<const std::string*>();
  if (non_empty && text.empty()) {
    return Status::InvalidArgument(where + "header." + name + ": must not be empty");
  }
  return text;
}

}  // namespace

Value MakeBlock(const BlockHeader& header) {
  Value block = Value::object();
  block["header"] =
      Value{{"id", header.id}, {"type", header.type}, {"collectionId", header.collection_id}};
  return block;
}

Result<BlockHeader> HeaderOf(const Value& block) {
  if (!block.is_object()) {
    return Status::InvalidArgument("block: expected an object");
  }
  auto header = block.find("header");
  if (header == block.end() || !header->is_object()) {
    return Status::InvalidArgument("block: header: expected an object");
  }
  // Name the block in later messages once its id is known to be a string.
  std::string where = "block: ";
  auto id_member = header->find("id");
  if (id_member != header->end() && id_member->is_string()) {
    where = "block " + *id_member->get_ptr<const std::string*>() + ": ";
  }
  BlockHeader out;
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.id, HeaderString(*header, "id", true, where));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.type, HeaderString(*header, "type", true, where));
  OPTIMYSTIC_ASSIGN_OR_RETURN(out.collection_id,
                              HeaderString(*header, "collectionId", false, where));
  return out;
}

Status ValidateBlock(const Value& block) { return HeaderOf(block).status(); }

Status BlockTypeRegistry::Register(std::string_view code, std::string_view name) {
  if (code.empty()) {
    return Status::InvalidArgument("block type: code must not be empty");
  }
  auto [it, inserted] = names_.emplace(std::string(code), std::string(name));
  if (!inserted) {
    return Status::InvalidArgument("block type " + std::string(code) + ": already registered");
  }
  return Status::Ok();
}

bool BlockTypeRegistry::Contains(std::string_view code) const {
  return names_.find(code) != names_.end();
}

Result<std::string> BlockTypeRegistry::NameOf(std::string_view code) const {
  auto it = names_.find(code);
  if (it == names_.end()) {
    return Status::NotFound("block type " + std::string(code) + ": not registered");
  }
  return it->second;
}

}  // namespace optimystic::block
