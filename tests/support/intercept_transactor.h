// SPDX-License-Identifier: Apache-2.0
// InterceptTransactor: a Transactor decorator for engine tests. It forwards to a base
// transactor and lets a test see and bend what passes: every request is recorded, `on_get` may
// rewrite a get's results (make a block unavailable, possibly stale, or vanish), `fail_pends`
// refuses that many next pends with a stale failure of the test's choosing, `before_pend`
// runs just before a pend is forwarded (to let a rival writer commit in between), and
// `after_commit` sees each commit's outcome.
// Thread-safety: the hooks and counters are guarded by one mutex; the hooks run outside it.
// Errors: the base's, plus whatever the hooks return.
#pragma once

#include <optimystic/transactor/transactor.h>

#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace optimystic::test {

class InterceptTransactor final : public transactor::Transactor {
 public:
  explicit InterceptTransactor(transactor::Transactor& base) : base_(base) {}

  std::function<void(const transactor::BlockGets&, transactor::GetBlockResults&)> on_get;
  std::function<void(const transactor::PendRequest&)> before_pend;
  std::function<void(const transactor::CommitRequest&, const Result<transactor::CommitResult>&)>
      after_commit;

  // Refuses the next `count` pends with `failure` (without forwarding them).
  void FailPends(int count, transactor::StaleFailure failure) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_pends_ = count;
    failure_ = std::move(failure);
  }

  Result<transactor::GetBlockResults> Get(const transactor::BlockGets& gets) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      gets_.push_back(gets);
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(transactor::GetBlockResults results, base_.Get(gets));
    if (on_get) {
      on_get(gets, results);
    }
    return results;
  }
  Result<std::vector<transactor::BlockActionStatus>> GetStatus(
      const std::vector<transactor::ActionBlocks>& actions) override {
    return base_.GetStatus(actions);
  }
  Result<transactor::PendResult> Pend(const transactor::PendRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pends_.push_back(request);
      if (fail_pends_ > 0) {
        --fail_pends_;
        return transactor::PendResult(failure_);
      }
    }
    if (before_pend) {
      before_pend(request);
    }
    return base_.Pend(request);
  }
  Result<transactor::CommitResult> Commit(const transactor::CommitRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      commits_.push_back(request);
    }
    Result<transactor::CommitResult> result = base_.Commit(request);
    if (after_commit) {
      after_commit(request, result);
    }
    return result;
  }
  Status Cancel(const transactor::ActionBlocks& actions) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancels_.push_back(actions);
    }
    return base_.Cancel(actions);
  }

  std::vector<transactor::BlockGets> gets() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return gets_;
  }
  std::vector<transactor::PendRequest> pends() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pends_;
  }
  std::vector<transactor::CommitRequest> commits() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commits_;
  }
  std::vector<transactor::ActionBlocks> cancels() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cancels_;
  }

 private:
  transactor::Transactor& base_;
  mutable std::mutex mutex_;
  int fail_pends_ = 0;
  transactor::StaleFailure failure_;
  std::vector<transactor::BlockGets> gets_;
  std::vector<transactor::PendRequest> pends_;
  std::vector<transactor::CommitRequest> commits_;
  std::vector<transactor::ActionBlocks> cancels_;
};

}  // namespace optimystic::test
