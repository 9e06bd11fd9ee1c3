#!/bin/sh
# docs/tables/doctables.sh: the figure tables of README.md and docs/,
# generated from the committed results in bench/results/ (doctables.jq,
# beside it), the map of the files (files_map.sh, docs/tables/files.md) and
# the table of the test binaries (tests_map.sh, docs/tables/tests.md).
#   docs/tables/doctables.sh NAME            print table NAME
#   docs/tables/doctables.sh --update FILE.. rewrite every table block in the files
#   docs/tables/doctables.sh --check FILE..  exit 1, showing the difference, if a
#                                            block is not what the results give
# A block in a markdown file is
#   <!-- table NAME -->
#   ...generated lines...
#   <!-- /table -->
# Run from the top of the source tree; needs jq.
set -eu
results=${RICOCHET_RESULTS:-bench/results}
here=$(dirname "$0")

# machine_of FILE: the machine.txt (bench/machine.sh) of the results set
# FILE belongs to, in its folder or the one above; /dev/null if none.
machine_of() {
    d=$(dirname "$1")
    for m in "$d/machine.txt" "$(dirname "$d")/machine.txt"; do
        [ -f "$m" ] && { echo "$m"; return; }
    done
    echo /dev/null
}

# measured_by SUITE: for a table whose results may not be committed yet,
# says which make target writes them and leaves table() if they are missing.
measured_by() {
    [ -f "${files%% *}" ] && return 0
    echo "(Not measured on the reference machine yet: \`make bench-$1-reference\`" \
         "writes \`bench/results/$1/\`, then \`docs/tables/doctables.sh --update README.md" \
         "docs/*.md\` puts its table here.)"
    files=""
}

# table NAME: prints it from the results that table is made of.
table() {
    case "$1" in
    files) sh "$here/files_map.sh"; return ;; # docs/tables/files.md, from the files
    tests) sh "$here/tests_map.sh"; return ;; # docs/tables/tests.md, from their openers
    headline | loss | audit) files="$results/loss/results.json" ;;
    capacity) files="$results/capacity/results.json" ;;
    order) files="$results/order/results.json" ;;
    hol) files="$results/hol/results.json" ;;
    peers | peers_headline) files="$results/peers/runs.json"; measured_by peers ;;
    ws_cost) files="$results/ws-cost/runs.json"; measured_by ws-cost ;;
    payload) files="$results/payload/results.json"; measured_by payload ;;
    payload_world) files="$results/payload/world.json"; measured_by payload ;;
    lesson) files="$results/lesson/results.json"; measured_by lesson ;;
    ipmodes) files="$results/ipmodes/results.json"; measured_by ipmodes ;;
    webrtc_modes | webrtc_audit) files="$results/webrtc/modes/results.json"; measured_by webrtc ;;
    webrtc_cpu)
        # the 1000 clients' runs only where bench/webrtc.sh made them
        files=""
        for f in cpu-room cpu-rooms cpu-rooms-1000 cpu-rooms-1000-clear; do
            [ -f "$results/webrtc/$f/results.json" ] && files="$files $results/webrtc/$f/results.json"
        done
        files=${files# }
        measured_by webrtc ;;
    rooms) files="$results/scale/rooms/results.json" ;;
    room) files="$results/scale/room/results_tick0.json $results/scale/room/results_tick2.json" ;;
    sequenced) files="$results/sequenced/relay_and_receiver.json $results/sequenced/receiver_only.json" ;;
    guards | generator | metrics | metrics_before)
        case "$1" in
        guards) txt="$results/guards/runs.txt" ;;
        generator) txt="$results/generator/generator.txt" ;;
        metrics) txt="$results/metrics/cost.txt" ;;
        *) txt="$results/metrics/cost_before.txt" ;;
        esac
        jq -n -r --arg table "$1" --rawfile txt "$txt" --rawfile machine "$(machine_of "$txt")" \
            --rawfile limit /dev/null --slurpfile run /dev/null -f "$here/doctables.jq"
        return ;;
    tick | memory)
        if [ "$1" = tick ]; then txt="$results/scale/tick/summary.txt"
        else txt="$results/scale/memory.txt $results/scale/limit.txt"; fi
        # shellcheck disable=SC2086
        cat $txt | jq -n -r --arg table "$1" --rawfile txt /dev/stdin --slurpfile run /dev/null \
            --rawfile machine "$(machine_of "${txt%% *}")" --rawfile limit "$(scale_limit "$1")" \
            -f "$here/doctables.jq"
        return ;;
    *) echo "doctables: no table $1" >&2; return 2 ;;
    esac
    [ -n "$files" ] || return 0
    # shellcheck disable=SC2086
    cat $files | jq -n -r --arg table "$1" --slurpfile run /dev/stdin --rawfile txt /dev/null \
        --rawfile machine "$(machine_of "${files%% *}")" --rawfile limit "$(scale_limit "$1")" \
        -f "$here/doctables.jq"
}

# scale_limit NAME: for the scale suite's tables, its limit.txt (the floor
# of the same run, for results older than machine.txt); /dev/null else.
scale_limit() {
    case "$1" in
    rooms | room | tick | memory) [ -f "$results/scale/limit.txt" ] &&
        echo "$results/scale/limit.txt" || echo /dev/null ;;
    *) echo /dev/null ;;
    esac
}

# blocks FILE MODE: MODE update rewrites FILE; check prints a diff and fails.
blocks() {
    tmp=$(mktemp)
    awk -v self="$0" '
        /^<!-- table [a-z_]+ -->$/ {
            print; name = $3; skip = 1
            cmd = "sh " self " " name
            while ((cmd | getline line) > 0) print line
            if (close(cmd) != 0) { print "doctables: table " name " failed" > "/dev/stderr"; bad = 1 }
            next }
        /^<!-- \/table -->$/ { skip = 0 }
        !skip { print }
        END { exit bad }' "$1" > "$tmp" || { rm -f "$tmp"; return 1; }
    if [ "$2" = update ]; then
        cmp -s "$tmp" "$1" || cat "$tmp" > "$1"
        rm -f "$tmp"
    elif ! diff -u "$1" "$tmp" >&2; then
        echo "doctables: $1 has figures the committed results do not give:" \
             "run docs/tables/doctables.sh --update $1" >&2
        rm -f "$tmp"
        return 1
    else
        rm -f "$tmp"
    fi
}

case "${1:-}" in
--update | --check)
    mode=${1#--}
    shift
    rc=0
    for f in "$@"; do blocks "$f" "$mode" || rc=1; done
    exit $rc ;;
"" | -*) sed -n '2,13s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
*) table "$1" ;;
esac
