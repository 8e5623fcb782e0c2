// SPDX-License-Identifier: Apache-2.0
#include "cli/cli_import.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/cli_input.h"

namespace optimystic::tools::cli {

namespace {

using block::Value;
using Clock = std::chrono::steady_clock;

// Every non-blank line of `path` as [key, entry] pairs, or the first problem, named by file,
// line and position.
Result<std::vector<Value>> ReadEntries(const CliCommand& cmd) {
  std::ifstream in(cmd.file, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("import: cannot open " + cmd.file);
  }
  std::vector<Value> pairs;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = cmd.file + ":" + std::to_string(number);
    OPTIMYSTIC_ASSIGN_OR_RETURN(Value entry, ParseJsonArgument(line, where));
    if (!entry.is_object()) {
      return Status::InvalidArgument(where + ": expected a JSON object, found " +
                                     std::string(entry.type_name()));
    }
    auto key = entry.find(cmd.key_field);
    if (key == entry.end()) {
      return Status::InvalidArgument(where + ": no key field '" + cmd.key_field + "'");
    }
    if (!key->is_string() && !key->is_number()) {
      return Status::InvalidArgument(where + ": key field '" + cmd.key_field + "' is a " +
                                     std::string(key->type_name()) +
                                     ", expected a string or a number");
    }
    Value k =
        cmd.key_mode == KeyMode::kAlwaysText && key->is_number() ? Value(JsonText(*key)) : *key;
    pairs.push_back(Value::array({std::move(k), std::move(entry)}));
  }
  if (in.bad()) {
    return Status::InvalidArgument("import: cannot read " + cmd.file);
  }
  return pairs;
}

class Progress {
 public:
  Progress(CliIo& io, size_t total) : io_(io), total_(total), started_(Clock::now()) {}

  void Update(size_t done) {
    if (io_.err_is_tty) {
      constexpr int kWidth = 30;
      const int filled = total_ == 0 ? kWidth : static_cast<int>(done * kWidth / total_);
      io_.err << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
              << Percent(done) << "% " << done << "/" << total_ << " " << Rate(done)
              << " entries/s " << std::flush;
      return;
    }
    // Without a terminal, one line at every tenth of the file.
    const size_t tenth = total_ == 0 ? 10 : done * 10 / total_;
    if (tenth > last_tenth_) {
      last_tenth_ = tenth;
      io_.err << "imported " << done << "/" << total_ << " (" << Percent(done) << "%)\n"
              << std::flush;
    }
  }
  void Finish() {
    if (io_.err_is_tty) io_.err << "\n";
  }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }
  long Rate(size_t done) const {
    const double s = Seconds();
    return s > 0 ? static_cast<long>(static_cast<double>(done) / s) : 0;
  }

 private:
  size_t Percent(size_t done) const { return total_ == 0 ? 100 : done * 100 / total_; }

  CliIo& io_;
  size_t total_;
  Clock::time_point started_;
  size_t last_tenth_ = 0;
};

}  // namespace

int RunImport(const CliCommand& cmd, client::Client& client, CliIo& io) noexcept {
  Result<std::vector<Value>> pairs = ReadEntries(cmd);
  if (!pairs) {
    io.err << "optimystic: " << pairs.error().message() << "\n";
    return kExitUsage;
  }
  Progress progress(io, pairs->size());
  size_t done = 0;
  uint64_t revision = 0;
  while (done < pairs->size()) {
    const size_t end = std::min(pairs->size(), done + static_cast<size_t>(cmd.batch));
    Value batch = Value::array();
    for (size_t i = done; i < end; ++i) batch.push_back(std::move((*pairs)[i]));
    std::vector<collections::Action> actions;
    actions.emplace_back();
    actions.back().type = "replace";
    actions.back().data = std::move(batch);
    Result<client::ActResult> result =
        client.Act(cmd.collection, "tree", std::move(actions), client::CreateMode::kCreateIfAbsent);
    if (!result) {
      progress.Finish();
      io.err << "optimystic: import stopped after " << done << " of " << pairs->size()
             << " entries\n";
      return ReportRequestError(result.error(), io);
    }
    revision = result->revision;
    done = end;
    progress.Update(done);
  }
  progress.Finish();
  const double seconds = progress.Seconds();
  if (cmd.json) {
    io.out << JsonText(Value{{"collection", cmd.collection},
                             {"entries", done},
                             {"seconds", seconds},
                             {"entriesPerSecond", progress.Rate(done)},
                             {"revision", revision}})
           << "\n";
  } else {
    char secs[32];
    std::snprintf(secs, sizeof(secs), "%.2f", seconds);
    io.out << "imported " << done << " entries into " << cmd.collection << " in " << secs << " s ("
           << progress.Rate(done) << " entries/s), revision " << revision << "\n";
  }
  return kExitOk;
}

}  // namespace optimystic::tools::cli
