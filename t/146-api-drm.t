# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the manifest call's "drm" answer
# (playback_api_drm), followed by a client through this edge to a real
# packager (ngx_vod_package encrypting the fixture titles, behind a unix
# socket in the same nginx): the system is the first of the location's
# the device offers, in the location's order, by short or EME name; its
# licence and certificate URLs; the manifest of its format under the path
# of the origin location that packages for it, signed for that path
# alone; ClearKey's licence URL is the title's own behind the token and
# answers the key the README's derivation gives for the KID the MPD
# names, and nothing without the token or for another title; a device offering none is refused with 403 before a stream slot
# is taken; a location without the directive answers as before; the
# title's key through an edge proxy_cache is not stored.  Redis on a
# private port (6391).

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use JSON::PP ();
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);
use File::Find ();
use Test::Nginx::Socket 'no_plan';

our $Secret;

BEGIN {
    PbTest::setup();
    RedisTest::start(6391);
    $Secret = "drm-api-secret-" . ('s' x 32);
    open my $fh, '>:raw', "$PbTest::Dir/origin.key" or die $!;
    print $fh $Secret;
    close $fh;
}

repeat_each(1);
no_shuffle();
log_level('info');

our $Auth = "Authorization: Bearer "
    . PbTest::token(aud => 'api', sub => 'acct-d', profiles => 'p1',
                    tier => 'premium');

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    vod_index_cache vod_index:8m;

    # the origin: the same titles under cenc and under cbcs
    server {
        listen unix:$TEST_NGINX_HTML_DIR/origin.sock;

        location /vod/ {
            alias $TEST_NGINX_MEDIA/;
            vod_package;
            vod_encryption cenc;
            vod_encryption_key_file $TEST_NGINX_PB_DIR/origin.key;
            vod_encryption_clearkey on;
        }

        location /vod-cbcs/ {
            alias $TEST_NGINX_MEDIA/;
            vod_package;
            vod_encryption cbcs;
            vod_encryption_key_file $TEST_NGINX_PB_DIR/origin.key;
        }
    }
_EOC_

our $Config = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;

    location /api/ {
        playback_token off;
        playback_api on;
        playback_api_base_url http://127.0.0.1:$TEST_NGINX_SERVER_PORT;
        playback_api_drm widevine https://wv.example/licence?provider=v;
        playback_api_drm playready https://$host/playready format=dash;
        playback_api_drm fairplay https://fps.example/licence
                         certificate=https://fps.example/fairplay.der
                         path=/vod-cbcs/;
        playback_api_drm clearkey;
    }

    location /vod/ {
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/origin.sock;
    }

    location /vod-cbcs/ {
        proxy_pass http://unix:$TEST_NGINX_HTML_DIR/origin.sock;
    }
_EOC_

# the same edge whose API has these playback_api_drm lines
sub config_with {
    my ($drm) = @_;
    (my $c = $Config) =~ s/        playback_api_drm .*?clearkey;\n/$drm/s;
    return $c;
}

sub manifest {
    my ($caps) = @_;
    my $d = defined $caps ? qq(,"drm_capabilities":$caps) : '';
    return qq({"video_id":"demo","profile_id":"p1",)
         . qq("device":{"type":"tv"$d}});
}

# the path of an absolute URL of this edge
sub local_path {
    my ($url) = @_;
    return $url =~ m{^http://127\.0\.0\.1:\d+(/.*)\z} ? $1 : undef;
}

# the answer's drm, one member a line, URLs of this edge as paths
sub drm_lines {
    my ($body) = @_;
    my $a = eval { JSON::PP::decode_json($body) } or return "not JSON: $body";
    my $d = $a->{drm} or return "no drm\n";
    my $out = '';
    for my $k (sort keys %$d) {
        my $v = $d->{$k};
        $v =~ s{^http://127\.0\.0\.1:\d+/t/[^/]+/}{TOKEN/};
        $out .= "$k=$v\n";
    }
    my $hls = $a->{manifests}{hls};
    $hls =~ s{^http://127\.0\.0\.1:\d+/t/[^/]+/}{TOKEN/};
    return $out . "hls=$hls\n";
}

# the client: the manifest the answer names, fetched through this edge
# with its token; then ClearKey's licence for the KID the MPD names
sub follow_clearkey {
    my ($body) = @_;
    my $a = eval { JSON::PP::decode_json($body) } or return "not JSON: $body";
    my $mpd_path = local_path($a->{drm}{manifest_url});
    my ($c, $mpd) = RedisTest::http('GET', $mpd_path);
    return "MPD: $c\n" unless $c == 200;
    my ($kid) = $mpd =~ /cenc:default_KID="([0-9a-f-]{36})"/
        or return "no default_KID in the MPD\n";
    $kid =~ s/-//g;
    my $kid64 = encode_base64url(pack('H*', $kid));
    my $lic_path = local_path($a->{drm}{license_url});
    my ($lc, $lic) = RedisTest::http('POST', $lic_path,
        ['Content-Type: application/json'],
        qq({"kids":["$kid64"],"type":"temporary"}));
    return "licence: $lc $lic\n" unless $lc == 200;
    my $l = JSON::PP::decode_json($lic);
    my $want_kid = substr(hmac_sha256('vodedge-cenc-kid' . 'demo', $Secret),
                          0, 16);
    my $want_key = substr(hmac_sha256('vodedge-cenc-key' . 'demo', $Secret),
                          0, 16);
    # the same token for another title's licence, and no token at all
    (my $other = $lic_path) =~ s{/demo/clearkey\z}{/hevc/clearkey};
    my ($oc) = RedisTest::http('POST', $other,
        ['Content-Type: application/json'], qq({"kids":["$kid64"]}));
    (my $bare = $lic_path) =~ s{^/t/[^/]+}{};
    my ($bc) = RedisTest::http('POST', $bare,
        ['Content-Type: application/json'], qq({"kids":["$kid64"]}));
    return join(' ',
        "another title's licence $oc, without a token $bc;",
        'mpd 200',
        pack('H*', $kid) eq $want_kid ? 'kid derived' : 'kid differs',
        'licence 200',
        $l->{keys}[0]{kid} eq $kid64 ? 'same kid' : 'other kid',
        $l->{keys}[0]{k} eq encode_base64url($want_key) ? 'key derived'
                                                         : 'key differs')
        . "\n";
}

# a multivariant playlist's first media playlist, through this edge:
# (its status, the media playlist's status, the media playlist)
sub media_playlist {
    my ($path) = @_;
    my ($c, $m3u8) = RedisTest::http('GET', $path);
    my ($variant) = $m3u8 =~ /^([^#\s]\S*\.m3u8)$/m or return;
    (my $vpath = $path) =~ s{[^/]+\z}{$variant};
    return ($c, RedisTest::http('GET', $vpath));
}

# FairPlay's manifest through this edge: its token is for /vod-cbcs/
# alone
sub follow_fairplay {
    my ($body) = @_;
    my $a = eval { JSON::PP::decode_json($body) } or return "not JSON: $body";
    my $path = local_path($a->{drm}{manifest_url});
    my ($c, $vc, $media) = media_playlist($path)
        or return "master: no variant\n";
    my $method = $media =~ /^#EXT-X-KEY:METHOD=SAMPLE-AES,/m ? 'SAMPLE-AES'
               : 'no SAMPLE-AES';
    (my $other = $path) =~ s{/vod-cbcs/}{/vod/};
    my ($oc) = RedisTest::http('GET', $other);
    return "master $c, media $vc $method; /vod/ with its token $oc\n";
}

# keys at rest on the edge: the title's HLS key (aes.key) through an edge
# location whose proxy_cache stores the title's segments is not stored
# (the origin answers it no-store); a segment through it is, so the cache
# works
sub cache_files {
    my $n = 0;
    File::Find::find(sub { $n++ if -f $_ }, "$PbTest::Dir/edgecache")
        if -d "$PbTest::Dir/edgecache";
    return $n;
}

sub follow_key_cache {
    my ($body) = @_;
    my $a = eval { JSON::PP::decode_json($body) } or return "not JSON: $body";
    my $path = local_path($a->{drm}{manifest_url});
    my ($c, $vc, $media) = media_playlist($path)
        or return "master: no variant\n";
    my ($seg) = $media =~ /^([^#\s]\S*\.m4s)$/m
        or return "media $vc: no segment\n";
    (my $kpath = $path) =~ s{[^/]+\z}{aes.key};
    (my $spath = $path) =~ s{[^/]+\z}{$seg};
    my $before = cache_files();
    my @key = map { [ RedisTest::http('GET', $kpath) ] } 1 .. 2;
    select(undef, undef, undef, 0.3);
    my $after_key = cache_files();
    my ($sc) = RedisTest::http('GET', $spath);
    select(undef, undef, undef, 0.3);
    my $after_seg = cache_files();
    return sprintf("aes.key %d %d bytes, again %d; files cached by it %d,"
                   . " by a segment (%d) %d\n",
                   $key[0][0], length $key[0][1], $key[1][0],
                   $after_key - $before, $sc, $after_seg - $after_key);
}

sub slots {
    my $n = RedisTest::cli('KEYS', '*');
    return scalar(grep { /\S/ } split /\n/, $n // '');
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth)
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[error]\n[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
    $block->set_value('init', "RedisTest::cli('FLUSHALL');")
        unless defined $block->init;
});

run_tests();

__DATA__

=== TEST 1: Widevine by its EME name: its licence server, DASH under /vod/
--- request eval
"POST /api/v1/playback/manifest\n"
. main::manifest('["com.widevine.alpha"]')
--- response_body_filters eval
\&main::drm_lines
--- response_body
license_url=https://wv.example/licence?provider=v
manifest_url=TOKEN/vod/demo/manifest.mpd
type=widevine
hls=TOKEN/vod/demo/master.m3u8



=== TEST 2: PlayReady: its licence URL's variables are the request's
--- request eval
"POST /api/v1/playback/manifest\n"
. main::manifest('["com.microsoft.playready.recommendation"]')
--- response_body_filters eval
\&main::drm_lines
--- response_body
license_url=https://localhost/playready
manifest_url=TOKEN/vod/demo/manifest.mpd
type=playready
hls=TOKEN/vod/demo/master.m3u8



=== TEST 3: FairPlay: certificate, HLS under the cbcs location
--- request eval
"POST /api/v1/playback/manifest\n"
. main::manifest('["com.apple.fps.1_0"]')
--- response_body_filters eval
\&main::drm_lines
--- response_body
certificate_url=https://fps.example/fairplay.der
license_url=https://fps.example/licence
manifest_url=TOKEN/vod-cbcs/demo/master.m3u8
type=fairplay
hls=TOKEN/vod-cbcs/demo/master.m3u8



=== TEST 4: FairPlay's manifest plays through the edge, cbcs; its token is not /vod/'s
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('["FairPlay"]')
--- response_body_filters eval
\&main::follow_fairplay
--- response_body
master 200, media 200 SAMPLE-AES; /vod/ with its token 403



=== TEST 5: the location's order, not the device's: Widevine before ClearKey
--- request eval
"POST /api/v1/playback/manifest\n"
. main::manifest('["org.w3.clearkey","widevine"]')
--- response_body_filters eval
sub { main::drm_lines($_[0]) =~ /^(type=.*)$/m ? "$1\n" : "none\n" }
--- response_body
type=widevine



=== TEST 6: ClearKey: the title's licence behind the token gives the MPD's key
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('["org.w3.clearkey"]')
--- response_body_filters eval
\&main::follow_clearkey
--- response_body
another title's licence 403, without a token 403; mpd 200 kid derived licence 200 same kid key derived



=== TEST 7: ClearKey with format=hls: the master playlist, the licence URL
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('["clearkey"]')
--- config eval
main::config_with("        playback_api_drm clearkey format=hls;\n")
--- response_body_filters eval
\&main::drm_lines
--- response_body
license_url=TOKEN/vod/demo/clearkey
manifest_url=TOKEN/vod/demo/master.m3u8
type=clearkey
hls=TOKEN/vod/demo/master.m3u8



=== TEST 8: a device offering none of the systems: 403, no stream slot taken
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('["primetime"]')
--- error_code: 403
--- response_body_filters eval
sub { $_[0] . "keys in Redis: " . main::slots() . "\n" }
--- response_body
{"error":"drm_unsupported","reason":"device.drm_capabilities offers none of this service's DRM systems: widevine playready fairplay clearkey"}
keys in Redis: 0
--- error_log
playback api: device "tv" of account "acct-d" offers none of the location's DRM systems, answering 403



=== TEST 9: a device that lists no capabilities is refused alike
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest()
--- config eval
main::config_with("        playback_api_drm clearkey format=hls;\n")
--- error_code: 403
--- response_body
{"error":"drm_unsupported","reason":"device.drm_capabilities offers none of this service's DRM systems: clearkey"}



=== TEST 10: a location without playback_api_drm answers as before
--- request eval
"POST /api/v1/playback/manifest\n"
. main::manifest('["com.widevine.alpha"]')
--- config eval
main::config_with('')
--- response_body_filters eval
\&main::drm_lines
--- response_body
no drm



=== TEST 11: the edge's proxy_cache keeps segments but not the title's key
--- http_config eval
(my $h = $main::HttpConfig) =~ s{(vod_encryption cbcs;\n)}{$1            vod_encryption_clearkey on;\n};
$h . "    proxy_cache_path $PbTest::Dir/edgecache keys_zone=edgekeys:1m;\n"
--- config eval
(my $c = $main::Config) =~ s{(location /vod-cbcs/ \{\n)}{$1        proxy_cache edgekeys;\n        proxy_cache_valid 200 10m;\n};
$c
--- request eval
"POST /api/v1/playback/manifest\n" . main::manifest('["FairPlay"]')
--- response_body_filters eval
\&main::follow_key_cache
--- response_body
aes.key 200 16 bytes, again 200; files cached by it 0, by a segment (200) 1
