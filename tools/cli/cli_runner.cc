// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_runner.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cli/cli_import.h"
#include "cli/cli_txn.h"

namespace optimystic::tools::cli {

namespace {

using block::Value;
using client::CreateMode;

constexpr const char* kTree = "tree";
constexpr const char* kDiary = "diary";
constexpr const char* kCounter = "counter";

// A tree key as a person reads it: text bare, numbers as numbers.
std::string KeyText(const Value& key) {
  const auto* text = key.get_ptr<const std::string*>();
  return text != nullptr ? *text : JsonText(key);
}

int PrintRevision(const Result<client::ActResult>& result, CliIo& io, bool json) {
  if (!result) return ReportRequestError(result.error(), io);
  if (json) {
    io.out << JsonText(Value{{"revision", result->revision}}) << "\n";
  } else {
    io.out << "ok, revision " << result->revision << "\n";
  }
  return kExitOk;
}

int Act(const CliCommand& cmd, client::Client& client, CliIo& io, const char* type,
        collections::Action action, CreateMode create = CreateMode::kCreateIfAbsent) {
  std::vector<collections::Action> actions;
  actions.push_back(std::move(action));
  return PrintRevision(client.Act(cmd.collection, type, std::move(actions), create), io, cmd.json);
}

int TreeGet(const CliCommand& cmd, client::Client& client, CliIo& io) {
  Result<Value> entry = client.Query(cmd.collection, kTree, "get", Value{{"key", cmd.key}});
  if (!entry) return ReportRequestError(entry.error(), io);
  if (cmd.json) {
    io.out << JsonText(*entry) << "\n";
  } else if (entry->is_null()) {
    io.out << "(no entry for " << KeyText(cmd.key) << ")\n";
  } else {
    io.out << JsonText(*entry) << "\n";
  }
  return kExitOk;
}

int TreeRange(const CliCommand& cmd, client::Client& client, CliIo& io) {
  Value args = Value::object();
  if (cmd.from) args["from"] = *cmd.from;
  if (cmd.to) args["to"] = *cmd.to;
  if (cmd.desc) args["desc"] = true;
  if (cmd.limit) args["limit"] = *cmd.limit;
  Result<Value> entries = client.Query(cmd.collection, kTree, "range", args);
  if (!entries) return ReportRequestError(entries.error(), io);
  if (cmd.json || !entries->is_array()) {
    io.out << JsonText(*entries) << "\n";
    return kExitOk;
  }
  for (const Value& pair : *entries) {
    if (pair.is_array() && pair.size() == 2) {
      io.out << KeyText(pair[0]) << "\t" << JsonText(pair[1]) << "\n";
    } else {
      io.out << JsonText(pair) << "\n";
    }
  }
  return kExitOk;
}

// Prints a query's result as is (JSON), or, for people, `member` of it when it has one.
int PrintQuery(const CliCommand& cmd, client::Client& client, CliIo& io, const char* type,
               const char* query, const char* member) {
  Result<Value> result = client.Query(cmd.collection, type, query, Value::object());
  if (!result) return ReportRequestError(result.error(), io);
  if (!cmd.json && member != nullptr && result->is_object() && result->contains(member)) {
    io.out << JsonText((*result)[member]) << "\n";
  } else {
    io.out << JsonText(*result) << "\n";
  }
  return kExitOk;
}

void PrintEntries(const Value& entries, size_t from, CliIo& io) {
  for (size_t i = from; i < entries.size(); ++i) {
    io.out << JsonText(entries[i]) << "\n";
  }
  io.out.flush();
}

// Waits `ms`, or less when stop is set; false when it was.
bool Pause(int64_t ms, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(20)));
  }
  return false;
}

// Prints the last `limit` entries (or all), then every new one until stop is set.
int DiaryFollow(const CliCommand& cmd, client::Client& client, CliIo& io) {
  const Value all = Value{{"forward", true}};
  Result<Value> entries = client.Query(cmd.collection, kDiary, "read", all);
  if (!entries) return ReportRequestError(entries.error(), io);
  if (!entries->is_array()) {
    io.err << "optimystic: diary read: expected an array of entries, got " << JsonText(*entries)
           << "\n";
    return kExitRefused;
  }
  size_t seen = entries->size();
  const size_t first = cmd.limit && *cmd.limit < seen ? seen - *cmd.limit : 0;
  PrintEntries(*entries, first, io);
  while (Pause(cmd.interval_ms, io.stop)) {
    entries = client.Query(cmd.collection, kDiary, "read", all);
    if (!entries) return ReportRequestError(entries.error(), io);
    if (!entries->is_array()) continue;
    PrintEntries(*entries, seen, io);
    seen = std::max(seen, entries->size());
  }
  return kExitOk;
}

int DiaryRead(const CliCommand& cmd, client::Client& client, CliIo& io) {
  if (cmd.follow) return DiaryFollow(cmd, client, io);
  Value args = Value{{"forward", !cmd.desc}};
  if (cmd.limit) args["limit"] = *cmd.limit;
  Result<Value> entries = client.Query(cmd.collection, kDiary, "read", args);
  if (!entries) return ReportRequestError(entries.error(), io);
  if (cmd.json || !entries->is_array()) {
    io.out << JsonText(*entries) << "\n";
  } else {
    PrintEntries(*entries, 0, io);
  }
  return kExitOk;
}

int Verify(const CliCommand& cmd, client::Client& client, CliIo& io) {
  Result<Value> report = client.Verify(cmd.collection);
  if (!report) return ReportRequestError(report.error(), io);
  const bool broken = report->is_object() && report->contains("ok") &&
                      (*report)["ok"].is_boolean() && !(*report)["ok"].get<bool>();
  if (cmd.json) {
    io.out << JsonText(*report) << "\n";
  } else if (broken) {
    io.out << cmd.collection << ": log BROKEN: " << JsonText(*report) << "\n";
  } else {
    io.out << cmd.collection << ": log verified: " << JsonText(*report) << "\n";
  }
  return broken ? kExitRefused : kExitOk;
}

// Member `key` of `object` as a person reads it: text bare, anything else as JSON, "?" when
// absent. Never throws on a node's unexpected answer.
std::string Shown(const Value& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end()) return "?";
  return it->is_string() ? it->get<std::string>() : JsonText(*it);
}

// The cluster part of `status` for people: one line for the settings, one per member.
void PrintCluster(const Value& cluster, CliIo& io) {
  if (!cluster.is_object()) return;  // a node from before clusters
  auto seeds = cluster.find("seeds");
  const bool no_seeds = seeds == cluster.end() || (seeds->is_array() && seeds->empty());
  io.out << "cluster   replication " << Shown(cluster, "replication") << ", virtual nodes "
         << Shown(cluster, "virtualNodes") << ", seeds "
         << (no_seeds ? std::string("none") : JsonText(*seeds)) << "\n";
  auto members = cluster.find("members");
  if (members == cluster.end() || !members->is_array()) return;
  for (const Value& m : *members) {
    if (!m.is_object()) continue;
    auto ownership = m.find("ownership");
    char share[32];
    std::snprintf(
        share, sizeof(share), "%.1f%%",
        ownership != m.end() && ownership->is_number() ? 100.0 * ownership->get<double>() : 0.0);
    auto self = m.find("self");
    const bool is_self = self != m.end() && self->is_boolean() && self->get<bool>();
    auto url = m.find("url");
    const std::string at = url != m.end() && url->is_string() && !url->get<std::string>().empty()
                               ? "  " + url->get<std::string>()
                               : "";
    const std::string role = m.contains("role") ? "  " + Shown(m, "role") : "";
    io.out << "member    " << Shown(m, "peerId") << "  " << Shown(m, "state") << role << "  "
           << share << " of the ring" << at << (is_self ? "  (this node)" : "") << "\n";
  }
}

// The role the node reports for itself in node.status's cluster ("" when it does not say).
std::string SelfRole(const Value& cluster) {
  if (!cluster.is_object() || !cluster.contains("members")) return "";
  for (const Value& m : cluster["members"]) {
    if (m.is_object() && m.value("self", false) && m.contains("role")) return Shown(m, "role");
  }
  return "";
}

// Asks the node to leave, then waits until it stops answering: it stops once it has handed its
// ranges on (cluster.leave_timeout_ms at most, then it stays, leaving, and says why in its log).
int RunLeave(const CliCommand& cmd, client::Client& client, CliIo& io) {
  Result<std::string> role = client.Leave();
  if (!role) return ReportRequestError(role.error(), io);
  if (!cmd.json) {
    io.out << "node " << client.node_url() << " is " << *role
           << ": handing its ranges on; waiting for it to stop\n";
  }
  for (;;) {
    Result<client::NodeStatus> status = client.Status();
    if (!status && client::IsUnreachable(status.error())) break;
    if (status && SelfRole(status->cluster) == "active") {  // the leave timed out
      io.err << "optimystic: node " << client.node_url()
             << " could not hand its ranges on in time and stays in the cluster (see its log)\n";
      return kExitRefused;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (cmd.json) {
    io.out << JsonText(Value{{"node", client.node_url()}, {"left", true}}) << "\n";
  } else {
    io.out << "node " << client.node_url() << " has left the cluster and stopped\n";
  }
  return kExitOk;
}

int PrintStatus(const CliCommand& cmd, client::Client& client, CliIo& io) {
  Result<client::NodeStatus> status = client.Status();
  if (!status) return ReportRequestError(status.error(), io);
  if (cmd.json) {
    io.out << JsonText(Value{{"node", client.node_url()},
                             {"peerId", status->peer_id},
                             {"nodeVersion", status->node_version},
                             {"protocolVersion", status->protocol_version},
                             {"database", status->database},
                             {"cluster", status->cluster}})
           << "\n";
    return kExitOk;
  }
  io.out << "node      " << client.node_url() << "\n"
         << "peer id   " << status->peer_id << "\n"
         << "version   " << status->node_version << " (protocol " << status->protocol_version
         << ")\n"
         << "database  " << status->database.dump(2, ' ', false, Value::error_handler_t::replace)
         << "\n";
  PrintCluster(status->cluster, io);
  return kExitOk;
}

collections::Action MakeAction(std::string type, Value data) {
  collections::Action action;
  action.type = std::move(type);
  action.data = std::move(data);
  return action;
}

Value Pairs(Value key, std::optional<Value> entry) {
  Value pair = Value::array({std::move(key)});
  if (entry) pair.push_back(std::move(*entry));
  return Value::array({std::move(pair)});
}

}  // namespace

std::string JsonText(const Value& value) noexcept {
  return value.dump(-1, ' ', false, Value::error_handler_t::replace);
}

int ReportRequestError(const Status& error, CliIo& io) noexcept {
  std::string line = error.ToString();
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  io.err << "optimystic: " << line << "\n";
  return client::IsUnreachable(error) ? kExitUnreachable : kExitRefused;
}

int RunCommand(const CliCommand& cmd, client::Client& client, CliIo& io) noexcept {
  switch (cmd.verb) {
    case Verb::kHelp:
      io.out << UsageText();
      return kExitOk;
    case Verb::kTreePut:
      return Act(cmd, client, io, kTree, MakeAction("replace", Pairs(cmd.key, cmd.value)));
    case Verb::kTreeDelete:
      // Deleting from a tree that does not exist is an error, not a new empty tree.
      return Act(cmd, client, io, kTree, MakeAction("replace", Pairs(cmd.key, std::nullopt)),
                 CreateMode::kOpenExisting);
    case Verb::kTreeGet:
      return TreeGet(cmd, client, io);
    case Verb::kTreeRange:
      return TreeRange(cmd, client, io);
    case Verb::kTreeCount:
      return PrintQuery(cmd, client, io, kTree, "count", "count");
    case Verb::kDiaryAppend:
      return Act(cmd, client, io, kDiary, MakeAction("append", cmd.value));
    case Verb::kDiaryRead:
      return DiaryRead(cmd, client, io);
    case Verb::kCounterAdd:
      return Act(cmd, client, io, kCounter, MakeAction("add", Value{{"delta", cmd.delta}}));
    case Verb::kCounterGet:
      return PrintQuery(cmd, client, io, kCounter, "get", "value");
    case Verb::kImport:
      return RunImport(cmd, client, io);
    case Verb::kTxn:
      return RunTxn(cmd, client, io);
    case Verb::kVerify:
      return Verify(cmd, client, io);
    case Verb::kStatus:
      return PrintStatus(cmd, client, io);
    case Verb::kClusterLeave:
      return RunLeave(cmd, client, io);
  }
  return kExitUsage;
}

}  // namespace optimystic::tools::cli
