# tunlab_apply_settings(target): the compile settings every tunlab target shares.
function(tunlab_apply_settings target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(TUNLAB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(TUNLAB_FUZZ)
    # Coverage for libFuzzer in every tunlab target; the fuzz targets add -fsanitize=fuzzer (main).
    target_compile_options(${target} PUBLIC -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                                            -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
  if(TUNLAB_SANITIZE)
    target_compile_options(${target} PUBLIC -fsanitize=address,undefined -fno-omit-frame-pointer
                                            -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

# tunlab_add_layer(NAME): the static library tunlab_NAME (alias and export name tunlab::NAME) from
# the folder's src/*.cpp, with its include/ folder public. Every layer (wire, tunnel, harness,
# sim, real) is built this way; links are the caller's.
function(tunlab_add_layer name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp)
  add_library(tunlab_${name} STATIC ${sources})
  add_library(tunlab::${name} ALIAS tunlab_${name})
  set_target_properties(tunlab_${name} PROPERTIES EXPORT_NAME ${name})
  tunlab_apply_settings(tunlab_${name})
  target_include_directories(tunlab_${name} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
                                                   $<INSTALL_INTERFACE:include>)
endfunction()
