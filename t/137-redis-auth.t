# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: Redis authentication against a real redis-server on
# a private port (6387) whose default user needs a password and which has
# an ACL user: playback_redis with password_file= (the default user) and
# with user= and password_file= (the ACL user) writes and reads resume
# positions; a wrong password is refused by Redis, logged with Redis' own
# reason (never the password), the API answers 503 and nothing is
# written; no password at all gets nothing from Redis either.  The same
# parameters serve steering_redis (one parser, shared/vodedge_redis.c).

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use File::Temp ();
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

my $dir;

BEGIN {
    PbTest::setup();
    RedisTest::start(6387);
    # the default user needs "defaultpw"; "edge" is an ACL user whose
    # password has spaces; redis-cli logs in as "admin"
    RedisTest::cli('ACL', 'SETUSER', 'admin', 'on', '>adminpw', '~*', '&*',
                   '+@all');
    RedisTest::cli('ACL', 'SETUSER', 'edge', 'on', '>edge pass  spaced',
                   '~*', '&*', '+@all');
    RedisTest::cli('ACL', 'SETUSER', 'default', 'resetpass', '>defaultpw');
    @RedisTest::CliAuth = ('--user', 'admin', '--pass', 'adminpw',
                           '--no-auth-warning');
    $dir = File::Temp::tempdir('redisauth-XXXXXX', TMPDIR => 1,
                               CLEANUP => 1);
    my %files = ('default.pass' => "defaultpw\n",
                 'edge.pass' => "edge pass  spaced\r\n",
                 'wrong.pass' => "wrong-secret-42\n");
    for my $f (keys %files) {
        open my $fh, '>', "$dir/$f" or die "$f: $!";
        print $fh $files{$f};
        close $fh;
    }
    $ENV{TEST_NGINX_AUTH_DIR} = $dir;
}

repeat_each(1);
no_shuffle();
workers(1);
log_level('info');

our $Auth = "Authorization: Bearer "
    . PbTest::token(aud => q(api), sub => 'acct-a', profiles => 'p1',
                    tier => 'basic');

our $Config = <<'_EOC_';
    location /api/ {
        playback_api on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    }

    location = /redis {
        return 200 "$playback_redis\n";
    }
_EOC_

sub http_config {
    return "    playback_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT "
           . "connect_timeout=300ms command_timeout=300ms backoff=400ms "
           . "@_;\n";
}

# the worker's connection settled: "up", or "down" after a refusal (and
# then long enough for the next attempt, refused and logged again, to
# fall in the block's log: the first may come before it starts)
sub settled {
    my $want = shift;
    for (1 .. 100) {
        my ($c, $b) = RedisTest::http('GET', '/redis');
        if ($b eq "$want\n") {
            Time::HiRes::sleep(0.5) if $want eq 'down';
            return;
        }
        Time::HiRes::sleep(0.02);
    }
    die "Redis never $want\n";
}

sub put_body {
    my ($pos, $at) = @_;
    return qq({"position_ms":$pos,"duration_ms":100000,"updated_at":$at});
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth)
        unless defined $block->more_headers;
});

run_tests();

__DATA__

=== TEST 1: password_file= alone: AUTH as the default user, a write lands
--- http_config eval
main::http_config('password_file=$TEST_NGINX_AUTH_DIR/default.pass')
--- init
main::settled('up');
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(30000, 1000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::cli('HGET', 'playback:{acct-a}:p1:t1', 'position') . "\n" }
--- response_body
30000
--- no_error_log
[error]
defaultpw



=== TEST 2: user= and password_file=: AUTH as the ACL user (spaces and a CRLF)
--- http_config eval
main::http_config('user=edge password_file=$TEST_NGINX_AUTH_DIR/edge.pass')
--- init
main::settled('up');
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(40000, 2000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::cli('HGET', 'playback:{acct-a}:p1:t1', 'position')
      . ' ' . (RedisTest::cli('CLIENT', 'LIST') =~ /\buser=edge\b/ ? 'edge'
                                                                : 'not edge')
      . "\n" }
--- response_body
40000 edge
--- no_error_log
[error]
edge pass



=== TEST 3: a wrong password: refused with Redis' reason, 503, nothing written
--- http_config eval
main::http_config('user=edge password_file=$TEST_NGINX_AUTH_DIR/wrong.pass')
--- init
main::settled('down');
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(50000, 3000)
--- error_code: 503
--- response_body_filters eval
sub { $_[0] . RedisTest::cli('HGET', 'playback:{acct-a}:p1:t1', 'position') . "\n" }
--- response_body_like: ^\{"error":"unavailable".*\}\n40000\n$
--- error_log
redis 127.0.0.1:6387: cannot connect: AUTH refused: WRONGPASS invalid username-password pair
--- no_error_log
wrong-secret-42



=== TEST 4: the ACL user's name with the default user's password: refused too
--- http_config eval
main::http_config('user=edge password_file=$TEST_NGINX_AUTH_DIR/default.pass')
--- init
main::settled('down');
--- request
GET /api/v1/resume/p1/t1
--- error_code: 503
--- error_log
AUTH refused: WRONGPASS
--- no_error_log
defaultpw



=== TEST 5: no password: Redis answers nothing but NOAUTH, the API 503
--- http_config eval
main::http_config('')
--- init
main::settled('up');
--- request
GET /api/v1/resume/p1/t1
--- error_code_like: ^50[23]$
--- error_log
NOAUTH
