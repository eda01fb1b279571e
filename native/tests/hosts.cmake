# Test hosts that need their own compile or link setup. Their sources live outside the
# test_*.c glob of CMakeLists.txt (hosts/, fixtures/) and are registered here.

set(_mcov_host_props SKIP_RETURN_CODE 77 ENVIRONMENT "MEMCOV_QUIET=0" TIMEOUT 60)

# An AddressSanitizer executable that memcov_instrument() instruments itself: ASan's weak
# callbacks live in the same link, so the hook object must be linked in whatever they define.
add_executable(mcov_asan_exe hosts/asan_instrumented_exe.c)
target_compile_options(mcov_asan_exe PRIVATE -fsanitize=address -fno-omit-frame-pointer
  ${MEMCOV_WARNINGS})
target_link_options(mcov_asan_exe PRIVATE -fsanitize=address)
target_include_directories(mcov_asan_exe PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mcov_asan_exe PRIVATE memcov_test_support)
memcov_instrument(mcov_asan_exe)
add_test(NAME host_asan_instrumented_executable COMMAND mcov_asan_exe)
set_tests_properties(host_asan_instrumented_executable PROPERTIES ${_mcov_host_props})

# The same in no-call mode: the executable's own flags mapped over with the region.
add_executable(mcov_asan_exe_inline hosts/asan_instrumented_exe.c)
target_compile_options(mcov_asan_exe_inline PRIVATE -fsanitize=address -fno-omit-frame-pointer
  ${MEMCOV_WARNINGS})
target_compile_definitions(mcov_asan_exe_inline PRIVATE MCOV_EXE_MODE=MCOV_MODE_INLINE)
target_link_options(mcov_asan_exe_inline PRIVATE -fsanitize=address)
target_include_directories(mcov_asan_exe_inline PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(mcov_asan_exe_inline PRIVATE memcov_test_support)
memcov_instrument(mcov_asan_exe_inline MODE inline)
add_test(NAME host_asan_instrumented_executable_inline COMMAND mcov_asan_exe_inline)
set_tests_properties(host_asan_instrumented_executable_inline PROPERTIES ${_mcov_host_props})

if(NOT MEMCOV_SANITIZE)
  # (a) An AddressSanitizer executable loading a memcov_instrument() module: ASan's weak
  # trace-pc-guard callbacks must not take the module's edges. (With MEMCOV_SANITIZE every
  # test is an ASan executable already.)
  add_executable(mcov_asan_host hosts/asan_host.c)
  target_compile_options(mcov_asan_host PRIVATE -fsanitize=address -fno-omit-frame-pointer
    ${MEMCOV_WARNINGS})
  target_link_options(mcov_asan_host PRIVATE -fsanitize=address)
  target_include_directories(mcov_asan_host PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(mcov_asan_host PRIVATE memcov_test_support)
  add_dependencies(mcov_asan_host mcov_sample_a mcov_sample_a_inline)
  add_test(NAME host_asan_instrumented_module COMMAND mcov_asan_host)
  set_tests_properties(host_asan_instrumented_module PROPERTIES ${_mcov_host_props})
  # ASan's weak __sanitizer_cov_bool_flag_init must not take an inline module either.
  add_test(NAME host_asan_instrumented_module_inline COMMAND mcov_asan_host)
  set_tests_properties(host_asan_instrumented_module_inline PROPERTIES SKIP_RETURN_CODE 77
    TIMEOUT 60 ENVIRONMENT "MEMCOV_QUIET=0;MEMCOV_TEST_SAMPLES=inline")

  # (b) The memcov fork's way: trace-pc-guard and -lmemcov, no hook object, loaded by a
  # plain executable. In a sanitizer executable the runtime's own callbacks would win the
  # symbol lookup, so this exists only in the non-sanitized build.
  add_library(mcov_sample_plain SHARED fixtures/sample_plain.c)
  target_compile_options(mcov_sample_plain PRIVATE -fsanitize-coverage=trace-pc-guard
    ${MEMCOV_WARNINGS})
  target_link_libraries(mcov_sample_plain PRIVATE memcov)
  add_executable(mcov_plain_host hosts/plain_host.c)
  target_include_directories(mcov_plain_host PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(mcov_plain_host PRIVATE memcov_test_support)
  target_compile_options(mcov_plain_host PRIVATE ${MEMCOV_WARNINGS})
  add_dependencies(mcov_plain_host mcov_sample_plain)
  add_test(NAME host_plain_fork_module COMMAND mcov_plain_host)
  set_tests_properties(host_plain_fork_module PROPERTIES ${_mcov_host_props})

  # (c) No-call mode without the hook object: inline-bool-flag, memcov-inline.ld and
  # -lmemcov alone; libmemcov.so's exported __sanitizer_cov_bool_flag_init registers it.
  add_library(mcov_sample_plain_inline SHARED fixtures/sample_plain.c)
  target_compile_options(mcov_sample_plain_inline PRIVATE -fsanitize-coverage=inline-bool-flag
    ${MEMCOV_WARNINGS})
  target_link_options(mcov_sample_plain_inline PRIVATE "LINKER:-T,${MEMCOV_INLINE_LINKER_SCRIPT}")
  target_link_libraries(mcov_sample_plain_inline PRIVATE memcov)
  add_executable(mcov_plain_inline_host hosts/plain_host.c)
  target_include_directories(mcov_plain_inline_host PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(mcov_plain_inline_host PRIVATE
    MCOV_PLAIN_LIB="libmcov_sample_plain_inline.so" MCOV_PLAIN_MODE=MCOV_MODE_INLINE)
  target_link_libraries(mcov_plain_inline_host PRIVATE memcov_test_support)
  target_compile_options(mcov_plain_inline_host PRIVATE ${MEMCOV_WARNINGS})
  add_dependencies(mcov_plain_inline_host mcov_sample_plain_inline)
  add_test(NAME host_plain_inline_module COMMAND mcov_plain_inline_host)
  set_tests_properties(host_plain_inline_module PROPERTIES ${_mcov_host_props})
endif()
