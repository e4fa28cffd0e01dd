package ThumbTest;

# Helpers of the suites on pictures the packager decodes (t/015
# thumbnails, t/020 tile sheets): the RGB pixels ffmpeg decodes from a
# picture or a title at a time, their PSNR, and summaries of a JPEG body
# that the blocks compare through `--- response_body_filters eval`.
# Exported into the suite, so the blocks name them main::frame_check and
# the like.

use strict;
use warnings;

use Exporter 'import';
use File::Path ();
use File::Temp ();
use FindBin ();

our @EXPORT = qw(rgb psnr bias jpeg_file frame_check probe tile_check
                 jpeg_encoder jpeg_tables thread_nices expected_nices
                 thread_policies);

# a packager built without FFmpeg has no thumbnails: the suite is skipped
# (t/016 checks that it says so); call from a BEGIN block
sub skip_without_ffmpeg {
    my ($so) = grep { /ngx_vod_package_module\.so$/ }
               split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    $so //= "$FindBin::Bin/../modules/ngx_vod_package_module.so";
    if (`ldd $so 2>/dev/null` !~ /libavcodec/) {
        require Test::More;
        Test::More::plan(skip_all => "$so is built without FFmpeg");
    }
}

# $TEST_NGINX_BROKEN/broken/360p.mp4, made from $media/video/360p.mp4
# with its first key frame's bytes (after its first 64) overwritten by
# pseudo-random ones; the moov and every other frame are intact.  Call
# from a BEGIN block; the directory goes when the suite ends
our $Broken;

sub broken_title {
    my ($media) = @_;

    $Broken = File::Temp::tempdir('vodthumb-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    chmod 0755, $Broken;
    mkdir "$Broken/broken" or die "$Broken/broken: $!";

    my $src = "$media/video/360p.mp4";
    my $pkt = `ffprobe -v error -select_streams v:0 -read_intervals %+#1 -show_packets -show_entries packet=pos,size -of default=nw=1 $src`;
    my ($first_pos) = $pkt =~ /^pos=(\d+)$/m;
    my ($first_size) = $pkt =~ /^size=(\d+)$/m;
    die "no first packet in $src" unless $first_pos && $first_size > 64;

    open my $in, '<:raw', $src or die "$src: $!";
    local $/;
    my $data = <$in>;
    close $in;

    srand(13);
    substr($data, $first_pos + 64, $first_size - 64)
        = pack('C*', map { int rand 256 } 1 .. $first_size - 64);

    open my $out, '>:raw', "$Broken/broken/360p.mp4" or die "$!";
    print $out $data;
    close $out;

    $ENV{TEST_NGINX_BROKEN} = $Broken;
}

# Titles made by ffmpeg at test time (t/029, t/030): a temporary
# directory, named in $ENV{$var} for the suite's config; each run is the
# arguments after ffmpeg's own (quiet, overwriting), "DIR" at the start
# of one standing for the directory, whose subdirectories are made as
# the outputs need them.  Call from a BEGIN block; returns the directory.
sub make_titles {
    my ($var, @runs) = @_;
    my $dir = File::Temp::tempdir('vodtitles-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    chmod 0755, $dir;
    # SVT-AV1 prints its configuration unless told errors only
    local $ENV{SVT_LOG} = 1;
    for my $run (@runs) {
        my @args = map { s/^DIR/$dir/r } @$run;
        my ($out) = $args[-1] =~ m{^(.*)/};
        File::Path::make_path($out);
        system('ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'error',
               '-y', @args) == 0 or die "ffmpeg failed: @args";
    }
    $ENV{$var} = $dir;
    return $dir;
}

# The config of a suite on make_titles()' titles: /$loc/ with
# thumbnails (and the directives in $loc_extra), /tiles/ with sheets of
# 2 x 1 tiles 160 wide a second (and the directives in $extra), and
# /raw/ with thumbnails not tone mapped (vod_thumbnail_tone_map off);
# every block runs with it unless it has its own.  And main::frame and
# main::tile, frame_check() and tile_check() of a title named under the
# directory.
sub serve_titles {
    my ($var, $loc, $extra, $loc_extra) = @_;
    $extra //= '';
    $loc_extra //= '';
    default_config(<<"_EOC_");
    location /$loc/ {
        alias \$$var/;
        vod_package;
        vod_thumbnails on;
        $loc_extra
        aio threads;
    }
    location /tiles/ {
        alias \$$var/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 2x1;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        $extra
        aio threads;
    }
    location /raw/ {
        alias \$$var/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tone_map off;
        aio threads;
    }
_EOC_
    my $dir = $ENV{$var};
    no strict 'refs';
    no warnings 'redefine';
    *{'main::frame'} = sub { frame_check("$dir/$_[0]", @_[1 .. $#_]) };
    *{'main::tile'} = sub { tile_check("$dir/$_[0]", @_[1 .. $#_]) };
}

# "NAME VALUES" a line for each title $dir/NAME$suffix: its video
# stream's $fields (ffprobe's -show_entries stream=...) as ffprobe reads
# them, the source a suite's first block shows it made
sub video_fields {
    my ($dir, $fields, $suffix, @names) = @_;
    return CORE::join '', map {
        my $p = `ffprobe -v error -select_streams v:0 -show_entries stream=$fields -of csv=p=0 $dir/$_$suffix`;
        "$_ $p";
    } @names;
}

# every block of the suite runs with $config unless it has its own
sub default_config {
    my ($config) = @_;
    main::add_block_preprocessor(sub {
        my $block = shift;
        $block->set_value('config', $config) unless defined $block->config;
    });
}

# 1: the frames of rgb() are found by decoding from the start (-ss after
# -i), not by ffmpeg's seek to the key frame before $t, which for an open
# GOP's leading picture lands on its CRA and drops it (t/028)
our $SeekFromStart = 0;

# 1: a title's frame as stored, not turned as its tkhd matrix shows it
# (ffmpeg turns it by default; t/032)
our $Stored = 0;

# 1: $t is a presentation time of the file (ffmpeg -seek_timestamp), not
# an offset from its first; they differ where an empty edit delays every
# track (t/033)
our $SeekTimestamp = 0;

# the RGB pixels of a picture file (or of the frame of $src at $t seconds)
# as ffmpeg decodes them, through the filter graph $vf when given
sub rgb {
    my ($src, $t, $vf) = @_;
    my @ss = defined $t ? ('-ss', $t) : ();
    my @vf = defined $vf ? ('-vf', $vf) : ();
    my @in = $SeekFromStart ? ('-i', $src, @ss) : (@ss, '-i', $src);
    unshift @in, '-noautorotate' if $Stored;
    unshift @in, '-seek_timestamp', '1' if $SeekTimestamp;
    open my $fh, '-|', 'ffmpeg', '-nostdin', '-v', 'error', @in,
        '-frames:v', '1', @vf, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'
        or die "ffmpeg: $!";
    binmode $fh;
    local $/;
    my $raw = <$fh>;
    close $fh;
    return $raw;
}

sub psnr {
    my ($a, $b) = @_;
    return 0 if length $a != length $b || length $a == 0;
    my @a = unpack 'C*', $a;
    my @b = unpack 'C*', $b;
    my $sum = 0;
    for my $i (0 .. $#a) {
        my $d = $a[$i] - $b[$i];
        $sum += $d * $d;
    }
    return 99 if $sum == 0;
    return 10 * log(255 * 255 * @a / $sum) / log(10);
}

# the largest difference of the two pictures' means of R, G or B, in
# levels: a colour cast that PSNR forgives (chroma stretched around the
# wrong centre shifts every pixel by a few levels, within 40 dB) is a
# level or more; a faithful picture's is under half a level (0.02 to 0.46
# over the pictures of t/015, t/020 and t/028)
our $MaxBias = 1.0;

sub bias {
    my ($x, $y) = @_;
    return 255 if length $x != length $y || length $x == 0;
    my @x = unpack 'C*', $x;
    my @y = unpack 'C*', $y;
    my @sum = (0, 0, 0);
    for my $i (0 .. $#x) {
        $sum[$i % 3] += $x[$i] - $y[$i];
    }
    my $n = @x / 3;
    my $max = 0;
    for my $s (@sum) {
        $max = abs($s / $n) if abs($s / $n) > $max;
    }
    return $max;
}

# "match", or why not: PSNR under $db, or a colour cast
sub verdict {
    my ($mine, $want, $db) = @_;
    my $p = psnr($mine, $want);
    return sprintf('differs %.1f dB', $p) if $p < $db;
    my $c = bias($mine, $want);
    return sprintf('cast of %.1f levels', $c) if $c > $MaxBias;
    return 'match';
}

# the picture in a file named by its format (a WebP is a RIFF file):
# ffmpeg's image demuxer goes by the extension
sub jpeg_file {
    my ($body) = @_;
    my $suffix = substr($body, 0, 4) eq 'RIFF' ? '.webp' : '.jpg';
    my ($fh, $name) = File::Temp::tempfile('vodthumb-XXXXXX', TMPDIR => 1,
                                           SUFFIX => $suffix, UNLINK => 1);
    binmode $fh;
    print $fh $body;
    close $fh;
    return $name;
}

# "WxH range PSNR-verdicts": the body against ffmpeg's frame of $src at
# $t (at least 40 dB) and at each of @others (under 40 dB); $src is under
# $TEST_NGINX_MEDIA unless absolute
sub frame_check {
    my ($src, $t, @others) = @_;
    return sub {
        my ($body) = @_;
        my $jpg = jpeg_file($body);
        my $probe = `ffprobe -v error -show_entries stream=width,height,color_range -of csv=p=0 $jpg`;
        chomp $probe;
        my $mine = rgb($jpg);
        my $media = $src =~ m{^/} ? '' : $ENV{TEST_NGINX_MEDIA};
        my $out = "$probe " . verdict($mine, rgb("$media/$src", $t), 40);
        for my $o (@others) {
            my $q = psnr($mine, rgb("$media/$src", $o));
            $out .= $q < 40 ? ' other' : sprintf(' same-as-%s %.1f dB', $o, $q);
        }
        return "$out\n";
    };
}

# "WxH range"
sub probe {
    my ($body) = @_;
    my $jpg = jpeg_file($body);
    my $probe = `ffprobe -v error -show_entries stream=width,height,pix_fmt,color_range -of csv=p=0 $jpg`;
    return $probe;
}

# "WxH PSNR-verdicts" of a tile sheet: its size, then its w x h tile at
# x,y against ffmpeg's frame of $src at $t scaled to w x h (at least $db
# dB) and at each of @others (under it)
sub tile_check {
    my ($src, $db, $x, $y, $w, $h, $t, @others) = @_;
    return sub {
        my ($body) = @_;
        my $jpg = jpeg_file($body);
        my $probe = `ffprobe -v error -show_entries stream=width,height -of csv=p=0 $jpg`;
        chomp $probe;
        my $mine = rgb($jpg, undef, "crop=$w:$h:$x:$y");
        my $media = $src =~ m{^/} ? '' : $ENV{TEST_NGINX_MEDIA};
        my $vf = "scale=$w:$h:flags=bicubic:out_range=full,format=yuvj420p";
        my $want = rgb("$media/$src", $t, $vf);
        my $out = "$probe " . verdict($mine, $want, $db);
        for my $o (@others) {
            my $q = psnr($mine, rgb("$media/$src", $o, $vf));
            $out .= $q < $db ? ' other' : sprintf(' same-as-%s %.1f dB', $o, $q);
        }
        return "$out\n";
    };
}

# the JPEG encoder the packager under test was built with: "libjpeg"
# (libjpeg-turbo, which the module links itself) or "lavc" (FFmpeg's mjpeg encoder, which
# writes a "Lavc" comment)
sub jpeg_encoder {
    my ($so) = grep { /ngx_vod_package_module\.so$/ }
               split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    $so //= "$FindBin::Bin/../modules/ngx_vod_package_module.so";
    # its own NEEDED entries: libavcodec may pull libjpeg in too
    return `readelf -d $so 2>/dev/null` =~ /NEEDED.*\blibjpeg/
           ? 'libjpeg' : 'lavc';
}

# ISO/IEC 11172-2's default intra matrix in zigzag order (a DQT's order)
my @mpeg1_intra_zigzag = (
     8, 16, 16, 19, 16, 19, 22, 22, 22, 22, 22, 22, 26, 24, 26, 27,
    27, 27, 26, 26, 26, 26, 27, 27, 27, 29, 29, 29, 34, 34, 34, 29,
    29, 29, 27, 27, 29, 29, 32, 32, 34, 34, 37, 38, 37, 35, 35, 34,
    35, 38, 38, 40, 40, 40, 48, 48, 46, 46, 56, 56, 58, 69, 69, 83);

# "ENCODER tables=N comps=T,T,T qS" of a JPEG body: who wrote it (a
# "Lavc" comment: FFmpeg's mjpeg encoder), how many quantisation tables
# it has, the table each component uses, and the quantiser scale S of
# FFmpeg's mjpeg encoder (-q:v) whose table table 0 is (DC 8, each AC
# step the MPEG-1 intra matrix's times S over 8), or "q?"
sub jpeg_tables {
    my ($body) = @_;
    my ($lavc, %dqt, @comps) = (0);
    my $i = 2;
    while ($i + 4 <= length $body) {
        my ($ff, $m, $len) = unpack 'CCn', substr($body, $i, 4);
        last if $ff != 0xff || $m == 0xda;
        my $seg = substr($body, $i + 4, $len - 2);
        $lavc = 1 if $m == 0xfe && $seg =~ /^Lavc/;
        if ($m == 0xdb) {
            for (my $j = 0; $j + 65 <= length $seg; $j += 65) {
                $dqt{ord(substr($seg, $j, 1)) & 15}
                    = [ unpack 'C64', substr($seg, $j + 1, 64) ];
            }
        }
        if ($m == 0xc0) {
            my $n = ord substr($seg, 5, 1);
            @comps = map { ord substr($seg, 6 + 3 * $_ + 2, 1) } 0 .. $n - 1;
        }
        $i += 2 + $len;
    }
    my $scale = '?';
    for my $s (1 .. 31) {
        my @want = (8, map { int($mpeg1_intra_zigzag[$_] * $s / 8) || 1 }
                           1 .. 63);
        if ($dqt{0} && "@{$dqt{0}}" eq "@want") {
            $scale = $s;
            last;
        }
    }
    return sprintf "%s tables=%d comps=%s q%s\n", $lavc ? 'lavc' : 'libjpeg',
                   scalar keys %dqt, join(',', @comps), $scale;
}

# The nice values of the test nginx's worker threads, as a line for a
# body filter: "main=N" for the thread that runs the event loop (its tid
# is the worker's pid), then "raised=N" per other thread whose nice
# differs from main's, sorted (none: "raised=none")
sub thread_nices {
    my $worker = _worker();
    my ($main, @raised);
    for my $task (glob("/proc/$worker/task/*")) {
        my ($tid) = $task =~ m{/(\d+)$};
        my $nice = (_stat("$task/stat"))[16];
        if ($tid == $worker) { $main = $nice } else { push @raised, $nice }
    }
    @raised = sort { $a <=> $b } grep { $_ != $main } @raised;
    return "main=$main raised=" . (@raised ? join(',', @raised) : 'none')
           . "\n";
}

# The scheduling policies of the test nginx's worker threads: "main=P"
# for the event loop's thread (0: SCHED_OTHER), then "idle=N", the number
# of other threads in SCHED_IDLE (5), as a line for a body filter
sub thread_policies {
    my $worker = _worker();
    my ($main, $idle) = (undef, 0);
    for my $task (glob("/proc/$worker/task/*")) {
        my ($tid) = $task =~ m{/(\d+)$};
        # policy is stat's field 41, the 39th after the command
        my $policy = (_stat("$task/stat"))[38];
        if ($tid == $worker) { $main = $policy } elsif ($policy == 5) { $idle++ }
    }
    return "main=$main idle=$idle\n";
}

# thread_nices()'s line when the pool's threads are raised to nice: the
# test nginx runs at this process's nice (a suite run under nice(1), say)
# and threads already there are left as they are
sub expected_nices {
    my ($nice) = @_;
    my $main = getpriority(0, 0);
    return "main=$main raised="
           . ($nice > $main ? $nice : 'none') . "\n";
}

# the test nginx's worker's pid (its event loop's tid)
sub _worker {
    my $root = $Test::Nginx::Socket::ServRoot;
    open my $fh, '<', "$root/logs/nginx.pid" or die "nginx.pid: $!";
    my $master = <$fh> + 0;
    close $fh;
    my ($worker) = grep { (_stat("/proc/$_/stat"))[1] == $master }
                   map { m{/proc/(\d+)$} ? $1 : () } glob('/proc/[0-9]*');
    die "no worker of $master\n" unless $worker;
    return $worker;
}

# /proc/PID/stat's fields after the command's ")": state, ppid, ...
sub _stat {
    my ($file) = @_;
    open my $fh, '<', $file or return (undef, -1);
    my $line = <$fh> // '';
    close $fh;
    $line =~ s/^.*\) //s;
    return split ' ', $line;
}

1;
