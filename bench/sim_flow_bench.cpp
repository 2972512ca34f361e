// Simulator full-flow throughput: UDP datagrams from app A through left's stack, tun0, app B
// (IPIP), eth0, wan, right's eth0, app B' and right's tun0 to app C, in packets per second of
// host CPU time. Captures are off, as in a sweep; the per-hop path moves one buffer per packet.
#include <benchmark/benchmark.h>

#include "counting_new.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace {

using tunlab::sim::Network;

void BM_SeedFlowUdp(benchmark::State& state) {
  const auto payload = static_cast<std::size_t>(state.range(0));
  constexpr int kPacketsPerIteration = 1000;
  const tunlab::scenario::Scenario topology = tunlab::scenario::seed_topology();
  std::unique_ptr<Network> network = Network::from_scenario(topology, 1);
  tunlab::sim::Host& left = network->host("left");
  const tunlab::UdpSpec spec{.src = tunlab::Ipv4Address("10.0.0.12"),
                             .dst = tunlab::Ipv4Address("10.0.0.22"),
                             .src_port = 40000,
                             .dst_port = 9000,
                             .payload_size = payload};
  std::uint64_t delivered_before = 0;
  const std::uint64_t allocations_before = tunlab::test::heap_allocations();
  for (auto _ : state) {
    for (int i = 0; i < kPacketsPerIteration; ++i) {
      tunlab::Packet packet = tunlab::build_udp(spec);
      packet.origin = network->accounting().inject();
      left.send_from_app(std::move(packet));
      network->events().run_until(Network::kForever);
    }
  }
  const std::uint64_t delivered = network->accounting().delivered_count() - delivered_before;
  if (delivered != static_cast<std::uint64_t>(state.iterations()) * kPacketsPerIteration) {
    state.SkipWithError("not every packet was delivered");
  }
  // Building the packet at app A allocates its buffer once; the hops after that should add nothing
  // but the occasional growth of a queue or of the accounting table.
  state.counters["allocations_per_packet"] =
      static_cast<double>(tunlab::test::heap_allocations() - allocations_before) / static_cast<double>(delivered);
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  state.SetBytesProcessed(static_cast<std::int64_t>(delivered * payload));
  state.counters["packets_per_second"] =
      benchmark::Counter(static_cast<double>(delivered), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SeedFlowUdp)->Arg(64)->Arg(1400)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
