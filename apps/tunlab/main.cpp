// tunlab: the command line with the apps tunlab ships. See README.md.
#include "tunlab/cli/cli.hpp"

int main(int argc, char** argv) {
  return tunlab::cli::run(argc, argv, tunlab::AppRegistry::with_builtin_apps());
}
