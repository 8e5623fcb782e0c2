// SPDX-License-Identifier: Apache-2.0
#include <optimystic/client/client.h>
#include <optimystic/transport/transport_metrics.h>

#include "server/request_router.h"
#include "support/fake_database.h"
#include "support/test_host.h"
#include "transport/tcp/tcp_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace optimystic::client {
namespace {

using block::Value;
using collections::Action;

Action Make(std::string type, Value data) {
  Action action;
  action.type = std::move(type);
  action.data = std::move(data);
  return action;
}

std::unique_ptr<transport::Transport> NewTcpTransport(test::TestHost& host) {
  Result<transport::TransportMetrics> metrics =
      transport::TransportMetrics::Create(host.metrics(), "tcp");
  EXPECT_TRUE(metrics.has_value());
  auto transport = plugins::transport_tcp::TcpTransport::Create(
      plugins::transport_tcp::TcpTransportOptions{}, host, *metrics);
  EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
  return std::move(transport).value();
}

// Holds every request without answering until Release, so that a client's deadline passes.
class SilentHandler final : public transport::RequestHandler {
 public:
  void OnRequest(std::string_view, transport::Responder& responder) noexcept override {
    std::lock_guard lock(mu_);
    held_.push_back(&responder);
  }
  void Release() {
    std::lock_guard lock(mu_);
    for (transport::Responder* r : held_) r->Fail(Status::Unavailable("released"));
    held_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<transport::Responder*> held_;
};

// Answers every request with the same bytes.
class FixedReplyHandler final : public transport::RequestHandler {
 public:
  explicit FixedReplyHandler(std::string reply) : reply_(std::move(reply)) {}
  void OnRequest(std::string_view, transport::Responder& responder) noexcept override {
    responder.Reply(reply_);
  }

 private:
  std::string reply_;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = NewTcpTransport(host_);
    client_transport_ = NewTcpTransport(host_);
    auto router = server::RequestRouter::Create("peer-n", "0.1.0", host_.clock(), &database_);
    ASSERT_TRUE(router.has_value());
    router_ = std::move(*router);
    Result<std::string> url = server_->Listen("tcp://127.0.0.1:0", *router_);
    ASSERT_TRUE(url.has_value()) << url.status().ToString();
    url_ = *url;
  }
  void TearDown() override {
    EXPECT_TRUE(client_transport_->Close().ok());
    EXPECT_TRUE(server_->Close().ok());
  }

  ClientOptions Options(int64_t timeout_ms = 5000) {
    ClientOptions options;
    options.request_timeout_ms = timeout_ms;
    options.clock = &host_.clock();  // the transports read deadlines on the same clock
    return options;
  }
  Client MakeClient(const std::string& url, int64_t timeout_ms = 5000) {
    return Client(*client_transport_, url, Options(timeout_ms));
  }

  static std::vector<Action> Put(Value key, Value entry) {
    return {Make("replace", Value::array({Value::array({std::move(key), std::move(entry)})}))};
  }

  test::TestHost host_;
  test::FakeDatabase database_;
  std::unique_ptr<transport::Transport> server_;
  std::unique_ptr<transport::Transport> client_transport_;
  std::unique_ptr<server::RequestRouter> router_;
  std::string url_;
};

TEST_F(ClientTest, ActsQueriesVerifiesAndAsksStatusOverTcp) {
  Client client = MakeClient(url_);
  Result<ActResult> put =
      client.Act("users", "tree", Put("alice", {{"age", 7}}), CreateMode::kCreateIfAbsent);
  ASSERT_TRUE(put.has_value()) << put.status().ToString();
  EXPECT_EQ(put->revision, 1u);
  put = client.Act("users", "tree", Put(42, "answer"), CreateMode::kOpenExisting);
  ASSERT_TRUE(put.has_value()) << put.status().ToString();
  EXPECT_EQ(put->revision, 2u);

  Result<Value> got = client.Query("users", "tree", "get", {{"key", "alice"}});
  ASSERT_TRUE(got.has_value()) << got.status().ToString();
  EXPECT_EQ(*got, Value::parse(R"({"age":7})"));
  Result<Value> range = client.Query("users", "tree", "range", {{"desc", true}});
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(*range, Value::parse(R"([["alice",{"age":7}],[42,"answer"]])"));

  Result<Value> report = client.Verify("users");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(*report, Value::parse(R"({"ok":true,"revision":2})"));

  Result<NodeStatus> status = client.Status();
  ASSERT_TRUE(status.has_value()) << status.status().ToString();
  EXPECT_EQ(status->peer_id, "peer-n");
  EXPECT_EQ(status->node_version, "0.1.0");
  EXPECT_EQ(status->protocol_version, 1u);
  EXPECT_EQ(status->database["collections"]["users"]["revision"], 2);
  EXPECT_EQ(client.node_url(), url_);
}

TEST_F(ClientTest, TransactsAndReportsAPartialLanding) {
  Client client = MakeClient(url_);
  ASSERT_TRUE(client.Act("users", "tree", Put("alice", 1), CreateMode::kCreateIfAbsent));
  Result<TransactResult> txn = client.Transact(
      {R"({"collectionId":"users","actions":[{"type":"replace","data":[["bob",2]]}]})"});
  ASSERT_TRUE(txn.has_value()) << txn.status().ToString();
  EXPECT_TRUE(txn->success);
  EXPECT_EQ(txn->transaction_id, "tx:fake-1");
  EXPECT_EQ(txn->committed, std::vector<std::string>{"users"});
  EXPECT_TRUE(txn->error.ok());
  EXPECT_EQ(*client.Query("users", "tree", "get", {{"key", "bob"}}), Value(2));

  runtime::services::TransactOutcome partial;
  partial.transaction_id = "tx:p";
  partial.committed = {"users"};
  partial.failed = {"orders"};
  partial.error = optimystic::Status::Aborted("Transaction partially committed: gone");
  database_.AnswerNextTransact(partial);
  txn = client.Transact({"{}"});
  ASSERT_TRUE(txn.has_value()) << txn.status().ToString();
  EXPECT_FALSE(txn->success);
  EXPECT_EQ(txn->failed, std::vector<std::string>{"orders"});
  EXPECT_EQ(txn->error.ToString(), "Aborted: Transaction partially committed: gone");

  Result<TransactResult> none =
      client.Transact({R"({"collectionId":"nobody","actions":[{"type":"append","data":1}]})"});
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().ToString(), "NotFound: Collection not found: nobody");
}

TEST_F(ClientTest, TheNodesErrorsKeepTheirCodeAndMessage) {
  Client client = MakeClient(url_);
  Result<ActResult> absent = client.Act("users", "tree", Put(1, 1), CreateMode::kOpenExisting);
  ASSERT_FALSE(absent.has_value());
  EXPECT_EQ(absent.error().ToString(), "NotFound: collection users not found");
  EXPECT_FALSE(IsUnreachable(absent.error()));

  database_.FailNext(Status::Aborted("conflict rejected by resolver reject"));
  Result<ActResult> rejected = client.Act("users", "tree", Put(1, 1), CreateMode::kCreateIfAbsent);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().ToString(), "Aborted: conflict rejected by resolver reject");

  database_.FailNext(Status::Unavailable("shutting down"));
  Result<NodeStatus> status = client.Status();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().ToString(), "Unavailable: shutting down");
  EXPECT_FALSE(IsUnreachable(status.error()));

  Result<Value> bad = client.Query("", "tree", "get", Value::object());
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().ToString(),
            "InvalidArgument: collection.query payload member 'collection': empty");
}

TEST_F(ClientTest, ANodeWithoutADatabaseIsUnavailableButReachable) {
  auto router = server::RequestRouter::Create("peer-x", "0.1.0", host_.clock());
  ASSERT_TRUE(router.has_value());
  Result<std::string> url = server_->Listen("tcp://127.0.0.1:0", **router);
  ASSERT_TRUE(url.has_value());
  Client client = MakeClient(*url);
  Result<Value> report = client.Verify("users");
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().ToString(), "Unavailable: no database");
  EXPECT_FALSE(IsUnreachable(report.error()));
  EXPECT_TRUE(server_->Close().ok());  // before the router goes
}

TEST_F(ClientTest, NoNodeAtTheUrlIsUnreachable) {
  // A port that was just free: listen on it with another transport, then close that.
  std::unique_ptr<transport::Transport> gone = NewTcpTransport(host_);
  FixedReplyHandler handler("");
  Result<std::string> url = gone->Listen("tcp://127.0.0.1:0", handler);
  ASSERT_TRUE(url.has_value());
  ASSERT_TRUE(gone->Close().ok());
  Client client = MakeClient(*url);
  Result<NodeStatus> status = client.Status();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(IsUnreachable(status.error())) << status.error().ToString();
  EXPECT_EQ(status.error().message().substr(0, 13 + url->size()), "cannot reach " + *url)
      << status.error().ToString();
}

TEST_F(ClientTest, ANodeThatDoesNotAnswerByTheDeadlineTimesOut) {
  SilentHandler silent;
  Result<std::string> url = server_->Listen("tcp://127.0.0.1:0", silent);
  ASSERT_TRUE(url.has_value());
  Client client = MakeClient(*url, /*timeout_ms=*/200);
  Result<NodeStatus> status = client.Status();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), StatusCode::kTimedOut) << status.error().ToString();
  EXPECT_TRUE(IsUnreachable(status.error()));
  silent.Release();
  EXPECT_TRUE(server_->Close().ok());
}

TEST_F(ClientTest, ARequestOverTheLimitIsRefusedBeforeItIsSent) {
  ClientOptions options = Options();
  options.max_request_bytes = 1024;
  Client client(*client_transport_, url_, options);
  Result<ActResult> big =
      client.Act("users", "tree", Put(1, std::string(2000, 'x')), CreateMode::kCreateIfAbsent);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(big.error().message().find("collection.act request"), std::string_view::npos)
      << big.error().ToString();
  EXPECT_NE(big.error().message().find("exceed the limit of 1024"), std::string_view::npos);
  EXPECT_FALSE(IsUnreachable(big.error()));
  EXPECT_TRUE(database_.calls().empty());
}

TEST_F(ClientTest, AReplyThatIsNotAnEnvelopeIsCorruption) {
  FixedReplyHandler garbage("not an envelope");
  Result<std::string> url = server_->Listen("tcp://127.0.0.1:0", garbage);
  ASSERT_TRUE(url.has_value());
  Client client = MakeClient(*url);
  Result<Value> report = client.Verify("users");
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code(), StatusCode::kCorruption);
  EXPECT_NE(report.error().message().find("reply from " + *url), std::string_view::npos);
  EXPECT_FALSE(IsUnreachable(report.error()));
}

TEST_F(ClientTest, ConcurrentCallsEachGetTheirOwnReply) {
  Client client = MakeClient(url_);
  ASSERT_TRUE(client.Act("n", "counter", {Make("add", {{"delta", 0}})}, CreateMode::kCreateIfAbsent)
                  .has_value());
  constexpr int kThreads = 4;
  constexpr int kCalls = 50;
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string key = std::to_string(t) + "-" + std::to_string(i);
        Result<ActResult> put = client.Act("kv", "tree", Put(key, i), CreateMode::kCreateIfAbsent);
        Result<Value> got = client.Query("kv", "tree", "get", {{"key", key}});
        if (!put || !got || *got != Value(i)) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  Result<Value> count = client.Query("kv", "tree", "count", Value::object());
  ASSERT_TRUE(count.has_value());
  EXPECT_EQ(*count, kThreads * kCalls);
}

}  // namespace
}  // namespace optimystic::client
