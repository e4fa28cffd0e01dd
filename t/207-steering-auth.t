# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: the state API authenticates its caller.  Every request to
# a "steering state" location, GETs included, carries a credential signed
# with a key of steering_state_key_file (HMAC-SHA256 over the method, the
# path, the body's hash, a timestamp and a nonce; scheme in
# ngx_steering/ngx_steering_auth.c, signed here by SteerTest::sign).  An
# address is not an identity: the location also allows 127.0.0.1, and
# realip takes the client from X-Forwarded-For sent from 127.0.0.1, as a
# local proxy would; that gives nothing.  Refused: no credential, another
# scheme, a malformed one, an unknown key, a wrong secret, a timestamp out
# of the skew (old or ahead), a tampered body, path or method, a replay.
# Each refusal is 401 with WWW-Authenticate and one log line; nothing it
# asked for happened.  Two keys (rotation) are both accepted.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup() }

our ($Good, $Later);

sub sign { SteerTest::sign(@_) }

BEGIN {
    # signed when the file is read, sent twice: the second is a replay
    $Good = SteerTest::sign('PUT', '/steering/caches/isp-ny-1',
                            '{"load": 0.25}');
}

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_state_max_age off;
    steering_state_key_file $TEST_NGINX_STEER_DIR/state.key;
    steering_state_max_skew 30s;
_EOC_

our $Config = <<'_EOC_';
    location /steering/caches/ {
        # what conf/steering.conf had: the address alone
        allow 127.0.0.1;
        deny all;
        steering state;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: no credential, from a "local proxy" (X-Forwarded-For: 127.0.0.1, allowed by address): 401, the challenge, one log line
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers
X-Forwarded-For: 127.0.0.1
--- error_code: 401
--- response_headers
WWW-Authenticate: Steering-HMAC-SHA256 realm="steering state"
--- response_body
{"error":"unauthorized","reason":"no credential"}
--- grep_error_log eval
qr/steering state request refused: [^,]*/
--- grep_error_log_out
steering state request refused: no credential



=== TEST 2: a GET without credential is refused too, and names no cache
--- request
GET /steering/caches/
--- error_code: 401
--- response_body_unlike
isp-ny



=== TEST 3: an id not in the fleet: 401 first, not 404 (which ids exist is not said)
--- request
GET /steering/caches/nope
--- error_code: 401



=== TEST 4: another scheme
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers
Authorization: Basic dXNlcjpwYXNz
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"no credential of scheme Steering-HMAC-SHA256"}



=== TEST 5: a malformed credential: no nonce
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', '{"healthy": false}') =~ s/ nonce=[^,]*,//r
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"malformed credential"}



=== TEST 6: a malformed credential: the signature is not hex
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', '{"healthy": false}') =~ s/sig=.{4}/sig=zzzz/r
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"malformed credential"}



=== TEST 7: an unknown key
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', '{"healthy": false}', kid => 'old', secret => 'k' x 32)
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"unknown key"}
--- error_log
steering state request refused: unknown key



=== TEST 8: a known kid with a wrong secret
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', '{"healthy": false}', secret => 'x' x 32)
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"bad signature"}
--- error_log
steering state request refused: bad signature (key "t1")



=== TEST 9: a timestamp older than steering_state_max_skew (31 s)
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', '{"healthy": false}', ts => time - 31)
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"timestamp outside steering_state_max_skew"}



=== TEST 10: a timestamp ahead of the skew
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', '{"healthy": false}', ts => time + 60)
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"timestamp outside steering_state_max_skew"}



=== TEST 11: a tampered body (signed for healthy true)
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', '{"healthy": true}')
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"bad signature"}



=== TEST 12: a tampered path (signed for isp-ny-2)
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-2', '{"healthy": false}')
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"bad signature"}



=== TEST 13: a tampered method (signed as a GET)
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- more_headers eval
main::sign('GET', '/steering/caches/isp-ny-1', '{"healthy": false}')
--- error_code: 401



=== TEST 14: none of the refused requests changed anything
--- request
GET /steering/caches/isp-ny-1
--- more_headers eval
main::sign('GET', '/steering/caches/isp-ny-1', '')
--- response_body
{"id":"isp-ny-1","tier":"isp","url":"http://127.0.0.2:8096","healthy":true,"usable":true,"load":0.0000,"age":null,"reported":false}
--- no_error_log
[warn]



=== TEST 15: the right key: stored
--- request
PUT /steering/caches/isp-ny-1
{"load": 0.25}
--- more_headers eval
$main::Good
--- response_body
{"id":"isp-ny-1","tier":"isp","url":"http://127.0.0.2:8096","healthy":true,"usable":true,"load":0.2500,"age":0,"reported":true}



=== TEST 16: the same request again (captured and replayed within the skew)
--- request
PUT /steering/caches/isp-ny-1
{"load": 0.25}
--- more_headers eval
$main::Good
--- error_code: 401
--- response_body
{"error":"unauthorized","reason":"replayed request"}
--- error_log
steering state request refused: replayed request (key "t1")



=== TEST 17: the second key of the file (rotation) is accepted
--- request
PUT /steering/caches/isp-ny-2
{"healthy": false}
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-2', '{"healthy": false}', kid => 't2')
--- response_body_like
^\{"id":"isp-ny-2",.*"healthy":false,"usable":false,.*"reported":true\}$



=== TEST 18: every cache's state with a signed GET
--- request
GET /steering/caches/
--- more_headers eval
main::sign('GET', '/steering/caches/', '')
--- response_body_like eval
qr/^\{"caches":\[\{"id":"isp-ny-1",[^}]*"load":0.2500,[^}]*\},\{"id":"isp-ny-2",[^}]*"healthy":false,/



=== TEST 19: a signed POST is 405 (the credential first, then the method)
--- request
POST /steering/caches/isp-ny-1
{"load": 0.1}
--- more_headers eval
main::sign('POST', '/steering/caches/isp-ny-1', '{"load": 0.1}')
--- error_code: 405



=== TEST 20: a body over 4096 bytes is refused before it is read
--- request eval
"PUT /steering/caches/isp-ny-1\n" . ('x' x 5000)
--- more_headers eval
main::sign('PUT', '/steering/caches/isp-ny-1', 'x' x 5000)
--- error_code: 400



=== TEST 21: a refused request's body is read and dropped, never parsed as the next request on the kept-alive connection
--- request
GET /steering/caches/
--- error_code: 401
--- response_body_filters eval
sub {
    my $s = IO::Socket::INET->new("127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}")
        or die "connect: $!";
    my $inner = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
    print $s "PUT /steering/caches/isp-ny-1 HTTP/1.1\r\nHost: localhost\r\n"
             . "Content-Length: " . length($inner) . "\r\n\r\n$inner"
             . "GET /steering/caches/ HTTP/1.1\r\nHost: localhost\r\n"
             . "Connection: close\r\n\r\n";
    local $/;
    my $all = <$s> // '';
    join '', map { "$_\n" } $all =~ m{^HTTP/1\.1 (\d+)}mg;
}
--- response_body
401
401
