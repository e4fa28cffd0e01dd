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
# escaped in the request; the service's pssh data (Widevine's, a
# PlayReady Object) is the Data of the init segments' boxes, the MPD's
# cenc:pssh and mspr:pro and the playlists' data: URIs where the
# location's systems have it, from the zone as from the service, and
# ignored where they do not, while derived keys keep built boxes; new
# data under the same KID is new manifests and ETags; a service that is
# down, times out, answers 404, garbage, a short or non-hex key, pssh
# data not in base64, too large, of an unknown system or a PlayReady
# header outside its object is 503 with one line of ours, never a clear
# response; no key reaches the error log.  The owner of a shared fetch
# whose client goes away (HTTP/1.1 or HTTP/2) leaves its waiters to ask
# again, not to fail: they are served after one more fetch, or from the
# zone when another worker filled it meanwhile (a mock service of this
# test holds a title's first request); a waiter left a fourth time
# fails.  Not a block file: it makes its own requests.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use IO::Select;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64 decode_base64 encode_base64url);
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 24;
my $mock = $port + 100;
my $closed = $port + 101;
my $hung = $port + 102;
my $held = $port + 103;
my $h2 = $port + 104;
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

# the systems' pssh data a licence service would want: Widevine's
# protobuf (key_ids, provider, content_id) and a PlayReady Object with an
# LA_URL, neither what the packager builds from the KID
sub widevine_data {
    my ($kid, $content) = @_;
    return "\x12\x10$kid\x1a\x08vodedgeT\x22" . chr(length $content)
           . $content;
}

sub playready_pro {
    my ($kid, $url) = @_;
    my $xml = '<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/'
              . 'PlayReadyHeader" version="4.0.0.0"><DATA><PROTECTINFO>'
              . '<KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO><KID>'
              . encode_base64($kid, '') . "</KID><LA_URL>$url</LA_URL>"
              . '</DATA></WRMHEADER>';
    my $rec = join '', map { "$_\0" } split //, $xml;
    # its length, one record: type 1 (the header), its length
    return pack('Vvvv', 10 + length $rec, 1, 1, length $rec) . $rec;
}

sub answer {
    my ($k, %opt) = @_;
    my $json = sprintf '{"kid":"%s","key":"%s"', unpack('H*', $k->{kid}),
                       uc unpack('H*', $k->{key});
    $json .= sprintf ',"hls_key":"%s"', unpack('H*', $k->{hls})
        unless $opt{no_hls};
    $json .= sprintf ',"ttl":%d', $opt{ttl} if defined $opt{ttl};
    $k->{wv} //= widevine_data($k->{kid}, 'title-' . int rand 1e6);
    $k->{pr} //= playready_pro($k->{kid}, 'https://lic.example/pr?'
                                          . int rand 1e6);
    $json .= sprintf ',"pssh":{"widevine":"%s","9A04F079-9840-4286-AB92-'
                     . 'E65BE0885F95":"%s"}', encode_base64($k->{wv}, ''),
                     encode_base64($k->{pr}, '')
        unless $opt{no_pssh};
    return $json . '}';
}

# titles: the fixtures' demo and aud, and demo again under a name a URL
# must escape
mkdir "$dir/media";
mkdir "$dir/keys";
symlink "$media/demo", "$dir/media/demo" or die "symlink: $!";
symlink "$media/aud", "$dir/media/aud" or die "symlink: $!";
symlink "$media/demo", "$dir/media/we ird&=t" or die "symlink: $!";
symlink "$media/demo", "$dir/media/par" or die "symlink: $!";
symlink "$media/demo", "$dir/media/psd" or die "symlink: $!";
symlink "$media/demo", "$dir/media/$_" or die "symlink: $!"
    for qw(orph orph2 orph3 hold);

spit("$dir/keys/demo.json", answer($keys{demo}));
spit("$dir/keys/aud.json", answer($keys{aud}, no_hls => 1));
spit("$dir/keys/par.json", answer($keys{demo}));
spit("$dir/keys/$_.json", answer($keys{demo})) for qw(orph orph2 orph3);
$keys{psd} = { kid => random16(), key => random16(), hls => random16() };
spit("$dir/keys/psd.json", answer($keys{psd}));
spit("$dir/key.bin", 'secret');

# bad pssh data: not base64, over Widevine's 1024 bytes, an unknown system
my $kk = '"kid":"00112233445566778899aabbccddeeff",'
         . '"key":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"';
# (base64url's alphabet)
my $badb64 = "{$kk,\"pssh\":{\"widevine\":\"AA-_AAAA\"}}";
my $toolarge = "{$kk,\"pssh\":{\"widevine\":\""
               . encode_base64("\x12" x 1025, '') . '"}}';
my $unknownsys = "{$kk,\"pssh\":{\"fairplay\":\"EhA=\"}}";
# a bare WRMHEADER, not the PlayReady Object around it
my $badpro = "{$kk,\"pssh\":{\"playready\":\""
             . encode_base64(join('', map { "$_\0" } split //,
                                  '<WRMHEADER version="4.0.0.0"/>'), '')
             . '"}}';
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
           . 'proxy_connect_timeout 2s; proxy_read_timeout 2s; '
           . 'subrequest_output_buffer_size 8k;';
my $base_loc = "alias $dir/media/; vod_package; vod_encryption_clearkey on;";
my $svc = "$base_loc vod_encryption cenc;";

VodTest::nginx_start($dir, <<"_EOC_");
    log_format keys '\$request_uri';
    upstream keys { server 127.0.0.1:$mock; }
    upstream down { server 127.0.0.1:$closed; }
    upstream hung { server 127.0.0.1:$hung; }
    upstream held { server 127.0.0.1:$held; }
    vod_encryption_key_cache zone=vodkeys:1m ttl=1h;

    server {
        listen 127.0.0.1:$mock;
        access_log $dir/logs/keys.log keys;
        default_type application/json;
        location ~ ^/v[123]/keys\$ { root $dir/keys;
                                  try_files "/\$arg_title.json" =404; }
        # a slow answer (about a second): concurrent requests overlap it
        location = /v4/keys { root $dir/keys; limit_rate 1k;
                              try_files "/\$arg_title.json" =404; }
        location = /garbage { return 200 'not json'; }
        location = /short { return 200
            '{"kid":"00112233445566778899aabbccddeeff","key":"0011"}'; }
        location = /nonhex { return 200
            '{"kid":"00112233445566778899aabbccddeeff",
              "key":"0f1e2d3c4b5a69788796a5b4c3d2e1fZ"}'; }
        location = /missing { return 404; }
        location = /badb64 { return 200 '$badb64'; }
        location = /toolarge { return 200 '$toolarge'; }
        location = /unknownsys { return 200 '$unknownsys'; }
        location = /badpro { return 200 '$badpro'; }
    }

    server {
        listen 127.0.0.1:$port;
        listen 127.0.0.1:$h2 http2;
        location /svc/ { $svc vod_encryption_key_service /_keys; }
        location /ifr/ { $svc vod_encryption_key_service /_keys;
                         vod_iframe_playlists hls dash; }
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
        location /slow/ { $svc vod_encryption_key_service /_keys4; }
        location /pssh/ { $svc vod_encryption_key_service /_keys;
                          vod_encryption_systems cenc widevine playready; }
        location /psshcbcs/ { $base_loc vod_encryption cbcs;
                              vod_encryption_key_service /_keys;
                              vod_encryption_systems widevine playready; }
        location /psshttl/ { $svc vod_encryption_key_service /_keys3;
                             vod_encryption_systems widevine playready;
                             vod_encryption_key_cache zone=vodkeys:1m
                                                      ttl=${ttl}s; }
        location /derived/ { $svc vod_encryption_key_file $dir/key.bin;
                             vod_encryption_systems widevine playready; }
        location /badb64/ { $svc vod_encryption_key_service /_badb64; }
        location /toolarge/ { $svc vod_encryption_key_service /_toolarge; }
        location /unknownsys/ { $svc
                                vod_encryption_key_service /_unknownsys; }
        location /badpro/ { $svc vod_encryption_key_service /_badpro; }
        location /down/ { $svc vod_encryption_key_service /_down; }
        location /hung/ { $svc vod_encryption_key_service /_hung; }
        location /held/ { $svc vod_encryption_key_service /_held; }
        location = /pid { return 200 \$pid; }
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
        location = /_held { internal; proxy_pass_request_body off;
                            proxy_pass_request_headers off;
                            proxy_read_timeout 20s;
                            proxy_pass http://held/v1/keys; }
        location = /_garbage { internal; $pass
                               proxy_pass http://keys/garbage; }
        location = /_short { internal; $pass proxy_pass http://keys/short; }
        location = /_nonhex { internal; $pass
                              proxy_pass http://keys/nonhex; }
        location = /_missing { internal; $pass
                               proxy_pass http://keys/missing; }
        location = /_keys3 { internal; $pass
                             proxy_pass http://keys/v3/keys; }
        location = /_keys4 { internal; $pass
                             proxy_pass http://keys/v4/keys; }
        location = /_badb64 { internal; $pass
                              proxy_pass http://keys/badb64; }
        location = /_toolarge { internal; $pass
                                proxy_pass http://keys/toolarge; }
        location = /_unknownsys { internal; $pass
                                  proxy_pass http://keys/unknownsys; }
        location = /_badpro { internal; $pass
                              proxy_pass http://keys/badpro; }
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

    # I-frame streams take the service's keys as the media do
    my $pl = get('/ifr/demo/iframe-720p.m3u8');
    is($pl->{status}, 200, 'I-frame playlist under a key service: 200');
    my @keys = $pl->{content} =~ /^(#EXT-X-KEY:.*)$/mg;
    my @media = get('/ifr/demo/video-720p.m3u8')->{content}
                =~ /^(#EXT-X-KEY:.*)$/mg;
    ok(@keys && "@keys" eq "@media",
       '... with the media playlist\'s EXT-X-KEY lines')
        or diag("@keys\n@media");
    like($pl->{content}, qr/KEYID=0x\Q$hex\E/, '... the service\'s KID');
    my @one = VodTest::fmp4_samples(
        get('/ifr/demo/iframe-720p-1-1.m4s')->{content}, 8);
    my @main = VodTest::fmp4_samples(
        get('/ifr/demo/video-720p-1.m4s')->{content}, 8);
    ok(@one == 1 && @main && $one[0][0] eq $main[0][0]
       && $one[0][1] eq $main[0][1] && length $one[0][1],
       '... its first key frame the media segment\'s, ciphertext and senc')
        or diag(scalar(@one) . ' samples');
    like(get('/ifr/demo/manifest.mpd')->{content},
         qr{trickmode.*?</AdaptationSet>}s, 'MPD: a trick-mode set');
    like(get('/ifr/demo/manifest.mpd')->{content},
         qr{<ContentProtection[^>]*cenc:default_KID="\Q$kid\E"[^>]*/>\s*(?:<ContentProtection[^\n]*\n\s*|<cenc:pssh>[^\n]*\n\s*|</ContentProtection>\s*)*<EssentialProperty schemeIdUri="http://dashif.org/guidelines/trickmode"},
         '... protected by the service\'s KID');
    is(fetches('demo'), 1, '... still after one fetch');

    is(get('/nocache/demo/video-720p-init.mp4')->{status}, 200,
       'vod_encryption_key_cache off: 200');
    my $cold = $http->request('HEAD', "$base/nocache/demo/audio-720p-2.m4s");
    is($cold->{status}, 200, '... a HEAD that asks the service: 200');
    is($cold->{headers}{'content-length'},
       length get('/svc/demo/audio-720p-2.m4s')->{content},
       '... with the length of the GET\'s body');
    is(fetches('demo'), 3, '... asking the service on every request');

    # a title's first requests at once, while a slow service answers:
    # one asks, the others wait for its answer (one worker), every one
    # is served
    my @urls = map { "$base/slow/par/$_" }
               (map({ ("video-720p-$_", "audio-720p-$_") }
                    qw(init.mp4 1.m4s 2.m4s)),
                qw(manifest.mpd master.m3u8 aes.key video-720p.m3u8
                   audio-720p.m3u8 ts-720p-1.ts));
    open my $curl, '-|', 'curl', '-s', '--no-progress-meter', '--parallel',
         '--parallel-immediate',
         '--parallel-max', '12', '-w', "%{http_code}\n",
         map({ ('-o', "$tmp/par-$_", $urls[$_]) } 0 .. $#urls)
        or die "curl: $!";
    my @codes = <$curl>;
    close $curl;
    chomp @codes;
    is_deeply(\@codes, [ (200) x 12 ],
              '12 concurrent first requests of a title: all 200')
        or diag("curl: $?");
    is(fetches('par', 'v4'), 1,
       '... after one (slow) fetch: they waited for it');
    # the waiters' keys are the owner's answer: each KID the service's
    # ($kid, $hex: demo's, which par's answer has)
    my @kids = map {
        my $body = slurp("$tmp/par-$_");
        $urls[$_] =~ /init\.mp4$/ ? unpack('H*', tenc_kid($body))
        : $urls[$_] =~ /\.mpd$/ ? ($body =~ /cenc:default_KID="([^"]+)"/)[0]
        : $urls[$_] =~ /-720p\.m3u8$/ ? ($body =~ /KEYID=0x(\w+)/)[0]
        : ();
    } 0 .. $#urls;
    is(scalar @kids, 5, '... five of them carry the KID');
    is_deeply(\@kids, [ map { /-/ ? $kid : $hex } @kids ],
              '... the service\'s in each');
    get('/slow/par/manifest.mpd');
    is(fetches('par', 'v4'), 1, '... and none after');

    is(get('/svc/nosuch/manifest.mpd')->{status}, 404,
       'no such title: 404');
    is(fetches('nosuch'), 0, '... without asking the service');
}

# --- the service's pssh data ---------------------------------------------

# an init segment's pssh boxes by system ID (hex): the KIDs, the Data and
# the whole box
sub pssh_boxes {
    my ($init) = @_;
    my %out;
    my $moov = box($init, 'moov') // return \%out;
    for my $p (VodTest::boxes_all($moov, 'pssh')) {
        my (undef, $sys, $n) = unpack 'Na16N', $p;
        my $len = unpack 'N', substr($p, 24 + 16 * $n, 4);
        $out{unpack 'H*', $sys} = {
            kids => substr($p, 24, 16 * $n),
            data => substr($p, 28 + 16 * $n, $len),
            box => pack('Na4', 8 + length $p, 'pssh') . $p,
        };
    }
    return \%out;
}

my $WV = 'edef8ba979d64acea3c827dcd51d21ed';
my $PR = '9a04f07998404286ab92e65be0885f95';
my $CENC = '1077efecc0b24d02ace33c1e52e2fb4b';

# the MPD's cenc:pssh and mspr:pro of a system, decoded
sub mpd_pssh {
    my ($mpd, $uuid) = @_;
    my ($pssh, $pro) = $mpd =~ m{schemeIdUri="urn:uuid:\Q$uuid\E"[^>]*>
                                 <cenc:pssh>([^<]*)</cenc:pssh>
                                 (?:<mspr:pro>([^<]*)</mspr:pro>)?}x;
    return (defined $pssh ? decode_base64($pssh) : undef,
            defined $pro ? decode_base64($pro) : undef);
}

{
    my $k = $keys{demo};
    my $before = fetches('demo');

    for my $loc (qw(pssh psshcbcs)) {
        my $init = get("/$loc/demo/video-720p-init.mp4");
        is($init->{status}, 200, "$loc: init 200");
        my $b = pssh_boxes($init->{content});
        is_deeply([sort keys %$b],
                  [sort(($loc eq 'pssh' ? $CENC : ()), $WV, $PR)],
                  '... a pssh box per configured system');
        is($b->{$WV}{data}, $k->{wv}, '... Widevine\'s Data the service\'s');
        is($b->{$PR}{data}, $k->{pr},
           '... PlayReady\'s the service\'s PlayReady Object');
        is($b->{$WV}{kids} . $b->{$PR}{kids}, $k->{kid} x 2,
           '... both with the KID');
        is($b->{$CENC}{data}, '', '... the common system\'s: no Data')
            if $loc eq 'pssh';

        my $mpd = get("/$loc/demo/manifest.mpd")->{content};
        my ($wv) = mpd_pssh($mpd, 'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed');
        is($wv, $b->{$WV}{box},
           "$loc MPD: Widevine's cenc:pssh is the init segment's box");
        my ($pr, $pro) = mpd_pssh($mpd,
                                  '9a04f079-9840-4286-ab92-e65be0885f95');
        is($pr, $b->{$PR}{box}, '... PlayReady\'s cenc:pssh too');
        is($pro, $k->{pr}, '... mspr:pro the service\'s PlayReady Object');

        my $m3u8 = get("/$loc/demo/video-720p.m3u8")->{content};
        my ($wvu) = $m3u8 =~ m{URI="data:text/plain;base64,([^"]+)"[^\n]*
                                KEYFORMAT="urn:uuid:edef8ba9}x;
        is(decode_base64($wvu // ''), $b->{$WV}{box},
           "$loc HLS: Widevine's data: URI is the box");
        my ($pru) = $m3u8 =~ m{URI="data:text/plain;charset=UTF-16;base64,
                                ([^"]+)"[^\n]*com\.microsoft\.playready}x;
        is(decode_base64($pru // ''), $k->{pr},
           '... PlayReady\'s the service\'s PlayReady Object');

        my $seg = get("/$loc/demo/video-720p-2.m4s")->{content};
        spit("$tmp/enc.mp4", $init->{content} . $seg);
        spit("$tmp/clear.mp4",
             get('/clear/demo/video-720p-init.mp4')->{content}
             . get('/clear/demo/video-720p-2.m4s')->{content});
        is(packets("$tmp/enc.mp4", $k->{key}), packets("$tmp/clear.mp4"),
           '... ffmpeg decrypts the init segment and a segment');
    }

    is(fetches('demo'), $before,
       'the zone\'s entry of /svc/ served it: the data was cached');
    is(get('/pssh/demo/video-720p-init.mp4')->{content},
       get('/pssh/demo/video-720p-init.mp4')->{content},
       '... the same bytes on each hit');

    my $svc = pssh_boxes(get('/svc/demo/video-720p-init.mp4')->{content});
    is_deeply([keys %$svc], [$CENC],
              'systems cenc alone: data for others ignored, one box');
    is($svc->{$CENC}{kids}, $k->{kid}, '... the common one of the KID');
    unlike(get('/svc/demo/manifest.mpd')->{content},
           qr/edef8ba9|9a04f079/, '... nor in the MPD');

    my $d = pssh_boxes(get('/derived/demo/video-720p-init.mp4')->{content});
    like($d->{$WV}{data} // '', qr/^\x12\x10/s,
         'derived keys: Widevine\'s Data built from the KID');
    is(substr($d->{$WV}{data} // '', 2, 16), $d->{$WV}{kids},
       '... its own KID');
    like($d->{$PR}{data} // '', qr/W\0R\0M\0H\0E\0A\0D\0E\0R/,
         '... PlayReady\'s a built PRO');
    unlike($d->{$PR}{data} // '', qr/L\0A\0_\0U\0R\0L/, '... without LA_URL');
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

# --- new pssh data under the same KID: new manifests and ETags ------------

{
    my $k = $keys{psd};
    my $mpd = get('/psshttl/psd/manifest.mpd');
    my $init = get('/psshttl/psd/video-720p-init.mp4');
    is(pssh_boxes($init->{content})->{$WV}{data}, $k->{wv},
       'psshttl: the service\'s Widevine data');
    $k->{wv} = widevine_data($k->{kid}, 'another-content-id');
    spit("$dir/keys/psd.json", answer($k));

    sleep $ttl + 1;

    my $mpd2 = get('/psshttl/psd/manifest.mpd');
    my $init2 = get('/psshttl/psd/video-720p-init.mp4');
    is(fetches('psd', 'v3'), 2, '... after the TTL, asked again');
    my ($wv) = mpd_pssh($mpd2->{content},
                        'edef8ba9-79d6-4ace-a3c8-27dcd51d21ed');
    is(pssh_boxes($init2->{content})->{$WV}{data}, $k->{wv},
       '... its new data in the init segment');
    like($wv // '', qr/another-content-id/, '... and in the MPD');
    isnt($mpd2->{headers}{etag}, $mpd->{headers}{etag},
         '... the MPD\'s ETag changed');
    isnt($init2->{headers}{etag}, $init->{headers}{etag},
         '... the init segment\'s too');
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
              [ 'missing', 'key service status 404' ],
              [ 'badb64', 'key service answer: "pssh" has a system\'s data '
                          . 'not in base64' ],
              [ 'toolarge', 'key service answer: "pssh" has a system\'s '
                            . 'data empty or too large' ],
              [ 'unknownsys', 'key service answer: "pssh" names a system '
                              . 'other than widevine and playready' ],
              [ 'badpro', 'key service answer: "pssh" has PlayReady data '
                          . 'that is not a PlayReady Object' ])
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

# a failing service's concurrent requests: one asks, each is 503 with a line
{
    my $before = () = slurp("$dir/logs/error.log") =~ /vod: no keys for title/g;
    my $garbage = () = slurp("$dir/logs/keys.log")
                       =~ /^\/garbage\?title=demo$/mg;
    open my $curl, '-|', 'curl', '-s', '--no-progress-meter', '--parallel',
         '--parallel-immediate', '--parallel-max', '8', '-w', "%{http_code}\n",
         map({ ('-o', '/dev/null', "$base/garbage/demo/video-720p-$_.m4s") }
             1 .. 8) or die "curl: $!";
    my @codes = <$curl>;
    close $curl;
    chomp @codes;
    is_deeply(\@codes, [ (503) x 8 ],
              'a failing service, 8 concurrent requests: all 503');
    # a failure is quick: a request after it asks again
    my $n = () = slurp("$dir/logs/keys.log") =~ /^\/garbage\?title=demo$/mg;
    $n -= $garbage;
    ok($n >= 1 && $n <= 8, "... after $n fetches");
    my @l = grep { /vod: no keys for title/ }
            split /\n/, slurp("$dir/logs/error.log");
    splice @l, 0, $before;
    is(scalar @l, 8, '... one line each');
    is(scalar(grep { /the key service fetch it waited for failed/ } @l),
       8 - $n, '... the waiters\' saying so');
}

# --- the owner of a shared fetch goes away --------------------------------

# a key service that holds each title's first request unanswered until
# nginx closes it, and answers the others at once (the title's file);
# "hold"'s it holds all; each request a line in held.log as it comes
sub held_service {
    my $ls = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                   LocalPort => $held, ReuseAddr => 1)
        or die "listen $held: $!";
    my $pid = fork // die "fork: $!";
    return $pid if $pid;

    my $sel = IO::Select->new($ls);
    my %seen;
    for (;;) {
        for my $h ($sel->can_read) {
            if ($h != $ls) {
                # held: nginx closed it
                $sel->remove($h), close $h unless sysread $h, my $b, 4096;
                next;
            }
            my $c = $ls->accept or next;
            my $req = '';
            sysread($c, $req, 4096, length $req) or last
                while $req !~ /\r\n\r\n/;
            my ($uri) = $req =~ /^GET (\S+)/;
            $uri //= '';
            open my $fh, '>>', "$dir/logs/held.log" or die;
            print $fh "$uri\n";
            close $fh;
            my ($title) = $uri =~ /title=([^&]+)/;
            $title //= '';
            if (!$seen{$title}++ || $title eq 'hold') {
                $sel->add($c);
                next;
            }
            my $body = slurp("$dir/keys/$title.json");
            print $c "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                     . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
            close $c;
        }
    }
}

my $held_pid = held_service();
END { kill 'TERM', $held_pid if $held_pid }

sub held_fetches {
    my ($title) = @_;
    return scalar grep { /^\/v1\/keys\?title=\Q$title\E$/ }
                  split /\n/, slurp("$dir/logs/held.log");
}

sub wait_until {
    my ($cond) = @_;
    for (1 .. 100) {
        return 1 if $cond->();
        select undef, undef, undef, 0.05;
    }
    return 0;
}

# a request on a raw socket: its owner closes it when it likes
sub raw_get {
    my ($path) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or die "connect: $!";
    print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n"
             . "Connection: close\r\n\r\n";
    return $s;
}

sub raw_response {
    my ($s) = @_;
    local $/;
    my $res = <$s> // '';
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $res, 2;
    my ($status) = ($head // '') =~ /^HTTP\/1\.1 (\d+)/;
    return ($status // 0, $body // '');
}

sub log_lines {
    my ($re) = @_;
    return scalar grep { /$re/ } split /\n/, slurp("$dir/logs/error.log");
}

my $debug = `$nginx -V 2>&1` =~ /--with-debug/;
my $again = qr/the fetch waited for lost its request, asking again/;

{
    my $k = $keys{old}[0];
    my $hex = unpack 'H*', $k->{kid};
    my $failed = log_lines(qr/fetch it waited for failed/);
    my $asked = log_lines(qr/"orph": $again/);

    # the owner: the first request, its fetch held by the service
    my $owner = raw_get('/held/orph/video-720p-1.m4s');
    ok(wait_until(sub { held_fetches('orph') == 1 }),
       'a title\'s first request: the service is asked, and holds it');

    # its waiters, then the owner's client goes away
    my @paths = (map({ ("video-720p-$_", "audio-720p-$_") }
                     qw(init.mp4 1.m4s)), qw(manifest.mpd aes.key));
    open my $curl, '-|', 'curl', '-s', '--no-progress-meter', '--parallel',
         '--parallel-immediate', '--parallel-max', '6', '-w', "%{http_code}\n",
         map({ ('-o', "$tmp/orph-$_", "$base/held/orph/$paths[$_]") }
             0 .. $#paths) or die "curl: $!";
    select undef, undef, undef, 0.5;
    is(held_fetches('orph'), 1, '... six more wait for its answer');
    close $owner;

    my @codes = <$curl>;
    close $curl;
    chomp @codes;
    is_deeply(\@codes, [ (200) x 6 ],
              'the owner\'s client gone before the answer: its waiters 200')
        or diag("curl: $?");
    is(held_fetches('orph'), 2, '... after one more fetch');
    is(log_lines(qr/fetch it waited for failed/), $failed,
       '... none saying the fetch it waited for failed');
    is(log_lines(qr/no keys for title "orph"/), 0, '... nor any other line');
    is(log_lines(qr/"orph": $again/) - $asked, 6,
       '... each asking again (debug log)') if $debug;

    # their bytes: what the title gives now, from the zone, and decrypted
    # with the service's key
    my @want = map { get("/held/orph/$_")->{content} } @paths;
    is(held_fetches('orph'), 2, '... the answer cached');
    is_deeply([ map { slurp("$tmp/orph-$_") } 0 .. $#paths ], \@want,
              '... each body the same as a request served after');
    is(unpack('H*', tenc_kid(slurp("$tmp/orph-0"))), $hex,
       '... the init segment\'s KID the service\'s');
    spit("$tmp/enc.mp4", slurp("$tmp/orph-0") . slurp("$tmp/orph-2"));
    spit("$tmp/clear.mp4", get('/clear/demo/video-720p-init.mp4')->{content}
                           . get('/clear/demo/video-720p-1.m4s')->{content});
    is(packets("$tmp/enc.mp4", $k->{key}), packets("$tmp/clear.mp4"),
       '... ffmpeg decrypts a segment with the service\'s key');
    is(slurp("$tmp/orph-5"), $k->{hls}, '... aes.key the service\'s');
}

# the same over HTTP/2: the owner's client (curl) killed, its connection
# gone with its stream
{
    my $asked = log_lines(qr/"orph3": $again/);
    my $h2base = "http://127.0.0.1:$h2/held/orph3";
    my $opid = open my $oc, '-|', 'curl', '-s', '--http2-prior-knowledge',
                    '-o', '/dev/null', "$h2base/video-720p-1.m4s"
        or die "curl: $!";
    ok(wait_until(sub { held_fetches('orph3') == 1 }),
       'HTTP/2: the owner\'s fetch held');
    my @paths = qw(video-720p-init.mp4 video-720p-2.m4s manifest.mpd);
    open my $curl, '-|', 'curl', '-s', '--http2-prior-knowledge',
         '--parallel', '--parallel-immediate', '-w', "%{http_code}\n",
         map({ ('-o', "$tmp/orph3-$_", "$h2base/$paths[$_]") } 0 .. 2)
        or die "curl: $!";
    select undef, undef, undef, 0.5;
    kill 'KILL', $opid;
    close $oc;

    my @codes = <$curl>;
    close $curl;
    chomp @codes;
    is_deeply(\@codes, [ (200) x 3 ],
              '... killed before the answer: its waiters 200');
    is(held_fetches('orph3'), 2, '... after one more fetch');
    is(log_lines(qr/no keys for title "orph3"/), 0, '... no error line');
    is(log_lines(qr/"orph3": $again/) - $asked, 3,
       '... each asking again (debug log)') if $debug;
    is(unpack('H*', tenc_kid(slurp("$tmp/orph3-0"))),
       unpack('H*', $keys{old}[0]{kid}), '... the service\'s KID');
}

# an orphaned waiter whose keys another worker put in the zone meanwhile:
# the owner and its waiter in the worker a reload retires, the keys
# fetched by the new worker
{
    my $k = $keys{old}[0];
    my $hex = unpack 'H*', $k->{kid};
    my $asked = log_lines(qr/"orph2": $again/);
    my $old = get('/pid')->{content};

    my $owner = raw_get('/held/orph2/video-720p-1.m4s');
    ok(wait_until(sub { held_fetches('orph2') == 1 }),
       'reload: an owner asks, its fetch held');
    my $waiter = raw_get('/held/orph2/video-720p-init.mp4');
    select undef, undef, undef, 0.3;

    # the old worker accepts until it says it is shutting down (it then
    # leaves the listening socket to the new one)
    my $master = slurp("$dir/logs/nginx.pid") + 0;
    kill 'HUP', $master;
    ok(wait_until(sub { log_lines(qr/ $old#\d+: gracefully shutting down/) }),
       '... reload: the old worker shuts down gracefully');
    my $fresh = HTTP::Tiny->new(timeout => 5, keep_alive => 0);
    ok(wait_until(sub {
           my $pid = $fresh->get("$base/pid")->{content} // '';
           return $pid =~ /^\d+$/ && $pid ne $old;
       }), '... a new worker serves');
    $http = HTTP::Tiny->new(timeout => 30);

    is(get('/held/orph2/manifest.mpd')->{status}, 200,
       '... which asks the service, answered, into the zone');
    is(held_fetches('orph2'), 2, '... two fetches');

    close $owner;
    my ($status, $body) = raw_response($waiter);
    is($status, 200, 'the old worker\'s owner gone: its waiter 200');
    is(unpack('H*', tenc_kid($body)), $hex, '... with the service\'s KID');
    is(held_fetches('orph2'), 2, '... from the zone: no fetch more');
    is(log_lines(qr/"orph2": $again/) - $asked, 1,
       '... having asked again (debug log)') if $debug;
    is(log_lines(qr/no keys for title "orph2"/), 0, '... and no error line');
}

# owners that go away one after the other: a waiter asks again three
# times, then fails (503, its line) rather than asking forever
{
    my $failed = log_lines(qr/"hold": the key service fetch it waited/);
    my @owners;
    for my $n (1 .. 4) {
        push @owners, raw_get("/held/hold/video-720p-$n.m4s");
        # each after the last: its place in the queue is its turn
        if ($n == 1) {
            ok(wait_until(sub { held_fetches('hold') == 1 }),
               'four requests of a title the service never answers');
        } else {
            select undef, undef, undef, 0.2;
        }
    }
    my $waiter = raw_get('/held/hold/video-720p-init.mp4');
    select undef, undef, undef, 0.2;

    for my $n (1 .. 4) {
        close shift @owners;
        ok(wait_until(sub { held_fetches('hold') == $n + 1 }),
           "... owner $n gone: the next asks again") if $n < 4;
    }
    my ($status) = raw_response($waiter);
    is($status, 503, '... the last, left a fourth time: 503');
    is(held_fetches('hold'), 4, '... without asking itself');
    is(log_lines(qr/"hold": the key service fetch it waited/) - $failed, 1,
       '... with its line');
}

kill 'TERM', $held_pid;
waitpid $held_pid, 0;
$held_pid = 0;

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
