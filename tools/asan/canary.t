# vim:set ft= ts=4 sw=4 et:
#
# The canary of tools/asan/run.sh: EXPECTED TO FAIL, in TEST 2 and TEST 3
# only.  ngx_asan_canary_module (tools/asan/canary, built by make asan)
# reads past a pool allocation on ?heap and overflows an int on ?int; the
# runner must fail those blocks with the ASan and UBSan reports.  run.sh
# checks that it did, so a run where the sanitizers or the check quietly
# stopped working fails instead of passing.  Not under t/: prove -r t/
# must not run it.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
log_level('info');

run_tests();

__DATA__

=== TEST 1: no bug, no report: the block passes
--- config
    location /canary { asan_canary; }
--- request
GET /canary
--- response_body
canary 



=== TEST 2: a read one byte past a 16-byte ngx_pnalloc(): ASan
--- config
    location /canary { asan_canary; }
--- request
GET /canary?heap
--- response_body_like: canary



=== TEST 3: INT_MAX + 1: UBSan
--- config
    location /canary { asan_canary; }
--- request
GET /canary?int
--- response_body_like: canary
