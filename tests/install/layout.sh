#!/bin/sh
# `cmake --install` lays out what C users expect, and pkg-config reads it.
# $1 = build directory, $2 = a scratch prefix (emptied), $3 = version (0.1.0).
set -u
export LC_ALL=C
build=$1 prefix=$2 version=$3
major=${version%%.*}
fail=0
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1 ||
	{ cat "$prefix.log"; echo "cmake --install failed"; exit 1; }

for f in bin/faultline lib/libfaultline.so.$version lib/libfaultline.a \
	include/faultline.h include/faultline/core.h include/faultline/pipeline.h \
	lib/pkgconfig/faultline.pc lib/cmake/faultline/faultlineConfig.cmake \
	lib/cmake/faultline/faultlineConfigVersion.cmake share/man/man1/faultline.1; do
	[ -f "$prefix/$f" ] || { echo "not installed: $f"; fail=1; }
done
[ "$(readlink "$prefix/lib/libfaultline.so")" = "libfaultline.so.$major" ] ||
	{ echo "libfaultline.so does not point to libfaultline.so.$major"; fail=1; }
[ "$(readlink "$prefix/lib/libfaultline.so.$major")" = "libfaultline.so.$version" ] ||
	{ echo "libfaultline.so.$major does not point to libfaultline.so.$version"; fail=1; }
soname=$(objdump -p "$prefix/lib/libfaultline.so.$version" | awk '$1 == "SONAME" { print $2 }')
[ "$soname" = "libfaultline.so.$major" ] || { echo "SONAME is '$soname', not libfaultline.so.$major"; fail=1; }
grep -q '^\.TH' "$prefix/share/man/man1/faultline.1" || { echo "faultline.1: no .TH line"; fail=1; }

# pkg-config: the shared library alone; --static adds every private dependency.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion faultline)" = "$version" ] || { echo "pkg-config: wrong version"; fail=1; }
libs=" $(pkg-config --libs faultline) "
static=" $(pkg-config --static --libs faultline) "
cflags=" $(pkg-config --cflags faultline) "
case $libs in *" -lfaultline "*) ;; *) echo "pkg-config --libs: no -lfaultline: $libs"; fail=1 ;; esac
case $libs in *" -lopenblas "*) echo "pkg-config --libs lists private dependencies: $libs"; fail=1 ;; esac
for l in -lfaultline -lopenblas -llapacke -lcjson -lz -fopenmp -lm; do
	case $static in *" $l "*) ;; *) echo "pkg-config --static --libs: no $l: $static"; fail=1 ;; esac
done
# the -I and -L it gives are the prefix's
[ -f "$(echo "$cflags" | sed 's/^ *-I\([^ ]*\) .*/\1/')/faultline.h" ] ||
	{ echo "pkg-config --cflags: faultline.h not under its first -I: $cflags"; fail=1; }
[ -f "$(echo "$libs" | sed 's/^ *-L\([^ ]*\) .*/\1/')/libfaultline.so" ] ||
	{ echo "pkg-config --libs: libfaultline.so not under its -L: $libs"; fail=1; }
[ $fail -eq 0 ] && echo "installed in $prefix: layout, SONAME $soname, pkg-config"
exit $fail
