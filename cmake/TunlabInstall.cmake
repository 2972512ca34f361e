# Installs tunlab as a package other projects use with find_package(tunlab 0.2):
#   lib/cmake/tunlab/   tunlabConfig.cmake (+ version file), the exported targets, the
#                       tunlab_add_scenario_tests() helper (TunlabScenarioTests.cmake)
#   lib/, include/      tunlab::wire, tunnel, harness, sim (always), testing (when GoogleTest was
#                       there), os, real and cli (need libnl at the consumer's link: their own export set)
#   lib/pkgconfig/      tunlab.pc (simulator libraries), tunlab-real.pc
#   bin/tunlab          the command line
#   share/tunlab/       scenarios/ (the scenario library), conformance/ (`tunlab conform`'s cases) and
#                       fixtures/ (the pcaps they replay)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TUNLAB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tunlab)
set_target_properties(tunlab_tins PROPERTIES EXPORT_NAME tins)
set_target_properties(tunlab_pcap PROPERTIES EXPORT_NAME pcap)
set_target_properties(tunlab_crypto PROPERTIES EXPORT_NAME crypto)
set_target_properties(tunlab_zstd PROPERTIES EXPORT_NAME zstd)
set_target_properties(tunlab PROPERTIES EXPORT_NAME tunlab)

install(TARGETS tunlab_wire tunlab_tunnel tunlab_scenario tunlab_capture tunlab_harness tunlab_report tunlab_sim tunlab_tins tunlab_pcap tunlab_crypto tunlab_zstd
        EXPORT tunlabTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT tunlabTargets NAMESPACE tunlab:: DESTINATION ${TUNLAB_CMAKE_DIR})
install(TARGETS tunlab_os tunlab_real tunlab_program tunlab_cli EXPORT tunlabRealTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT tunlabRealTargets NAMESPACE tunlab:: DESTINATION ${TUNLAB_CMAKE_DIR})
install(TARGETS tunlab EXPORT tunlabProgramTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The clock shim for tunnel programs in the simulator: beside the binary, where tunlab looks for it.
install(TARGETS tunlab_program_shim LIBRARY DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT tunlabProgramTargets NAMESPACE tunlab:: DESTINATION ${TUNLAB_CMAKE_DIR})
set(TUNLAB_HAS_TESTING OFF)
if(TARGET tunlab_testing)
  set(TUNLAB_HAS_TESTING ON)
  install(TARGETS tunlab_testing EXPORT tunlabTestingTargets)
  install(EXPORT tunlabTestingTargets NAMESPACE tunlab:: DESTINATION ${TUNLAB_CMAKE_DIR})
  install(DIRECTORY testing/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
install(DIRECTORY wire/include/ tunnel/include/ scenario/include/ capture/include/ harness/include/ report/include/ sim/include/ os/include/ program/include/ real/include/ apps/tunlab/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(DIRECTORY scenarios/ DESTINATION ${CMAKE_INSTALL_DATADIR}/tunlab/scenarios FILES_MATCHING PATTERN "*.yaml"
        PATTERN golden EXCLUDE)
install(DIRECTORY conformance/ DESTINATION ${CMAKE_INSTALL_DATADIR}/tunlab/conformance FILES_MATCHING PATTERN "*.yaml")
install(DIRECTORY fixtures/ DESTINATION ${CMAKE_INSTALL_DATADIR}/tunlab/fixtures FILES_MATCHING PATTERN "*.pcap")

configure_package_config_file(cmake/tunlabConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/tunlabConfig.cmake
                              INSTALL_DESTINATION ${TUNLAB_CMAKE_DIR}
                              PATH_VARS CMAKE_INSTALL_DATADIR CMAKE_INSTALL_BINDIR)
# 0.x: a minor release may break the API, so 0.2 accepts 0.2.* only.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tunlabConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tunlabConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/tunlabConfigVersion.cmake
              cmake/TunlabScenarioTests.cmake DESTINATION ${TUNLAB_CMAKE_DIR})

foreach(pc tunlab tunlab-real)
  configure_file(cmake/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# The package without debug info by default: a RelWithDebInfo build's static libraries and CLI are
# ~340 MB with it and ~15 MB without (`strip --strip-debug` keeps every symbol the linker needs).
# -DTUNLAB_INSTALL_DEBUG_INFO=ON installs them as built, for debugging into tunlab.
option(TUNLAB_INSTALL_DEBUG_INFO "Install tunlab's libraries and programs with their debug info" OFF)
if(NOT TUNLAB_INSTALL_DEBUG_INFO)
  find_program(TUNLAB_STRIP NAMES strip REQUIRED)
  install(CODE "
    foreach(file IN LISTS CMAKE_INSTALL_MANIFEST_FILES)
      if(file MATCHES [[(\\.a|\\.so|/bin/tunlab)$]] AND NOT IS_SYMLINK \"\${file}\")
        execute_process(COMMAND \"${TUNLAB_STRIP}\" --strip-debug \"\${file}\" RESULT_VARIABLE rc)
        if(NOT rc EQUAL 0)
          message(FATAL_ERROR \"strip --strip-debug \${file} failed\")
        endif()
      endif()
    endforeach()")
endif()
