# cmake -DDRIVER=memcov-sample -DCORPUS=dir -P run_corpus.cmake
# Runs the driver on each file of CORPUS and fails on the first exit status other than 0.
file(GLOB _inputs ${CORPUS}/*)
list(LENGTH _inputs _count)
if(_count EQUAL 0)
  message(FATAL_ERROR "no inputs in ${CORPUS}")
endif()
foreach(_input ${_inputs})
  execute_process(COMMAND ${DRIVER} ${_input} RESULT_VARIABLE _rc
    OUTPUT_QUIET ERROR_VARIABLE _err TIMEOUT 30)
  if(NOT _rc STREQUAL "0")
    message(FATAL_ERROR "${_input}: exit ${_rc}\n${_err}")
  endif()
endforeach()
message(STATUS "${_count} inputs ran")
