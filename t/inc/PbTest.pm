package PbTest;

# Helpers of the ngx_stream_playback suites: key files, tokens minted by
# bin/vodedge-token (the module's own core), and tokens crafted with
# python3's standard library (hmac, hashlib, base64, json), independently
# of the C code, for what the tool refuses to make (alg none, HS512, no
# kid, bad signatures).

use strict;
use warnings;

use Cwd ();
use File::Spec ();
use File::Temp ();

our ($Dir, $Root);

# two keys for rotation tests, base64url as playback_token_key reads them
our %Keys = (
    k1 => 'c2VjcmV0LWtleS1vbmUtZm9yLXRoZS1lZGdlLXRlc3RzLTAx',
    k2 => 'c2Vjb25kLWtleS1mb3ItdGhlLWVkZ2UtdGVzdHMtcm90YXRpb24',
);

sub setup {
    $Root = Cwd::cwd();
    $Dir = File::Temp::tempdir('pbtest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $Dir;
    for my $kid (keys %Keys) {
        open my $fh, '>', "$Dir/$kid.key" or die "$Dir/$kid.key: $!";
        print $fh "$Keys{$kid}\n";
        close $fh;
    }
    mkdir "$Dir/cache" or die "$Dir/cache: $!";
    $ENV{TEST_NGINX_PB_DIR} = $Dir;
    $ENV{TEST_NGINX_PB_ORIGIN_PORT} = ($ENV{TEST_NGINX_PORT} || 1984) + 1;
    die "bin/vodedge-token is not built (make)\n"
        unless -x "$Root/bin/vodedge-token";
}

# token(path => '/vod/demo/', kid => 'k1', ttl => 3600, nbf => S, sub => S,
#       sid => S, tier => S, ip => A): bin/vodedge-token
sub token {
    my %a = @_;
    my $kid = delete $a{kid} // 'k1';
    my @args = ('--kid', $kid, '--key-file', "$Dir/$kid.key");
    $a{path} //= '/vod/demo/';
    for my $k (sort keys %a) {
        push @args, "--$k", $a{$k};
    }
    open my $fh, '-|', "$Root/bin/vodedge-token", @args
        or die "vodedge-token: $!";
    my $t = <$fh>;
    close $fh or die "vodedge-token @args failed\n";
    chomp $t;
    return $t;
}

# craft($header_json, $payload_json, $key_kid, $sig): the header and
# payload as written (NOW+N is replaced by the time plus N), signed with
# HMAC-SHA256 by python3 unless $sig is given ('' for none)
sub craft {
    my ($header, $payload, $kid, $sig) = @_;
    my $now = time;
    s/NOW([+-]\d+)/$now + $1/ge for $header, $payload;
    my $py = <<'_PY_';
import base64, hashlib, hmac, sys
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b'=').decode()
h, p, key, sig = sys.argv[1:5]
si = b64(h.encode()) + '.' + b64(p.encode())
if sig == '-':
    k = base64.urlsafe_b64decode(key + '=' * (-len(key) % 4))
    sig = b64(hmac.new(k, si.encode(), hashlib.sha256).digest())
print(si + '.' + sig)
_PY_
    open my $fh, '-|', 'python3', '-c', $py, $header, $payload,
        $Keys{$kid // 'k1'}, $sig // '-'
        or die "python3: $!";
    my $t = <$fh>;
    close $fh or die "python3 failed\n";
    chomp $t;
    return $t;
}

1;
