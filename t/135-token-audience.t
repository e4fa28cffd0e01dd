# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: token audiences and the manifest call's
# entitlement.  A media token (aud "media", or none: signed URLs minted
# before audiences) opens media only; an API token (aud "api") opens the
# playback API only: a leaked media URL cannot end its owner's sessions.
# The manifest call checks licensing for the client's country (451) and
# that the title exists in the rights table when unknown titles are
# denied (404) before it takes a stream slot.  Against a real
# redis-server on a private port (6385) and the GeoIP fixtures of the
# licensing suites (203.0.113.0/24 US, 198.51.100.0/24 DE).

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use GeoTest;
use RedisTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); GeoTest::setup(); RedisTest::start(6385) }

repeat_each(1);
no_shuffle();
log_level('info');

our %Tok = (
    api => PbTest::token(aud => 'api', sub => 'acct-t', profiles => 'p1',
                         tier => 'premium'),
    none => PbTest::token(aud => 'none', sub => 'acct-t', profiles => 'p1',
                          tier => 'premium'),
    both => PbTest::token(aud => 'media,api', sub => 'acct-t',
                          profiles => 'p1', tier => 'premium'),
    api_path => PbTest::token(aud => 'api', path => '/vod/', sub => 'acct-t',
                              profiles => 'p1', tier => 'premium'),
    media => PbTest::token(aud => 'media', path => '/vod/'),
    legacy => PbTest::token(aud => 'none', path => '/vod/'),
    other => PbTest::craft('{"alg":"HS256","kid":"k1"}',
                           '{"exp":NOW+600,"path":"/vod/","aud":"billing"}'),
    badaud => PbTest::craft('{"alg":"HS256","kid":"k1"}',
                            '{"exp":NOW+600,"path":"/vod/","aud":7}'),
);

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    playback_geoip_country $TEST_NGINX_GEO_DIR/country.mmdb;
    playback_rights $TEST_NGINX_GEO_DIR/rights.json;
_EOC_

our $Config = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_licensing on;
    playback_unknown_country allow;
    playback_rights_default allow;

    location /api/ {
        playback_token off;
        playback_api on;
        playback_api_base_url http://cdn.example;
    }

    # the same API where titles the rights table does not list are denied
    location /strict/api/ {
        rewrite ^/strict(/api/.*)$ $1 break;
        playback_token off;
        playback_api on;
        playback_rights_default deny;
        playback_api_base_url http://cdn.example;
    }

    location /vod/ {
        empty_gif;
    }

    location = /redis {
        playback_token off;
        return 200 "$playback_redis\n";
    }
_EOC_

sub api {
    my ($tok, $method, $uri, $body, @h) = @_;
    my ($c, $b) = RedisTest::http($method, $uri,
                                  ["Authorization: Bearer $Tok{$tok}", @h],
                                  $body);
    my ($r) = $b =~ /"reason":"([^"]+)"/;
    return ($c, $b, $r // '-');
}

sub manifest {
    my ($tok, $video, $ip, $prefix) = @_;
    return api($tok, 'POST', ($prefix // '') . '/api/v1/playback/manifest',
               qq({"video_id":"$video","profile_id":"p1",)
               . qq("device":{"type":"tv"}}),
               "X-Forwarded-For: $ip");
}

sub media {
    my ($c, $b) = RedisTest::http('GET', shift, [@_]);
    my ($r) = $b =~ /"reason":"([\w-]+)"/;
    return $r ? "$c $r" : $c;
}

sub slots {
    return RedisTest::cli('ZCARD', 'streams:{acct-t}');
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

=== TEST 1: a leaked media URL cannot end its owner's session
--- response_body_filters eval
sub {
    my ($c, $b) = main::manifest('api', 'demo', '203.0.113.7');
    my ($sid) = $b =~ /"playback_session_id":"(\w+)"/;
    my ($hls) = $b =~ m{"hls":"http://cdn\.example([^"]+)"};
    my ($mt) = $hls =~ m{^/t/([^/]+)/};
    $main::Tok{leaked} = $mt;
    my ($d, undef, $r) = main::api('leaked', 'DELETE',
                                   "/api/v1/playback/sessions/$sid");
    $_[0] . "manifest $c\nDELETE with the media token: $d $r\n"
    . "the session plays on: " . main::media($hls) . "\n";
}
--- response_body
up
manifest 200
DELETE with the media token: 401 wrong-audience
the session plays on: 200
--- error_log
playback api: Bearer token refused: wrong-audience (aud does not name api)



=== TEST 2: the API takes aud "api" only: none, "media", others are refused
--- response_body_filters eval
sub {
    my @out;
    for my $t (qw(api both none media other)) {
        my ($c, undef, $r) = main::api($t, 'GET', '/api/v1/resume/p1/demo');
        push @out, "$t $c $r";
    }
    $_[0] . CORE::join("\n", @out) . "\n";
}
--- response_body
up
api 200 -
both 200 -
none 401 wrong-audience
media 401 wrong-audience
other 401 wrong-audience



=== TEST 3: media takes aud "media" or none: an API token is refused
--- response_body_filters eval
sub {
    my @out;
    for my $t (qw(media legacy both api_path other badaud)) {
        push @out, "$t "
            . main::media("/t/$main::Tok{$t}/vod/demo/seg-1.m4s");
    }
    $_[0] . CORE::join("\n", @out) . "\n";
}
--- response_body
up
media 200
legacy 200
both 200
api_path 403 wrong-audience
other 403 wrong-audience
badaud 403 malformed
--- error_log
playback token refused: wrong-audience (aud does not name media)



=== TEST 4: a title not licensed in the client's country: 451, no slot
--- response_body_filters eval
sub {
    my $before = main::slots();
    my ($c, $b, $r) = main::manifest('api', 'us-only', '198.51.100.7');
    my ($c2) = main::manifest('api', 'demo', '198.51.100.7');
    $_[0] . "us-only from DE: $c $r, slots " . (main::slots() - $before)
    . "\ndemo (denied in DE) from DE: $c2, slots "
    . (main::slots() - $before) . "\n";
}
--- response_body
up
us-only from DE: 451 not-licensed, slots 0
demo (denied in DE) from DE: 451, slots 0
--- error_log
playback licensing refused



=== TEST 5: licensed where the client is: the manifest is given
--- response_body_filters eval
sub {
    my $before = main::slots();
    my ($c) = main::manifest('api', 'us-only', '203.0.113.9');
    $_[0] . "us-only from US: $c, slots +" . (main::slots() - $before) . "\n";
}
--- response_body
up
us-only from US: 200, slots +1



=== TEST 6: a title the rights table does not know: 404 where denied
--- response_body_filters eval
sub {
    my $before = main::slots();
    my ($c, undef, $r) = main::manifest('api', 'no-such-title',
                                        '203.0.113.9', '/strict');
    my $after = main::slots() - $before;
    my ($c2) = main::manifest('api', 'no-such-title', '203.0.113.9');
    $_[0] . "strict: $c $r, slots $after\ndefault allow: $c2\n";
}
--- response_body
up
strict: 404 no such title, slots 0
default allow: 200
