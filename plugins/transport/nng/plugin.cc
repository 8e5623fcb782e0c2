// SPDX-License-Identifier: Apache-2.0
#include <optimystic/abi/plugin_entry.h>
#include <optimystic/transport/transport.h>

#include "transport/nng/nng_transport_factory.h"

namespace optimystic::plugins::transport_nng {
namespace {

void* GetFactory(const char* iface, uint32_t iface_version) {
  static NngTransportFactory factory;
  return abi::OfferFactory(iface, iface_version, factory);
}

}  // namespace
}  // namespace optimystic::plugins::transport_nng

OPTIMYSTIC_DEFINE_PLUGIN(transport_nng, OPTIMYSTIC_KIND_TRANSPORT, "transport.nng", "0.1.0",
                         &optimystic::plugins::transport_nng::GetFactory)
