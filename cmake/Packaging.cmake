# SPDX-License-Identifier: MIT
# The install tree beyond the binaries and the Debian package (issue #7):
# man pages gzip-compressed at install time (gzip -9n, as Debian does), the
# systemd units of systemd/ with ExecStart pointing at the installed bindir,
# the example config files, the copyright file, and CPack's DEB generator.
# Included from the top-level CMakeLists.txt before add_subdirectory(tools):
# cctv_tool() calls cctv_install_man().
#
# Units and examples are globbed when installing, not when configuring, so a
# file added to systemd/ or examples/ is picked up without a re-configure.

set(CCTV_UNITDIR "lib/systemd/system" CACHE STRING "Where the systemd units go, relative to the install prefix")

# cctv_install_gzipped(FILE DESTINATION): installs FILE as DESTINATION/NAME.gz,
# compressed at install time with gzip -9n (no name, no time stamp: the same
# bytes on every build, as dh_compress makes them). DESTINATION is relative
# to the install prefix.
function(cctv_install_gzipped file destination)
  get_filename_component(name "${file}" NAME)
  set(staged "${PROJECT_BINARY_DIR}/packaging/gzipped/${destination}/${name}.gz")
  set(code [[
    file(MAKE_DIRECTORY "@dir@")
    execute_process(COMMAND gzip -9n -c "@file@" OUTPUT_FILE "@staged@" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "gzip -9n @file@ failed: ${rc}")
    endif()
    file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/@destination@" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "@staged@")
  ]])
  get_filename_component(dir "${staged}" DIRECTORY)
  string(CONFIGURE "${code}" code @ONLY)
  install(CODE "${code}")
endfunction()

# cctv_install_man(PAGE): a roff page man/NAME.N into share/man/manN/NAME.N.gz.
function(cctv_install_man page)
  string(REGEX MATCH "[0-9]$" section "${page}")
  cctv_install_gzipped("${page}" "${CMAKE_INSTALL_MANDIR}/man${section}")
endfunction()

cctv_install_man("${PROJECT_SOURCE_DIR}/man/cctv-tools.7")

# The units in systemd/ are written for the default prefix (/usr/local/bin in
# ExecStart); the installed copies name the bindir of the actual prefix, so
# the Debian package's units start /usr/bin/cctv-*.
set(code [[
  file(GLOB units "@PROJECT_SOURCE_DIR@/systemd/*.service" "@PROJECT_SOURCE_DIR@/systemd/*.socket"
                  "@PROJECT_SOURCE_DIR@/systemd/*.timer")
  if(NOT units)
    message(FATAL_ERROR "no systemd units in @PROJECT_SOURCE_DIR@/systemd")
  endif()
  set(staged_dir "@PROJECT_BINARY_DIR@/packaging/systemd")
  foreach(unit IN LISTS units)
    get_filename_component(name "${unit}" NAME)
    file(READ "${unit}" text)
    string(REPLACE "/usr/local/bin/" "${CMAKE_INSTALL_PREFIX}/@CMAKE_INSTALL_BINDIR@/" text "${text}")
    file(WRITE "${staged_dir}/${name}" "${text}")
    file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/@CCTV_UNITDIR@" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${staged_dir}/${name}")
  endforeach()
]])
string(CONFIGURE "${code}" code @ONLY)
install(CODE "${code}")

# examples/SUBDIR/FILE -> share/doc/cctv-tools/examples/SUBDIR/FILE
set(code [[
  file(GLOB_RECURSE examples RELATIVE "@PROJECT_SOURCE_DIR@/examples" "@PROJECT_SOURCE_DIR@/examples/*")
  foreach(example IN LISTS examples)
    get_filename_component(subdir "${example}" DIRECTORY)
    file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/@CMAKE_INSTALL_DOCDIR@/examples/${subdir}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "@PROJECT_SOURCE_DIR@/examples/${example}")
  endforeach()
]])
string(CONFIGURE "${code}" code @ONLY)
install(CODE "${code}")

set(CCTV_PACKAGE_MAINTAINER "cctv-tools maintainers <cctv-tools@example.org>"
    CACHE STRING "Maintainer field of the Debian package and its changelog: Name <address>")
# A package's changelog names its version: generated, so it cannot drift.
configure_file("${PROJECT_SOURCE_DIR}/packaging/changelog.in" "${PROJECT_BINARY_DIR}/packaging/changelog" @ONLY)
install(FILES "${PROJECT_SOURCE_DIR}/packaging/copyright" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
cctv_install_gzipped("${PROJECT_BINARY_DIR}/packaging/changelog" "${CMAKE_INSTALL_DOCDIR}")

# The Debian package: cpack -G DEB in the build folder.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cctv-tools)
set(CPACK_PACKAGE_VENDOR "cctv-tools")
set(CPACK_PACKAGE_CONTACT "${CCTV_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "command-line tools for RTSP/CCTV cameras
Small tools for IP cameras that speak RTSP or serve MJPEG over HTTP:
cctv-discover finds ONVIF cameras and their stream URLs, cctv-probe tells
what a stream holds, cctv-grab takes snapshots and timelapses,
cctv-mjpeg-serve shows cameras live in any browser, cctv-hls turns a camera
into HLS for nginx, cctv-record records segments with retention, and
cctv-clip cuts any time range of the recordings into one file. They
share one capture library, the same options and exit codes; the
long-running ones reconnect with backoff and run as sandboxed systemd
services (one per camera, settings in /etc/cctv/NAME.conf).")
set(CPACK_DEBIAN_PACKAGE_SECTION video)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Dependencies from the binaries' shared libraries (dpkg-shlibdeps), not by hand.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# daemon-reload after install and removal, try-restart on upgrade; no unit
# is enabled by the package.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/packaging/postinst;${PROJECT_SOURCE_DIR}/packaging/postrm")
# libavdevice is opened at run time, only for lavfi: test sources (av.hpp),
# so dpkg-shlibdeps cannot see it: recommended, by its Debian package name.
if(AVDEVICE_VERSION MATCHES "^([0-9]+)")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libavdevice${CMAKE_MATCH_1}")
endif()
set(CPACK_STRIP_FILES ON)
# Install with DESTDIR and the final prefix /usr, so that the install code
# above sees /usr (not the staging folder) as CMAKE_INSTALL_PREFIX.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
