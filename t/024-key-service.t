# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: keys from a key service (vod_encryption_key_service),
# cached in shared memory (vod_encryption_key_cache).  The service is a
# mock in the same nginx: a second server behind an upstream, answering
# the JSON files this test writes (one per title), with its own access
# log that counts the packager's fetches.  Checked: the KID in init
# segments, MPD and playlists is the service's; ffmpeg decrypts segments
# with the key the service gave (CMAF and, with its hls_key, MPEG-TS);
# licences and aes.key give the service's keys; one fetch serves many
# requests while cached and another is made after the TTL, which a
# rotation then shows (new KID, new ETag); a HEAD that asks the service
# and a title's first dozen requests at once are served; titles are
# escaped in the request; a service that is down, times out, answers
# 404, garbage, a short or non-hex key is 503 with one line of ours,
# never a clear response; no key reaches the error log.  Not a block
# file: it makes its own requests.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64url);
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 24;
my $mock = $port + 100;
my $closed = $port + 101;
my $hung = $port + 102;
my $media = VodTest::media();
my $dir = VodTest::nginx_dir('vodkeys');
my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $ttl = 3;

sub spit {
    my ($path, $data) = @_;
    open my $fh, '>:raw', "$path.tmp" or die "$path: $!";
    print $fh $data;
    close $fh or die "$path: $!";
    rename "$path.tmp", $path or die "$path: $!";
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return '';
    local $/;
    return <$fh>;
}

# the service's keys, random for this run: nothing here can come from a
# derivation the module knows
sub random16 { return join '', map { chr int rand 256 } 1 .. 16 }

my %keys = map { $_ => { kid => random16(), key => random16(),
                         hls => random16() } } qw(demo aud weird);

sub answer {
    my ($k, %opt) = @_;
    my $json = sprintf '{"kid":"%s","key":"%s"', unpack('H*', $k->{kid}),
                       uc unpack('H*', $k->{key});
    $json .= sprintf ',"hls_key":"%s"', unpack('H*', $k->{hls})
        unless $opt{no_hls};
    $json .= ',"pssh":{"widevine":"AAAA"}}';
    return $json;
}

# titles: the fixtures' demo and aud, and demo again under a name a URL
# must escape
mkdir "$dir/media";
mkdir "$dir/keys";
symlink "$media/demo", "$dir/media/demo" or die "symlink: $!";
symlink "$media/aud", "$dir/media/aud" or die "symlink: $!";
symlink "$media/demo", "$dir/media/we ird&=t" or die "symlink: $!";
symlink "$media/demo", "$dir/media/par" or die "symlink: $!";

spit("$dir/keys/demo.json", answer($keys{demo}));
spit("$dir/keys/aud.json", answer($keys{aud}, no_hls => 1));
spit("$dir/keys/par.json", answer($keys{demo}));
# the mock looks the title up as it is in the arguments: escaped
spit("$dir/keys/we%20ird%26%3Dt.json", answer($keys{weird}));

# --- nginx -t ---------------------------------------------------------

sub conf_test {
    my ($http) = @_;
    my ($so) = grep { /ngx_vod_package_module\.so$/ }
               split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    $so //= "$FindBin::Bin/../modules/ngx_vod_package_module.so";
    my $t = VodTest::nginx_dir('vodkeysconf');
    spit("$t/nginx.conf", "load_module $so;\nerror_log $t/error.log;\n"
         . "pid $t/nginx.pid;\nevents {}\nhttp {\n$http\n}\n");
    spit("$t/key.bin", 'secret');
    my $out = `$nginx -t -p $t/ -c $t/nginx.conf -e $t/error.log 2>&1`;
    return ($? == 0, $out);
}

# locations go in a server
sub srv { return "server { listen 127.0.0.1:$port; $_[0] }" }

my @bad = (
    [ 'location /v/ { vod_package; vod_encryption cenc; '
      . 'vod_encryption_key_file key.bin; '
      . 'vod_encryption_key_service /keys; }',
      qr/"vod_encryption_key_file"\ and\ "vod_encryption_key_service"
         \ are\ mutually\ exclusive/x ],
    [ 'location /v/ { vod_package; vod_encryption cenc; '
      . 'vod_encryption_key_service keys; }',
      qr/vod_encryption_key_service "keys" is not a location's URI/ ],
    [ 'location /v/ { vod_package; vod_encryption cenc; '
      . 'vod_encryption_key_service /keys?a=1; }',
      qr/is not a location's URI/ ],
    [ 'vod_encryption_key_cache zone=k; ',
      qr/invalid parameter "zone=k" in "vod_encryption_key_cache"/ ],
    [ 'vod_encryption_key_cache zone=k:1m ttl=30d; ',
      qr/invalid parameter "ttl=30d"/ ],
    [ 'vod_encryption_key_cache ttl=3s; ',
      qr/vod_encryption_key_cache needs "zone=name:size"/ ],
    [ 'location /v/ { vod_package; vod_encryption cenc; }',
      qr/needs "vod_encryption_key_file" or "vod_encryption_key_service"/ ],
);

for my $case (@bad) {
    my $conf = ($case->[0] =~ /^location/) ? srv($case->[0]) : $case->[0];
    my ($ok, $out) = conf_test($conf);
    ok(!$ok, "nginx -t refuses: $case->[0]");
    like($out, $case->[1], '... naming the problem');
}

{
    my ($ok, $out) = conf_test('vod_encryption_key_file key.bin; '
                               . 'vod_encryption_key_cache zone=k:1m; '
                               . srv('location /v/ { vod_package; '
                                     . 'vod_encryption cenc; '
                                     . 'vod_encryption_key_service /keys; } '
                                     . 'location /w/ { vod_package; '
                                     . 'vod_encryption cenc; }'));
    ok($ok, 'a location\'s key service replaces the key file of http{}; '
       . 'another location keeps the file') or diag($out);
}

# --- a running origin and its key service -------------------------------

my $pass = 'proxy_pass_request_body off; proxy_pass_request_headers off; '
           . 'proxy_connect_timeout 2s; proxy_read_timeout 2s;';
my $base_loc = "alias $dir/media/; vod_package; vod_encryption_clearkey on;";
my $svc = "$base_loc vod_encryption cenc;";

VodTest::nginx_start($dir, <<"_EOC_");
    log_format keys '\$request_uri';
    upstream keys { server 127.0.0.1:$mock; }
    upstream down { server 127.0.0.1:$closed; }
    upstream hung { server 127.0.0.1:$hung; }
    vod_encryption_key_cache zone=vodkeys:1m ttl=1h;

    server {
        listen 127.0.0.1:$mock;
        access_log $dir/logs/keys.log keys;
        default_type application/json;
        location ~ ^/v[12]/keys\$ { root $dir/keys;
                                  try_files "/\$arg_title.json" =404; }
        location = /garbage { return 200 'not json'; }
        location = /short { return 200
            '{"kid":"00112233445566778899aabbccddeeff","key":"0011"}'; }
        location = /nonhex { return 200
            '{"kid":"00112233445566778899aabbccddeeff",
              "key":"0f1e2d3c4b5a69788796a5b4c3d2e1fZ"}'; }
        location = /missing { return 404; }
    }

    server {
        listen 127.0.0.1:$port;
        location /svc/ { $svc vod_encryption_key_service /_keys; }
        location /cbcs/ { $base_loc vod_encryption cbcs;
                          vod_encryption_key_service /_keys; }
        location /threads/ { $svc vod_encryption_key_service /_keys;
                             aio threads; }
        location /nocache/ { $svc vod_encryption_key_service /_keys;
                             vod_encryption_key_cache off; }
        location /ttl/ { $svc vod_encryption_key_service /_keys2;
                         vod_encryption_key_cache zone=vodkeys:1m
                                                  ttl=${ttl}s; }
        location /clear/ { alias $dir/media/; vod_package; }
        location /down/ { $svc vod_encryption_key_service /_down; }
        location /hung/ { $svc vod_encryption_key_service /_hung; }
        location /garbage/ { $svc vod_encryption_key_service /_garbage; }
        location /short/ { $svc vod_encryption_key_service /_short; }
        location /nonhex/ { $svc vod_encryption_key_service /_nonhex; }
        location /missing/ { $svc vod_encryption_key_service /_missing; }

        location = /_keys { internal; $pass
                            proxy_pass http://keys/v1/keys; }
        location = /_keys2 { internal; $pass
                             proxy_pass http://keys/v2/keys; }
        location = /_down { internal; $pass proxy_pass http://down/v1/keys; }
        location = /_hung { internal; proxy_pass_request_body off;
                            proxy_pass_request_headers off;
                            proxy_read_timeout 1s;
                            proxy_pass http://hung/v1/keys; }
        location = /_garbage { internal; $pass
                               proxy_pass http://keys/garbage; }
        location = /_short { internal; $pass proxy_pass http://keys/short; }
        location = /_nonhex { internal; $pass
                              proxy_pass http://keys/nonhex; }
        location = /_missing { internal; $pass
                               proxy_pass http://keys/missing; }
    }
_EOC_

my $http = HTTP::Tiny->new(timeout => 30);
my $base = "http://127.0.0.1:$port";

sub get { return $http->get("$base$_[0]") }

# the fetches the mock saw of a title (its access log, written before
# the packager reads the answer): through /_keys (v1) or /_keys2 (v2)
sub fetches {
    my ($title, $v) = @_;
    $v //= 'v1';
    return scalar grep { /^\/$v\/keys\?title=\Q$title\E(?:&|$)/ }
                  split /\n/, slurp("$dir/logs/keys.log");
}

*box = \&VodTest::box;

# the tenc KID of an init segment's protected sample entry
sub tenc_kid {
    my ($init) = @_;
    my $stsd = box($init, qw(moov trak mdia minf stbl stsd)) // return '';
    my $entry = substr($stsd, 8);
    my ($size, $type) = unpack 'Na4', $entry;
    my $skip = ($type eq 'encv') ? 86 : 36;
    my $sinf = box(substr($entry, $skip, $size - $skip), 'sinf') // '';
    my $tenc = box($sinf, 'schi', 'tenc') // return '';
    return substr($tenc, 8, 16);
}

# packet checksums ffmpeg reads (t/inc/VodTest.pm)
*packets = \&VodTest::framemd5;

sub uuid {
    my $h = unpack 'H*', shift;
    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
                     substr($h, 16, 4), substr($h, 20);
}

my $tmp = VodTest::nginx_dir('vodkeysmedia');

# --- the service's keys, in every output --------------------------------

{
    my $k = $keys{demo};
    is(fetches('demo'), 0, 'no fetch before the first request');

    my $mpd = get('/svc/demo/manifest.mpd');
    is($mpd->{status}, 200, 'MPD: 200');
    my $kid = uuid($k->{kid});
    like($mpd->{content}, qr/cenc:default_KID="\Q$kid\E"/,
         '... its default_KID is the service\'s KID');
    is(fetches('demo'), 1, '... after one fetch');

    my $hex = unpack 'H*', $k->{kid};
    like(get('/svc/demo/video-720p.m3u8')->{content},
         qr/KEYID=0x\Q$hex\E/, 'HLS: KEYID is the service\'s KID');

    for my $loc (qw(svc cbcs threads)) {
        for my $stream (qw(video-720p audio-720p)) {
            my $clear_init = get("/clear/demo/$stream-init.mp4")->{content};
            my $clear = get("/clear/demo/$stream-2.m4s")->{content};
            spit("$tmp/clear.mp4", $clear_init . $clear);
            my $want = packets("$tmp/clear.mp4");

            my $init = get("/$loc/demo/$stream-init.mp4");
            is($init->{status}, 200, "$loc $stream: init 200");
            is(unpack('H*', tenc_kid($init->{content})), $hex,
               '... its tenc KID is the service\'s');
            my $seg = get("/$loc/demo/$stream-2.m4s");
            is($seg->{status}, 200, "$loc $stream: segment 200");
            isnt($seg->{content}, $clear, '... not the clear bytes');
            spit("$tmp/enc.mp4", $init->{content} . $seg->{content});
            ok(length $want && packets("$tmp/enc.mp4", $k->{key}) eq $want,
               '... ffmpeg decrypts it with the service\'s key');
            ok(packets("$tmp/enc.mp4", random16()) ne $want,
               '... and not with another');
        }
    }

    my $res = $http->request('POST', "$base/svc/demo/clearkey",
                             { content => sprintf('{"kids":["%s"]}',
                                           encode_base64url($k->{kid})) });
    is($res->{status}, 200, 'licence: 200 for the service\'s KID');
    my $k64 = encode_base64url($k->{key});
    like($res->{content}, qr/"k":"\Q$k64\E"/, '... giving the service\'s key');

    my $aes = get('/svc/demo/aes.key');
    is($aes->{status}, 200, 'aes.key: 200');
    is(unpack('H*', $aes->{content}), unpack('H*', $k->{hls}),
       '... the service\'s hls_key');

    my $want = packets("$base/clear/demo/master-ts.m3u8");
    ok(length $want, 'TS: clear packets');
    is(packets("$base/svc/demo/master-ts.m3u8"), $want,
       'TS: ffmpeg decrypts HLS AES-128 with the service\'s hls_key');

    my $head = $http->request('HEAD', "$base/svc/demo/video-720p-1.m4s");
    is($head->{status}, 200, 'HEAD of a protected segment: 200');

    is(fetches('demo'), 1, 'all of it after one fetch: the cache served it');

    is(get('/nocache/demo/video-720p-init.mp4')->{status}, 200,
       'vod_encryption_key_cache off: 200');
    my $cold = $http->request('HEAD', "$base/nocache/demo/audio-720p-2.m4s");
    is($cold->{status}, 200, '... a HEAD that asks the service: 200');
    is($cold->{headers}{'content-length'},
       length get('/svc/demo/audio-720p-2.m4s')->{content},
       '... with the length of the GET\'s body');
    is(fetches('demo'), 3, '... asking the service on every request');

    # a title's first requests at once: each may ask, every one is served
    my @urls = map { "$base/svc/par/$_" }
               (map({ ("video-720p-$_", "audio-720p-$_") }
                    qw(init.mp4 1.m4s 2.m4s)),
                qw(manifest.mpd master.m3u8 aes.key video-720p.m3u8
                   audio-720p.m3u8 ts-720p-1.ts));
    open my $curl, '-|', 'curl', '-s', '--no-progress-meter', '--parallel',
         '--parallel-immediate',
         '--parallel-max', '12', '-w', "%{http_code}\n",
         map({ ('-o', '/dev/null', $_) } @urls) or die "curl: $!";
    my @codes = <$curl>;
    close $curl;
    chomp @codes;
    is_deeply(\@codes, [ (200) x 12 ],
              '12 concurrent first requests of a title: all 200')
        or diag("curl: $?");
    my $n = fetches('par');
    ok($n >= 1 && $n <= 12, "... after $n fetches");
    get('/svc/par/manifest.mpd');
    is(fetches('par'), $n, '... and none after');

    is(get('/svc/nosuch/manifest.mpd')->{status}, 404,
       'no such title: 404');
    is(fetches('nosuch'), 0, '... without asking the service');
}

# --- escaping, and a title without hls_key -------------------------------

{
    my $res = get('/svc/we%20ird%26%3Dt/manifest.mpd');
    is($res->{status}, 200, 'a title with a space, & and =: 200');
    my $kid = uuid($keys{weird}{kid});
    like($res->{content}, qr/\Q$kid\E/, '... with its own KID');
    is(fetches('we%20ird%26%3Dt'), 1, '... asked for by its escaped name');

    is(get('/svc/aud/audio-720p-init.mp4')->{status}, 200,
       'no hls_key: CMAF init 200');
    is(get('/svc/aud/aes.key')->{status}, 503,
       '... aes.key 503: the CENC key is not reused for AES-128');
    is(get('/svc/aud/ts-720p-1.ts')->{status}, 503, '... a TS segment 503');
}

# --- the TTL and a rotation ---------------------------------------------

{
    # /ttl/: the same zone, its entries kept $ttl s, its own service URI
    my $old = $keys{demo};
    my $etag = get('/ttl/demo/video-720p-1.m4s')->{headers}{etag};
    is(fetches('demo', 'v2'), 1, "ttl=${ttl}s: one fetch");
    my $new = { kid => random16(), key => random16(), hls => random16() };
    spit("$dir/keys/demo.json", answer($new));

    my $kid = uuid($old->{kid});
    like(get('/ttl/demo/manifest.mpd')->{content}, qr/\Q$kid\E/,
         'rotated at the service: the cached KID until the TTL');
    is(fetches('demo', 'v2'), 1, '... without a fetch');

    sleep $ttl + 1;

    my $mpd = get('/ttl/demo/manifest.mpd')->{content};
    $kid = uuid($new->{kid});
    like($mpd, qr/\Q$kid\E/, 'after the TTL: the new KID');
    is(fetches('demo', 'v2'), 2, '... after one more fetch');
    isnt(get('/ttl/demo/video-720p-1.m4s')->{headers}{etag}, $etag,
         '... and a segment\'s ETag changed');
    my $init = get('/ttl/demo/video-720p-init.mp4')->{content};
    my $seg = get('/ttl/demo/video-720p-1.m4s')->{content};
    spit("$tmp/enc.mp4", $init . $seg);
    spit("$tmp/clear.mp4", get('/clear/demo/video-720p-init.mp4')->{content}
                           . get('/clear/demo/video-720p-1.m4s')->{content});
    is(packets("$tmp/enc.mp4", $new->{key}), packets("$tmp/clear.mp4"),
       '... and segments decrypt with the new key');
    $keys{demo} = $new;
    push @{ $keys{old} }, $old;
}

# --- a service that fails ------------------------------------------------

# a service that takes the connection and never answers: the kernel
# completes the handshake in the listen queue, nobody reads
my $hang = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                 LocalPort => $hung, ReuseAddr => 1)
    or die "listen $hung: $!";

for my $case ([ 'down', 'key service status 502' ],
              [ 'hung', 'key service status 504' ],
              [ 'garbage', 'key service answer: invalid literal at byte 0' ],
              [ 'short', 'key service answer: "key" is not 32 hex digits' ],
              [ 'nonhex', 'key service answer: "key" is not 32 hex digits' ],
              [ 'missing', 'key service status 404' ])
{
    my ($loc, $reason) = @$case;
    my $before = () = slurp("$dir/logs/error.log") =~ /vod: no keys for title/g;
    for my $path ('manifest.mpd', 'video-720p-init.mp4',
                  'video-720p-1.m4s', 'ts-720p-1.ts', 'aes.key')
    {
        my $res = get("/$loc/demo/$path");
        is($res->{status}, 503, "$loc: $path is 503");
        unlike($res->{content}, qr/^#EXTM3U|<MPD|moof|ftyp/,
               '... with nothing of the title');
    }
    my $res = $http->request('POST', "$base/$loc/demo/clearkey",
                             { content => '{"kids":["' . ('A' x 22)
                                          . '"]}' });
    is($res->{status}, 503, "$loc: licence 503");
    my @l = grep { /vod: no keys for title/ }
            split /\n/, slurp("$dir/logs/error.log");
    splice @l, 0, $before;
    is(scalar @l, 6, "$loc: one line a request");
    like($l[0] // '', qr/\[error\].*vod:\ no\ keys\ for\ title\ "demo"
                          \ from\ "\/_$loc":\ \Q$reason\E/x,
         '... naming the title and the reason');
}

my @log = VodTest::nginx_stop($dir);

my @secrets;
for my $k ($keys{demo}, $keys{aud}, $keys{weird}, @{ $keys{old} }) {
    push @secrets, map { (unpack('H*', $_), encode_base64url($_)) }
                   $k->{key}, $k->{hls};
}
is(scalar(grep { my $l = $_; grep { $l =~ /\Q$_\E/i } @secrets } @log), 0,
   'no key in the error log');
is(scalar(grep { /\[(?:alert|crit|emerg)\]/ } @log), 0,
   'no alert, crit or emerg');

done_testing();
