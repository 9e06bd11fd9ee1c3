# ricochet: a UDP game-state relay. See README.md and docs/.
#
#   make            build release binaries into build/bin/
#   make test       build with ASan+UBSan into build/asan/ and run every test
#   make demo       a 10 s session on loopback: relay + bots, then a summary
#   make bench      the standard benchmark suite into build/bench-results/
#                   (make bench-reference: into the committed bench/results/)
#   make fuzz       libFuzzer runs of every decoder (FUZZ_SECONDS=N each)
#   make fuzzers    build the libFuzzer programs only (clang) into build/fuzz/bin/
#   make soak       long churn run through netsim (SOAK_SECONDS=N)
#   make deps       install missing Debian packages (or print the command)
#   make install    programs and manual pages; PREFIX=/usr/local DESTDIR=
#   make uninstall  removes what install put there (same PREFIX, DESTDIR)

CC ?= cc
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
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
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -MMD -MP
ifeq ($(SAN),1)
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=address,undefined
endif

# Packages: compile flags for all; each program links only those it names.
PACKAGES := libenet libcjson libpcap ncursesw cmocka libmicrohttpd libsodium hiredis
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libenet libcjson libpcap libmicrohttpd libsodium hiredis 2>/dev/null)
fallback_libenet := -lenet
fallback_libcjson := -lcjson
fallback_libpcap := -lpcap
fallback_ncursesw := -lncursesw
fallback_cmocka := -lcmocka
fallback_hiredis := -lhiredis
fallback_libmicrohttpd := -lmicrohttpd
fallback_libsodium := -lsodium
$(foreach p,$(PACKAGES),$(eval pkglibs_$(p) := \
    $(or $(shell $(PKG_CONFIG) --libs $(p) 2>/dev/null),$(fallback_$(p)))))
pkg_libs = $(foreach p,$(1),$(pkglibs_$(p))) -lm

# Every folder is a static library of its .c files but its mains (X_main.c):
# client/bot's is build/lib/libclient_bot.a.
MODULES := proto stats sys fleet relay/core relay client client/bot client/tui bench ticket
MAINS := $(wildcard $(addsuffix /*_main.c,$(MODULES)))
lib_srcs = $(filter-out $(MAINS),$(wildcard $(1)/*.c))
lib_archives = $(foreach m,$(1),$(BUILD)/lib/lib$(subst /,_,$(m)).a)
objs = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

# The programs: the main's source, the folders' libraries it links (a
# library before those it uses) and the packages it links.
PROGRAM_NAMES := relay bot client netsim bench ticket
relay_MAIN := relay/relay_main.c
relay_LIBS := relay relay/core proto stats sys
relay_PKGS := libenet libcjson libmicrohttpd
bot_MAIN := client/bot/bot_main.c
bot_LIBS := client/bot client proto stats sys
bot_PKGS := libenet libcjson
client_MAIN := client/tui/client_main.c
client_LIBS := client/tui client proto stats sys
client_PKGS := libenet libcjson ncursesw
netsim_MAIN := bench/netsim_main.c
netsim_LIBS := bench proto stats sys
netsim_PKGS := libpcap libcjson libmicrohttpd
bench_MAIN := bench/bench_main.c
bench_LIBS := bench client proto stats sys
bench_PKGS := libenet libcjson
ticket_MAIN := ticket/ticket_main.c
ticket_LIBS := ticket proto sys
ticket_PKGS := libenet libcjson libsodium
PROGRAMS := $(foreach p,$(PROGRAM_NAMES),$(BUILD)/bin/ricochet-$(p))
MANPAGES := $(patsubst $(BUILD)/bin/%,$(BUILD)/man/%.1,$(PROGRAMS))

# Tests: one binary per tests/test_*.c, with the tests' support files and
# every library.
TEST_SRCS := $(wildcard tests/test_*.c)
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_SUPPORT := $(wildcard tests/support/*.c)
TEST_LIBS := bench client/tui client relay relay/core ticket fleet proto stats sys
TEST_PKGS := libenet libcjson libpcap cmocka libmicrohttpd libsodium hiredis

# libFuzzer targets (make fuzz): tests/fuzz/fuzz_X.c + target_X.c, built by
# clang with the project's warnings into $(FUZZ_BUILD), then run by
# tests/fuzz/run.sh. X_LIBS and X_PKGS as for programs.
FUZZ_NAMES := state control relay netsim client statescan ticket
fuzz_state_LIBS := proto stats sys
fuzz_control_LIBS := proto stats sys
fuzz_relay_LIBS := relay relay/core proto stats sys
fuzz_netsim_LIBS := bench proto stats sys
fuzz_client_LIBS := client proto stats sys
fuzz_statescan_LIBS := bench proto stats sys
fuzz_ticket_LIBS := proto stats sys
FUZZ_PKGS := libenet libcjson libsodium
FUZZ_BUILD ?= build/fuzz
CLANG ?= clang
ifeq ($(FUZZ),1)
ALL_CFLAGS += -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=fuzzer,address,undefined
endif
FUZZERS := $(foreach f,$(FUZZ_NAMES),$(BUILD)/bin/fuzz_$(f))

.PHONY: all test tests demo bench bench-reference bench-scale bench-scale-reference fuzz fuzzers fuzz-targets soak deps install uninstall clean FORCE
# Keep objects make considers intermediate (pattern-rule chains), so a second
# build compiles nothing.
.SECONDARY:
all: $(PROGRAMS) $(MANPAGES)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPS_CFLAGS) -c -o $@ $<

# The version: RICOCHET_VERSION_BASE in sys/version.h, plus what `git
# describe` says in a git checkout. Only version.o sees it; the stamp file
# changes (and version.o is rebuilt) only when the description does.
GIT_DESCRIBE := $(shell git describe --tags --always --dirty 2>/dev/null)
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(GIT_DESCRIBE)' | cmp -s - $@ || echo '$(GIT_DESCRIBE)' > $@
$(BUILD)/obj/sys/version.o: $(BUILD)/version.stamp
$(BUILD)/obj/sys/version.o: ALL_CFLAGS += -DRICOCHET_GIT_DESCRIBE='"$(GIT_DESCRIBE)"'

define module_lib
$(call lib_archives,$(1)): $(patsubst %.c,$(BUILD)/obj/%.o,$(call lib_srcs,$(1)))
	@mkdir -p $$(@D)
	$$(say) AR $$@
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
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
$(foreach t,$(TEST_SRCS),$(eval $(call link_rule,$(patsubst tests/%.c,$(BUILD)/tests/%,$(t)),\
    $(call objs,$(t) $(TEST_SUPPORT)),$(TEST_LIBS),$(TEST_PKGS))))
$(foreach f,$(FUZZ_NAMES),$(eval $(call link_rule,$(BUILD)/bin/fuzz_$(f),\
    $(call objs,tests/fuzz/fuzz_$(f).c tests/fuzz/target_$(f).c),$(fuzz_$(f)_LIBS),\
    $(FUZZ_PKGS))))

# Each program writes its own manual page from its option table (--man,
# sys/options_man.c): the page shows the rows of --help and cannot drift.
# Not help2man: that parses --help text back and needs perl.
$(BUILD)/man/%.1: $(BUILD)/bin/%
	@mkdir -p $(@D)
	$(say) MAN $@
	$(Q)$< --man > $@.tmp && mv $@.tmp $@

tests: $(PROGRAMS) $(MANPAGES) $(TESTS)

# Tests always run sanitized, in their own build folder.
test:
	@.ci/deps test
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 tests
	tests/run build/asan

# These install missing packages first, then build in a sub-make, which reads
# pkg-config's answers afresh.
demo:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	bench/demo.sh $(BUILD)/bin

# make bench and make bench-scale write a fresh run into BENCH_OUT, which
# git does not track (each script empties its part first). The committed
# reference results in bench/results/ change only on purpose:
# make bench-reference, make bench-scale-reference. REPEAT: runs per
# scenario, reported as medians with min-max (REPEAT=1 for a quick look).
BENCH_OUT ?= $(BUILD)/bench-results
REPEAT ?= 3
bench bench-reference: BENCH_DIR = $(if $(filter bench-reference,$@),bench/results,$(BENCH_OUT))
bench bench-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/suite.sh $(BUILD)/bin $(BENCH_DIR) $(REPEAT)

bench-scale bench-scale-reference: SCALE_DIR = $(if $(filter bench-scale-reference,$@),bench/results,$(BENCH_OUT))/scale
bench-scale bench-scale-reference:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/scale.sh $(BUILD)/bin $(SCALE_DIR) $(REPEAT)

FUZZ_SECONDS ?= 30
fuzz:
	@.ci/deps test
	@$(MAKE) --no-print-directory fuzzers
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run.sh $(FUZZ_SECONDS)

# The libFuzzer programs only (clang, in their own build folder).
fuzzers:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(CLANG) FUZZ=1 fuzz-targets
fuzz-targets: $(FUZZERS)

SOAK_SECONDS ?= 180
soak:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	tests/soak.sh $(BUILD)/bin $(SOAK_SECONDS)

deps:
	@.ci/deps

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(PROGRAMS) $(DESTDIR)$(BINDIR)/
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(PROGRAMS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MANPAGES)))

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
