# ricochet: a UDP game-state relay. See README.md.
#
#   make            build release binaries into build/bin/
#   make test       build with ASan+UBSan into build/asan/ and run every test
#   make demo       a 10 s session on loopback: relay + bots, then a summary
#   make bench      the standard benchmark suite into bench/results/
#   make fuzz       libFuzzer runs of every decoder (FUZZ_SECONDS=N each)
#   make soak       long churn run through netsim (SOAK_SECONDS=N)
#   make deps       install missing Debian packages (or print the command)
#   make install    PREFIX=/usr/local DESTDIR=

CC ?= cc
PREFIX ?= /usr/local
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

DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libenet libcjson libpcap 2>/dev/null)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs libenet libcjson libpcap 2>/dev/null || echo -lenet -lcjson -lpcap) -lm
CURSES_LIBS := $(shell $(PKG_CONFIG) --libs ncursesw 2>/dev/null || echo -lncursesw)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

# Every folder is a static library of its .c files; a file named X_main.c is
# the main of program ricochet-X (client_main.c is the terminal client).
MODULES := proto relay client bench
MAINS := $(wildcard $(addsuffix /*_main.c,$(MODULES)))
lib_srcs = $(filter-out $(MAINS),$(wildcard $(1)/*.c))
LIBS := $(foreach m,bench client relay proto,$(BUILD)/lib/lib$(m).a)
PROGRAMS := $(foreach f,$(MAINS),$(BUILD)/bin/ricochet-$(notdir $(f:_main.c=)))
TEST_SRCS := $(wildcard tests/test_*.c)
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_SUPPORT := $(filter-out $(TEST_SRCS),$(wildcard tests/*.c))

.PHONY: all test tests demo bench bench-scale fuzz soak deps install clean
# Keep objects make considers intermediate (pattern-rule chains), so a second
# build compiles nothing.
.SECONDARY:
all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(say) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) $(DEPS_CFLAGS) -c -o $@ $<

define module_lib
$(BUILD)/lib/lib$(1).a: $(patsubst %.c,$(BUILD)/obj/%.o,$(call lib_srcs,$(1)))
	@mkdir -p $$(@D)
	$$(say) AR $$@
	$$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

$(BUILD)/bin/ricochet-%: $(BUILD)/obj/relay/%_main.o $(LIBS)
	@mkdir -p $(@D)
	$(say) LINK $@
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(DEPS_LIBS)
$(BUILD)/bin/ricochet-%: $(BUILD)/obj/bench/%_main.o $(LIBS)
	@mkdir -p $(@D)
	$(say) LINK $@
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(DEPS_LIBS)
$(BUILD)/bin/ricochet-bot: $(BUILD)/obj/client/bot_main.o $(LIBS)
	@mkdir -p $(@D)
	$(say) LINK $@
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(DEPS_LIBS)
$(BUILD)/bin/ricochet-client: $(BUILD)/obj/client/client_main.o $(LIBS)
	@mkdir -p $(@D)
	$(say) LINK $@
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIBS) $(DEPS_LIBS) $(CURSES_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SUPPORT)) $(LIBS)
	@mkdir -p $(@D)
	$(say) LINK $@
	$(Q)$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS) $(DEPS_LIBS) $(CMOCKA_LIBS)

tests: $(PROGRAMS) $(TESTS)

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

bench:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/suite.sh $(BUILD)/bin bench/results

bench-scale:
	@.ci/deps bench
	@$(MAKE) --no-print-directory all
	bench/scale.sh $(BUILD)/bin bench/results/scale

FUZZ_SECONDS ?= 30
fuzz:
	@.ci/deps test
	tests/fuzz/run.sh $(FUZZ_SECONDS)

SOAK_SECONDS ?= 180
soak:
	@.ci/deps
	@$(MAKE) --no-print-directory all
	tests/soak.sh $(BUILD)/bin $(SOAK_SECONDS)

deps:
	@.ci/deps

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
