#!/bin/sh
# bench/machine.sh BIN [OUT]: names the machine a results set is measured
# on, and measures its floor: the datagrams a second one thread sends and
# receives on loopback (`ricochet-bench --datagram-limit`, 2 s). Machines
# here differ by 3x in that rate, so a relay's µs per delivered state means
# something beside it: results quote the cost as a multiple of the floor's
# time per datagram (1 s / the rate).
#   bench/machine.sh BIN        prints the floor's rate, datagrams a second
#   bench/machine.sh BIN OUT    and writes OUT/machine.txt:
#     machine: AMD EPYC, 2 cores, Linux 6.1.0-18-amd64, KVM
#     floor: 291342 datagrams a second (3.432 us each), 40 bytes, ...
#     measured 2026-11-23 04:30 UTC
# Scripts that measure the relay source it for floor_of, machine_line and
# round_floor.
set -eu

# machine_line: CPU model, cores, kernel and hypervisor, if any.
machine_line() {
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
    virt=$(lscpu 2> /dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p')
    echo "${cpu:-unknown CPU}, $(nproc) cores, $(uname -s) $(uname -r)${virt:+, $virt}"
}

# floor_of BIN: the floor's rate, datagrams a second (an integer).
floor_of() {
    "$1/ricochet-bench" --datagram-limit | awk '{ print $3 }'
}

# floor_us RATE: one datagram's time at that rate, µs (3 decimals).
floor_us() {
    awk -v r="$1" 'BEGIN { printf "%.3f", (r > 0) ? 1e6 / r : 0 }'
}

# machine_txt OUT RATE: OUT/machine.txt, the machine and its floor's RATE.
machine_txt() {
    mkdir -p "$1"
    {
        echo "machine: $(machine_line)"
        echo "floor: $2 datagrams a second ($(floor_us "$2") us each), 40 bytes," \
             "sent and received by one thread on loopback (sendmmsg + recvmmsg)"
        echo "measured $(date -u +'%Y-%m-%d %H:%M UTC')"
    } > "$1/machine.txt"
}

# round_floor BIN OUT ROUND: the floor of one round of runs, measured again
# each round (datagrams a second); round 1's also names the machine in
# OUT/machine.txt.
round_floor() {
    round_rate=$(floor_of "$1")
    [ "$3" != 1 ] || machine_txt "$2" "$round_rate"
    echo "$round_rate"
}

if [ "${0##*/}" = machine.sh ]; then
    [ $# -ge 1 ] || { sed -n '2,13s/^# \{0,1\}//p' "$0" >&2; exit 2; }
    [ -x "$1/ricochet-bench" ] ||
        { echo "machine.sh: $1/ricochet-bench not found (run make first)" >&2; exit 2; }
    rate=$(floor_of "$1")
    [ $# -lt 2 ] || machine_txt "$2" "$rate"
    echo "$rate"
fi
