// Renders reports: the page template (report/report.html, embedded at build time) with one JSON
// data block. The template draws everything from that block, so the C++ side only gathers data.
#include <fstream>
#include <map>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report_json.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/report/markup_escape.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/input_error.hpp"

namespace tunlab::report {

extern const char* const kReportTemplate;  // report_template.cpp, generated from report/report.html

namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the report's own helpers

constexpr std::string_view kDataMarker = "/*TUNLAB-DATA*/";
constexpr std::string_view kTitleMarker = "TUNLAB-TITLE";

// JSON inside <script>: "</" would end the element early. "<\/" is the same JSON string.
std::string script_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    out.push_back(json[i]);
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      out.push_back('\\');
    }
  }
  return out;
}

void replace_once(std::string& text, std::string_view marker, const std::string& with) {
  const std::size_t at = text.find(marker);
  if (at != std::string::npos) {
    text.replace(at, marker.size(), with);
  }
}

std::string page(const std::string& title, const std::string& data) {
  std::string html = kReportTemplate;
  replace_once(html, kTitleMarker, markup_escape(title));
  replace_once(html, kDataMarker, data);
  return html;
}

// The fields that tell two normalised packets apart, for marking a row of the diff.
std::vector<std::string> differing_fields(const Json& a, const Json& b) {
  std::vector<std::string> out;
  for (const char* part : {"h", "i"}) {
    if (!a.contains(part) || !b.contains(part)) {
      if (a.contains(part) != b.contains(part)) {
        out.emplace_back(part[0] == 'h' ? "header" : "inner packet");
      }
      continue;
    }
    for (const auto& [key, value] : a[part].items()) {
      if (key == "id" || key == "q") {
        continue;
      }
      if (!b[part].contains(key) || b[part][key] != value) {
        out.push_back((part[0] == 'i' ? "inner " : "") + key);
      }
    }
    for (const auto& [key, value] : b[part].items()) {
      if (!a[part].contains(key) && key != "id" && key != "q") {
        out.push_back((part[0] == 'i' ? "inner " : "") + key);
      }
    }
  }
  return out;
}

Json packet_json(const PcapRecord& record) {
  Json p;
  p["t"] = record.time_ns;
  if (const auto ip = Ipv4View::parse(record.bytes)) {
    p["h"] = header_json(*ip);
    if (ip->protocol() == ipproto::kIpip && ip->fragment_offset_bytes() == 0) {
      if (auto inner = Ipv4View::parse(ip->payload())) {
        p["i"] = header_json(*inner);
      }
    }
  }
  return p;
}

std::map<std::string, std::filesystem::path> pcaps_in(const std::filesystem::path& dir) {
  std::map<std::string, std::filesystem::path> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pcap") {
      out[entry.path().stem().string()] = entry.path();
    }
  }
  return out;
}

}  // namespace

std::string render_run_report(const RunSummary& summary, const std::string& summary_json, const RunRecorder& recorder) {
  std::string data = R"({"kind":"run","summary":)";
  data += script_safe(summary_json);
  data += R"(,"run":)";
  data += script_safe(recorder.to_json());
  data += "}";
  return page(fmt::format("tunlab {}: {} ({}, seed {})", summary.passed() ? "PASS" : "FAIL", summary.scenario,
                          summary.backend, summary.seed),
              data);
}

std::string render_sweep_report(const std::string& summary_json, const SweepFailureRun& first_failure) {
  std::string data = R"({"kind":"sweep","summary":)";
  data += script_safe(summary_json);
  if (first_failure.summary != nullptr && first_failure.recorder != nullptr) {
    data += R"(,"run_summary":)";
    data += script_safe(first_failure.summary->to_json());
    data += R"(,"run":)";
    data += script_safe(first_failure.recorder->to_json());
  }
  data += "}";
  std::string title = "tunlab sweep";
  try {
    const Json j = Json::parse(summary_json);
    title = fmt::format("tunlab sweep {}: {} of {} seeds failed", j.value("scenario", std::string()),
                        j.value("failed", 0), j.value("seeds", 0));
  } catch (const nlohmann::json::exception&) {
  }
  return page(title, data);
}

std::string render_diff_report(const std::filesystem::path& a, const std::filesystem::path& b,
                               const std::vector<CaptureDifference>& differences) {
  Json summary;
  summary["a"] = a.string();
  summary["b"] = b.string();
  summary["same"] = differences.empty();
  summary["differences"] = Json::array();
  for (const CaptureDifference& d : differences) {
    summary["differences"].push_back({{"capture", d.capture}, {"what", d.what}});
  }
  const auto in_a = pcaps_in(a);
  const auto in_b = pcaps_in(b);
  std::map<std::string, std::pair<std::filesystem::path, std::filesystem::path>> names;
  for (const auto& [name, path] : in_a) {
    names[name].first = path;
  }
  for (const auto& [name, path] : in_b) {
    names[name].second = path;
  }
  Json captures = Json::array();
  for (const auto& [name, paths] : names) {
    Json c;
    c["name"] = name;
    const auto read = [](const std::filesystem::path& p) {
      return p.empty() ? std::vector<PcapRecord>{} : read_ipv4_pcap(p, NonIpv4Frames::skip);
    };
    const std::vector<PcapRecord> ra = read(paths.first);
    const std::vector<PcapRecord> rb = read(paths.second);
    c["in_a"] = !paths.first.empty();
    c["in_b"] = !paths.second.empty();
    // Per flow (outer source > destination), in first-appearance order across both sides.
    std::vector<std::string> order;
    std::map<std::string, std::pair<std::vector<const PcapRecord*>, std::vector<const PcapRecord*>>> flows;
    const auto flow_of = [](const PcapRecord& r) {
      const auto ip = Ipv4View::parse(r.bytes);
      return ip ? ip->src().to_string() + " > " + ip->dst().to_string() : std::string("non-IPv4");
    };
    for (const auto* side : {&ra, &rb}) {
      for (const PcapRecord& r : *side) {
        const std::string f = flow_of(r);
        if (flows.count(f) == 0) {
          order.push_back(f);
        }
        (side == &ra ? flows[f].first : flows[f].second).push_back(&r);
      }
    }
    Json flow_list = Json::array();
    std::size_t differing = 0;
    for (const std::string& f : order) {
      const auto& [fa, fb] = flows[f];
      Json rows = Json::array();
      for (std::size_t i = 0; i < std::max(fa.size(), fb.size()); ++i) {
        Json row;
        if (i < fa.size()) {
          row["a"] = packet_json(*fa[i]);
        }
        if (i < fb.size()) {
          row["b"] = packet_json(*fb[i]);
        }
        if (i < fa.size() && i < fb.size()) {
          if (normalise_ipv4(fa[i]->bytes) != normalise_ipv4(fb[i]->bytes)) {
            std::vector<std::string> fields = differing_fields(row["a"], row["b"]);
            if (fields.empty()) {
              fields.emplace_back("payload bytes");
            }
            row["diff"] = fields;
            ++differing;
          }
        } else {
          row["diff"] = std::vector<std::string>{i < fa.size() ? "only in A" : "only in B"};
          ++differing;
        }
        rows.push_back(row);
      }
      flow_list.push_back({{"flow", f}, {"rows", rows}});
    }
    c["flows"] = flow_list;
    c["differing"] = differing;
    captures.push_back(c);
  }
  const std::string summary_json = summary.dump(2);
  std::string data = R"({"kind":"diff","summary":)";
  data += script_safe(summary_json);
  data += R"(,"diff":)";
  data += script_safe(Json{{"captures", captures}}.dump());
  data += "}";
  return page(fmt::format("tunlab diff: {} vs {} ({})", a.string(), b.string(),
                          differences.empty() ? "no difference" : fmt::format("{} differences", differences.size())),
              data);
}

void write_report(const std::filesystem::path& path, const std::string& html) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw InputError(path.string() + ": --report: cannot write the report");
  }
  out.write(html.data(), static_cast<std::streamsize>(html.size()));
  out.close();
  if (!out) {
    throw InputError(path.string() + ": --report: write failed");
  }
}

}  // namespace tunlab::report
