# Header self-containment check: one translation unit per public header, compiled in the normal build.
file(GLOB_RECURSE _coring_public_headers CONFIGURE_DEPENDS
     RELATIVE "${PROJECT_SOURCE_DIR}/include" "${PROJECT_SOURCE_DIR}/include/coring/*.hpp")
list(APPEND _coring_public_headers "coring/version.hpp")
list(SORT _coring_public_headers)

set(_coring_check_dir "${PROJECT_BINARY_DIR}/header_check")
set(_coring_check_sources "")
foreach(_header IN LISTS _coring_public_headers)
  string(MAKE_C_IDENTIFIER "${_header}" _stem)
  set(_src "${_coring_check_dir}/${_stem}.cpp")
  # file(CONFIGURE) rewrites the file only when its content changes, so rebuilds stay incremental.
  file(CONFIGURE OUTPUT "${_src}"
       CONTENT "// Generated: checks that ${_header} compiles on its own.\n#include \"${_header}\"\n"
       @ONLY)
  list(APPEND _coring_check_sources "${_src}")
endforeach()

add_library(coring_header_check OBJECT ${_coring_check_sources})
target_link_libraries(coring_header_check PRIVATE coring::coring coring_build_flags)
