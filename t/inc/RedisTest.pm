package RedisTest;

# A private redis-server for the playback API suites: started on a
# loopback port (6380-6389) as a daemon with its pid file and log in a
# temporary directory, no persistence, stopped when the suite ends.
# Helpers read back what nginx wrote (redis-cli), stop and continue the
# server (SIGSTOP/SIGCONT), kill and restart it, and send API requests
# from Perl for what a single block cannot express.

use strict;
use warnings;

use File::Temp ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

our ($Port, $Dir, $Owner);

# redis-cli's credentials, for a suite whose server requires them
our @CliAuth;

sub start {
    my $port = shift // $Port;
    $Port = $port;
    $Owner = $$;
    $Dir //= File::Temp::tempdir('redistest-XXXXXX', TMPDIR => 1,
                                 CLEANUP => 1);
    $ENV{TEST_NGINX_REDIS_PORT} = $port;
    # the same server on a unix socket too (playback_redis unix:...)
    $ENV{TEST_NGINX_REDIS_SOCK} = "$Dir/redis.sock";
    die "port $port is taken\n" if _ping();
    system('redis-server', '--port', $port, '--bind', '127.0.0.1',
           '--unixsocket', "$Dir/redis.sock", '--unixsocketperm', '777',
           '--save', '', '--appendonly', 'no', '--daemonize', 'yes',
           '--pidfile', "$Dir/redis.pid", '--logfile', "$Dir/redis.log",
           '--dir', $Dir) == 0
        or die "redis-server did not start\n";
    for (1 .. 200) {
        return if _ping();
        Time::HiRes::sleep(0.02);
    }
    die "redis-server on $port does not answer\n";
}

sub pid {
    open my $fh, '<', "$Dir/redis.pid" or return undef;
    my $p = <$fh>;
    close $fh;
    return $p && $p =~ /^(\d+)/ ? $1 : undef;
}

sub stop {
    my $pid = pid() or return;
    kill 'CONT', $pid;
    kill 'TERM', $pid;
    for (1 .. 250) {
        last unless kill 0, $pid;
        Time::HiRes::sleep(0.02);
    }
    kill 'KILL', $pid if kill 0, $pid;
    unlink "$Dir/redis.pid";
}

sub pause  { my $pid = pid(); kill 'STOP', $pid if $pid }
sub resume { my $pid = pid(); kill 'CONT', $pid if $pid }

sub _ping {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $Port, Timeout => 1)
        or return 0;
    print $s "PING\r\n";
    my $l = <$s>;
    close $s;
    return defined $l && $l =~ /PONG/;
}

# redis-cli's answer, trailing newline removed
sub cli {
    return cli_at($Port, @CliAuth, @_);
}

# cli_at(PORT, ARGS...): the same from the server on another port (a
# replica, a sentinel, a node of a cluster)
sub cli_at {
    my $port = shift;
    open my $fh, '-|', 'redis-cli', '-p', $port, @_ or die "redis-cli: $!";
    local $/;
    my $o = <$fh> // '';
    close $fh;
    $o =~ s/\n\z//;
    return $o;
}

# wait_for(WHAT, SUB): until SUB is true, at most 15 s; dies naming WHAT
sub wait_for {
    my ($what, $test) = @_;
    for (1 .. 300) {
        return if $test->();
        Time::HiRes::sleep(0.05);
    }
    die "$what: timed out\n";
}

sub _ttl {
    my $t = cli('TTL', shift);
    return $t < 0 ? $t : int(($t + 59) / 60) * 60;  # to the minute
}

# a line per key: a hash's fields sorted, a sorted set's members by score,
# and the TTL to the minute; "(none)" for a missing key
sub state {
    my $out = '';
    for my $key (@_) {
        my $type = cli('TYPE', $key);
        if ($type eq 'hash') {
            my %h = split /\n/, cli('HGETALL', $key), -1;
            $out .= "$key " . join(' ', map { "$_=$h{$_}" } sort keys %h);
        } elsif ($type eq 'zset') {
            my @z = split /\n/, cli('ZRANGE', $key, 0, -1, 'WITHSCORES');
            my @p;
            push @p, shift(@z) . '=' . shift(@z) while @z;
            $out .= "$key " . join(' ', @p);
        } else {
            $out .= "$key (none)\n";
            next;
        }
        $out .= " ttl=" . _ttl($key) . "\n";
    }
    return $out;
}

# an HTTP request to nginx; returns (status, body)
sub http {
    my ($method, $uri, $headers, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SERVER_PORT},
                                  Timeout => 10)
        or die "connect: $!";
    $body //= '';
    my $req = "$method $uri HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n";
    $req .= "$_\r\n" for @{ $headers // [] };
    $req .= "Content-Length: " . length($body) . "\r\n" if length $body;
    print $s "$req\r\n$body";
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($code) = $resp =~ m{^HTTP/1\.\d (\d+)};
    my ($rbody) = $resp =~ /\r\n\r\n(.*)\z/s;
    return ($code // 0, $rbody // '');
}

END {
    stop() if defined $Owner && $$ == $Owner;
}

1;
