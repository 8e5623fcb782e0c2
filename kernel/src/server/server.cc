// SPDX-License-Identifier: Apache-2.0
#include "server/server.h"

#include <optimystic/abi/abi_version.h>
#include <optimystic/base/base32.h>
#include <optimystic/collections/collection_type.h>
#include <optimystic/conflict/conflict_resolver.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "server/data_dir.h"

namespace optimystic::server {

namespace fs = std::filesystem;
using runtime::plugin::PluginKind;
using runtime::plugin::PluginKindName;

namespace {

std::string JoinOrNone(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// Moves a counter up to `total`, a count kept elsewhere (counters only ever rise).
void AdvanceTo(metrics::Counter* c, uint64_t total) {
  double delta = static_cast<double>(total) - c->Value();
  if (delta > 0) c->Increment(delta);
}

}  // namespace

Server::Server(runtime::config::NodeConfig config, runtime::logging::LogOutput& log)
    : config_(std::move(config)), log_(log), logger_(log, "server") {}

Server::~Server() { Stop(); }

std::string Server::BuiltinPluginDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (exe.parent_path() / OPTIMYSTIC_PLUGIN_DIR_FROM_BIN).lexically_normal().string();
}

Status Server::LoadPlugins() {
  std::vector<std::string> dirs;
  if (config_.include_builtin_plugins) dirs.push_back(BuiltinPluginDir());
  dirs.insert(dirs.end(), config_.plugin_dirs.begin(), config_.plugin_dirs.end());
  for (const auto& dir : dirs) {
    OPTIMYSTIC_RETURN_IF_ERROR(plugins_.LoadDirectory(dir));
  }
  for (const auto& p : plugins_.plugins()) {
    logger_.Log(logging::LogLevel::kInfo,
                "loaded plugin " + p.id + " " + p.version + " from " + p.path);
  }
  return Status::Ok();
}

Status Server::ValidateStorage() {
  runtime::config::Settings where = config_.View("storage.plugin");
  auto factory =
      plugins_.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, config_.storage_plugin);
  if (!factory) {
    return where.Error("unknown storage plugin '" + config_.storage_plugin +
                       "' (available: " + JoinOrNone(plugins_.Names(PluginKind::kStorage)) + ")");
  }
  return (*factory)->Validate(config_.StorageSettings());
}

Status Server::ValidateTransport() {
  if (config_.transport_plugin.empty()) return Status::Ok();
  runtime::config::Settings where = config_.View("transport.plugin");
  auto factory = plugins_.Factory<transport::TransportFactory>(PluginKind::kTransport,
                                                               config_.transport_plugin);
  if (!factory) {
    return where.Error("unknown transport plugin '" + config_.transport_plugin +
                       "' (available: " + JoinOrNone(plugins_.Names(PluginKind::kTransport)) + ")");
  }
  return (*factory)->Validate(config_.TransportSettings());
}

Status Server::ValidateCollections() {
  // One list: the registry's built-ins, plus the resolvers the loaded conflict plugins offer.
  std::vector<std::string> resolvers = runtime::conflict::ConflictResolverRegistry::BuiltinNames();
  for (const auto& name : plugins_.Names(PluginKind::kConflict)) resolvers.push_back(name);
  for (const auto& [type, options] : config_.collection_types) {
    std::string path = "collections.types." + type;
    auto factory =
        plugins_.Factory<collections::CollectionTypeFactory>(PluginKind::kCollection, type);
    if (!factory) {
      return config_.View(path).Error("unknown collection type '" + type + "' (available: " +
                                      JoinOrNone(plugins_.Names(PluginKind::kCollection)) + ")");
    }
    OPTIMYSTIC_RETURN_IF_ERROR((*factory)->Validate(config_.CollectionTypeSettings(type)));
  }
  return runtime::conflict::CheckConfiguredResolvers(config_, resolvers);
}

Status Server::ValidateConfig() {
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateStorage());
  OPTIMYSTIC_RETURN_IF_ERROR(ValidateTransport());
  return ValidateCollections();
}

std::unique_ptr<PluginHost> Server::MakeHost(const std::string& component) {
  return std::make_unique<PluginHost>(log_, component, metrics_, clock_, config_.data_dir,
                                      peer_id_);
}

Status Server::RegisterNodeMetrics() {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      auto* build,
      metrics_.AddGauge("optimystic_build_info", "Build of this node; the value is always 1.",
                        {{"version", OPTIMYSTIC_VERSION},
                         {"abi", std::to_string(OPTIMYSTIC_ABI_MAJOR) + "." +
                                     std::to_string(OPTIMYSTIC_ABI_MINOR)},
                         {"sdk", OPTIMYSTIC_SDK_VERSION},
                         {"peer_id", peer_id_}}));
  build->Set(1);
  for (const auto& p : plugins_.plugins()) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        auto* info, metrics_.AddGauge("optimystic_plugin_info",
                                      "Plugins loaded by this node; the value is always 1.",
                                      {{"name", p.id},
                                       {"kind", std::string(PluginKindName(p.kind))},
                                       {"version", p.version}}));
    info->Set(1);
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      auto* start, metrics_.AddGauge("process_start_time_seconds",
                                     "Start time of the process since unix epoch in seconds.", {}));
  start->Set(static_cast<double>(clock_.NowUnixMs()) / 1000.0);
  return Status::Ok();
}

Status Server::OpenConflictResolvers() {
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      resolvers_, runtime::conflict::ConflictResolverRegistry::Create(config_, metrics_));
  for (const auto& name : plugins_.Names(PluginKind::kConflict)) {
    auto factory = plugins_.Factory<conflict::ConflictResolverFactory>(PluginKind::kConflict, name);
    if (!factory) return factory.error();
    // YAML names a plugin's resolver by the plugin's name, so the two must agree.
    if ((*factory)->name() != name) {
      return Status::Incompatible("plugin conflict." + name + " offers resolver '" +
                                  std::string((*factory)->name()) + "', expected '" + name + "'");
    }
    hosts_.push_back(MakeHost("conflict." + name));
    config::Settings settings(nullptr, "conflict." + name, config_.file);  // none in YAML yet
    OPTIMYSTIC_RETURN_IF_ERROR(resolvers_->AddFromFactory(**factory, settings, *hosts_.back())
                                   .WithContext("open conflict." + name));
  }
  return Status::Ok();
}

Status Server::OpenStorage() {
  auto factory =
      plugins_.Factory<storage::StorageEngineFactory>(PluginKind::kStorage, config_.storage_plugin);
  if (!factory) return factory.error();
  hosts_.push_back(MakeHost("storage." + config_.storage_plugin));
  auto engine = (*factory)->Create(config_.StorageSettings(), *hosts_.back());
  if (!engine) return engine.error().WithContext("open storage." + config_.storage_plugin);
  storage_ = std::move(*engine);
  return Status::Ok();
}

Status Server::CreateTransport() {
  if (config_.transport_plugin.empty()) {
    return Status::Ok();
  }
  auto factory = plugins_.Factory<transport::TransportFactory>(PluginKind::kTransport,
                                                               config_.transport_plugin);
  if (!factory) return factory.error();
  hosts_.push_back(MakeHost("transport." + config_.transport_plugin));
  auto transport = (*factory)->Create(config_.TransportSettings(), *hosts_.back());
  if (!transport)
    return transport.error().WithContext("open transport." + config_.transport_plugin);
  transport_ = std::move(*transport);
  if (config_.fault_injection) {
    logger_.Log(logging::LogLevel::kWarn,
                "fault injection is on (node.fault_injection): peer links can be cut at runtime");
    auto faulty = std::make_unique<FaultInjectingTransport>(std::move(transport_));
    fault_transport_ = faulty.get();
    transport_ = std::move(faulty);
  }
  return Status::Ok();
}

Status Server::OpenMembership(const std::string& public_key) {
  cluster::membership::MembershipOptions options;
  options.replication = config_.cluster_replication;
  options.virtual_nodes = config_.cluster_virtual_nodes;
  options.seeds = config_.cluster_seeds;
  options.probe_interval_ms = config_.cluster_probe_interval_ms;
  options.down_after_ms = config_.cluster_down_after_ms;
  // With one copy of each block there is no replica to hand a dead member's ranges on from.
  options.replace_after_ms =
      config_.cluster_replication > 1 ? config_.cluster_replace_after_ms : 0;
  cluster::membership::MembershipEvents events;
  events.on_up = [this](const cluster::membership::Member& m) {
    logger_.Log(logging::LogLevel::kInfo, "peer " + m.peer_id + " at " + m.url + " is up");
  };
  events.on_down = [this](const cluster::membership::Member& m) {
    logger_.Log(logging::LogLevel::kWarn,
                "peer " + m.peer_id + " at " + m.url + " is down: no answer for " +
                    std::to_string(config_.cluster_down_after_ms) + " ms");
  };
  events.on_formed = [this] {
    logger_.Log(logging::LogLevel::kInfo, "cluster formed: every seed has answered");
  };
  events.on_role = [this](const cluster::membership::Member& m) {
    logger_.Log(logging::LogLevel::kInfo, "peer " + m.peer_id + " at " + m.url + " is now " +
                                              std::string(cluster::wire::MemberRoleName(m.role)));
  };
  // The URL is the advertised one, or the bound one once the transport listens.
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      membership_, cluster::membership::Membership::Create(
                       cluster::wire::PeerInfo{peer_id_, public_key, config_.cluster_advertise},
                       std::move(options), clock_, std::move(events)));
  // A node that is not one of its own seeds joins a running cluster, unless it has joined
  // before (the marker file, "joined" or "left"): it holds no ranges until it has fetched them.
  // A node that left joins again (its blocks may be stale): the marker says which it did last.
  const std::string& url =
      config_.cluster_advertise.empty() ? config_.transport_listen : config_.cluster_advertise;
  const std::vector<std::string>& seeds = config_.cluster_seeds;
  std::string marker;
  std::ifstream(MemberMarker()) >> marker;
  const bool founding = std::find(seeds.begin(), seeds.end(), url) != seeds.end();
  if (!seeds.empty() && (marker == "left" || (marker.empty() && !founding))) {
    membership_->SetRole(cluster::wire::MemberRole::kJoining);
    logger_.Log(logging::LogLevel::kInfo,
                marker == "left"
                    ? "joining the cluster again: this node left it; it fetches the blocks it "
                      "will hold before it holds any"
                    : "joining the cluster: this node is not one of its seeds; it fetches the "
                      "blocks it will hold before it holds any");
  }
  return Status::Ok();
}

std::string Server::MemberMarker() const { return config_.data_dir + "/cluster_member"; }

Status Server::Leave() {
  if (!membership_change_) return Status::Ok();
  // One leave at a time (cluster.leave and SIGTERM may both ask): the second finds it done.
  std::lock_guard serial(leave_call_mu_);
  if (membership_->role() == cluster::wire::MemberRole::kLeft) return Status::Ok();
  logger_.Log(logging::LogLevel::kInfo, "leaving the cluster: handing this node's ranges on");
  Status s = membership_change_->Leave(std::chrono::milliseconds(config_.cluster_leave_timeout_ms));
  if (!s.ok()) logger_.Log(logging::LogLevel::kError, "leave: " + s.ToString());
  return s;
}

void Server::OnLeft(std::function<void()> on_left) {
  std::lock_guard lock(on_left_mu_);
  on_left_ = std::move(on_left);
}

Result<std::string> Server::StartLeave() {
  using cluster::wire::MemberRole;
  if (!membership_change_) {
    return Status::NotSupported("this node is not in a cluster (it has no cluster.seeds)");
  }
  const MemberRole role = membership_->role();
  if (role == MemberRole::kJoining) {
    return Status::Aborted("this node is still joining; it can leave once it is active");
  }
  if (role == MemberRole::kLeft) {
    return std::string(cluster::wire::MemberRoleName(role));
  }
  std::lock_guard lock(leave_mu_);
  if (!leave_running_.exchange(true)) {
    if (leave_thread_.joinable()) leave_thread_.join();  // a leave that timed out: again
    // Leaving before the reply, so that the client never sees this node active again unless
    // the leave failed.
    membership_->SetRole(MemberRole::kLeaving);
    leave_thread_ = std::thread([this] {
      (void)Leave();  // logged
      leave_running_ = false;
    });
  }
  return std::string(cluster::wire::MemberRoleName(MemberRole::kLeaving));
}

void Server::StartMembershipChange() {
  cluster::repair::MembershipChangeEvents events;
  events.on_joined = [this] {
    std::ofstream(MemberMarker()) << "joined\n";
    logger_.Log(logging::LogLevel::kInfo,
                "joined the cluster: the hand-off is done, this node is active");
  };
  events.on_left = [this] {
    std::ofstream(MemberMarker()) << "left\n";
    logger_.Log(logging::LogLevel::kInfo,
                "left the cluster: its blocks are held by their next owners");
    std::function<void()> on_left;
    {
      std::lock_guard lock(on_left_mu_);
      on_left = on_left_;
    }
    if (on_left) on_left();
  };
  events.on_waiting = [this](const std::string& why) {
    logger_.Log(logging::LogLevel::kInfo, why);
  };
  events.on_replacing = [this](const std::string& why) {
    logger_.Log(logging::LogLevel::kDebug, why);  // every pass, on every node
  };
  events.on_replaced = [this] {
    // Recorded first: a crash mid-join restarts as a joiner, not as a member holding stale ranges.
    std::ofstream(MemberMarker()) << "left\n";
    logger_.Log(logging::LogLevel::kWarn,
                "joining the cluster again: the other members replaced this node while it was "
                "down; it fetches the blocks it will hold before it holds any");
  };
  membership_change_ = std::make_unique<cluster::repair::MembershipChange>(
      *membership_, *anti_entropy_, *transport_, cluster::repair::MembershipChangeOptions{},
      std::move(events));
  membership_change_->Start();
}

Status Server::Listen(StartInfo& info) {
  if (!transport_) {
    logger_.Log(logging::LogLevel::kInfo, "no transport configured; client endpoint disabled");
    return Status::Ok();
  }
  repo_service_ = std::make_unique<cluster::network::RepoService>(
      peer_id_, *coordinator_,
      [m = membership_.get()](const block::BlockId& id) { return m->ClusterFor(id); });
  members_service_ = std::make_unique<cluster::membership::MembersService>(*membership_);
  consensus_service_ = std::make_unique<cluster::consensus::ConsensusService>(*member_);
  repair_service_ = std::make_unique<cluster::repair::RepairService>(*anti_entropy_);
  fault_service_ = std::make_unique<FaultInjectionService>(
      fault_transport_, config_.fault_injection ? &clock_ : nullptr);
  leave_service_ = std::make_unique<LeaveService>([this] { return StartLeave(); });
  // Bytes of every request served and of its reply, by the request's type; one series per type
  // made here, so that serving only indexes an array.
  using Counters = std::array<metrics::Counter*, cluster::wire::kMessageTypeCount>;
  auto received = std::make_shared<Counters>();
  auto sent = std::make_shared<Counters>();
  for (size_t t = 0; t < cluster::wire::kMessageTypeCount; ++t) {
    const std::string type(
        cluster::wire::MessageTypeName(static_cast<cluster::wire::MessageType>(t)));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        (*received)[t],
        metrics_.AddCounter("optimystic_wire_received_bytes_total",
                            "Bytes of the requests this node served, by message type.",
                            {{"type", type}}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        (*sent)[t], metrics_.AddCounter("optimystic_wire_sent_bytes_total",
                                        "Bytes of this node's replies, by the request's type.",
                                        {{"type", type}}));
  }
  RouterOptions router_options;
  router_options.on_served = [received, sent](cluster::wire::MessageType type,
                                              size_t request_bytes, size_t reply_bytes) {
    const auto t = static_cast<size_t>(type);
    if (t >= cluster::wire::kMessageTypeCount) return;
    (*received)[t]->Increment(static_cast<double>(request_bytes));
    (*sent)[t]->Increment(static_cast<double>(reply_bytes));
  };
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      handler_,
      RequestRouter::Create(
          peer_id_, OPTIMYSTIC_VERSION, clock_, database_.get(),
          [this] {
            std::shared_ptr<const cluster::membership::MembershipView> view = membership_->View();
            return cluster::membership::DescribeCluster(
                *view->ring, view->members, config_.cluster_replication, config_.cluster_seeds);
          },
          PeerServices{repo_service_.get(), members_service_.get(), consensus_service_.get(),
                       repair_service_.get(), fault_service_.get(), leave_service_.get()},
          std::move(router_options)));
  auto bound = transport_->Listen(config_.transport_listen, *handler_);
  if (!bound) return bound.error().WithContext("listen " + config_.transport_listen);
  info.client_url = *bound;
  if (config_.cluster_advertise.empty()) {
    membership_->SetUrl(*bound);
  }
  membership_->Start(*transport_);
  if (!config_.cluster_seeds.empty()) {
    StartMembershipChange();
  }
  // A single copy has no replica to compare with; the loop also runs read repair's queues.
  if (config_.cluster_replication > 1 &&
      (config_.cluster_anti_entropy_ms > 0 || config_.cluster_read_repair)) {
    anti_entropy_->Start();
  }
  return Status::Ok();
}

Status Server::RegisterClusterMetrics() {
  const char* members_help = "Members of the cluster this node knows, by state.";
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Gauge * up,
      metrics_.AddGauge("optimystic_cluster_members", members_help, {{"state", "up"}}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Gauge * down,
      metrics_.AddGauge("optimystic_cluster_members", members_help, {{"state", "down"}}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Gauge * formed,
      metrics_.AddGauge("optimystic_cluster_formed",
                        "1 once every seed has answered (the node places blocks), else 0.", {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * retries,
      metrics_.AddCounter("optimystic_peer_retries_total",
                          "Peer requests retried with another peer after one failed.", {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * lagging,
      metrics_.AddCounter("optimystic_lagging_commits_total",
                          "Blocks that did not take an action after its log tail had.", {}));
  using cluster::wire::MemberRole;
  constexpr std::array<MemberRole, 5> kRoles = {MemberRole::kActive, MemberRole::kJoining,
                                                MemberRole::kLeaving, MemberRole::kLeft,
                                                MemberRole::kDown};
  auto roles = std::make_shared<std::array<metrics::Gauge*, kRoles.size()>>();
  for (size_t i = 0; i < kRoles.size(); ++i) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        (*roles)[i],
        metrics_.AddGauge("optimystic_cluster_members_by_role",
                          "Members of the cluster this node knows (itself included), by role.",
                          {{"role", std::string(cluster::wire::MemberRoleName(kRoles[i]))}}));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Gauge * changing,
      metrics_.AddGauge("optimystic_cluster_changing",
                        "1 while a member is joining, leaving or being replaced (ranges are being "
                        "handed on).",
                        {}));
  // Scrapes stop (StopServing) before Stop releases what the hook reads.
  metrics_.AddCollectHook([this, up, down, formed, retries, lagging, roles, changing, kRoles] {
    if (!membership_ || !transactor_) return;
    std::shared_ptr<const cluster::membership::MembershipView> view = membership_->View();
    size_t n_up = 0;
    std::array<size_t, kRoles.size()> by_role{};
    for (const auto& m : view->members) {
      n_up += m.up ? 1 : 0;
      for (size_t i = 0; i < kRoles.size(); ++i) by_role[i] += m.role == kRoles[i] ? 1 : 0;
    }
    for (size_t i = 0; i < kRoles.size(); ++i) (*roles)[i]->Set(static_cast<double>(by_role[i]));
    changing->Set(view->changing ? 1 : 0);
    up->Set(static_cast<double>(n_up));
    down->Set(static_cast<double>(view->members.size() - n_up));
    formed->Set(view->formed ? 1 : 0);
    AdvanceTo(retries, transactor_->retries());
    AdvanceTo(lagging, transactor_->lagging_commits());
  });
  return Status::Ok();
}

Status Server::OpenConsensus() {
  namespace consensus = cluster::consensus;
  // Rounds by op and outcome, and how long each phase took.
  constexpr std::array<std::string_view, 4> kOutcomes = {"decided", "rejected", "conflict",
                                                         "no-quorum"};
  constexpr std::array<cluster::wire::ConsensusOp, 3> kOps = {
      cluster::wire::ConsensusOp::kPend, cluster::wire::ConsensusOp::kCommit,
      cluster::wire::ConsensusOp::kCancel};
  const std::vector<double> seconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  auto rounds = std::make_shared<std::map<std::pair<int, std::string_view>, metrics::Counter*>>();
  auto promise_seconds = std::make_shared<std::map<int, metrics::Histogram*>>();
  for (cluster::wire::ConsensusOp op : kOps) {
    const std::string op_name(consensus::OpName(op));
    for (std::string_view outcome : kOutcomes) {
      const std::pair<int, std::string_view> key(static_cast<int>(op), outcome);
      OPTIMYSTIC_ASSIGN_OR_RETURN(
          (*rounds)[key],
          metrics_.AddCounter("optimystic_consensus_rounds_total",
                              "Consensus rounds this node coordinated, by operation and outcome.",
                              {{"op", op_name}, {"outcome", std::string(outcome)}}));
    }
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        (*promise_seconds)[static_cast<int>(op)],
        metrics_.AddHistogram("optimystic_consensus_promise_seconds",
                              "Time of a round's promise phase, in seconds.", {{"op", op_name}},
                              seconds));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Histogram * commit_seconds,
      metrics_.AddHistogram("optimystic_consensus_commit_seconds",
                            "Time of a decided commit's commit phase and decision, in seconds.", {},
                            seconds));
  auto refused = std::make_shared<std::map<std::string, metrics::Counter*, std::less<>>>();
  for (const char* reason : {"bad-signature", "non-member"}) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        (*refused)[reason],
        metrics_.AddCounter("optimystic_consensus_votes_refused_total",
                            "Votes dropped: a bad signature, or a voter outside the cluster.",
                            {{"reason", reason}}));
  }
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * divergences,
      metrics_.AddCounter("optimystic_consensus_divergences_total",
                          "Decided operations this replica could not apply (it stays behind).",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * repairs,
      metrics_.AddCounter("optimystic_consensus_repairs_total",
                          "Blocks this replica caught up by replaying missed commits from a peer.",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * retries,
      metrics_.AddCounter("optimystic_consensus_retries_total",
                          "Decided records sent again to a peer that had not applied them.", {}));
  auto on_refused = [this, refused](std::string_view reason, const std::string& peer) {
    auto it = refused->find(reason);
    if (it != refused->end()) it->second->Increment();
    logger_.Log(logging::LogLevel::kWarn,
                "dropped a vote from " + peer + ": " + std::string(reason));
  };

  cluster::wire::CallOptions call;
  call.sender = peer_id_;
  call.clock = &clock_;
  consensus_peers_ =
      std::make_unique<consensus::MembershipPeers>(*membership_, transport_.get(), call);
  consensus::MemberOptions member_options;
  // Unset, the quorum is 0: ceil(0.75·n) of each block's cluster as it is, so a cluster-5 that
  // replaced a member still writes with one of the four left down.
  const uint32_t promise_quorum =
      config_.cluster_promise_quorum_set ? config_.cluster_promise_quorum : 0;
  member_options.promise_quorum = promise_quorum;
  consensus::MemberEvents member_events;
  member_events.on_vote_refused = on_refused;
  member_events.on_divergence = [this, divergences](const std::string& what) {
    divergences->Increment();
    logger_.Log(logging::LogLevel::kWarn, "replica diverged: " + what);
  };
  member_events.on_catch_up = [this, repairs](const std::string& block_id, size_t actions) {
    repairs->Increment();
    logger_.Log(logging::LogLevel::kInfo, "caught up block " + block_id + ": replayed " +
                                              std::to_string(actions) + " missed commit(s)");
  };
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      member_, consensus::ClusterMember::Open(peer_id_, *node_key_, *repository_, *storage_,
                                              *consensus_peers_, clock_, member_options,
                                              std::move(member_events)));
  consensus_peers_->SetLocal(*member_);

  consensus::ConsensusOptions options;
  options.promise_quorum = promise_quorum;
  options.expiration_ms = config_.cluster_round_timeout_ms;
  options.tick = [member = member_.get()] { member->Recover(); };
  consensus::ConsensusEvents events;
  events.on_round = [rounds, promise_seconds, commit_seconds](const consensus::RoundReport& r) {
    auto it = rounds->find({static_cast<int>(r.op), r.outcome});
    if (it != rounds->end()) it->second->Increment();
    (*promise_seconds)[static_cast<int>(r.op)]->Observe(r.promise_seconds);
    if (r.op == cluster::wire::ConsensusOp::kCommit && r.outcome == "decided") {
      commit_seconds->Observe(r.commit_seconds);
    }
  };
  events.on_vote_refused = on_refused;
  events.on_retry = [retries] { retries->Increment(); };
  coordinator_ = std::make_unique<consensus::ConsensusRepo>(
      peer_id_, *local_repo_, *consensus_peers_, clock_, std::move(options), std::move(events));
  return OpenAntiEntropy();
}

Status Server::OpenAntiEntropy() {
  namespace repair = cluster::repair;
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * rounds,
      metrics_.AddCounter("optimystic_anti_entropy_rounds_total",
                          "Anti-entropy rounds: comparisons of this node's block digests with "
                          "every reachable peer's.",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * differing,
      metrics_.AddCounter("optimystic_anti_entropy_buckets_differing_total",
                          "Ring ranges whose digest differed from a peer's.", {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * repaired,
      metrics_.AddCounter("optimystic_anti_entropy_blocks_repaired_total",
                          "Blocks anti-entropy brought forward from their other replicas.", {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * replayed,
      metrics_.AddCounter("optimystic_anti_entropy_actions_replayed_total",
                          "Committed actions anti-entropy replayed from other replicas.", {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * failures,
      metrics_.AddCounter("optimystic_anti_entropy_failures_total",
                          "Peers that could not be compared and blocks that could not be "
                          "repaired (too few replicas answered, histories disagreed).",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * hints,
      metrics_.AddCounter("optimystic_read_repair_hints_sent_total",
                          "Blocks this node's reads found behind on another replica, which was "
                          "asked to repair them.",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * read_repaired,
      metrics_.AddCounter("optimystic_read_repair_blocks_repaired_total",
                          "Blocks a read found behind here, brought forward from their other "
                          "replicas.",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * read_failures,
      metrics_.AddCounter("optimystic_read_repair_failures_total",
                          "Read-repair hints that could not be sent and blocks that could not be "
                          "repaired.",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * dropped,
      metrics_.AddCounter("optimystic_read_repair_dropped_total",
                          "Read-repair requests and hints dropped because the queue was full.",
                          {}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Counter * handed,
      metrics_.AddCounter("optimystic_handoff_blocks_fetched_total",
                          "Blocks this node fetched from their holders as ranges moved to it "
                          "(joining, or another member's join or leave).",
                          {}));
  const char* handoff_help =
      "Blocks of the last hand-off pass: those found to fetch, and those checked so far.";
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Gauge * handoff_found,
      metrics_.AddGauge("optimystic_handoff_blocks", handoff_help, {{"state", "found"}}));
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      metrics::Gauge * handoff_checked,
      metrics_.AddGauge("optimystic_handoff_blocks", handoff_help, {{"state", "checked"}}));
  repair::AntiEntropyOptions options;
  options.interval_ms = config_.cluster_anti_entropy_ms;
  repair::AntiEntropyEvents events;
  events.on_repaired = [this](const block::BlockId& id, size_t actions, uint64_t rev) {
    logger_.Log(logging::LogLevel::kInfo, "repaired block " + id + ": replayed " +
                                              std::to_string(actions) +
                                              " action(s) from its replicas, now at rev " +
                                              std::to_string(rev));
  };
  events.on_failure = [this](const std::string& what) {
    logger_.Log(logging::LogLevel::kWarn, "anti-entropy: " + what);
  };
  events.on_round = [rounds, differing, repaired, replayed,
                     failures](const repair::RoundReport& report) {
    rounds->Increment();
    differing->Increment(static_cast<double>(report.buckets_differing));
    repaired->Increment(static_cast<double>(report.blocks_repaired));
    replayed->Increment(static_cast<double>(report.actions_replayed));
    failures->Increment(static_cast<double>(report.failures));
  };
  events.on_read_repair = [hints, read_repaired, read_failures,
                           dropped](const repair::ReadRepairReport& report) {
    hints->Increment(static_cast<double>(report.hints_sent));
    read_repaired->Increment(static_cast<double>(report.blocks_repaired));
    read_failures->Increment(static_cast<double>(report.failures));
    dropped->Increment(static_cast<double>(report.dropped));
  };
  // Progress of a hand-off, logged when it has anything to move.
  auto last_fetched = std::make_shared<size_t>(0);
  events.on_hand_off = [this, handed, handoff_found, handoff_checked,
                        last_fetched](const repair::HandOffReport& report) {
    if (report.blocks_checked == 0) *last_fetched = 0;
    handed->Increment(static_cast<double>(report.blocks_fetched - *last_fetched));
    *last_fetched = report.blocks_fetched;
    handoff_found->Set(static_cast<double>(report.blocks_found));
    handoff_checked->Set(static_cast<double>(report.blocks_checked));
    if (report.blocks_found > 0 || report.failures > 0) {
      logger_.Log(logging::LogLevel::kInfo,
                  "hand-off: " + std::to_string(report.blocks_checked) + " of " +
                      std::to_string(report.blocks_found) + " block(s) checked, " +
                      std::to_string(report.blocks_fetched) + " fetched (" +
                      std::to_string(report.actions_replayed) + " action(s)), from " +
                      std::to_string(report.peers_asked) + " peer(s), " +
                      std::to_string(report.failures) + " failure(s)");
    }
  };
  repair_peers_ = std::make_unique<repair::MembershipRepairPeers>(*consensus_peers_);
  anti_entropy_ = std::make_unique<repair::AntiEntropy>(
      peer_id_, *repository_, *repair_peers_, *member_, options, std::move(events));
  return Status::Ok();
}

Status Server::OpenCollections() {
  // A pend given to other peers is a promise (a vote), so it must survive a crash.
  core::repository::RepositoryOptions repository_options;
  repository_options.sync_pends = config_.cluster_replication > 1;
  repository_options.replicated = config_.cluster_replication > 1;
  repository_ = std::make_unique<core::repository::Repository>(*storage_, repository_options);
  local_repo_ = std::make_unique<cluster::network::LocalPeerRepo>(*repository_);
  OPTIMYSTIC_RETURN_IF_ERROR(OpenConsensus());
  cluster::wire::CallOptions call;
  call.sender = peer_id_;
  call.clock = &clock_;
  network_ = std::make_unique<cluster::network::MembershipNetwork>(*membership_, *coordinator_,
                                                                   transport_.get(), call);
  cluster::network::NetworkTransactorOptions options;
  options.on_lagging_commit = [this](const transactor::LaggingCommit& lag) {
    logger_.Log(logging::LogLevel::kWarn, "block " + lag.block_id + " did not take action " +
                                              lag.action_id + " at rev " + std::to_string(lag.rev) +
                                              ": " + lag.reason);
  };
  if (config_.cluster_read_repair && config_.cluster_replication > 1) {
    options.on_replicas_behind = [repair = anti_entropy_.get()](
                                     const std::string& peer,
                                     const std::vector<block::BlockId>& blocks) {
      repair->ReportBehind(peer, blocks);
    };
  }
  transactor_ =
      std::make_unique<cluster::network::NetworkTransactor>(*network_, std::move(options));

  // Every loaded collection plugin's type is served. Listing a type under collections.types gives
  // it settings and a resolver (and makes ValidateCollections check that its plugin is loaded);
  // an unlisted one gets its defaults.
  runtime::services::CollectionTypeMap types;
  for (const std::string& name : plugins_.Names(PluginKind::kCollection)) {
    auto factory =
        plugins_.Factory<collections::CollectionTypeFactory>(PluginKind::kCollection, name);
    if (!factory) return factory.error();
    hosts_.push_back(MakeHost("collection." + name));
    auto type = (*factory)->Create(config_.CollectionTypeSettings(name), *hosts_.back());
    if (!type) return type.error().WithContext("open collection." + name);
    // Clients name a type by its YAML key; the engine compares it with the type's own name.
    if ((*type)->name() != name) {
      return Status::Incompatible("plugin collection." + name + " makes type '" +
                                  std::string((*type)->name()) + "', expected '" + name + "'");
    }
    types.emplace(name, type->get());
    collection_types_.push_back(std::move(*type));
  }

  core::collection::CollectionServices services;
  services.clock = &clock_;
  services.random = &random_;
  services.latches = &latches_;
  services.sleep_ms = [](int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  // optimystic_conflicts_resolved_total is counted by the registry's resolvers themselves.
  runtime::conflict::ConflictResolverRegistry* registry = resolvers_.get();
  runtime::services::ResolverLookup lookup =
      [registry, types](std::string_view type,
                        std::string_view collection) -> Result<const conflict::ConflictResolver*> {
    auto it = types.find(type);
    if (it == types.end()) return Status::NotFound("unknown collection type " + std::string(type));
    return registry->Lookup(*it->second, collection);
  };
  database_ = std::make_unique<runtime::services::EngineDatabase>(
      *transactor_, std::move(types), std::move(lookup), std::move(services));
  return Status::Ok();
}

namespace {

// Publishes a storage engine's Stats() as metrics, refreshed at every scrape.
class StorageStatsPublisher {
 public:
  static Result<std::function<void()>> Make(metrics::MetricsRegistry& m,
                                            const storage::StorageEngine* const& engine,
                                            const std::string& plugin) {
    metrics::Labels l = {{"plugin", plugin}};
    auto p = std::make_shared<StorageStatsPublisher>();
    p->engine_ = &engine;
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        p->keys_, m.AddGauge("optimystic_storage_keys", "Live keys in the storage engine.", l));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        p->live_, m.AddGauge("optimystic_storage_live_bytes", "Bytes of live keys and values.", l));
    OPTIMYSTIC_ASSIGN_OR_RETURN(p->disk_, m.AddGauge("optimystic_storage_disk_bytes",
                                                     "Bytes the storage engine uses on disk.", l));
    const char* ops_help = "Storage engine operations, by operation.";
    OPTIMYSTIC_ASSIGN_OR_RETURN(p->gets_,
                                m.AddCounter("optimystic_storage_operations_total", ops_help,
                                             {{"plugin", plugin}, {"op", "get"}}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(p->scans_,
                                m.AddCounter("optimystic_storage_operations_total", ops_help,
                                             {{"plugin", plugin}, {"op", "scan"}}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(p->writes_,
                                m.AddCounter("optimystic_storage_operations_total", ops_help,
                                             {{"plugin", plugin}, {"op", "write"}}));
    OPTIMYSTIC_ASSIGN_OR_RETURN(p->read_bytes_, m.AddCounter("optimystic_storage_read_bytes_total",
                                                             "Bytes read from storage.", l));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        p->write_bytes_,
        m.AddCounter("optimystic_storage_write_bytes_total", "Bytes written to storage.", l));
    OPTIMYSTIC_ASSIGN_OR_RETURN(
        p->errors_, m.AddCounter("optimystic_storage_errors_total", "Storage engine errors.", l));
    return std::function<void()>([p] { p->Refresh(); });
  }

 private:
  void Refresh() {
    std::lock_guard lock(mu_);  // scrapes may run on several exposer threads
    const storage::StorageEngine* engine = *engine_;
    if (engine == nullptr) return;
    storage::StorageStats s = engine->Stats();
    keys_->Set(static_cast<double>(s.keys));
    live_->Set(static_cast<double>(s.live_bytes));
    disk_->Set(static_cast<double>(s.disk_bytes));
    AdvanceTo(gets_, s.reads_total);
    AdvanceTo(scans_, s.scans_total);
    AdvanceTo(writes_, s.writes_total);
    AdvanceTo(read_bytes_, s.bytes_read_total);
    AdvanceTo(write_bytes_, s.bytes_written_total);
    AdvanceTo(errors_, s.errors_total);
  }

  std::mutex mu_;
  const storage::StorageEngine* const* engine_ = nullptr;
  metrics::Gauge *keys_ = nullptr, *live_ = nullptr, *disk_ = nullptr;
  metrics::Counter *gets_ = nullptr, *scans_ = nullptr, *writes_ = nullptr;
  metrics::Counter *read_bytes_ = nullptr, *write_bytes_ = nullptr, *errors_ = nullptr;
};

}  // namespace

Result<StartInfo> Server::Start() {
  StartInfo info;
  OPTIMYSTIC_RETURN_IF_ERROR(PrepareDataDir(config_.data_dir));
  OPTIMYSTIC_ASSIGN_OR_RETURN(peer_id_, LoadOrCreatePeerId(config_.data_dir, config_.node_id));
  log_.set_peer_id(peer_id_);
  info.peer_id = peer_id_;
  OPTIMYSTIC_ASSIGN_OR_RETURN(cluster::identity::NodeKey key,
                              LoadOrCreateNodeKey(config_.data_dir));
  node_key_.emplace(std::move(key));
  info.public_key = base::Base32Encode(node_key_->public_key());
  started_ = true;  // from here on, Stop has something to undo
  OPTIMYSTIC_RETURN_IF_ERROR(RegisterNodeMetrics());
  OPTIMYSTIC_RETURN_IF_ERROR(OpenConflictResolvers());
  OPTIMYSTIC_RETURN_IF_ERROR(OpenStorage());
  storage_view_ = storage_.get();
  OPTIMYSTIC_ASSIGN_OR_RETURN(
      auto hook, StorageStatsPublisher::Make(metrics_, storage_view_, config_.storage_plugin));
  metrics_.AddCollectHook(std::move(hook));
  if (config_.metrics_enabled) {
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::string bound, metrics_.Serve(config_.metrics_listen));
    info.metrics_url = "http://" + bound + "/metrics";
  }
  OPTIMYSTIC_RETURN_IF_ERROR(CreateTransport());
  OPTIMYSTIC_RETURN_IF_ERROR(OpenMembership(info.public_key));
  OPTIMYSTIC_RETURN_IF_ERROR(OpenCollections());
  OPTIMYSTIC_RETURN_IF_ERROR(RegisterClusterMetrics());
  OPTIMYSTIC_RETURN_IF_ERROR(Listen(info));
  logger_.Log(logging::LogLevel::kInfo,
              "started: data_dir=" + config_.data_dir + " public_key=" + info.public_key +
                  " storage=" + config_.storage_plugin +
                  " metrics=" + (info.metrics_url.empty() ? "off" : info.metrics_url) +
                  " client=" + (info.client_url.empty() ? "none" : info.client_url));
  return info;
}

void Server::Stop() {
  if (!started_) return;
  started_ = false;
  logger_.Log(logging::LogLevel::kInfo, "stopping: draining and closing in reverse order");
  if (membership_change_) membership_change_->Stop();  // a leave under way gives up
  {
    std::lock_guard lock(leave_mu_);
    if (leave_thread_.joinable()) leave_thread_.join();
  }
  membership_change_.reset();  // no more hand-off passes or announcements
  if (membership_) {
    membership_->Stop();  // no more probes over the transport
  }
  if (transport_) {
    Status s = transport_->Close();
    if (!s.ok()) logger_.Log(logging::LogLevel::kWarn, "close transport: " + s.ToString());
  }
  if (handler_) {
    handler_->Drain();  // requests already handed to workers finish before what they use goes
  }
  metrics_.StopServing();
  // No request runs once the transport is closed: the collection stack goes before storage.
  database_.reset();
  collection_types_.clear();
  transactor_.reset();
  network_.reset();
  anti_entropy_.reset();  // stops its rounds, which use the member and the repository
  repair_peers_.reset();
  coordinator_.reset();  // stops its retries and recovery ticks
  member_.reset();
  consensus_peers_.reset();
  repository_.reset();
  storage_view_ = nullptr;
  if (storage_) {
    Status s = storage_->Close();
    if (!s.ok()) logger_.Log(logging::LogLevel::kError, "close storage: " + s.ToString());
  }
  handler_.reset();
  repo_service_.reset();
  members_service_.reset();
  consensus_service_.reset();
  repair_service_.reset();
  fault_service_.reset();
  leave_service_.reset();
  local_repo_.reset();
  membership_.reset();
  transport_.reset();
  storage_.reset();
  logger_.Log(logging::LogLevel::kInfo, "stopped");
}

}  // namespace optimystic::server
