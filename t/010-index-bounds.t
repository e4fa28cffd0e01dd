# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: the index build is bounded by the moov (README, "Index
# memory and time").  Hostile files crafted here, into a temporary
# directory, describe many samples in few bytes: a 6 KB moov of 16 tracks
# that asked for 218 MB (now 502 and one error line naming the file), and
# 400k samples in one chunk, a 2 MB file that took seconds to index at
# 1 s segments (now linear: well inside the timeout).  An index over half of the
# vod_index_cache zone is refused (502, one line naming the zone), in the
# worker and from a thread; a normal title keeps working beside them.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

# mdat first (zeros), then a moov of AAC tracks: each has one stts run of
# $samples samples of $delta ms, one stsc run over $chunks chunks at the
# mdat's start, and a stsz of constant $size (0: one byte listed per
# sample).  $claim, when set, is the stts entry count.
sub box {
    my ($type, @body) = @_;
    my $body = join '', @body;
    return pack('N', 8 + length $body) . $type . $body;
}

sub craft {
    my (%c) = @_;
    my $spc = int($c{samples} / $c{chunks});
    my $esds = box('esds', pack('N', 0), pack('n', 0x0319), "\0" x 3,
                   pack('n', 0x0411), pack('CC', 0x40, 0x15), "\0" x 11,
                   pack('nn', 0x0502, 0x1190), pack('CCC', 6, 1, 2));
    my $mp4a = box('mp4a', "\0" x 6, pack('n', 1), "\0" x 8,
                   pack('nn', 2, 16), "\0" x 4, pack('N', 48000 << 16),
                   $esds);
    my $stsz = $c{size}
        ? pack('NNN', 0, $c{size}, $c{samples})
        : pack('NNN', 0, 0, $c{samples}) . pack('N', 1) x $c{samples};
    my @traks;
    for my $i (1 .. $c{tracks}) {
        my $stbl = box('stbl',
            box('stsd', pack('NN', 0, 1), $mp4a),
            box('stts', pack('NNNN', 0, $c{claim} // 1, $c{samples},
                             $c{delta})),
            box('stsc', pack('NNNNN', 0, 1, 1, $spc, 1)),
            box('stsz', $stsz),
            box('stco', pack('NN', 0, $c{chunks}),
                pack('N', 8) x $c{chunks}));
        push @traks, box('trak',
            box('tkhd', "\0" x 12, pack('N', $i), "\0" x 64),
            box('mdia',
                box('mdhd', "\0" x 12, pack('NNnn', 1000, 0, 0x55c4, 0)),
                box('hdlr', "\0" x 8, 'soun', "\0" x 13),
                box('minf', $stbl)));
    }
    return box('mdat', "\0" x $c{mdat}) . box('moov', @traks);
}

BEGIN {
    my $dir = File::Temp::tempdir('vodbounds-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    chmod 0755, $dir;
    my %files = (
        # 6 KB of moov: a segment per sample, 16 tracks
        tracks16 => { tracks => 16, samples => 200000, delta => 10000,
                      size => 1, chunks => 1, mdat => 200000 },
        # 2 MB: 400k samples listed in stsz, all in one chunk
        onechunk => { tracks => 1, samples => 400000, delta => 100,
                      size => 0, chunks => 1, mdat => 400000 },
        # an stts entry count far beyond its box
        counts   => { tracks => 1, samples => 1000, delta => 20,
                      size => 1, chunks => 1, mdat => 1000,
                      claim => 0x10000000 },
    );
    for my $t (sort keys %files) {
        mkdir "$dir/$t" or die "$dir/$t: $!";
        open my $fh, '>', "$dir/$t/audio.mp4" or die "$t: $!";
        binmode $fh;
        print $fh craft(%{ $files{$t} });
        close $fh or die "$t: $!";
    }
    $ENV{TEST_NGINX_BOUNDS} = $dir;
    VodTest::media();
}

repeat_each(2);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    vod_index_cache vod_index:16m;
_EOC_

our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
    }
    location /bounds/ {
        alias $TEST_NGINX_BOUNDS/;
        vod_package;
        vod_segment_duration 1s;
    }
    location /threads/ {
        alias $TEST_NGINX_BOUNDS/;
        vod_package;
        vod_segment_duration 1s;
        aio threads;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('timeout', 3) unless defined $block->timeout;
});

run_tests();

__DATA__

=== TEST 1: 16 tracks of constant-size samples, 6 KB of moov: 502, one line
--- request
GET /bounds/tracks16/master.m3u8
--- error_code: 502
--- error_log eval
[qr{\[error\].*tracks16/audio\.mp4": index needs over \d+ bytes \(},
 qr{\), the bound for a moov of 5896 bytes}]
--- grep_error_log: [error]
--- grep_error_log_out
[error]
--- no_error_log
[alert]
[crit]



=== TEST 2: the same from a thread: 502, one line
--- request
GET /threads/tracks16/manifest.mpd
--- error_code: 502
--- error_log eval
qr{\[error\].*tracks16/audio\.mp4": index needs over}
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 3: 400k samples in one chunk: indexed in linear time
--- request
GET /bounds/onechunk/master.m3u8
--- error_code: 200
--- no_error_log
[error]



=== TEST 4: an stts count beyond its box: 502, one line
--- request
GET /bounds/counts/master.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*counts/audio\.mp4": track 1: stts entry count \d+ overruns}
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 5: a normal title beside them: 200
--- request
GET /vod/demo/master.m3u8
--- error_code: 200
--- no_error_log
[error]



=== TEST 6: an index over half the cache zone: 502, one line naming the zone
--- http_config
    vod_index_cache small:2m;
--- request
GET /bounds/onechunk/master.m3u8
--- error_code: 502
--- error_log eval
[qr{\[error\].*onechunk/audio\.mp4": index of \d+ bytes is over half of },
 qr{ of vod_index_cache "small" of 2097152 bytes, refused}]
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 7: the same from a thread
--- http_config
    vod_index_cache small:2m;
--- request
GET /threads/onechunk/master.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*onechunk/audio\.mp4": index of \d+ bytes is over half of }
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 8: a normal title in the small zone: 200
--- http_config
    vod_index_cache small:2m;
--- request
GET /vod/demo/master.m3u8
--- error_code: 200
--- no_error_log
[error]
