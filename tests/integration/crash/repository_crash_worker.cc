// SPDX-License-Identifier: Apache-2.0
// repository_crash_worker <file|rocksdb> <dir>: opens the engine with sync on, continues after
// the last committed transaction (the counter block's value), and commits transactions
// (crash_txn.h) forever, printing "ready <n>" once and "ack <n>" after each commit returns, each
// line flushed. Exits 1 with a message on stderr when anything fails.
#include <optimystic/logging/logger.h>

#include "core/repository/repository.h"
#include "crash_txn.h"

#include <cinttypes>
#include <cstdio>
#include <string>

namespace optimystic::test::crash {
namespace {

class StderrLogger final : public logging::Logger {
 public:
  void Log(logging::LogLevel level, std::string_view message) noexcept override {
    std::fprintf(stderr, "%s: %.*s\n", std::string(logging::LogLevelName(level)).c_str(),
                 static_cast<int>(message.size()), message.data());
  }
  bool Enabled(logging::LogLevel level) const noexcept override {
    return level >= logging::LogLevel::kWarn;
  }
};

// The n of the next transaction: one past the counter's value.
Result<uint64_t> NextTxn(core::repository::Repository& repo) {
  transactor::BlockGets gets;
  gets.block_ids = {std::string(kCounter)};
  OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::GetBlockResults results, repo.Get(gets));
  const auto& counter = results.at(std::string(kCounter));
  if (!counter.block) {
    return uint64_t{1};
  }
  auto v = counter.block->find("v");
  if (v == counter.block->end() || !v->is_number_unsigned()) {
    return Status::Corruption("counter block has no unsigned v");
  }
  return *v->get_ptr<const block::Value::number_unsigned_t*>() + 1;
}

Status RunTxn(core::repository::Repository& repo, uint64_t n) {
  transactor::PendRequest pend;
  pend.action_id = ActionFor(n);
  pend.rev = n;
  pend.transforms = TxnTransforms(n);
  OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::PendResult pended, repo.Pend(pend));
  if (const auto* f = transactor::FailureOf(pended)) {
    return Status::Aborted("pend " + pend.action_id + " refused: " + f->reason.value_or("stale"));
  }
  transactor::CommitRequest commit;
  commit.action_id = pend.action_id;
  commit.rev = n;
  commit.block_ids = std::get<transactor::PendSuccess>(pended).block_ids;
  commit.tail_id = std::string(kCounter);
  OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::CommitResult committed, repo.Commit(commit));
  if (const auto* f = transactor::FailureOf(committed)) {
    return Status::Aborted("commit " + commit.action_id +
                           " refused: " + f->reason.value_or("stale"));
  }
  return Status::Ok();
}

int Main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <file|rocksdb> <dir>\n", argv[0]);
    return 2;
  }
  StderrLogger logger;
  auto engine = OpenEngine(argv[1], argv[2], logger);
  if (!engine) {
    std::fprintf(stderr, "open: %s\n", engine.error().ToString().c_str());
    return 1;
  }
  core::repository::Repository repo(**engine);  // sync on: acked means durable
  Result<uint64_t> next = NextTxn(repo);
  if (!next) {
    std::fprintf(stderr, "read counter: %s\n", next.error().ToString().c_str());
    return 1;
  }
  std::printf("ready %" PRIu64 "\n", *next);
  std::fflush(stdout);
  for (uint64_t n = *next;; ++n) {
    Status status = RunTxn(repo, n);
    if (!status.ok()) {
      std::fprintf(stderr, "txn %" PRIu64 ": %s\n", n, status.ToString().c_str());
      return 1;
    }
    std::printf("ack %" PRIu64 "\n", n);
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace optimystic::test::crash

int main(int argc, char** argv) { return optimystic::test::crash::Main(argc, argv); }
