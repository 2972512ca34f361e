#include "tunlab/program/program_app.hpp"

#include <unistd.h>

#include "supervisor.hpp"

namespace tunlab::program {

namespace {

// AppB over the supervisor: every call lets the program run at that virtual time until it blocks.
class ProgramApp final : public AppB {
public:
  ProgramApp(const ProgramSpec& spec, const AppEnvironment& environment) : supervisor_(spec, environment) {
    supervisor_.run(0);
  }
  void on_device_readable(std::int64_t now_ns) override { supervisor_.run(now_ns); }
  void on_underlay_readable(std::int64_t now_ns) override { supervisor_.run(now_ns); }
  std::int64_t next_deadline_ns() const override { return supervisor_.deadline(); }
  void on_timer(std::int64_t now_ns) override { supervisor_.run(now_ns); }
  void on_run_end(std::int64_t /*now_ns*/) override { supervisor_.report_held(); }
  AppCounters counters(std::int64_t /*now_ns*/) const override { return supervisor_.counters(); }

private:
  Supervisor supervisor_;
};

}  // namespace

std::unique_ptr<AppB> make_program_app(const ProgramSpec& spec, const AppEnvironment& environment) {
  return std::make_unique<ProgramApp>(spec, environment);
}

std::filesystem::path shim_beside(const std::filesystem::path& executable) {
  const std::filesystem::path shim = executable.parent_path() / "libtunlab-program-shim.so";
  std::error_code error;
  return std::filesystem::is_regular_file(shim, error) ? shim : std::filesystem::path();
}

}  // namespace tunlab::program
