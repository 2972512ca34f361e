# `tunlab tunnel` and `tunlab demo --backend real` through the CLI, with real clients (ping, socat,
# iperf3) and the simulator's demo as oracles. Root cases carry the label `root` and exit 77
# (skipped, with the reason) without CAP_NET_ADMIN.
foreach(case IN ITEMS help bad_options no_privileges system_failure)
  add_test(NAME tunnel_cli_${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tunnel_cli_test.sh $<TARGET_FILE:tunlab> ${case})
  set_tests_properties(tunnel_cli_${case} PROPERTIES LABELS unit SKIP_RETURN_CODE 77)
endforeach()
set_tests_properties(tunnel_cli_no_privileges tunnel_cli_system_failure PROPERTIES LABELS root)
foreach(mode IN ITEMS tun tap)
  add_test(NAME real_tunnel_walkthrough_${mode}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_tunnel_walkthrough_test.sh $<TARGET_FILE:tunlab> ${mode})
  set_tests_properties(real_tunnel_walkthrough_${mode} PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()
foreach(case IN ITEMS same_as_sim rootless_denied rootless_accessible)
  add_test(NAME real_demo_${case} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_demo_test.sh $<TARGET_FILE:tunlab> ${case})
  set_tests_properties(real_demo_${case} PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 60)
endforeach()
add_test(NAME real_tunnel_drops_privileges
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_tunnel_privileges_test.sh $<TARGET_FILE:tunlab>)
set_tests_properties(real_tunnel_drops_privileges PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 60)
# 200 MB each way through two daemons, SHA-256 compared, wire captures checked by tshark: TUN and
# TAP, with offloads (the default) and without, in super-packet mode (fragmented by the kernel, and
# at a foreign MTU by tunlab), and with one system call per TUN read and write (--batched-io off)
# instead of io_uring batches.
foreach(mode IN ITEMS tun tap)
  foreach(variant IN ITEMS offload_on offload_off super_packets)
    if(variant STREQUAL "super_packets")
      set(options --super-packets)
    else()
      string(REPLACE "offload_" "" offload ${variant})
      set(options --offload ${offload})
    endif()
    add_test(NAME real_tunnel_transfer_${mode}_${variant}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_tunnel_transfer_test.sh $<TARGET_FILE:tunlab> ${mode} ${options})
    set_tests_properties(real_tunnel_transfer_${mode}_${variant}
                         PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)
  endforeach()
endforeach()
# Super-packets at an MTU that is not the route's: tunlab fragments the outer datagrams itself.
add_test(NAME real_tunnel_transfer_tun_super_packets_user_fragments
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_tunnel_transfer_test.sh $<TARGET_FILE:tunlab> tun --super-packets
                 --mtu 1400)
set_tests_properties(real_tunnel_transfer_tun_super_packets_user_fragments
                     PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)
add_test(NAME real_tunnel_transfer_tun_batched_io_off
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_tunnel_transfer_test.sh $<TARGET_FILE:tunlab> tun --batched-io off)
set_tests_properties(real_tunnel_transfer_tun_batched_io_off
                     PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)
# A bounded soak: iperf3 and ping at once through two daemons for 60 s (the script's second
# argument), VmRSS flat within 5%, every counter reconciled (see the script).
add_test(NAME real_tunnel_soak COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/real_tunnel_soak_test.sh $<TARGET_FILE:tunlab> 60)
set_tests_properties(real_tunnel_soak PROPERTIES LABELS root SKIP_RETURN_CODE 77 TIMEOUT 240 RUN_SERIAL TRUE)
if(TUNLAB_SANITIZE)
  set_tests_properties(real_tunnel_soak PROPERTIES ENVIRONMENT TUNLAB_SOAK_SANITIZED=1)
endif()
