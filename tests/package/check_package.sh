#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks the install tree, the Debian package, the systemd units and the man
# pages (issue #7). One check per call, so that ctest reports each apart:
#   check_package.sh SOURCE_DIR BUILD_DIR VERSION layout|deb|units|man
# layout: a DESTDIR install holds every tool, compressed man page, completion,
#         unit of systemd/ and example, and nothing else.
# deb:    cpack -G DEB; lintian finds no error; its control fields and file list; its binaries are
#         stripped; every tool's --version and --help run from the unpacked root.
# units:  systemd-analyze verify (no output allowed) and security --offline
#         (exposure <= 2.0) of every installed unit, ExecStart pointing at the
#         installed binary.
# man:    every man page renders with groff -ww and passes mandoc -T lint -W
#         warning without a word.
set -euo pipefail

src=$1 build=$2 version=$3 what=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# The tools built by tools/CMakeLists.txt, and the units and examples in the
# source tree: the expected contents come from the sources, not from a list here.
mapfile -t tools < <(sed -n 's/^add_subdirectory(\(cctv-[a-z-]*\)).*/\1/p' "$src/tools/CMakeLists.txt")
mapfile -t units < <(cd "$src/systemd" && ls -1 -- *.service *.socket *.timer 2>/dev/null)
mapfile -t examples < <(cd "$src/examples" && find . -type f | sed 's|^\./||' | sort)
((${#tools[@]} > 0)) || { echo "no tools found in $src/tools/CMakeLists.txt" >&2; exit 1; }
((${#units[@]} > 0)) || { echo "no units found in $src/systemd" >&2; exit 1; }

# The files a tree installed under PREFIX (relative, without a leading /) must hold.
expected_files() {
  local p=$1 t u e
  for t in "${tools[@]}"; do
    echo "$p/bin/$t"
    echo "$p/share/man/man1/$t.1.gz"
    echo "$p/share/bash-completion/completions/$t"
    echo "$p/share/zsh/vendor-completions/_$t"
    echo "$p/share/fish/vendor_completions.d/$t.fish"
  done
  echo "$p/share/man/man7/cctv-tools.7.gz"
  for u in "${units[@]}"; do echo "$p/lib/systemd/system/$u"; done
  for e in "${examples[@]}"; do echo "$p/share/doc/cctv-tools/examples/$e"; done
  echo "$p/share/doc/cctv-tools/copyright"
  echo "$p/share/doc/cctv-tools/changelog.gz"
}

# Compares the regular files under ROOT with expected_files PREFIX.
check_tree() {
  local root=$1 prefix=$2
  diff <(expected_files "$prefix" | sort) <(cd "$root" && find . -type f -o -type l | sed 's|^\./||' | sort) \
    >"$tmp/tree.diff" || fail "installed files differ from the expected ones (< missing, > unexpected):
$(cat "$tmp/tree.diff")"
  local gz
  for gz in "$root/$prefix"/share/man/man*/*.gz "$root/$prefix/share/doc/cctv-tools/changelog.gz"; do
    [[ -e $gz ]] || continue
    gzip -t "$gz" || fail "$gz: not a valid gzip file"
    # gzip -n: no file name and no time stamp in the header (bytes 4-7 zero).
    [[ $(od -An -tx1 -j3 -N5 "$gz" | tr -d ' ') == 0000000000 ]] || fail "$gz: not compressed with gzip -n"
  done
  echo "checked ${#tools[@]} tools, ${#units[@]} units, ${#examples[@]} examples under /$prefix"
}

install_tree() {  # DESTDIR install of the build tree into $1 with prefix /$2
  DESTDIR=$1 cmake --install "$build" --prefix "/$2" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; echo "cmake --install failed" >&2; exit 1; }
}

check_layout() {
  install_tree "$tmp/root" usr/local
  check_tree "$tmp/root" usr/local
  local u
  for u in "${units[@]}"; do
    grep -q "^ExecStart=/usr/local/bin/cctv-" "$tmp/root/usr/local/lib/systemd/system/$u" ||
      fail "$u: installed ExecStart does not start /usr/local/bin/cctv-*"
  done
}

check_deb() {
  cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/cpack" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log" >&2; echo "cpack failed" >&2; exit 1; }
  local deb
  deb=$(echo "$tmp"/cpack/*.deb)
  [[ -f $deb ]] || { echo "cpack made no .deb" >&2; exit 1; }
  echo "built $(basename "$deb"), $(stat -c %s "$deb") bytes"
  # Debian's own policy checker: no errors (accepted warnings: README, Packaging).
  lintian --fail-on error "$deb" >"$tmp/lintian.log" 2>&1 ||
    { cat "$tmp/lintian.log" >&2; fail "lintian reports errors"; }
  [[ $(dpkg-deb -f "$deb" Package) == cctv-tools ]] || fail "Package is not cctv-tools"
  [[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version is not $version"
  local depends
  depends=$(dpkg-deb -f "$deb" Depends)
  echo "Depends: $depends"
  # Computed by dpkg-shlibdeps from the binaries: the FFmpeg, TurboJPEG and C++ runtime libraries,
  # and libxml2, which cctv-discover reads SOAP with.
  for lib in libc6 libstdc++6 libavformat libavcodec libturbojpeg0 libsystemd0 libxml2; do
    [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib"
  done
  for field in Maintainer Description Section; do
    [[ -n $(dpkg-deb -f "$deb" "$field") ]] || fail "control field $field is empty"
  done
  dpkg-deb -x "$deb" "$tmp/root"
  check_tree "$tmp/root" usr
  local t u out
  for t in "${tools[@]}"; do
    local bin=$tmp/root/usr/bin/$t
    readelf -S "$bin" | grep -Eq '\.symtab|\.debug_' && fail "$t: not stripped"
    out=$(timeout 10 "$bin" --version 2>&1) || fail "$t --version: exit status $?"
    [[ $out == *"$version"* ]] || fail "$t --version does not print $version: $out"
    out=$(timeout 10 "$bin" --help 2>&1) || fail "$t --help: exit status $?"
    [[ $out == *--help* ]] || fail "$t --help prints no option list"
  done
  for u in "${units[@]}"; do
    t=$(sed -n 's|^ExecStart=/usr/bin/\([^ ]*\).*|\1|p' "$tmp/root/usr/lib/systemd/system/$u")
    [[ -n $t && -x $tmp/root/usr/bin/$t ]] || fail "$u: ExecStart does not start a packaged /usr/bin tool"
  done
  echo "ran --version and --help of ${#tools[@]} tools from the unpacked package"
}

# A copy of each installed unit whose ExecStart names the binary under the
# DESTDIR root, in $tmp/units.
units_with_root_paths() {
  install_tree "$tmp/root" usr
  mkdir -p "$tmp/units"
  local u
  for u in "${units[@]}"; do
    sed "s|^ExecStart=/usr/bin/|ExecStart=$tmp/root/usr/bin/|" "$tmp/root/usr/lib/systemd/system/$u" >"$tmp/units/$u"
  done
}

check_units() {
  units_with_root_paths
  local u out exposure offline=1
  systemd-analyze security --help 2>/dev/null | grep -q -- --offline || offline=0
  for u in "${units[@]}"; do
    # MANPATH: verify also checks that Documentation=man:... pages exist (the installed ones).
    out=$(cd "$tmp/units" && MANPATH=$tmp/root/usr/share/man systemd-analyze verify "$u" 2>&1) ||
      fail "$u: systemd-analyze verify failed"
    [[ -z $out ]] || fail "$u: systemd-analyze verify says:
$out"
    # A camera without a password needs no password file: SetCredential= is
    # the fallback of a LoadCredential= of the same ID (systemd.exec(5)).
    if grep -q '^LoadCredential=cctv-password:' "$tmp/units/$u"; then
      grep -qx 'SetCredential=cctv-password:\\n' "$tmp/units/$u" ||
        fail "$u: LoadCredential=cctv-password without the empty SetCredential= fallback"
    fi
    if ((offline)); then
      out=$(cd "$tmp/units" && systemd-analyze security --offline=true "$u" 2>&1 | grep 'Overall exposure level') || true
      exposure=$(sed -n 's/.*: \([0-9.]*\) .*/\1/p' <<<"$out")
      echo "$u: systemd-analyze security exposure ${exposure:-?} ($out)"
      [[ -n $exposure ]] || { fail "$u: no exposure figure from systemd-analyze security"; continue; }
      awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "$u: exposure $exposure above 2.0"
    fi
  done
  ((offline)) || echo "systemd-analyze has no --offline (systemd < 250): exposure not checked"
  echo "verified ${#units[@]} units"
}

check_man() {
  local page out n=0
  for page in "$src"/man/*.1 "$src/man/cctv-tools.7"; do
    out=$(groff -ww -man -z "$page" 2>&1) || fail "$page: groff exit status $?"
    [[ -z $out ]] || fail "$page: groff warns:
$out"
    out=$(mandoc -T lint -W warning "$page" 2>&1) || true
    [[ -z $out ]] || fail "$page: mandoc -T lint warns:
$out"
    n=$((n + 1))
  done
  echo "rendered $n man pages"
}

case $what in
  layout) check_layout ;;
  deb) check_deb ;;
  units) check_units ;;
  man) check_man ;;
  *) echo "unknown check '$what'" >&2; exit 2 ;;
esac
((failures == 0)) || { echo "$failures failure(s)" >&2; exit 1; }
echo "package $what: ok"
