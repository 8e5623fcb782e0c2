// SPDX-License-Identifier: Apache-2.0
#include "faults/history.h"

#include <array>
#include <map>
#include <utility>

namespace optimystic::faults {

namespace {

using block::Value;

constexpr std::array<std::pair<EventType, std::string_view>, 4> kTypeNames = {{
    {EventType::kInvoke, "invoke"},
    {EventType::kOk, "ok"},
    {EventType::kFail, "fail"},
    {EventType::kInfo, "info"},
}};

std::optional<EventType> ParseType(std::string_view name) {
  for (const auto& [type, text] : kTypeNames) {
    if (text == name) return type;
  }
  return std::nullopt;
}

// The text member `key` of `object`, or an error naming it.
Result<std::string> TextMember(const Value& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return Status::InvalidArgument(where + ": member '" + key + "' must be text");
  }
  return it->get<std::string>();
}

Result<Event> EventFrom(const Value& v, const std::string& where) {
  if (!v.is_object()) {
    return Status::InvalidArgument(where + ": expected a JSON object");
  }
  Event event;
  auto process = v.find("process");
  if (process == v.end() || !process->is_number_unsigned()) {
    return Status::InvalidArgument(where + ": member 'process' must be an unsigned integer");
  }
  event.process = process->get<uint64_t>();
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::string type, TextMember(v, "type", where));
  std::optional<EventType> parsed = ParseType(type);
  if (!parsed) {
    return Status::InvalidArgument(where + ": member 'type': '" + type +
                                   "' is not invoke, ok, fail or info");
  }
  event.type = *parsed;
  OPTIMYSTIC_ASSIGN_OR_RETURN(event.workload, TextMember(v, "workload", where));
  OPTIMYSTIC_ASSIGN_OR_RETURN(event.f, TextMember(v, "f", where));
  OPTIMYSTIC_ASSIGN_OR_RETURN(event.key, TextMember(v, "key", where));
  if (auto value = v.find("value"); value != v.end()) {
    event.value = *value;
  }
  auto time = v.find("timeNs");
  if (time == v.end() || !time->is_number_integer()) {
    return Status::InvalidArgument(where + ": member 'timeNs' must be an integer");
  }
  event.time_ns = time->get<int64_t>();
  return event;
}

}  // namespace

std::string_view EventTypeName(EventType type) noexcept {
  for (const auto& [t, text] : kTypeNames) {
    if (t == type) return text;
  }
  return "?";
}

std::string EventToLine(const Event& event) {
  Value v = Value::object({{"process", event.process},
                           {"type", std::string(EventTypeName(event.type))},
                           {"workload", event.workload},
                           {"f", event.f},
                           {"key", event.key},
                           {"value", event.value},
                           {"timeNs", event.time_ns}});
  return v.dump();
}

Result<std::vector<Event>> ParseHistory(std::string_view text, std::string_view source) {
  std::vector<Event> events;
  size_t line_number = 0;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_number);
    Value v = Value::parse(line, nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded()) {
      return Status::InvalidArgument(where + ": not a JSON object");
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(Event event, EventFrom(v, where));
    events.push_back(std::move(event));
  }
  return events;
}

Result<std::vector<Operation>> PairOperations(const std::vector<Event>& events) {
  std::vector<Operation> operations;
  // process -> (its operation waiting for a completion, the invoke's event index)
  std::map<uint64_t, std::pair<size_t, size_t>> open;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const std::string where = "event " + std::to_string(i + 1) + " (process " +
                              std::to_string(e.process) + ")";
    auto it = open.find(e.process);
    if (e.type == EventType::kInvoke) {
      if (it != open.end()) {
        return Status::InvalidArgument(where + ": invoke while its operation of event " +
                                       std::to_string(it->second.second + 1) + " is still open");
      }
      Operation op;
      op.process = e.process;
      op.workload = e.workload;
      op.f = e.f;
      op.key = e.key;
      op.argument = e.value;
      op.invoke_ns = e.time_ns;
      open.emplace(e.process, std::make_pair(operations.size(), i));
      operations.push_back(std::move(op));
      continue;
    }
    if (it == open.end()) {
      return Status::InvalidArgument(where + ": " + std::string(EventTypeName(e.type)) +
                                     " without an invoke");
    }
    Operation& op = operations[it->second.first];
    open.erase(it);
    if (e.f != op.f || e.key != op.key || e.workload != op.workload) {
      return Status::InvalidArgument(where + ": completes " + e.workload + " " + e.f + " " +
                                     e.key + " but its process invoked " + op.workload + " " +
                                     op.f + " " + op.key);
    }
    switch (e.type) {
      case EventType::kOk:
        op.outcome = Operation::Outcome::kOk;
        op.result = e.value;
        op.complete_ns = e.time_ns;
        break;
      case EventType::kFail:
        op.outcome = Operation::Outcome::kFail;
        op.complete_ns = e.time_ns;
        break;
      default:
        op.outcome = Operation::Outcome::kInfo;  // may have taken effect at any time after
        break;
    }
  }
  return operations;
}

Result<std::unique_ptr<HistoryWriter>> HistoryWriter::Open(const std::string& path) {
  std::ofstream out(path, std::ios::out | std::ios::trunc);
  if (!out) {
    return Status::Unavailable("cannot open history file " + path + " for writing");
  }
  return std::unique_ptr<HistoryWriter>(new HistoryWriter(std::move(out)));
}

Status HistoryWriter::Write(const Event& event) {
  std::lock_guard lock(mu_);
  out_ << EventToLine(event) << '\n';
  out_.flush();
  if (!out_) {
    return Status::IOError("cannot write the history file");
  }
  return Status::Ok();
}

}  // namespace optimystic::faults
