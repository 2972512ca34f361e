# Tunnel programs in the simulator (docs/programs-in-the-simulator.md), label `scenario`: no
# privileges needed. As root the programs run as uid 65534, so python_seed and c_ipip also run
# tunlab itself as 65534 and compare digests.
tunlab_add_test(program_app_test scenario program_app_test.cpp)
target_link_libraries(program_app_test PRIVATE tunlab_program)
add_dependencies(program_app_test tunlab_program_shim)
foreach(case python_seed c_ipip absorbed refuse_socket refuse_thread crash signal hang no_stray)
  add_test(NAME program_sim_${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/program_sim_test.sh $<TARGET_FILE:tunlab> ${PROJECT_SOURCE_DIR}
                   $<TARGET_FILE_DIR:c-ipip> ${case})
  set_tests_properties(program_sim_${case} PROPERTIES LABELS scenario TIMEOUT 120)
endforeach()
