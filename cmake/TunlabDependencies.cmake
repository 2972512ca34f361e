# Every dependency comes from Debian packages; nothing is downloaded at build time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# Debian's libtins 4.0 ships only a pkg-config file. Its cflags add /usr/include/tins, whose
# short header names (ip.h, packet.h, utils.h) would shadow others; we include <tins/...> instead.
pkg_check_modules(TINS REQUIRED libtins)
add_library(tunlab_tins INTERFACE)
target_link_libraries(tunlab_tins INTERFACE ${TINS_LINK_LIBRARIES})

pkg_check_modules(PCAP REQUIRED libpcap)
add_library(tunlab_pcap INTERFACE)
target_link_libraries(tunlab_pcap INTERFACE ${PCAP_LINK_LIBRARIES})

pkg_check_modules(LIBCRYPTO REQUIRED libcrypto)
add_library(tunlab_crypto INTERFACE)
target_link_libraries(tunlab_crypto INTERFACE ${LIBCRYPTO_LINK_LIBRARIES})

# Captures nobody asked to keep wait for the digest compressed (capture/src/compressed_spill.hpp).
pkg_check_modules(ZSTD REQUIRED libzstd)
add_library(tunlab_zstd INTERFACE)
target_link_libraries(tunlab_zstd INTERFACE ${ZSTD_LINK_LIBRARIES})

pkg_check_modules(NLROUTE REQUIRED IMPORTED_TARGET libnl-route-3.0)
# The daemon's privilege drop: libcap-ng (capabilities, user switch) and libseccomp (allow-list).
pkg_check_modules(CAPNG REQUIRED IMPORTED_TARGET libcap-ng)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
# The real TUN device's batched reads and writes (io_uring).
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)

find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)

# GoogleTest: required for tunlab's tests; otherwise tunlab::testing is built only if it is there.
if(TUNLAB_BUILD_TESTS)
  find_package(GTest REQUIRED)
else()
  find_package(GTest QUIET)
endif()
if(TUNLAB_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
