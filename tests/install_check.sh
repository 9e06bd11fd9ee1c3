#!/bin/sh
# install_check.sh: make install puts the five programs and their manual
# pages under DESTDIR/PREFIX, and make uninstall (same variables) removes
# every file install put there. Builds the release programs if needed.
set -eu
cd "$(dirname "$0")/.."
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/ricochet
make -s install DESTDIR="$dest" PREFIX="$prefix"
for p in relay bot client netsim bench; do
    test -x "$dest$prefix/bin/ricochet-$p" || { echo "install_check: no bin/ricochet-$p"; exit 1; }
    test -s "$dest$prefix/share/man/man1/ricochet-$p.1" ||
        { echo "install_check: no share/man/man1/ricochet-$p.1"; exit 1; }
done
installed=$(find "$dest" -type f | wc -l)
make -s uninstall DESTDIR="$dest" PREFIX="$prefix"
left=$(find "$dest" -type f)
if [ -n "$left" ]; then
    echo "install_check: uninstall left: $left"
    exit 1
fi
echo "install_check: $installed files installed under DESTDIR$prefix, all removed by uninstall"
