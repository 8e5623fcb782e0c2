// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/config/settings.h>
#include <optimystic/host/host_services.h>
#include <optimystic/transport/transport.h>

#include "transport/nng/nng_options.h"
#include "transport/nng/nng_transport.h"

#include <memory>
#include <string>

namespace optimystic::plugins::transport_nng {
namespace {

class NngTransportFactory final : public transport::TransportFactory {
 public:
  Status Validate(const config::Settings& settings) const noexcept override {
    return ParseNngOptions(settings).status();
  }

  Result<std::unique_ptr<transport::Transport>> Create(const config::Settings& settings,
                                                       host::HostServices& host) noexcept override {
    OPTIMYSTIC_ASSIGN_OR_RETURN(NngOptions options, ParseNngOptions(settings));
    const std::string summary = "max_message_bytes " + std::to_string(options.max_message_bytes) +
                                (options.tls.has_value() ? ", tls on" : ", tls off");
    OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<NngTransport> transport,
                                NngTransport::Create(std::move(options), host));
    host.logger().Log(logging::LogLevel::kInfo, "transport.nng: ready (" + summary + ")");
    return std::unique_ptr<transport::Transport>(std::move(transport));
  }
};

void* GetFactory(const char* iface, uint32_t iface_version) {
  static NngTransportFactory factory;
  return abi::OfferFactory(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::transport_nng

OPTIMYSTIC_DEFINE_PLUGIN(transport_nng, OPTIMYSTIC_KIND_TRANSPORT, "transport.nng", "0.1.0",
                         &optimystic::plugins::transport_nng::GetFactory)
