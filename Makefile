# vodedge: build the nginx modules against Debian's nginx-dev (or the nginx
# source tree named by NGINX_SRC) and run the tests.
#
#   make            modules/*.so, bin/vodpkg and bin/vodedge-token
#   make test       the whole test suite (what .ci/run calls)
#   make unit       C unit tests of the nginx-free cores and kit (cmocka)
#   make fuzz       libFuzzer targets of the cores and kit, FUZZ_SECONDS each
#   make bench      packager vs static nginx benchmark, then what a cold
#                   key service fetch adds (bench/keys.sh)
#   make bench-edge the edge's checks on vs off
#   make bench-session  the media path's session check on vs off
#   make prove      the Test::Nginx suites under t/
#   make e2e        hls.js and dash.js playing in chromium (subtitles too,
#                   Shaka Player's thumbnails of the MPD's image track)
#   make mutate     deliberate breakages the suites must catch
#   make fleet-test the many-host test with faults (network namespaces)
#   make asan       modules-asan/*.so: the modules (their cores inside) built
#                   with AddressSanitizer and UBSan, in build-asan/
#   make noav       modules-noav/*.so: built as where FFmpeg's development
#                   files are missing (thumbnails compiled out), in
#                   build-noav/

NGINX_SRC    ?= /usr/share/nginx/src
BUILD        ?= $(CURDIR)/build
CC           ?= cc
CFLAGS       ?= -O2 -g
# the shared kit: the nginx-free env, strings, status codes and JSON
# parser every module's core uses (vod_ is its prefix), with its own unit
# tests and fuzzer
KIT          := shared/core
KIT_SRCS     := $(wildcard $(KIT)/vod_*.c)
KIT_HDRS     := $(wildcard $(KIT)/vod_*.h)
KIT_CFLAGS   := $(CFLAGS) -std=gnu99 -Wall -Wextra -Werror \
                -Wno-unused-parameter -I$(KIT)
KIT_UNIT_TESTS := $(patsubst $(KIT)/test/%.c,build/unit/%, \
                    $(wildcard $(KIT)/test/test_*.c))
# the packager's nginx-free core, on the kit
CORE         := ngx_vod_package/core
CORE_SRCS    := $(wildcard $(CORE)/vod_*.c) $(KIT_SRCS)
CORE_HDRS    := $(wildcard $(CORE)/vod_*.h) $(KIT_HDRS)
GLUE_SRCS    := $(wildcard ngx_vod_package/ngx_vod_package_*.c)
GLUE_HDRS    := $(wildcard ngx_vod_package/ngx_vod_package_*.h)
CORE_CFLAGS  := $(KIT_CFLAGS) -I$(CORE)
UNIT_TESTS   := $(patsubst $(CORE)/test/%.c,build/unit/%, \
                    $(wildcard $(CORE)/test/test_*.c))
AV_LIBS      := $(shell pkg-config --libs libavformat libavcodec libavutil \
                    2>/dev/null)
FUZZ_SECONDS ?= 60
# a fuzz target fails under FUZZ_MIN_RATE executions a second on average
# over FUZZ_SECONDS (a target that barely ran has not fuzzed); a target
# sets its own with FUZZ_MIN_RATE_<target>.  The floors are a tenth or less
# of what each does on a loaded two-core machine.
FUZZ_MIN_RATE ?= 200
FUZZ_MIN_RATE_fuzz_mp4 ?= 20
FUZZ_MIN_RATE_fuzz_index ?= 20
# appended to nginx's own CFLAGS (-O) for the module objects only
NGX_CC_OPT   ?= -O2
# given to nginx's configure as --with-ld-opt (its test programs link with
# it too)
NGX_LD_OPT   ?=
# where the .so files go (make asan builds into modules-asan/)
MODULES_DIR  ?= modules
# configure's arguments for a tree without Debian's conf_flags (a release
# tarball or a git checkout, whose configure is auto/configure): match the
# nginx binary the modules will load into (`nginx -V`)
NGX_CONFIGURE ?= --with-compat --with-threads
# more configure arguments (make asan adds its canary module), and the
# files whose change must rebuild the modules then
NGX_ADDONS   ?=
NGX_ADDON_DEPS ?=
MEDIA_DIR    ?= $(CURDIR)/build/media
# the edge module's nginx-free core, on the kit
PB_CORE      := ngx_stream_playback/core
PB_CORE_SRCS := $(wildcard $(PB_CORE)/pb_*.c) $(KIT_SRCS)
PB_CORE_HDRS := $(wildcard $(PB_CORE)/pb_*.h) $(KIT_HDRS)
PB_GLUE      := $(wildcard ngx_stream_playback/ngx_stream_playback_*.[ch])
# nginx-aware code more than one module compiles in (GeoIP, file reloads)
SHARED       := $(wildcard shared/vodedge_*.[ch])
PB_CFLAGS    := $(KIT_CFLAGS) -I$(PB_CORE)
PB_UNIT_TESTS := $(patsubst $(PB_CORE)/test/%.c,build/unit/%, \
                    $(wildcard $(PB_CORE)/test/test_*.c))
# the steering module's nginx-free core, on the kit
ST_CORE      := ngx_steering/core
ST_CORE_SRCS := $(wildcard $(ST_CORE)/st_*.c) $(KIT_SRCS)
ST_CORE_HDRS := $(wildcard $(ST_CORE)/st_*.h) $(KIT_HDRS)
ST_GLUE      := $(wildcard ngx_steering/ngx_steering_*.[ch])
ST_CFLAGS    := $(KIT_CFLAGS) -I$(ST_CORE)
# each module's linker version script: what its .so exports (config)
EXPORT_MAPS  := $(wildcard */ngx_*_module.map)
ST_UNIT_TESTS := $(patsubst $(ST_CORE)/test/%.c,build/unit/%, \
                    $(wildcard $(ST_CORE)/test/test_*.c))

.PHONY: all modules tools unit fuzz fixtures test bench bench-thumbs \
	bench-edge bench-session clean

all: modules tools

modules: $(MODULES_DIR)/ngx_vod_package_module.so \
        $(MODULES_DIR)/ngx_stream_playback_module.so \
        $(MODULES_DIR)/ngx_steering_module.so

# one nginx build makes every module (a grouped target)
$(MODULES_DIR)/ngx_vod_package_module.so \
$(MODULES_DIR)/ngx_stream_playback_module.so \
$(MODULES_DIR)/ngx_steering_module.so &: \
        config $(CORE_SRCS) $(CORE_HDRS) $(GLUE_SRCS) $(GLUE_HDRS) \
        $(PB_CORE_SRCS) $(PB_CORE_HDRS) $(PB_GLUE) $(SHARED) \
        $(ST_CORE_SRCS) $(ST_CORE_HDRS) $(ST_GLUE) $(NGX_ADDON_DEPS) \
        $(EXPORT_MAPS)
	@mkdir -p $(BUILD) $(MODULES_DIR)
	@# configure bakes in the file list: rerun it when that list changes
	echo "$(PKG_CONFIG) $(NGINX_SRC) $(NGX_CONFIGURE) $(NGX_CC_OPT) $(NGX_LD_OPT) $(NGX_ADDONS) $(sort $(CORE_SRCS) $(CORE_HDRS) $(GLUE_SRCS) $(GLUE_HDRS) $(PB_CORE_SRCS) $(PB_CORE_HDRS) $(PB_GLUE) $(SHARED) $(ST_CORE_SRCS) $(ST_CORE_HDRS) $(ST_GLUE))" \
	    > $(BUILD)/.srcs.new
	if [ ! -f $(BUILD)/Makefile ] || [ config -nt $(BUILD)/Makefile ] \
	    || ! cmp -s $(BUILD)/.srcs.new $(BUILD)/.srcs; then \
	    cd $(NGINX_SRC) && \
	    if [ -f conf_flags ]; then . ./conf_flags; \
	    else NGX_CONF_FLAGS=($(NGX_CONFIGURE)); fi && \
	    if [ -x configure ]; then cfg=./configure; else cfg=auto/configure; fi && \
	    $$cfg "$${NGX_CONF_FLAGS[@]}" \
	        --add-dynamic-module=$(CURDIR) $(NGX_ADDONS) --builddir=$(BUILD) \
	        --with-cc-opt="$(NGX_CC_OPT)" --with-ld-opt="$(NGX_LD_OPT)" \
	        > $(BUILD)/configure.log 2>&1 \
	    || { tail -30 $(BUILD)/configure.log; exit 1; }; \
	    mv $(BUILD)/.srcs.new $(BUILD)/.srcs; \
	fi
	@# whether thumbnails are in (FFmpeg found) or compiled out
	@grep -h "+ ngx_vod_package:" $(BUILD)/configure.log || true
	$(MAKE) -f $(BUILD)/Makefile -C $(NGINX_SRC) modules
	@# a new file each, never written over the old: an nginx running
	@# with the old one mapped (the demo's) would crash on its new bytes
	cp --remove-destination $(BUILD)/ngx_vod_package_module.so \
	    $(BUILD)/ngx_stream_playback_module.so \
	    $(BUILD)/ngx_steering_module.so $(MODULES_DIR)/

# configure's conf_flags is a bash array
SHELL := /bin/bash

# The same modules built with AddressSanitizer and UBSan into their own
# build and output directories, never over the normal ones.  They load into
# the stock nginx when libasan is preloaded: tools/asan/nginx does that,
# tools/asan/run.sh runs the suites so (tools/test.sh's section "asan").  tools/asan/palloc.h gives each pool allocation of the modules a
# malloc of its own, so ASan sees an overflow past it.  The build adds
# tools/asan/canary, a module with deliberate bugs that proves a report
# fails the suites.
ASAN_BUILD   ?= $(CURDIR)/build-asan
# UBSan traps (SIGILL, which ASan reports with the stack): its runtime
# reads UBSAN_OPTIONS when it first reports, in a worker, whose environment
# nginx has overwritten with the process title by then
ASAN_FLAGS   := -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fsanitize-undefined-trap-on-error
ASAN_CC_OPT  := -O1 -g $(ASAN_FLAGS) -include $(CURDIR)/tools/asan/palloc.h
# the flags are written here: a change of this file rebuilds
ASAN_DEPS    := Makefile tools/asan/palloc.h $(wildcard tools/asan/canary/*)

asan:
	$(MAKE) modules BUILD=$(ASAN_BUILD) MODULES_DIR=modules-asan \
	    NGX_CC_OPT="$(ASAN_CC_OPT)" NGX_LD_OPT="$(ASAN_FLAGS)" \
	    NGX_ADDONS="--add-dynamic-module=$(CURDIR)/tools/asan/canary" \
	    NGX_ADDON_DEPS="$(ASAN_DEPS)"
	cp --remove-destination $(ASAN_BUILD)/ngx_asan_canary_module.so modules-asan/
	@# a module built without ASan would pass every suite (UBSan's traps
	@# leave no symbol: tools/asan/canary.t proves them)
	@for so in modules-asan/*.so; do \
	    nm -D $$so | grep -q __asan_report \
	    || { echo "$$so: not instrumented"; exit 1; }; done

.PHONY: asan

# the packager where pkg-config finds no FFmpeg: the build goes on, says
# so, and "vod_thumbnails on" is refused (t/016 checks it on this build)
noav:
	$(MAKE) modules BUILD=$(CURDIR)/build-noav MODULES_DIR=modules-noav \
	    PKG_CONFIG=false
	@! nm -D modules-noav/ngx_vod_package_module.so | grep -q avcodec_ \
	    || { echo "modules-noav: linked with FFmpeg"; exit 1; }

.PHONY: noav

tools: bin/vodpkg bin/vodedge-token

# the core's objects for the tools, one per file: a change to one core
# file (a breakage of make mutate, say) recompiles that file, not all
CORE_TOOL_OBJS := $(patsubst %.c,build/tools/core/%.o,$(CORE_SRCS))

build/tools/core/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -c -o $@ $<

bin/vodpkg: tools/vodpkg.c $(CORE_TOOL_OBJS)
	@mkdir -p bin
	$(CC) $(CORE_CFLAGS) -o $@ tools/vodpkg.c $(CORE_TOOL_OBJS) -lcrypto -lm

bin/vodedge-token: tools/vodedge-token.c $(PB_CORE_SRCS) $(PB_CORE_HDRS)
	@mkdir -p bin
	$(CC) $(PB_CFLAGS) -o $@ tools/vodedge-token.c $(PB_CORE_SRCS) -lcrypto

# the core is compiled once for all its unit tests (an archive each test
# links), not once per test: 24 tests compiling 37 files each took six
# minutes of CI
CORE_UNIT_OBJS := $(patsubst %.c,build/unit/core/%.o,$(CORE_SRCS))

build/unit/core/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CORE_CFLAGS) -Wno-unused-function -fsanitize=address,undefined \
	    -c -o $@ $<

build/unit/libvodcore.a: $(CORE_UNIT_OBJS)
	rm -f $@
	ar rcs $@ $^

build/unit/%: $(CORE)/test/%.c $(CORE)/test/*.h $(CORE)/fuzz/*.h \
        $(KIT)/fuzz/*.h $(CORE_HDRS) build/unit/libvodcore.a
	@mkdir -p build/unit
	$(CC) $(CORE_CFLAGS) -Wno-unused-function -fsanitize=address,undefined \
	    -o $@ $< build/unit/libvodcore.a -lcmocka $(AV_LIBS) -lcrypto -lm

fixtures: $(MEDIA_DIR)/.done

$(MEDIA_DIR)/.done: tools/mkmedia.sh
	tools/mkmedia.sh $(MEDIA_DIR) 8
	touch $@

# gnu11: the kit's tests take fuzz/fuzz_env.h's env, whose blocks are
# aligned with C11's max_align_t
build/unit/%: $(KIT)/test/%.c $(KIT)/fuzz/*.h $(KIT_SRCS) $(KIT_HDRS)
	@mkdir -p build/unit
	$(CC) $(KIT_CFLAGS) -std=gnu11 -Wno-unused-function \
	    -fsanitize=address,undefined -o $@ $< $(KIT_SRCS) -lcmocka

build/unit/%: $(PB_CORE)/test/%.c $(PB_CORE)/test/*.h $(PB_CORE_SRCS) \
        $(PB_CORE_HDRS)
	@mkdir -p build/unit
	$(CC) $(PB_CFLAGS) -Wno-unused-function -fsanitize=address,undefined \
	    -o $@ $< $(PB_CORE_SRCS) -lcmocka -lcrypto

build/unit/%: $(ST_CORE)/test/%.c $(ST_CORE_SRCS) $(ST_CORE_HDRS)
	@mkdir -p build/unit
	$(CC) $(ST_CFLAGS) -Wno-unused-function -fsanitize=address,undefined \
	    -o $@ $< $(ST_CORE_SRCS) -lcmocka -lm

unit: fixtures $(KIT_UNIT_TESTS) $(UNIT_TESTS) $(PB_UNIT_TESTS) \
        $(ST_UNIT_TESTS)
	@set -e; for t in $(KIT_UNIT_TESTS) $(UNIT_TESTS) $(PB_UNIT_TESTS) \
	    $(ST_UNIT_TESTS); do \
	    echo "== $$t"; VOD_MEDIA=$(MEDIA_DIR) $$t; done

# The fuzzers' objects: each source of the cores and the kit compiled
# once with the sanitizers and libFuzzer's coverage (fuzzer-no-link), then
# linked into every target that takes it (a target used to compile the
# whole core again: about 25 s each).
FUZZ_CC      := clang -g -O1 -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZ_INCS    := -I$(KIT) -I$(CORE) -I$(PB_CORE) -I$(ST_CORE)
fuzz_objs     = $(patsubst %.c,build/fuzz/obj/%.o,$(1))

build/fuzz/obj/%.o: %.c $(CORE_HDRS) $(PB_CORE_HDRS) $(ST_CORE_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) -fsanitize=fuzzer-no-link $(FUZZ_INCS) -c -o $@ $<

build/fuzz/%: $(KIT)/fuzz/%.c $(KIT)/fuzz/*.h $(call fuzz_objs,$(KIT_SRCS))
	@mkdir -p build/fuzz
	$(FUZZ_CC) -fsanitize=fuzzer -I$(KIT) -o $@ $< \
	    $(call fuzz_objs,$(KIT_SRCS))

build/fuzz/%: $(CORE)/fuzz/%.c $(CORE)/fuzz/*.h $(KIT)/fuzz/fuzz_env.h \
        $(call fuzz_objs,$(CORE_SRCS))
	@mkdir -p build/fuzz
	$(FUZZ_CC) -fsanitize=fuzzer -I$(KIT) -I$(CORE) -o $@ $< \
	    $(call fuzz_objs,$(CORE_SRCS)) -lcrypto -lm

build/fuzz/%: $(PB_CORE)/fuzz/%.c $(KIT)/fuzz/fuzz_env.h \
        $(call fuzz_objs,$(PB_CORE_SRCS))
	@mkdir -p build/fuzz
	$(FUZZ_CC) -fsanitize=fuzzer -I$(KIT) -I$(PB_CORE) -o $@ $< \
	    $(call fuzz_objs,$(PB_CORE_SRCS)) -lcrypto

build/fuzz/%: $(ST_CORE)/fuzz/%.c $(KIT)/fuzz/fuzz_env.h \
        $(call fuzz_objs,$(ST_CORE_SRCS))
	@mkdir -p build/fuzz
	$(FUZZ_CC) -fsanitize=fuzzer -I$(KIT) -I$(ST_CORE) -o $@ $< \
	    $(call fuzz_objs,$(ST_CORE_SRCS)) -lm

# the nginx-free Redis reply checks of shared/, behind hiredis' reader
build/fuzz/%: shared/fuzz/%.c shared/vodedge_reply.c shared/vodedge_reply.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) -fsanitize=fuzzer -Ishared -o $@ $< shared/vodedge_reply.c \
	    -lhiredis

# every fuzz_*.c of a core (and of shared/ and its kit) is a target, run
# by tools/fuzz-one.sh (seeds, floor: see there) as fuzz-run-<target>;
# `make -j2 -O fuzz` runs two at a time.  A target's floor is
# FUZZ_MIN_RATE_<target>, else FUZZ_MIN_RATE, executions a second.
FUZZ_DIRS    := $(KIT) $(CORE) $(PB_CORE) $(ST_CORE) shared
FUZZ_TARGETS := $(foreach d,$(FUZZ_DIRS),$(patsubst $(d)/fuzz/%.c,%,\
                    $(wildcard $(d)/fuzz/fuzz_*.c)))

fuzz: $(addprefix fuzz-run-,$(FUZZ_TARGETS))

# no file of that name is ever made, so each runs every time
fuzz-run-%: build/fuzz/% fixtures
	@FUZZ_SECONDS=$(FUZZ_SECONDS) MEDIA_DIR=$(MEDIA_DIR) \
	    FUZZ_DIRS="$(FUZZ_DIRS)" tools/fuzz-one.sh $* \
	    $(or $(FUZZ_MIN_RATE_$*),$(FUZZ_MIN_RATE))

test: all
	tools/test.sh

bench: all fixtures
	bench/run.sh
	TEST_NGINX_MEDIA=$${TEST_NGINX_MEDIA:-$(MEDIA_DIR)} bench/keys.sh

# thumbnails: latency and worker CPU per thumbnail, segments beside them
bench-thumbs: all
	bench/thumbs.sh

# the edge's checks (token, tier, licensing) against the same cache unchecked
bench-edge: all fixtures
	bench/edge.sh

# the session check of media requests on vs off, both with every other check
bench-session: all fixtures
	bench/session.sh

# the many-host test with faults (network namespaces; root or sudo)
fleet-test: all fixtures
	TEST_NGINX_MEDIA=$(MEDIA_DIR) tools/fleet/fleet-test.sh

# the Test::Nginx suites alone, and the real-player test alone
prove: all fixtures
	TEST_NGINX_LOAD_MODULES="$(CURDIR)/modules/ngx_vod_package_module.so $(CURDIR)/modules/ngx_stream_playback_module.so $(CURDIR)/modules/ngx_steering_module.so" \
	TEST_NGINX_MEDIA=$(MEDIA_DIR) prove -I t/lib -r t/

e2e: all fixtures
	E2E_MEDIA=$(MEDIA_DIR) node e2e/play.js
	node e2e/audio.js
	node e2e/subs.js
	E2E_MEDIA=$(MEDIA_DIR) node e2e/steering.js
	E2E_MEDIA=$(MEDIA_DIR) node e2e/drm.js
	E2E_MEDIA=$(MEDIA_DIR) node e2e/thumbs.js

# tools/mutations.txt applied one at a time to a copy in build/mutate;
# MUTATE_RUNNER=/work/wt/isolated (or another prefix) runs the suites in
# a private network namespace
mutate: fixtures
	TEST_NGINX_MEDIA=$(MEDIA_DIR) tools/mutate.sh

.PHONY: prove e2e mutate fleet-test

clean:
	rm -rf build modules bin build-asan modules-asan build-noav modules-noav
