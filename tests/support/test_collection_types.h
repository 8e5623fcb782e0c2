// SPDX-License-Identifier: Apache-2.0
// Small CollectionTypes and ConflictResolvers for engine tests (the real tree/diary/counter
// types are plugins):
//  - KeyValueType "kv" (header "TKV" with dataId -> one "KVD" block {values: {key: value}}):
//    action "set" {key, value} writes one key; "add" {key, delta} adds to a number; "fail"
//    {key} writes the key and then fails (to prove a failing action leaves nothing behind).
//    Two actions overlap when they name the same key. Queries "get" {key} and "all".
//  - AppendType "append" (header "TAP", no data blocks): action "append" does nothing to blocks
//    (entries live in the log); appends never overlap. Query "entries" {forward?, limit?}.
//  - FixedResolver: answers every conflict with one fixed Resolution and counts its calls.
// Thread-safety: the types are immutable; FixedResolver's counter is atomic.
// Errors: InvalidArgument "unknown action type <t>" and for malformed data.
#pragma once

#include <optimystic/block/block_store.h>
#include <optimystic/block/operation.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/conflict/conflict_resolver.h>

#include <atomic>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace optimystic::test {

class KeyValueType final : public collections::CollectionType {
 public:
  std::string_view name() const noexcept override { return "kv"; }
  std::string_view header_block_type() const noexcept override { return "TKV"; }
  std::string_view default_resolver() const noexcept override { return "replay"; }

  Result<block::Value> CreateHeaderBlock(const block::BlockId& id,
                                         block::BlockStore& store) const noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader data_header,
                                store.CreateBlockHeader("KVD", std::nullopt));
    block::Value data = block::MakeBlock(data_header);
    data["values"] = block::Value::object();
    OPTIMYSTIC_RETURN_IF_ERROR(store.Insert(data));
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header, store.CreateBlockHeader("TKV", id));
    block::Value block = block::MakeBlock(header);
    block["dataId"] = data_header.id;
    return block;
  }

  Status ValidateAction(const collections::Action& action) const noexcept override {
    if (action.type != "set" && action.type != "add" && action.type != "fail") {
      return Status::InvalidArgument("unknown action type " + action.type);
    }
    if (!action.data.is_object() || !action.data.contains("key") ||
        !action.data["key"].is_string()) {
      return Status::InvalidArgument("kv " + action.type + ": data.key must be a string");
    }
    if (action.type == "add" &&
        !(action.data.contains("delta") && action.data["delta"].is_number_integer())) {
      return Status::InvalidArgument("kv add: data.delta must be an integer");
    }
    return Status::Ok();
  }

  Status ApplyAction(const collections::Action& action, const block::BlockId& id,
                     block::BlockStore& store) const noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value header, block::GetBlock(store, id));
    const std::string data_id = header["dataId"].get<std::string>();
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value data, block::GetBlock(store, data_id));
    block::Value values = data["values"];
    const std::string key = action.data["key"].get<std::string>();
    if (action.type == "add") {
      const int64_t old =
          values.contains(key) && values[key].is_number_integer() ? values[key].get<int64_t>() : 0;
      values[key] = old + action.data["delta"].get<int64_t>();
    } else {
      values[key] = action.data.contains("value") ? action.data["value"] : block::Value();
    }
    OPTIMYSTIC_RETURN_IF_ERROR(
        block::ApplyAndRecord(store, data, block::BlockOperation::Assign("values", values)));
    if (action.type == "fail") {
      return Status::InvalidArgument("kv fail: failed after writing " + key);
    }
    return Status::Ok();
  }

  bool Overlaps(const collections::Action& local,
                const collections::Action& remote) const noexcept override {
    return local.data.is_object() && remote.data.is_object() && local.data.contains("key") &&
           remote.data.contains("key") && local.data["key"] == remote.data["key"];
  }

  std::vector<std::string> query_names() const override { return {"get", "all"}; }

  Result<block::Value> Query(std::string_view name, const block::Value& args,
                             collections::CollectionReader& reader) const noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::Value header,
                                block::GetBlock(reader.blocks(), reader.collection_id()));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        block::Value data, block::GetBlock(reader.blocks(), header["dataId"].get<std::string>()));
    if (name == "all") {
      return data["values"];
    }
    if (name == "get") {
      if (!args.is_object() || !args.contains("key") || !args["key"].is_string()) {
        return Status::InvalidArgument("kv get: args.key must be a string");
      }
      const std::string key = args["key"].get<std::string>();
      return data["values"].contains(key) ? data["values"][key] : block::Value();
    }
    return Status::NotFound("kv: no query " + std::string(name));
  }
};

class AppendType final : public collections::CollectionType {
 public:
  std::string_view name() const noexcept override { return "append"; }
  std::string_view header_block_type() const noexcept override { return "TAP"; }
  std::string_view default_resolver() const noexcept override { return "replay"; }

  Result<block::Value> CreateHeaderBlock(const block::BlockId& id,
                                         block::BlockStore& store) const noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(block::BlockHeader header, store.CreateBlockHeader("TAP", id));
    return block::MakeBlock(header);
  }
  Status ValidateAction(const collections::Action& action) const noexcept override {
    if (action.type != "append") {
      return Status::InvalidArgument("unknown action type " + action.type);
    }
    return Status::Ok();
  }
  Status ApplyAction(const collections::Action&, const block::BlockId&,
                     block::BlockStore&) const noexcept override {
    return Status::Ok();  // entries live in the log only
  }
  bool Overlaps(const collections::Action&, const collections::Action&) const noexcept override {
    return false;
  }
  std::vector<std::string> query_names() const override { return {"entries"}; }
  Result<block::Value> Query(std::string_view name, const block::Value& args,
                             collections::CollectionReader& reader) const noexcept override {
    if (name != "entries") {
      return Status::NotFound("append: no query " + std::string(name));
    }
    const bool forward = !(args.is_object() && args.contains("forward") &&
                           args["forward"].is_boolean() && !args["forward"].get<bool>());
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::vector<collections::Action> actions,
                                reader.SelectLog(forward, 0));
    block::Value out = block::Value::array();
    for (const collections::Action& action : actions) {
      out.push_back(action.data);
    }
    return out;
  }
};

class FixedResolver final : public conflict::ConflictResolver {
 public:
  FixedResolver(std::string name, conflict::Resolution resolution)
      : name_(std::move(name)), resolution_(std::move(resolution)) {}

  std::string_view name() const noexcept override { return name_; }
  conflict::Resolution Resolve(
      const collections::Action& local,
      const std::vector<collections::Action>& remote) const noexcept override {
    ++calls_;
    return resolution_;
  }
  int calls() const { return calls_.load(); }

 private:
  std::string name_;
  conflict::Resolution resolution_;
  mutable std::atomic<int> calls_{0};
};

}  // namespace optimystic::test
