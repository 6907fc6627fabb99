# ctest fuzz_event_decoder_smoke: runs a libFuzzer target for a few seconds over a fresh copy of
# its seed corpus in the build folder (libFuzzer adds what it finds to the first folder it is
# given, and the seeds in the source tree must stay as they are).
#   cmake -DFUZZER=exe -DSEEDS=dir -DWORK=dir -DSECONDS=n [-DDICT=file] -P run_fuzz_smoke.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")
file(GLOB seeds "${SEEDS}/*")
file(COPY ${seeds} DESTINATION "${WORK}/corpus")
set(dict_option "")
if(DICT)
  set(dict_option "-dict=${DICT}")
endif()
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -seed=1 -timeout=10 -print_final_stats=1
          ${dict_option} "-artifact_prefix=${WORK}/artifacts/" "${WORK}/corpus"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${result}); the input is in ${WORK}/artifacts")
endif()
