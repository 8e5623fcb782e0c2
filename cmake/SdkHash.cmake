# SPDX-License-Identifier: Apache-2.0
# The SDK hash: SHA-256 over every header under kernel/include/optimystic/ except
# abi/abi_version.h, sorted by path relative to that directory, hashing for each file its
# relative path, one NUL byte, then its contents. abi_version.h commits the result as
# OPTIMYSTIC_SDK_HASH; a CXX-tier plugin carries the value it was built with and the host refuses
# a different one.
#
#   cmake -DMODE=CHECK  -P cmake/SdkHash.cmake   fails when the committed hash is stale
#   cmake -DMODE=UPDATE -P cmake/SdkHash.cmake   rewrites the define (scripts/update-sdk-hash)
#   cmake -DMODE=PRINT  -P cmake/SdkHash.cmake   prints the computed hash
# Optional: -DSDK_DIR=<dir> (default: kernel/include/optimystic of this checkout),
# -DABI_VERSION_FILE=<file> (default: <SDK_DIR>/abi/abi_version.h).
# CMake strings cannot hold a NUL byte, so the byte stream is assembled in a scratch directory
# with `cmake -E cat`; the single NUL comes from printf(1).
cmake_minimum_required(VERSION 3.25)

if(NOT DEFINED MODE)
  set(MODE CHECK)
endif()
if(NOT DEFINED SDK_DIR)
  get_filename_component(SDK_DIR "${CMAKE_CURRENT_LIST_DIR}/../kernel/include/optimystic" ABSOLUTE)
endif()
if(NOT DEFINED ABI_VERSION_FILE)
  set(ABI_VERSION_FILE "${SDK_DIR}/abi/abi_version.h")
endif()
set(hash_define_regex "#define OPTIMYSTIC_SDK_HASH \"([0-9a-f]*)\"")

# Sets `out` to the SDK hash of the headers under SDK_DIR.
function(optimystic_compute_sdk_hash out)
  file(GLOB_RECURSE headers RELATIVE "${SDK_DIR}" "${SDK_DIR}/*.h")
  list(REMOVE_ITEM headers "abi/abi_version.h")
  list(SORT headers COMPARE STRING)
  if(DEFINED ENV{TMPDIR})
    set(tmp_root "$ENV{TMPDIR}")
  else()
    set(tmp_root "/tmp")
  endif()
  string(RANDOM LENGTH 12 suffix)
  set(scratch "${tmp_root}/optimystic-sdk-hash-${suffix}")
  file(MAKE_DIRECTORY "${scratch}")
  execute_process(COMMAND printf "\\000" OUTPUT_FILE "${scratch}/nul" RESULT_VARIABLE rc)
  file(SIZE "${scratch}/nul" nul_size)
  if(NOT rc EQUAL 0 OR NOT nul_size EQUAL 1)
    file(REMOVE_RECURSE "${scratch}")
    message(FATAL_ERROR "SdkHash: cannot make a NUL byte with printf")
  endif()
  set(parts "")
  set(index 0)
  foreach(header IN LISTS headers)
    file(WRITE "${scratch}/path${index}" "${header}")
    list(APPEND parts "${scratch}/path${index}" "${scratch}/nul" "${SDK_DIR}/${header}")
    math(EXPR index "${index} + 1")
  endforeach()
  execute_process(COMMAND "${CMAKE_COMMAND}" -E cat ${parts}
                  OUTPUT_FILE "${scratch}/stream" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    file(REMOVE_RECURSE "${scratch}")
    message(FATAL_ERROR "SdkHash: cannot concatenate the headers of ${SDK_DIR}")
  endif()
  file(SHA256 "${scratch}/stream" hash)
  file(REMOVE_RECURSE "${scratch}")
  list(LENGTH headers count)
  message(STATUS "SDK hash over ${count} headers in ${SDK_DIR}: ${hash}")
  set(${out} "${hash}" PARENT_SCOPE)
endfunction()

if(NOT EXISTS "${ABI_VERSION_FILE}")
  message(FATAL_ERROR "SdkHash: ${ABI_VERSION_FILE} does not exist")
endif()
file(READ "${ABI_VERSION_FILE}" abi_version_text)
if(NOT abi_version_text MATCHES "${hash_define_regex}")
  message(FATAL_ERROR "SdkHash: no OPTIMYSTIC_SDK_HASH define in ${ABI_VERSION_FILE}")
endif()
set(committed "${CMAKE_MATCH_1}")
optimystic_compute_sdk_hash(computed)

if(MODE STREQUAL "CHECK")
  if(NOT committed STREQUAL computed)
    # The leading space keeps CMake from re-wrapping the line.
    message(FATAL_ERROR
      " SDK changed: bump OPTIMYSTIC_ABI_* and update the hash (scripts/update-sdk-hash)\n"
      "  committed in ${ABI_VERSION_FILE}: ${committed}\n"
      "  computed from ${SDK_DIR}: ${computed}")
  endif()
  message(STATUS "SDK hash matches abi_version.h")
elseif(MODE STREQUAL "UPDATE")
  if(committed STREQUAL computed)
    message(STATUS "OPTIMYSTIC_SDK_HASH is already up to date")
  else()
    string(REGEX REPLACE "${hash_define_regex}" "#define OPTIMYSTIC_SDK_HASH \"${computed}\""
           updated "${abi_version_text}")
    file(WRITE "${ABI_VERSION_FILE}" "${updated}")
    message(STATUS "OPTIMYSTIC_SDK_HASH: ${committed} -> ${computed}")
  endif()
elseif(MODE STREQUAL "PRINT")
  message("${computed}")
else()
  message(FATAL_ERROR "SdkHash: MODE must be CHECK, UPDATE or PRINT, not '${MODE}'")
endif()
