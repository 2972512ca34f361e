# Sim vs real (label `root`): every scenario marked `real: true` runs on both backends with
# --capture, both must pass and `tunlab diff` must find no difference (real_vs_sim_test.sh).
# Skipped (exit 77) with the reason without CAP_NET_ADMIN/CAP_SYS_ADMIN or /dev/net/tun.
file(GLOB TUNLAB_SCENARIO_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.yaml)
foreach(file IN LISTS TUNLAB_SCENARIO_FILES)
  file(STRINGS ${file} real_line REGEX "^real: true")
  if(NOT real_line)
    continue()
  endif()
  get_filename_component(name ${file} NAME_WE)
  add_test(NAME real_vs_sim_${name} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_vs_sim_test.sh $<TARGET_FILE:tunlab> ${file})
  set_tests_properties(real_vs_sim_${name} PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()
# A SIGKILLed real run leaves the host's namespaces, links and routes as they were.
add_test(NAME real_run_sigkill_leaves_nothing
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_run_kill_test.sh $<TARGET_FILE:tunlab>
                 ${PROJECT_SOURCE_DIR}/scenarios/seed-vpn.yaml)
set_tests_properties(real_run_sigkill_leaves_nothing PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 60)
# App B as an external program: examples/external-ipip's Python IPIP tunnel on both ends, on real
# namespaces, against the simulator's run of the same program (captures must agree).
add_test(NAME real_vs_sim_external_ipip
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_vs_sim_test.sh $<TARGET_FILE:tunlab>
                 ${PROJECT_SOURCE_DIR}/examples/external-ipip/seed-external.yaml)
set_tests_properties(real_vs_sim_external_ipip PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 120)
# `app: kernel-ipip` on the right end: tunlab's engine against the kernel's own ipip device.
# Skipped with the reason where the kernel has no ipip module.
add_test(NAME real_vs_sim_kernel_ipip
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_vs_sim_test.sh $<TARGET_FILE:tunlab>
                 ${PROJECT_SOURCE_DIR}/examples/external-ipip/seed-kernel-ipip.yaml)
set_tests_properties(real_vs_sim_kernel_ipip PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 120)
# Tunnel commands that fail to start, never attach, or must be stopped (external_tunnel_test.sh).
foreach(case early_exit no_attach stopped)
  add_test(NAME real_external_tunnel_${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/external_tunnel_test.sh $<TARGET_FILE:tunlab> ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(real_external_tunnel_${case} PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 60)
endforeach()
# `tunlab sweep --backend real`, with shrinking of device faults (real_sweep_test.sh).
foreach(case passes shrinks one_job)
  add_test(NAME real_sweep_${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_sweep_test.sh $<TARGET_FILE:tunlab> ${PROJECT_SOURCE_DIR} ${case})
  set_tests_properties(real_sweep_${case} PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()
