// SPDX-License-Identifier: Apache-2.0
#include "transport/nng/nng_transport_factory.h"

#include "transport/nng/nng_options.h"
#include "transport/nng/nng_transport.h"

#include <string>
#include <utility>

namespace optimystic::plugins::transport_nng {

Status NngTransportFactory::Validate(const config::Settings& settings) const noexcept {
  return ParseNngOptions(settings).status();
}

Result<std::unique_ptr<transport::Transport>> NngTransportFactory::Create(
    const config::Settings& settings, host::HostServices& host) noexcept {
  OPTIMYSTIC_ASSIGN_OR_RETURN(NngOptions options, ParseNngOptions(settings));
  const std::string summary = "max_message_bytes " + std::to_string(options.max_message_bytes) +
                              (options.tls.has_value() ? ", tls on" : ", tls off");
  OPTIMYSTIC_ASSIGN_OR_RETURN(std::unique_ptr<NngTransport> transport,
                              NngTransport::Create(std::move(options), host));
  host.logger().Log(logging::LogLevel::kInfo, "transport.nng: ready (" + summary + ")");
  return std::unique_ptr<transport::Transport>(std::move(transport));
}

}  // namespace optimystic::plugins::transport_nng
