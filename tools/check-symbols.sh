#!/bin/bash
# check-symbols.sh: every module .so exports only what must be exported.
#
#   tools/check-symbols.sh [DIR]    the .so files in DIR (default modules/)
#
# nginx loads modules with RTLD_GLOBAL: a function a .so exports can bind
# to, or be replaced by, one of the same name in another module of the
# process (Kaltura's nginx-vod-module also has vod_json_parse and friends).
# So each .so may export only:
#   - what nginx's loader looks up: ngx_modules, ngx_module_names and
#     ngx_module_order (nginx's generated *_modules.c);
#   - the ngx_module_t objects config registers in it (its ngx_module_name
#     list, whose first name names the .so);
#   - the functions its public C API header declares
#     (ngx_X/ngx_X_lua.h for ngx_X_module.so): the API LuaJIT's FFI calls.
# Each module's linker version script (ngx_X/ngx_X_module.map) is what
# hides the rest.  The check first proves itself on two stand-in .so
# files, one exporting a function it must refuse.  Exits non-zero and
# names the symbols when a .so exports anything else.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

LOADER="ngx_modules ngx_module_names ngx_module_order"


# the names of config's ngx_module_name line whose first name is $1
config_modules() {
    sed -n 's/^ngx_module_name=//p' "$ROOT/config" | tr -d '"' \
        | awk -v so="$1" '$1 == so { print }'
}


# the functions declared in a public C API header
api_functions() {
    [ -f "$1" ] || return 0
    grep -E '^[A-Za-z_].*[ *]ngx_[a-z0-9_]+\(' "$1" \
        | grep -Ev '^(typedef|#)' \
        | sed -E 's/.*[ *](ngx_[a-z0-9_]+)\(.*/\1/'
}


# check_dir DIR: 0 when every .so in DIR exports only what it may
check_dir() {
    local dir=$1 so name base allowed sym bad=0 n=0

    for so in "$dir"/*.so; do
        [ -e "$so" ] || { echo "check-symbols: no .so in $dir" >&2; return 1; }
        n=$((n + 1))
        name=$(basename "$so" .so)
        base=${name%_module}

        allowed=" $LOADER $(config_modules "$name" | tr '\n' ' ')"
        if [ "$allowed" = " $LOADER " ]; then
            echo "$so: not a module config registers" >&2
            bad=1
            continue
        fi
        allowed="$allowed $(api_functions "$ROOT/$base/${base}_lua.h" \
                            | tr '\n' ' ') "

        for sym in $(nm -D --defined-only "$so" | awk '{ print $3 }' \
                     | sed 's/@.*//'); do
            case "$allowed" in
                *" $sym "*) ;;
                *) echo "$so: exports $sym"; bad=1 ;;
            esac
        done
    done

    [ $bad -eq 0 ] && echo "check-symbols: $n .so in $dir export only" \
                           "the loader's symbols, their modules and APIs"
    return $bad
}


# the check must refuse a .so exporting a core function, and pass one
# exporting only what it may
self_test() {
    local tmp rc
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN

    cat > "$tmp/ok.c" <<'EOF'
void *ngx_modules[1];
char *ngx_module_names[1];
char *ngx_module_order[1];
int ngx_steering_module;
int ngx_steering_lua_version(void) { return 1; }
__attribute__((visibility("hidden"))) int vod_json_hidden(void)
{ return 0; }
EOF
    { cat "$tmp/ok.c"; echo 'int vod_json_parse(void) { return 0; }'; } \
        > "$tmp/bad.c"

    mkdir "$tmp/ok" "$tmp/bad"
    cc -shared -fPIC -o "$tmp/ok/ngx_steering_module.so" "$tmp/ok.c"
    cc -shared -fPIC -o "$tmp/bad/ngx_steering_module.so" "$tmp/bad.c"

    if ! check_dir "$tmp/ok" > "$tmp/out" 2>&1; then
        cat "$tmp/out"
        echo "check-symbols: self-test: a clean .so was refused" >&2
        return 1
    fi

    rc=0
    check_dir "$tmp/bad" > "$tmp/out" 2>&1 || rc=$?
    if [ $rc -eq 0 ] || ! grep -q 'exports vod_json_parse$' "$tmp/out"; then
        cat "$tmp/out"
        echo "check-symbols: self-test: vod_json_parse exported, not" \
             "refused" >&2
        return 1
    fi
}


self_test
check_dir "${1:-modules}"
