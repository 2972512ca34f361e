#include "tunlab/report/conform_report.hpp"

#include <fmt/format.h>

#include "tunlab/scenario/input_error.hpp"
#include "tunlab/scenario/safe_text.hpp"

namespace tunlab::report {

std::string render_conform_report(const conform::ConformResult& result,
                                  const std::map<std::string, std::string>& case_links) {
  std::string html = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>)";
  html += safe_text::markup("tunlab conform: " + result.tunnel);
  html += R"(</title>
<style>
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
td.rfc{white-space:nowrap}
th{background:#f0f0f0}
tr.pass td.result{background:#dfd}
tr.fail td.result{background:#fdd;font-weight:bold}
tr.not-applicable td.result{background:#eee;color:#666}
ul.details{margin:.2em 0;padding-left:1.2em;font-family:monospace;font-size:90%}
</style></head><body>
)";
  html += fmt::format(
      "<h1>Conformance of {}</h1>\n<p id=\"verdict\">{} backend, policy <code>{}</code>: {} pass, {} fail, "
      "{} not applicable &mdash; <strong>{}</strong></p>\n",
      safe_text::markup(result.tunnel), safe_text::markup(result.backend), safe_text::markup(result.policy.text()),
      result.count(conform::Outcome::pass), result.count(conform::Outcome::fail),
      result.count(conform::Outcome::not_applicable), result.musts_pass() ? "every MUST holds" : "a MUST failed");
  html +=
      "<table id=\"summary\">\n<tr><th>case</th><th>RFC</th><th>level</th><th>requirement</th><th>result</th></tr>\n";
  for (const conform::CaseResult& c : result.cases) {
    const auto link = case_links.find(c.info.id);
    const std::string id = safe_text::markup(c.info.id);
    const std::string name =
        link == case_links.end() ? id : fmt::format("<a href=\"{}\">{}</a>", safe_text::markup(link->second), id);
    std::string details;
    for (const std::string& d : c.details) {
      details += "<li>" + safe_text::markup(d) + "</li>";
    }
    html += fmt::format(
        "<tr class=\"{}\"><td>{}</td><td class=\"rfc\">{} &sect;{}</td><td>{}</td><td>{}{}</td><td "
        "class=\"result\">{}</td></tr>\n",
        conform::to_string(c.outcome), name, safe_text::markup(c.info.rfc), safe_text::markup(c.info.section),
        conform::to_string(c.info.level), safe_text::markup(c.info.requirement),
        details.empty() ? "" : "<ul class=\"details\">" + details + "</ul>",
        std::string(conform::to_string(c.outcome)) + (result.known(c.info) ? " (known)" : ""));
  }
  html += "</table>\n</body></html>\n";
  return html;
}

void write_conform_report(const std::filesystem::path& path, const conform::ConformResult& result,
                          const std::map<std::string, std::unique_ptr<RunRecorder>>& recorders) {
  std::map<std::string, std::string> links;
  const std::filesystem::path folder = path.parent_path() / (path.stem().string() + "-cases");
  for (const conform::CaseResult& c : result.cases) {
    const auto recorder = recorders.find(c.info.id);
    if (!c.summary || recorder == recorders.end()) {
      continue;
    }
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) {
      throw InputError(fmt::format("{}: --report: cannot create the folder: {}", folder.string(), error.message()));
    }
    write_report(folder / (c.info.id + ".html"),
                 render_run_report(*c.summary, c.summary->to_json(), *recorder->second));
    links[c.info.id] = (std::filesystem::path(folder.filename()) / (c.info.id + ".html")).string();
  }
  write_report(path, render_conform_report(result, links));
}

}  // namespace tunlab::report
