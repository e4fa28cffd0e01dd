# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: MPEG-TS under "vod_encryption_ts sample-aes" (HLS
# SAMPLE-AES, Apple's MPEG-2 Stream Encryption Format).  The playlist
# says METHOD=SAMPLE-AES with aes.key; ffmpeg fetches the key itself and
# decrypts the H.264 and AAC of the demo and aud titles to the clear
# segments' (the video's bytes compared without emulation prevention,
# which ffmpeg's decryptor removes from the slices it decrypts, and
# without the last access unit, which it leaves encrypted; the audio
# frame by frame); a wrong key does not.  The PMT carries the stream types
# and descriptors of the format, slices keep their first 32 bytes, NAL
# units other than slices are the clear ones, the ETag changes with the
# setting, and nginx -t names a bad value.  AC-3 and E-AC-3 (a title
# of each): ffmpeg decrypts master-ts.m3u8 to the clear packets, a wrong
# key does not; the PMT says 0xc1 / 0xc2, 'ac3d' / 'ec3d' and 'apad'
# with 'zac3' / 'zec3' and the file's dac3 / dec3 fields; each syncframe
# keeps its first 16 bytes.  Not a block file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use Digest::SHA qw(hmac_sha256);
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 25;
my $media = VodTest::media();
my $dir = VodTest::nginx_dir('vodsaes');
my $secret = "test-secret-saes-" . ('s' x 40);
my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';

*spit = \&VodTest::spit;
*pes_of = \&VodTest::pes_of;
*es_of = \&VodTest::es_of;
*nals = \&VodTest::nals;

spit("$dir/key.bin", $secret);

# a title with an AC-3 audio rendition beside H.264 and AAC, and one
# with E-AC-3 5.1 (a few seconds of ffmpeg, as tools/mkmedia-codecs.sh)
mkdir "$dir/media" or die "mkdir: $!";
for my $t ([ 'dd', 'ac3', 'ac3', 2 ], [ 'ddp', 'eac3', 'eac3', 6 ]) {
    my ($title, $name, $codec, $ch) = @$t;
    mkdir "$dir/media/$title" or die "mkdir: $!";
    system('ffmpeg', '-v', 'error', '-f', 'lavfi', '-i',
           'testsrc=d=4:s=320x180:r=25', '-f', 'lavfi', '-i', 'sine=d=4',
           '-c:v', 'libx264', '-g', '25', '-c:a', 'aac', '-shortest',
           "$dir/media/$title/360p.mp4") == 0 or die "ffmpeg: $?";
    system('ffmpeg', '-v', 'error', '-f', 'lavfi', '-i', 'sine=d=4',
           '-c:a', $codec, '-ac', $ch, '-b:a', '192k',
           '-metadata:s:a', 'language=eng',
           "$dir/media/$title/$name.mp4") == 0 or die "ffmpeg: $?";
}
system('chmod', '-R', 'a+rX', "$dir/media") == 0 or die "chmod: $?";

# --- nginx -t ---------------------------------------------------------

sub conf_test {
    my ($http) = @_;
    my ($so) = grep { /ngx_vod_package_module\.so$/ }
               split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    $so //= "$FindBin::Bin/../modules/ngx_vod_package_module.so";
    my $t = VodTest::nginx_dir('vodsaesconf');
    spit("$t/nginx.conf", "load_module $so;\nerror_log $t/error.log;\n"
         . "pid $t/nginx.pid;\nevents {}\nhttp {\n$http\n}\n");
    my $out = `$nginx -t -p $t/ -c $t/nginx.conf -e $t/error.log 2>&1`;
    return ($? == 0, $out);
}

{
    my ($ok, $out) = conf_test('server { location /v/ { vod_package; '
                               . 'vod_encryption_ts aes-256; } }');
    ok(!$ok, 'nginx -t: a bad vod_encryption_ts fails');
    like($out, qr/invalid\ value\ "aes-256"\ in\ "vod_encryption_ts":
                  \ use\ aes-128\ or\ sample-aes/x,
         '... naming the directive and its values');
    ($ok, $out) = conf_test('server { location /v/ { vod_package; '
                            . 'vod_encryption_ts aes-128; '
                            . 'vod_encryption_ts sample-aes; } }');
    ok(!$ok, 'nginx -t: a duplicate vod_encryption_ts fails');
    like($out, qr/"vod_encryption_ts" directive is duplicate/, '... so says');
}

# --- a running origin -------------------------------------------------

my $common = "alias $media/; vod_package; vod_encryption_clearkey on; "
             . "vod_encryption_key_file $dir/key.bin; vod_encryption cbcs;";

VodTest::nginx_start($dir, <<"_EOC_");
    server {
        listen 127.0.0.1:$port;
        location /saes/ { $common vod_encryption_ts sample-aes; }
        location /threads/ { $common vod_encryption_ts sample-aes;
                             aio threads; }
        location /aes/ { $common }
        location /saeslead/ { $common vod_encryption_ts sample-aes;
                              vod_encryption_clear_lead 3s; }
        location /dd/ { alias $dir/media/; vod_package;
                        vod_encryption_clearkey on;
                        vod_encryption_key_file $dir/key.bin;
                        vod_encryption cbcs; vod_encryption_ts sample-aes; }
        location /ddclear/ { alias $dir/media/; vod_package; }
        location ~ ^/ddbad/[^/]+/aes\\.key\$ {
            return 200 "0123456789abcdef";
        }
        location /ddbad/ { alias $dir/media/; vod_package;
                           vod_encryption_clearkey on;
                           vod_encryption_key_file $dir/key.bin;
                           vod_encryption cbcs;
                           vod_encryption_ts sample-aes; }
        location /clear/ { alias $media/; vod_package; }
        location ~ ^/badkey/[^/]+/aes\\.key\$ {
            return 200 "0123456789abcdef";
        }
        location /badkey/ { $common vod_encryption_ts sample-aes; }
    }
_EOC_

my $http = HTTP::Tiny->new(timeout => 30);
my $base = "http://127.0.0.1:$port";

sub get {
    my ($path) = @_;
    return $http->get("$base$path");
}

# what ffmpeg reads of the first video stream, as an H.264 byte stream,
# and the audio packets' sizes and checksums
sub media_of {
    my ($url) = @_;
    my $video = '';
    my @cmd = ('ffmpeg', '-v', 'quiet', '-i', $url, '-map', '0:v:0?',
               '-c', 'copy', '-f', 'h264', '-');
    open my $fh, '-|', @cmd or die "ffmpeg: $!";
    binmode $fh;
    { local $/; $video = <$fh> // ''; }
    close $fh;

    my @sums;
    @cmd = ('ffmpeg', '-v', 'quiet', '-i', $url, '-map', '0:a?',
            '-c', 'copy', '-f', 'framemd5', '-');
    open $fh, '-|', @cmd or die "ffmpeg: $!";
    while (<$fh>) {
        next if /^#/;
        chomp;
        my @f = split /\s*,\s*/;
        push @sums, join(',', @f[0, 4, 5]);
    }
    close $fh;
    return ($video, join("\n", @sums));
}

# the PMT of a segment: its streams' types and descriptors
sub pmt {
    my ($ts) = @_;
    for (my $off = 0; $off + 188 <= length $ts; $off += 188) {
        my $pkt = substr($ts, $off, 188);
        my $pid = unpack('n', substr($pkt, 1, 2)) & 0x1fff;
        next unless $pid == 0x1000;
        my $s = substr($pkt, 5);
        my $len = unpack('n', substr($s, 1, 2)) & 0x0fff;
        my $pil = unpack('n', substr($s, 10, 2)) & 0x0fff;
        my $p = 12 + $pil;
        my @es;
        while ($p < 3 + $len - 4) {
            my ($type, $epid, $il) = unpack('Cnn', substr($s, $p, 5));
            my $info = substr($s, $p + 5, $il & 0x0fff);
            my @desc;
            while (length $info >= 2) {
                my ($tag, $dl) = unpack('CC', $info);
                push @desc, [ $tag, substr($info, 2, $dl) ];
                $info = substr($info, 2 + $dl);
            }
            push @es, { type => $type, pid => $epid & 0x1fff,
                        desc => \@desc };
            $p += 5 + ($il & 0x0fff);
        }
        return \@es;
    }
    return [];
}

# a clear byte stream as ffmpeg's decryptor gives it: the slices (NAL
# units of type 1 and 5) without emulation prevention, which it removes
# before decrypting and does not put back
sub unescape_slices {
    my ($s) = @_;
    my @p = split /(\x00\x00\x01)/, $s;
    for (@p) {
        next if $_ eq "\x00\x00\x01" || !length;
        my $t = ord($_) & 0x1f;
        s/\x00\x00\x03/\x00\x00/g if $t == 1 || $t == 5;
    }
    return join '', @p;
}

# a byte stream without its last access unit: FFmpeg 5.1 hands the
# stream's last PES, whose length is open, to the output at the end of
# the input without decrypting it (the unit tests decrypt every unit)
sub but_last {
    my ($s) = @_;
    my $at = rindex($s, "\x00\x00\x00\x01\x09");
    return $at > 0 ? substr($s, 0, $at) : $s;
}

{
    my $pl = get('/saes/demo/ts-720p.m3u8')->{content} // '';
    like($pl, qr/^\#EXT-X-INDEPENDENT-SEGMENTS\n
                 \#EXT-X-KEY:METHOD=SAMPLE-AES,URI="aes.key",
                 IV=0x[0-9a-f]{32},KEYFORMAT="identity"\n\#EXTINF:/mx,
         'playlist: EXT-X-KEY SAMPLE-AES, the key at aes.key, an IV');
    # SAMPLE-AES and KEYFORMAT need version 5 (RFC 8216 7); AES-128's
    # playlist stays at 3
    like($pl, qr/^#EXT-X-VERSION:5$/m, 'playlist: version 5');
    like(get('/aes/demo/ts-720p.m3u8')->{content} // '',
         qr/^#EXT-X-VERSION:3$/m, 'AES-128\'s playlist: version 3');
    my $hls_key = substr(hmac_sha256('vodedge-hls-key' . 'demo', $secret),
                         0, 16);
    is(unpack('H*', get('/saes/demo/aes.key')->{content} // ''),
       unpack('H*', $hls_key), 'aes.key: the title\'s HLS key');

    my $clear = get('/clear/demo/ts-720p-1.ts')->{content};
    my $res = get('/saes/demo/ts-720p-1.ts');
    my $enc = $res->{content};
    is($res->{status}, 200, 'segment: 200');
    is(length($enc) % 188, 0, '... whole TS packets');
    ok(get('/saes/demo/ts-720p-1.ts')->{content} eq $enc,
       '... the same bytes on every request');
    my $etag = $res->{headers}{etag};
    my $etag_aes = get('/aes/demo/ts-720p-1.ts')->{headers}{etag};
    ok($etag && $etag_aes && $etag ne $etag_aes,
       '... an ETag of its own, not AES-128\'s');

    my $es = pmt($enc);
    my ($v) = grep { $_->{pid} == 0x100 } @$es;
    my ($a) = grep { $_->{pid} == 0x101 } @$es;
    is(sprintf('0x%02x', $v->{type} // 0), '0xdb', 'PMT: video 0xdb');
    is(join(';', map { sprintf('%02x:%s', @$_) } @{ $v->{desc} }),
       '0f:zavc', '... private_data_indicator zavc');
    is(sprintf('0x%02x', $a->{type} // 0), '0xcf', 'PMT: audio 0xcf');
    my @ad = @{ $a->{desc} // [] };
    is(sprintf('%02x:%s', @{ $ad[0] // [0, ''] }), '0f:aacd',
       '... private_data_indicator aacd');
    my $reg = $ad[1] // [0, ''];
    is($reg->[0], 5, '... then a registration descriptor');
    my ($fmt, $type, $priming, $ver, $len) = unpack('a4a4nCC', $reg->[1]);
    is("$fmt $type", 'apad zaac', '... apad, AAC-LC');
    is($priming, 0, '... priming 0');
    is($ver, 0, '... version 0');
    is(unpack('H*', substr($reg->[1], 12)),
       unpack('H*', substr($reg->[1], 12, $len)),
       '... the setup data its length says');
    ok($len >= 2, '... an AudioSpecificConfig');
    my $cpmt = pmt($clear);
    is(join(',', map { sprintf('%02x', $_->{type}) } @$cpmt), '1b,0f',
       'clear PMT: 0x1b and 0x0f still');

    # NAL units: the same in number and header; slices keep their first
    # 32 bytes, the rest unchanged; big slices differ after them
    my @cn = nals(es_of($clear, 0x100));
    my @en = nals(es_of($enc, 0x100));
    is(scalar @en, scalar @cn, 'video: as many NAL units as clear');
    my ($same_hdr, $lead, $other, $changed, $big) = (1, 1, 1, 0, 0);
    for my $i (0 .. $#cn) {
        my ($c, $e) = ($cn[$i], $en[$i] // '');
        my $t = ord($c) & 0x1f;
        $same_hdr = 0 unless substr($c, 0, 1) eq substr($e, 0, 1);
        if ($t == 1 || $t == 5) {
            $lead = 0 unless substr($c, 0, 32) eq substr($e, 0, 32);
            if (length $c > 200) {
                $big++;
                $changed++ if substr($c, 32, 16) ne substr($e, 32, 16);
            }
        } else {
            $other = 0 unless $c eq $e;
        }
    }
    ok($same_hdr, '... each with the clear header byte');
    ok($lead, '... slices with their first 32 bytes clear');
    ok($other, '... other NAL units clear');
    ok($big > 0 && $changed == $big,
       "... the 16 bytes after them encrypted in every large slice ($big)");
    ok(!grep({ /\x00\x00[\x00-\x02]/ } @en),
       '... no start code emulated inside a unit');

    # audio: ADTS headers and the first 16 bytes after them clear
    my $ca = es_of($clear, 0x101);
    my $ea = es_of($enc, 0x101);
    is(length $ea, length $ca, 'audio: as long as clear');
    is(unpack('H*', substr($ea, 0, 7 + 16)),
       unpack('H*', substr($ca, 0, 7 + 16)),
       '... the first frame\'s header and 16 bytes clear');
    isnt(unpack('H*', substr($ea, 23, 16)), unpack('H*', substr($ca, 23, 16)),
         '... the next encrypted');
}

# ffmpeg fetches aes.key and decrypts
for my $title (qw(demo aud)) {
    my ($cv, $ca) = media_of("$base/clear/$title/master-ts.m3u8");
    $cv = but_last(unescape_slices($cv));
    ok(length $cv || length $ca, "$title: clear media");
    for my $loc (qw(saes threads)) {
        next if $loc eq 'threads' && $title ne 'demo';
        my ($ev, $ea) = media_of("$base/$loc/$title/master-ts.m3u8");
        $ev = but_last($ev);
        ok($ev eq $cv, "$loc $title: ffmpeg decrypts the video to the "
           . 'clear bytes (' . length($cv) . ')');
        is($ea, $ca, "$loc $title: ffmpeg decrypts the audio to the clear "
           . 'packets');
    }
    my ($bv, $ba) = media_of("$base/badkey/$title/master-ts.m3u8");
    $bv = but_last($bv);
    ok(!(length $cv && $bv eq $cv) && $ba ne $ca,
       "$title: a wrong key does not decrypt");
}

# a clear lead of 3 s (4 s segments): the first segment is the clear
# location's, with the plain PMT; the key line comes after it; the second
# is the sample encrypted one ffmpeg decrypts above.  (ffmpeg 5.1 cannot
# play through the PMT's change of stream types: the streams it finds
# after it are new ones its command line has not mapped.)
{
    my $lead = get('/saeslead/demo/ts-720p-1.ts')->{content};
    ok($lead eq get('/clear/demo/ts-720p-1.ts')->{content},
       'lead: the first segment is the clear one');
    is(join(',', map { sprintf('%02x', $_->{type}) } @{ pmt($lead) }),
       '1b,0f', '... its PMT says 0x1b and 0x0f, no SAMPLE-AES');
    my $next = get('/saeslead/demo/ts-720p-2.ts')->{content};
    is(join(',', map { sprintf('%02x', $_->{type}) } @{ pmt($next) }),
       'db,cf', '... the second\'s PMT says 0xdb and 0xcf');
    is($next, get('/saes/demo/ts-720p-2.ts')->{content},
       '... and is sample encrypted as without a lead');
    my $pl = get('/saeslead/demo/ts-720p.m3u8')->{content};
    like($pl, qr/\n#EXTINF:[\d.]+,\nts-720p-1\.ts\n
                 #EXT-X-KEY:METHOD=SAMPLE-AES,[^\n]+\n
                 #EXTINF:[\d.]+,\nts-720p-2\.ts\n/x,
         '... the playlist\'s key line comes between them');
    isnt(get('/saeslead/demo/ts-720p-1.ts')->{headers}{etag},
         get('/saes/demo/ts-720p-1.ts')->{headers}{etag},
         '... the lead is in the ETag');
}

# framemd5 lines without the last packet of stream 1: FFmpeg 5.1 hands
# the stream's last AC-3 / E-AC-3 packet to the output at the end of the
# input without decrypting it (openssl checks it below)
sub but_last_audio {
    my ($sums) = @_;
    my @l = split /\n/, $sums;
    my ($last) = grep { $l[$_] =~ /^1,/ } reverse 0 .. $#l;
    splice(@l, $last, 1) if defined $last;
    return join("\n", @l);
}

# AC-3 and E-AC-3: decrypted by ffmpeg, PMT and syncframes as Apple's
# format says
for my $t ([ 'dd', 'ac3', 'dac3', 0xc1, 'ac3d', 'zac3' ],
           [ 'ddp', 'eac3', 'dec3', 0xc2, 'ec3d', 'zec3' ])
{
    my ($title, $name, $box, $stype, $pdi, $atype) = @$t;
    my (undef, $ca) = media_of("$base/ddclear/$title/master-ts.m3u8");
    my $n = () = $ca =~ /^1,/mg;
    ok($n > 50, "$name: clear packets of the second audio ($n)");
    my (undef, $ea) = media_of("$base/dd/$title/master-ts.m3u8");
    is(but_last_audio($ea), but_last_audio($ca),
       "$name: ffmpeg decrypts every audio to the clear packets");
    my (undef, $ba) = media_of("$base/ddbad/$title/master-ts.m3u8");
    isnt($ba, $ca, "$name: a wrong key does not");

    my $res = get("/dd/$title/audiots-$name-1.ts");
    is($res->{status}, 200, "$name: segment 200");
    my $enc = $res->{content} // '';
    my $clear = get("/ddclear/$title/audiots-$name-1.ts")->{content} // '';
    my ($a) = grep { $_->{pid} == 0x101 } @{ pmt($enc) };
    is(sprintf('0x%02x', $a->{type} // 0), sprintf('0x%02x', $stype),
       "... PMT: stream type 0x" . sprintf('%02x', $stype));
    my @ad = @{ $a->{desc} // [] };
    is(sprintf('%02x:%s', @{ $ad[0] // [0, ''] }), "0f:$pdi",
       "... private_data_indicator $pdi");
    my $reg = $ad[1] // [0, ''];
    is($reg->[0], 5, '... then a registration descriptor');
    my ($fmt, $type, $priming, $ver, $len) = unpack('a4a4nCC', $reg->[1]);
    is("$fmt $type $priming $ver", "apad $atype 0 0",
       "... apad, $atype, priming 0, version 0");
    my $mp4 = VodTest::_read("$dir/media/$title/$name.mp4");
    my $at = index($mp4, $box);
    my $blen = $at > 4 ? unpack('N', substr($mp4, $at - 4, 4)) - 8 : -1;
    is(unpack('H*', substr($reg->[1], 12)),
       unpack('H*', substr($mp4, $at + 4, $blen)),
       "... the setup data: the file's $box fields");
    is($len, $blen, '... its length said');
    ok(!grep({ $_->[0] == 5 && $_->[1] =~ /^(?:AC-3|EAC3)/ } @ad),
       '... no Dolby registration descriptor');
    my ($c) = grep { $_->{pid} == 0x101 } @{ pmt($clear) };
    is(sprintf('0x%02x', $c->{type} // 0),
       $name eq 'ac3' ? '0x81' : '0x87', '... the clear PMT unchanged');

    # each PES one syncframe: its first 16 bytes clear, the next block not
    my $ce = es_of($clear, 0x101);
    my $ee = es_of($enc, 0x101);
    is(length $ee, length $ce, '... the audio as long as clear');
    is(unpack('H*', substr($ee, 0, 16)), unpack('H*', substr($ce, 0, 16)),
       '... the first syncframe\'s 16 bytes clear');
    isnt(unpack('H*', substr($ee, 16, 16)),
         unpack('H*', substr($ce, 16, 16)), '... the next block encrypted');

    # every syncframe (one a PES; the clear segment has several in one)
    # decrypted by openssl with the key and the playlist's IV, the last
    # one of the stream too
    my ($pl) = get("/dd/$title/audiots-$name.m3u8")->{content}
               =~ /IV=0x([0-9a-f]{32})/;
    my $key = unpack('H*', substr(hmac_sha256('vodedge-hls-key' . $title,
                                              $secret), 0, 16));
    my @ef = pes_of($enc, 0x101);
    my $dec = '';
    for my $e (@ef) {
        my $n = int((length($e) - 16) / 16) * 16;
        spit("$dir/frame.bin", substr($e, 16, $n));
        $dec .= substr($e, 0, 16)
                . `openssl enc -d -aes-128-cbc -nopad -K $key -iv $pl \\
                   -in $dir/frame.bin`
                . substr($e, 16 + $n);
    }
    ok(@ef > 10 && $dec eq $ce, '... openssl decrypts each of the '
       . scalar(@ef)
       . ' syncframes to the clear one');
}

my @log = VodTest::nginx_stop($dir);
is(scalar(grep { /\[(?:alert|crit|emerg)\]/ } @log), 0,
   'no alert, crit or emerg');
is(scalar(grep { /\[error\]/ } @log), 0, 'no error line');

done_testing();
