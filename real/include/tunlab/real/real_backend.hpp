// Real network namespaces as a Backend (scenario_runner.hpp does the work). Needs
// CAP_NET_ADMIN/CAP_SYS_ADMIN; unavailable() says what is missing.
#pragma once

#include <functional>
#include <string>

#include "tunlab/harness/backend.hpp"

namespace tunlab::real {

class RealBackend final : public Backend {
public:
  // `note`: remarks about what real mode cannot reproduce, one line each. `after_setup`: called
  // once everything exists, before any traffic (the CLI's hidden --hold-after-setup).
  explicit RealBackend(std::function<void(const std::string&)> note = {}, std::function<void()> after_setup = {})
      : note_(std::move(note)), after_setup_(std::move(after_setup)) {}
  std::string_view name() const override { return "real"; }
  std::optional<std::string> unavailable() const override;
  RunSummary run(const scenario::Scenario& scenario, const BackendRunOptions& options) const override;

private:
  std::function<void(const std::string&)> note_;
  std::function<void()> after_setup_;
};

}  // namespace tunlab::real
