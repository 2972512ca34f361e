// ttl7-tunlab: tunlab's whole command line with the ttl7 app registered beside tunlab's own, so
// `ttl7-tunlab run scenarios/seed-ttl7.yaml [--backend real]` runs this app B in the simulator
// or on real namespaces, and `ttl7-tunlab tunnel --app ttl7 ...` runs it as a daemon.
#include "ttl7_tunnel.hpp"
#include "tunlab/cli/cli.hpp"

int main(int argc, char** argv) {
  tunlab::AppRegistry apps = tunlab::AppRegistry::with_builtin_apps();
  apps.add("ttl7", ttl7::make_app);
  return tunlab::cli::run(argc, argv, apps, "ttl7-tunlab");
}
