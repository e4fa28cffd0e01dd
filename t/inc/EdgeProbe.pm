package EdgeProbe;

# Helpers of the edge's path and credential suites (t/104, t/105): a test
# origin that echoes what it received, a raw HTTP/1.1 client that sends
# exactly the bytes it is given, an HTTP/2 client (curl with prior
# knowledge and --request-target, so curl neither normalises the path nor
# drops a '#'), and the verdict on what the origin received.

use strict;
use warnings;

use IO::Select ();
use IO::Socket::INET ();

# The origin: nginx's own view of the request it got from the edge, in
# its response body and in its access log (origin.log in
# $TEST_NGINX_PB_DIR).  $request is the request line exactly as it came;
# the headers an edge could leak a credential or a policy in are listed
# one by one (nginx has no variable holding all of them).
our $Origin = <<'_EOC_';
    log_format probe_origin '$request|$http_cookie|$http_authorization|'
                            '$http_x_vod_max_height|$http_x_vod_max_bitrate|'
                            '$http_x_vod_probe';

    server {
        listen 127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        access_log $TEST_NGINX_PB_DIR/origin.log probe_origin;

        location / {
            default_type text/plain;
            return 200 "ORIGIN $request\nCOOKIE $http_cookie\nAUTH $http_authorization\nXVOD $http_x_vod_max_height|$http_x_vod_max_bitrate|$http_x_vod_probe\n";
        }
    }
_EOC_

# raw($port, $bytes, $timeout): sends $bytes as they are, reads to the
# end; returns { code, head, body } or { error }
sub raw {
    my ($port, $bytes, $timeout) = @_;
    $timeout //= 5;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => $timeout)
        or return { error => "connect: $!" };
    binmode $s;

    my $sel = IO::Select->new($s);
    my $off = 0;
    while ($off < length $bytes) {
        return { error => 'write timeout' } unless $sel->can_write($timeout);
        my $n = syswrite $s, $bytes, length($bytes) - $off, $off;
        return { error => "write: $!" } unless defined $n;
        $off += $n;
    }

    my $resp = '';
    while (1) {
        return { error => 'read timeout' } unless $sel->can_read($timeout);
        my $n = sysread $s, $resp, 65536, length $resp;
        last if !defined $n || $n == 0;
    }
    close $s;

    return { error => 'no response' } unless length $resp;
    my $i = index $resp, "\r\n\r\n";
    return { error => 'no header end: ' . substr($resp, 0, 80) } if $i < 0;
    my $head = substr $resp, 0, $i;
    my ($code) = $head =~ m{^HTTP/1\.[01] (\d{3})}
        or return { error => 'bad status line' };
    my $body = substr $resp, $i + 4;
    if ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
        my ($out, $p) = ('', 0);
        while ((my $e = index $body, "\r\n", $p) >= 0) {
            my $size = hex substr $body, $p, $e - $p;
            last if $size == 0;
            $out .= substr $body, $e + 2, $size;
            $p = $e + 2 + $size + 2;
        }
        $body = $out;
    }
    return { code => $code, head => $head, body => $body };
}

# get($port, $target, @headers): GET $target over HTTP/1.1, exactly
sub get {
    my ($port, $target, @headers) = @_;
    my $req = "GET $target HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n";
    $req .= "$_\r\n" for @headers;
    return raw($port, "$req\r\n");
}

# 1 when curl speaks HTTP/2 (nghttp2) and has --request-target
sub have_h2 {
    my $v = `curl --version 2>/dev/null` // '';
    return 0 unless $v =~ /^Features:.*\bHTTP2\b/m;
    my $h = `curl --help all 2>/dev/null` // '';
    return $h =~ /--request-target/ ? 1 : 0;
}

# h2($port, $target, @headers): GET $target over HTTP/2 (prior knowledge);
# the :path is $target byte for byte
sub h2 {
    my ($port, $target, @headers) = @_;
    my @cmd = ('curl', '-s', '-i', '--http2-prior-knowledge', '--max-time',
               '5', '--request-target', $target);
    push @cmd, '-H', $_ for @headers;
    push @cmd, "http://127.0.0.1:$port/";

    open my $fh, '-|', @cmd or return { error => "curl: $!" };
    binmode $fh;
    local $/;
    my $resp = <$fh> // '';
    close $fh;

    return { error => "curl exit " . ($? >> 8) } unless length $resp;
    my $i = index $resp, "\r\n\r\n";
    return { error => 'no header end' } if $i < 0;
    my $head = substr $resp, 0, $i;
    my ($code) = $head =~ m{^HTTP/2 (\d{3})}
        or return { error => 'not an HTTP/2 response: '
                             . substr($head, 0, 40) };
    return { code => $code, head => $head, body => substr $resp, $i + 4 };
}

# The origin's request line: undef when its path is canonical and under
# $claim (a prefix ending in '/'), else why not.  Canonical: no '#', no
# escaped '.', '/' or '\' left for the origin to decode, and once decoded
# no "." or ".." segment (also not as "..;params", which servlet
# containers read as ".."), no "//", no '\', no control byte.
sub path_problem {
    my ($line, $claim) = @_;

    my ($target) = $line =~ m{^[A-Z]+ (\S+) HTTP/1\.[01]$}
        or return "unparsable request line";
    my ($path) = split /\?/, $target, 2;

    return "'#' in the path" if $path =~ /#/;
    return "an escaped '.', '/' or '\\' for the origin to decode"
        if $path =~ /%(?:2e|2f|5c)/i;

    (my $d = $path) =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;

    return "not under $claim" if index($d, $claim) != 0;
    return "a dot segment" if $d =~ m{/\.\.?(?:/|$)};
    return "a dot segment with ;parameters" if $d =~ m{/\.\.?;};
    return "an empty segment" if $d =~ m{//};
    return "a backslash" if $d =~ /\\/;
    return "a control byte" if $d =~ /[\x00-\x1f\x7f]/;
    return undef;
}

# what a credential looks like in text the origin got: the token, any of
# its three parts, a token argument or cookie, a /t/ prefix
sub leak {
    my ($text, $token, @names) = @_;
    for my $part ($token, split /\./, $token) {
        return "the token" if length $part >= 16 && index($text, $part) >= 0;
    }
    for my $n (@names) {
        return "\"$n\"" if index($text, $n) >= 0;
    }
    return undef;
}

1;
