package VodTest;

# Helpers shared by the ngx_vod_package suites: hostile fixture titles and
# summaries of playlists, MPDs, MP4 boxes and MPEG-TS packets that the
# blocks compare through `--- response_body_filters eval`.  Plain Perl, so
# the suites run the same under CPAN's Test::Nginx and under t/lib's runner.

use strict;
use warnings;

use File::Temp ();
use FindBin ();
use File::Spec ();
use Cwd ();

our $Media;
our $Hostile;

# where tools/test.sh put the fixtures (tools/mkmedia.sh)
sub media {
    $Media //= $ENV{TEST_NGINX_MEDIA}
        // File::Spec->catdir(Cwd::cwd(), 'build', 'media');
    $Media = Cwd::abs_path($Media) // $Media;
    $ENV{TEST_NGINX_MEDIA} = $Media;
    die "no fixtures in $Media (run make fixtures or tools/test.sh)\n"
        unless -f "$Media/demo/360p.mp4";
    return $Media;
}

# A private nginx with the origin module, for the suites that walk titles
# with their own requests (t/006, t/007): nginx_dir($prefix) makes its
# directory (readable by the worker), nginx_start($dir, $http) writes an
# nginx.conf around $http (server blocks and the like; the error log at
# debug level) and starts it, nginx_stop($dir) stops it and returns the
# lines of its error log.  titles() lists the fixture titles.
sub nginx_dir {
    my ($prefix) = @_;
    my $dir = File::Temp::tempdir("$prefix-XXXXXX", TMPDIR => 1,
                                  CLEANUP => 1);
    mkdir "$dir/logs";
    chmod 0755, $dir;
    return $dir;
}

# an nginx of one worker in DIR (nginx_dir), $http in its http block and
# $main, if given, before it (thread_pool, say)
sub nginx_start {
    my ($dir, $http, $main) = @_;
    $main //= '';
    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my ($so) = grep { /ngx_vod_package_module\.so$/ }
               split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    $so //= "$FindBin::Bin/../modules/ngx_vod_package_module.so";
    _write("$dir/nginx.conf", <<"_EOC_");
load_module $so;
worker_processes 1;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log debug;
$main
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;
$http
}
_EOC_
    system($nginx, '-p', "$dir/", '-c', "$dir/nginx.conf", '-e',
           "$dir/logs/error.log") == 0 or die "nginx did not start\n";
}

# nginx_start() for the suites on requests that wait for thread tasks
# (t/039, t/041): a server of $listen's lines (and $extra's locations)
# with /t/, thumbnails and "aio threads" on a pool of one thread ("one"),
# and /plain/, the same on the default pool: what a plain request gets
sub wait_server {
    my ($dir, $listen, $extra) = @_;
    my $media = media();
    $extra //= '';
    nginx_start($dir, <<"_EOC_", "    thread_pool one threads=1;\n");
    server {
$listen
$extra
        location /t/ {
            alias $media/;
            vod_package;
            aio threads=one;
            vod_thumbnails on;
        }
        location /plain/ {
            alias $media/;
            vod_package;
            vod_thumbnails on;
            vod_thumbnail_thread_pool default;
        }
    }
_EOC_
}

# the lines DIR's error log got since the offset $$off, which moves on
sub log_since {
    my ($dir, $off) = @_;
    open my $fh, '<', "$dir/logs/error.log" or die $!;
    seek $fh, $$off, 0;
    my @lines = <$fh>;
    $$off = tell $fh;
    close $fh;
    return @lines;
}

sub nginx_stop {
    my ($dir) = @_;
    kill 'QUIT', _read("$dir/logs/nginx.pid") + 0;
    sleep 1;
    return split /^/m, _read("$dir/logs/error.log");
}

sub titles {
    my $media = media();
    opendir my $dh, $media or die "$media: $!";
    my @titles = sort grep { !/^\./ && -d "$media/$_" } readdir $dh;
    closedir $dh;
    return @titles;
}

# Python for posix_fadvise and mincore, which Perl's POSIX lacks: pages()
# is the page cache's residency of an open file, one 0 or 1 a page
my $PagesPy = <<'_EOP_';
import ctypes, mmap, os, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
page = os.sysconf('SC_PAGE_SIZE')
def pages(fd, size):
    if size == 0:
        return []
    addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), 'mmap')
    vec = ctypes.create_string_buffer((size + page - 1) // page)
    rc = libc.mincore(addr, size, vec)
    libc.munmap(addr, size)
    if rc != 0:
        raise OSError(ctypes.get_errno(), 'mincore')
    return [b & 1 for b in vec.raw]
def resident(fd, size):
    return sum(pages(fd, size))
_EOP_

# Drops a title's renditions from the page cache, so that the next read of
# them under "aio threads" goes to a thread: each file is synced, then
# posix_fadvise(DONTNEED), then mincore() counts its pages still resident;
# again after a pause, as readahead started by an earlier read may still be
# filling pages in.  Returns whether every page is out: not on tmpfs, say.
my $DropPy = $PagesPy . <<'_EOP_';
left = 0
for attempt in range(5):
    left = 0
    for f in sys.argv[1:]:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            left += resident(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
    if left == 0:
        time.sleep(0.02)
        left = 0
        for f in sys.argv[1:]:
            fd = os.open(f, os.O_RDONLY)
            left += resident(fd, os.fstat(fd).st_size)
            os.close(fd)
        if left == 0:
            break
print(left)
_EOP_

sub drop_cache {
    my ($dir) = @_;
    my @files = glob "$dir/*.mp4";
    return 0 unless @files;
    open my $py, '-|', 'python3', '-c', $DropPy, @files or return 0;
    my $left = <$py>;
    close $py or return 0;
    return defined $left && $left =~ /^0$/;
}

# Reads the moov of an MP4 out of the page cache (drop_cache() first),
# readahead off: its pages in, none of the samples' after it.  Returns
# whether that is so.
my $MoovPy = $PagesPy . <<'_EOP_';
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
off = 0
while True:
    size, kind = struct.unpack('>I4s', os.pread(fd, 8, off))
    if kind == b'moov':
        os.pread(fd, size, off)
        break
    off += size
res = pages(fd, os.fstat(fd).st_size)
os.close(fd)
first, last = off // page, (off + size - 1) // page
print(int(all(res[first:last + 1]) and not any(res[last + 1:])))
_EOP_

sub moov_only_cached {
    my ($file) = @_;
    open my $py, '-|', 'python3', '-c', $MoovPy, $file or return 0;
    my $ok = <$py>;
    close $py or return 0;
    return defined $ok && $ok =~ /^1$/;
}

# An exclusive lock, held while the handle returned lives, for the suites
# that drop titles of the shared test media from the page cache (t/006,
# t/007): run side by side (prove -j2, tools/mutate.sh's workers), one
# would drop the files under the other's feet, and a read the other
# expects from the page cache would go to the disk.  In /tmp, which the
# namespaces of tools/isolate.sh share.
sub page_cache_lock {
    require Fcntl;
    my $path = ($ENV{TMPDIR} // '/tmp') . '/vodedge-page-cache.lock';
    open my $fh, '>>', $path or die "$path: $!\n";
    flock($fh, Fcntl::LOCK_EX()) or die "flock $path: $!\n";
    return $fh;
}

# the number of lines matching RE the log of nginx_dir DIR got since the
# offset in the scalar OFF refers to; moves OFF to the end
sub log_count {
    my ($dir, $off, $re) = @_;
    open my $fh, '<', "$dir/logs/error.log" or return 0;
    seek $fh, $$off, 0;
    my $n = 0;
    while (my $line = <$fh>) {
        $n++ if $line =~ $re;
    }
    $$off = tell $fh;
    close $fh;
    return $n;
}

# a check that cannot be made here: skipped, but failed in CI (CI=true),
# where every check must run
sub cannot {
    my ($why) = @_;
    if (($ENV{CI} // '') eq 'true') {
        Test::More::fail("$why (CI=true: not skipped)");
    } else {
        Test::More::diag("SKIP: $why");
    }
}

sub _write {
    my ($path, $data) = @_;
    open my $fh, '>', $path or die "$path: $!";
    binmode $fh;
    print $fh $data;
    close $fh or die "$path: $!";
}

# a file's bytes, written whole (for the suites)
sub spit { _write(@_) }

# the packets ffmpeg reads from a file or URL, one "stream, dts, pts,
# duration, size, md5" line each, without side data; with $key (16
# bytes) as -decryption_key (Common Encryption)
sub framemd5 {
    my ($file, $key) = @_;
    my @cmd = ('ffmpeg', '-v', 'quiet', ($key ? ('-decryption_key',
               unpack('H*', $key)) : ()), '-i', $file, '-map', '0',
               '-c', 'copy', '-f', 'framemd5', '-');
    open my $fh, '-|', @cmd or die "ffmpeg: $!";
    my @sums;
    while (<$fh>) {
        next if /^#/;
        chomp;
        my @f = split /\s*,\s*/;
        push @sums, join(',', @f[0 .. 5]);
    }
    close $fh;
    return join("\n", @sums);
}

# "D D ... = SUM": a playlist's EXTINFs and their sum, to the ms
sub extinfs {
    my ($body) = @_;
    my @d = $body =~ /^#EXTINF:([0-9.]+),/mg;
    my $sum = 0;
    $sum += $_ for @d;
    return join(' ', @d) . sprintf(" = %.3f\n", $sum);
}

sub _read {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    binmode $fh;
    local $/;
    my $d = <$fh>;
    close $fh;
    return $d;
}

# Titles made for one test file in a fresh directory; sets
# $ENV{TEST_NGINX_HOSTILE} to it.
#   trunc/360p.mp4     cut in the middle of its moov
#   empty/360p.mp4     zero bytes
#   garbage/360p.mp4   4 KiB of pseudo-random bytes
#   mpeg4/360p.mp4     MPEG-4 part 2 video (not packaged: 415)
#   badjson/           a good 360p.mp4 and a malformed title.json
#   json/              title.json naming the 360p file "sd"
#   jsonextra/         the same with a subtitle whose "lang" title.json
#                      does not know (refused)
#   mixed/             good 360p.mp4 and a truncated 720p.mp4
sub make_titles {
    my $media = media();
    my $dir = File::Temp::tempdir('vodtest-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    chmod 0755, $dir;
    for my $t (qw(trunc empty garbage mpeg4 badjson json jsonextra mixed
                  mov)) {
        mkdir "$dir/$t" or die "$dir/$t: $!";
    }

    my $good = _read("$media/demo/360p.mp4");

    # cut half way into moov, wherever it is
    my ($off, $cut) = (0, undef);
    while ($off + 8 <= length $good) {
        my ($size, $type) = unpack 'Na4', substr($good, $off, 8);
        $size = unpack('Q>', substr($good, $off + 8, 8)) if $size == 1;
        last if $size < 8;
        if ($type eq 'moov') {
            $cut = $off + int($size / 2);
            last;
        }
        $off += $size;
    }
    die "no moov in $media/demo/360p.mp4" unless defined $cut;
    _write("$dir/trunc/360p.mp4", substr($good, 0, $cut));

    _write("$dir/empty/360p.mp4", '');

    srand(42);
    _write("$dir/garbage/360p.mp4",
           pack('C*', map { int rand 256 } 1 .. 4096));

    system('ffmpeg', '-hide_banner', '-loglevel', 'error', '-y',
           '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2',
           '-c:v', 'mpeg4', '-g', '25', "$dir/mpeg4/360p.mp4") == 0
        or die "ffmpeg (mpeg4) failed";

    _write("$dir/badjson/360p.mp4", $good);
    _write("$dir/badjson/title.json",
           '{"renditions": [{"id": "sd", "file": "360p.mp4"}');

    _write("$dir/json/360p.mp4", $good);
    _write("$dir/json/title.json",
           '{"renditions": [{"id": "sd", "file": "360p.mp4"}]}');

    _write("$dir/jsonextra/360p.mp4", $good);
    _write("$dir/jsonextra/title.json",
           '{"renditions": [{"id": "sd", "file": "360p.mp4"}], '
           . '"subtitles": [{"lang": "fr", "file": "360p.fr.vtt"}]}');

    _write("$dir/mixed/360p.mp4", $good);
    _write("$dir/mixed/720p.mp4", substr($good, 0, $cut));

    # a camera's file: renditions are *.mp4 unless title.json names them
    _write("$dir/mov/360p.mov", $good);

    $Hostile = $dir;
    $ENV{TEST_NGINX_HOSTILE} = $dir;
    return $dir;
}


# --- HLS --------------------------------------------------------------------

sub _attrs {
    my ($s) = @_;
    my %a;
    while ($s =~ /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g) {
        my ($k, $v) = ($1, $2);
        $v =~ s/^"|"$//g;
        $a{$k} = $v;
    }
    return \%a;
}

# One line per variant, sorted:
#   URI RESOLUTION=WxH CODECS=... FRAME-RATE=25.000 AUDIO=yes|no|none BW=ok
# and one per audio rendition:
#   AUDIO URI DEFAULT=YES
# plus "VERSION n".
sub hls_variants {
    my ($body) = @_;
    return "not a playlist\n" unless $body =~ /\A#EXTM3U\r?\n/;
    my @lines = split /\r?\n/, $body;
    my (@out, %groups, @pending);
    my $version = 'none';
    for (my $i = 0; $i < @lines; $i++) {
        my $l = $lines[$i];
        if ($l =~ /^#EXT-X-VERSION:(\d+)/) {
            $version = $1;
        } elsif ($l =~ /^#EXT-X-MEDIA:(.*)/) {
            my $a = _attrs($1);
            next unless ($a->{TYPE} // '') eq 'AUDIO';
            $groups{$a->{'GROUP-ID'} // ''} = 1;
            push @out, "AUDIO " . ($a->{URI} // 'no-uri')
                       . " DEFAULT=" . ($a->{DEFAULT} // 'NO');
        } elsif ($l =~ /^#EXT-X-STREAM-INF:(.*)/) {
            my $a = _attrs($1);
            my $uri = $lines[$i + 1] // '';
            my $fr = defined $a->{'FRAME-RATE'}
                   ? sprintf('%.3f', $a->{'FRAME-RATE'}) : 'none';
            my $bw = $a->{BANDWIDTH} // 0;
            my $avg = $a->{'AVERAGE-BANDWIDTH'} // 0;
            my $bwok = ($bw > 0 && $avg > 0 && $avg <= $bw) ? 'ok'
                                                           : "bad($bw/$avg)";
            push @pending, [$uri, sprintf('%s RESOLUTION=%s CODECS=%s '
                . 'FRAME-RATE=%s BW=%s', $uri, $a->{RESOLUTION} // 'none',
                lc($a->{CODECS} // 'none'), $fr, $bwok), $a->{AUDIO}];
        }
    }
    for my $p (@pending) {
        my $audio = !defined $p->[2] ? 'none'
                  : $groups{$p->[2]} ? 'yes' : 'no';
        push @out, "$p->[1] AUDIO=$audio";
    }
    return join '', "VERSION $version\n", map { "$_\n" } sort @out;
}

# A media playlist as:
#   VERSION n / TARGETDURATION n / MAP uri / <duration %.1f> <uri> ... /
#   ENDLIST
sub hls_media {
    my ($body) = @_;
    return "not a playlist\n" unless $body =~ /\A#EXTM3U\r?\n/;
    my @lines = split /\r?\n/, $body;
    my @out;
    for (my $i = 0; $i < @lines; $i++) {
        my $l = $lines[$i];
        if ($l =~ /^#EXT-X-VERSION:(\d+)/) {
            push @out, "VERSION $1";
        } elsif ($l =~ /^#EXT-X-TARGETDURATION:(\d+)/) {
            push @out, "TARGETDURATION $1";
        } elsif ($l =~ /^#EXT-X-MAP:(.*)/) {
            push @out, "MAP " . (_attrs($1)->{URI} // 'no-uri');
        } elsif ($l =~ /^#EXTINF:([0-9.]+)/) {
            my $d = $1;
            my $j = $i + 1;
            $j++ while $j < @lines && $lines[$j] =~ /^#/;
            push @out, sprintf('%.1f %s', $d, $lines[$j] // '');
            $i = $j;
        } elsif ($l =~ /^#EXT-X-ENDLIST/) {
            push @out, 'ENDLIST';
        }
    }
    return join '', map { "$_\n" } @out;
}


# --- DASH -------------------------------------------------------------------

sub _xml_tree {
    my ($xml) = @_;
    my $root = { name => '#root', attrs => {}, kids => [] };
    my @stack = ($root);
    $xml =~ s/<!--.*?-->//gs;
    $xml =~ s/<\?.*?\?>//gs;
    while ($xml =~ m{<(/?)([\w:]+)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>}g) {
        my ($close, $name, $attrs, $empty) = ($1, $2, $3, $4);
        $name =~ s/^\w+://;
        if ($close) {
            pop @stack if @stack > 1 && $stack[-1]{name} eq $name;
            next;
        }
        my %a;
        while ($attrs =~ /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g) {
            $a{$1} = $2 // $3;
        }
        my $node = { name => $name, attrs => \%a, kids => [],
                     parent => $stack[-1] };
        push @{ $stack[-1]{kids} }, $node;
        push @stack, $node unless $empty;
    }
    return $root;
}

sub _find {
    my ($node, $name) = @_;
    my @r;
    for my $k (@{ $node->{kids} }) {
        push @r, $k if $k->{name} eq $name;
        push @r, _find($k, $name);
    }
    return @r;
}

sub _kid {
    my ($node, $name) = @_;
    return (grep { $_->{name} eq $name } @{ $node->{kids} })[0];
}

# One line per Representation, sorted:
#   mimeType WxH codecs init=<url> first=<url> segments=N
# with the SegmentTemplate resolved the way a player does (the
# Representation ids themselves are the packager's business); plus
# "MPD type=static" and "TIMELINE yes|no".
sub mpd_summary {
    my ($body) = @_;
    my $root = _xml_tree($body);
    my ($mpd) = _find($root, 'MPD');
    return "not an MPD\n" unless $mpd;
    my @out;
    my $timeline = 'no';
    for my $as (_find($mpd, 'AdaptationSet')) {
        for my $rep (grep { $_->{name} eq 'Representation' }
                     @{ $as->{kids} }) {
            my %ra = (%{ $as->{attrs} }, %{ $rep->{attrs} });
            my $tpl = _kid($rep, 'SegmentTemplate')
                   // _kid($as, 'SegmentTemplate');
            my ($init, $first, $count) = ('none', 'none', 0);
            if ($tpl) {
                my $t = $tpl->{attrs};
                my $id = $ra{id} // '';
                my $start = $t->{startNumber} // 1;
                for ($init = $t->{initialization} // 'none',
                     $first = $t->{media} // 'none') {
                    s/\$RepresentationID\$/$id/g;
                    s/\$Number(%0(\d+)d)?\$/
                        defined $2 ? sprintf("%0$2d", $start) : $start/ge;
                }
                if (my $tl = _kid($tpl, 'SegmentTimeline')) {
                    $timeline = 'yes';
                    for my $s (grep { $_->{name} eq 'S' } @{ $tl->{kids} }) {
                        $count += 1 + ($s->{attrs}{r} // 0);
                    }
                }
            }
            my $size = defined $ra{width}
                     ? "$ra{width}x" . ($ra{height} // '?') : '-';
            push @out, sprintf('%s %s %s init=%s first=%s segments=%d',
                $ra{mimeType} // 'none', $size,
                lc($ra{codecs} // 'none'), $init, $first, $count);
        }
    }
    return join '', 'MPD type=' . ($mpd->{attrs}{type} // 'none') . "\n",
        "TIMELINE $timeline\n", map { "$_\n" } sort @out;
}


# --- MP4 and MPEG-TS ---------------------------------------------------------

my %container = map { $_ => 1 }
    qw(moov trak mdia minf stbl mvex moof traf edts dinf);

# The payload of the first box of a type below a path
# (box($init, qw(moov trak mdia minf stbl stsd))), undef when there is none.
sub box {
    my ($data, @path) = @_;
    my ($off, $end) = (0, length $data);
    my $type = shift @path;
    while ($off + 8 <= $end) {
        my ($size, $t) = unpack 'Na4', substr($data, $off, 8);
        last if $size < 8 || $off + $size > $end;
        if ($t eq $type) {
            my $payload = substr($data, $off + 8, $size - 8);
            return @path ? box($payload, @path) : $payload;
        }
        $off += $size;
    }
    return undef;
}

# The payloads of every box of a type at the top of $data.
sub boxes_all {
    my ($data, $type) = @_;
    my @out;
    my $off = 0;
    while ($off + 8 <= length $data) {
        my ($size, $t) = unpack 'Na4', substr($data, $off, 8);
        last if $size < 8;
        push @out, substr($data, $off + 8, $size - 8) if $t eq $type;
        $off += $size;
    }
    return @out;
}

# One line per box, by path ("moov/trak/mdia/hdlr vide",
# "moof/traf/tfdt 1234"), "truncated at N" on a bad size.
sub mp4_boxes {
    my ($data) = @_;
    my @out;
    _boxes(\$data, 0, length $data, '', \@out);
    return join '', map { "$_\n" } @out;
}

sub _boxes {
    my ($d, $off, $end, $prefix, $out) = @_;
    while ($off < $end) {
        if ($end - $off < 8) {
            push @$out, "truncated at $off";
            return;
        }
        my ($size, $type) = unpack 'Na4', substr($$d, $off, 8);
        my $hdr = 8;
        if ($size == 1) {
            $size = unpack 'Q>', substr($$d, $off + 8, 8);
            $hdr = 16;
        } elsif ($size == 0) {
            $size = $end - $off;
        }
        if ($size < $hdr || $off + $size > $end) {
            push @$out, "truncated at $off ($prefix$type)";
            return;
        }
        my $line = "$prefix$type";
        my $p = $off + $hdr;
        if ($type eq 'hdlr') {
            $line .= ' ' . substr($$d, $p + 8, 4);
        } elsif ($type eq 'tfdt') {
            my $v = unpack 'C', substr($$d, $p, 1);
            $line .= ' ' . ($v == 1 ? unpack('Q>', substr($$d, $p + 4, 8))
                                    : unpack('N', substr($$d, $p + 4, 4)));
        } elsif ($type eq 'mfhd') {
            $line .= ' ' . unpack('N', substr($$d, $p + 4, 4));
        }
        push @$out, $line;
        _boxes($d, $p, $off + $size, "$prefix$type/", $out)
            if $container{$type};
        $off += $size;
    }
}

# The track-level outline of an init segment, sorted: "ftyp",
# "moov/trak" once per track, "moov/trak/mdia/hdlr <type>", "mdat" if any.
sub mp4_tracks {
    my ($data) = @_;
    return join '', sort grep { m{^(?:ftyp|moov/trak|moov/trak/mdia/hdlr .*|mdat)$} }
        split /^/m, mp4_boxes($data);
}

# "packets N", "sync ok|bad at N", "first pid P", "streams 0x0f 0x1b"
sub ts_summary {
    my ($data) = @_;
    my $n = length $data;
    return "length $n is not a multiple of 188\n" if $n % 188 || !$n;
    my $sync = 'ok';
    my ($pmt_pid, %streams);
    for (my $o = 0; $o < $n; $o += 188) {
        if (substr($data, $o, 1) ne "\x47") {
            $sync = "bad at $o";
            last;
        }
        my ($b1, $b2, $b3) = unpack 'CCC', substr($data, $o + 1, 3);
        my $pid = (($b1 & 0x1f) << 8) | $b2;
        my $pusi = $b1 & 0x40;
        my $p = $o + 4;
        $p += 1 + unpack('C', substr($data, $p, 1)) if $b3 & 0x20;
        next unless $b3 & 0x10 && $pusi && $p < $o + 188;
        $p += 1 + unpack('C', substr($data, $p, 1));   # pointer field
        if ($pid == 0 && !defined $pmt_pid) {
            # PAT: first program entry after the 8-byte section header
            my ($prog, $ppid) = unpack 'nn', substr($data, $p + 8, 4);
            $pmt_pid = $ppid & 0x1fff;
        } elsif (defined $pmt_pid && $pid == $pmt_pid && !%streams) {
            my $seclen = unpack('n', substr($data, $p + 1, 2)) & 0x0fff;
            my $pil = unpack('n', substr($data, $p + 10, 2)) & 0x0fff;
            my $q = $p + 12 + $pil;
            my $qend = $p + 3 + $seclen - 4;
            while ($q + 5 <= $qend) {
                my ($st, $epid, $esil) = unpack 'Cnn', substr($data, $q, 5);
                $streams{sprintf '0x%02x', $st} = 1;
                $q += 5 + ($esil & 0x0fff);
            }
        }
    }
    my $first = ((unpack('n', substr($data, 1, 2))) & 0x1fff);
    return "packets " . ($n / 188) . "\nsync $sync\nfirst pid $first\n"
        . "streams " . join(' ', sort keys %streams) . "\n";
}

# an MPEG-TS segment's PES payloads of a PID, one by one (PES headers
# dropped)
sub pes_of {
    my ($ts, $want) = @_;
    my @pes;
    for (my $off = 0; $off + 188 <= length $ts; $off += 188) {
        my $pkt = substr($ts, $off, 188);
        my ($b1, $b3) = unpack('xnC', $pkt);
        next unless ($b1 & 0x1fff) == $want;
        my $p = 4;
        $p += 1 + unpack('C', substr($pkt, 4, 1)) if $b3 & 0x20;
        my $pl = substr($pkt, $p);
        if ($b1 & 0x4000) {
            my $hl = unpack('C', substr($pl, 8, 1));
            push @pes, substr($pl, 9 + $hl);
        } elsif (@pes) {
            $pes[-1] .= $pl;
        }
    }
    return @pes;
}

# the payload of a PID's PES packets, joined, PES headers dropped
sub es_of {
    return join('', pes_of(@_));
}

# an H.264 byte stream's NAL units
sub nals {
    my ($es) = @_;
    return grep { length } split /\x00\x00\x01/, $es;
}

# the attributes of an HLS tag's attribute list: NAME => value, quotes
# taken off
sub hls_attrs {
    my ($s) = @_;
    my %a;
    while ($s =~ /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g) {
        my ($k, $v) = ($1, $2);
        $v =~ s/^"|"$//g;
        $a{$k} = $v;
    }
    return \%a;
}

# a multivariant playlist: its EXT-X-MEDIA attribute lists, and its
# EXT-X-STREAM-INF ones with the URI that follows as "uri"
sub hls_master {
    my ($body) = @_;
    my (@media, @variants);
    my @lines = split /\n/, $body // '';
    for (my $i = 0; $i < @lines; $i++) {
        if ($lines[$i] =~ /^#EXT-X-MEDIA:(.*)/) {
            push @media, hls_attrs($1);
        } elsif ($lines[$i] =~ /^#EXT-X-STREAM-INF:(.*)/) {
            my $a = hls_attrs($1);
            $a->{uri} = $lines[$i + 1];
            push @variants, $a;
        }
    }
    return (\@media, \@variants);
}

# A CMAF media segment's samples, in trun order: [ data, aux ] each, the
# sample's bytes (the trun's sizes from its data offset, from the moof)
# and its senc entry as text, "IV-hex clear:protected ...", '' without a
# senc; $iv_size is the tenc's (8 or 16 for 'cenc', 0 for 'cbcs')
sub fmp4_samples {
    my ($seg, $iv_size) = @_;
    my ($off, $moof) = (0, undef);
    while ($off + 8 <= length $seg) {
        my ($size, $t) = unpack 'Na4', substr($seg, $off, 8);
        last if $size < 8;
        if ($t eq 'moof') {
            $moof = $off;
            last;
        }
        $off += $size;
    }
    return () unless defined $moof;
    my $traf = box(substr($seg, $moof), qw(moof traf)) // return ();
    my $trun = box($traf, 'trun') // return ();
    my ($flags, $count) = unpack 'NN', $trun;
    $flags &= 0xffffff;
    my $p = 8;
    my $data = $moof;
    if ($flags & 0x1) {
        $data += unpack 'l>', substr($trun, $p, 4);
        $p += 4;
    }
    $p += 4 if $flags & 0x4;
    my @out;
    for (1 .. $count) {
        $p += 4 if $flags & 0x100;
        my $size = unpack 'N', substr($trun, $p, 4);
        $p += 4 if $flags & 0x200;
        $p += 4 if $flags & 0x400;
        $p += 4 if $flags & 0x800;
        push @out, [ substr($seg, $data, $size), '' ];
        $data += $size;
    }
    my $senc = box($traf, 'senc');
    return @out unless defined $senc;
    my ($sflags, $n) = unpack 'NN', $senc;
    $p = 8;
    for my $i (0 .. $n - 1) {
        my $aux = unpack 'H*', substr($senc, $p, $iv_size);
        $p += $iv_size;
        if ($sflags & 0x2) {
            my $subs = unpack 'n', substr($senc, $p, 2);
            $p += 2;
            for (1 .. $subs) {
                $aux .= ' ' . join ':', unpack 'nN', substr($senc, $p, 6);
                $p += 6;
            }
        }
        $out[$i][1] = $aux if $i < @out;
    }
    return @out;
}

1;
