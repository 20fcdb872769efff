# `cmake --install BUILD --prefix P`: what C users expect of a library.
#   bin/faultline                          the CLI
#   lib/libfaultline.so.0.1.0 (.so.0, .so) the shared library, SONAME libfaultline.so.MAJOR
#   lib/libfaultline.a                     the static library
#   include/faultline.h, include/faultline/*.h
#   lib/pkgconfig/faultline.pc             pkg-config (--static adds the private dependencies)
#   lib/cmake/faultline/                   find_package(faultline CONFIG): faultline::faultline
#                                          (shared), faultline::faultline_static (COMPONENTS static)
#   share/man/man1/faultline.1             written by `faultline man`
# Every installed file is relocatable: the .pc and the CMake files find the
# prefix from their own place, so the tree can be installed or moved anywhere.
include(CMakePackageConfigHelpers)

set(FL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/faultline)

install(TARGETS faultline RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS faultline_shared EXPORT faultlineTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS faultline_lib EXPORT faultlineStaticTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_BINARY_DIR}/faultline.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# CMake package. The static target's dependencies (pkg-config modules,
# OpenMP, zlib) are looked up only when the static component is asked for.
install(EXPORT faultlineTargets NAMESPACE faultline:: DESTINATION ${FL_CMAKE_DIR})
install(EXPORT faultlineStaticTargets NAMESPACE faultline:: DESTINATION ${FL_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/faultlineConfig.cmake.in
  ${CMAKE_BINARY_DIR}/faultlineConfig.cmake INSTALL_DESTINATION ${FL_CMAKE_DIR})
# Versions 0.x promise what the SONAME promises: same major, same ABI.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/faultlineConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/faultlineConfig.cmake
  ${CMAKE_BINARY_DIR}/faultlineConfigVersion.cmake DESTINATION ${FL_CMAKE_DIR})

# pkg-config: prefix relative to the .pc file's own folder (${pcfiledir}).
set(FL_PC_LIBDIR ${CMAKE_INSTALL_LIBDIR})
set(FL_PC_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir FL_PC_LIBDIR FL_PC_INCLUDEDIR)
  if(NOT IS_ABSOLUTE ${${dir}})
    set(${dir} "\${prefix}/${${dir}}")
  endif()
endforeach()
file(RELATIVE_PATH FL_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" FL_PC_TO_PREFIX "${FL_PC_TO_PREFIX}")
set(FL_PC_OPENMP "${OpenMP_C_FLAGS}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/faultline.pc.in ${CMAKE_BINARY_DIR}/faultline.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/faultline.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
