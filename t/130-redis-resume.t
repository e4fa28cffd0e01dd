# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the playback API's resume positions and continue
# watching against a real redis-server on a private port (6381): every
# endpoint, last writer wins under reordered heartbeats, the 5-95% and 50
# rules, TTLs set and refreshed, every bad body (nothing written), tokens
# and profiles, routes.  What nginx wrote is read back with redis-cli.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); RedisTest::start(6381) }

repeat_each(1);
no_shuffle();
log_level('info');

our $Token = PbTest::token(aud => q(api), sub => 'acct-1', profiles => 'p1,p2',
                           tier => 'basic');
our $Auth = "Authorization: Bearer $Token";

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT command_timeout=500ms;
_EOC_

our $Config = <<'_EOC_';
    location /api/ {
        playback_api on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    }

    location = /redis {
        return 200 "$playback_redis\n";
    }
_EOC_

sub put_body {
    my ($pos, $dur, $at, %o) = @_;
    my $b = qq({"position_ms":$pos,"duration_ms":$dur,"updated_at":$at);
    $b .= qq(,"$_":"$o{$_}") for sort keys %o;
    return "$b}";
}

# PUT through nginx from Perl, for what takes many requests
sub put {
    my ($profile, $title, $body) = @_;
    my ($code) = RedisTest::http('PUT', "/api/v1/resume/$profile/$title",
                                 [$Auth], $body);
    die "PUT $profile/$title: $code\n" unless $code == 204;
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth)
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: the worker is connected to Redis
--- request
GET /redis
--- response_body
up



=== TEST 2: PUT a heartbeat: 204; hash, continue-watching set and TTLs
--- request eval
"PUT /api/v1/resume/p1/t1\n"
. main::put_body(30000, 100000, 1000, device => 'tv', session_id => 's1')
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t1', 'continue_watching:{acct-1}:p1') }
--- response_body
playback:{acct-1}:p1:t1 device=tv duration=100000 last_updated=1000 position=30000 session_id=s1 ttl=2592000
continue_watching:{acct-1}:p1 t1=1000 ttl=2592000



=== TEST 3: GET the position
--- request
GET /api/v1/resume/p1/t1
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body
{"profile":"p1","title":"t1","position_ms":30000,"duration_ms":100000,"updated_at":1000,"device":"tv"}



=== TEST 4: a late, older heartbeat from another device changes nothing
--- request eval
"PUT /api/v1/resume/p1/t1\n"
. main::put_body(10000, 100000, 900, device => 'phone')
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t1', 'continue_watching:{acct-1}:p1') }
--- response_body
playback:{acct-1}:p1:t1 device=tv duration=100000 last_updated=1000 position=30000 session_id=s1 ttl=2592000
continue_watching:{acct-1}:p1 t1=1000 ttl=2592000



=== TEST 5: a newer one from the phone wins
--- request eval
"PUT /api/v1/resume/p1/t1\n"
. main::put_body(45000, 100000, 2000, device => 'phone')
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t1', 'continue_watching:{acct-1}:p1') }
--- response_body
playback:{acct-1}:p1:t1 device=phone duration=100000 last_updated=2000 position=45000 session_id= ttl=2592000
continue_watching:{acct-1}:p1 t1=2000 ttl=2592000



=== TEST 6: the TV's heartbeat, sent before the phone's, arrives after it
--- request eval
"PUT /api/v1/resume/p1/t1\n"
. main::put_body(31000, 100000, 1010, device => 'tv')
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t1') }
--- response_body
playback:{acct-1}:p1:t1 device=phone duration=100000 last_updated=2000 position=45000 session_id= ttl=2592000



=== TEST 7: continue watching: position and completion
--- request
GET /api/v1/continue-watching/p1
--- response_body
{"profile":"p1","items":[{"title":"t1","position_ms":45000,"duration_ms":100000,"completion":0.450,"updated_at":2000,"device":"phone"}]}



=== TEST 8: under 5% is not in continue watching (the hash is kept)
--- request eval
"PUT /api/v1/resume/p1/t2\n" . main::put_body(4999, 100000, 3000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t2', 'continue_watching:{acct-1}:p1') }
--- response_body
playback:{acct-1}:p1:t2 device= duration=100000 last_updated=3000 position=4999 session_id= ttl=2592000
continue_watching:{acct-1}:p1 t1=2000 ttl=2592000



=== TEST 9: exactly 5% and exactly 95% are in
--- init
main::put('p1', 't3', main::put_body(95000, 100000, 3500));
--- request eval
"PUT /api/v1/resume/p1/t2\n" . main::put_body(5000, 100000, 4000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('continue_watching:{acct-1}:p1') }
--- response_body
continue_watching:{acct-1}:p1 t1=2000 t3=3500 t2=4000 ttl=2592000



=== TEST 10: over 95% (finished) leaves continue watching
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(95001, 100000, 5000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('continue_watching:{acct-1}:p1') }
--- response_body
continue_watching:{acct-1}:p1 t3=3500 t2=4000 ttl=2592000



=== TEST 11: most recent first
--- request
GET /api/v1/continue-watching/p1
--- response_body
{"profile":"p1","items":[{"title":"t2","position_ms":5000,"duration_ms":100000,"completion":0.050,"updated_at":4000,"device":null},{"title":"t3","position_ms":95000,"duration_ms":100000,"completion":0.950,"updated_at":3500,"device":null}]}



=== TEST 12: at most 50: the 55 titles of p2 keep the 50 most recent
--- init
main::put('p2', "m$_", main::put_body(50000, 100000, 10000 + $_))
    for 1 .. 55;
--- request
GET /api/v1/continue-watching/p2
--- response_body_filters eval
sub {
    my @t = $_[0] =~ /"title":"(\w+)"/g;
    scalar(@t) . " items, $t[0] .. $t[-1]; zcard "
    . RedisTest::cli('ZCARD', 'continue_watching:{acct-1}:p2')
}
--- response_body chomp
50 items, m55 .. m6; zcard 50



=== TEST 13: no position yet: 0
--- request
GET /api/v1/resume/p1/none
--- response_body
{"profile":"p1","title":"none","position_ms":0,"duration_ms":0,"updated_at":0,"device":null}



=== TEST 14: every write refreshes the 30-day TTL
--- init
RedisTest::cli('EXPIRE', 'playback:{acct-1}:p1:t3', 60);
RedisTest::cli('EXPIRE', 'continue_watching:{acct-1}:p1', 60);
--- request eval
"PUT /api/v1/resume/p1/t3\n" . main::put_body(60000, 100000, 6000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t3', 'continue_watching:{acct-1}:p1') }
--- response_body
playback:{acct-1}:p1:t3 device= duration=100000 last_updated=6000 position=60000 session_id= ttl=2592000
continue_watching:{acct-1}:p1 t2=4000 t3=6000 ttl=2592000



=== TEST 15: DELETE removes the hash and the title from the set
--- request
DELETE /api/v1/resume/p1/t3
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t3', 'continue_watching:{acct-1}:p1') }
--- response_body
playback:{acct-1}:p1:t3 (none)
continue_watching:{acct-1}:p1 t2=4000 ttl=2592000



=== TEST 16: bad body: not JSON
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":1,
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"body is not JSON (or nests deeper than 4, or has more than 64 values)"}



=== TEST 17: bad body: a JSON array
--- request
PUT /api/v1/resume/p1/bad
[1,2]
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"body is not a JSON object"}



=== TEST 18: bad body: none
--- request
PUT /api/v1/resume/p1/bad
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"no body: a JSON object is expected"}



=== TEST 19: bad body: position_ms missing
--- request
PUT /api/v1/resume/p1/bad
{"duration_ms":100,"updated_at":1}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"position_ms is missing or not a non-negative integer"}



=== TEST 20: bad body: negative duration
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":1,"duration_ms":-100,"updated_at":1}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"duration_ms is missing or not a non-negative integer"}



=== TEST 21: bad body: a number as a string
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":1,"duration_ms":100,"updated_at":"1"}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"updated_at is missing or not a non-negative integer"}



=== TEST 22: bad body: a fraction
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":1.5,"duration_ms":100,"updated_at":1}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"position_ms is missing or not a non-negative integer"}



=== TEST 23: bad body: position beyond duration
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":101,"duration_ms":100,"updated_at":1}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"position_ms is beyond duration_ms"}



=== TEST 24: bad body: zero duration
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":0,"duration_ms":0,"updated_at":1}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"duration_ms must be positive"}



=== TEST 25: bad body: a session id that is not an id
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":1,"duration_ms":100,"updated_at":1,"session_id":"a b"}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"session_id is not 1 to 128 characters of A-Z a-z 0-9 . _ -"}



=== TEST 26: bad body: device not a string
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":1,"duration_ms":100,"updated_at":1,"device":7}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"device is not a string of at most 256 bytes without control characters"}



=== TEST 27: bad body: a duplicate field
--- request
PUT /api/v1/resume/p1/bad
{"position_ms":1,"duration_ms":100,"updated_at":1,"position_ms":2}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"body has a duplicate field"}



=== TEST 28: bad body: oversized (5000 bytes)
--- request eval
"PUT /api/v1/resume/p1/bad\n"
. '{"position_ms":1,"duration_ms":100,"updated_at":1,"device":"'
. ('x' x 4940) . '"}'
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"body larger than 4096 bytes"}



=== TEST 29: none of the bad bodies wrote anything
--- request
GET /api/v1/resume/p1/bad
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:bad') }
--- response_body
{"profile":"p1","title":"bad","position_ms":0,"duration_ms":0,"updated_at":0,"device":null}
playback:{acct-1}:p1:bad (none)



=== TEST 30: no token: 401 with WWW-Authenticate
--- request
GET /api/v1/resume/p1/t1
--- more_headers
X-Nothing: 1
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer
--- response_body
{"error":"unauthorized","reason":"no Authorization: Bearer token"}



=== TEST 31: an expired token: 401
--- request
GET /api/v1/resume/p1/t1
--- more_headers eval
"Authorization: Bearer "
. PbTest::token(aud => q(api), sub => 'acct-1', profiles => 'p1', ttl => -100)
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"expired"}
--- error_log
playback api: Bearer token refused: expired



=== TEST 32: a forged token: 401
--- request
GET /api/v1/resume/p1/t1
--- more_headers eval
"Authorization: Bearer " . substr($main::Token, 0, -2) . "AA"
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"bad-signature"}



=== TEST 33: a profile outside the token: 403
--- request
GET /api/v1/resume/p3/t1
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"the profile is not one of the token's"}



=== TEST 34: a token without profiles: 403
--- request
PUT /api/v1/resume/p1/t1
{"position_ms":1,"duration_ms":100,"updated_at":99999}
--- more_headers eval
"Authorization: Bearer " . PbTest::token(aud => q(api), sub => 'acct-1')
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"the profile is not one of the token's"}



=== TEST 35: a token without an account: 403
--- request
GET /api/v1/continue-watching/p1
--- more_headers eval
"Authorization: Bearer " . PbTest::token(aud => q(api), profiles => 'p1')
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"the token names no account (sub)"}



=== TEST 36: another account's token cannot read p1 unless it lists p1
--- request
GET /api/v1/continue-watching/p1
--- more_headers eval
"Authorization: Bearer " . PbTest::token(aud => q(api), sub => 'acct-2', profiles => 'q1')
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"the profile is not one of the token's"}



=== TEST 37: unknown endpoint: 404
--- request
GET /api/v1/resume/p1
--- error_code: 404
--- response_body
{"error":"not_found","reason":"no such endpoint"}



=== TEST 38: wrong method: 405 with Allow
--- request
POST /api/v1/resume/p1/t1
{}
--- error_code: 405
--- response_headers
Allow: GET, PUT, DELETE
--- response_body
{"error":"method_not_allowed","reason":"GET, PUT, DELETE"}



=== TEST 39: a title that is not an id: 400
--- request
GET /api/v1/resume/p1/a%20b
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"a profile or title is not 1 to 128 characters of A-Z a-z 0-9 . _ -"}



=== TEST 40: EVALSHA after SCRIPT FLUSH: NOSCRIPT, then EVAL
--- init
RedisTest::cli('SCRIPT', 'FLUSH');
--- request eval
"PUT /api/v1/resume/p1/t4\n" . main::put_body(20000, 100000, 7000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t4') }
--- response_body
playback:{acct-1}:p1:t4 device= duration=100000 last_updated=7000 position=20000 session_id= ttl=2592000



=== TEST 41: Redis on a unix socket: a write ...
--- http_config
    playback_redis unix:$TEST_NGINX_REDIS_SOCK command_timeout=500ms;
--- request eval
"PUT /api/v1/resume/p1/t5\n" . main::put_body(30000, 100000, 8000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-1}:p1:t5') }
--- response_body
playback:{acct-1}:p1:t5 device= duration=100000 last_updated=8000 position=30000 session_id= ttl=2592000



=== TEST 42: ... and a read back through it
--- http_config
    playback_redis unix:$TEST_NGINX_REDIS_SOCK command_timeout=500ms;
--- request
GET /api/v1/resume/p1/t5
--- response_body
{"profile":"p1","title":"t5","position_ms":30000,"duration_ms":100000,"updated_at":8000,"device":null}
