#!/bin/bash
# install-deps.sh: install what vodedge needs to build, test, benchmark and
# demo, from Debian's archive and the npm registry.  Idempotent: a repeat run
# checks with dpkg-query and touches apt only when a package is missing, and
# runs npm only when e2e/node_modules is older than e2e/package-lock.json.
#
#   tools/install-deps.sh          as root, or via sudo when not root
#   SKIP_NPM=1 tools/install-deps.sh   Debian packages only
#   ONLY_NPM=1 tools/install-deps.sh   e2e's npm packages only (after a
#                                      run with SKIP_NPM=1: tools/test.sh
#                                      downloads them while it builds)
set -euo pipefail

cd "$(dirname "$0")/.."

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

debian_packages() {
# build: nginx-dev is the configured source tree of the packaged nginx
pkgs=(
    build-essential pkg-config make gcc clang libclang-rt-14-dev
    nginx nginx-dev
    libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
    libjpeg62-turbo-dev
    libhiredis-dev libmaxminddb-dev libssl-dev libluajit2-5.1-dev
    libcmocka-dev
    ffmpeg
    redis-server
    libnginx-mod-http-lua
    libtest-base-perl libjson-perl libmaxmind-db-writer-perl
    wrk valgrind curl procps libxml2-utils bc util-linux iproute2
    chromium
)

# node and npm: the machine may carry a nodejs build that bundles npm; only
# ask Debian for them when the commands are missing
if ! command -v node >/dev/null 2>&1; then
    pkgs+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
    pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case "$status" in
        ii*) ;;
        *) missing+=("$p") ;;
    esac
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "install-deps: Debian packages present"
fi

# the packaged nginx is started by its own service on install, with a
# default site on port 80, which the DASH steering case of e2e/steering.js
# needs (dash.js drops a clone's port): stop the service when this script
# installed it (one that was there before is the user's, left alone)
case " ${missing[*]} " in
*" nginx "*)
    if command -v systemctl >/dev/null 2>&1 \
        && systemctl is-active --quiet nginx 2>/dev/null
    then
        echo "install-deps: stopping the nginx service just installed" \
             "(its default site holds port 80)"
        $SUDO systemctl stop nginx || true
    fi
    ;;
esac
}

npm_packages() {
    stamp=e2e/node_modules/.vodedge-installed
    if [ ! -f "$stamp" ] || [ e2e/package-lock.json -nt "$stamp" ] \
        || [ e2e/package.json -nt "$stamp" ]; then
        echo "install-deps: npm ci in e2e/"
        # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core never downloads
        # a browser, but say so for any tool that would; we use
        # /usr/bin/chromium
        (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
            npm ci --no-audit --no-fund --loglevel=error)
        touch "$stamp"
    else
        echo "install-deps: e2e/node_modules up to date"
    fi
}

[ -n "${ONLY_NPM:-}" ] || debian_packages
[ -n "${SKIP_NPM:-}" ] || npm_packages
