#include "fault_override.hpp"

#include "tunlab/scenario/fault_keys.hpp"

namespace tunlab::cli {

void add_fault_options(CLI::App& command, FaultOverrides& overrides) {
  command
      .add_option("--fault", overrides.link,
                  "Link fault LINK:key=value[,key=value] over the scenario's, e.g. wan.right:loss=0.05,reorder=0.1 "
                  "(keys: " +
                      scenario::fault_key_list(scenario::link_fault_keys(), " ") + "; repeatable)")
      ->take_all()
      ->allow_extra_args(false);
  command
      .add_option("--device-fault", overrides.device,
                  "TUN/TAP fault HOST.DEV:key=value[,...], e.g. right.tun0:eagain=0.2 (keys: " +
                      scenario::fault_key_list(scenario::device_fault_keys(), " ") + "; repeatable)")
      ->take_all()
      ->allow_extra_args(false);
}

}  // namespace tunlab::cli
