# CLI tests (label `scenario`): each case of cli_test.sh is one ctest. Every capture they write
# lands under build/test-captures, which tshark_all_captures decodes after all of them ran.
set(TUNLAB_TEST_CAPTURES ${PROJECT_BINARY_DIR}/test-captures)
set(TUNLAB_CLI_CASES seed_run seed_run_twice_same_digest replay_raw replay_ethernet replay_sll replay_mixed
    replay_truncated replay_not_a_pcap replay_bad_linktype replay_not_ipv4 replay_missing_file usage_error demo_sim
    run_no_digest)
foreach(case IN LISTS TUNLAB_CLI_CASES)
  add_test(NAME cli_${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh $<TARGET_FILE:tunlab> ${PROJECT_SOURCE_DIR}
                   ${TUNLAB_TEST_CAPTURES} ${case})
  set_tests_properties(cli_${case} PROPERTIES LABELS scenario FIXTURES_SETUP test_captures)
endforeach()
# Decoded once, in the unsanitized build: the sanitized build writes byte-identical captures (the
# digest goldens hold in both), and tshark's start-up per file made this the ASan stage's longest test.
if(NOT TUNLAB_SANITIZE)
  add_test(NAME tshark_all_captures COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/tshark_check.sh ${TUNLAB_TEST_CAPTURES})
  set_tests_properties(tshark_all_captures PROPERTIES LABELS scenario FIXTURES_REQUIRED test_captures)
endif()
