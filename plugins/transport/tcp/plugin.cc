// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/transport/transport.h>

#include "transport/tcp/tcp_transport_factory.h"

namespace optimystic::plugins::transport_tcp {
namespace {

void* GetFactory(const char* iface, uint32_t iface_version) {
  static TcpTransportFactory factory;
  return abi::OfferFactory(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::transport_tcp

OPTIMYSTIC_DEFINE_PLUGIN(transport_tcp, OPTIMYSTIC_KIND_TRANSPORT, "transport.tcp", "0.1.0",
                         &optimystic::plugins::transport_tcp::GetFactory)
