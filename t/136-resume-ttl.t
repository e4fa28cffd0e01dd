# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: playback_resume_ttl has its effect.  A heartbeat
# PUT leaves the resume hash and the continue-watching set with the TTL
# the configuration names, read back from a real redis-server (port 6386)
# with redis-cli TTL: the http level's value, a location's own value, and
# a renewal that puts the TTL back up.  t/130 checks the 30d default.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); RedisTest::start(6386) }

repeat_each(1);
no_shuffle();
log_level('info');

our $Token = PbTest::token(aud => q(api), sub => 'acct-1',
                           profiles => 'p1,p2',
                           tier => 'basic');
our $Auth = "Authorization: Bearer $Token";

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT command_timeout=500ms;
    playback_resume_ttl 7d;
_EOC_

our $Config = <<'_EOC_';
    location /api/ {
        playback_api on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    }

    location /short/ {
        rewrite ^/short(/.*)$ $1 break;
        playback_api on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
        playback_resume_ttl 90s;
    }
_EOC_

sub put_body {
    my ($pos, $at) = @_;
    return qq({"position_ms":$pos,"duration_ms":100000,"updated_at":$at});
}

# "KEY ttl ok" when redis-cli TTL of KEY is in [LO, HI] seconds, else
# what it is; "ttl ok" needs the key to exist and to expire
sub ttl_in {
    my ($key, $lo, $hi) = @_;
    my $t = RedisTest::cli('TTL', $key);
    return "$key ttl " . ($t >= $lo && $t <= $hi ? 'ok' : $t) . "\n";
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth)
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[error]\n[alert]\n[crit]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: the http level's 7d: the hash and the set expire in 604800 s
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(30000, 1000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . main::ttl_in('playback:{acct-1}:p1:t1', 604790, 604800)
      . main::ttl_in('continue_watching:{acct-1}:p1', 604790, 604800) }
--- response_body
playback:{acct-1}:p1:t1 ttl ok
continue_watching:{acct-1}:p1 ttl ok



=== TEST 2: a location's own 90s
--- request eval
"PUT /short/api/v1/resume/p2/t2\n" . main::put_body(30000, 1000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . main::ttl_in('playback:{acct-1}:p2:t2', 80, 90)
      . main::ttl_in('continue_watching:{acct-1}:p2', 80, 90) }
--- response_body
playback:{acct-1}:p2:t2 ttl ok
continue_watching:{acct-1}:p2 ttl ok



=== TEST 3: a write renews the TTL: cut short by hand, put back to 7d
--- init
RedisTest::cli('EXPIRE', 'playback:{acct-1}:p1:t1', 50);
RedisTest::cli('EXPIRE', 'continue_watching:{acct-1}:p1', 50);
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(40000, 2000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . main::ttl_in('playback:{acct-1}:p1:t1', 604790, 604800)
      . main::ttl_in('continue_watching:{acct-1}:p1', 604790, 604800) }
--- response_body
playback:{acct-1}:p1:t1 ttl ok
continue_watching:{acct-1}:p1 ttl ok
