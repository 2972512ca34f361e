# Installs the libraries and headers so other projects can find_package(tunlab).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS tunlab_wire tunlab_tunnel tunlab_harness tunlab_sim tunlab_real tunlab_tins tunlab_pcap tunlab_crypto EXPORT tunlabTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY wire/include/ tunnel/include/ harness/include/ sim/include/ real/include/ testing/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT tunlabTargets NAMESPACE tunlab:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tunlab)
configure_package_config_file(cmake/tunlabConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/tunlabConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tunlab)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tunlabConfig.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tunlab)
