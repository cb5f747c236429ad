# sevmig: a plain GNU Makefile (no autotools).
#
#   make            build everything under build/
#   make check      install missing packages, build, run every test
#   make demo       install missing packages, build, run a simulated migration
#   make V=1        show full commands
#   make WERROR=0   do not turn warnings into errors
#   make SANITIZE=address,undefined check
#
# Adding a library module or command needs no edit here: lib/LAYER/*.c goes
# into libsevmig.a (docs/architecture.md says which layer), cmd/sevmig-*.c
# becomes a binary, tests/unit/test-*.c a unit test and tests/helpers/*.c a
# test helper program.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := openssl libcurl jansson libarchive libxxhash
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

WARNINGS := -std=c11 -Wall -Wextra -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wundef -Wvla -Wshadow
WERROR ?= 1
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

CFLAGS ?= -O2 -g
SM_CFLAGS := $(WARNINGS) -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 \
	-fstack-protector-strong -iquote lib -DSEVMIG_VERSION='"$(VERSION)"' \
	$(PKG_CFLAGS)
SM_LDFLAGS :=

SANITIZE ?=
ifneq ($(SANITIZE),)
SM_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=$(SANITIZE) \
	-fno-omit-frame-pointer
SM_LDFLAGS += -fsanitize=$(SANITIZE)
BUILD ?= build/sanitize
else
BUILD ?= build/default
endif

ifeq ($(V),1)
Q :=
E := @:
else
Q := @
E := @echo
endif

LIB_SRCS := $(sort $(wildcard lib/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libsevmig.a

CMD_SRCS := $(sort $(wildcard cmd/sevmig-*.c))
CMD_BINS := $(CMD_SRCS:cmd/%.c=$(BUILD)/bin/%)

UNIT_SRCS := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)

HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%)

MANPAGES := $(sort $(wildcard docs/*.[1-8]))


.PHONY: all deps check check-unit check-bats check-valgrind install-files demo bench fuzz fuzz-build \
	install clean check-format format check-layers lint-man

all: $(CMD_BINS) $(UNIT_BINS) $(HELPER_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC      $<"
	$(Q)$(CC) $(SM_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	$(E) "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

# A command is cmd/NAME.c plus, for larger ones, cmd/NAME/*.c.
# Keep cmd/NAME/*.o (make would delete them as intermediates).
.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/bin/%: $(BUILD)/cmd/%.o \
		$$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard cmd/$$*/*.c))) \
		$(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LINK    $@"
	$(Q)$(CC) $(SM_CFLAGS) $(CFLAGS) $(SM_LDFLAGS) $(LDFLAGS) -o $@ \
		$(filter %.o,$^) $(LIB) $(PKG_LIBS) -lm

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LINK    $@"
	$(Q)$(CC) $(SM_CFLAGS) $(CFLAGS) $(SM_LDFLAGS) $(LDFLAGS) -o $@ $< \
		$(LIB) $(PKG_LIBS) $(CMOCKA_LIBS) -lm

$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(E) "  LINK    $@"
	$(Q)$(CC) $(SM_CFLAGS) $(CFLAGS) $(SM_LDFLAGS) $(LDFLAGS) -o $@ $< \
		$(LIB) $(PKG_LIBS) -lm

# Unit tests may use cmocka's headers; they are not built with -Wundef
# errors on cmocka's own macros.
$(BUILD)/tests/unit/%.o: SM_CFLAGS += -Wno-undef

deps:
	$(Q)SEVMIG_SKIP_DEPS=$(SEVMIG_SKIP_DEPS) scripts/deps.sh

# check and demo install what is missing first, so a fresh machine needs
# only this one command.  The sub-make re-reads pkg-config after install.
# Without sanitizers, the unit tests also run once under valgrind memcheck
# (the two cannot be combined).
VALGRIND_PASS := $(if $(SANITIZE),0,1)
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory check-layers check-format
	$(Q)BUILD=$(BUILD) SEVMIG_VALGRIND_PASS=$(VALGRIND_PASS) \
		tests/run-tests.sh all

check-valgrind: all
	$(Q)BUILD=$(BUILD) tests/run-tests.sh valgrind

check-unit: all
	$(Q)BUILD=$(BUILD) tests/run-tests.sh unit

check-bats: all
	$(Q)BUILD=$(BUILD) tests/run-tests.sh bats

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/demo.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) scripts/bench.sh

# libFuzzer harnesses: tests/fuzz/fuzz-NAME.c, each with a seed corpus in
# tests/fuzz/corpus/NAME/ (and regressions in tests/fuzz/regress/NAME/).
# The library is rebuilt with clang under build/fuzz.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=build/fuzz/%.o)

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(E) "  CC/FUZZ $<"
	$(Q)$(FUZZ_CC) $(WARNINGS) -Wno-error=unused-command-line-argument \
		-D_GNU_SOURCE -iquote lib -DSEVMIG_VERSION='"$(VERSION)"' \
		$(PKG_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<

build/fuzz/libsevmig.a: $(FUZZ_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz-%: build/fuzz/tests/fuzz/fuzz-%.o build/fuzz/libsevmig.a
	$(E) "  LINK    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< \
		build/fuzz/libsevmig.a $(PKG_LIBS) -lm

fuzz-build: $(FUZZ_BINS)

# Run every harness for FUZZ_SECONDS over its corpus and regressions; ends
# with one "N passed, N failed" line (a harness that crashes fails).
fuzz: deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run-fuzz.sh $(FUZZ_BINS)

# The layering rules of docs/architecture.md: folders, include direction,
# no backend header in an engine, no platform name compared outside its
# parser and the firmware layer.
check-layers:
	$(Q)python3 scripts/check-layers.py .

lint-man:
	$(Q)for m in $(MANPAGES); do mandoc -Tlint -W warning $$m || exit 1; done

# Formatting of the whole tree (.clang-format), but for the generated
# roots-data.c: prints what clang-format would change and fails if
# anything.  make format applies it.
FORMAT_FILES = $(filter-out lib/certs/roots-data.c,$(shell git ls-files --cached --others --exclude-standard '*.c' '*.h'))
check-format:
	$(Q)clang-format-14 --dry-run -Werror $(FORMAT_FILES)

format:
	$(Q)clang-format-14 -i $(FORMAT_FILES)

install: all
	$(Q)$(MAKE) --no-print-directory install-files

# Copy what `all` built; builds nothing (the install test uses it).
install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(CMD_BINS) $(DESTDIR)$(BINDIR)/
	for m in $(MANPAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	for c in completions/bash/*; do [ -f "$$c" ] && \
		install -m 0644 $$c $(DESTDIR)$(BASHCOMPDIR)/; done; true
	for c in completions/zsh/*; do [ -f "$$c" ] && \
		install -m 0644 $$c $(DESTDIR)$(ZSHCOMPDIR)/; done; true

clean:
	rm -rf build

-include $(LIB_OBJS:.o=.d) $(CMD_SRCS:cmd/%.c=$(BUILD)/cmd/%.d) \
	$(patsubst %.c,$(BUILD)/%.d,$(wildcard cmd/*/*.c)) \
	$(FUZZ_LIB_OBJS:.o=.d) \
	$(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/tests/fuzz/%.d) \
	$(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
	$(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%.d)
