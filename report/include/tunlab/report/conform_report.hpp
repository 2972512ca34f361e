// `tunlab conform --report FILE.html`: the conformance table first (case, RFC and section, level,
// result, what differed), one self-contained page; each case that ran links to its own run report
// (the per-hop picture of report.hpp) written beside it as FILE-cases/ID.html.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "tunlab/harness/conform.hpp"
#include "tunlab/report/report.hpp"

namespace tunlab::report {

// The index page alone; `case_link(id)` is the relative link of a case that has a page, or empty.
std::string render_conform_report(const conform::ConformResult& result,
                                  const std::map<std::string, std::string>& case_links);

// Writes the index to `path` and every case with a recorder (by case id) to PATH-cases/ID.html.
void write_conform_report(const std::filesystem::path& path, const conform::ConformResult& result,
                          const std::map<std::string, std::unique_ptr<RunRecorder>>& recorders);

}  // namespace tunlab::report
