// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the wire envelope decoder (cluster/wire/envelope.h) and the dispatcher
// behind the node's transport. Built only with -DOPTIMYSTIC_FUZZ=ON and clang; run it with
// scripts/fuzz. For every input it checks the decoder's contract, not only that nothing crashes:
// an accepted input is the one canonical encoding of what it decoded to, and the dispatcher's
// reply to any input is itself a valid envelope. A broken contract aborts, which libFuzzer
// reports as a crash with the input saved.
// Thread-safety: libFuzzer calls the entry point from one thread.
#include <optimystic/time/clock.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "cluster/membership/ping_handler.h"
#include "cluster/wire/envelope.h"
#include "cluster/wire/message_dispatcher.h"

namespace {

using optimystic::cluster::wire::DecodeEnvelope;
using optimystic::cluster::wire::EncodeEnvelope;
using optimystic::cluster::wire::Envelope;
using optimystic::cluster::wire::MessageDispatcher;
using optimystic::cluster::wire::MessageType;

// A clock that never moves, so that a run replays exactly.
class StillClock final : public optimystic::time::Clock {
 public:
  int64_t NowUnixMs() const noexcept override { return 1764612000000; }
  int64_t SteadyNs() const noexcept override { return 0; }
};

[[noreturn]] void Broken(const char* what) {
  std::fprintf(stderr, "envelope_fuzz: contract broken: %s\n", what);
  std::abort();
}

// The router the node runs, built once for the whole run.
struct Node {
  StillClock clock;
  optimystic::cluster::membership::PingHandler ping{"fuzz-node", "0.0.0"};
  std::unique_ptr<MessageDispatcher> dispatcher;

  Node() {
    auto d = MessageDispatcher::Create("fuzz-node", clock);
    if (!d || !(*d)->Register(MessageType::kPing, ping).ok()) {
      Broken("cannot build the dispatcher");
    }
    dispatcher = std::move(*d);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Node node;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  optimystic::Result<Envelope> envelope = DecodeEnvelope(bytes);
  if (envelope) {
    optimystic::Result<std::string> again = EncodeEnvelope(*envelope);
    if (!again || *again != bytes) {
      Broken("an accepted envelope does not re-encode to its own bytes");
    }
  } else if (envelope.error().message().empty()) {
    Broken("an error without a message");
  }
  if (!DecodeEnvelope(node.dispatcher->Dispatch(bytes))) {
    Broken("the reply is not a valid envelope");
  }
  return 0;
}
