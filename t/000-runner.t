# vim:set ft= ts=4 sw=4 et:
#
# Self-tests of the Test::Nginx runner with stock nginx features only
# (return, add_header, static files, ssi), so the runner is proven on its
# own.  First, files that are meant to fail, each run by the runner in a
# sub-process on its own port and server root: the runner must report the
# failure.  Then the blocks below, which must pass.

use Test::Nginx::Socket 'no_plan';

use File::Temp ();
use IO::Socket::INET ();

repeat_each(1);
no_shuffle();
log_level('info');

$ENV{TEST_NGINX_GREETING} = 'hello';

# run the runner on a generated .t file; returns (exit status, output)
sub run_runner {
    my ($dir, $name, $blocks, %env) = @_;
    my $file = "$dir/$name.t";
    open my $fh, '>', $file or die "$file: $!";
    print $fh "use Test::Nginx::Socket 'no_plan';\nlog_level('info');\n"
              . "run_tests();\n\n__DATA__\n\n$blocks";
    close $fh;
    local $ENV{TEST_NGINX_PORT} = $ENV{TEST_NGINX_RUNNER_PORT} // 1985;
    local $ENV{TEST_NGINX_SERVROOT} = "$dir/servroot-$name";
    local $ENV{CI} = $env{CI} // '';
    my $switches = $env{switches} // '';
    my $out = `$^X -I t/lib $switches $file 2>&1`;
    return ($? >> 8, $out);
}

{
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    my $ok_block = <<'_EOB_';
=== TEST 1: passes
--- config
    location = /t { return 200 "right\n"; }
--- request
GET /t
--- response_body
right
--- no_error_log
[error]

_EOB_

    my @cases = (
        ['wrong-body', <<'_EOB_', qr/not ok \d+ - TEST 1: wrong body - response_body/],
=== TEST 1: wrong body
--- config
    location = /t { return 200 "right\n"; }
--- request
GET /t
--- response_body
wrong
_EOB_
        ['wrong-status', <<'_EOB_', qr/not ok \d+ - TEST 1: wrong status - status code/],
=== TEST 1: wrong status
--- config
    location = /t { return 404; }
--- request
GET /t
--- response_body_like: .
_EOB_
        ['unexpected-error', <<'_EOB_', qr/not ok \d+ - TEST 1: a 404 logs an error nobody expected - error\.log has no/],
=== TEST 1: a 404 logs an error nobody expected
--- config
--- request
GET /missing.txt
--- error_code: 404
_EOB_
        # background work logging after the request: a client started by
        # init asks for a missing file 0.5 s later, once the block's own
        # log check is over; the next block keeps the server up till then
        ['late-error', <<'_EOB_', qr/not ok \d+ - TEST 1: an error logged late \.\. TEST 2: .* error\.log has no/],
=== TEST 1: an error logged late
--- config
    location = /t { return 200 "right\n"; }
--- init
my $port = $Test::Nginx::Socket::ServerPort;
if (fork == 0) {
    eval {
        select undef, undef, undef, 0.5;
        my $s = IO::Socket::INET->new("127.0.0.1:$port") or die;
        print $s "GET /late-missing HTTP/1.0\r\n\r\n";
        my $r = <$s>;
    };
    POSIX::_exit(0);
}
--- request
GET /t
--- response_body
right
--- no_error_log
[error]

=== TEST 2: the same server, a second later
--- config
    location = /t { return 200 "right\n"; }
--- init
select undef, undef, undef, 1;
--- request
GET /t
--- response_body
right
--- no_error_log
[error]
_EOB_
        ['only-in-ci', "$ok_block--- ONLY\n", qr/ONLY in .* refused with CI=true/, CI => 'true'],
        ['skip-in-ci', "$ok_block--- SKIP\n", qr/SKIP in .* refused with CI=true/, CI => 'true'],
        ['last-in-ci', "$ok_block--- LAST\n", qr/LAST in .* refused with CI=true/, CI => 'true'],
    );

    for my $c (@cases) {
        my ($name, $blocks, $want, %env) = @$c;
        my ($rc, $out) = run_runner($dir, $name, $blocks, %env);
        Test::More::isnt($rc, 0, "runner self-test: $name fails");
        Test::More::like($out, $want, "runner self-test: $name says why")
            or Test::More::diag($out);
    }

    # the controls: an expected error passes, ONLY outside CI warns
    my ($rc, $out) = run_runner($dir, 'expected-error', <<'_EOB_');
=== TEST 1: a 404 whose error line is expected
--- config
--- request
GET /missing.txt
--- error_code: 404
--- error_log
No such file or directory
_EOB_
    Test::More::is($rc, 0, "runner self-test: an expected error passes")
        or Test::More::diag($out);
    ($rc, $out) = run_runner($dir, 'only-outside-ci', "$ok_block--- ONLY\n");
    Test::More::is($rc, 0, "runner self-test: ONLY outside CI runs")
        or Test::More::diag($out);
    Test::More::like($out, qr/WARNING: --- ONLY in .*NOT run/,
                     "runner self-test: ONLY outside CI warns");

    # FailFast (tools/mutate.sh): a file stops at its first failure, with
    # that failure's diagnostics, and its nginx is stopped; without it
    # both failures are reported
    my $two = <<'_EOB_';
=== TEST 1: first wrong
--- config
    location = /t { return 200 "right\n"; }
--- request
GET /t
--- response_body
first
=== TEST 2: second wrong
--- config
    location = /u { return 200 "right\n"; }
--- request
GET /u
--- response_body
second
_EOB_
    ($rc, $out) = run_runner($dir, 'fail-fast', $two,
                             switches => '-MFailFast');
    my @not_ok = $out =~ /^not ok \d+/mg;
    Test::More::isnt($rc, 0, "runner self-test: fail-fast fails");
    Test::More::is(scalar @not_ok, 1,
                   "runner self-test: fail-fast stops at the first failure")
        or Test::More::diag($out);
    Test::More::like($out, qr/TEST 1: first wrong.*FailFast: stopping/s,
                     "runner self-test: fail-fast keeps the diagnostics");
    Test::More::ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                       PeerPort => $ENV{TEST_NGINX_RUNNER_PORT} // 1985),
                   "runner self-test: fail-fast stopped its nginx");
    ($rc, $out) = run_runner($dir, 'no-fail-fast', $two);
    @not_ok = $out =~ /^not ok \d+/mg;
    Test::More::is(scalar @not_ok, 2,
                   "runner self-test: without fail-fast both fail")
        or Test::More::diag($out);
}

run_tests();

__DATA__

=== TEST 1: return with a body, default status 200
--- config
    location = /t {
        return 200 "hello world\n";
    }
--- request
GET /t
--- response_body
hello world
--- no_error_log
[error]



=== TEST 2: error_code, add_header, absent header
--- config
    location = /t {
        add_header X-Foo bar always;
        return 403;
    }
--- request
GET /t
--- error_code: 403
--- response_headers
X-Foo: bar
!X-Bar
--- response_headers_like
Content-Type: text/html.*
--- no_error_log
[error]



=== TEST 3: static file from user_files, 404 with an error log line
--- user_files
>>> a.txt
static content
--- request
GET /a.txt
--- response_body
static content
--- response_headers_like
Content-Length: 15
ETag: "[0-9a-f]+-f"
Last-Modified: .* GMT



=== TEST 4: 404 for a missing file logs "open() ... failed"
--- config
--- request
GET /no/such/file.txt
--- error_code: 404
--- error_log
open()
No such file or directory



=== TEST 5: HEAD: headers only, Content-Length of the body
--- user_files
>>> b.txt
0123456789
--- request
HEAD /b.txt
--- response_headers
Content-Length: 11
--- response_body chomp
--- no_error_log
[error]



=== TEST 6: Range via more_headers gives 206 with Content-Range
--- user_files
>>> c.txt
0123456789
--- request
GET /c.txt
--- more_headers
Range: bytes=2-5
--- error_code: 206
--- response_headers
Content-Range: bytes 2-5/11
Content-Length: 4
--- response_body chomp
2345



=== TEST 7: unsatisfiable Range gives 416
--- user_files
>>> d.txt
0123456789
--- request
GET /d.txt
--- more_headers
Range: bytes=100-200
--- error_code: 416
--- response_headers_like
Content-Range: bytes \*/11



=== TEST 8: $TEST_NGINX_* substitution in config and request
--- config
    location = /$TEST_NGINX_GREETING {
        return 200 "port $TEST_NGINX_SERVER_PORT\n";
    }
--- request
GET /$TEST_NGINX_GREETING
--- response_body_like: ^port \d+$



=== TEST 9: binary body with response_body_filters and error_code_like
--- user_files eval
">>> bin.dat\n" . pack("C*", 0 .. 255)
--- request
GET /bin.dat
--- error_code_like: ^2\d\d$
--- response_body_filters eval
[sub { length $_[0] }]
--- response_body chomp
256



=== TEST 10: binary body matched byte-wise with response_body_like eval
--- user_files eval
">>> bin2.dat\n\x00\x00\x00\x18ftypiso6\xff\xfe"
--- request
GET /bin2.dat
--- response_body_like eval
qr/^\x00\x00\x00\x18ftypiso6\xff\xfe$/
--- response_body_unlike: ^$



=== TEST 10b: md5_hex named filter
--- user_files
>>> e.txt
abc
--- request
GET /e.txt
--- response_body_filters
md5_hex
--- response_body chomp
0bee89b07a248e27c83fc3d5951213c1



=== TEST 11: raw_response_headers_like and http_config
--- http_config
    map $uri $tag {
        default "mapped";
    }
--- config
    location = /m {
        add_header X-Tag $tag;
        return 204;
    }
--- request
GET /m
--- error_code: 204
--- raw_response_headers_like: ^HTTP/1\.1 204 No Content\r\n
--- response_headers
X-Tag: mapped



=== TEST 12: main_config: env directive reaches the config
--- main_config
    env TEST_RUNNER_MAIN=1;
--- config
    location = /x {
        return 200 "ok\n";
    }
--- request
GET /x
--- response_body
ok
--- no_error_log
[error]
[emerg]



=== TEST 13: POST body with Content-Length
--- config
    location = /p {
        return 200 "$request_method $content_length\n";
    }
--- request
POST /p
abcdef
--- response_body
POST 6



=== TEST 14: chunked response is decoded
ssi makes the body's length unknown up front, so nginx sends it in chunks
(the page, then the included part): the runner must join them.
--- user_files
>>> c.html
one <!--# include virtual="/part.txt" --> three
>>> part.txt
two
--- config
    location = /c.html {
        ssi on;
        root $TEST_NGINX_HTML_DIR;
    }
--- request
GET /c.html HTTP/1.1
--- raw_response_headers_like: Transfer-Encoding: chunked\r\n
--- raw_response_headers_unlike: Content-Length
--- response_body
one two
 three
--- no_error_log
[error]



=== TEST 15: grep_error_log counts matching lines
--- config
--- request
GET /missing.html
--- error_code: 404
--- grep_error_log: No such file or directory
--- grep_error_log_out
No such file or directory
