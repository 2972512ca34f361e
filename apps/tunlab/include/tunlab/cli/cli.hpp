// The tunlab command line as a library call. tunlab's own binary is main() calling this with the
// apps tunlab ships; a project that tests its own app B builds its own tunlab the same way, with
// its app registered, and gets every command (run, replay, sweep, check, tunnel...) for it:
//
//   int main(int argc, char** argv) {
//     tunlab::AppRegistry apps = tunlab::AppRegistry::with_builtin_apps();
//     apps.add("my-tunnel", [](const tunlab::AppEnvironment& env) { return std::make_unique<MyTunnel>(env); });
//     return tunlab::cli::run(argc, argv, apps);
//   }
#pragma once

#include <string_view>

#include "tunlab/tunnel/app_b.hpp"

namespace tunlab::cli {

// Parses and runs one command; returns the exit code (0 ok, 1 an expectation failed, 2 bad
// input or usage). `apps` are the names a scenario's `app:` and `tunnel --app` may use.
int run(int argc, char** argv, const AppRegistry& apps);
// The same for a CLI with a name of its own: `--version` prints "NAME (tunlab VERSION)" and usage
// lines say NAME.
int run(int argc, char** argv, const AppRegistry& apps, std::string_view name);

}  // namespace tunlab::cli
