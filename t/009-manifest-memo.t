# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: under open_file_cache a manifest whose files a worker
# looked at in the current second is served as it is, without looking
# at them again.  What it is served for must be exactly what it was made
# for: requests of every kind, with and without a tier's ceiling, from two
# locations of the same title with different segment durations, and from
# a location without open_file_cache (files looked at every time),
# interleaved many times within a second, each get the body, ETag and
# Last-Modified of their first answer, and those agree across the
# locations where the settings do; If-None-Match with an ETag so served
# is 304.  Not a block file: it walks its own nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 8;
my $dir = VodTest::nginx_dir('vodmemo');
my $media = VodTest::media();

VodTest::nginx_start($dir, <<"_EOC_");
    vod_index_cache vod_index:16m;
    server {
        listen 127.0.0.1:$port;
        location /memo/ {
            alias $media/;
            vod_package;
            open_file_cache max=100 inactive=60s;
        }
        location /memo2s/ {
            alias $media/;
            vod_package;
            vod_segment_duration 2s;
            open_file_cache max=100 inactive=60s;
        }
        location /plain/ {
            alias $media/;
            vod_package;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 20);
my $base = "http://127.0.0.1:$port";

my @cases;
for my $loc (qw(memo memo2s plain)) {
    for my $file (qw(master.m3u8 master-ts.m3u8 manifest.mpd tracks.json)) {
        push @cases, [ "$loc/demo/$file", {} ];
        push @cases, [ "$loc/demo/$file ceiling 360",
                       { 'X-Vod-Max-Height' => 360 } ];
    }
}

sub fetch {
    my ($case) = @_;
    (my $path = $case->[0]) =~ s/ .*//;
    my $r = $http->get("$base/$path", { headers => $case->[1] });
    return join "\n", $r->{status}, $r->{headers}{etag} // '-',
                $r->{headers}{'last-modified'} // '-', $r->{content};
}

my %first;
my $same = 0;
my @differ;
for my $round (1 .. 20) {
    for my $case (@cases) {
        my $got = fetch($case);
        if (!exists $first{$case->[0]}) {
            $first{$case->[0]} = $got;
        } elsif ($got eq $first{$case->[0]}) {
            $same++;
        } else {
            push @differ, $case->[0];
        }
    }
}
is(scalar @differ, 0, '19 more rounds of ' . scalar(@cases) . ' requests '
   . "interleaved: each answer as its first ($same alike)")
    or diag(join ', ', @differ[0 .. ($#differ < 5 ? $#differ : 4)]);

sub part {
    my ($key, $n) = @_;
    return (split /\n/, $first{$key}, 4)[$n];
}

for my $file (qw(master.m3u8 master-ts.m3u8 manifest.mpd tracks.json)) {
    is(part("memo/demo/$file", 0), 200, "$file: 200");
    ok(part("memo/demo/$file", 3) ne part("memo/demo/$file ceiling 360", 3),
       "$file: the ceiling's own text");
    ok(part("memo/demo/$file", 1) ne part("memo/demo/$file ceiling 360", 1),
       "$file: the ceiling's own ETag");
    is(part("memo/demo/$file", 1), part("plain/demo/$file", 1),
       "$file: the ETag without open_file_cache is the same");
    is(part("memo/demo/$file", 2), part("plain/demo/$file", 2),
       "$file: so is Last-Modified");
    is(part("memo/demo/$file", 3), part("plain/demo/$file", 3),
       "$file: and the text");
    isnt(part("memo/demo/$file", 1), part("memo2s/demo/$file", 1),
         "$file: the location with 2 s segments has its own ETag");
}
unlike(part('memo/demo/master.m3u8 ceiling 360', 3), qr/1920x1080/,
       'the ceiling: no 1080p variant');
like(part('memo/demo/master.m3u8', 3), qr/1920x1080/,
     'without: the 1080p variant');

my $etag = part('memo/demo/manifest.mpd', 1);
my $r = $http->get("$base/memo/demo/manifest.mpd",
                   { headers => { 'If-None-Match' => $etag } });
is($r->{status}, 304, 'If-None-Match with its ETag: 304');

my @log = VodTest::nginx_stop($dir);
is(scalar(grep { /\[(error|crit|alert|emerg)\]/ } @log), 0,
   'nothing logged as an error');

done_testing();
