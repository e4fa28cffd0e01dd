# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: concurrent streams per tier and the manifest call,
# against a real redis-server on a private port (6382): the slot a
# manifest takes, 429 with the active devices, heartbeats keeping a slot,
# ending playback freeing it at once, expiry after playback_stream_grace,
# signed media URLs on a base URL made of variables, every bad body.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); RedisTest::start(6382) }

repeat_each(1);
no_shuffle();
log_level('info');

our %Auth;
for my $tier (qw(basic standard)) {
    $Auth{$tier} = "Authorization: Bearer "
        . PbTest::token(aud => q(api), sub => "acct-$tier", profiles => 'p1,p2',
                        tier => $tier);
}

our ($Sid, $Hls, $Score);

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
_EOC_

our $Config = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    set $steering_host cdn-1.example;

    location /api/ {
        playback_token off;
        playback_api on;
        playback_stream_grace 2s;
        playback_media_token_ttl 10m;
        playback_api_base_url http://$steering_host/;
    }

    location /vod/ {
        return 200 "$playback_account|$playback_tier|$playback_session\n";
    }

    location = /redis {
        playback_token off;
        return 200 "$playback_redis\n";
    }
_EOC_

sub manifest {
    my ($esn, $video, $profile) = @_;
    $video //= 'demo';
    $profile //= 'p1';
    return qq({"video_id":"$video","profile_id":"$profile","device":)
           . qq({"type":"tv","esn":"$esn","drm_capabilities":["widevine"]}});
}

# the session and the token are new each time: named in the body
sub names {
    my $b = shift;
    ($Sid) = $b =~ /"playback_session_id":"(\w+)"/ if !defined $_[0];
    ($Hls) = $b =~ m{"hls":"http://cdn-1\.example([^"]+)"};
    $b =~ s/"playback_session_id":"[0-9a-f]{32}"/"playback_session_id":"SID"/;
    $b =~ s/"session_id":"[0-9a-f]{32}"/"session_id":"SID"/g;
    $b =~ s{/t/[\w.-]+/}{/t/TOKEN/}g;
    $b =~ s/"(media_token_expires_at|last_heartbeat)":\d+/"$1":N/g;
    return $b;
}

sub http_auth {
    my ($tier, $method, $uri, $body) = @_;
    return RedisTest::http($method, $uri, [$Auth{$tier}], $body);
}

sub score {
    return RedisTest::cli('ZSCORE', 'streams:{acct-basic}', $Sid);
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth{basic})
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: a manifest: session, signed URLs, bookmark, limits
--- init
my ($c) = main::http_auth('basic', 'PUT', '/api/v1/resume/p1/demo',
    '{"position_ms":42000,"duration_ms":60000,"updated_at":1}');
die "PUT: $c" unless $c == 204;
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('ESN-1')
--- response_headers
Content-Type: application/json
--- response_body_filters eval
\&main::names
--- response_body
{"playback_session_id":"SID","video_id":"demo","profile_id":"p1","manifests":{"hls":"http://cdn-1.example/t/TOKEN/vod/demo/master.m3u8","dash":"http://cdn-1.example/t/TOKEN/vod/demo/manifest.mpd"},"media_token_expires_at":N,"bookmarks":{"resume_position_ms":42000},"limits":{"tier":"basic","max_streams":1,"max_height":480,"max_bitrate":2500000},"degraded":[]}



=== TEST 2: the slot in Redis, and the device beside it
--- request
GET /redis
--- response_body_filters eval
sub {
    $_[0] . RedisTest::cli('ZCARD', 'streams:{acct-basic}') . " "
    . (RedisTest::cli('ZSCORE', 'streams:{acct-basic}', $main::Sid) > 0
       ? "held" : "missing") . " "
    . RedisTest::cli('HGET', 'streams:{acct-basic}:devices', $main::Sid)
    . "\n"
}
--- response_body
up
1 held tv:ESN-1



=== TEST 3: the media URL plays: the token carries account, tier, session
--- request
GET /redis
--- response_body_filters eval
sub {
    my ($c, $b) = RedisTest::http('GET', $main::Hls);
    $b =~ s/\Q$main::Sid\E/SID/;
    "$c $b";
}
--- response_body
200 acct-basic|basic|SID



=== TEST 4: the media token covers this title only
--- request
GET /redis
--- response_body_filters eval
sub {
    (my $u = $main::Hls) =~ s{/vod/demo/}{/vod/other/};
    my ($c) = RedisTest::http('GET', $u);
    "$c\n";
}
--- response_body
403



=== TEST 5: basic plays on one device: a second gets 429 with the first
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('ESN-2')
--- error_code: 429
--- response_body_filters eval
sub { main::names($_[0], 'keep') }
--- response_body
{"error":"too_many_streams","reason":"the account plays on as many devices as its plan allows","max_streams":1,"active":[{"session_id":"SID","device":"tv:ESN-1","last_heartbeat":N}]}
--- error_log
at its limit of 1 streams, answering 429



=== TEST 6: a heartbeat of the session keeps its slot fresh
--- init
$main::Score = main::score();
select undef, undef, undef, 1.1;
my ($c) = main::http_auth('basic', 'PUT', '/api/v1/resume/p1/demo',
    qq({"position_ms":43000,"duration_ms":60000,"updated_at":2,)
    . qq("session_id":"$main::Sid"}));
die "PUT: $c" unless $c == 204;
--- request
GET /redis
--- response_body_filters eval
sub { main::score() - $main::Score >= 1000 ? "refreshed\n" : "stale\n" }
--- response_body
refreshed



=== TEST 7: ending playback frees the slot at once
--- init
my ($c) = main::http_auth('basic', 'DELETE',
                          "/api/v1/playback/sessions/$main::Sid");
die "DELETE: $c" unless $c == 204;
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('ESN-2')
--- response_body_filters eval
sub {
    main::names($_[0]) =~ /"playback_session_id":"SID"/ ? "ok " : "no ";
}
--- response_body chomp
ok 



=== TEST 8: ending a session the account does not hold: 404
--- request
DELETE /api/v1/playback/sessions/0123456789abcdef
--- error_code: 404
--- response_body
{"error":"not_found","reason":"the account holds no such session"}



=== TEST 9: a session silent for longer than the grace frees its slot
--- init
select undef, undef, undef, 2.5;
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('ESN-3')
--- response_body_filters eval
sub {
    (main::names($_[0]) =~ /"playback_session_id":"SID"/ ? "ok " : "no ")
    . RedisTest::cli('ZCARD', 'streams:{acct-basic}') . " "
    . CORE::join(',', sort values %{{ split /\n/,
        RedisTest::cli('HGETALL', 'streams:{acct-basic}:devices') }})
    . "\n";
}
--- response_body
ok 1 tv:ESN-3



=== TEST 10: standard plays on two devices; the third is told of both
--- init
for my $esn ('S-1', 'S-2') {
    my ($c) = main::http_auth('standard', 'POST',
        '/api/v1/playback/manifest', main::manifest($esn, 'demo', 'p2'));
    die "manifest: $c" unless $c == 200;
    select undef, undef, undef, 0.01;      # one slot per ms: in order
}
--- more_headers eval
$main::Auth{standard}
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('S-3', 'demo', 'p2')
--- error_code: 429
--- response_body_filters eval
sub { main::names($_[0], 'keep') }
--- response_body
{"error":"too_many_streams","reason":"the account plays on as many devices as its plan allows","max_streams":2,"active":[{"session_id":"SID","device":"tv:S-1","last_heartbeat":N},{"session_id":"SID","device":"tv:S-2","last_heartbeat":N}]}



=== TEST 11: premium, no bookmark yet: position 0, premium's limits
--- more_headers eval
"Authorization: Bearer "
. PbTest::token(aud => q(api), sub => 'acct-p', profiles => 'p1', tier => 'premium')
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('P-1', 'other')
--- response_body_filters eval
\&main::names
--- response_body
{"playback_session_id":"SID","video_id":"other","profile_id":"p1","manifests":{"hls":"http://cdn-1.example/t/TOKEN/vod/other/master.m3u8","dash":"http://cdn-1.example/t/TOKEN/vod/other/manifest.mpd"},"media_token_expires_at":N,"bookmarks":{"resume_position_ms":0},"limits":{"tier":"premium","max_streams":4,"max_height":2160,"max_bitrate":25000000},"degraded":[]}



=== TEST 12: bad body: no video_id
--- request
POST /api/v1/playback/manifest
{"profile_id":"p1","device":{"type":"tv"}}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"video_id is missing or not 1 to 128 characters of A-Z a-z 0-9 . _ -"}



=== TEST 13: bad body: a profile_id that is not an id
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"../x","device":{"type":"tv"}}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"profile_id is missing or not 1 to 128 characters of A-Z a-z 0-9 . _ -"}



=== TEST 14: bad body: no device
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p1"}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"device is missing or not an object"}



=== TEST 15: bad body: a device without a type
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p1","device":{"esn":"x"}}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"device.type is missing or not a string of 1 to 64 bytes"}



=== TEST 16: bad body: drm_capabilities not strings
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p1","device":{"type":"tv","drm_capabilities":[1]}}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"device.drm_capabilities is not an array of strings"}



=== TEST 17: bad body: not JSON
--- request
POST /api/v1/playback/manifest
video_id=demo
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"body is not JSON (or nests deeper than 4, or has more than 64 values)"}



=== TEST 18: a profile outside the token: 403
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p9","device":{"type":"tv"}}
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"profile_id is not one of the token's"}



=== TEST 19: a token without a tier: 403
--- more_headers eval
"Authorization: Bearer " . PbTest::token(aud => q(api), sub => 'a', profiles => 'p1')
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p1","device":{"type":"tv"}}
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"the token names no tier"}



=== TEST 20: a tier the edge does not know: 403
--- more_headers eval
"Authorization: Bearer "
. PbTest::token(aud => q(api), sub => 'a', profiles => 'p1', tier => 'gold')
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p1","device":{"type":"tv"}}
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"the token's tier is not configured"}



=== TEST 21: GET on the manifest endpoint: 405
--- request
GET /api/v1/playback/manifest
--- error_code: 405
--- response_headers
Allow: POST
