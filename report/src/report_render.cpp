// Renders reports: the page template (report/report.html, embedded at build time) with one JSON
// data block. The template draws everything from that block, so the C++ side only gathers data.
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report_json.hpp"
#include "tunlab/capture/capture.hpp"
#include "tunlab/report/report.hpp"
#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"

namespace tunlab::report {

extern const char* const kReportTemplate;  // report_template.cpp, generated from report/report.html

namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): the report's own helpers

constexpr std::string_view kDataMarker = "/*TUNLAB-DATA*/";
constexpr std::string_view kTitleMarker = "TUNLAB-TITLE";
constexpr std::size_t kMaxDiffRows = 20'000;  // packet rows a diff report draws, over all captures

// JSON inside <script>: the script rule (safe_text.hpp) leaves no "</script", "<!--" or "<script".
std::string script_safe(std::string_view json) {
  return safe_text::script(json);
}

// The template with its two markers filled in, both found in the template itself: what goes into
// the title can never be taken for the data marker, nor the data for the title marker.
std::string page(const std::string& title, const std::string& data) {
  const std::string html = kReportTemplate;
  const std::size_t title_at = html.find(kTitleMarker);
  const std::size_t data_at = html.find(kDataMarker);
  if (title_at == std::string::npos || data_at == std::string::npos || title_at > data_at) {
    throw std::logic_error("report template: markers missing or out of order");
  }
  std::string out;
  out.reserve(html.size() + title.size() + data.size());
  out.append(html, 0, title_at);
  out += safe_text::markup(title);
  out.append(html, title_at + kTitleMarker.size(), data_at - title_at - kTitleMarker.size());
  out += data;
  out.append(html, data_at + kDataMarker.size());
  return out;
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
  // Rows drawn, over all captures: past kMaxDiffRows the rest are only counted, so the page and
  // its memory do not grow with the captures (two 15 MB pcaps are hundreds of thousands of rows).
  std::size_t rows_left = kMaxDiffRows;
  std::size_t rows_omitted = 0;
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
        if (rows_left == 0) {
          // Only counted: does the pair differ?
          const bool same =
              i < fa.size() && i < fb.size() && normalise_ipv4(fa[i]->bytes) == normalise_ipv4(fb[i]->bytes);
          differing += same ? 0 : 1;
          ++rows_omitted;
          continue;
        }
        --rows_left;
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
  const std::string summary_json = safe_text::dump_json(summary, 2);
  Json diff{{"captures", captures}};
  diff["rows_omitted"] = rows_omitted;
  diff["max_rows"] = kMaxDiffRows;
  std::string data = R"({"kind":"diff","summary":)";
  data += script_safe(summary_json);
  data += R"(,"diff":)";
  data += script_safe(safe_text::dump_json(diff));
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
