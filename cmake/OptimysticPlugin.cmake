# SPDX-License-Identifier: Apache-2.0
# optimystic_add_plugin(NAME KIND SOURCES... [LIBRARIES libs...] [OUTPUT_DIRECTORY dir])
# Builds a plugin module liboptimystic_<KIND>_<NAME>.so that exports only its entry symbol,
# links only the SDK (optimystic::sdk) plus LIBRARIES, and refuses undefined symbols at link time.
# The same function serves the in-tree plugins and out-of-tree ones (find_package(Optimystic)).
function(optimystic_add_plugin NAME KIND)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  set(sources ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  set(target optimystic_${KIND}_${NAME})
  if(ARG_OUTPUT_DIRECTORY)
    set(out ${ARG_OUTPUT_DIRECTORY})
  elseif(DEFINED OPTIMYSTIC_PLUGIN_OUTPUT_DIR)
    set(out ${OPTIMYSTIC_PLUGIN_OUTPUT_DIR})
  else()
    set(out ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  add_library(${target} MODULE ${sources})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${out}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_definitions(${target} PRIVATE
    OPTIMYSTIC_PLUGIN_KIND_NAME="${KIND}" OPTIMYSTIC_PLUGIN_NAME="${NAME}")
  target_link_libraries(${target} PRIVATE optimystic::sdk ${ARG_LIBRARIES})
  # Export the entry and nothing else (libstdc++ marks its templates default-visible), and keep
  # GCC's STB_GNU_UNIQUE symbols out, since one of them makes dlclose a no-op.
  set(version_script ${CMAKE_CURRENT_BINARY_DIR}/${target}.map)
  file(WRITE ${version_script} "{ global: optimystic_plugin_entry_*; local: *; };\n")
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)
  target_link_options(${target} PRIVATE -Wl,--no-undefined -Wl,--version-script=${version_script})
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${version_script})
  # The node refuses plugin files writable by group or others; a umask of 002 must not make
  # every freshly built plugin unloadable.
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND chmod go-w $<TARGET_FILE:${target}> $<TARGET_FILE_DIR:${target}>
    VERBATIM)
  if(NOT ARG_NO_INSTALL AND DEFINED OPTIMYSTIC_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${OPTIMYSTIC_PLUGIN_INSTALL_DIR})
  endif()
endfunction()

# optimystic_add_plugin_library(TARGET SOURCES... [LIBRARIES libs...])
# A static library holding a plugin's implementation, linked by the plugin module and directly by
# its tests: position-independent, hidden symbols, no STB_GNU_UNIQUE symbols (see above), and
# includable as "<kind>/<name>/header.h" from the plugins/ folder.
function(optimystic_add_plugin_library target)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} STATIC ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/../..)
  target_link_libraries(${target} PUBLIC optimystic::sdk ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANG_AND_ID:CXX,GNU>:-fno-gnu-unique>)
endfunction()
