# `cmake --install` (and the Debian package, which installs with prefix /usr): the programs, the reference
# data and FIX dictionary where api::default_config_dir() finds them (<prefix>/share/cpx/config), the
# configuration, the systemd unit and the documentation.
include(GNUInstallDirs)

install(TARGETS cpxd cpx-admin cpx-replay cpx-auction cpx-load RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY config/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cpx/config)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The configuration goes to /etc/cpx for prefix /usr (the package), else <prefix>/etc/cpx, and the unit
# names the paths of the prefix installed to: both decided at install time, when the prefix is known.
install(CODE "set(CPX_SOURCE_ROOT \"${CMAKE_SOURCE_DIR}\")\nset(CPX_BINARY_ROOT \"${CMAKE_BINARY_DIR}\")")
install(CODE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(CPX_SYSCONFDIR "/etc")
  else()
    set(CPX_SYSCONFDIR "${CMAKE_INSTALL_PREFIX}/etc")
  endif()
  set(CPX_BINDIR "${CMAKE_INSTALL_PREFIX}/bin")
  set(CPX_DOCDIR "${CMAKE_INSTALL_PREFIX}/share/doc/cpx")
  file(INSTALL "${CPX_SOURCE_ROOT}/config/cpxd.json" DESTINATION "${CPX_SYSCONFDIR}/cpx")  # file(INSTALL) adds DESTDIR itself
  configure_file("${CPX_SOURCE_ROOT}/packaging/cpxd.service.in" "${CPX_BINARY_ROOT}/cpxd.service" @ONLY)
  file(INSTALL "${CPX_BINARY_ROOT}/cpxd.service" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
]])

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cpx)
set(CPACK_PACKAGE_VENDOR "CPX")
set(CPACK_PACKAGE_CONTACT "CPX engineers <cpx@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CPX, an exchange for compute capacity (cpxd and its tools)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_STRIP_FILES ON)  # debug information stays in the build tree
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps: RocksDB, QuickFIX, OpenSSL, CBC, jemalloc, libsystemd
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles ${CMAKE_CURRENT_LIST_DIR}/debian/postinst)
include(CPack)
