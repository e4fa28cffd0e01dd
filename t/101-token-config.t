# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: configuration errors are `nginx -t` errors that name
# the file or the directive; good configurations pass.  Runs `nginx -t` on
# generated configurations (not a Test::Nginx block file).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use ConfTest;
use Test::More;

BEGIN { PbTest::setup() }

ConfTest::setup('ngx_stream_playback_module');
my $dir = $ConfTest::Dir;

sub write_file { ConfTest::write_file(@_) }

my $good = write_file('good.key', "  $PbTest::Keys{k1}==\n");
my $short = write_file('short.key', "c2hvcnQ\n");
my $empty = write_file('empty.key', "\n \n");
my $nob64 = write_file('bad.key', "not base64url!\n");
my $pass = write_file('redis.pass', "s3cret\n");
my $pass2 = write_file('redis2.pass', "one\ntwo\n");
my $nopass = write_file('empty.pass', "\n");

my @cases = (
    [ 'a key, on', "playback_token_key k1 $good; playback_token on;", 1 ],
    [ 'a relative key file is under the conf prefix',
      "playback_token_key k1 good.key;", 1 ],
    [ 'all sources', "playback_token_sources prefix query=t cookie=c;", 1 ],
    [ 'leeway, max length, log level',
      "playback_token_leeway 1m; playback_token_max_length 8k;"
      . " playback_token_log_level info;", 1 ],
    [ 'missing key file', "playback_token_key k1 $dir/nosuch.key;", 0,
      qr{playback token key file "\Q$dir\E/nosuch\.key" cannot be opened} ],
    [ 'empty key file', "playback_token_key k1 $empty;", 0,
      qr{playback token key file "\Q$empty\E" is empty} ],
    [ 'short key', "playback_token_key k1 $short;", 0,
      qr{playback token key in "\Q$short\E" is not 32 to 1024 bytes} ],
    [ 'not base64url', "playback_token_key k1 $nob64;", 0,
      qr{playback token key file "\Q$nob64\E" is not base64url} ],
    [ 'duplicate kid',
      "playback_token_key k1 $good; playback_token_key k1 $good;", 0,
      qr{duplicate playback token kid "k1"} ],
    [ 'on without a key', "playback_token on;", 0,
      qr{"playback_token" is on but no "playback_token_key"} ],
    [ 'bad source', "playback_token_sources header=x;", 0,
      qr{invalid token source "header=x"} ],
    [ 'empty query name', "playback_token_sources query=;", 0,
      qr{invalid token source "query="} ],
    [ 'max length too small', "playback_token_max_length 10;", 0,
      qr{"playback_token_max_length" directive must be between 64 and 64k} ],
    [ 'bad log level', "playback_token_log_level loud;", 0,
      qr{invalid log level "loud"} ],
    [ 'bad leeway', "playback_token_leeway soon;", 0,
      qr{"playback_token_leeway" directive invalid value} ],
    [ 'tiers', "playback_tier basic max_height=480 max_bitrate=2.5m"
      . " streams=1; playback_tier pro max_height=2160 max_bitrate=25000k"
      . " streams=4; playback_tiers on;", 1 ],
    [ 'tier height not a number',
      "playback_tier basic max_height=tall max_bitrate=1m streams=1;", 0,
      qr{invalid parameter "max_height=tall" of tier "basic"} ],
    [ 'tier bit rate finer than a bit',
      "playback_tier basic max_height=480 max_bitrate=1.5 streams=1;", 0,
      qr{invalid parameter "max_bitrate=1\.5" of tier "basic"} ],
    [ 'tier unknown parameter',
      "playback_tier basic max_height=480 max_bitrate=1m streams=1 hd=1;",
      0, qr{invalid parameter "hd=1" of tier "basic"} ],
    [ 'tier incomplete', "playback_tier basic max_height=480;", 0,
      qr{tier "basic" needs max_height=, max_bitrate= and streams=} ],
    [ 'duplicate tier',
      "playback_tier a max_height=1 max_bitrate=1 streams=1;"
      . " playback_tier a max_height=1 max_bitrate=1 streams=1;", 0,
      qr{duplicate tier "a"} ],
    [ 'tier in a server', "server { playback_tier a max_height=1"
      . " max_bitrate=1 streams=1; }", 0,
      qr{"playback_tier" directive is not allowed here} ],
    [ 'redis and the API', "playback_redis 127.0.0.1:6399"
      . " connect_timeout=2s command_timeout=300ms backoff=1s;"
      . " playback_token_key k1 $good; server { listen 127.0.0.1:1998;"
      . " location /api/ { playback_api on; playback_stream_grace 1m;"
      . " playback_streams_fail closed; playback_resume_ttl 7d;"
      . " playback_media_token_ttl 1h;"
      . ' playback_api_base_url https://$host; } }', 1 ],
    [ 'the API with tracks', "playback_redis 127.0.0.1:6399;"
      . " playback_token_key k1 $good; server { listen 127.0.0.1:1998;"
      . " location /api/ { playback_api on; playback_api_tracks /_t/; } }",
      1 ],
    [ 'tracks: not a prefix', "playback_api_tracks _tracks;", 0,
      qr{"playback_api_tracks" must be "off" or a location prefix that starts and ends with "/", as in "/_tracks/", not "_tracks"} ],
    [ 'tracks: with arguments', "playback_api_tracks /t/?a=/;", 0,
      qr{"playback_api_tracks" must be "off" or a location prefix} ],
    [ 'the API with every DRM system', "playback_redis 127.0.0.1:6399;"
      . " playback_token_key k1 $good; server { listen 127.0.0.1:1998;"
      . " location /api/ { playback_api on;"
      . " playback_api_drm widevine https://wv.example/licence?p=1;"
      . ' playback_api_drm playready https://$host/pr format=dash;'
      . " playback_api_drm fairplay https://fps.example/l"
      . " certificate=https://fps.example/c.der path=/vod-cbcs/;"
      . " playback_api_drm clearkey; } }", 1 ],
    [ 'drm: an unknown system', "playback_api_drm primetime https://x;", 0,
      qr{"playback_api_drm": unknown system "primetime", it must be widevine, playready, fairplay or clearkey} ],
    [ 'drm: an EME name is not a system here',
      "playback_api_drm com.widevine.alpha https://x;", 0,
      qr{unknown system "com\.widevine\.alpha"} ],
    [ 'drm: a system twice',
      "playback_api_drm clearkey; playback_api_drm clearkey;", 0,
      qr{"playback_api_drm": "clearkey" is configured twice} ],
    [ 'drm: widevine without its licence server',
      "playback_api_drm widevine;", 0,
      qr{"playback_api_drm widevine" needs its licence server's URL} ],
    [ 'drm: fairplay without its certificate',
      "playback_api_drm fairplay https://fps.example/l;", 0,
      qr{"playback_api_drm fairplay" needs "certificate=" the URL} ],
    [ 'drm: a certificate for widevine',
      "playback_api_drm widevine https://x certificate=https://y;", 0,
      qr{"playback_api_drm widevine": "certificate=" is FairPlay's alone} ],
    [ 'drm: a path that is not a prefix',
      "playback_api_drm clearkey path=vod-cbcs;", 0,
      qr{"playback_api_drm": "path=" must start and end with "/", as in "/vod-cbcs/", not "vod-cbcs"} ],
    [ 'drm: a misspelt parameter is not a licence URL',
      "playback_api_drm clearkey certifcate=https://y;", 0,
      qr{"playback_api_drm clearkey": invalid parameter "certifcate=https://y"} ],
    [ 'drm: a bad format', "playback_api_drm clearkey format=smooth;", 0,
      qr{"playback_api_drm clearkey": invalid parameter "format=smooth"} ],
    [ 'redis: a bad address', "playback_redis 127.0.0.1:notaport;", 0,
      qr{invalid Redis address "127\.0\.0\.1:notaport"} ],
    [ 'redis: a bad parameter', "playback_redis 127.0.0.1:6379 timeout=1s;",
      0, qr{invalid Redis parameter "timeout=1s"} ],
    [ 'redis: a password', "playback_redis 127.0.0.1:6379"
      . " password_file=$pass;", 1 ],
    [ 'redis: an ACL user and a relative password file',
      "playback_redis 127.0.0.1:6379 user=edge password_file=redis.pass;",
      1 ],
    [ 'redis: Sentinel, two sentinels and parameters',
      "playback_redis sentinel:vodm 127.0.0.1:26379 127.0.0.2"
      . " command_timeout=300ms password_file=$pass;", 1 ],
    [ 'redis: Sentinel without a sentinel',
      "playback_redis sentinel:vodm command_timeout=300ms;", 0,
      qr{"sentinel:vodm" needs a master name and at least one sentinel} ],
    [ 'redis: Sentinel without a master name',
      "playback_redis sentinel: 127.0.0.1:26379;", 0,
      qr{"sentinel:" needs a master name and at least one sentinel} ],
    [ 'redis: Sentinel with a bad sentinel address',
      "playback_redis sentinel:vodm 127.0.0.1:nope;", 0,
      qr{invalid Redis address "127\.0\.0\.1:nope"} ],
    [ 'redis: Cluster, two nodes and parameters',
      "playback_redis cluster 127.0.0.1:7000 127.0.0.2"
      . " command_timeout=300ms password_file=$pass;", 1 ],
    [ 'redis: Cluster without a node',
      "playback_redis cluster command_timeout=300ms;", 0,
      qr{"cluster" needs the address of at least one of its nodes} ],
    [ 'redis: Cluster with a unix socket',
      "playback_redis cluster unix:/tmp/redis.sock;", 0,
      qr{a Redis Cluster node is a host:port, not "unix:/tmp/redis\.sock"} ],
    [ 'redis: Cluster with a bad node address',
      "playback_redis cluster 127.0.0.1:nope;", 0,
      qr{invalid Redis address "127\.0\.0\.1:nope"} ],
    [ 'report', "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 interval=2s max_connections=20000"
      . " max_bandwidth=40g;", 1 ],
    [ 'report without redis', "playback_report isp-ny-1"
      . " max_connections=100;", 0,
      qr{"playback_report" needs "playback_redis"} ],
    [ 'report without a capacity', "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 interval=2s;", 0,
      qr{needs max_connections= or max_bandwidth=} ],
    [ 'report: a short interval', "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 interval=10ms max_connections=9;", 0,
      qr{invalid parameter "interval=10ms"} ],
    [ 'report: a bad bandwidth', "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 max_bandwidth=fast;", 0,
      qr{invalid parameter "max_bandwidth=fast"} ],
    [ 'report with presence', "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 max_connections=9 presence=10m"
      . " presence_max=500;", 1 ],
    [ 'report: presence off', "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 max_connections=9 presence=off;", 1 ],
    [ 'report: a presence shorter than a second',
      "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 max_connections=9 presence=500ms;", 0,
      qr{invalid parameter "presence=500ms"} ],
    [ 'report: presence_max of 0', "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 max_connections=9 presence=1m"
      . " presence_max=0;", 0,
      qr{invalid parameter "presence_max=0"} ],
    [ 'report: presence_max without presence',
      "playback_redis 127.0.0.1:6379;"
      . " playback_report isp-ny-1 max_connections=9 presence_max=5;", 0,
      qr{"playback_report" directive has presence_max= without presence=} ],
    [ 'redis: a user without a password',
      "playback_redis 127.0.0.1:6379 user=edge;", 0,
      qr{Redis "user=edge" needs a "password_file="} ],
    [ 'redis: a missing password file',
      "playback_redis 127.0.0.1:6379 password_file=$dir/nosuch.pass;", 0,
      qr{Redis password file "\Q$dir\E/nosuch\.pass" cannot be opened} ],
    [ 'redis: an empty password file',
      "playback_redis 127.0.0.1:6379 password_file=$nopass;", 0,
      qr{Redis password file "\Q$nopass\E" is empty} ],
    [ 'redis: a password file of two lines',
      "playback_redis 127.0.0.1:6379 password_file=$pass2;", 0,
      qr{Redis password file "\Q$pass2\E" holds more than one line} ],
    [ 'API without redis', "playback_token_key k1 $good;"
      . " server { location /api/ { playback_api on; } }", 0,
      qr{"playback_api" is on but no "playback_redis" is configured} ],
    [ 'API without a key', "playback_redis 127.0.0.1:6379;"
      . " server { location /api/ { playback_api on; } }", 0,
      qr{"playback_api" is on but no "playback_token_key"} ],
    [ 'streams_fail neither open nor closed',
      "playback_streams_fail maybe;", 0,
      qr{"playback_streams_fail" must be "open" .* not "maybe"} ],
    [ 'stream grace under a second', "playback_redis 127.0.0.1:6379;"
      . " playback_token_key k1 $good; server { location /api/ {"
      . " playback_api on; playback_stream_grace 500ms; } }", 0,
      qr{"playback_stream_grace" must be at least 1s} ],
);

ConfTest::run(\@cases);

done_testing();
