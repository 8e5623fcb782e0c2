// SPDX-License-Identifier: Apache-2.0
// Membership over real tcp transports on loopback: nodes that know only their seeds learn each
// other, a node the cluster has not formed for cannot place blocks, a member that stops
// answering goes down after down_after_ms of the test clock and up again when it answers, and
// member lists from others never override what a node saw itself.
#include "cluster/membership/membership.h"

#include <optimystic/transport/transport_metrics.h>

#include "cluster/membership/members_service.h"
#include "cluster/membership/ping_handler.h"
#include "cluster/wire/message_dispatcher.h"
#include "support/test_host.h"
#include "transport/tcp/tcp_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace optimystic::cluster::membership {
namespace {

using ::testing::HasSubstr;

// One node's membership, served over its own tcp transport as the node serves it.
class Node final : public transport::RequestHandler {
 public:
  Node(const std::string& id, test::TestHost& host) : id_(id), ping_(id, "test") {
    auto metrics = transport::TransportMetrics::Create(host.metrics(), "tcp_" + id);
    EXPECT_TRUE(metrics.has_value());
    metrics_ = std::make_unique<transport::TransportMetrics>(std::move(*metrics));
    auto transport = plugins::transport_tcp::TcpTransport::Create(
        plugins::transport_tcp::TcpTransportOptions{}, host, *metrics_);
    EXPECT_TRUE(transport.has_value()) << transport.status().ToString();
    transport_ = std::move(transport).value();
  }
  ~Node() { Stop(); }

  // Listens, then makes the membership with the bound URL and `seeds`.
  std::string Listen() {
    auto url = transport_->Listen("tcp://127.0.0.1:0", *this);
    EXPECT_TRUE(url.has_value()) << url.status().ToString();
    url_ = url.value_or("");
    return url_;
  }
  void Join(std::vector<std::string> seeds, const time::Clock& clock,
            MembershipEvents events = {}) {
    MembershipOptions options;
    options.seeds = std::move(seeds);
    options.probe_interval_ms = 1000;
    options.down_after_ms = 3000;
    options.replace_after_ms = 5000;
    auto m = Membership::Create(wire::PeerInfo{id_, "key-" + id_, url_}, options, clock,
                                std::move(events));
    ASSERT_TRUE(m.has_value()) << m.status().ToString();
    membership = std::move(*m);
    members_ = std::make_unique<MembersService>(*membership);
    auto d = wire::MessageDispatcher::Create(id_, clock);
    ASSERT_TRUE(d.has_value());
    dispatcher_ = std::move(*d);
    ASSERT_TRUE(dispatcher_->Register(wire::MessageType::kPing, ping_).ok());
    ASSERT_TRUE(dispatcher_->Register(wire::MessageType::kClusterMembers, *members_).ok());
  }
  void Probe() { membership->ProbeOnce(*transport_); }
  transport::Transport* transport() { return transport_.get(); }
  // Answers nothing any more (as a node that crashed): every request fails.
  void Silence() { silent_ = true; }
  void Revive() { silent_ = false; }
  void Stop() {
    if (transport_) (void)transport_->Close();
  }

  void OnRequest(std::string_view request, transport::Responder& responder) noexcept override {
    if (silent_ || !dispatcher_) {
      responder.Fail(Status::Unavailable("node " + id_ + " is not answering"));
      return;
    }
    responder.Reply(dispatcher_->Dispatch(request));
  }

  std::unique_ptr<Membership> membership;
  const std::string& url() const { return url_; }

 private:
  std::string id_;
  std::string url_;
  PingHandler ping_;
  std::unique_ptr<transport::TransportMetrics> metrics_;
  std::unique_ptr<transport::Transport> transport_;
  std::unique_ptr<MembersService> members_;
  std::unique_ptr<wire::MessageDispatcher> dispatcher_;
  std::atomic<bool> silent_{false};
};

std::vector<std::string> StatesSeenBy(const Membership& m) {
  std::vector<std::string> out;
  for (const Member& member : m.View()->members) {
    out.push_back(member.peer_id + (member.up ? ":up" : ":down"));
  }
  return out;
}

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"a", "b", "c"}) nodes_.push_back(std::make_unique<Node>(id, host_));
    for (auto& n : nodes_) n->Listen();
  }
  test::TestClock& clock() { return host_.test_clock(); }

  test::TestHost host_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(MembershipTest, NodesThatKnowOneSeedLearnEveryMemberAndFormTheCluster) {
  Node& a = *nodes_[0];
  Node& b = *nodes_[1];
  Node& c = *nodes_[2];
  std::vector<std::string> formed;
  a.Join({}, clock());  // the seed knows nobody
  b.Join({a.url()}, clock(), MembershipEvents{{}, {}, [&] { formed.push_back("b"); }, {}});
  c.Join({a.url()}, clock());
  EXPECT_FALSE(b.membership->View()->formed);
  auto unplaced = b.membership->ClusterFor("block");
  ASSERT_FALSE(unplaced);
  EXPECT_EQ(unplaced.error().code(), StatusCode::kUnavailable);
  EXPECT_THAT(unplaced.error().ToString(),
              HasSubstr("cluster is forming: waiting for seed(s) " + a.url()));

  b.Probe();  // b tells a of itself
  c.Probe();  // c tells a of itself and learns b from a
  b.Probe();  // b learns c from a
  EXPECT_EQ(formed, std::vector<std::string>{"b"});
  for (Node* n : {&a, &b, &c}) {
    EXPECT_EQ(StatesSeenBy(*n->membership).size(), 3u);
    EXPECT_TRUE(n->membership->View()->formed);
  }
  EXPECT_THAT(StatesSeenBy(*b.membership), ::testing::ElementsAre("b:up", "a:up", "c:up"));
  // Every node places a block on the same peer: one ring.
  for (const char* block : {"x", "y", "z", "users/header"}) {
    auto at_a = a.membership->ClusterFor(block);
    auto at_c = c.membership->ClusterFor(block);
    ASSERT_TRUE(at_a && at_c);
    EXPECT_EQ(*at_a, *at_c) << block;
  }
  const Member* learned = b.membership->View()->Find("c");
  ASSERT_NE(learned, nullptr);
  EXPECT_EQ(learned->url, c.url());
  EXPECT_EQ(learned->public_key, "key-c");
}

TEST_F(MembershipTest, AMemberThatStopsAnsweringIsDownAfterDownAfterAndUpWhenItAnswers) {
  Node& a = *nodes_[0];
  Node& b = *nodes_[1];
  std::vector<std::string> events;
  a.Join({b.url()}, clock(),
         MembershipEvents{[&](const Member& m) { events.push_back(m.peer_id + " up"); },
                          [&](const Member& m) { events.push_back(m.peer_id + " down"); },
                          {},
                          {}});
  b.Join({a.url()}, clock());
  a.Probe();
  EXPECT_THAT(StatesSeenBy(*a.membership), ::testing::ElementsAre("a:up", "b:up"));
  b.Silence();
  a.Probe();
  clock().Advance(2000);
  a.Probe();
  EXPECT_THAT(StatesSeenBy(*a.membership), ::testing::ElementsAre("a:up", "b:up"))
      << "silent for less than down_after_ms";
  EXPECT_TRUE(a.membership->IsReachable("b"));
  clock().Advance(1500);
  a.Probe();
  EXPECT_THAT(StatesSeenBy(*a.membership), ::testing::ElementsAre("a:up", "b:down"));
  EXPECT_FALSE(a.membership->IsReachable("b"));
  // A down member keeps its place on the ring: its blocks are unavailable, not moved.
  auto cluster = a.membership->ClusterFor("some-block");
  ASSERT_TRUE(cluster);
  EXPECT_EQ(a.membership->View()->ring->peers().size(), 2u);
  b.Revive();
  a.Probe();
  EXPECT_THAT(StatesSeenBy(*a.membership), ::testing::ElementsAre("a:up", "b:up"));
  EXPECT_EQ(events, (std::vector<std::string>{"b up", "b down", "b up"}));
}

TEST_F(MembershipTest, HearsayNeverOverridesWhatANodeSawAndBadEntriesAreIgnored) {
  Node& a = *nodes_[0];
  a.Join({}, clock());
  wire::ClusterMembers gossip;
  gossip.from = wire::PeerInfo{"b", "key-b", "tcp://127.0.0.1:1"};
  gossip.members = {wire::PeerInfo{"a", "forged", "tcp://elsewhere:1"},  // a itself
                    wire::PeerInfo{"c", "key-c", "tcp://127.0.0.1:2"},
                    wire::PeerInfo{"", "k", "tcp://127.0.0.1:3"},  // no peer id
                    wire::PeerInfo{"d", "key-d", ""}};             // no URL
  wire::MembersOk reply = a.membership->OnMembers(gossip);
  ASSERT_EQ(reply.members.size(), 3u);
  // Itself first, unchanged; its epoch is its start's time, newer than all it said before.
  EXPECT_EQ(reply.members[0],
            (wire::PeerInfo{"a", "key-a", a.url(), wire::MemberRole::kActive,
                            static_cast<uint64_t>(clock().NowUnixMs())}));
  EXPECT_THAT(StatesSeenBy(*a.membership), ::testing::ElementsAre("a:up", "b:up", "c:up"));
  // A second-hand claim of another key or URL for c changes nothing.
  gossip.members = {wire::PeerInfo{"c", "other-key", "tcp://127.0.0.1:9"}};
  (void)a.membership->OnMembers(gossip);
  EXPECT_EQ(a.membership->View()->Find("c")->url, "tcp://127.0.0.1:2");
  EXPECT_EQ(a.membership->View()->Find("c")->public_key, "key-c");
}

// Whether `m` places any of many blocks on `peer`, now or once the changes under way are made.
bool PlacesOn(const Membership& m, const std::string& peer, bool next) {
  for (int i = 0; i < 200; ++i) {
    const std::string block = "block-" + std::to_string(i);
    auto cluster = next ? m.NextClusterFor(block) : m.ClusterFor(block);
    EXPECT_TRUE(cluster.has_value());
    if (cluster && std::find(cluster->begin(), cluster->end(), peer) != cluster->end()) {
      return true;
    }
  }
  return false;
}

// Events that note each role change as "peer:role" in `seen`.
MembershipEvents RecordingRoles(std::vector<std::string>& seen) {
  MembershipEvents events;
  events.on_role = [&seen](const Member& m) {
    seen.push_back(m.peer_id + ":" + std::string(wire::MemberRoleName(m.role)));
  };
  return events;
}

TEST_F(MembershipTest, RolesReachEveryMemberAndMoveBlocksOnlyInTheNextRing) {
  Node& a = *nodes_[0];
  Node& b = *nodes_[1];
  Node& c = *nodes_[2];
  std::vector<std::string> roles_seen;
  const MembershipEvents events = RecordingRoles(roles_seen);
  a.Join({a.url(), b.url()}, clock(), events);
  b.Join({a.url(), b.url()}, clock());
  c.Join({a.url(), b.url()}, clock());
  c.membership->SetRole(wire::MemberRole::kJoining);
  for (Node* n : {&a, &b, &c}) n->Probe();
  for (Node* n : {&a, &b}) {
    std::shared_ptr<const MembershipView> view = n->membership->View();
    ASSERT_TRUE(view->formed);
    ASSERT_NE(view->Find("c"), nullptr);
    EXPECT_EQ(view->Find("c")->role, wire::MemberRole::kJoining);
    EXPECT_TRUE(view->changing);
    EXPECT_FALSE(PlacesOn(*n->membership, "c", /*next=*/false)) << "a joiner holds nothing yet";
    EXPECT_TRUE(PlacesOn(*n->membership, "c", /*next=*/true));
  }
  EXPECT_FALSE(PlacesOn(*c.membership, "c", false)) << "not even by its own view";

  // Turning active reaches every member at once (Announce), not a probe round later.
  c.membership->SetRole(wire::MemberRole::kActive);
  const Announced told = c.membership->Announce(*c.transport());
  EXPECT_EQ(told.asked, 2u);
  EXPECT_EQ(told.answered, 2u);
  for (Node* n : {&a, &b}) {
    EXPECT_EQ(n->membership->View()->Find("c")->role, wire::MemberRole::kActive);
    EXPECT_FALSE(n->membership->View()->changing);
    EXPECT_TRUE(PlacesOn(*n->membership, "c", false));
  }
  EXPECT_EQ(roles_seen, (std::vector<std::string>{"c:active"}))
      << "a heard of c first as joining (a new member, not a change), then active";

  // Leaving keeps the blocks in place until the member has left; one that left is not probed.
  b.membership->SetRole(wire::MemberRole::kLeaving);
  (void)b.membership->Announce(*b.transport());
  EXPECT_TRUE(PlacesOn(*a.membership, "b", false));
  EXPECT_FALSE(PlacesOn(*a.membership, "b", true));
  b.membership->SetRole(wire::MemberRole::kLeft);
  (void)b.membership->Announce(*b.transport());
  b.Silence();
  EXPECT_FALSE(PlacesOn(*a.membership, "b", false));
  EXPECT_FALSE(a.membership->IsReachable("b"));
  clock().Advance(10000);
  a.Probe();
  EXPECT_TRUE(a.membership->View()->Find("b")->up) << "a member that left is not probed down";

  // What is heard second-hand is taken when it is newer, and only then.
  wire::ClusterMembers stale{wire::PeerInfo{"c", "key-c", c.url()},
                             {wire::PeerInfo{"b", "key-b", b.url(), wire::MemberRole::kActive, 1}}};
  (void)a.membership->OnMembers(stale);
  EXPECT_EQ(a.membership->View()->Find("b")->role, wire::MemberRole::kLeft);
  EXPECT_EQ(roles_seen, (std::vector<std::string>{"c:active", "b:leaving", "b:left"}));
}

TEST_F(MembershipTest, AMemberEveryOtherSeesDownIsReplacedAndComesBackOnlyByJoining) {
  Node& a = *nodes_[0];
  Node& b = *nodes_[1];
  Node& c = *nodes_[2];
  std::vector<std::string> roles_seen;
  const MembershipEvents events = RecordingRoles(roles_seen);
  const std::vector<std::string> seeds = {a.url(), b.url()};
  a.Join(seeds, clock(), events);
  b.Join(seeds, clock());
  c.Join(seeds, clock());
  for (Node* n : {&a, &b, &c}) n->Probe();
  ASSERT_TRUE(a.membership->View()->formed);
  ASSERT_EQ(a.membership->View()->members.size(), 3u);

  c.Silence();
  clock().Advance(3500);
  a.Probe();  // a sees c down; b has not said so yet
  ASSERT_FALSE(a.membership->View()->Find("c")->up);
  EXPECT_EQ(a.membership->View()->Find("c")->role, wire::MemberRole::kActive)
      << "one member's word is not enough: b may still reach c";
  b.Probe();  // b sees c down too, and hears a say so
  a.Probe();  // a hears b say so, but c is down for less than replace_after_ms
  EXPECT_EQ(a.membership->View()->Find("c")->role, wire::MemberRole::kActive)
      << "down is not dead: a restart takes longer than down_after_ms";
  clock().Advance(1500);
  a.Probe();  // a asks every member afresh, and gives c the role down
  std::shared_ptr<const MembershipView> view = a.membership->View();
  EXPECT_EQ(view->Find("c")->role, wire::MemberRole::kDown);
  EXPECT_TRUE(view->changing);
  EXPECT_TRUE(PlacesOn(*a.membership, "c", /*next=*/false)) << "its blocks keep their quorums";
  EXPECT_FALSE(PlacesOn(*a.membership, "c", /*next=*/true)) << "its ranges go to the next peers";
  b.Probe();
  EXPECT_EQ(b.membership->View()->Find("c")->role, wire::MemberRole::kDown) << "passed on";

  // Left once every holder says its blocks of c's are with their next owners.
  a.membership->SetHandedOn({"c"});
  a.Probe();
  EXPECT_EQ(a.membership->View()->Find("c")->role, wire::MemberRole::kDown) << "b has not said";
  b.membership->SetHandedOn({"c"});
  b.Probe();
  a.Probe();
  for (Node* n : {&a, &b}) {
    EXPECT_EQ(n->membership->View()->Find("c")->role, wire::MemberRole::kLeft);
    EXPECT_FALSE(n->membership->View()->changing);
    EXPECT_FALSE(PlacesOn(*n->membership, "c", false));
    EXPECT_FALSE(PlacesOn(*n->membership, "c", true));
  }
  EXPECT_EQ(roles_seen, (std::vector<std::string>{"c:down", "c:left"}));

  // c comes back on its data: its "active" is taken as joining, and it hears it was replaced.
  c.Revive();
  clock().Advance(1000);
  c.Join(seeds, clock());  // a restart: a newer epoch
  EXPECT_FALSE(c.membership->replaced());
  c.Probe();
  EXPECT_EQ(a.membership->View()->Find("c")->role, wire::MemberRole::kJoining);
  EXPECT_FALSE(PlacesOn(*a.membership, "c", false)) << "a replaced member holds nothing yet";
  EXPECT_TRUE(c.membership->replaced());
  c.membership->SetRole(wire::MemberRole::kJoining);
  EXPECT_FALSE(c.membership->replaced());
  c.membership->SetRole(wire::MemberRole::kActive);
  (void)c.membership->Announce(*c.transport());
  EXPECT_EQ(a.membership->View()->Find("c")->role, wire::MemberRole::kActive);
  c.Probe();
  EXPECT_FALSE(c.membership->replaced()) << "words of its replacement are old news once joined";
}

TEST_F(MembershipTest, AMemberOnlySomeSeeDownIsNotReplaced) {
  Node& a = *nodes_[0];
  Node& b = *nodes_[1];
  Node& c = *nodes_[2];
  const std::vector<std::string> seeds = {a.url(), b.url()};
  a.Join(seeds, clock());
  b.Join(seeds, clock());
  c.Join(seeds, clock());
  for (Node* n : {&a, &b, &c}) n->Probe();
  // b stops answering a; c, which probes no more here, still last heard from b: as a partition
  // that cuts a off from b but not c would look to a.
  b.Silence();
  clock().Advance(6000);
  for (int i = 0; i < 3; ++i) a.Probe();
  ASSERT_FALSE(a.membership->View()->Find("b")->up);
  EXPECT_EQ(a.membership->View()->Find("b")->role, wire::MemberRole::kActive);
  EXPECT_FALSE(a.membership->View()->changing);
}

TEST_F(MembershipTest, OfTwoMembersCutOffFromEachOtherNeitherReplacesTheOther) {
  Node& a = *nodes_[0];
  Node& b = *nodes_[1];
  const std::vector<std::string> seeds = {a.url(), b.url()};
  a.Join(seeds, clock());
  b.Join(seeds, clock());
  for (Node* n : {&a, &b}) n->Probe();
  ASSERT_TRUE(a.membership->View()->formed);
  // No other member is left to vouch with a: alone it is no majority of the two, and b,
  // silent to a, may be writing alone too.
  b.Silence();
  clock().Advance(6000);
  for (int i = 0; i < 3; ++i) a.Probe();
  ASSERT_FALSE(a.membership->View()->Find("b")->up);
  EXPECT_EQ(a.membership->View()->Find("b")->role, wire::MemberRole::kActive);
  EXPECT_TRUE(PlacesOn(*a.membership, "b", /*next=*/true));
}

TEST(MembershipCreate, RefusesWhatCannotWork) {
  test::TestClock clock;
  EXPECT_FALSE(Membership::Create(wire::PeerInfo{"", "k", "tcp://h:1"}, {}, clock));
  MembershipOptions zero;
  zero.replication = 0;
  EXPECT_FALSE(Membership::Create(wire::PeerInfo{"a", "k", "tcp://h:1"}, zero, clock));
  MembershipOptions vnodes;
  vnodes.virtual_nodes = 0;
  EXPECT_FALSE(Membership::Create(wire::PeerInfo{"a", "k", "tcp://h:1"}, vnodes, clock));
  auto alone = Membership::Create(wire::PeerInfo{"a", "k", ""}, {}, clock);
  ASSERT_TRUE(alone);
  EXPECT_TRUE((*alone)->View()->formed) << "no seeds: a cluster of one at once";
  auto cluster = (*alone)->ClusterFor("block");
  ASSERT_TRUE(cluster);
  EXPECT_EQ(*cluster, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace optimystic::cluster::membership
