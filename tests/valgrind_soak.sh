#!/bin/sh
# valgrind_soak.sh BIN_DIR [SECONDS]: a short churn soak (tests/soak.sh:
# joins, leaves, vanishing bots, rejoins, garbage datagrams, a flooder that
# gets kicked, through netsim) with the relay under valgrind, for CI. Both
# transports, SECONDS in all (default 60; keep CI under 2 minutes).
#
# BIN_DIR must hold an unsanitized build (valgrind cannot run ASan
# binaries): make BUILD=build all, then tests/valgrind_soak.sh build/bin.
# Fails if valgrind reports any invalid access, use of uninitialised memory,
# or a definite/indirect leak (--error-exitcode=1 makes the relay's exit
# status non-zero, which soak.sh checks), or if a soak check fails.
set -u
bin=${1:-}
seconds=${2:-60}
if [ -z "$bin" ] || [ ! -x "$bin/ricochet-relay" ]; then
    echo "usage: $0 BIN_DIR [SECONDS]" >&2
    exit 2
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "$0: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
if nm "$bin/ricochet-relay" 2>/dev/null | grep -q __asan_init; then
    echo "$0: $bin/ricochet-relay is built with ASan; valgrind needs a plain build" >&2
    exit 2
fi
SOAK_RELAY_WRAPPER="valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-origins=yes --error-exitcode=1"
export SOAK_RELAY_WRAPPER
exec "$(dirname "$0")/soak.sh" "$bin" "$seconds"
