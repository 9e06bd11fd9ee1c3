#!/bin/sh
# bench/datagrams.sh OUT RUNS BIN...: what the relay sends, counted on the
# wire: 1000 reliable clients in rooms of 8 at 10 Hz, the default tick; for
# 2 s of the window, tcpdump counts the relay's datagrams, and those that
# carry only one ENet acknowledgement (10 bytes). For the programs in each
# folder BIN, the builds alternating, RUNS rounds. Writes OUT/datagrams.txt:
# the date and command, a line a run, then per build the median (min-max).
# Needs tcpdump, ss and pgrep, and root (or capture rights on lo).
set -eu
[ $# -ge 3 ] || { sed -n '2,8s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out=$1
runs=$2
shift 2
command -v tcpdump > /dev/null || { echo "datagrams.sh: needs tcpdump" >&2; exit 2; }
mkdir -p "$out"
"$(dirname "$0")/machine.sh" "$1" "$out" > /dev/null # machine.txt: the machine, its floor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
file="$out/datagrams.txt"
{
    echo "measured $(date -u +'%Y-%m-%d %H:%M UTC') with \`bench/datagrams.sh $out $runs $*\`"
    echo "build datagrams_in_2s acknowledgement_only"
} > "$file"
for round in $(seq 1 "$runs"); do
    for b in "$@"; do
        "$b/ricochet-bench" --room-size 8 --rate 10 --procs 1 --modes reliable --clients 1000 \
            --duration 10 --warmup 2 --grace 1 --setup-timeout 90 --quiet > /dev/null &
        bench=$!
        sleep 8 # setup and warm-up: the window has begun
        relay=$(pgrep -P "$bench" -x ricochet-relay || true)
        port=$(ss -ulpn | grep "pid=$relay," | sed -n 's/.*:\([0-9][0-9]*\) .*/\1/p' | head -n 1)
        [ -n "$relay" ] && [ -n "$port" ] || { echo "datagrams.sh: the bench's relay not found" >&2; exit 1; }
        timeout 2 tcpdump -i lo -n -w "$tmp/relay.pcap" "udp and src port $port" 2> /dev/null || true
        wait "$bench"
        tcpdump -r "$tmp/relay.pcap" -n 2> /dev/null |
            awk -v build="$("$b/ricochet-relay" --version | awk '{ print $2 }')" '
                { n++; if ($NF == 10) acks++ }
                END { printf "%s %d %d\n", build, n, acks }' >> "$file"
    done
done
awk 'NR <= 2 { next }
     { if (!($1 in n)) order[++k] = $1; n[$1]++; d[$1, n[$1]] = $2; a[$1, n[$1]] = $3 }
     function med(b, v,    i, j, t, x, m) {
         for (i = 1; i <= n[b]; i++) x[i] = v == "d" ? d[b, i] : a[b, i]
         for (i = 2; i <= n[b]; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) {
             t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
         m = n[b] % 2 ? x[(n[b] + 1) / 2] : (x[n[b] / 2] + x[n[b] / 2 + 1]) / 2
         return sprintf("%d (%d-%d)", m, x[1], x[n[b]]) }
     END { for (i = 1; i <= k; i++)
               printf "%s, %d runs: %s datagrams in 2 s, %s of them acknowledgements only\n",
                      order[i], n[order[i]], med(order[i], "d"), med(order[i], "a") }' \
    "$file" >> "$tmp/summary"
cat "$tmp/summary" >> "$file"
cat "$file" >&2
