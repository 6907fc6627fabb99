# Shared compile options and helpers for every part of Ballast.

add_library(ballast_options INTERFACE)
target_compile_options(ballast_options INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wsign-conversion
  # Determinism (DESIGN principle 4): no contraction of a*b+c into FMA, whatever -march says.
  -ffp-contract=off)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 at -O3 reports false -Wrestrict overlaps inside std::string's operator+
  # (GCC bug 105329, fixed in 13); the warning says nothing about our code.
  target_compile_options(ballast_options INTERFACE -Wno-restrict)
endif()
target_include_directories(ballast_options INTERFACE
  ${PROJECT_SOURCE_DIR}/src ${CMAKE_BINARY_DIR}/generated)
if(BALLAST_WERROR)
  target_compile_options(ballast_options INTERFACE -Werror)
endif()

# ballast_part(NAME SOURCES ... DEPS ...): one static library per part under src/ballast/.
function(ballast_part name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(ballast_${name} STATIC ${ARG_SOURCES})
  target_link_libraries(ballast_${name} PUBLIC ballast_options ${ARG_DEPS})
endfunction()

# ballast_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary registered with ctest.
function(ballast_test name)
  if(NOT BALLAST_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  # Tests and benchmarks may read the shipped configurations (configs/): by absolute path, so
  # they run from any directory.
  target_compile_definitions(${name} PRIVATE BALLAST_CONFIGS_DIR="${PROJECT_SOURCE_DIR}/configs")
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "BALLAST_SHARED_DATA=${PROJECT_SOURCE_DIR}/../shared/data")
endfunction()

# ballast_bench(NAME SOURCES ... DEPS ...): a Google Benchmark binary (not a test).
function(ballast_bench name)
  if(NOT BALLAST_BENCH)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
  target_compile_definitions(${name} PRIVATE BALLAST_CONFIGS_DIR="${PROJECT_SOURCE_DIR}/configs")
endfunction()
