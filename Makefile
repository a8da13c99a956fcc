# csc — Cloud Service Creator.  `make`, `make test`, `make install`,
# `make SANITIZE=1 test` (ASan + UBSan), `make bench`, `make lint`.

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKGS = libcurl libcjson uuid libcrypto expat zlib

MODE = $(if $(filter 1,$(SANITIZE)),san,rel)
B = build/$(MODE)

CFLAGS ?= -O2 -g
SAN_ON = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
SANFLAGS = $(if $(filter 1,$(SANITIZE)),$(SAN_ON))
VERSION = 0.1.0
ALL_CFLAGS = -DCSC_VERSION=\"$(VERSION)\" -std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	-Wall -Wextra -Werror $(LIB_INCS) -I$(B) $(SANFLAGS) \
	$(shell pkg-config --cflags $(PKGS)) $(CFLAGS)
# libcurl is loaded on first use (lib/core/curlfn.c), not linked: its
# dependencies cost every process milliseconds at start-up.  --as-needed
# keeps each program to the libraries it really calls.
LIBS = -Wl,--as-needed $(shell pkg-config --libs $(filter-out libcurl,$(PKGS))) -lm

PROGS = csc-presign csc-ask csc-store csc-generate
# lib/ is grouped by layer; a layer includes only the layers below it
# (tools/layers checks it): core, then aws, claude and interview, then store.
LAYERS = core aws claude interview store
LIB_INCS = $(LAYERS:%=-Ilib/%)
LIB_SRCS = $(wildcard $(LAYERS:%=lib/%/*.c))
LIB_OBJS = $(LIB_SRCS:lib/%.c=$(B)/lib/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

all: $(PROGS:%=bin/%) $(UNIT_BINS) $(B)/tests/bench_presign

# Objects and binaries live under build/MODE so the sanitizer build never
# mixes with the normal one; bin/ gets a copy of the current mode's.
bin/%: $(B)/% FORCE
	@mkdir -p bin
	@cp -f $< $@

$(B)/%: $(B)/src/%.o $(B)/libcsc.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/tests/%: $(B)/tests/%.o $(B)/libcsc.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/libcsc.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# Data files built into the binaries, as C arrays.
$(B)/%.inc: share/%.json
	@mkdir -p $(@D)
	tools/embed < $< > $@

$(B)/%.inc: share/%.txt
	@mkdir -p $(@D)
	tools/embed < $< > $@

$(B)/lib/interview/interview_load.o: $(B)/questions.inc
$(B)/src/csc-generate.o: $(B)/system-prompt.inc $(B)/prices.inc

# `make test` installs what it needs (tools/deps), builds, and runs every
# suite: C unit drivers through bats, the tools' bats suites, shellcheck.
test:
	tools/deps build test
	$(MAKE) all
	CSC_BUILD=$(B) tests/run

bench:
	tools/deps build test bench
	$(MAKE) all
	tests/bench/run

# The README's first command: install what is missing, build, bring up the
# local stack and walk the HTTP API from the first question to the files.
demo:
	tools/deps build test demo
	$(MAKE) all
	deploy/local/demo

# The style checks: shellcheck over the shell files, clang-format (the
# committed .clang-format; its first complaint per file: `clang-format -i
# FILE` fixes them all) over the C files, and tools/layers over lib's
# includes.  Every check runs; any failure fails the target.
CLANG_FORMAT ?= clang-format
C_FILES = $(wildcard lib/*/*.[ch] src/*.c tests/unit/*.c tests/fuzz/*.c)
lint:
	@rc=0; \
	shellcheck -x $$(tests/shell-files) || rc=1; \
	$(CLANG_FORMAT) --dry-run --Werror --ferror-limit=1 $(C_FILES) || rc=1; \
	tools/layers || rc=1; \
	exit $$rc

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGS:%=bin/%) bin/csc-api bin/csc-job $(DESTDIR)$(PREFIX)/bin
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1

clean:
	rm -rf build $(PROGS:%=bin/%)

FORCE:
.PHONY: all test bench demo lint install clean FORCE
.PRECIOUS: $(B)/% $(B)/src/%.o $(B)/tests/%.o
-include $(shell find build/$(MODE) -name '*.d' 2>/dev/null)

# Fuzz targets (libFuzzer, clang).  `make fuzz` builds tests/fuzz/fuzz_NAME.c
# for each NAME in FUZZ_TARGETS against an instrumented libcsc and runs it
# for FUZZ_SECONDS on the seeds in tests/fuzz/corpus/NAME, with the
# dictionary tests/fuzz/NAME.dict if there is one.  New inputs collect in
# build/fuzz/corpus/NAME, crashes in build/fuzz/NAME-crash-*.  Adding a
# target is `FUZZ_TARGETS += NAME` and its source and seeds.
FUZZ_TARGETS += ask sigv4 presign awsconfig ddbjson s3xml generate sse
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
F = build/fuzz
FUZZ_CFLAGS = -DCSC_VERSION=\"$(VERSION)\" -std=c11 -D_XOPEN_SOURCE=700 \
	-D_DEFAULT_SOURCE $(LIB_INCS) -I$(B) -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	$(shell pkg-config --cflags $(PKGS))

fuzz: $(FUZZ_TARGETS:%=$(F)/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
		set -- -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(F)/$$t-; \
		[ -f tests/fuzz/$$t.dict ] && set -- "$$@" -dict=tests/fuzz/$$t.dict; \
		mkdir -p $(F)/corpus/$$t && \
		$(F)/fuzz_$$t "$$@" $(F)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

$(F)/fuzz_%: tests/fuzz/fuzz_%.c $(F)/libcsc.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

$(F)/libcsc.a: $(LIB_SRCS:lib/%.c=$(F)/lib/%.o)
	rm -f $@
	$(AR) rcs $@ $^

$(F)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

$(F)/lib/interview/interview_load.o: $(B)/questions.inc

.PHONY: fuzz
-include $(wildcard $(F)/lib/*/*.d)
