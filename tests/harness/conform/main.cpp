// tunlab_buggy: tunlab's command line named "buggy-tunlab", with one more app B, buggy-ipip
// (buggy_app.hpp). Test-only: tests/cli/conform_cli_test.sh runs `conform` against it.
#include <string>

#include "buggy_app.hpp"
#include "tunlab/cli/cli.hpp"

int main(int argc, char** argv) {
  tunlab::AppRegistry apps = tunlab::AppRegistry::with_builtin_apps();
  apps.add(std::string(tunlab::conform_test::kBuggyApp), tunlab::conform_test::make_buggy_app);
  return tunlab::cli::run(argc, argv, apps, "buggy-tunlab");
}
