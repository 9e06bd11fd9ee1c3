# ricochet: a UDP game-state relay. See README.md and docs/.
#
#   make            build release binaries into build/bin/
#   make test       build with ASan+UBSan into build/asan/ and run every test
#   make test-tsan  the tests of what runs on several threads, with
#                   ThreadSanitizer, in build/tsan/
#   make demo       a 10 s session on loopback: relay + bots, then a summary
#   make fleet-demo redis-server + 3 relays + bots in several rooms: who holds what
#   make bench      a quick benchmark (about a minute): the modes side by side
#   make bench-full the whole suite into build/bench-results/ (bench-reference:
#                   into the committed bench/results/; bench-scale, bench-guards,
#                   bench-edges, bench-doors)
#   make bench-fleet the fleet suite (placement, CPU, failover, drain, directory paused,
#                   Sentinel failover)
#   make bench-fleet-listing a fleet's listing from the directory: 10 relays, 100 to
#                   10,000 rooms (bench-fleet-listing-reference: into bench/results/)
#   make bench-peers ricochet-relay beside Colyseus, one workload (needs Node 20, npm)
#   make bench-ws-cost the WebSocket edge's CPU per delivered state beside ENet's, the
#                   peers' workload at 1000 clients (bench-ws-cost-reference: into
#                   bench/results/)
#   make bench-script-cost what a room script costs the relay per delivered state: no
#                   script, one on events, one on every state, the reference relay,
#                   the peers' workload at 1000 clients (-reference: bench/results/)
#   make bench-payload what a state's payload costs: 0, 64, 256 and 1024 bytes side
#                   by side, in a room and in a world, every payload checked
#                   (bench-payload-reference: into bench/results/payload/)
#   make bench-event-size what an event's body costs: 64, 1024 and 4096 bytes side
#                   by side, rooms of 8 over ENet (bench-event-size-reference:
#                   into bench/results/event-size/)
#   make bench-lockstep lockstep rooms: 1,000 players in rooms of 8 at 30 Hz, the
#                   relay's CPU per player beside the state relay's, input-to-frame
#                   latency at 0 and 5% loss, the frames' delivery against a reliable
#                   channel (bench-lockstep-reference: into bench/results/lockstep/)
#   make lesson     the lesson you can watch (ricochet-lesson): every transport side
#                   by side through one network you turn by hand, in a page
#                   (LESSON_PORT, 7799; its door LESSON_DOOR_ADDRESS and
#                   LESSON_DOOR_PORT, 127.0.0.1 and 7800: a class's; the
#                   students' read-only view LESSON_VIEW_ADDRESS, none, on
#                   LESSON_VIEW_PORT, 7801: docs/class/; LESSON_NETSIM_ARGS,
#                   more options for netsim);
#                   make bench-lesson-cpu: what it costs (-reference: bench/results/);
#                   make bench-lesson-senders: what a loss freezes in lanes of four
#                   senders (-reference: bench/results/); make bench-lesson-scale:
#                   whether its reading of netsim's drop log keeps pace with four
#                   senders a lane (-reference: bench/results/)
#   make bench-lesson what the lesson shows, measured: a TCP stream against ENet
#                   and plain UDP through one network (netsim's IP mode), and their
#                   strips (bench-lesson-reference:
#                   into bench/results/)
#   make bench-ipmodes every mode, tcp and ws among them, through one network at 5%
#                   loss (bench-ipmodes-reference: into bench/results/)
#   make bench-world-targets the world tick: worlds of 1000 and 3000 at about 30
#                   others in radius, 1000 on a 20 ms world tick and without one
#   make bench-webrtc the ENet modes over WebRTC beside the others at 0 and 5%
#                   loss, the relay's CPU over WebRTC against sealed ENet, and
#                   rtc-cost (bench-webrtc-reference: into bench/results/webrtc/)
#   make fuzz       libFuzzer runs of every decoder (FUZZ_SECONDS=N each), from
#                   the kept corpora (tests/fuzz/corpus/), which it only reads
#   make fuzz-long  every decoder FUZZ_MINUTES=N minutes (default 10), what it
#                   found merged back into the kept corpora, minimized
#                   (both: FUZZ_TARGETS="control http" for some only)
#   make fuzzers    build the libFuzzer programs only (clang) into build/fuzz/bin/
#   make soak       long churn run through netsim (SOAK_SECONDS=N)
#   make soak-chaos the whole system under chaos for MINUTES=N (default 10): three
#                   relays with every edge (ASan), Redis with Sentinel, bots on every
#                   transport, netsim's model changing, kills, stops, failovers and
#                   abuse; a PASS/FAIL line per invariant (docs/testing.md)
#   make soak-partitions the fleet cut apart by nftables (tests/partitions.sh)
#                   for MINUTES=N, random cut lengths, a PASS/FAIL line per
#                   invariant (root)
#   make soak-lesson the lesson turned through every preset for MINUTES=N (default
#                   10): no lane started again, no state lost that no one explains
#   make soak-lockstep four players in four bindings (C, Python, JavaScript, C#) in
#                   one lockstep room through netsim (5% loss, 100 ms +- 40) for
#                   LOCKSTEP_PLAY_S=N seconds (default 120): test_e2e_lockstep_bindings
#                   played long (root, mono, node)
#   make writers-check every source compiled again for its errors only, each
#                   part of a struct const but to its writer: a write from
#                   another file fails (make all and make tests run it)
#   make deps       install missing Debian packages (or print the command)
#   make lib        libricochet (.so, .a, ricochet.pc, ricochet.3) into build/lib/
#   make install    programs, libricochet, manual pages, the relay's systemd unit,
#                   the Wireshark dissector; PREFIX=/usr/local DESTDIR=
#                   (make install-lib: libricochet only)
#   make uninstall  removes what install put there (same PREFIX, DESTDIR)

CC ?= cc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/ricochet
# Wireshark's global Lua plugin folder under PREFIX, as Debian's Wireshark
# has it (/usr/lib/x86_64-linux-gnu/wireshark/plugins with PREFIX=/usr).
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
WIRESHARK_PLUGINDIR ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))/wireshark/plugins
DISSECTOR := proto/wireshark/ricochet.lua proto/wireshark/ricochet_enet.lua
# The documentation the manual pages point to, installed flat.
DOCS := README.md LICENSE $(wildcard docs/*.md) proto/PROTOCOL.md proto/STATS.md
BUILD ?= build
CFLAGS ?= -O2 -g
SAN ?=
PKG_CONFIG ?= pkg-config

# Quiet by default ("CC proto/wire.c"); make V=1 shows whole commands.
ifeq ($(V),1)
Q :=
say := @true
else
Q := @
say := @printf '  %-4s %s\n'
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-missing-field-initializers
# A const discarded is an error, not a warning, in every build. It matters
# in the writers check (make writers-check; docs/design.md, "Who writes
# what"), where a part of a struct that one file writes is const to every
# other file: a pointer to it handed where it could be written does not
# compile. gcc and clang name it differently; the one the compiler knows is
# taken.
WRITER_ERRORS := $(foreach w,discarded-qualifiers incompatible-pointer-types-discards-qualifiers,\
                   $(shell $(CC) -Werror -Werror=$(w) -x c -c -o /dev/null /dev/null 2>/dev/null \
                           && echo -Werror=$(w)))
WARN += $(WRITER_ERRORS)
# -fPIC and hidden visibility everywhere: one object serves the programs and
# libricochet, which exports only what ricochet.h marks RICOCHET_API. A quoted
# include names its header from the top of the tree ("proto/wire.h"), or bare
# beside it: -iquote . (never <...>, which the system's headers keep).
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -iquote . $(WARN) $(CFLAGS) -MMD -MP -fPIC -fvisibility=hidden
ifeq ($(SAN),1)
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=address,undefined
endif
# ThreadSanitizer (make test-tsan): it cannot share a build with ASan.
ifeq ($(TSAN),1)
ALL_CFLAGS += -O1 -fsanitize=thread -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=thread
endif

# Packages: compile flags for all; each program links only those it names.
PACKAGES := libenet libcjson libpcap ncursesw cmocka libmicrohttpd libsodium hiredis usrsctp openssl \
            libcrypto wslay libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3 libcurl lua5.4
# usrsctp's .pc adds -DINET -DINET6, which its header does not read: only its path.
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libenet libcjson libpcap libmicrohttpd libsodium hiredis \
    openssl libngtcp2 libngtcp2_crypto_gnutls gnutls libnghttp3 libcurl lua5.4 2>/dev/null) \
    $(shell $(PKG_CONFIG) --cflags-only-I usrsctp 2>/dev/null)
fallback_libenet := -lenet
fallback_libcjson := -lcjson
fallback_libpcap := -lpcap
fallback_ncursesw := -lncursesw
fallback_cmocka := -lcmocka
fallback_hiredis := -lhiredis
fallback_libmicrohttpd := -lmicrohttpd
fallback_libsodium := -lsodium
fallback_usrsctp := -lusrsctp
fallback_openssl := -lssl -lcrypto
fallback_libcrypto := -lcrypto
# wslay (Debian's libwslay-dev) ships no pkg-config file: its library by name.
fallback_wslay := -lwslay
# QUIC (relay/quic, libricochet's QUIC transport): ngtcp2 0.12, its GnuTLS
# crypto helper, GnuTLS (in link order).
fallback_libngtcp2_crypto_gnutls := -lngtcp2_crypto_gnutls
fallback_libngtcp2 := -lngtcp2
fallback_gnutls := -lgnutls
# WebTransport's HTTP/3 (proto/h3.c): nghttp3 0.8's QPACK encoder and decoder.
fallback_libnghttp3 := -lnghttp3
# The HTTP client (sys/http_client.c: the fleet's Agones calls, the
# lesson's, the tests'): libcurl, GnuTLS flavour (Debian's libcurl4-gnutls-dev).
fallback_libcurl := -lcurl
# Room scripts (relay/script): Lua 5.4, embedded (Debian's liblua5.4-dev).
fallback_lua5.4 := -llua5.4
$(foreach p,$(PACKAGES),$(eval pkglibs_$(p) := \
    $(or $(shell $(PKG_CONFIG) --libs $(p) 2>/dev/null),\
         $(fallback_$(p)))))
pkg_libs = $(foreach p,$(1),$(pkglibs_$(p))) -lm

# Every folder is a static library of its .c files but its mains (X_main.c):
# client/bot's is build/lib/libclient_bot.a.
MODULES := proto proto/enet stats sys lab/harness rtc fleet relay/core relay/script relay relay/enet relay/udp \
           relay/tcp relay/ws relay/poll relay/stream relay/webrtc relay/quic relay/http \
           client/lib lab/lesson bench/costs \
           client/swarm client/bot client/tui lab/netsim lab/audit bench bench/reference
MAINS := $(wildcard $(addsuffix /*_main.c,$(MODULES)))
# libricochet's transports (client/lib/transports/) and its session call each
# other: they are one library, client/lib's.
lib_srcs = $(filter-out $(MAINS),$(wildcard $(1)/*.c) \
    $(if $(filter client/lib,$(1)),$(wildcard client/lib/transports/*.c)))
lib_archives = $(foreach m,$(1),$(BUILD)/lib/lib$(subst /,_,$(m)).a)
objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# The programs: the main's source, the folders' libraries it links (a
# library before those it uses) and the packages it links.
PROGRAM_NAMES := relay bot client netsim bench lesson ticket replay
relay_MAIN := relay/relay_main.c
relay_LIBS := relay relay/enet relay/udp relay/tcp relay/ws relay/poll relay/stream relay/webrtc \
    relay/quic \
    relay/http rtc fleet relay/script relay/core proto/enet proto stats sys
relay_PKGS := libenet libcjson libmicrohttpd libsodium hiredis usrsctp openssl wslay \
    libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3 libcurl lua5.4
bot_MAIN := client/bot/bot_main.c
bot_LIBS := client/bot client/swarm client/lib rtc proto/enet proto stats sys
bot_PKGS := libenet libcjson libsodium usrsctp openssl wslay \
    libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3
client_MAIN := client/tui/client_main.c
client_LIBS := client/tui client/lib rtc proto/enet proto stats sys
client_PKGS := libenet libcjson ncursesw libsodium usrsctp openssl wslay \
    libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3
netsim_MAIN := lab/netsim/netsim_main.c
netsim_LIBS := lab/netsim proto/enet proto stats sys
netsim_PKGS := libpcap libcjson libmicrohttpd openssl
bench_MAIN := bench/bench_main.c
bench_LIBS := bench lab/audit lab/netsim client/swarm client/lib rtc lab/harness proto/enet proto stats sys
bench_PKGS := libenet libcjson libsodium usrsctp openssl wslay libmicrohttpd \
    libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3
lesson_MAIN := lab/lesson/lesson_main.c
lesson_LIBS := lab/lesson lab/audit lab/netsim client/swarm client/lib rtc lab/harness relay/core proto/enet proto \
    stats sys
lesson_PKGS := $(bench_PKGS) libcurl
ticket_MAIN := ticket/ticket_main.c
ticket_LIBS := proto sys
ticket_PKGS := libenet libcjson libsodium
replay_MAIN := client/replay/replay_main.c
replay_LIBS := proto sys
replay_PKGS := libenet libcjson libsodium
PROGRAMS := $(foreach p,$(PROGRAM_NAMES),$(BUILD)/bin/ricochet-$(p))
# The teaching relays of examples/sockets/, beside the programs.
EXAMPLES := $(BUILD)/examples/udp_relay $(BUILD)/examples/tcp_relay $(BUILD)/examples/udp_player \
    $(BUILD)/examples/tcp_player
MANPAGES := $(patsubst $(BUILD)/bin/%,$(BUILD)/man/%.1,$(PROGRAMS))

# rtc-cost (bench/costs/rtc_cost_main.c): what a WebRTC session costs the
# relay's webrtc modules; a benchmark tool, not installed (make bench-webrtc).
RTC_COST := $(BUILD)/bin/rtc-cost
RTC_COST_LIBS := bench/costs relay/webrtc rtc proto stats sys
RTC_COST_PKGS := libsodium libcjson usrsctp openssl
# world-cost (bench/costs/world_cost_main.c): what one world costs the relay's
# core by itself, on a fake clock (for callgrind); not installed. It links
# what the relay links (the option table names every edge).
WORLD_COST := $(BUILD)/bin/world-cost
WORLD_COST_LIBS := $(relay_LIBS)
WORLD_COST_PKGS := $(relay_PKGS)
# kept-cost (bench/costs/kept_cost_main.c): what kept events cost the core: a
# join into a room whose store is full, the store's memory; not installed.
KEPT_COST := $(BUILD)/bin/kept-cost
# reference-relay (bench/reference/): the least a relay can do with the
# plain-UDP edge's datagrams, the bench's yardstick (ricochet-bench
# --modes reference); built with the programs, not installed.
REFERENCE_RELAY := $(BUILD)/bin/reference-relay
REFERENCE_RELAY_LIBS := bench/reference proto stats sys
REFERENCE_RELAY_PKGS := libcjson libsodium libenet

# Tests: one binary per tests/test_*.c, with the tests' support files and
# every library.
TEST_SRCS := $(wildcard tests/test_*.c)
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_SUPPORT := $(wildcard tests/support/*.c)
TEST_LIBS := lab/lesson bench bench/reference lab/audit lab/netsim client/tui client/swarm client/lib relay relay/enet relay/udp relay/tcp \
             relay/ws relay/poll relay/stream lab/harness relay/webrtc relay/quic relay/http rtc fleet \
             relay/script relay/core \
             proto/enet \
             proto stats sys
TEST_PKGS := libenet libcjson libpcap cmocka libmicrohttpd libsodium hiredis usrsctp openssl \
             wslay libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3 libcurl lua5.4

# libFuzzer targets (make fuzz): tests/fuzz/fuzz_X.c + target_X.c, built by
# clang with the project's warnings into $(FUZZ_BUILD), then run by
# tests/fuzz/run.sh. X_LIBS and X_PKGS as for programs.
FUZZ_NAMES := state control relay netsim client statescan ticket webrtc http quic h3 \
    ippacket tcpstream enetguard dtlsview quicview wsframes quicedge localhttp keylog droplog \
    flowscan quicclient pollwire poll sourcekey roomrecord script
fuzz_state_LIBS := proto stats sys
fuzz_control_LIBS := proto stats sys
fuzz_relay_LIBS := relay relay/enet relay/udp relay/tcp relay/ws relay/poll relay/stream \
    relay/webrtc \
    relay/quic relay/http rtc relay/core proto/enet proto stats sys
fuzz_netsim_LIBS := lab/netsim proto/enet proto stats sys
fuzz_client_LIBS := client/lib rtc proto/enet proto stats sys
fuzz_statescan_LIBS := lab/netsim proto/enet proto stats sys
fuzz_ticket_LIBS := proto stats sys
fuzz_webrtc_LIBS := relay/webrtc rtc proto stats sys
fuzz_http_LIBS := relay/http relay/core proto stats sys
fuzz_quic_LIBS := relay/quic relay/http relay/core proto stats sys
fuzz_ippacket_LIBS := lab/netsim proto/enet proto stats sys
fuzz_tcpstream_LIBS := lab/netsim proto/enet proto stats sys
fuzz_enetguard_LIBS := relay/enet proto/enet proto stats sys
fuzz_dtlsview_LIBS := lab/netsim proto/enet proto stats sys
fuzz_quicview_LIBS := lab/netsim proto/enet proto stats sys
fuzz_wsframes_LIBS := $(fuzz_relay_LIBS)
fuzz_h3_LIBS := proto stats sys
fuzz_quicedge_LIBS := client/lib $(fuzz_relay_LIBS)
fuzz_localhttp_LIBS := lab/lesson lab/audit lab/netsim client/swarm client/lib rtc lab/harness relay/core proto/enet \
    proto stats sys
fuzz_keylog_LIBS := lab/netsim proto/enet proto stats sys
fuzz_droplog_LIBS := $(fuzz_localhttp_LIBS)
fuzz_flowscan_LIBS := lab/netsim proto/enet proto stats sys
fuzz_quicclient_LIBS := $(fuzz_quicedge_LIBS)
fuzz_pollwire_LIBS := relay/poll relay/http relay/core proto stats sys
fuzz_poll_LIBS := $(fuzz_relay_LIBS)
fuzz_sourcekey_LIBS := relay/core proto stats sys
fuzz_roomrecord_LIBS := proto stats sys
fuzz_script_LIBS := relay/script $(fuzz_relay_LIBS)
FUZZ_PKGS := libenet libcjson libsodium usrsctp openssl wslay \
    libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3 libmicrohttpd libcurl lua5.4
FUZZ_BUILD ?= build/fuzz
CLANG ?= clang
ifeq ($(FUZZ),1)
ALL_CFLAGS += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=fuzzer,address,undefined
endif
FUZZERS := $(foreach f,$(FUZZ_NAMES),$(BUILD)/bin/fuzz_$(f))

.PHONY: all lib install-lib test test-tsan tests demo fleet-demo lesson bench bench-webrtc bench-csharp \
        bench-webrtc-reference bench-full bench-reference \
        bench-scale bench-scale-reference bench-guards bench-guards-reference bench-fleet \
        bench-lesson bench-lesson-reference bench-lesson-cpu bench-lesson-cpu-reference \
        bench-lesson-senders bench-lesson-senders-reference \
        bench-lesson-scale bench-lesson-scale-reference \
        bench-ipmodes bench-ipmodes-reference \
        bench-edges bench-edges-reference bench-doors bench-doors-reference \
        bench-fleet-reference bench-fleet-listing bench-fleet-listing-reference \
        bench-world bench-world-reference bench-world-targets \
        bench-world-targets-reference bench-peers bench-peers-reference \
        bench-ws-cost bench-ws-cost-reference bench-payload bench-payload-reference \
        bench-event-size bench-event-size-reference bench-lockstep bench-lockstep-reference \
        bench-script-cost bench-script-cost-reference \
        fuzz fuzz-long fuzzers fuzz-targets soak soak-chaos soak-partitions soak-lesson deps install uninstall clean FORCE \
        writers-check soak-lockstep
# Keep objects make considers intermediate (pattern-rule chains), so a second
# build compiles nothing.
.SECONDARY:
all: $(PROGRAMS) $(MANPAGES) $(EXAMPLES) $(REFERENCE_RELAY) writers-check

# Objects are rebuilt when the compile flags change (flags.stamp), not only
# their sources: one build folder never mixes objects compiled two ways.
# (Expanded here, once: a target's own additions, version.o's, stay out.)
COMPILE_LINE := $(CC) $(ALL_CFLAGS) $(DEPS_CFLAGS)
$(BUILD)/flags.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(COMPILE_LINE)' | cmp -s - $@ || echo '$(COMPILE_LINE)' > $@

$(BUILD)/obj/%.o: %.c $(BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPS_CFLAGS) -c -o $@ $<

# The writers check (docs/design.md, "Who writes what"): every source of
# ours compiled again for its errors only, with RICOCHET_WRITERS_CHECK
# defined, which makes each part's mark const in every file but its
# writer's (sys/writer.h): a write from another file does not compile. The
# objects that are linked are compiled without it, so every file sees one
# type for each struct. A stamp per source (and its headers, its .d):
# only what changed is checked again. Quiet unless a file fails.
WRITERS_SRCS := $(sort $(foreach m,$(MODULES),$(call lib_srcs,$(m))) $(MAINS) $(TEST_SRCS) \
    $(TEST_SUPPORT) $(wildcard tests/fuzz/*.c))
writers-check: $(patsubst %.c,$(BUILD)/writers/%.ok,$(WRITERS_SRCS))
$(BUILD)/writers/%.ok: %.c $(BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPS_CFLAGS) -DRICOCHET_WRITERS_CHECK -fsyntax-only \
	    -MT $@ -MF $(@:.ok=.d) $< || { echo "writers-check: $< refused: a part of a struct is" \
	    "written by its mark's file alone (docs/design.md, \"Who writes what\")" >&2; exit 1; }
	@touch $@

# The version: RICOCHET_VERSION_BASE in sys/version.h, plus what `git
# describe` says in a git checkout. Only version.o sees it; the stamp file
# changes (and version.o is rebuilt) only when the description does.
GIT_DESCRIBE := $(shell git describe --tags --always --dirty 2>/dev/null)
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(GIT_DESCRIBE)' | cmp -s - $@ || echo '$(GIT_DESCRIBE)' > $@
$(BUILD)/obj/sys/version.o: $(BUILD)/version.stamp
$(BUILD)/obj/sys/version.o: ALL_CFLAGS += -DRICOCHET_GIT_DESCRIBE='"$(GIT_DESCRIBE)"'

# Files compiled into a folder's library besides its .c files: the relay's
# live page (relay/page.html), as a C string (every '?' escaped, so no
# trigraph can form).
relay_GENERATED := $(BUILD)/obj/gen/page_html.o
$(BUILD)/gen/page_html.c: relay/page.html
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q){ echo '/* generated by the Makefile from relay/page.html */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char relay_page_html[];'; \
	  echo 'extern const size_t relay_page_html_len;'; \
	  echo 'const char relay_page_html[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/?/\\?/g; s/^/    "/; s/$$/\\n"/' $<; \
	  echo ';'; \
	  echo 'const size_t relay_page_html_len = sizeof relay_page_html - 1;'; } > $@.tmp
	$(Q)mv $@.tmp $@
# ricochet.js as a page gets it, one script: the package's entry (its
# opening comment) and its modules in order, without their imports of one
# another nor the names they share only among themselves (each an
# `import {` or `export {` statement, to its `;`). Node imports the
# modules themselves (client/js/ricochet.js).
RICOCHET_JS_MODULES := $(addprefix client/js/ricochet_,wire.js control.js rooms.js roomview.js figures.js \
    interp.js ticket.js lockstep.js seal.js ends.js routes.js receive.js session.js)
RICOCHET_JS := $(BUILD)/gen/ricochet.js
$(RICOCHET_JS): client/js/ricochet.js $(RICOCHET_JS_MODULES)
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q)awk '/^(import|export) \{/ { inside = 1 } inside { inside = !/;$$/; next } { print }' \
	  $^ > $@.tmp
	$(Q)mv $@.tmp $@
# The play page and its modules (client/js/), and the tag, gates and trails
# games' pages and modules, served by the relay's HTTP front (GET /play,
# /play.js, /ricochet.js, /play_lobby.js, /tag, /tag.js, /gates, /gates.js,
# /trails, /trails.js), compiled into its library the same way:
# http_play_html, http_play_js, http_ricochet_js, http_play_lobby_js,
# http_tag_html, http_tag_js, http_gates_html, http_gates_js,
# http_trails_html, http_trails_js and their lengths.
PLAY_FILES := client/js/play.html client/js/play.js $(RICOCHET_JS) client/js/play_lobby.js \
    client/js/tag.html client/js/tag.js client/js/gates.html client/js/gates.js \
    client/js/trails.html client/js/trails.js
relay/http_GENERATED := $(BUILD)/obj/gen/play_files.o
c_string = echo 'const char $(1)[] =$(if $(3), $(3))'; \
    sed 's/\\/\\\\/g; s/"/\\"/g; s/?/\\?/g; s/\r/\\r/g; s/^/    "/; s/$$/\\n"/' $(2); \
    echo ';'; echo 'const size_t $(1)_len = sizeof $(1) - 1;';
$(BUILD)/gen/play_files.c: $(PLAY_FILES)
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q){ echo '/* generated by the Makefile from client/js/ */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char http_play_html[], http_play_js[], http_ricochet_js[];'; \
	  echo 'extern const size_t http_play_html_len, http_play_js_len, http_ricochet_js_len;'; \
	  echo 'extern const char http_play_lobby_js[], http_tag_html[], http_tag_js[];'; \
	  echo 'extern const size_t http_play_lobby_js_len, http_tag_html_len, http_tag_js_len;'; \
	  echo 'extern const char http_gates_html[], http_gates_js[];'; \
	  echo 'extern const size_t http_gates_html_len, http_gates_js_len;'; \
	  echo 'extern const char http_trails_html[], http_trails_js[];'; \
	  echo 'extern const size_t http_trails_html_len, http_trails_js_len;'; \
	  $(call c_string,http_play_html,client/js/play.html) \
	  $(call c_string,http_play_js,client/js/play.js) \
	  $(call c_string,http_ricochet_js,$(RICOCHET_JS)) \
	  $(call c_string,http_play_lobby_js,client/js/play_lobby.js) \
	  $(call c_string,http_tag_html,client/js/tag.html) \
	  $(call c_string,http_tag_js,client/js/tag.js) \
	  $(call c_string,http_gates_html,client/js/gates.html) \
	  $(call c_string,http_gates_js,client/js/gates.js) \
	  $(call c_string,http_trails_html,client/js/trails.html) \
	  $(call c_string,http_trails_js,client/js/trails.js) } > $@.tmp
	$(Q)mv $@.tmp $@
# The lesson page (lab/lesson/lesson.html, lesson.js), its words in each language
# (lab/lesson/lang/LANG.json: live_lang_LANG) and the protocol's module it decodes
# states with (client/js/ricochet.js), served by ricochet-lesson, compiled
# into the lesson's library the same way.
LESSON_LANGS := en id ko vi
LESSON_GUIDES := id ko vi
# The players of docs/sockets.md, which the lesson hands the class's laptops (/players/NAME).
LESSON_PLAYERS := udp_player.py tcp_player.py udp_player.c tcp_player.c
LESSON_FILES := lab/lesson/lesson.html lab/lesson/lesson.js lab/lesson/lesson_guests.js \
    lab/lesson/lesson_arena.js lab/lesson/lesson_words.js lab/lesson/lesson_calls.js \
    lab/lesson/lesson_inspect.js $(RICOCHET_JS) \
    $(LESSON_LANGS:%=lab/lesson/lang/%.json) $(LESSON_GUIDES:%=docs/sockets.%.md) \
    lab/lesson/worksheet.html $(LESSON_LANGS:%=docs/class/worksheet.%.md) \
    $(LESSON_PLAYERS:%=examples/sockets/%)
lab/lesson_GENERATED := $(BUILD)/obj/gen/lesson_files.o
$(BUILD)/gen/lesson_files.c: $(LESSON_FILES) Makefile
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q){ echo '/* generated by the Makefile from lab/lesson/ and client/js/ */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char live_lesson_html[], live_lesson_js[], live_ricochet_js[];'; \
	  echo 'extern const size_t live_lesson_html_len, live_lesson_js_len, live_ricochet_js_len;'; \
	  echo 'extern const char live_guests_js[]; extern const size_t live_guests_js_len;'; \
	  echo 'extern const char live_arena_js[]; extern const size_t live_arena_js_len;'; \
	  echo 'extern const char live_words_js[]; extern const size_t live_words_js_len;'; \
	  echo 'extern const char live_calls_js[]; extern const size_t live_calls_js_len;'; \
	  echo 'extern const char live_inspect_js[]; extern const size_t live_inspect_js_len;'; \
	  $(call c_string,live_lesson_html,lab/lesson/lesson.html) \
	  $(call c_string,live_lesson_js,lab/lesson/lesson.js) \
	  $(call c_string,live_guests_js,lab/lesson/lesson_guests.js) \
	  $(call c_string,live_arena_js,lab/lesson/lesson_arena.js) \
	  $(call c_string,live_words_js,lab/lesson/lesson_words.js) \
	  $(call c_string,live_calls_js,lab/lesson/lesson_calls.js) \
	  $(call c_string,live_inspect_js,lab/lesson/lesson_inspect.js) \
	  $(call c_string,live_ricochet_js,$(RICOCHET_JS)) \
	  $(foreach l,$(LESSON_LANGS),echo 'extern const char live_lang_$(l)[];'; \
	    echo 'extern const size_t live_lang_$(l)_len;'; \
	    $(call c_string,live_lang_$(l),lab/lesson/lang/$(l).json)) \
	  $(foreach l,$(LESSON_GUIDES),echo 'extern const char live_guide_$(l)[];'; \
	    echo 'extern const size_t live_guide_$(l)_len;'; \
	    $(call c_string,live_guide_$(l),docs/sockets.$(l).md)) \
	  echo 'extern const char live_worksheet_html[]; extern const size_t live_worksheet_html_len;'; \
	  $(call c_string,live_worksheet_html,lab/lesson/worksheet.html) \
	  $(foreach l,$(LESSON_LANGS),echo 'extern const char live_worksheet_$(l)[];'; \
	    echo 'extern const size_t live_worksheet_$(l)_len;'; \
	    $(call c_string,live_worksheet_$(l),docs/class/worksheet.$(l).md)) \
	  $(foreach p,$(LESSON_PLAYERS),echo 'extern const char live_player_$(subst .,_,$(p))[];'; \
	    echo 'extern const size_t live_player_$(subst .,_,$(p))_len;'; \
	    $(call c_string,live_player_$(subst .,_,$(p)),examples/sockets/$(p))) } > $@.tmp
	$(Q)mv $@.tmp $@
# The directory's scripts (fleet/scripts/NAME.lua: fleet_lua_NAME), each
# after the preamble that names its arguments (fleet/script_args.h's
# FLEET_NAME_ARGS, as `local ARG`), that of its reply's fields where it has
# several (fleet_lua_reply_NAME: `REPLY{...}`) and the shared functions it calls
# (fleet_lua_parts_NAME: common.lua, entry.lua), compiled into the fleet's
# library the same way. The preamble is the C preprocessor's: the generated
# file includes the header (and its object is made again when it changes);
# the parts are the Makefile's, so a change to it makes the file again.
FLEET_SCRIPTS := place heartbeat release handover rooms_put list keep
fleet_lua_parts_place := common
fleet_lua_parts_heartbeat := common
fleet_lua_parts_release := entry
fleet_lua_parts_handover := common entry
fleet_lua_parts_rooms_put := entry
fleet_lua_parts_list := entry
fleet_lua_parts_keep := common
fleet_lua_reply_place := FLEET_LUA_REPLY(FLEET_PLACE_REPLIES)
fleet_GENERATED := $(BUILD)/obj/gen/fleet_scripts.o
$(BUILD)/gen/fleet_scripts.c: $(wildcard fleet/scripts/*.lua) Makefile
	@mkdir -p $(@D)
	$(say) GEN $@
	$(Q){ echo '/* generated by the Makefile from fleet/scripts/ */'; \
	  echo '#include <stddef.h>'; \
	  echo '#include "fleet/script_args.h"'; \
	  $(foreach f,$(FLEET_SCRIPTS),echo 'extern const char fleet_lua_$(f)[];'; \
	    echo 'extern const size_t fleet_lua_$(f)_len;'; \
	    $(call c_string,fleet_lua_$(f),$(fleet_lua_parts_$(f):%=fleet/scripts/%.lua) \
	      fleet/scripts/$(f).lua,FLEET_LUA_ARGS(FLEET_$(shell echo $(f) | tr a-z A-Z)_ARGS) \
	      $(fleet_lua_reply_$(f)))) \
	  } > $@.tmp
	$(Q)mv $@.tmp $@
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# A module's archive is made again when its list of sources changes too
# (a file moved out of the folder leaves no newer prerequisite behind).
define module_lib
$(call lib_archives,$(1)).srcs: FORCE
	@mkdir -p $$(@D)
	@echo '$(call lib_srcs,$(1))' | cmp -s - $$@ || echo '$(call lib_srcs,$(1))' > $$@
$(call lib_archives,$(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(call lib_srcs,$(1))) \
    $($(1)_GENERATED) $(call lib_archives,$(1)).srcs
	@mkdir -p $$(@D)
	$$(say) AR $$@
	$$(Q)rm -f $$@ && ar rcs $$@ $$(filter %.o,$$^)
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

# link_rule TARGET, OBJECTS, LIBRARIES (folders), PACKAGES
define link_rule
$(1): $(2) $(call lib_archives,$(3))
	@mkdir -p $$(@D)
	$$(say) LINK $$@
	$$(Q)$$(CC) $$(SAN_LDFLAGS) $$(LDFLAGS) -o $$@ $(2) $(call lib_archives,$(3)) \
	    $(call pkg_libs,$(4))
endef
$(foreach p,$(PROGRAM_NAMES),$(eval $(call link_rule,$(BUILD)/bin/ricochet-$(p),\
    $(call objs,$($(p)_MAIN)),$($(p)_LIBS),$($(p)_PKGS))))
$(eval $(call link_rule,$(RTC_COST),$(call objs,bench/costs/rtc_cost_main.c),$(RTC_COST_LIBS),\
    $(RTC_COST_PKGS)))
$(eval $(call link_rule,$(WORLD_COST),$(call objs,bench/costs/world_cost_main.c),$(WORLD_COST_LIBS),\
    $(WORLD_COST_PKGS)))
$(eval $(call link_rule,$(KEPT_COST),$(call objs,bench/costs/kept_cost_main.c),$(WORLD_COST_LIBS),\
    $(WORLD_COST_PKGS)))
$(eval $(call link_rule,$(REFERENCE_RELAY),$(call objs,bench/reference/reference_main.c),\
    $(REFERENCE_RELAY_LIBS),$(REFERENCE_RELAY_PKGS)))
$(foreach t,$(TEST_SRCS),$(eval $(call link_rule,$(patsubst tests/%.c,$(BUILD)/tests/%,$(t)),\
    $(call objs,$(t) $(TEST_SUPPORT)),$(TEST_LIBS),$(TEST_PKGS))))
$(foreach f,$(FUZZ_NAMES),$(eval $(call link_rule,$(BUILD)/bin/fuzz_$(f),\
    $(call objs,tests/fuzz/fuzz_$(f).c tests/fuzz/target_$(f).c),$(fuzz_$(f)_LIBS),\
    $(FUZZ_PKGS))))

# The teaching relays and the player (EXAMPLES): one file each and no library of ours,
# compiled as a student would, in one command (with the project's
# warnings, and its sanitizers in a SAN=1 build).
$(BUILD)/examples/%: examples/sockets/%.c $(BUILD)/flags.stamp
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(filter-out -MMD -MP -fPIC -fvisibility=hidden,$(ALL_CFLAGS)) $(SAN_LDFLAGS) \
	    -o $@ $< -lm

# libricochet, the client library as a game links it: client/lib/ricochet.o and
# what it needs of the client, proto, stats and sys archives. The shared
# library exports only ricochet_* (client/lib/libricochet.map, besides hidden
# visibility); the static one is the same code as one object whose other
# symbols are made local, so they cannot clash with a game's. The soname is
# the header's major version (docs/library.md, "Versions").
LIB_VERSION := $(shell sed -n 's/^\#define RICOCHET_VERSION_[A-Z]* \([0-9][0-9]*\)$$/\1/p' \
    client/lib/ricochet.h | paste -sd.)
LIB_SOVERSION := $(firstword $(subst ., ,$(LIB_VERSION)))
LIB_SONAME := libricochet.so.$(LIB_SOVERSION)
# ricochet.o, ricochet_config.o, interp.o, ricochet_mint.o and ricochet_room.o hold the
# exported functions; the archives give what they call.
LIB_PARTS := $(BUILD)/obj/client/lib/ricochet.o $(BUILD)/obj/client/lib/ricochet_config.o \
             $(BUILD)/obj/client/lib/interp.o $(BUILD)/obj/client/lib/ricochet_mint.o \
             $(BUILD)/obj/client/lib/ricochet_room.o \
             $(call lib_archives,client/lib rtc proto/enet proto stats sys)
LIB_SO := $(BUILD)/lib/libricochet.so.$(LIB_VERSION)
LIB_A := $(BUILD)/lib/libricochet.a
LIB_PC := $(BUILD)/lib/ricochet.pc
LIB_MAN := $(BUILD)/man/ricochet.3
lib: $(LIB_SO) $(LIB_A) $(LIB_PC) $(LIB_MAN)

$(LIB_SO): $(LIB_PARTS) client/lib/libricochet.map
	$(say) LINK $@
	$(Q)$(CC) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--version-script=client/lib/libricochet.map \
	    -Wl,-z,defs $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(LIB_PARTS) \
	    $(call pkg_libs,libenet libcjson libsodium usrsctp openssl wslay \
	        libngtcp2_crypto_gnutls libngtcp2 gnutls libnghttp3)
	$(Q)ln -sf $(notdir $@) $(@D)/$(LIB_SONAME) && ln -sf $(LIB_SONAME) $(@D)/libricochet.so

$(LIB_A): $(LIB_PARTS)
	$(say) AR $@
	$(Q)$(LD) -r -o $(BUILD)/obj/libricochet.o $(firstword $(LIB_PARTS)) \
	    --start-group $(wordlist 2,99,$(LIB_PARTS)) --end-group
	$(Q)objcopy --localize-hidden $(BUILD)/obj/libricochet.o
	$(Q)rm -f $@ && ar rcs $@ $(BUILD)/obj/libricochet.o

# ricochet.pc for PREFIX: rewritten when PREFIX or LIBDIR changes (make lib's;
# install-lib writes the installed one itself, leaving this one be).
pc_sed = sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
             -e 's|@VERSION@|$(LIB_VERSION)|' client/lib/ricochet.pc.in
$(BUILD)/lib/pc.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(LIB_VERSION)' | cmp -s - $@ || \
	    echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(LIB_VERSION)' > $@
$(LIB_PC): client/lib/ricochet.pc.in $(BUILD)/lib/pc.stamp
	$(say) GEN $@
	$(Q)$(pc_sed) > $@

# The library's manual page is its header, rendered (client/lib/header_man.awk):
# the reference is written once, in ricochet.h.
$(LIB_MAN): client/lib/ricochet.h client/lib/header_man.awk
	@mkdir -p $(@D)
	$(say) MAN $@
	$(Q)awk -v version=$(LIB_VERSION) -f client/lib/header_man.awk $< > $@.tmp && mv $@.tmp $@

# Each program writes its own manual page from its option table (--man,
# sys/options_man.c): the page shows the rows of --help and cannot drift.
# Not help2man: that parses --help text back and needs perl.
$(BUILD)/man/%.1: $(BUILD)/bin/%
	@mkdir -p $(@D)
	$(say) MAN $@
	$(Q)$< --man > $@.tmp && mv $@.tmp $@

tests: $(PROGRAMS) $(MANPAGES) $(EXAMPLES) $(TESTS) $(RTC_COST) $(WORLD_COST) $(KEPT_COST) $(REFERENCE_RELAY) \
    writers-check

# Tests always run sanitized, in their own build folder.
test:
	@.ci/deps test
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 tests
	tests/run build/asan

# The tests of what runs on more than one thread, under ThreadSanitizer in
# a build folder of their own: the loop's ring to a side thread, the triple
# buffer, the directory thread, the HTTP server's thread, the room file's
# writer, the relay run with --metrics and --directory (its three threads)
# and netsim with --metrics. A race reported by a test or by a program it started (each
# writes to TSAN_REPORTS) fails the run. tests/run runs every binary of
# the folder: one since taken off the list is removed first.
TSAN_TESTS := test_version test_ring test_triple test_dirthread test_httpd test_metrics test_room_file \
              test_e2e_metrics test_e2e_fleet test_e2e_fleet_rooms \
              test_e2e_netsim_metrics
TSAN_REPORTS := $(CURDIR)/build/tsan/reports
test-tsan:
	@.ci/deps test
	@$(MAKE) --no-print-directory BUILD=build/tsan TSAN=1 build/tsan/bin/ricochet-relay \
	    build/tsan/bin/ricochet-bot build/tsan/bin/ricochet-netsim \
	    $(addprefix build/tsan/tests/,$(TSAN_TESTS))
	@for t in build/tsan/tests/test_*; do case " $(TSAN_TESTS) " in \
	    *" $${t##*/} "*) ;; *) rm -f "$$t" ;; esac; done
	@rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	TSAN_OPTIONS="log_path=$(TSAN_REPORTS)/race second_deadlock_stack=1" tests/run build/tsan; \
	    rc=$$?; if ls $(TSAN_REPORTS)/race.* >/dev/null 2>&1; then \
	    cat $(TSAN_REPORTS)/race.*; echo "ThreadSanitizer: reports above"; exit 1; fi; exit $$rc

# These install missing packages first, then build in a sub-make, which reads
# pkg-config's answers afresh.
fleet-demo:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	examples/fleet_demo.sh $(BUILD)/bin

demo:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	examples/demo.sh $(BUILD)/bin

# The lesson you can watch (ricochet-lesson, docs/sockets.md "Watch it"):
# every lane side by side through one netsim, its page on 127.0.0.1:LESSON_PORT
# until Ctrl-C; LESSON_RATE states a second a sender, LESSON_SENDERS senders
# a lane (1 or 4: the page's menu changes it), figures over 10 s; the door for
# programs of one's own on LESSON_DOOR_ADDRESS:LESSON_DOOR_PORT (a class: this
# machine's address on the class's network); the students' read-only view on
# LESSON_VIEW_ADDRESS:LESSON_VIEW_PORT (empty: none).
LESSON_PORT ?= 7799
LESSON_RATE ?= 20
LESSON_SENDERS ?= 1
LESSON_DOOR_ADDRESS ?= 127.0.0.1
LESSON_DOOR_PORT ?= 7800
LESSON_VIEW_ADDRESS ?=
LESSON_VIEW_PORT ?= 7801
LESSON_NETSIM_ARGS ?=
lesson:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/bin/ricochet-lesson --port $(LESSON_PORT) --rate $(LESSON_RATE) \
		--senders $(LESSON_SENDERS) --duration 10 \
		--door-address $(LESSON_DOOR_ADDRESS) --door-port $(LESSON_DOOR_PORT) \
		$(if $(LESSON_VIEW_ADDRESS),--view-address $(LESSON_VIEW_ADDRESS) --view-port $(LESSON_VIEW_PORT)) \
		$(if $(LESSON_NETSIM_ARGS),--netsim-args '$(LESSON_NETSIM_ARGS)')

# make bench, bench-full, bench-scale and bench-guards write a fresh run
# into BENCH_OUT, which git does not track (each script empties its part
# first). The committed reference results in bench/results/, which every
# figure of the docs comes from (docs/tables/doctables.sh), change only on
# purpose: the -reference targets. REPEAT: runs per scenario, reported as
# medians with min-max.
BENCH_OUT ?= $(BUILD)/bench-results
REPEAT ?= 3
bench:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/suite.sh $(BUILD)/bin $(BENCH_OUT) 1 quick

# WebRTC (bench/webrtc.sh): the ENet modes over WebRTC's data channels beside
# the other modes at 0 and 5% loss, and the relay's CPU per delivered state
# over WebRTC against sealed ENet (--encrypt), into BENCH_OUT/webrtc/
# (bench-webrtc-reference: the committed bench/results/webrtc/), each
# scenario REPEAT times with WEBRTC_SECONDS windows; then what a WebRTC
# session costs the relay's webrtc modules (bench/costs/rtc_cost_main.c): RTC_PEERS
# sessions, RTC_MESSAGES messages of RTC_SIZE bytes each way each.
WEBRTC_SECONDS ?= 4
RTC_PEERS ?= 200
RTC_MESSAGES ?= 500
RTC_SIZE ?= 40
bench-webrtc bench-webrtc-reference: WEBRTC_DIR = $(if $(filter bench-webrtc-reference,$@),bench/results,$(BENCH_OUT))/webrtc
bench-webrtc bench-webrtc-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all $(RTC_COST)
	bench/webrtc.sh $(BUILD)/bin $(WEBRTC_DIR) $(REPEAT) $(WEBRTC_SECONDS)
	$(RTC_COST) --peers $(RTC_PEERS) --messages $(RTC_MESSAGES) --size $(RTC_SIZE) > \
	    $(WEBRTC_DIR)/rtc-cost.txt && cat $(WEBRTC_DIR)/rtc-cost.txt

bench-full bench-reference: BENCH_DIR = $(if $(filter bench-reference,$@),bench/results,$(BENCH_OUT))
bench-full bench-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/suite.sh $(BUILD)/bin $(BENCH_DIR) $(REPEAT)

bench-scale bench-scale-reference: SCALE_DIR = $(if $(filter bench-scale-reference,$@),bench/results,$(BENCH_OUT))/scale
bench-scale bench-scale-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/scale.sh $(BUILD)/bin $(SCALE_DIR) $(REPEAT)

# Interest management (bench/world.sh): one world of 1000 and of 256 with
# interest, against rooms of 128 and 256 without; needs jq.
bench-world bench-world-reference: WORLD_DIR = $(if $(filter bench-world-reference,$@),bench/results,$(BENCH_OUT))/world
bench-world bench-world-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/world.sh $(BUILD)/bin $(WORLD_DIR) $(REPEAT)

# The world tick's targets (TARGETS=1 bench/world.sh): worlds of 1000 and
# 3000 at about 30 others in radius, 1000 on a 20 ms world tick and without one.
bench-world-targets bench-world-targets-reference: TARGETS_DIR = $(if $(filter bench-world-targets-reference,$@),bench/results,$(BENCH_OUT))/world-targets
bench-world-targets bench-world-targets-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	TARGETS=1 bench/world.sh $(BUILD)/bin $(TARGETS_DIR) $(REPEAT)

# What the lesson shows, measured (bench/suite.sh lesson): a stream against
# the datagram modes, every mode through netsim's IP mode, between two
# network namespaces the bench makes.
bench-lesson bench-lesson-reference: LESSON_DIR = $(if $(filter bench-lesson-reference,$@),bench/results,$(BENCH_OUT))
bench-lesson bench-lesson-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/suite.sh $(BUILD)/bin $(LESSON_DIR) $(REPEAT) lesson

# What the lesson costs (bench/lesson_cpu.sh): the CPU of everything make
# lesson starts, at its rate and senders a lane, beside the machine's floor,
# REPEAT runs.
bench-lesson-cpu bench-lesson-cpu-reference: LESSON_CPU_DIR = $(if $(filter bench-lesson-cpu-reference,$@),bench/results,$(BENCH_OUT))/lesson-cpu
bench-lesson-cpu bench-lesson-cpu-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/lesson_cpu.sh $(BUILD)/bin $(LESSON_CPU_DIR) $(REPEAT) 60 $(LESSON_RATE) \
		$(LESSON_SENDERS)

# What a loss freezes in the lesson's lanes of four senders
# (bench/lesson_senders.sh): one sender's dot, or all four, at 2% and 40 ms.
bench-lesson-senders bench-lesson-senders-reference: LESSON_SENDERS_DIR = $(if $(filter bench-lesson-senders-reference,$@),bench/results,$(BENCH_OUT))/lesson-senders
bench-lesson-senders bench-lesson-senders-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/lesson_senders.sh $(BUILD)/bin $(LESSON_SENDERS_DIR) $(REPEAT)

# Whether the lesson's reading of netsim's drop log keeps pace with four
# senders a lane at 5% loss (bench/lesson_scale.sh): how far behind, 60 s.
bench-lesson-scale bench-lesson-scale-reference: LESSON_SCALE_DIR = $(if $(filter bench-lesson-scale-reference,$@),bench/results,$(BENCH_OUT))/lesson-scale
bench-lesson-scale bench-lesson-scale-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/lesson_scale.sh $(BUILD)/bin $(LESSON_SCALE_DIR) $(REPEAT)

# Every mode through one network at 5% loss (bench/suite.sh ipmodes): the
# datagram modes, a TCP stream and a WebSocket side by side, IP mode.
bench-ipmodes bench-ipmodes-reference: IPMODES_DIR = $(if $(filter bench-ipmodes-reference,$@),bench/results,$(BENCH_OUT))
bench-ipmodes bench-ipmodes-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/suite.sh $(BUILD)/bin $(IPMODES_DIR) $(REPEAT) ipmodes

# The fleet suite (bench/fleet.sh): a redis-server (or a primary, its replica
# and three sentinels) and relays per run.
# FLEET_PARTS: some of placement cpu scale failover drain pause sentinel (all);
# BEFORE_BIN=DIR also runs failover and the steady state with DIR's bench,
# clients and relays (an earlier build).
bench-fleet bench-fleet-reference: FLEET_DIR = $(if $(filter bench-fleet-reference,$@),bench/results,$(BENCH_OUT))/fleet
bench-fleet bench-fleet-reference:
	@.ci/deps test
	@$(MAKE) --no-print-directory all
	bench/fleet.sh $(BUILD)/bin $(FLEET_DIR) $(REPEAT) $(FLEET_PARTS)

# A fleet's listing read from the directory (bench/fleet_listing.sh): a
# redis-server and 10 relays, 100, 1,000 and 10,000 rooms written by a bulk
# path, a page timed through a lobby (the Python binding over the library).
bench-fleet-listing bench-fleet-listing-reference: LISTING_DIR = $(if $(filter bench-fleet-listing-reference,$@),bench/results,$(BENCH_OUT))/fleet-listing
bench-fleet-listing bench-fleet-listing-reference:
	@.ci/deps test
	@$(MAKE) --no-print-directory all lib
	bench/fleet_listing.sh $(BUILD)/bin $(LISTING_DIR) 5 10

# ricochet-relay beside Colyseus 0.16 and 0.18 under one workload
# (bench/peers.sh): needs Node 20 or later with npm, which installs the exact
# packages of bench/peers/colyseus/package-lock.json (0.16, and the scripts)
# and of bench/peers/colyseus-0.18/'s into their node_modules/.
PEER_COLYSEUS := bench/peers/colyseus
PEER_COLYSEUS18 := bench/peers/colyseus-0.18
bench-peers bench-peers-reference: PEERS_DIR = $(if $(filter bench-peers-reference,$@),bench/results,$(BENCH_OUT))/peers
bench-peers bench-peers-reference: $(PEER_COLYSEUS)/node_modules/.package-lock.json \
    $(PEER_COLYSEUS18)/node_modules/.package-lock.json
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/peers.sh $(BUILD)/bin $(PEERS_DIR) $(REPEAT)

# The WebSocket edge beside ENet under the peers' workload (bench/peers.sh,
# the two ricochet servers only, 1000 clients): no Node needed.
bench-ws-cost bench-ws-cost-reference: WS_COST_DIR = $(if $(filter bench-ws-cost-reference,$@),bench/results,$(BENCH_OUT))/ws-cost
bench-ws-cost bench-ws-cost-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	SERVERS="ricochet ricochet-ws" CLIENTS=1000 bench/peers.sh $(BUILD)/bin $(WS_COST_DIR) $(REPEAT)

# What a room script costs (bench/script_cost.sh): the relay's CPU per
# delivered state with no script, a script on events and one on every state
# (bench/scripts/), beside the reference relay, round by round; needs jq.
bench-script-cost bench-script-cost-reference: SCRIPT_COST_DIR = $(if $(filter bench-script-cost-reference,$@),bench/results,$(BENCH_OUT))/script-cost
bench-script-cost bench-script-cost-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/script_cost.sh $(BUILD)/bin $(SCRIPT_COST_DIR) $(REPEAT)

# What a state costs a C# game (bench/csharp_cost.sh): the managed session
# against the native one, CPU and bytes allocated per state at 1,000 states
# a second each way for 60 s, beside the floor; needs mono and mcs.
bench-csharp bench-csharp-reference: CSHARP_DIR = $(if $(filter bench-csharp-reference,$@),bench/results,$(BENCH_OUT))/csharp
bench-csharp bench-csharp-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all lib
	bench/csharp_cost.sh $(BUILD)/bin $(CSHARP_DIR) $(REPEAT)

# What a state's payload costs (bench/payload.sh): the relay's CPU and the
# bytes on the wire per delivered state for payloads of 0 to 1024 bytes, in
# a room on the relay's tick and in a world on its own; needs jq.
bench-payload bench-payload-reference: PAYLOAD_DIR = $(if $(filter bench-payload-reference,$@),bench/results,$(BENCH_OUT))/payload
bench-payload bench-payload-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/payload.sh $(BUILD)/bin $(PAYLOAD_DIR) $(REPEAT)

# What an event's body costs (bench/event_size.sh): the relay's CPU and the
# bytes it sends per delivered event, bodies of 64, 1024 and 4096 bytes.
bench-event-size bench-event-size-reference: EVENT_SIZE_DIR = $(if $(filter bench-event-size-reference,$@),bench/results,$(BENCH_OUT))/event-size
bench-event-size bench-event-size-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/event_size.sh $(BUILD)/bin $(EVENT_SIZE_DIR) $(REPEAT)

# Lockstep rooms (bench/lockstep.sh): LOCKSTEP_PLAYERS players in rooms of 8
# at 30 Hz, the relay's CPU per player beside the state relay's, each
# input's way to its confirmed frame at 0 and 5% loss, the frames' own
# delivery against ENet's reliable channel; as root (a network namespace a
# run, its loss nftables'), needs jq and nft.
LOCKSTEP_PLAYERS ?= 1000
bench-lockstep bench-lockstep-reference: LOCKSTEP_DIR = $(if $(filter bench-lockstep-reference,$@),bench/results,$(BENCH_OUT))/lockstep
bench-lockstep bench-lockstep-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/lockstep.sh $(BUILD)/bin $(LOCKSTEP_DIR) $(REPEAT) $(LOCKSTEP_PLAYERS)

# npm ci refuses a lock file without every platform's optional packages
# (msgpackr's native parts), which a registry mirror may lack: install.
$(PEER_COLYSEUS)/node_modules/.package-lock.json: $(PEER_COLYSEUS)/package-lock.json
	@command -v npm > /dev/null || { echo "bench-peers: needs Node 20 or later with npm" >&2; exit 2; }
	cd $(PEER_COLYSEUS) && npm install --no-save --no-audit --no-fund
$(PEER_COLYSEUS18)/node_modules/.package-lock.json: $(PEER_COLYSEUS18)/package-lock.json
	@command -v npm > /dev/null || { echo "bench-peers: needs Node 20 or later with npm" >&2; exit 2; }
	cd $(PEER_COLYSEUS18) && npm install --no-save --no-audit --no-fund

# The relay's guards against forged datagrams, floods and slow readers, as
# their tests measure them against the release relay.
# Whether an edge under a flood starves another (bench/edge_flood.sh), as
# test_e2e_edge_flood measures it against the release relay.
bench-edges bench-edges-reference: EDGES_DIR = $(if $(filter bench-edges-reference,$@),bench/results,$(BENCH_OUT))/edges
bench-edges bench-edges-reference:
	@.ci/deps test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build/asan/tests/test_e2e_edge_flood
	bench/edge_flood.sh $(BUILD)/bin build/asan/tests $(EDGES_DIR) $(REPEAT)

# DOORS_BEFORE: a release build's bin/ of the code before a change, measured
# beside this one (bench/doors.sh's figures before -> after).
bench-doors bench-doors-reference: DOORS_DIR = $(if $(filter bench-doors-reference,$@),bench/results,$(BENCH_OUT))/doors
bench-doors bench-doors-reference:
	@.ci/deps test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build/asan/tests/test_e2e_doors
	bench/doors.sh $(BUILD)/bin build/asan/tests $(DOORS_DIR) $(REPEAT) $(DOORS_BEFORE)

bench-guards bench-guards-reference: GUARDS_DIR = $(if $(filter bench-guards-reference,$@),bench/results,$(BENCH_OUT))/guards
bench-guards bench-guards-reference:
	@.ci/deps test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 tests
	bench/guards.sh $(BUILD)/bin build/asan/tests $(GUARDS_DIR) $(REPEAT)

FUZZ_SECONDS ?= 30
FUZZ_MINUTES ?= 10
FUZZ_TARGETS ?=
fuzz:
	@.ci/deps test
	@$(MAKE) --no-print-directory fuzzers
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Every target for minutes, from its kept corpus; what it found goes back
# into tests/fuzz/corpus/, minimized (commit it: coverage grows run to run).
fuzz-long:
	@.ci/deps test
	@$(MAKE) --no-print-directory fuzzers
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh -m $$(( $(FUZZ_MINUTES) * 60 )) $(FUZZ_TARGETS)

# The libFuzzer programs only (clang, in their own build folder).
fuzzers:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(CLANG) FUZZ=1 fuzz-targets
fuzz-targets: $(FUZZERS)

SOAK_SECONDS ?= 180
soak:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	tests/soak.sh $(BUILD)/bin $(SOAK_SECONDS)

# The relays and the churn bots from the ASan build (tests/chaos.sh finds
# them beside build/bin); everything else from the release build.
MINUTES ?= 10
soak-chaos:
	@.ci/deps test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build/asan/bin/ricochet-relay \
	    build/asan/bin/ricochet-bot
	tests/chaos.sh $(BUILD)/bin $(MINUTES)

# test_e2e_partitions' scenarios again and again with random cut lengths
# (ASan build, root, nft).
soak-partitions:
	@.ci/deps test
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build/asan/bin/ricochet-relay \
	    build/asan/tests/test_e2e_partitions
	tests/partitions.sh build/asan/tests build/asan/bin $(MINUTES)
# The lesson (tests/soak_lesson.sh) from the release build, as make lesson runs it.
soak-lesson:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	tests/soak_lesson.sh $(BUILD)/bin $(MINUTES)

# test_e2e_lockstep_bindings (a short run of it is in make test) from the
# release build, played LOCKSTEP_PLAY_S seconds.
LOCKSTEP_PLAY_S ?= 120
soak-lockstep:
	@.ci/deps test
	@$(MAKE) --no-print-directory all $(BUILD)/tests/test_e2e_lockstep_bindings
	RICOCHET_BIN=$(BUILD)/bin LOCKSTEP_PLAY_S=$(LOCKSTEP_PLAY_S) \
	    $(BUILD)/tests/test_e2e_lockstep_bindings

deps:
	@.ci/deps

install: all install-lib
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DOCDIR)
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(WIRESHARK_PLUGINDIR)/ricochet
	install -m 644 $(DISSECTOR) $(DESTDIR)$(WIRESHARK_PLUGINDIR)/ricochet/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' relay/ricochet-relay.service.in > \
	    $(DESTDIR)$(UNITDIR)/ricochet-relay.service
	chmod 644 $(DESTDIR)$(UNITDIR)/ricochet-relay.service

# libricochet alone, as a game's build needs it (tests/test_e2e_library.c):
# the header, the libraries, ricochet.pc for PREFIX and the manual page;
# nothing in build/ is rewritten, no program nor unit installed.
install-lib: $(LIB_SO) $(LIB_A) $(LIB_MAN)
	install -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/ricochet \
	    $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(LIB_MAN) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 client/lib/ricochet.h $(DESTDIR)$(INCLUDEDIR)/ricochet/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libricochet.so
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	$(pc_sed) > $(DESTDIR)$(PKGCONFIGDIR)/ricochet.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/ricochet.pc

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))
	rm -f $(DESTDIR)$(MANDIR)/man3/$(notdir $(LIB_MAN))
	# (and the two parts of the header that 1.4.0 installed beside it)
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/ricochet/,ricochet.h ricochet_interp.h ricochet_rooms.h)
	-rmdir $(DESTDIR)$(INCLUDEDIR)/ricochet 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,$(notdir $(LIB_SO)) $(LIB_SONAME) libricochet.so \
	    $(notdir $(LIB_A)))
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/ricochet.pc
	rm -f $(DESTDIR)$(UNITDIR)/ricochet-relay.service
	rm -f $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null
	rm -f $(addprefix $(DESTDIR)$(WIRESHARK_PLUGINDIR)/ricochet/,$(notdir $(DISSECTOR)))
	-rmdir $(DESTDIR)$(WIRESHARK_PLUGINDIR)/ricochet 2>/dev/null

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(BUILD)/writers -name '*.d' 2>/dev/null)
