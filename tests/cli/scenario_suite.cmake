# The scenario library through the CLI, label `scenario`. For every scenarios/NAME.yaml:
#   scenario_NAME         `tunlab run` exits 0; its captures go to the shared test-captures folder,
#                         which tshark_all_captures decodes
#   scenario_mutant_NAME  the first expectation made false (count + 1, ...) exits 1, so no
#                         expectation is vacuous
#   scenario_golden_NAME  the JSON summary equals scenarios/golden/NAME.json
# and for every tests/bad-scenarios/NAME.yaml:
#   bad_scenario_NAME     `tunlab check` exits 2 with the line the file's first line announces.
#
# Regenerating golden summaries after an intended change (then review `git diff scenarios/golden`):
#   TUNLAB_UPDATE_GOLDEN=1 ctest --test-dir build -R scenario_golden
add_executable(scenario_mutate scenario_mutate.cpp)
tunlab_apply_settings(scenario_mutate)
target_link_libraries(scenario_mutate PRIVATE yaml-cpp)

set(TUNLAB_SCENARIO_CHECK ${CMAKE_CURRENT_SOURCE_DIR}/scenario_check.cmake)
file(GLOB TUNLAB_SCENARIO_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.yaml)
foreach(file IN LISTS TUNLAB_SCENARIO_FILES)
  get_filename_component(name ${file} NAME_WE)
  set(capture_args)
  if(DEFINED TUNLAB_TEST_CAPTURES)
    set(capture_args --capture ${TUNLAB_TEST_CAPTURES}/scenario-${name})
  endif()
  add_test(NAME scenario_${name} COMMAND tunlab run scenarios/${name}.yaml ${capture_args}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  add_test(NAME scenario_mutant_${name}
           COMMAND ${CMAKE_COMMAND} -DMODE=mutant -DTUNLAB=$<TARGET_FILE:tunlab>
                   -DMUTATE=$<TARGET_FILE:scenario_mutate> -DSCENARIO=${file}
                   -DWORK=${CMAKE_CURRENT_BINARY_DIR}/scenario-mutants/${name} -P ${TUNLAB_SCENARIO_CHECK})
  add_test(NAME scenario_golden_${name}
           COMMAND ${CMAKE_COMMAND} -DMODE=golden -DTUNLAB=$<TARGET_FILE:tunlab> -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
                   -DNAME=${name} -DWORK=${CMAKE_CURRENT_BINARY_DIR}/scenario-golden -P ${TUNLAB_SCENARIO_CHECK})
  set_tests_properties(scenario_${name} scenario_mutant_${name} scenario_golden_${name} PROPERTIES LABELS scenario)
  if(DEFINED TUNLAB_TEST_CAPTURES)
    set_tests_properties(scenario_${name} PROPERTIES FIXTURES_SETUP test_captures)
  endif()
endforeach()

file(GLOB TUNLAB_BAD_SCENARIOS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/bad-scenarios/*.yaml)
foreach(file IN LISTS TUNLAB_BAD_SCENARIOS)
  get_filename_component(name ${file} NAME_WE)
  add_test(NAME bad_scenario_${name}
           COMMAND ${CMAKE_COMMAND} -DMODE=bad -DTUNLAB=$<TARGET_FILE:tunlab> -DSCENARIO=${file}
                   -P ${TUNLAB_SCENARIO_CHECK})
  set_tests_properties(bad_scenario_${name} PROPERTIES LABELS scenario)
endforeach()
