# Runs cpx-replay on INPUT and compares its output with EXPECTED, line by line.
execute_process(COMMAND ${REPLAY} --depth 3 ${INPUT} OUTPUT_VARIABLE actual RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cpx-replay exited with ${rc}")
endif()
file(READ ${EXPECTED} expected)
if(NOT actual STREQUAL expected)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/replay_demo.actual "${actual}")
  message(FATAL_ERROR "cpx-replay output differs from ${EXPECTED}; actual output written to "
                      "${CMAKE_CURRENT_BINARY_DIR}/replay_demo.actual (diff them; if the change is intended, "
                      "copy it over the expected file)")
endif()
