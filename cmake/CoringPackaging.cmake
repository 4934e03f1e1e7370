# Install rules for coring: headers, the library, the CMake package (coring::coring) and coring.pc.
include(CMakePackageConfigHelpers)

set(CORING_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/coring" CACHE STRING
    "Where to install coringConfig.cmake, relative to the prefix")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/coring"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(FILES "${CORING_GENERATED_INCLUDE_DIR}/coring/version.hpp"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/coring")

install(TARGETS coring EXPORT coringTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(EXPORT coringTargets
        NAMESPACE coring::
        DESTINATION "${CORING_INSTALL_CMAKEDIR}")

get_target_property(_coring_type coring TYPE)
if(_coring_type STREQUAL "STATIC_LIBRARY")
  set(CORING_PKG_STATIC ON)
else()
  set(CORING_PKG_STATIC OFF)
endif()

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/coringConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/coringConfig.cmake"
  INSTALL_DESTINATION "${CORING_INSTALL_CMAKEDIR}")
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/coringConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/coringConfig.cmake" "${PROJECT_BINARY_DIR}/coringConfigVersion.cmake"
        DESTINATION "${CORING_INSTALL_CMAKEDIR}")

# coring.pc is relocatable: its prefix is computed from the directory the .pc file lands in.
set(_coring_pcdir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  message(FATAL_ERROR "coring.pc needs CMAKE_INSTALL_LIBDIR and CMAKE_INSTALL_INCLUDEDIR relative to the prefix")
endif()
file(RELATIVE_PATH CORING_PC_RELPREFIX "/prefix/${_coring_pcdir}" "/prefix")
string(REGEX REPLACE "/$" "" CORING_PC_RELPREFIX "${CORING_PC_RELPREFIX}")
set(CORING_PC_REQUIRES_PRIVATE "fmt")
if(CORING_WITH_URING)
  set(CORING_PC_REQUIRES_PRIVATE "liburing >= 2.3, fmt")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/coring.pc.in" "${PROJECT_BINARY_DIR}/coring.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/coring.pc" DESTINATION "${_coring_pcdir}")
