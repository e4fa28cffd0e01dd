# vodedge: build the nginx modules against Debian's nginx-dev (or the nginx
# source tree named by NGINX_SRC) and run the tests.
#
#   make            modules/*.so, bin/vodpkg and bin/vodedge-token
#   make test       the whole test suite (what .ci/run calls)
#   make unit       C unit tests of the nginx-free core (cmocka)
#   make fuzz       libFuzzer targets of the core, FUZZ_SECONDS each
#   make bench      packager vs static nginx benchmark
#   make bench-edge the edge's checks on vs off
#   make bench-session  the media path's session check on vs off
#   make prove      the Test::Nginx suites under t/
#   make e2e        hls.js and dash.js playing in chromium

NGINX_SRC    ?= /usr/share/nginx/src
BUILD        ?= $(CURDIR)/build
CC           ?= cc
CFLAGS       ?= -O2 -g
CORE         := ngx_vod_package/core
CORE_SRCS    := $(wildcard $(CORE)/vod_*.c)
CORE_HDRS    := $(wildcard $(CORE)/vod_*.h)
GLUE_SRCS    := $(wildcard ngx_vod_package/ngx_vod_package_*.c)
GLUE_HDRS    := $(wildcard ngx_vod_package/ngx_vod_package_*.h)
CORE_CFLAGS  := $(CFLAGS) -std=gnu99 -Wall -Wextra -Werror \
                -Wno-unused-parameter -I$(CORE)
UNIT_TESTS   := $(patsubst $(CORE)/test/%.c,build/unit/%, \
                    $(wildcard $(CORE)/test/test_*.c))
AV_LIBS      := $(shell pkg-config --libs libavformat libavcodec libavutil \
                    2>/dev/null)
FUZZ_SECONDS ?= 60
# appended to nginx's own CFLAGS (-O) for the module objects only
NGX_CC_OPT   ?= -O2
MEDIA_DIR    ?= $(CURDIR)/build/media
# the edge module's nginx-free core, with the origin's JSON parser
PB_CORE      := ngx_stream_playback/core
PB_CORE_SRCS := $(wildcard $(PB_CORE)/pb_*.c) $(CORE)/vod_json.c
PB_CORE_HDRS := $(wildcard $(PB_CORE)/pb_*.h) $(CORE)/vod_json.h \
                $(CORE)/vod_core.h
PB_GLUE      := $(wildcard ngx_stream_playback/ngx_stream_playback_*.[ch])
# nginx-aware code more than one module compiles in (GeoIP, file reloads)
SHARED       := $(wildcard shared/vodedge_*.[ch])
PB_CFLAGS    := $(CORE_CFLAGS) -I$(PB_CORE)
PB_UNIT_TESTS := $(patsubst $(PB_CORE)/test/%.c,build/unit/%, \
                    $(wildcard $(PB_CORE)/test/test_*.c))
# the steering module's nginx-free core, with the origin's JSON parser
ST_CORE      := ngx_steering/core
ST_CORE_SRCS := $(wildcard $(ST_CORE)/st_*.c) $(CORE)/vod_json.c
ST_CORE_HDRS := $(wildcard $(ST_CORE)/st_*.h) $(CORE)/vod_json.h \
                $(CORE)/vod_core.h
ST_GLUE      := $(wildcard ngx_steering/ngx_steering_*.[ch])
ST_CFLAGS    := $(CORE_CFLAGS) -I$(ST_CORE)
ST_UNIT_TESTS := $(patsubst $(ST_CORE)/test/%.c,build/unit/%, \
                    $(wildcard $(ST_CORE)/test/test_*.c))

.PHONY: all modules tools unit fuzz fixtures test bench bench-edge \
	bench-session clean

all: modules tools

modules: modules/ngx_vod_package_module.so \
        modules/ngx_stream_playback_module.so \
        modules/ngx_steering_module.so

# one nginx build makes every module (a grouped target)
modules/ngx_vod_package_module.so modules/ngx_stream_playback_module.so \
modules/ngx_steering_module.so &: \
        config $(CORE_SRCS) $(CORE_HDRS) $(GLUE_SRCS) $(GLUE_HDRS) \
        $(PB_CORE_SRCS) $(PB_CORE_HDRS) $(PB_GLUE) $(SHARED) \
        $(ST_CORE_SRCS) $(ST_CORE_HDRS) $(ST_GLUE)
	@mkdir -p $(BUILD) modules
	@# configure bakes in the file list: rerun it when that list changes
	echo "$(NGINX_SRC) $(NGX_CC_OPT) $(sort $(CORE_SRCS) $(CORE_HDRS) $(GLUE_SRCS) $(GLUE_HDRS) $(PB_CORE_SRCS) $(PB_CORE_HDRS) $(PB_GLUE) $(SHARED) $(ST_CORE_SRCS) $(ST_CORE_HDRS) $(ST_GLUE))" \
	    > $(BUILD)/.srcs.new
	if [ ! -f $(BUILD)/Makefile ] || [ config -nt $(BUILD)/Makefile ] \
	    || ! cmp -s $(BUILD)/.srcs.new $(BUILD)/.srcs; then \
	    cd $(NGINX_SRC) && \
	    if [ -f conf_flags ]; then . ./conf_flags; else NGX_CONF_FLAGS=; fi && \
	    ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --add-dynamic-module=$(CURDIR) --builddir=$(BUILD) \
	        --with-cc-opt="$(NGX_CC_OPT)" \
	        > $(BUILD)/configure.log 2>&1 \
	    || { tail -30 $(BUILD)/configure.log; exit 1; }; \
	    mv $(BUILD)/.srcs.new $(BUILD)/.srcs; \
	fi
	$(MAKE) -f $(BUILD)/Makefile -C $(NGINX_SRC) modules
	cp $(BUILD)/ngx_vod_package_module.so \
	    $(BUILD)/ngx_stream_playback_module.so \
	    $(BUILD)/ngx_steering_module.so modules/

# configure's conf_flags is a bash array
SHELL := /bin/bash

tools: bin/vodpkg bin/vodedge-token

bin/vodpkg: tools/vodpkg.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p bin
	$(CC) $(CORE_CFLAGS) -o $@ tools/vodpkg.c $(CORE_SRCS)

bin/vodedge-token: tools/vodedge-token.c $(PB_CORE_SRCS) $(PB_CORE_HDRS)
	@mkdir -p bin
	$(CC) $(PB_CFLAGS) -o $@ tools/vodedge-token.c $(PB_CORE_SRCS) -lcrypto

build/unit/%: $(CORE)/test/%.c $(CORE)/test/*.h $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p build/unit
	$(CC) $(CORE_CFLAGS) -Wno-unused-function -fsanitize=address,undefined \
	    -o $@ $< $(CORE_SRCS) -lcmocka $(AV_LIBS)

fixtures: $(MEDIA_DIR)/.done

$(MEDIA_DIR)/.done: tools/mkmedia.sh
	tools/mkmedia.sh $(MEDIA_DIR) 8
	touch $@

build/unit/%: $(PB_CORE)/test/%.c $(PB_CORE)/test/*.h $(PB_CORE_SRCS) \
        $(PB_CORE_HDRS)
	@mkdir -p build/unit
	$(CC) $(PB_CFLAGS) -Wno-unused-function -fsanitize=address,undefined \
	    -o $@ $< $(PB_CORE_SRCS) -lcmocka -lcrypto

build/unit/%: $(ST_CORE)/test/%.c $(ST_CORE_SRCS) $(ST_CORE_HDRS)
	@mkdir -p build/unit
	$(CC) $(ST_CFLAGS) -Wno-unused-function -fsanitize=address,undefined \
	    -o $@ $< $(ST_CORE_SRCS) -lcmocka -lm

unit: fixtures $(UNIT_TESTS) $(PB_UNIT_TESTS) $(ST_UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS) $(PB_UNIT_TESTS) $(ST_UNIT_TESTS); do \
	    echo "== $$t"; VOD_MEDIA=$(MEDIA_DIR) $$t; done

build/fuzz/%: $(CORE)/fuzz/%.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p build/fuzz
	clang -g -O1 -I$(CORE) -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o $@ $< $(CORE_SRCS)

build/fuzz/%: $(PB_CORE)/fuzz/%.c $(PB_CORE_SRCS) $(PB_CORE_HDRS)
	@mkdir -p build/fuzz
	clang -g -O1 -I$(CORE) -I$(PB_CORE) -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -o $@ $< $(PB_CORE_SRCS) -lcrypto

fuzz: fixtures $(patsubst $(CORE)/fuzz/%.c,build/fuzz/%,\
        $(wildcard $(CORE)/fuzz/fuzz_*.c)) \
        $(patsubst $(PB_CORE)/fuzz/%.c,build/fuzz/%,\
        $(wildcard $(PB_CORE)/fuzz/fuzz_*.c))
	@set -e; for f in build/fuzz/fuzz_*; do \
	    case $$f in *.*) continue;; esac; \
	    seeds=build/fuzz/$$(basename $$f).seeds; mkdir -p $$seeds; \
	    for m in $$(find $(MEDIA_DIR) -name '*.mp4' -size -2M); do \
	        cp $$m $$seeds/$$(basename $$(dirname $$m))-$$(basename $$m); done; \
	    if [ -d $(PB_CORE)/fuzz/seeds/$$(basename $$f) ]; then \
	        cp $(PB_CORE)/fuzz/seeds/$$(basename $$f)/* $$seeds/; fi; \
	    echo "== $$f for $(FUZZ_SECONDS)s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -max_len=4000000 \
	        -rss_limit_mb=2048 -print_final_stats=1 $$seeds \
	        > build/fuzz/$$(basename $$f).log 2>&1 \
	    || { tail -60 build/fuzz/$$(basename $$f).log; exit 1; }; \
	    tail -3 build/fuzz/$$(basename $$f).log; \
	done

test: all
	tools/test.sh

bench: all
	bench/run.sh

# the edge's checks (token, tier, licensing) against the same cache unchecked
bench-edge: all fixtures
	bench/edge.sh

# the session check of media requests on vs off, both with every other check
bench-session: all fixtures
	bench/session.sh

# the Test::Nginx suites alone, and the real-player test alone
prove: all fixtures
	TEST_NGINX_LOAD_MODULES="$(CURDIR)/modules/ngx_vod_package_module.so $(CURDIR)/modules/ngx_stream_playback_module.so $(CURDIR)/modules/ngx_steering_module.so" \
	TEST_NGINX_MEDIA=$(MEDIA_DIR) prove -I t/lib -r t/

e2e: all fixtures
	E2E_MEDIA=$(MEDIA_DIR) node e2e/play.js
	E2E_MEDIA=$(MEDIA_DIR) node e2e/steering.js

.PHONY: prove e2e

clean:
	rm -rf build modules bin
