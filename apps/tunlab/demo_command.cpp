// tunlab demo: the seed's own example program. It opens tun0 and prints how many bytes each packet
// read from it has, while app A sends a few packets towards 10.0.0.22. On the simulator by default;
// demo_real.cpp does the same on the kernel.
#include <fmt/format.h>

#include "commands.hpp"
#include "demo.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/sim/network.hpp"
#include "tunlab/wire/packet_builder.hpp"

namespace tunlab::cli {

std::vector<Packet> demo_packets() {
  const Ipv4Address a("10.0.0.12");
  const Ipv4Address c("10.0.0.22");
  std::vector<Packet> packets;
  const std::size_t payloads[] = {0, 64, 512, 1400};
  for (std::size_t i = 0; i < std::size(payloads); ++i) {
    packets.push_back(build_udp({.src = a,
                                 .dst = c,
                                 .src_port = 40000,
                                 .dst_port = 9000,
                                 .payload_size = payloads[i],
                                 .payload_seed = static_cast<std::uint32_t>(i)}));
  }
  packets.push_back(build_icmp_echo({.src = a, .dst = c, .ident = 1, .sequence = 1}));
  return packets;
}

namespace {

int run_demo_sim(std::FILE* out) {
  scenario::Scenario s = scenario::seed_topology();
  s.tunnels.clear();  // the demo program takes app B's place on left's tun0
  std::unique_ptr<sim::Network> network = sim::Network::from_scenario(s, 1);
  sim::SimDevice* tun0 = network->find_device("left", "tun0");
  std::size_t reads = 0;
  tun0->set_reader([&] {
    Packet packet;
    while (tun0->read(packet).ok()) {
      fmt::print(out, "Read {} bytes from device {}\n", packet.size(), tun0->name());
      ++reads;
    }
  });
  sim::Host& left = network->host("left");
  const std::vector<Packet> packets = demo_packets();
  sim::Time at = 0;
  for (const Packet& packet : packets) {
    network->events().schedule(at, [&left, &packet] { left.send_from_app(Packet(packet)); });
    at += 1'000'000;
  }
  network->run();
  return reads == packets.size() ? kExitOk : kExitFailed;
}

}  // namespace

void add_demo_command(CLI::App& app, int& exit_code) {
  auto backend = std::make_shared<std::string>("sim");
  CLI::App* demo = app.add_subcommand("demo", "The seed's program: read tun0, print the size of each packet");
  demo->add_option("--backend", *backend, "sim (default) or real (a namespace of its own; needs CAP_NET_ADMIN)")
      ->check(CLI::IsMember({"sim", "real"}));
  demo->callback(
      [&exit_code, backend] { exit_code = *backend == "real" ? run_demo_real(stdout) : run_demo_sim(stdout); });
}

}  // namespace tunlab::cli
