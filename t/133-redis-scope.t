# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: playback state belongs to an account, then to a
# profile.  Two accounts whose tokens name the same profile id ("p1") must
# neither read nor change each other's resume positions, continue-watching
# lists, stream slots or sessions; an account id made to look like another
# key ("acct-b:devices") stays in its own keys.  Against a real
# redis-server on a private port (6383).

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); RedisTest::start(6383) }

repeat_each(1);
no_shuffle();
log_level('info');

our %Auth;
for my $acct ('acct-a', 'acct-b', 'acct-b:devices') {
    $Auth{$acct} = "Authorization: Bearer "
        . PbTest::token(aud => 'api', sub => $acct, profiles => 'p1',
                        tier => 'basic');
}

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
_EOC_

our $Config = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;

    location /api/ {
        playback_token off;
        playback_api on;
        playback_api_base_url http://cdn.example;
    }

    location = /redis {
        playback_token off;
        return 200 "$playback_redis\n";
    }
_EOC_

sub api {
    my ($acct, $method, $uri, $body) = @_;
    return RedisTest::http($method, $uri, [$Auth{$acct}], $body);
}

sub put {
    my ($acct, $title, $pos, $at, $sid) = @_;
    my $s = defined $sid ? qq(,"session_id":"$sid") : '';
    my ($c) = api($acct, 'PUT', "/api/v1/resume/p1/$title",
        qq({"position_ms":$pos,"duration_ms":100000,"updated_at":$at$s}));
    die "PUT $acct $title: $c" unless $c == 204;
}

sub position {
    my ($acct, $title) = @_;
    my ($c, $b) = api($acct, 'GET', "/api/v1/resume/p1/$title");
    my ($p) = $b =~ /"position_ms":(\d+)/;
    return "$c " . ($p // '-');
}

sub manifest {
    my ($acct, $esn) = @_;
    my ($c, $b) = api($acct, 'POST', '/api/v1/playback/manifest',
        qq({"video_id":"demo","profile_id":"p1","device":{"type":"tv",)
        . qq("esn":"$esn"}}));
    my ($sid) = $b =~ /"playback_session_id":"(\w+)"/;
    my ($deg) = $b =~ /"degraded":\[([^\]]*)\]/;
    return ($c, $sid, $deg // '?');
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('request', "GET /redis\n")
        unless defined $block->request;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: the same profile id of two accounts: positions apart
--- response_body_filters eval
sub {
    main::put('acct-a', 't1', 30000, 1000);
    $_[0] . "a " . main::position('acct-a', 't1') . "\n"
    . "b " . main::position('acct-b', 't1') . "\n";
}
--- response_body
up
a 200 30000
b 200 0



=== TEST 2: continue watching of one account does not list the other's
--- response_body_filters eval
sub {
    main::put('acct-a', 't2', 40000, 1100);
    my (undef, $a) = main::api('acct-a', 'GET',
                               '/api/v1/continue-watching/p1');
    my (undef, $b) = main::api('acct-b', 'GET',
                               '/api/v1/continue-watching/p1');
    my @a = $a =~ /"title":"(\w+)"/g;
    my @b = $b =~ /"title":"(\w+)"/g;
    $_[0] . "a [@a]\nb [@b]\n";
}
--- response_body
up
a [t2 t1]
b []



=== TEST 3: a newer heartbeat of the other account overwrites nothing
--- response_body_filters eval
sub {
    main::put('acct-b', 't1', 90000, 5000);
    $_[0] . "a " . main::position('acct-a', 't1') . "\n"
    . "b " . main::position('acct-b', 't1') . "\n";
}
--- response_body
up
a 200 30000
b 200 90000



=== TEST 4: deleting one account's position leaves the other's
--- response_body_filters eval
sub {
    my ($c) = main::api('acct-b', 'DELETE', '/api/v1/resume/p1/t1');
    $_[0] . "delete $c\n"
    . "a " . main::position('acct-a', 't1') . "\n"
    . "b " . main::position('acct-b', 't1') . "\n";
}
--- response_body
up
delete 204
a 200 30000
b 200 0



=== TEST 5: the keys name the account first, in braces
--- response_body_filters eval
sub {
    $_[0] . CORE::join("\n", sort split /\n/,
                 RedisTest::cli('KEYS', 'playback:*')) . "\n"
    . CORE::join("\n", sort split /\n/,
           RedisTest::cli('KEYS', 'continue_watching:*')) . "\n";
}
--- response_body
up
playback:{acct-a}:p1:t1
playback:{acct-a}:p1:t2
continue_watching:{acct-a}:p1



=== TEST 6: slots and sessions are the account's: each ends its own only
--- response_body_filters eval
sub {
    my ($ca, $sa) = main::manifest('acct-a', 'A');
    my ($cb, $sb) = main::manifest('acct-b', 'B');
    # b cannot end a's session, though it names it
    my ($d1) = main::api('acct-b', 'DELETE',
                         "/api/v1/playback/sessions/$sa");
    my $held = RedisTest::cli('ZSCORE', 'streams:{acct-a}', $sa) ? 'held'
                                                                   : 'freed';
    my $alive = RedisTest::cli('EXISTS', "session:{acct-a}:$sa");
    my ($d2) = main::api('acct-a', 'DELETE',
                         "/api/v1/playback/sessions/$sa");
    $_[0] . "manifests $ca $cb\nb ends a's: $d1, a's slot $held, "
    . "session $alive\na ends its own: $d2\n";
}
--- response_body
up
manifests 200 200
b ends a's: 404, a's slot held, session 1
a ends its own: 204



=== TEST 7: an account id that reads like another key stays in its own
--- response_body_filters eval
sub {
    # acct-b holds a slot (TEST 6), so streams:...acct-b...:devices is a
    # hash; an account named "acct-b:devices" must not land on it
    my ($c, $sid, $deg) = main::manifest('acct-b:devices', 'X');
    $_[0] . "$c degraded [$deg] "
    . RedisTest::cli('ZCARD', 'streams:{acct-b%3Adevices}') . " "
    . RedisTest::cli('HLEN', 'streams:{acct-b}:devices') . "\n";
}
--- response_body
up
200 degraded [] 1 1
