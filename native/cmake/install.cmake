# cmake --install: libmemcov with its soname, the headers, the compiler wrappers, the files
# memcov_instrument() and the wrappers use (the hook object, the linker script, the flags, the
# plugin if built) in LIBDIR/memcov, a CMake package (find_package(memcov CONFIG): memcov::memcov
# and memcov_instrument()) and memcov.pc for pkg-config.
set(_memcov_data "${CMAKE_INSTALL_LIBDIR}/memcov")
set(_memcov_cmake "${CMAKE_INSTALL_LIBDIR}/cmake/memcov")

install(TARGETS memcov EXPORT memcovTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The harness worker of `memcov run --harness`, where the runner looks: lib/memcov/ beside the runtime.
install(TARGETS memcov-harness RUNTIME DESTINATION ${CMAKE_INSTALL_LIBDIR}/memcov)
install(FILES include/memcov.h include/memcov_files.h include/memcov_map.h include/memcov_region.h
  include/memcov_spawn.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/memcov_hooks.o ${CMAKE_CURRENT_BINARY_DIR}/memcov_hooks_guards.o
  cmake/memcov-inline.ld flags/memcov.flags
  DESTINATION ${_memcov_data})
if(TARGET memcov_pass)
  install(FILES $<TARGET_FILE:memcov_pass> ${CMAKE_CURRENT_BINARY_DIR}/pass/libmemcov_pass.llvm
    DESTINATION ${_memcov_data})
endif()

# The wrappers find the data directory relative to themselves, wherever the prefix is moved.
file(RELATIVE_PATH _memcov_bin_to_data "/${CMAKE_INSTALL_BINDIR}" "/${_memcov_data}")
file(READ flags/memcov-cc _memcov_wrapper)
string(REPLACE [[native="${MEMCOV_NATIVE_DIR:-$here/../native}"]]
  "native=\"\${MEMCOV_NATIVE_DIR:-\$here/${_memcov_bin_to_data}}\"" _memcov_wrapper "${_memcov_wrapper}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/install/memcov-cc "${_memcov_wrapper}")
install(PROGRAMS ${CMAKE_CURRENT_BINARY_DIR}/install/memcov-cc DESTINATION ${CMAKE_INSTALL_BINDIR})
install(CODE "file(CREATE_LINK memcov-cc \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/memcov-c++\" SYMBOLIC)")

install(EXPORT memcovTargets NAMESPACE memcov:: DESTINATION ${_memcov_cmake})
file(RELATIVE_PATH _memcov_cmake_to_data "/${_memcov_cmake}" "/${_memcov_data}")
configure_file(cmake/memcovConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/install/memcovConfig.cmake @ONLY)
include(CMakePackageConfigHelpers)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/install/memcovConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/install/memcovConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/install/memcovConfigVersion.cmake cmake/memcov.cmake
  DESTINATION ${_memcov_cmake})

# pkg-config: callback mode's flags (no-call mode needs the linker script at the link: use the
# wrappers or memcov_instrument), from the same list; the hook object by its path.
# Relative to the file itself, so that a moved prefix still works.
file(RELATIVE_PATH _memcov_pc_to_prefix "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" _memcov_pc_to_prefix "${_memcov_pc_to_prefix}")
string(REPLACE ";" " " _memcov_pc_cflags "${MEMCOV_FLAGS_CALLBACK};${MEMCOV_FLAGS_PC_TABLE}")
configure_file(cmake/memcov.pc.in ${CMAKE_CURRENT_BINARY_DIR}/install/memcov.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/install/memcov.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
