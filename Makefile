# koubei -- one non-recursive Makefile.
#
#   make            build build/release/koubei
#   make deps       install missing Debian packages (apt-get)
#   make test       deps, build, unit tests, integration scripts, and the whole
#                   unit suite again under AddressSanitizer + UBSan
#   make demo       score the bundled sample feed
#   make bench      throughput benchmarks (bench/)
#   make accuracy   accuracy on ../shared/datasets (bench/accuracy.py)
#   make lint / format / clean;  V=1 shows full commands.

PKGS       := rdkafka jansson libpcre2-8 icu-uc icu-i18n
DEB_PKGS   := build-essential pkg-config librdkafka-dev libjansson-dev \
              libpcre2-dev libicu-dev check kcat zlib1g-dev python3 bc
FLAVOUR    ?= release
BUILD      := build/$(FLAVOUR)
VERSION    := 0.1.0

WARN  := -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Wshadow \
         -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wfloat-equal \
         -Wpointer-arith -Wcast-align -Wundef -Wvla
OPT_release := -O2 -g
OPT_asan    := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
OPT_cov     := -O0 -g --coverage

# Project flags are kept apart from the user's CFLAGS/LDFLAGS.
PKG_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lz -lm -lpthread
CHECK_LIBS  = $(shell pkg-config --libs check 2>/dev/null)
KB_CFLAGS   = $(WARN) $(OPT_$(FLAVOUR)) -Ipipeline -Icmd $(PKG_CFLAGS) \
              -DKB_VERSION='"$(VERSION)"' -DKB_LEXICON_DIR='"$(CURDIR)/lexicons"' \
              -MMD -MP
KB_LDFLAGS  = $(OPT_$(FLAVOUR))

LIB_SRC   := $(wildcard pipeline/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/kb_normtab.o
# The normaliser's ICU tables, generated once per build (kb_normtab.h) by a
# program made of the few modules it needs.
GEN_OBJ   := $(BUILD)/cmd/gen_normtab.o $(BUILD)/pipeline/kb_norm.o \
             $(BUILD)/pipeline/kb_buf.o $(BUILD)/pipeline/kb_mem.o
# cmd/gen_normtab.c is the build-time table generator, not part of koubei.
CMD_OBJ   := $(patsubst %.c,$(BUILD)/%.o,$(filter-out cmd/gen_normtab.c,$(wildcard cmd/*.c)))
TEST_SRC  := $(wildcard tests/check_*.c)
TEST_OBJ  := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_SRC := $(wildcard bench/*.c)

ifeq ($(V),1)
Q :=
else
Q := @
endif

.PHONY: all deps test unit-test asan-test integration-test demo bench accuracy \
        lint format clean
all: $(BUILD)/koubei

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KB_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/gen_normtab: $(GEN_OBJ)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/gen/kb_normtab.c: $(BUILD)/gen_normtab
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$(BUILD)/gen_normtab $@.tmp && mv $@.tmp $@

$(BUILD)/gen/kb_normtab.o: $(BUILD)/gen/kb_normtab.c
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KB_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libkb.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

$(BUILD)/koubei: $(CMD_OBJ) $(BUILD)/libkb.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/check_kb: $(TEST_OBJ) $(BUILD)/libkb.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS)

$(BUILD)/bench_%: $(BUILD)/bench/%.o $(BUILD)/libkb.a
	$(Q)$(CC) $(KB_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Install what is missing; a no-op when everything is there.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

unit-test: $(BUILD)/check_kb $(BUILD)/koubei
	$(Q)KB_LEXICONS=$(CURDIR)/lexicons KB_BIN=$(CURDIR)/$(BUILD)/koubei \
	  KB_TESTDATA=$(CURDIR)/tests/data $(BUILD)/check_kb

integration-test: $(BUILD)/koubei
	$(Q)KB_BIN=$(CURDIR)/$(BUILD)/koubei bash tests/run_integration.sh

asan-test:
	$(Q)$(MAKE) --no-print-directory FLAVOUR=asan unit-test integration-test

test: deps
	$(Q)$(MAKE) --no-print-directory all unit-test integration-test
	$(Q)$(MAKE) --no-print-directory asan-test
	$(Q)if [ -d ../shared/datasets ]; then \
	  $(MAKE) --no-print-directory accuracy; fi

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)KB_BIN=$(BUILD)/koubei bash cmd/demo.sh tests/data/demo_feed.jsonl

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bash bench/run.sh $(BUILD)/koubei
	$(Q)bash bench/replay.sh $(BUILD)/koubei
	$(Q)bash bench/pipeline.sh $(BUILD)/koubei

accuracy: $(BUILD)/koubei
	$(Q)python3 bench/accuracy.py --bin $(BUILD)/koubei --datasets ../shared/datasets

lint:
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --inline-suppr -Ipipeline pipeline cmd tests bench tools

format:
	$(Q)clang-format -i pipeline/*.[ch] cmd/*.c tests/*.c $(wildcard bench/*.c)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
