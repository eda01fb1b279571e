# memcov_instrument(<target> [MODE callback|inline] [NO_PC_TABLE] [SOURCES file...])
#
# The flags of each mode come from native/flags/memcov.flags, the list the compiler wrappers
# memcov-cc and memcov-c++ read too (docs/wrappers.md).
#
# MODE callback (the default) compiles the target's sources (or only the SOURCES given) with
# -fsanitize-coverage=trace-pc-guard: every edge calls the runtime.
# MODE inline is no-call mode: no call per edge, the compiler's own instrumentation, linked with
# memcov-inline.ld so that the runtime can map shared memory over it. Where Memcov's clang plugin
# was built (native/pass), it compiles with -fsanitize-coverage=inline-8bit-counters and the
# plugin, which keeps each counter from wrapping to 0: every edge is one increment of a byte of
# the process's lane, in the region's lanes file. Without the plugin it compiles with
# -fsanitize-coverage=inline-bool-flag (one test and store per edge, on the region's slice on
# the base view), and says so once. With Ninja the target's objects depend on the plugin file (a
# source added after this call gets the flags, not that dependency); with Makefiles, objects
# built before a change to the plugin keep their code until they are compiled again.
#
# Both modes also compile with -fsanitize-coverage=pc-table (each edge's address, which the
# runtime keeps beside the region) and, in configurations without debug info, -gline-tables-only
# (line tables with inline frames): what `memcov report` names functions and lines with. They cost
# one relocation and 16 bytes per edge at start-up and no instruction on the hot path. NO_PC_TABLE,
# or -DMEMCOV_PC_TABLE=OFF for the whole build, leaves both out.
#
# Both modes link the hidden-visibility hook object and libmemcov.so. The hook object keeps
# the module's callbacks (and inline-bool-flag's init) its own, so a sanitizer runtime in
# the executable cannot take them over. memcov_hooks is an object library, so its object is
# always linked in, even where the sanitizer runtime's weak callbacks would already satisfy
# the symbols (an archive member would then be skipped).
# Needs CMake 3.18 (set_property(SOURCE ... TARGET_DIRECTORY)).
option(MEMCOV_PC_TABLE "memcov_instrument adds PC tables and line tables (memcov report)" ON)

# Where the files memcov_instrument() uses are: in the source tree, or (find_package) where
# memcovConfig.cmake says, before it includes this file. Cache entries in the tree, so that every
# directory that calls memcov_instrument() sees them.
if(NOT DEFINED MEMCOV_FLAGS_FILE)
  set(MEMCOV_FLAGS_FILE "${CMAKE_CURRENT_LIST_DIR}/../flags/memcov.flags" CACHE INTERNAL "memcov.flags")
endif()
if(NOT DEFINED MEMCOV_HOOKS)
  # The object library; an installed memcov names its object file.
  set(MEMCOV_HOOKS memcov_hooks CACHE INTERNAL "memcov's hook object")
endif()
if(NOT DEFINED MEMCOV_INLINE_LINKER_SCRIPT)
  set(MEMCOV_INLINE_LINKER_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/memcov-inline.ld"
    CACHE INTERNAL "memcov's linker script for MODE inline")
endif()

# The flags of each mode, from the one list the compiler wrappers read too.
file(STRINGS "${MEMCOV_FLAGS_FILE}" _memcov_flag_lines REGEX "^MEMCOV_FLAGS_")
foreach(_line ${_memcov_flag_lines})
  if(_line MATCHES "^(MEMCOV_FLAGS_[A-Z_]+)=\"([^\"]*)\"$")
    separate_arguments(_flags UNIX_COMMAND "${CMAKE_MATCH_2}")
    set(${CMAKE_MATCH_1} ${_flags} CACHE INTERNAL "memcov.flags: ${CMAKE_MATCH_1}")
  endif()
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${MEMCOV_FLAGS_FILE}")

function(memcov_instrument target)
  cmake_parse_arguments(ARG "NO_PC_TABLE" "MODE" "SOURCES" ${ARGN})
  if(NOT ARG_MODE OR ARG_MODE STREQUAL "callback")
    set(_flag ${MEMCOV_FLAGS_CALLBACK})
  elseif(ARG_MODE STREQUAL "inline")
    if(MEMCOV_PASS_PLUGIN)
      set(_flag ${MEMCOV_FLAGS_INLINE} "-fpass-plugin=${MEMCOV_PASS_PLUGIN}")
      # Makefiles build the plugin before the target's objects. Ninja would only wait for its
      # objects, so there the objects depend on the file itself (which also compiles them
      # again when it changes); with Makefiles such a dependency breaks any other target that
      # compiles the same source file first.
      if(TARGET memcov_pass)
        add_dependencies(${target} memcov_pass)
      endif()
      if(CMAKE_GENERATOR MATCHES "Ninja")
        set(_sources ${ARG_SOURCES})
        if(NOT _sources)
          get_target_property(_sources ${target} SOURCES)
          list(FILTER _sources EXCLUDE REGEX "^\\$<")
        endif()
        set_property(SOURCE ${_sources} TARGET_DIRECTORY ${target}
          APPEND PROPERTY OBJECT_DEPENDS ${MEMCOV_PASS_PLUGIN})
      endif()
    else()
      set(_flag ${MEMCOV_FLAGS_INLINE_NO_PLUGIN})
      get_property(_told GLOBAL PROPERTY MEMCOV_TOLD_NO_PLUGIN)
      if(NOT _told)
        set_property(GLOBAL PROPERTY MEMCOV_TOLD_NO_PLUGIN TRUE)
        message(STATUS "memcov: MODE inline records with inline-bool-flag: counters need Memcov's "
          "clang plugin, which was not built (see native/pass)")
      endif()
    endif()
    # The script lays out the whole module, so it goes on the link line even when only some
    # SOURCES are instrumented.
    target_link_options(${target} PRIVATE "LINKER:-T,${MEMCOV_INLINE_LINKER_SCRIPT}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${MEMCOV_INLINE_LINKER_SCRIPT})
  else()
    message(FATAL_ERROR "memcov_instrument(${target}): MODE is callback or inline, not '${ARG_MODE}'")
  endif()
  if(MEMCOV_PC_TABLE AND NOT ARG_NO_PC_TABLE)
    list(APPEND _flag ${MEMCOV_FLAGS_PC_TABLE})
    # A -gline-tables-only after the build's own -g would lower its debug information.
    if(NOT CMAKE_C_FLAGS MATCHES "(^| )-g" AND NOT CMAKE_CXX_FLAGS MATCHES "(^| )-g")
      list(APPEND _flag "$<$<NOT:$<OR:$<CONFIG:Debug>,$<CONFIG:RelWithDebInfo>>>:${MEMCOV_FLAGS_LINE_TABLES}>")
    endif()
  endif()
  if(ARG_SOURCES)
    set_property(SOURCE ${ARG_SOURCES} TARGET_DIRECTORY ${target}
      APPEND PROPERTY COMPILE_OPTIONS ${_flag})
  else()
    target_compile_options(${target} PRIVATE ${_flag})
  endif()
  target_link_libraries(${target} PRIVATE ${MEMCOV_HOOKS} memcov::memcov)
endfunction()
