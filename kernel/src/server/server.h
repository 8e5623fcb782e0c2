// SPDX-License-Identifier: Apache-2.0
// Server: the composition root. It builds the node from a validated NodeConfig in three steps,
// each reporting a different class of failure so that main() can choose the exit status:
// LoadPlugins (the environment: plugin folders and libraries), ValidateConfig (the config
// against what the plugins offer: names and plugin settings), Start (data dir, storage,
// metrics, transport). Stop undoes Start in reverse order. It holds no logic of its own beyond
// wiring; everything it builds is an ordinary object it owns.
// Thread-safety: call every method from one thread.
// Errors: Status values with context; nothing throws.
#pragma once

#include <optimystic/base/result.h>
#include <optimystic/storage/storage_engine.h>
#include <optimystic/transport/transport.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "base/system_clock.h"
#include "cluster/consensus/cluster_member.h"
#include "cluster/consensus/consensus_repo.h"
#include "cluster/consensus/consensus_service.h"
#include "cluster/consensus/membership_peers.h"
#include "cluster/identity/node_key.h"
#include "cluster/membership/cluster_view.h"
#include "cluster/membership/members_service.h"
#include "cluster/membership/membership.h"
#include "cluster/network/membership_network.h"
#include "cluster/network/network_transactor.h"
#include "cluster/network/peer_repo.h"
#include "cluster/network/repo_service.h"
#include "cluster/repair/anti_entropy.h"
#include "cluster/repair/handoff.h"
#include "cluster/repair/repair_peers.h"
#include "cluster/repair/repair_service.h"
#include "core/collection/latch_table.h"
#include "core/repository/repository.h"
#include "runtime/config/node_config.h"
#include "runtime/conflict/resolver_registry.h"
#include "runtime/logging/spdlog_logger.h"
#include "runtime/metrics/prometheus_metrics.h"
#include "runtime/plugin/plugin_registry.h"
#include "runtime/services/engine_database.h"
#include "server/fault_injection.h"
#include "server/leave_service.h"
#include "server/plugin_host.h"
#include "server/request_router.h"
#include "server/secure_random_source.h"

namespace optimystic::server {

struct StartInfo {
  std::string peer_id;
  std::string public_key;   // the node key's Ed25519 public key, base32
  std::string metrics_url;  // empty when metrics are disabled
  std::string client_url;   // empty when no transport is configured
};

class Server {
 public:
  Server(runtime::config::NodeConfig config, runtime::logging::LogOutput& log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Scans the configured plugin folders (and the installation's, unless
  // plugins.include_builtin is false). A missing folder or a refused library is an error.
  Status LoadPlugins();
  // Checks every plugin the config names exists, and lets each plugin's factory validate its
  // settings. Opens nothing. Errors are config errors naming file, line and YAML path.
  Status ValidateConfig();
  // REQUIRES: LoadPlugins and ValidateConfig succeeded.
  Result<StartInfo> Start();
  // Stops accepting work and closes everything in reverse order of opening. Idempotent.
  void Stop();

  // Hands this node's ranges on and leaves the cluster (cluster.leave_timeout_ms at most);
  // OK at once for a node without seeds or already left. `optimystic cluster leave` and SIGTERM
  // with cluster.leave_on_shutdown run it.
  Status Leave();
  // Called once this node has left (for `optimystic cluster leave`: the node then stops).
  void OnLeft(std::function<void()> on_left);

  // The node's metrics, e.g. for tests and for services added later.
  runtime::metrics::PrometheusMetrics& metrics() noexcept { return metrics_; }

  // The node's conflict resolvers (built-ins and conflict plugins'); null before Start.
  runtime::conflict::ConflictResolverRegistry* conflict_resolvers() noexcept {
    return resolvers_.get();
  }

  // The node's collections (EngineDatabase over the NetworkTransactor), what the client service
  // serves; null before Start and after Stop.
  runtime::services::Database* database() noexcept { return database_.get(); }

  // The installation's plugin folder, relative to the running executable.
  static std::string BuiltinPluginDir();

 private:
  Status ValidateStorage();
  Status ValidateTransport();
  Status ValidateCollections();
  Status RegisterNodeMetrics();
  Status OpenConflictResolvers();
  Status OpenStorage();
  // The transport plugin's transport (not listening yet), when one is configured.
  Status CreateTransport();
  // The node's membership: this node, its seeds and the ring over what it learns.
  Status OpenMembership(const std::string& public_key);
  // Repository, the peer network and NetworkTransactor over it, the configured collection
  // types, and the EngineDatabase over them. REQUIRES: OpenStorage, OpenConflictResolvers,
  // CreateTransport and OpenMembership done.
  Status OpenCollections();
  Status RegisterClusterMetrics();
  // The member, the coordinator and their metrics. REQUIRES: repository_ and local_repo_ open.
  Status OpenConsensus();
  // Anti-entropy between replicas and its metrics. REQUIRES: the member open.
  Status OpenAntiEntropy();
  // Joining and leaving (cluster/repair/handoff.h), for a node with seeds.
  void StartMembershipChange();
  // The file that says whether this node last joined its cluster ("joined") or left it
  // ("left"); absent: neither, since its data dir was made.
  std::string MemberMarker() const;
  // Starts a leave on leave_thread_ (cluster.leave); the role to report.
  Result<std::string> StartLeave();
  // Serves clients and peers, and starts probing the cluster.
  Status Listen(StartInfo& info);
  std::unique_ptr<PluginHost> MakeHost(const std::string& component);

  // Declared first, destroyed last: every object a plugin made must be gone before its
  // library is unloaded.
  runtime::plugin::PluginRegistry plugins_;
  runtime::config::NodeConfig config_;
  runtime::logging::LogOutput& log_;
  runtime::logging::ComponentLogger logger_;
  base::SystemClock system_clock_;
  // The node's clock: the system's, skewed only by fault injection (debug.faults skewMs).
  SkewedClock clock_{system_clock_};
  runtime::metrics::PrometheusMetrics metrics_;
  std::string peer_id_;
  std::optional<cluster::identity::NodeKey> node_key_;  // the node's Ed25519 key, from Start on
  std::vector<std::unique_ptr<PluginHost>> hosts_;
  // After hosts_ and metrics_: resolvers count into metrics_ and may keep their host.
  std::unique_ptr<runtime::conflict::ConflictResolverRegistry> resolvers_;
  std::unique_ptr<storage::StorageEngine> storage_;
  const storage::StorageEngine* storage_view_ = nullptr;  // what metrics scrapes read
  // The collection stack, in dependency order (destroyed in reverse, before storage_).
  SecureRandomSource random_;
  core::collection::LatchTable latches_;
  std::unique_ptr<transport::Transport> transport_;  // before what sends over it
  FaultInjectingTransport* fault_transport_ = nullptr;  // transport_, when fault injection is on
  std::unique_ptr<core::repository::Repository> repository_;
  std::unique_ptr<cluster::network::LocalPeerRepo> local_repo_;
  std::unique_ptr<cluster::membership::Membership> membership_;
  // Consensus among the peers of each block's cluster; the coordinator is this node's PeerRepo.
  std::unique_ptr<cluster::consensus::MembershipPeers> consensus_peers_;
  std::unique_ptr<cluster::consensus::ClusterMember> member_;
  std::unique_ptr<cluster::consensus::ConsensusRepo> coordinator_;
  // Background repair between the replicas (replication > 1), over the consensus peers.
  std::unique_ptr<cluster::repair::MembershipRepairPeers> repair_peers_;
  std::unique_ptr<cluster::repair::AntiEntropy> anti_entropy_;
  std::unique_ptr<cluster::repair::MembershipChange> membership_change_;
  std::unique_ptr<LeaveService> leave_service_;
  std::mutex leave_mu_;  // guards leave_thread_
  std::mutex leave_call_mu_;  // held through a Leave
  std::thread leave_thread_;  // a leave a client asked for (cluster.leave)
  std::atomic<bool> leave_running_{false};
  std::mutex on_left_mu_;
  std::function<void()> on_left_;
  std::unique_ptr<cluster::network::MembershipNetwork> network_;
  std::unique_ptr<cluster::network::NetworkTransactor> transactor_;
  std::vector<std::unique_ptr<collections::CollectionType>> collection_types_;
  std::unique_ptr<runtime::services::EngineDatabase> database_;
  std::unique_ptr<cluster::network::RepoService> repo_service_;
  std::unique_ptr<cluster::membership::MembersService> members_service_;
  std::unique_ptr<cluster::consensus::ConsensusService> consensus_service_;
  std::unique_ptr<cluster::repair::RepairService> repair_service_;
  std::unique_ptr<FaultInjectionService> fault_service_;
  std::unique_ptr<RequestRouter> handler_;
  bool started_ = false;
};

}  // namespace optimystic::server
