# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the path checked against the token is the path
# nginx routes and proxies.  A differential test: an edge (token sources
# prefix, query and cookie; every location proxied) in front of a test
# origin that echoes the request line and headers it received
# (t/inc/EdgeProbe.pm).  Many request-line forms (raw and encoded '#' and
# '?', %2e, %2f, %5c, //, ;, /./, .., mixed-case escapes, over-long
# UTF-8, very long paths), each aimed at another title than the token's
# /vod/granted/, times the three token sources, over HTTP/1.1 (raw
# sockets: the bytes are exactly these) and HTTP/2 (curl with prior
# knowledge).  Every request is either refused (400, 403, 404, 414) or
# reaches the origin at a canonical path under /vod/granted/; nothing the
# origin receives, answers or logs carries the token (not as a /t/
# prefix, not as an argument, not as a cookie), nor does the edge's log.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use EdgeProbe;
use Test::Nginx::Socket 'no_plan';

our ($Tok, @Cases, @Good);

BEGIN {
    PbTest::setup();
    $ENV{TEST_NGINX_PB_H2_PORT} = $ENV{TEST_NGINX_PB_ORIGIN_PORT} + 1;
    $Tok = PbTest::token(path => '/vod/granted/', tier => 'basic');
}

# The forms.  Each escapes from /vod/granted/ to /vod/other/ if the edge
# and nginx read it differently, or stays under /vod/granted/ (the
# benign ones, which must also reach the origin).
sub forms {
    my @f;

    # a fragment: nginx ends $uri at a raw '#'
    push @f, '/vod/other/master.m3u8#/../../granted/',
             '/vod/other/master.m3u8#/../../granted/x.m4s',
             '/vod/other/#/../granted/master.m3u8',
             '/vod/other/master.m3u8%23/../../granted/',
             '/vod/other/master.m3u8%23/%2e%2e/%2e%2e/granted/',
             '/vod/granted/master.m3u8#x',
             '/vod/granted/master.m3u8#/../../other/master.m3u8',
             '/vod/granted/master.m3u8%23x';

    # arguments: a raw '?' ends the path, an encoded one does not
    push @f, '/vod/other/master.m3u8?/../../granted/',
             '/vod/other/master.m3u8%3f/../../granted/',
             '/vod/other/master.m3u8%3F/%2E%2E/%2E%2E/granted/',
             '/vod/granted/master.m3u8?a=1&b=/../../other/';

    # dot segments, raw and escaped in every case mix
    for my $dots ('..', '%2e%2e', '%2E%2E', '%2e.', '.%2E', '%2E%2e') {
        push @f, "/vod/granted/$dots/other/master.m3u8",
                 "/vod/other/x/$dots/../granted/$dots/../other/m.m3u8";
    }
    for my $dot ('.', '%2e', '%2E') {
        push @f, "/vod/$dot/granted/$dot/master.m3u8",
                 "/vod/granted/$dot$dot/other/master.m3u8";
    }

    # slashes and backslashes, raw and escaped
    for my $sl ('%2f', '%2F') {
        push @f, "/vod/granted${sl}..${sl}other/master.m3u8",
                 "/vod/granted/..${sl}other/master.m3u8",
                 "/vod${sl}granted/master.m3u8";
    }
    for my $bs ('%5c', '%5C', '\\') {
        push @f, "/vod/granted/..${bs}other/master.m3u8",
                 "/vod/granted/${bs}..${bs}..${bs}other/master.m3u8";
    }
    push @f, '//vod//granted///master.m3u8',
             '/vod/granted//../other/master.m3u8',
             '/vod//other//..//..//vod/granted/master.m3u8';

    # path parameters and other separators other servers know
    push @f, '/vod/granted;/../other/master.m3u8',
             '/vod/granted/;/../../other/master.m3u8',
             '/vod/granted/..;/other/master.m3u8',
             '/vod/granted/%3b/../other/master.m3u8';

    # over-long UTF-8 for '.' and '/', and double escapes
    for my $o ('%c0%ae', '%C0%AE', '%e0%80%ae', '%c0%af', '%c1%9c') {
        push @f, "/vod/granted/$o$o/other/master.m3u8";
    }
    push @f, '/vod/granted/%252e%252e/other/master.m3u8',
             '/vod/granted/%252f..%252fother/master.m3u8';

    # very long paths, around nginx's 8k request-line buffer
    push @f, '/vod/granted/' . ('a/' x 1500) . ('../' x 1500)
             . 'master.m3u8',
             '/vod/granted/' . ('a/' x 1000) . ('../' x 1001)
             . 'other/master.m3u8',
             '/vod/granted/' . ('x' x 3000) . '#/../../other/',
             '/vod/granted/' . ('./' x 3000) . '../other/master.m3u8',
             '/vod/granted/' . ('a' x 9000) . '/master.m3u8';

    # absolute form, and case
    push @f, 'http://localhost/vod/other/master.m3u8#/../../granted/',
             'http://localhost/vod/granted/../other/master.m3u8',
             '/VOD/granted/../other/master.m3u8',
             '/vod/GRANTED/master.m3u8';

    return @f;
}

# what must pass: every source, both protocols
@Good = ('/vod/granted/master.m3u8',
         '//vod//granted///video-360p-1.m4s',
         '/vod/granted/./a/../video-360p.m3u8',
         '/vod/granted/%61udio-1.m4s',
         '/vod/granted/master.m3u8?x=1');

# the request of one form under one source: target and headers
sub request_for {
    my ($source, $form) = @_;
    if ($source eq 'prefix') {
        return ("/t/$Tok$form") if $form =~ m{^/};
        (my $abs = $form) =~ s{^(http://[^/]+)}{$1/t/$Tok};
        return ($abs);
    }
    if ($source eq 'query') {
        my $sep = $form =~ /\?/ ? '&' : '?';
        return ("$form${sep}token=$Tok");
    }
    return ($form, "Cookie: a=1; pbt=$Tok; b=2");
}

sub check {
    my ($proto, $source, $form, $good) = @_;
    my ($target, @h) = request_for($source, $form);
    my $port = $proto eq 'h2' ? $ENV{TEST_NGINX_PB_H2_PORT}
                              : $ENV{TEST_NGINX_SERVER_PORT};
    my $res = $proto eq 'h2' ? EdgeProbe::h2($port, $target, @h)
                             : EdgeProbe::get($port, $target, @h);
    my $name = "$proto $source " . (length $form > 90
               ? substr($form, 0, 60) . '...(' . length($form) . ')' : $form);

    if ($res->{error}) {
        return fail("$name: $res->{error}");
    }

    my $code = $res->{code};

    if ($code != 200) {
        return fail("$name: a good path refused ($code)") if $good;
        return ok($code =~ /^(?:400|403|404|414)$/,
                  "$name: refused ($code)");
    }

    my ($line) = $res->{body} =~ /^ORIGIN (.*)$/m;
    return fail("$name: 200 not from the origin: "
                . substr($res->{body}, 0, 80))
        unless defined $line;

    my $why = EdgeProbe::path_problem($line, '/vod/granted/')
              // EdgeProbe::leak($res->{body}, $Tok, '/t/', 'token=',
                                 'pbt=');
    ok(!defined $why, "$name: reached the origin as \"$line\""
                      . (defined $why ? ": $why" : ''));
}

sub differential {
    my ($proto) = @_;
    if ($proto eq 'h2' && !EdgeProbe::have_h2()) {
        SKIP: { Test::More::skip("curl has no HTTP/2 or --request-target",
                                 1) }
        return;
    }
    for my $source (qw(prefix query cookie)) {
        check($proto, $source, $_, 1) for @Good;
        check($proto, $source, $_, 0) for forms();
    }
}

# the origin's log and the edge's error log: no credential.  Of the
# edge's log, the lines an operator logs (notice and above): at info,
# nginx itself logs a request line it finds invalid ("client sent invalid
# :path header") before any module sees the request.
sub logs_clean {
    for my $f ("$ENV{TEST_NGINX_PB_DIR}/origin.log",
               "$ENV{TEST_NGINX_SERVER_ROOT}/logs/error.log")
    {
        open my $fh, '<', $f or return fail("$f: $!");
        my $text = join '', grep { !/ \[(?:info|debug)\] / } <$fh>;
        close $fh;
        my $why = EdgeProbe::leak($text, $Tok);
        ok(!defined $why, "no token in $f" . ($why ? ": $why" : ''));
    }
}

our $Edge = <<'_EOC_';
        playback_token on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
        playback_token_sources prefix query=token cookie=pbt;
        large_client_header_buffers 4 8k;

        location /vod/ {
            proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        }

        location / {
            proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        }

        location = /health {
            playback_token off;
            return 200 "ok\n";
        }
_EOC_

our $HttpConfig = $EdgeProbe::Origin . <<"_EOC_";

    # the same edge over HTTP/2 (prior knowledge, no TLS)
    server {
        listen 127.0.0.1:\$TEST_NGINX_PB_H2_PORT http2;
$Edge
    }
_EOC_

repeat_each(1);
no_shuffle();
no_root_location();
log_level('info');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig);
    $block->set_value('config', $Edge) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: the test origin echoes what the edge sent it
--- request eval
"GET /t/$main::Tok/vod/granted/master.m3u8"
--- response_body_like eval
qr{\AORIGIN GET /vod/granted/master\.m3u8 HTTP/1\.[01]\nCOOKIE \n}



=== TEST 2: a path of another title is refused
--- request eval
"GET /t/$main::Tok/vod/other/master.m3u8"
--- error_code: 403



=== TEST 3: differential over HTTP/1.1: every form, every source
--- init
main::differential('h1');
--- request
GET /health
--- response_body
ok



=== TEST 4: differential over HTTP/2: every form, every source
--- init
main::differential('h2');
--- request
GET /health
--- response_body
ok



=== TEST 5: no token in the origin's access log nor the edge's error log
--- init
main::logs_clean();
--- request
GET /health
--- response_body
ok



=== TEST 6: a path nginx did not leave canonical is refused with 400:
"//" under merge_slashes off (prefix source)
--- config
    merge_slashes off;
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
--- request eval
"GET /t/$main::Tok/vod//granted/master.m3u8"
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"bad-path"}
--- error_log
playback token refused: bad-path (path is not canonical), source prefix



=== TEST 7: ... (query source)
--- config
    merge_slashes off;
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
--- request eval
"GET /vod/granted//master.m3u8?token=$main::Tok"
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"bad-path"}



=== TEST 8: ... and what a server-level rewrite made: a ".." the claim's
prefix would cover but the origin would resolve out of it (a rewrite
that trims a name, "..x" to "..")
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    rewrite ^/alias/(\.\.)x/(.*)$ /vod/granted/$1/$2 break;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
--- request eval
"GET /alias/..x/other/master.m3u8?token=$main::Tok"
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"bad-path"}



=== TEST 9: a rewrite (which nginx marks internal) is no way around the
check: without a token, a rewritten request is refused where it ends
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    rewrite ^/old/(.*)$ /vod/$1 last;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
    location /legacy/ {
        playback_token off;
        rewrite ^/legacy/(.*)$ /vod/$1 last;
    }
--- request
GET /old/other/master.m3u8
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"missing"}



=== TEST 10: ... nor is a location without tokens that rewrites into one
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    rewrite ^/old/(.*)$ /vod/$1 last;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
    location /legacy/ {
        playback_token off;
        rewrite ^/legacy/(.*)$ /vod/$1 last;
    }
--- request
GET /legacy/other/master.m3u8
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"missing"}



=== TEST 11: ... and a rewritten request with its token is checked on the
rewritten path, which reaches the origin without the token
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    rewrite ^/old/(.*)$ /vod/$1 last;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
--- request eval
"GET /old/granted/master.m3u8?token=$main::Tok"
--- response_body_like eval
qr{\AORIGIN GET /vod/granted/master\.m3u8 HTTP/1\.[01]\n}



=== TEST 12: a checked request that an error_page redirects internally
is not checked again (its token is gone from the request by then: a
second check would refuse it as "missing")
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    location /vod/ {
        proxy_pass http://127.0.0.1:1;
        error_page 502 = /vod/granted/fallback;
    }
    location = /vod/granted/fallback {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        add_header X-Status $playback_token_status;
    }
--- request eval
"GET /vod/granted/master.m3u8?token=$main::Tok"
--- response_headers
X-Status: OK
--- response_body_like eval
qr{\AORIGIN GET /vod/granted/fallback HTTP/1\.[01]\n}
--- error_log
connect() failed (111: Connection refused) while connecting to upstream



=== TEST 13: after such a redirect the variables are there from the
rewrite phase on, before any access check ran in the new location
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;
    location /vod/ {
        proxy_pass http://127.0.0.1:1;
        error_page 502 = /vod/granted/fallback;
    }
    location = /vod/granted/fallback {
        set $seen "$playback_token_status|$playback_tier";
        return 200 "$seen\n";
    }
--- request eval
"GET /vod/granted/master.m3u8?token=$main::Tok"
--- response_body
OK|basic
--- error_log
connect() failed (111: Connection refused) while connecting to upstream
