# activeroute — build, test, bench, fuzz, install.
# Conventions (so a new program or test needs no Makefile edit):
#   cmd/NAME/*.c          one program; main() lives in cmd/NAME/main.c
#   cmd/NAME/fuzz-*.c     libFuzzer targets, linked with cmd/NAME/*.c minus main.c
#   common/*.c            libactiveroute.a, shared by two or more programs
#   tests/unit/test-*.c   C unit tests of common/, one binary each
#   tests/*.bats          bats suites (tests/lib/common.bash sets them up)
#   tests/bench/*.bench   benchmarks, run by tests/bench/run
#   tests/fuzz/TARGET/    seed corpus of fuzz target TARGET (TARGET.seeds adds more)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
SYSCONFDIR ?= /etc
# route-push's route protocol number: one no routing suite claims (FRR's
# rt_protos.d takes 186-198; BIRD 12, zebra 11), named in rt_protos.d
RT_PROTO  := 77
DESTDIR   ?=
B         ?= build
SAN       ?=
FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 120
SOAK_SEED    ?= 1
SOAK_TARGETS ?= both

# The one list of Debian packages: build, test, lab and demo.
DEB_PACKAGES := build-essential clang pkg-config libclang-rt-14-dev \
	libmsgpack-dev libbsd-dev libmnl-dev libpcap-dev libjansson-dev \
	bats bats-support bats-assert mandoc jq iproute2 procps psmisc \
	bird2 gobgpd pmacct tshark runit bgpdump tcpdump python3 time parallel \
	libmicrohttpd-dev libjs-chart.js prometheus chromium chromium-driver python3-selenium wrk curl shellcheck \
	frr openbgpd exabgp fastnetmon

# Services the peer and test packages install: the tests start these daemons by
# hand in their namespaces; none may run in the root namespace.
PEER_SERVICES := frr openbgpd exabgp prometheus fastnetmon

PKGS      := msgpack libbsd-overlay libmnl libpcap jansson libmicrohttpd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC        ?= cc
CFLAGS    ?= -O2 -g
WFLAGS    := -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wformat=2
CPPFLAGS  += -D_GNU_SOURCE -DAR_VERSION='"$(VERSION)"' -Icommon
ifeq ($(SAN),1)
CFLAGS    := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(WFLAGS) $(CFLAGS) $(CPPFLAGS) $(PKG_CFLAGS)
LDLIBS    += $(PKG_LIBS) -lm

PROGS      := $(notdir $(wildcard cmd/*))
COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
LIB        := $(B)/libactiveroute.a
UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/unit/%)
HELPER_SRC := $(wildcard tests/tools/*.c)
HELPER_BIN := $(HELPER_SRC:tests/tools/%.c=$(B)/tools/%)
BINS       := $(PROGS:%=$(B)/bin/%)

prog_src   = $(filter-out cmd/$(1)/fuzz-%.c,$(wildcard cmd/$(1)/*.c))
prog_obj   = $(patsubst %.c,$(B)/%.o,$(call prog_src,$(1)))

.PHONY: all check check-full check-build unit bats lint-man lint-shell bench soak fuzz install deps demo clean update-golden
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BINS) $(HELPER_BIN)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

define prog_rule
$(B)/bin/$(1): $(call prog_obj,$(1)) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(call prog_obj,$(1)) $(LIB) $$(LDLIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

$(B)/unit/%: $(B)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(B)/tools/%: $(B)/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do $$t || fail=1; done; exit $$fail

# make check is the gate (under ten minutes on two cores, CI runs it): every
# suite in the plain build, then the suites that drive our own parsers and
# state machines again under ASan+UBSan. make check-full runs every seed of
# the randomized tests (gate_seeds) and the sanitizer pass over every suite
# but the interop and lab ones (real peers, BIRD, browsers: under ASan they
# measure the sanitizer's speed, not ours).
# Suites run side by side, BATS_JOBS at a time (GNU parallel), each file's
# tests in order; the longest first, so none starts last. Every test has its
# own namespaces and scratch directory, so files never share state.
BATS_JOBS  ?= 3
SAN_BATS_JOBS ?= 2
BATS_LONG  := $(wildcard tests/t300*.bats tests/t950*.bats tests/t310*.bats tests/t960*.bats \
	tests/t900*.bats tests/t510*.bats tests/t540*.bats tests/t500*.bats tests/t920*.bats)
BATS_FILES ?= $(BATS_LONG) $(filter-out $(BATS_LONG),$(wildcard tests/*.bats))
SAN_SKIP   := $(wildcard tests/t32*.bats tests/t33*.bats tests/t34*.bats tests/t35*.bats \
	tests/t72*.bats tests/t95*.bats tests/t96*.bats)
SAN_BATS_FULL := $(filter-out $(SAN_SKIP),$(wildcard tests/*.bats))
SAN_BATS_GATE := $(wildcard tests/t100*.bats tests/t200*.bats tests/t220*.bats tests/t250*.bats \
	tests/t260*.bats tests/t310*.bats tests/t400*.bats tests/t420*.bats tests/t450*.bats \
	tests/t500*.bats tests/t540*.bats tests/t600*.bats tests/t610*.bats tests/t700*.bats \
	tests/t730*.bats)
CHECK_TIER ?= gate
SAN_BATS    = $(if $(filter full,$(CHECK_TIER)),$(SAN_BATS_FULL),$(SAN_BATS_GATE))

bats: all
	AR_BUILD=$(CURDIR)/$(B) AR_CHECK=$(CHECK_TIER) bats --timing --jobs $(BATS_JOBS) \
	  --no-parallelize-within-files $(BATS_FLAGS) $(BATS_FILES)

lint-man:
	@out=$$(mandoc -Tlint -W warning man/*/* 2>&1); if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; echo "mandoc -Tlint: clean"

# The shell of pipelines/ (the Python helpers of the lab are not shell).
SHELL_SCRIPTS = $(wildcard pipelines/lab/*.bash) $(shell grep -lE '^\#!.*(ba)?sh' $(wildcard pipelines/* pipelines/lab/*) 2>/dev/null)
lint-shell:
	@shellcheck -x $(SHELL_SCRIPTS) && echo "shellcheck: clean ($(words $(SHELL_SCRIPTS)) scripts)"

# Sanitizer reports land in $(B)-asan/san/; any file there fails the run.
check: deps
	$(MAKE) lint-man lint-shell
	$(MAKE) -j2 all unit
	$(MAKE) bats
	rm -rf $(B)-asan/san && mkdir -p $(B)-asan/san
	$(MAKE) -j2 B=$(B)-asan SAN=1 all unit
	ASAN_OPTIONS=detect_leaks=1:exitcode=86:log_path=$(CURDIR)/$(B)-asan/san/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=87:log_path=$(CURDIR)/$(B)-asan/san/ubsan \
	  $(MAKE) B=$(B)-asan SAN=1 BATS_FILES="$(SAN_BATS)" BATS_JOBS=$(SAN_BATS_JOBS) bats unit
	@if ls $(B)-asan/san/* >/dev/null 2>&1; then echo "sanitizer reports:"; cat $(B)-asan/san/*; exit 1; fi
	@echo "make check ($(CHECK_TIER)): all passed"

check-full:
	$(MAKE) CHECK_TIER=full check

bench: all
	AR_BUILD=$(CURDIR)/$(B) tests/bench/run

# The chaos soak: the lab under a seeded schedule of faults (pipelines/lab/soak).
soak: all
	AR_BINDIR=$(CURDIR)/$(B)/bin pipelines/lab/soak -s $(SOAK_SECONDS) -S $(SOAK_SEED) -t $(SOAK_TARGETS)

FUZZ_SRC := $(wildcard cmd/*/fuzz-*.c)
FUZZ_TARGETS ?= $(basename $(notdir $(FUZZ_SRC)))
# Every target runs for FUZZ_SECONDS even when an earlier one found a crash;
# the run fails at the end if any did (artifacts in $(B)/fuzz/TARGET-*).
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz: clang is missing (make deps)"; exit 1; }
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  src=$$(ls cmd/*/$$t.c); prog=$$(basename $$(dirname $$src)); \
	  srcs=$$(ls cmd/$$prog/*.c | grep -v -e '/main\.c$$' -e '/fuzz-'); \
	  mkdir -p $(B)/fuzz/$$t.corpus; \
	  echo "fuzz: building $$t"; \
	  clang -std=c17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(CPPFLAGS) $(PKG_CFLAGS) -o $(B)/fuzz/$$t $$src $$srcs $(COMMON_SRC) $(PKG_LIBS) -lm \
	    || { failed="$$failed $$t(build)"; continue; }; \
	  if [ -d tests/fuzz/$$t ]; then cp -n tests/fuzz/$$t/* $(B)/fuzz/$$t.corpus/ 2>/dev/null || true; fi; \
	  if [ -x tests/fuzz/$$t.seeds ]; then tests/fuzz/$$t.seeds $(B)/fuzz/$$t.corpus || true; fi; \
	  echo "fuzz: running $$t for $(FUZZ_SECONDS)s"; \
	  $(B)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(B)/fuzz/$$t- $(B)/fuzz/$$t.corpus 2>$(B)/fuzz/$$t.log \
	    || { failed="$$failed $$t"; tail -40 $(B)/fuzz/$$t.log; }; \
	  grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' $(B)/fuzz/$$t.log; \
	done; \
	if [ -n "$$failed" ]; then echo "make fuzz: findings in:$$failed"; exit 1; fi; \
	echo "make fuzz: no findings"

# Programs and the supervisor go to bin; the rest of pipelines/ (example
# config, runit templates, the demo lab) to share/activeroute, http-api's
# web UI to share/activeroute/www.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/activeroute
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	if [ -f pipelines/active-route ]; then install -m 755 pipelines/active-route $(DESTDIR)$(PREFIX)/bin/; fi
	cp -R pipelines/. $(DESTDIR)$(PREFIX)/share/activeroute/
	rm -f $(DESTDIR)$(PREFIX)/share/activeroute/active-route
	install -d $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d
	printf '%s\tactiveroute\n' $(RT_PROTO) > $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/activeroute.conf
	install -d $(DESTDIR)$(PREFIX)/share/activeroute/www
	install -m 644 cmd/http-api/www/* $(DESTDIR)$(PREFIX)/share/activeroute/www/
	for s in 1 5 7; do \
	  install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	  for m in man/man$$s/*; do if [ -f "$$m" ]; then install -m 644 "$$m" $(DESTDIR)$(PREFIX)/share/man/man$$s/; fi; done; \
	done

# Install only what is missing; keep services from starting during install.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  [ "$$(id -u)" = 0 ] || { echo "make deps: need root to install$$missing"; exit 1; }; \
	  prc=""; [ -e /usr/sbin/policy-rc.d ] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; prc=1; }; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; rc=$$?; \
	  [ -n "$$prc" ] && rm -f /usr/sbin/policy-rc.d; [ $$rc = 0 ] || exit $$rc; \
	fi; \
	[ "$$(id -u)" = 0 ] || exit 0; \
	for u in $(PEER_SERVICES); do \
	  if command -v systemctl >/dev/null && [ -e /lib/systemd/system/$$u.service ]; then \
	    if [ -d /run/systemd/system ]; then systemctl stop $$u.service 2>/dev/null || true; fi; \
	    if systemctl is-enabled -q $$u.service 2>/dev/null; then \
	      echo "make deps: disabling $$u.service (tests run it in namespaces only)"; \
	      systemctl disable -q $$u.service 2>/dev/null || true; fi; \
	  fi; \
	  if [ -x /etc/init.d/$$u ] && ls /etc/rc[2-5].d/S*$$u >/dev/null 2>&1; then \
	    [ -d /run/systemd/system ] || /etc/init.d/$$u stop >/dev/null 2>&1 || true; \
	    update-rc.d $$u disable >/dev/null 2>&1 || true; fi; \
	done

demo: deps all
	@if [ -x pipelines/demo ]; then pipelines/demo; else echo "make demo: the demo is not built yet"; exit 1; fi

update-golden: all
	AR_BUILD=$(CURDIR)/$(B) AR_UPDATE_GOLDEN=1 bats tests/

clean:
	rm -rf build build-asan $(B) $(B)-asan
