# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: title.json's "audio" overrides.  Titles made here from
# the multi-audio files of tools/mkmedia-audio.sh (symlinks beside a
# title.json of the test's own): a rendition's language, name, default
# and characteristics replace the inferred ones in master.m3u8
# (EXT-X-MEDIA), the MPD (lang, Label, Role, Accessibility, the sets by
# language) and tracks.json; an excluded rendition is gone from all three
# and its URLs answer 404; what title.json says wrong (an unknown member,
# a track the title does not have, a bad language tag, two defaults, ...)
# makes the title answer 500 with one log line naming it.  Not a block
# file: it walks the manifests of its own nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use JSON::PP ();
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 19;
my $dir = VodTest::nginx_dir('vodtaudio');
my $media = "$dir/media";

if ($ENV{TEST_NGINX_AUDIO_MEDIA} && -f "$ENV{TEST_NGINX_AUDIO_MEDIA}/.done")
{
    system('cp', '-r', $ENV{TEST_NGINX_AUDIO_MEDIA}, $media) == 0
        or die "cp: $?";
} else {
    system("$FindBin::Bin/../tools/mkmedia-audio.sh", $media, 4) == 0
        or die "tools/mkmedia-audio.sh failed: $?";
}

# a title: symlinks to the files of a fixture title, and a title.json
sub title {
    my ($name, $from, $json) = @_;
    mkdir "$media/$name" or die "$name: $!";
    opendir my $dh, "$media/$from" or die "$from: $!";
    for my $f (grep { /\.mp4$/ } readdir $dh) {
        symlink "$media/$from/$f", "$media/$name/$f" or die "$f: $!";
    }
    closedir $dh;
    open my $fh, '>', "$media/$name/title.json" or die $!;
    print $fh $json;
    close $fh;
}

my $langs = '"renditions": [{"id": "360p", "file": "360p.mp4"},'
            . ' {"id": "180p", "file": "180p.mp4"}]';
my $split = '"renditions": [{"id": "360p", "file": "360p.mp4"},'
            . ' {"id": "fr", "file": "fr.mp4"}, {"id": "es", "file": "es.mp4"}]';

# langs: English (audio-360p), German (audio3-360p), English 5.1
# (audio4-360p), copied in 180p.mp4
title('over', 'langs', <<"_EOJ_");
{$langs,
 "audio": [
   {"track": "audio3-360p", "language": "DE-ch", "default": true,
    "name": "Deutsch (Schweiz) & <mehr>"},
   {"track": "audio4-360p", "language": "fra"},
   {"track": "audio-360p", "name": "English AD",
    "characteristics": "public.accessibility.describes-video"}]}
_EOJ_

title('excl', 'langs', <<"_EOJ_");
{$langs, "audio": [{"track": "audio3-360p", "exclude": true},
                   {"track": "audio-360p", "exclude": true}]}
_EOJ_

# split: English (audio-360p), French (audio-fr), Spanish 5.1 (audio-es)
title('nodef', 'split', <<"_EOJ_");
{$split, "audio": [{"track": "audio-360p", "default": false},
                   {"track": "audio-es", "exclude": false,
                    "name": "Espa\\u00f1ol"}]}
_EOJ_

my %bad = (
    member   => ['{"track": "audio-360p", "lang": "en"}',
                 'unknown member "lang"'],
    notrack  => ['{"track": "audio9-360p", "name": "Nine"}',
                 '"audio" names "audio9-360p", which is no audio rendition'],
    copy     => ['{"track": "audio3-180p", "name": "Copy"}',
                 '"audio" names "audio3-180p", which is no audio rendition'],
    noid     => ['{"track": "audio-720p", "name": "HD"}',
                 'audio "track" of a rendition id "renditions" does not'],
    badname  => ['{"track": "audio-", "name": "x"}',
                 'audio "track" is not audio-{id} or audio{T}-{id}'],
    lang     => ['{"track": "audio-360p", "language": "english!"}',
                 'bad audio language tag'],
    defaults => ['{"track": "audio-360p", "default": true},'
                 . ' {"track": "audio3-360p", "default": true}',
                 'a second audio "default": true'],
    twice    => ['{"track": "audio-360p", "name": "A"},'
                 . ' {"track": "audio-360p", "name": "B"}',
                 'a second audio entry for one "track"'],
    quote    => ['{"track": "audio-360p", "name": "say \\"hi\\""}',
                 'audio name with a quote or a control character'],
    exclname => ['{"track": "audio-360p", "exclude": true, "name": "x"}',
                 'an excluded audio track with other members'],
    chars    => ['{"track": "audio-360p", "characteristics": "a,,b"}',
                 'bad audio characteristics'],
    samename => ['{"track": "audio-360p", "name": "Same"},'
                 . ' {"track": "audio3-360p", "name": "Same"}',
                 'two audio renditions of one group named "Same"'],
    allfalse => ['{"track": "audio-360p", "default": false},'
                 . ' {"track": "audio3-360p", "default": false},'
                 . ' {"track": "audio4-360p", "default": false}',
                 'every audio rendition is marked "default": false'],
);

for my $b (sort keys %bad) {
    title("bad-$b", 'langs', "{$langs, \"audio\": [$bad{$b}[0]]}");
}

system('chmod', '-R', 'a+rX', $media) == 0 or die "chmod: $?";

VodTest::nginx_start($dir, <<"_EOC_");
    vod_index_cache vod_index:16m;
    server {
        listen 127.0.0.1:$port;
        location /vod/ {
            alias $media/;
            vod_package;
            vod_segment_duration 2s;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 20);
my $base = "http://127.0.0.1:$port";

sub get { return $http->get("$base/vod/$_[0]") }

sub hls_audio {
    my ($title) = @_;
    my $r = get("$title/master.m3u8");
    is($r->{status}, 200, "$title/master.m3u8: 200") or return [];
    my ($media) = VodTest::hls_master($r->{content});
    return [ map {
        join ' ', "NAME=$_->{NAME}", 'LANGUAGE=' . ($_->{LANGUAGE} // '-'),
            "DEFAULT=$_->{DEFAULT}",
            'CHARACTERISTICS=' . ($_->{CHARACTERISTICS} // '-'),
            "URI=$_->{URI}"
    } grep { $_->{TYPE} eq 'AUDIO' } @$media ];
}

sub dash_audio {
    my ($title) = @_;
    my $r = get("$title/manifest.mpd");
    is($r->{status}, 200, "$title/manifest.mpd: 200") or return [];
    my @sets;
    for my $as ($r->{content} =~
                m{(<AdaptationSet[^>]*contentType="audio".*?</AdaptationSet>)}sg)
    {
        my ($open) = $as =~ /^(<AdaptationSet[^>]*>)/;
        my $lang = ($open =~ /lang="([^"]+)"/)[0] // '-';
        my $label = ($as =~ m{<Label>([^<]*)</Label>})[0] // '-';
        my $roles = join ',', $as =~ /<Role [^>]*value="([^"]+)"/g;
        my $acc = join ',', map { "$_->[0]=$_->[1]" }
            map { [ /schemeIdUri="([^"]+)" value="([^"]+)"/ ] }
            $as =~ /(<Accessibility [^>]*>)/g;
        my $reps = join ',', $as =~ /<Representation id="([^"]+)"/g;
        push @sets, "lang=$lang label=$label role=" . ($roles || '-')
                    . ' acc=' . ($acc || '-') . " $reps";
    }
    return \@sets;
}

sub tracks_audio {
    my ($title) = @_;
    my $r = get("$title/tracks.json");
    is($r->{status}, 200, "$title/tracks.json: 200") or return [];
    my $t = JSON::PP->new->utf8(0)->decode($r->{content});
    return [ map { join ' ', $_->{id}, $_->{language}, $_->{name},
                   $_->{default} ? 'default' : '-',
                   $_->{characteristics} // '-' } @{ $t->{audio} } ];
}

# every override, in each format
is_deeply(hls_audio('over'), [
    'NAME=Deutsch (Schweiz) & <mehr> LANGUAGE=de-CH DEFAULT=YES '
        . 'CHARACTERISTICS=- URI=audio3-360p.m3u8',
    'NAME=English AD LANGUAGE=en DEFAULT=NO CHARACTERISTICS='
        . 'public.accessibility.describes-video URI=audio-360p.m3u8',
    'NAME=French 5.1 LANGUAGE=fr DEFAULT=NO CHARACTERISTICS=- '
        . 'URI=audio4-360p.m3u8',
], 'over: HLS, the default first, names, languages, characteristics');

is_deeply(dash_audio('over'), [
    'lang=de-CH label=Deutsch (Schweiz) &amp; &lt;mehr&gt; role=main acc=- '
        . 'audio3-360p',
    'lang=en label=English AD role=alternate,description '
        . 'acc=urn:tva:metadata:cs:AudioPurposeCS:2007=1 audio-360p',
    'lang=fr label=- role=alternate acc=- audio4-360p',
], 'over: DASH, sets by the languages given, Label, Role, Accessibility');

is_deeply(tracks_audio('over'), [
    'audio3-360p de-CH Deutsch (Schweiz) & <mehr> default -',
    'audio-360p en English AD - public.accessibility.describes-video',
    'audio4-360p fr French 5.1 - -',
], 'over: tracks.json');

# the default false: the first not marked false is the default; a name
# in UTF-8
is_deeply(hls_audio('nodef'), [
    'NAME=French LANGUAGE=fr DEFAULT=YES CHARACTERISTICS=- '
        . 'URI=audio-fr.m3u8',
    'NAME=English LANGUAGE=en DEFAULT=NO CHARACTERISTICS=- '
        . 'URI=audio-360p.m3u8',
    "NAME=Espa\x{c3}\x{b1}ol LANGUAGE=es DEFAULT=NO CHARACTERISTICS=- "
        . 'URI=audio-es.m3u8',
], 'nodef: "default": false passes the default on');
is_deeply(tracks_audio('nodef'), [
    'audio-fr fr French default -',
    'audio-360p en English - -',
    "audio-es es Espa\x{c3}\x{b1}ol - -",
], 'nodef: tracks.json');

# exclude: gone from the manifests, its URLs 404
is_deeply(hls_audio('excl'), [
    'NAME=English 5.1 LANGUAGE=en DEFAULT=YES CHARACTERISTICS=- '
        . 'URI=audio4-360p.m3u8',
], 'excl: HLS lists what is left');
is_deeply(dash_audio('excl'), [ 'lang=en label=- role=- acc=- audio4-360p' ],
          'excl: DASH lists what is left');
is_deeply(tracks_audio('excl'), [ 'audio4-360p en English 5.1 default -' ],
          'excl: tracks.json lists what is left');
{
    # a muxed ts- variant would carry the file's first audio track, which
    # is excluded: the TS playlist lists the one left as a rendition
    my $r = get('excl/master-ts.m3u8');
    my ($media, $variants) = VodTest::hls_master($r->{content});
    is_deeply([ map({ "$_->{TYPE} $_->{URI}" } @$media),
                map({ $_->{uri} } @$variants) ],
              [ 'AUDIO audiots4-360p.m3u8', 'videots-360p.m3u8',
                'videots-180p.m3u8' ],
              'excl: master-ts.m3u8, its one rendition beside video-only '
              . 'variants') or diag($r->{content});
}
for my $u (qw(audio3-360p.m3u8 audio3-360p-init.mp4 audio3-360p-1.m4s
              audio-360p.m3u8 audio-360p-init.mp4 audio-360p-2.m4s
              audio2-360p.m3u8 audio2-360p-1.m4s
              audiots3-360p.m3u8 audiots3-360p-1.ts audiots-360p.m3u8
              audiots-360p-2.ts audiots2-360p-1.ts))
{
    is(get("excl/$u")->{status}, 404, "excl/$u: 404");
}
for my $u (qw(audio4-360p.m3u8 audio4-360p-init.mp4 audio4-360p-1.m4s
              audiots4-360p.m3u8 audiots4-360p-1.ts video-360p-1.m4s))
{
    is(get("excl/$u")->{status}, 200, "excl/$u: 200");
}

# what title.json says wrong: 500, with one line naming it
my $off = 0;
VodTest::log_count($dir, \$off, qr/./);
for my $b (sort keys %bad) {
    for my $u (qw(master.m3u8 manifest.mpd tracks.json)) {
        is(get("bad-$b/$u")->{status}, 500, "bad-$b/$u: 500");
        my $n = VodTest::log_count($dir, \$off,
                                   qr/\[error\].*\Q$bad{$b}[1]\E/);
        is($n, 1, "bad-$b/$u: one line saying why");
    }
}

# read with title.json, a media URL answers 500 too; what only the
# manifests can tell (the tracks there are) leaves the media URLs alone
is(get('bad-lang/video-360p-1.m4s')->{status}, 500,
   'bad-lang/video-360p-1.m4s: 500');
is(VodTest::log_count($dir, \$off, qr/\[error\].*bad audio language tag/),
   1, 'bad-lang/video-360p-1.m4s: one line saying why');
is(get('bad-notrack/audio-360p-1.m4s')->{status}, 200,
   'bad-notrack/audio-360p-1.m4s: 200');

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;
my @left = grep { !m{/bad-\w+/title\.json"?: title\.json: } } @bad;
is(scalar @left, 0, 'nothing else logged as an error') or diag(@left);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
