# memcov_instrument(<target> [SOURCES file...])
#
# Compiles the target's sources (or only the SOURCES given) with
# -fsanitize-coverage=trace-pc-guard and links the hidden-visibility hook object and
# libmemcov.so. The hook object keeps the module's callbacks its own, so a sanitizer
# runtime in the executable cannot take them over. memcov_hooks is an object library, so
# its object is always linked in, even where the sanitizer runtime's weak callbacks would
# already satisfy the symbols (an archive member would then be skipped).
# Needs CMake 3.18 (set_property(SOURCE ... TARGET_DIRECTORY)).
function(memcov_instrument target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  set(_flag -fsanitize-coverage=trace-pc-guard)
  if(ARG_SOURCES)
    set_property(SOURCE ${ARG_SOURCES} TARGET_DIRECTORY ${target}
      APPEND PROPERTY COMPILE_OPTIONS ${_flag})
  else()
    target_compile_options(${target} PRIVATE ${_flag})
  endif()
  target_link_libraries(${target} PRIVATE memcov_hooks memcov)
endfunction()
