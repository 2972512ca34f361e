// tunlab_planted: tunlab's command line with one more app B, planted-reorder, which mishandles
// reordered fragments (planted_reorder_app.hpp). Test-only: tests/harness/sweep_planted_bug_test.sh.
#include <string>

#include "planted_reorder_app.hpp"
#include "tunlab/cli/cli.hpp"

int main(int argc, char** argv) {
  tunlab::AppRegistry apps = tunlab::AppRegistry::with_builtin_apps();
  apps.add(std::string(tunlab::planted::kAppName), tunlab::planted::make_planted_reorder_app);
  return tunlab::cli::run(argc, argv, apps);
}
