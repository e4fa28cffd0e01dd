#!/bin/bash
# test-file.sh [SWITCHES] T.t: one Test::Nginx file, run as prove runs it,
# in namespaces of its own (tools/isolate.sh) and with a server root of
# its own ($SERVROOTS/NAME, default build/servroot/NAME), so that files
# run side by side do not meet:
#
#   prove -j2 --exec tools/test-file.sh -r t/
#
# prove gives --exec's command no switches of its own, so the file runs
# with -I t/lib and $HARNESS_PERL_SWITCHES (t/lib/FailFast.pm for
# tools/mutate.sh).
set -euo pipefail

t=${*: -1}
TEST_NGINX_SERVROOT=${SERVROOTS:-$PWD/build/servroot}/$(basename "$t" .t)
export TEST_NGINX_SERVROOT
# shellcheck disable=SC2086
exec "$(dirname "$0")/isolate.sh" perl -I t/lib ${HARNESS_PERL_SWITCHES:-} "$@"
