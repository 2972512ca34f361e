// Scenario files: traffic entries (udp, ping, tcp, raw, replay).
#include "scenario_loader_internal.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace tunlab::scenario::detail {

void Loader::load_traffic(const Value& list) {
  static constexpr std::string_view kKinds[] = {"udp", "ping", "tcp", "raw", "replay"};
  for (const Value& item : list.items("a list of traffic")) {
    if (!item.node().IsMap()) {
      item.wrong("a mapping with one of udp, ping, tcp, raw, replay");
    }
    std::vector<std::string_view> given;
    for (std::string_view kind : kKinds) {
      if (item.node()[std::string(kind)].IsDefined()) {
        given.push_back(kind);
      }
    }
    if (given.size() > 1) {
      item.fail(
          fmt::format("give one of udp, ping, tcp, raw, replay per entry, not both {} and {}", given[0], given[1]));
    }
    std::vector<std::string_view> allowed = {"at", "from"};
    if (given.empty() || given[0] != "replay") {
      allowed.insert(allowed.end(), {"count", "interval"});
    }
    if (given.empty()) {
      allowed.insert(allowed.end(), std::begin(kKinds), std::end(kKinds));
    } else {
      allowed.push_back(given[0]);
    }
    const Map m(item, allowed);
    if (given.empty()) {
      m.missing("udp", " (or ping, tcp, raw, replay): what to send");
    }
    const std::string_view kind = given[0];

    TrafficSpec t;
    t.place = item.place();
    if (auto v = m.get("at")) t.at_ns = v->duration();
    if (auto v = m.get("from")) {
      t.from = host_named(*v, v->text()).name;
    } else if (kind == "replay" && find_host(s_, "left")) {
      t.from = "left";
    } else {
      m.missing("from", kind == "replay" ? " (replay defaults to left, which this topology lacks)" : "");
    }
    if (auto v = m.get("count")) t.count = v->number_as<std::uint32_t>(1, 1'000'000'000);
    if (auto v = m.get("interval")) t.interval_ns = v->duration();
    // The last packet's time, at + (count - 1) * interval, stays within a run's longest time.
    if (t.count > 1 && t.interval_ns > 0 &&
        static_cast<std::uint64_t>(t.count - 1) >
            static_cast<std::uint64_t>((limits::kMaxDurationNs - t.at_ns) / t.interval_ns)) {
      item.fail(fmt::format("the last of {} packets would be sent after the {}s a run may last", t.count,
                            limits::kMaxDurationNs / 1'000'000'000));
    }
    item.source().traffic_packets += t.count;
    if (item.source().traffic_packets > limits::kMaxTrafficPackets) {
      item.fail(fmt::format("the traffic entries so far send {} packets, more than the {} a scenario may send",
                            item.source().traffic_packets, limits::kMaxTrafficPackets));
    }

    const Value& body = m.require(kind);
    if (kind == "raw") {
      t.kind = TrafficKind::raw;
      const std::string& hex = body.scalar("a whole IPv4 packet in hex");
      std::string digits;
      for (std::size_t i = 0; i < hex.size(); ++i) {
        const char c = hex[i];
        if (c == ' ' || c == '\n' || c == '\t') {
          continue;
        }
        if (!std::isxdigit(static_cast<unsigned char>(c))) {
          body.fail(fmt::format("'{}' at offset {} is not a hex digit", c < 0x20 ? '?' : c, i));
        }
        digits += c;
      }
      if (digits.size() % 2 != 0) {
        body.fail(fmt::format("odd number of hex digits ({})", digits.size()));
      }
      for (std::size_t i = 0; i < digits.size(); i += 2) {
        t.raw.push_back(static_cast<std::uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
      }
      const auto header = Ipv4View::parse(ByteView(t.raw));
      if (!header) {
        body.fail(
            fmt::format("not an IPv4 packet: need at least 20 bytes, version 4 and IHL >= 5 ({} bytes)", t.raw.size()));
      }
      if (t.raw.size() > 65535) {
        body.fail(fmt::format("{} bytes is longer than an IPv4 packet can be", t.raw.size()));
      }
      t.dst = header->dst();
      s_.traffic.push_back(std::move(t));
      continue;
    }
    if (kind == "replay") {
      t.kind = TrafficKind::replay;
      const std::string file = body.scalar("a pcap file path");
      if (file.empty()) {
        body.wrong("a pcap file path");
      }
      const std::filesystem::path path = (source_.folder / file).lexically_normal();
      std::error_code error;
      if (!std::filesystem::is_regular_file(path, error)) {
        body.fail(fmt::format("no such file {} (relative to the scenario's folder)", quote(file)));
      }
      t.replay = path;
      s_.traffic.push_back(std::move(t));
      continue;
    }

    // udp, ping, tcp: one header-building sub-map each.
    std::vector<std::string_view> keys = {"dst", "size", "df", "tos", "ttl", "src"};
    if (kind != "ping") {
      keys.push_back("src_port");
    }
    if (kind == "tcp") {
      keys.push_back("flags");
    }
    const Map b(body, keys, "a mapping with at least dst");
    const Value& dst = b.require("dst");
    if (kind == "ping") {
      t.kind = TrafficKind::icmp_echo;
      t.dst = dst.address();
    } else {
      t.kind = kind == "udp" ? TrafficKind::udp : TrafficKind::tcp;
      const std::string& text = dst.scalar("ADDRESS:PORT like \"10.0.0.22:9000\"");
      const std::size_t colon = text.find(':');
      const auto ip = parse_address(std::string_view(text).substr(0, colon));
      const auto port =
          colon == std::string::npos ? std::nullopt : parse_unsigned(std::string_view(text).substr(colon + 1));
      if (!ip || !port) {
        dst.wrong("ADDRESS:PORT like \"10.0.0.22:9000\"");
      }
      if (*port < 1 || *port > 65535) {
        dst.fail(fmt::format("port {} is out of range 1..65535", *port));
      }
      t.dst = *ip;
      t.dst_port = static_cast<std::uint16_t>(*port);
    }
    // Payload limits: what fits a 65535-byte IPv4 packet after IP (20) and UDP/ICMP (8) or TCP (20).
    if (auto v = b.get("size")) t.size = v->number_as<std::size_t>(0, kind == "tcp" ? 65495 : 65507);
    if (auto v = b.get("df")) t.df = v->boolean();
    if (auto v = b.get("tos")) t.tos = v->number_as<std::uint8_t>();
    if (auto v = b.get("ttl")) t.ttl = v->number_as<std::uint8_t>();
    if (auto v = b.get("src")) {
      t.src = v->address();
      t.src_set = true;
    }
    if (auto v = b.get("src_port")) t.src_port = v->number_as<std::uint16_t>(1, 65535);
    if (auto v = b.get("flags")) {
      const std::string& text = v->scalar("TCP flags like SYN|ACK or a number");
      if (parse_unsigned(text)) {
        t.tcp_flags = v->number_as<std::uint8_t>();
      } else {
        static constexpr std::pair<std::string_view, std::uint8_t> kFlags[] = {
            {"FIN", 0x01}, {"SYN", 0x02}, {"RST", 0x04}, {"PSH", 0x08},
            {"ACK", 0x10}, {"URG", 0x20}, {"ECE", 0x40}, {"CWR", 0x80}};
        std::uint8_t flags = 0;
        std::string_view rest = text;
        while (true) {
          const std::size_t bar = rest.find('|');
          std::string_view word = rest.substr(0, bar);
          while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
          while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
          const auto* flag =
              std::find_if(std::begin(kFlags), std::end(kFlags), [&](const auto& f) { return f.first == word; });
          if (flag == std::end(kFlags)) {
            v->fail(fmt::format("unknown TCP flag {} in {}; flags: FIN SYN RST PSH ACK URG ECE CWR joined by |",
                                quote(word), quote(text)));
          }
          flags = static_cast<std::uint8_t>(flags | flag->second);
          if (bar == std::string_view::npos) {
            break;
          }
          rest.remove_prefix(bar + 1);
        }
        t.tcp_flags = flags;
      }
    }
    s_.traffic.push_back(std::move(t));
  }
}

}  // namespace tunlab::scenario::detail
