# One check of the scenario suite, run as `cmake -DMODE=... -P scenario_check.cmake` by ctest
# (see scenario_suite.cmake). Modes:
#   mutant  SCENARIO's first expectation is made false (scenario_mutate); the run must exit 1 with
#           exactly that expectation failing.
#   golden  the JSON summary of `tunlab run scenarios/NAME.yaml --json` (run from the source folder,
#           so places are relative) must equal scenarios/golden/NAME.json. With the environment
#           variable TUNLAB_UPDATE_GOLDEN=1 the golden file is rewritten instead.
#   bad     `tunlab check NAME.yaml` (from the file's folder) must exit 2 and print the line the
#           file's first line announces ("# expect: LINE").
cmake_minimum_required(VERSION 3.25)

function(require_defined)
  foreach(var IN LISTS ARGN)
    if(NOT DEFINED ${var})
      message(FATAL_ERROR "scenario_check.cmake: -D${var}=... is required")
    endif()
  endforeach()
endfunction()

require_defined(MODE TUNLAB)

if(MODE STREQUAL "mutant")
  require_defined(MUTATE SCENARIO WORK)
  get_filename_component(name ${SCENARIO} NAME_WE)
  get_filename_component(scenario_dir ${SCENARIO} DIRECTORY)
  # The mutant lives in WORK/scenarios beside a link to the real fixtures, so the scenario's
  # relative paths (../fixtures/...) resolve as they do for the original.
  file(MAKE_DIRECTORY ${WORK}/scenarios)
  if(NOT EXISTS ${WORK}/fixtures)
    file(CREATE_LINK ${scenario_dir}/../fixtures ${WORK}/fixtures SYMBOLIC)
  endif()
  set(mutant ${WORK}/scenarios/${name}.yaml)
  execute_process(COMMAND ${MUTATE} ${SCENARIO} ${mutant} RESULT_VARIABLE rc OUTPUT_VARIABLE what
                  ERROR_VARIABLE error)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "could not mutate ${SCENARIO}: ${error}")
  endif()
  string(STRIP "${what}" what)
  execute_process(COMMAND ${TUNLAB} run ${mutant} --json RESULT_VARIABLE rc OUTPUT_VARIABLE json
                  ERROR_VARIABLE error)
  if(NOT rc EQUAL 1)
    message(FATAL_ERROR "mutant of ${name} (${what}) exited ${rc}, expected 1 (an expectation failed)\n"
                        "${error}${json}")
  endif()
  string(JSON count LENGTH "${json}" expectations)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON ok GET "${json}" expectations ${i} ok)
    string(JSON label GET "${json}" expectations ${i} name)
    if(i EQUAL 0 AND ok)
      message(FATAL_ERROR "mutant of ${name} (${what}): expectation '${label}' still holds")
    elseif(i GREATER 0 AND NOT ok)
      message(FATAL_ERROR "mutant of ${name} (${what}): expectation ${i} '${label}' failed too; "
                          "only the mutated one may")
    endif()
  endforeach()
  string(JSON invariants GET "${json}" invariants ok)
  if(NOT invariants)
    message(FATAL_ERROR "mutant of ${name}: invariants broken\n${json}")
  endif()
  message(STATUS "mutant of ${name} (${what}) fails as it should")

elseif(MODE STREQUAL "golden")
  require_defined(SOURCE_DIR NAME WORK)
  set(golden ${SOURCE_DIR}/scenarios/golden/${NAME}.json)
  execute_process(COMMAND ${TUNLAB} run scenarios/${NAME}.yaml --json WORKING_DIRECTORY ${SOURCE_DIR}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE json ERROR_VARIABLE error)
  if(NOT rc EQUAL 0 AND NOT rc EQUAL 1)
    message(FATAL_ERROR "tunlab run scenarios/${NAME}.yaml exited ${rc}\n${error}")
  endif()
  if("$ENV{TUNLAB_UPDATE_GOLDEN}")
    file(WRITE ${golden} "${json}")
    message(STATUS "updated ${golden}")
    return()
  endif()
  if(NOT EXISTS ${golden})
    message(FATAL_ERROR "no golden summary ${golden}; create it with TUNLAB_UPDATE_GOLDEN=1 ctest -R golden")
  endif()
  file(READ ${golden} expected)
  if(NOT json STREQUAL expected)
    file(MAKE_DIRECTORY ${WORK})
    file(WRITE ${WORK}/${NAME}.json "${json}")
    execute_process(COMMAND diff -u ${golden} ${WORK}/${NAME}.json OUTPUT_VARIABLE diff)
    message(FATAL_ERROR "summary of ${NAME} differs from ${golden}:\n${diff}\n"
                        "If the change is intended: TUNLAB_UPDATE_GOLDEN=1 ctest -R golden, and review the diff.")
  endif()

elseif(MODE STREQUAL "bad")
  require_defined(SCENARIO)
  get_filename_component(name ${SCENARIO} NAME)
  get_filename_component(dir ${SCENARIO} DIRECTORY)
  # file(READ), not file(STRINGS): the line may hold ';', which a CMake list would split.
  file(READ ${SCENARIO} content)
  if(NOT content MATCHES "^# expect: ([^\n]+)\n")
    message(FATAL_ERROR "${SCENARIO}: the first line must be '# expect: LINE'")
  endif()
  set(expected "${CMAKE_MATCH_1}")
  execute_process(COMMAND ${TUNLAB} check ${name} WORKING_DIRECTORY ${dir} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE error)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "tunlab check ${name} exited ${rc}, expected 2\n${out}${error}")
  endif()
  # The CLI prefixes its messages with "tunlab: "; the line itself must be there whole.
  set(found FALSE)
  string(FIND "\n${error}" "\n${expected}\n" at_plain)
  string(FIND "\n${error}" "\ntunlab: ${expected}\n" at_prefixed)
  if(at_plain GREATER -1 OR at_prefixed GREATER -1)
    set(found TRUE)
  endif()
  if(NOT found)
    message(FATAL_ERROR "tunlab check ${name} printed:\n${error}\nexpected the line:\n${expected}")
  endif()

else()
  message(FATAL_ERROR "scenario_check.cmake: unknown MODE '${MODE}'")
endif()
