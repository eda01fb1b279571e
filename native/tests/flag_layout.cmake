# test_flag_layout: the no-call layout plugin marks every flag check clang made unlikely, and
# only adds weights: the module keeps the same flags. Compiles SOURCE to LLVM IR with
# -fsanitize-coverage=inline-bool-flag, with and without the plugin, at -O0 and -O2, with debug
# information, and with ThreadSanitizer (whose calls come before the flag's store).
#   cmake -DCC=<clang> -DPLUGIN=<libmemcov_pass.so> -DSOURCE=<file.c> -DWORK=<dir> -P flag_layout.cmake
foreach(var CC PLUGIN SOURCE WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "flag_layout.cmake needs -D${var}=...")
  endif()
endforeach()
file(MAKE_DIRECTORY "${WORK}")

# compile(<out-var> <config> [plugin flag]): the IR of SOURCE.
function(compile out config)
  string(MAKE_C_IDENTIFIER "${config}${ARGC}" id)
  set(ir "${WORK}/flag_layout${id}.ll")
  separate_arguments(flags UNIX_COMMAND "${config}")
  execute_process(COMMAND "${CC}" ${flags} -S -emit-llvm -fsanitize-coverage=inline-bool-flag
      ${ARGN} "${SOURCE}" -o "${ir}"
    RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${CC} ${config} ${ARGN} failed (${rc}): ${err}")
  endif()
  file(READ "${ir}" text)
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# count(<out-var> <ir>): "<flag stores> <checks weighted 1:2000>".
function(count out ir)
  string(REGEX MATCHALL "store i1 true, (i1\\*|ptr) [^\n]*@__sancov_gen_" stores "${ir}")
  list(LENGTH stores nstores)
  set(nmarked 0)
  string(REGEX MATCH "\n!([0-9]+) = !{!\"branch_weights\", i32 1, i32 2000}" weights "${ir}")
  if(weights)
    string(REGEX MATCHALL "br i1 %[^,\n]+, label %[^,\n]+, label %[^,\n]+(, !dbg ![0-9]+)?, !prof !${CMAKE_MATCH_1}\n"
      marked "${ir}")
    list(LENGTH marked nmarked)
  endif()
  set(${out} "${nstores};${nmarked}" PARENT_SCOPE)
endfunction()

foreach(config "-O0" "-O2" "-O2 -g" "-O2 -fsanitize=thread")
  compile(stock "${config}")
  compile(laid "${config}" "-fpass-plugin=${PLUGIN}")
  count(s "${stock}")
  count(l "${laid}")
  list(GET s 0 stock_stores)
  list(GET s 1 stock_marked)
  list(GET l 0 laid_stores)
  list(GET l 1 laid_marked)
  message(STATUS "${config}: clang ${stock_stores} flag stores, ${stock_marked} marked; "
    "with the plugin ${laid_stores} flag stores, ${laid_marked} marked")
  if(stock_stores EQUAL 0 OR NOT laid_stores EQUAL stock_stores)
    message(FATAL_ERROR "${config}: the plugin changed the module's flags (${stock_stores} -> ${laid_stores})")
  endif()
  if(NOT stock_marked EQUAL 0)
    message(FATAL_ERROR "${config}: clang alone already weights ${stock_marked} checks: the test cannot tell the plugin's work")
  endif()
  if(NOT laid_marked EQUAL laid_stores)
    message(FATAL_ERROR "${config}: the plugin marked ${laid_marked} of ${laid_stores} flag checks")
  endif()
endforeach()
