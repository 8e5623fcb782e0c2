// SPDX-License-Identifier: Apache-2.0
// The transport benchmarks: request/reply round trips over the tcp plugin on loopback, plain and
// with mutual TLS, for 1 KiB and 64 KiB payloads, one at a time (latency: p50_us and p99_us
// counters) and with 8 in flight (msgs_per_s), each next to a raw Boost.Asio echo of the same
// length-prefixed frames (blocking sockets, one server thread; the same TLS setup) measured in
// the same run. Certificates are made at start with the tests' throwaway CA.
// Thread-safety: registration and the benchmarks run on Google Benchmark's thread. Errors: a
// transport or socket that fails ends its benchmark with SkipWithError.
#pragma once

#include "ratio_reporter.h"

#include <benchmark/benchmark.h>

#include <vector>

namespace optimystic::bench {

std::vector<benchmark::internal::Benchmark*> RegisterTransportBenchmarks();
// The (tcp plugin, raw Asio) pairs of the ratio table.
std::vector<RatioRow> TransportRatios();

}  // namespace optimystic::bench
