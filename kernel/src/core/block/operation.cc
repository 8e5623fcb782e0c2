// SPDX-License-Identifier: Apache-2.0
#include <optimystic/block/operation.h>

#include <algorithm>
#include <utility>

namespace optimystic::block {

namespace {

// JS Array.prototype.splice on `array` (REQUIRES: array.is_array(), inserted.is_array()):
// index clamps to the size, delete_count to what follows index.
void Splice(Value& array, uint64_t index, uint64_t delete_count, const Value& inserted) {
  auto& elements = *array.get_ptr<Value::array_t*>();
  const uint64_t size = elements.size();
  const uint64_t start = std::min(index, size);
  const uint64_t removed = std::min(delete_count, size - start);
  auto first = elements.begin() + static_cast<std::ptrdiff_t>(start);
  first = elements.erase(first, first + static_cast<std::ptrdiff_t>(removed));
  const auto& added = *inserted.get_ptr<const Value::array_t*>();
  elements.insert(first, added.begin(), added.end());
}

}  // namespace

BlockOperation BlockOperation::Assign(std::string entity, Value value) {
  return BlockOperation{std::move(entity), 0, 0, std::move(value)};
}

BlockOperation BlockOperation::Clear(std::string entity) {
  return BlockOperation{std::move(entity), 0, 0, std::nullopt};
}

BlockOperation BlockOperation::Splice(std::string entity, uint64_t index, uint64_t delete_count,
                                      Value inserted) {
  return BlockOperation{std::move(entity), index, delete_count, std::move(inserted)};
}

Status ApplyOperation(Value& block, const BlockOperation& op) {
  if (!block.is_object()) {
    return Status::InvalidArgument("operation on " + op.entity + ": block is not an object");
  }
  auto& members = *block.get_ptr<Value::object_t*>();
  if (!op.inserted.has_value()) {
    members.erase(op.entity);
    return Status::Ok();
  }
  if (!op.inserted->is_array()) {
    members[op.entity] = *op.inserted;
    return Status::Ok();
  }
  auto it = members.find(op.entity);
  if (it == members.end()) {
    return Status::InvalidArgument("splice " + op.entity + ": member is missing");
  }
  if (!it->second.is_array()) {
    return Status::InvalidArgument("splice " + op.entity + ": member is not an array");
  }
  Splice(it->second, op.index, op.delete_count, *op.inserted);
  return Status::Ok();
}

Status ApplyOperations(Value& block, const BlockOperations& ops) {
  for (const BlockOperation& op : ops) {
    OPTIMYSTIC_RETURN_IF_ERROR(ApplyOperation(block, op));
  }
  return Status::Ok();
}

Result<Value> WithOperation(const Value& block, const BlockOperation& op) {
  Value copy = block;
  OPTIMYSTIC_RETURN_IF_ERROR(ApplyOperation(copy, op));
  return copy;
}

}  // namespace optimystic::block
