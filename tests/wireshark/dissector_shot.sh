#!/bin/sh
# dissector_shot.sh: makes docs/wireshark-state.png, the picture of
# docs/sockets.md ("Looking at the datagrams"): Wireshark with the
# dissector on dissector_enet.pcap, a state selected and its tree open.
# Needs Debian's wireshark-qt, xvfb, xdotool and imagemagick; runs
# Wireshark on a display of its own (:57) and stops both.
set -eu
cd "$(dirname "$0")/../.."
home=$(mktemp -d)
trap 'kill $ws $x 2>/dev/null; rm -rf "$home"' EXIT
Xvfb :57 -screen 0 1280x1024x24 -nolisten tcp &
x=$!
sleep 2
export DISPLAY=:57
mkdir -m 700 "$home/run"
HOME=$home XDG_RUNTIME_DIR=$home/run wireshark -r tests/wireshark/dissector_enet.pcap \
    -X lua_script:proto/wireshark/ricochet.lua -o gui.layout_content_3:NONE \
    -o 'gui.column.format:"No.","%m","Time","%t","From","%uS","To","%uD","Protocol","%p","Info","%i"' \
    -g 25 >/dev/null 2>&1 &
ws=$!
sleep 8
win=$(xdotool search --onlyvisible --name dissector_enet | head -1)
xdotool windowmove "$win" 0 0 windowsize "$win" 1280 1024
sleep 1
xdotool mousemove 336 101 click --repeat 2 --delay 80 1 # fit the Protocol column
sleep 1
xdotool mousemove 60 616 click 1 key shift+Right # open ENet's tree, and all below it
sleep 1
import -window root png:- | convert - -colors 32 PNG8:docs/wireshark-state.png
echo "dissector_shot: wrote docs/wireshark-state.png"
