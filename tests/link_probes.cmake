# Binaries that link one layer alone, read by link_probe_test.sh: what the tunnel daemon's os
# layer and a scenario-only consumer pull in.
add_executable(daemon_link_probe link_probes/daemon_probe.cpp)
tunlab_apply_settings(daemon_link_probe)
target_link_libraries(daemon_link_probe PRIVATE tunlab_os)
add_executable(scenario_link_probe link_probes/scenario_probe.cpp)
tunlab_apply_settings(scenario_link_probe)
target_link_libraries(scenario_link_probe PRIVATE tunlab_scenario)
add_test(NAME layer_link_probes
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/link_probe_test.sh $<TARGET_FILE:daemon_link_probe>
                 $<TARGET_FILE:scenario_link_probe> ${PROJECT_SOURCE_DIR}/scenarios/seed-vpn.yaml)
set_tests_properties(layer_link_probes PROPERTIES LABELS unit)
