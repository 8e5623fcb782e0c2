// SPDX-License-Identifier: Apache-2.0
// The repo service and the RemotePeerRepo over a real tcp transport on loopback: every repo
// operation reaches the serving node's repository and its answer (refusals included) comes
// back intact; clients and blocks the node is not responsible for are refused; a peer that is
// gone is "cannot reach".
#include "cluster/network/repo_service.h"

#include <optimystic/transport/transport_metrics.h>

#include "cluster/network/peer_repo.h"
#include "cluster/wire/repo_messages.h"
#include "cluster/wire/wire_call.h"
#include "kernel/core/repository/repository_test_util.h"
#include "support/test_host.h"
#include "transport/tcp/tcp_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace optimystic::cluster::network {
namespace {

using namespace core::repository::test_util;  // NOLINT(build/namespaces): test helpers
using ::testing::HasSubstr;
using transactor::ActionBlocks;
using transactor::ActionStatus;
using transactor::BlockGets;
using transactor::CommitRequest;
using transactor::FailureOf;

std::unique_ptr<transport::Transport> NewTcp(test::TestHost& host, const std::string& name,
                                             std::unique_ptr<transport::TransportMetrics>& m) {
  auto metrics = transport::TransportMetrics::Create(host.metrics(), name);
  EXPECT_TRUE(metrics.has_value());
  m = std::make_unique<transport::TransportMetrics>(std::move(*metrics));
  auto transport = plugins::transport_tcp::TcpTransport::Create(
      plugins::transport_tcp::TcpTransportOptions{}, host, *m);
  EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
  return std::move(transport).value();
}

class Served final : public transport::RequestHandler {
 public:
  explicit Served(const wire::MessageDispatcher& d) : d_(d) {}
  void OnRequest(std::string_view request, transport::Responder& responder) noexcept override {
    responder.Reply(d_.Dispatch(request));
  }

 private:
  const wire::MessageDispatcher& d_;
};

class RepoServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = wire::MessageDispatcher::Create("server", host_.clock());
    ASSERT_TRUE(d.has_value());
    dispatcher_ = std::move(*d);
    ASSERT_TRUE(service_.RegisterWith(*dispatcher_).ok());
    server_ = NewTcp(host_, "server", server_metrics_);
    client_ = NewTcp(host_, "client", client_metrics_);
    served_ = std::make_unique<Served>(*dispatcher_);
    auto url = server_->Listen("tcp://127.0.0.1:0", *served_);
    ASSERT_TRUE(url.has_value()) << url.status().ToString();
    url_ = *url;
    wire::CallOptions options;
    options.sender = "asker";
    options.clock = &host_.clock();
    remote_ = std::make_unique<RemotePeerRepo>(*client_, url_, options);
  }
  void TearDown() override {
    (void)client_->Close();
    (void)server_->Close();
  }

  CommitRequest CommitOf(const ActionId& action, uint64_t rev, std::vector<BlockId> ids) {
    CommitRequest request;
    request.action_id = action;
    request.rev = rev;
    request.tail_id = ids.front();
    request.block_ids = std::move(ids);
    return request;
  }

  test::TestHost host_;
  plugins::storage_memory::MemoryStorageEngine engine_;
  core::repository::Repository repository_{engine_};
  LocalPeerRepo local_{repository_};
  std::set<std::string> elsewhere_;  // blocks whose cluster does not hold "server"
  RepoService service_{"server", local_,
                       [this](const block::BlockId& id) -> Result<std::vector<std::string>> {
                         if (id == "forming") return Status::Unavailable("cluster is forming");
                         if (elsewhere_.count(id) != 0) return std::vector<std::string>{"other"};
                         return std::vector<std::string>{"other", "server"};
                       }};
  std::unique_ptr<wire::MessageDispatcher> dispatcher_;
  std::unique_ptr<Served> served_;
  std::unique_ptr<transport::TransportMetrics> server_metrics_, client_metrics_;
  std::unique_ptr<transport::Transport> server_, client_;
  std::string url_;
  std::unique_ptr<RemotePeerRepo> remote_;
};

TEST_F(RepoServiceTest, EveryOperationReachesTheServingRepository) {
  auto pend = remote_->Pend(
      MakePend("x", 1, Both(InsertOf(TestBlock("t", 1)), InsertOf(TestBlock("d", 2)))));
  ASSERT_TRUE(pend) << pend.error().ToString();
  ASSERT_EQ(FailureOf(*pend), nullptr);
  EXPECT_EQ(std::get<transactor::PendSuccess>(*pend).block_ids, (std::vector<BlockId>{"d", "t"}));
  auto status = remote_->GetStatus({ActionBlocks{{"t", "d"}, "x"}});
  ASSERT_TRUE(status) << status.error().ToString();
  EXPECT_EQ(status->at(0).statuses,
            (std::vector<ActionStatus>{ActionStatus::kPending, ActionStatus::kPending}));
  auto commit = remote_->Commit(CommitOf("x", 1, {"t", "d"}));
  ASSERT_TRUE(commit) << commit.error().ToString();
  ASSERT_EQ(FailureOf(*commit), nullptr);
  EXPECT_EQ(*repository_.Latest("d"), (ActionRev{"x", 1})) << "it is in the server's store";
  auto got = remote_->Get(BlockGets{{"d", "absent"}, std::nullopt});
  ASSERT_TRUE(got) << got.error().ToString();
  EXPECT_EQ((*got->at("d").block)["v"], 2);
  EXPECT_FALSE(got->at("absent").block.has_value());

  // A refusal comes back as the repository gave it.
  auto stale = remote_->Pend(MakePend("y", 1, SetV("d", 3)));
  ASSERT_TRUE(stale) << stale.error().ToString();
  ASSERT_NE(FailureOf(*stale), nullptr);
  EXPECT_EQ(FailureOf(*stale)->missing.at(0).action_id, "x");
  EXPECT_EQ(FailureOf(*stale)->stale_at, (transactor::StaleAt{"d", 1}));

  ASSERT_TRUE(remote_->Pend(MakePend("z", 2, SetV("d", 4))));
  ASSERT_TRUE(remote_->Cancel(ActionBlocks{{"d"}, "z"}).ok());
  EXPECT_EQ(*repository_.RecordOf("d", "z"), core::repository::ActionRecord::kNone);
}

TEST_F(RepoServiceTest, WritesForBlocksElsewhereAndRequestsFromClientsAreRefused) {
  elsewhere_ = {"far", "away"};
  auto pend = remote_->Pend(
      MakePend("x", 1, Both(InsertOf(TestBlock("far")), InsertOf(TestBlock("near")))));
  ASSERT_FALSE(pend);
  EXPECT_EQ(pend.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(pend.error().ToString(), HasSubstr("not responsible for block(s): far"));
  EXPECT_FALSE(remote_->Commit(CommitOf("x", 1, {"away"})));
  EXPECT_FALSE(remote_->Cancel(ActionBlocks{{"forming"}, "x"}).ok());
  EXPECT_FALSE(*repository_.Latest("near")) << "nothing of the refused pend landed";
  auto read = remote_->Get(BlockGets{{"far"}, std::nullopt});
  EXPECT_TRUE(read) << "reads are served anyway: " << read.error().ToString();

  wire::CallOptions as_client;
  as_client.clock = &host_.clock();
  auto refused = wire::CallAndWait(*client_, url_, wire::MessageType::kRepoGet,
                                   wire::RepoGetToPayload(BlockGets{{"d"}, std::nullopt}),
                                   wire::MessageType::kRepoGetOk, 1, as_client);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.error().ToString(), HasSubstr("'repo.get' is a peer message"));

  auto bad = wire::CallAndWait(*client_, url_, wire::MessageType::kRepoPend,
                               block::Value{{"request", 7}}, wire::MessageType::kRepoPendOk, 2,
                               wire::CallOptions{10'000, size_t{1} << 20, "asker", &host_.clock()});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.error().ToString(), HasSubstr("repo.pend payload member 'request'"));
}

TEST_F(RepoServiceTest, APeerThatIsGoneCannotBeReached) {
  (void)server_->Close();
  auto got = remote_->Get(BlockGets{{"d"}, std::nullopt});
  ASSERT_FALSE(got);
  EXPECT_TRUE(wire::IsUnreachable(got.error())) << got.error().ToString();
  EXPECT_THAT(got.error().ToString(), HasSubstr("cannot reach " + url_));
}

}  // namespace
}  // namespace optimystic::cluster::network
