#!/bin/sh
# mmdebstrap customize hook: $1 is the rootfs. Trims what no service uses.
set -eu
root="$1"
# The package's default cluster: each postgres container initialises its own data dir.
rm -rf "$root"/var/lib/postgresql/15/main "$root"/etc/postgresql/15/main
# JIT is off (postgres.conf); LLVM and z3 are its only users and are ~130 MB.
rm -rf "$root"/usr/lib/postgresql/15/lib/llvmjit* "$root"/usr/lib/postgresql/15/lib/bitcode
rm -f "$root"/usr/lib/x86_64-linux-gnu/libLLVM-* "$root"/usr/lib/x86_64-linux-gnu/libz3.so*
# Locale sources: initdb uses C.UTF-8, built into glibc.
rm -rf "$root"/usr/share/i18n/locales "$root"/usr/share/i18n/charmaps
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old
# Package postinsts start nothing in a rootfs, but leave logs behind.
rm -rf "$root"/var/log/*.log "$root"/var/log/apt
