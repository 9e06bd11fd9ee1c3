#!/bin/sh
# install_check.sh: make install puts the six programs and their manual
# pages, libricochet (header, shared and static library, pkg-config file,
# manual page), the relay's systemd unit (starting the installed relay),
# the documentation and the Wireshark dissector (in Wireshark's global Lua
# plugin folder, lib/<multiarch>/wireshark/plugins/ricochet/, where it
# reads a capture with tshark if there is one) under DESTDIR/PREFIX, and
# make uninstall (same variables) removes every file install put there.
# Builds the release programs if needed.
set -eu
cd "$(dirname "$0")/.."
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
prefix=/opt/ricochet
make -s install DESTDIR="$dest" PREFIX="$prefix"
for p in relay bot client netsim bench ticket; do
    test -x "$dest$prefix/bin/ricochet-$p" || { echo "install_check: no bin/ricochet-$p"; exit 1; }
    test -s "$dest$prefix/share/man/man1/ricochet-$p.1" ||
        { echo "install_check: no share/man/man1/ricochet-$p.1"; exit 1; }
done
for f in include/ricochet/ricochet.h lib/libricochet.so \
    lib/libricochet.a \
    lib/pkgconfig/ricochet.pc share/man/man3/ricochet.3 share/doc/ricochet/README.md \
    share/doc/ricochet/operations.md share/doc/ricochet/PROTOCOL.md; do
    test -e "$dest$prefix/$f" || { echo "install_check: no $f"; exit 1; }
done
lua=$(find "$dest$prefix/lib" -path '*/wireshark/plugins/ricochet/ricochet.lua')
test -n "$lua" && test -e "$(dirname "$lua")/ricochet_enet.lua" ||
    { echo "install_check: no wireshark/plugins/ricochet/ricochet.lua and ricochet_enet.lua"; exit 1; }
if command -v tshark >/dev/null; then
    read=$(HOME="$dest" tshark -r tests/wireshark/dissector_enet.pcap -X "lua_script:$lua" \
        -Y 'ricochet.state.seq' 2>/dev/null | wc -l)
    [ "$read" -gt 0 ] || { echo "install_check: the installed dissector reads no state"; exit 1; }
fi
unit="$dest$prefix/lib/systemd/system/ricochet-relay.service"
grep -q "^ExecStart=$prefix/bin/ricochet-relay " "$unit" ||
    { echo "install_check: no unit starting $prefix/bin/ricochet-relay"; exit 1; }
installed=$(find "$dest" -type f -o -type l | wc -l)
make -s uninstall DESTDIR="$dest" PREFIX="$prefix"
left=$(find "$dest" -type f -o -type l)
if [ -n "$left" ]; then
    echo "install_check: uninstall left: $left"
    exit 1
fi
echo "install_check: $installed files installed under DESTDIR$prefix, all removed by uninstall"
