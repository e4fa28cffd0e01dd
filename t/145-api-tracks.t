# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the manifest call's available_tracks, asked of a
# real packager (ngx_vod_package on the fixture titles, behind a unix
# socket in the same nginx) through playback_api_tracks: the origin's
# tracks.json under the viewer's tier, what the subrequest carries (no
# token, no cookie, no body; the tier's ceiling), and an origin that has
# no such title or answers garbage: the answer still comes, with
# "available_tracks":null, "degraded" naming it and one log line.  Redis
# on a private port (6390).

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use JSON::PP ();
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); RedisTest::start(6390) }

repeat_each(1);
no_shuffle();
log_level('info');

our %Auth;
for my $tier (qw(basic standard)) {
    $Auth{$tier} = "Authorization: Bearer "
        . PbTest::token(aud => q(api), sub => "acct-$tier", profiles => 'p1',
                        tier => $tier);
}

# the origin: the packager, and objects that are not a title's tracks
our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    vod_index_cache vod_index:8m;

    server {
        listen unix:$TEST_NGINX_HTML_DIR/origin.sock;

        location /vod/ {
            alias $TEST_NGINX_MEDIA/;
            vod_package;
        }

        location /garbage/ {
            return 200 "<html>not json</html>";
        }

        location /extra/ {
            return 200 '{"video":[],"audio":[],"subtitles":[],"x":[]}';
        }

        # what a subrequest brings, as a tracks object the edge accepts
        location /echo/ {
            return 200 '{"video":["$http_authorization","$http_cookie"],"audio":["$http_x_vod_max_height","$http_x_vod_max_bitrate"],"subtitles":["$request_method","$http_content_length","$args"]}';
        }
    }
_EOC_

our $Config = <<'_EOC_';
    location /api/ {
        playback_token off;
        playback_api on;
        playback_api_tracks /_tracks/;
        playback_api_base_url http://cdn/;
    }

    location /_tracks/ {
        internal;
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/origin.sock:/vod/;
        proxy_read_timeout 2s;
    }

    # the origin's own tracks.json for a ceiling, to compare with
    location /origin/ {
        playback_token off;
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/origin.sock:/vod/;
        proxy_set_header X-Vod-Max-Height $arg_h;
        proxy_set_header X-Vod-Max-Bitrate $arg_b;
    }
_EOC_

# the API whose /_tracks/ proxies to another path of the origin
sub config_to {
    my ($path) = @_;
    return <<"_EOC_";
    location /api/ {
        playback_token off;
        playback_api on;
        playback_api_tracks /_tracks/;
        playback_api_base_url http://cdn/;
    }
    location /_tracks/ {
        internal;
        proxy_pass http://unix:\$TEST_NGINX_HTML_DIR/origin.sock:$path;
    }
_EOC_
}

sub manifest {
    my ($video) = @_;
    return qq({"video_id":"$video","profile_id":"p1","device":{"type":"tv"}});
}

# the answer's available_tracks against the origin's tracks.json for the
# answer's own limits
sub against_origin {
    my ($body) = @_;
    my $a = eval { JSON::PP::decode_json($body) } or return "not JSON: $body";
    my $l = $a->{limits};
    my ($c, $o) = RedisTest::http('GET', "/origin/$a->{video_id}/tracks.json"
                                  . "?h=$l->{max_height}&b=$l->{max_bitrate}");
    return "origin: $c" unless $c == 200;
    $o = JSON::PP::decode_json($o);
    my $t = $a->{available_tracks};
    my @v = @{ $t->{video} // [] };
    my $json = JSON::PP->new->canonical;
    return join(' ',
        $json->encode($t) eq $json->encode($o) ? 'same' : 'differs',
        scalar(@v) . ' video',
        (grep { $_->{height} > $l->{max_height} } @v) ? 'over' : 'within',
        scalar(@{ $t->{audio} // [] }) . ' audio',
        'degraded=' . join(',', @{ $a->{degraded} })) . "\n";
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth{basic})
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[error]\n[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
    # a free stream slot for every call
    $block->set_value('init', "RedisTest::cli('FLUSHALL');")
        unless defined $block->init;
});

run_tests();

__DATA__

=== TEST 1: basic: the origin's tracks for 480 lines, nothing degraded
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('demo')
--- response_body_filters eval
\&main::against_origin
--- response_body
same 1 video within 1 audio degraded=



=== TEST 2: standard: more of the ladder, still the origin's for its limits
--- more_headers eval
$main::Auth{standard}
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('demo')
--- response_body_filters eval
\&main::against_origin
--- response_body
same 3 video within 1 audio degraded=



=== TEST 3: a title the origin does not have: null, degraded, one line
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('nosuch')
--- response_body_like
"max_bitrate":2500000\},"available_tracks":null,"degraded":\["available_tracks"\]\}
--- error_log
playback api: available_tracks from "/_tracks/nosuch/tracks.json": not 200 (status 404), answering without them



=== TEST 4: an origin that answers something else than JSON
--- config eval
main::config_to('/garbage/')
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('demo')
--- response_body_like
"available_tracks":null,"degraded":\["available_tracks"\]\}
--- error_log
available_tracks from "/_tracks/demo/tracks.json": not JSON (status 200)



=== TEST 5: JSON, but not the three lists alone
--- config eval
main::config_to('/extra/')
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('demo')
--- response_body_like
"available_tracks":null,"degraded":\["available_tracks"\]\}
--- error_log
not an object of the arrays video, audio and subtitles (status 200)



=== TEST 6: the subrequest carries the tier's ceiling, not the viewer's token, cookie or body
--- config eval
main::config_to('/echo/')
--- more_headers eval
"$main::Auth{basic}\nCookie: session=secret"
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('demo')
--- response_body_like
"available_tracks":\{"video":\["",""\],"audio":\["480","2500000"\],"subtitles":\["GET","",""\]\},"degraded":\[\]\}



=== TEST 7: without playback_api_tracks the answer has no available_tracks
--- config
    location /api/ {
        playback_token off;
        playback_api on;
        playback_api_base_url http://cdn/;
    }
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('demo')
--- response_body_unlike
available_tracks
--- response_body_like
"degraded":\[\]\}



=== TEST 8: Redis down and the tracks in: both said
--- init
RedisTest::stop();
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('demo')
--- response_body_like
"available_tracks":\{"video":\[\{"id":"360p".*"degraded":\["stream_limits","resume_position"\]\}
--- error_log eval
qr/redis 127\.0\.0\.1:6390: (connection lost|cannot connect)/
--- no_error_log
[alert]
[crit]
