package Test::Nginx::Socket;

# A small Test::Nginx::Socket-compatible runner built on Debian's Test::Base.
#
# The suites under t/ are written in the block format of OpenResty's
# Test::Nginx::Socket (CPAN), so they run unchanged under it.  CPAN's module
# is not packaged by Debian; this file implements the subset the project
# uses, with the same names and semantics:
#
#   use Test::Nginx::Socket 'no_plan';      (or tests => N, or plan(...))
#   repeat_each(N), no_shuffle(), log_level('warn'), workers(N),
#   master_on(), master_off(), no_root_location(), no_long_string(),
#   server_port(), server_root(), html_dir(), run_tests(), blocks()
#
# Block sections: main_config, http_config, config, user_files, request,
# more_headers, error_code, error_code_like, response_body,
# response_body_like, response_body_unlike, response_body_filters,
# response_headers (a "!Name" line asserts the header is absent),
# response_headers_like, raw_response_headers_like,
# raw_response_headers_unlike, error_log, no_error_log, grep_error_log,
# grep_error_log_out, timeout, wait, init (Perl code run before the
# request, once nginx runs: eval filters run when the file is read; what
# the server logs meanwhile counts as the block's log).
#
# Environment: TEST_NGINX_BINARY (default /usr/sbin/nginx or nginx in PATH),
# TEST_NGINX_PORT (1984), TEST_NGINX_WORKERS (1), TEST_NGINX_LOG_LEVEL,
# TEST_NGINX_LOAD_MODULES (space separated .so paths to load_module),
# TEST_NGINX_SERVROOT (t/servroot), TEST_NGINX_NO_CLEAN (leave nginx
# running after the file), TEST_NGINX_MASTER_PROCESS (on|off, default on),
# TEST_NGINX_ASAN_DIR (where tools/asan/nginx writes sanitizer reports: a
# report that appears there fails the block that was running, with the
# report shown).
# $TEST_NGINX_* words in config sections, request and more_headers are
# replaced by the environment's values (a missing one fails the block).
#
# Stricter than Test::Base and CPAN's module, so that no check passes
# unseen:
#
# - `--- ONLY`, `--- SKIP` and `--- LAST` drop the other blocks: with
#   CI=true (set in CI) a file using one dies; elsewhere it runs as
#   Test::Base says, with a loud warning on stderr.
# - error_log, no_error_log and grep_error_log read the log once it has
#   been quiet for TEST_NGINX_LOG_QUIET_MS (50) after the response, at most
#   2 s, so lines logged just after the response are seen.
# - When a server stops (its configuration changes, or the file ends), its
#   whole error.log is read again: a line at [error], [crit], [alert] or
#   [emerg] that no block run on that server expected (through its
#   error_log or grep_error_log patterns) fails the file.  That is how
#   errors logged late by background work (timers, Redis callbacks,
#   polls, shutdown) are caught.

use strict;
use warnings;

use Test::Base -base;

use Cwd ();
use File::Path ();
use File::Spec ();
use IO::Select ();
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes ();

our $VERSION = '0.1';

our @EXPORT = qw(
    plan run_tests run_test repeat_each no_shuffle log_level workers
    master_on master_off no_root_location no_long_string server_port
    server_root html_dir server_addr timeout env_to_nginx
    add_block_preprocessor
);

our $RepeatEach       = 1;
our $LogLevel         = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $Workers          = $ENV{TEST_NGINX_WORKERS} || 1;
our $MasterProcess    = $ENV{TEST_NGINX_MASTER_PROCESS} || 'on';
our $NoRootLocation   = 0;
our $Timeout          = $ENV{TEST_NGINX_TIMEOUT} || 5;
our $ServerAddr       = '127.0.0.1';
our $ServerPort       = $ENV{TEST_NGINX_PORT} || 1984;
our $ServRoot         = $ENV{TEST_NGINX_SERVROOT}
                        || File::Spec->catdir(Cwd::cwd(), 't', 'servroot');
our $HtmlDir          = "$ServRoot/html";
our $LogDir           = "$ServRoot/logs";
our $ErrLogFile       = "$LogDir/error.log";
our $ConfFile         = "$ServRoot/conf/nginx.conf";
our $PidFile          = "$LogDir/nginx.pid";
our $NginxBinary      = $ENV{TEST_NGINX_BINARY}
                        || (-x '/usr/sbin/nginx' ? '/usr/sbin/nginx'
                                                  : 'nginx');
our $AsanDir          = $ENV{TEST_NGINX_ASAN_DIR};
our @EnvToNginx;
our @BlockPreprocessors;

$ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
$ENV{TEST_NGINX_PORT}      ||= $ServerPort;
$ENV{TEST_NGINX_HTML_DIR}    = $HtmlDir;
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

my $NginxPid;            # master of the running server
my $RunningConf = '';    # its nginx.conf text
my @Expected;            # error_log patterns of the blocks run on it
my @Served;              # names of those blocks
our $LogQuietMs = $ENV{TEST_NGINX_LOG_QUIET_MS} // 50;
my %SeenReports;         # sanitizer reports already failed a test, and
                         # those of earlier runs

%SeenReports = map { $_ => 1 } glob "$AsanDir/report.*"
    if defined $AsanDir && length $AsanDir;

sub repeat_each  { $RepeatEach = shift if @_; return $RepeatEach }
sub no_shuffle   { return }
sub no_long_string { return }
sub log_level    { $LogLevel = shift if @_; return $LogLevel }
sub workers      { $Workers = shift if @_; return $Workers }
sub master_on    { $MasterProcess = 'on' }
sub master_off   { $MasterProcess = 'off' }
sub no_root_location { $NoRootLocation = 1 }
sub server_port  { $ServerPort = shift if @_; return $ServerPort }
sub server_addr  { $ServerAddr = shift if @_; return $ServerAddr }
sub server_root  { return $ServRoot }
sub html_dir     { return $HtmlDir }
sub timeout      { $Timeout = shift if @_; return $Timeout }
sub env_to_nginx { push @EnvToNginx, @_ }
sub add_block_preprocessor { push @BlockPreprocessors, @_ }

# plan() is Test::More's, exported through Test::Base


# --- helpers ---------------------------------------------------------------

sub _expand_env {
    my ($text, $errors) = @_;
    return $text unless defined $text;
    $text =~ s{\$(TEST_NGINX_[A-Z0-9_]+)}{
        if (defined $ENV{$1}) { $ENV{$1} }
        else { push @$errors, "environment variable $1 is not set"; '' }
    }ge;
    return $text;
}

sub _write_file {
    my ($path, $data) = @_;
    my ($vol, $dir) = File::Spec->splitpath($path);
    File::Path::make_path($dir) if length $dir && !-d $dir;
    open my $fh, '>', $path or die "cannot write $path: $!\n";
    binmode $fh;
    print $fh $data;
    close $fh;
}

sub _gen_conf {
    my ($block, $errors) = @_;

    my $main  = _expand_env(scalar $block->main_config, $errors) // '';
    my $http  = _expand_env(scalar $block->http_config, $errors) // '';
    my $conf  = _expand_env(scalar $block->config, $errors) // '';
    my $user  = $> == 0 ? "user root;\n" : '';
    my $load  = '';

    for my $so (split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '') {
        $load .= "load_module $so;\n";
    }

    my $env = join '', map { "env $_;\n" } @EnvToNginx;
    my $root = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    return <<"_EOC_";
# generated by t/lib/Test/Nginx/Socket.pm
$load${user}worker_processes $Workers;
master_process $MasterProcess;
daemon off;
pid $PidFile;
error_log $ErrLogFile $LogLevel;
$env
$main

events {
    accept_mutex off;
    worker_connections 256;
}

http {
    access_log $LogDir/access.log;
    default_type text/plain;
    keepalive_timeout 68;
    client_body_temp_path $ServRoot/temp/client_body;
    proxy_temp_path $ServRoot/temp/proxy;
    fastcgi_temp_path $ServRoot/temp/fastcgi;
    uwsgi_temp_path $ServRoot/temp/uwsgi;
    scgi_temp_path $ServRoot/temp/scgi;

$http

    server {
        listen $ServerAddr:$ServerPort;
        server_name localhost;
        client_max_body_size 30M;

        # test case config
$conf
        # end of test case config

$root    }
}
_EOC_
}

sub _alive {
    my $pid = shift;
    return 0 unless $pid;
    my $r = waitpid($pid, POSIX::WNOHANG());
    return $r == 0;
}

sub _stop_nginx {
    my %opt = @_;
    return unless $NginxPid;
    if (_alive($NginxPid)) {
        kill 'TERM', $NginxPid;
        my $deadline = Time::HiRes::time() + 10;
        while (Time::HiRes::time() < $deadline) {
            last if waitpid($NginxPid, POSIX::WNOHANG()) != 0;
            Time::HiRes::sleep(0.02);
        }
        if (_alive($NginxPid)) {
            kill 'KILL', $NginxPid;
            waitpid($NginxPid, 0);
        }
    }
    undef $NginxPid;
    $RunningConf = '';
    _check_whole_log() unless $opt{quiet};
    @Expected = ();
    @Served = ();
}

# the whole log of the server just stopped: no [error] or worse line that
# no block run on it expected
sub _check_whole_log {
    return unless @Served;
    my @unexpected;
    for my $line (split /\n/, _slurp($ErrLogFile)) {
        next unless $line =~ /\[(?:error|crit|alert|emerg)\]/;
        next if grep { ref $_ eq 'Regexp' ? $line =~ $_
                                          : index($line, $_) >= 0 }
                @Expected;
        push @unexpected, $line;
    }
    my $what = @Served == 1 ? $Served[0]
             : "$Served[0] .. $Served[-1] (" . @Served . " blocks)";
    # a file with a fixed plan counts no test for it unless it fails
    my $plan = Test::More->builder->has_plan;
    return if !@unexpected && defined $plan && $plan =~ /^\d+$/;
    ok(!@unexpected, "$what - error.log has no [error], [crit], [alert] or"
                     . " [emerg] line no block expected")
        or diag(scalar(@unexpected) . " unexpected lines, the first:\n"
                . join("\n", @unexpected[0 .. ($#unexpected < 9
                                                ? $#unexpected : 9)]));
}

# the log has not grown for $LogQuietMs ms (at most 2 s)
sub _wait_log_quiet {
    my $size = _log_size();
    my $quiet_since = Time::HiRes::time();
    my $deadline = $quiet_since + 2;
    while (Time::HiRes::time() < $deadline) {
        Time::HiRes::sleep(0.01);
        my $now = _log_size();
        if ($now != $size) {
            $size = $now;
            $quiet_since = Time::HiRes::time();
        } elsif (Time::HiRes::time() - $quiet_since >= $LogQuietMs / 1000) {
            return;
        }
    }
}

sub _kill_stale {
    # a server left behind by an earlier, interrupted run
    return unless -f $PidFile;
    open my $fh, '<', $PidFile or return;
    my $pid = <$fh>;
    close $fh;
    return unless $pid && $pid =~ /^(\d+)/;
    $pid = $1;
    my $exe = readlink "/proc/$pid/exe" // '';
    return unless $exe =~ /nginx/;
    kill 'TERM', $pid;
    for (1 .. 250) {
        last unless kill 0, $pid;
        Time::HiRes::sleep(0.02);
    }
    kill 'KILL', $pid if kill 0, $pid;
    unlink $PidFile;
}

sub _port_open {
    my $s = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                  PeerPort => $ServerPort,
                                  Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

# returns undef on success, an error message otherwise
sub _start_nginx {
    my ($conf) = @_;

    _stop_nginx();
    _kill_stale();

    File::Path::rmtree("$ServRoot/conf");
    File::Path::rmtree($LogDir);
    File::Path::make_path("$ServRoot/conf", $LogDir, $HtmlDir,
                          "$ServRoot/temp");
    _write_file($ConfFile, $conf);

    if (_port_open()) {
        return "port $ServerPort is already in use by another server";
    }

    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$LogDir/stderr.log";
        open STDERR, '>>', "$LogDir/stderr.log";
        POSIX::setpgid(0, 0);
        exec $NginxBinary, '-p', "$ServRoot/", '-c', $ConfFile,
             '-e', $ErrLogFile
            or POSIX::_exit(127);
    }
    $NginxPid = $pid;

    my $deadline = Time::HiRes::time() + 10;
    while (Time::HiRes::time() < $deadline) {
        if (!_alive($pid)) {
            my $why = _slurp("$LogDir/stderr.log") . _tail($ErrLogFile);
            undef $NginxPid;
            return "nginx failed to start:\n$why";
        }
        if (_port_open()) {
            $RunningConf = $conf;
            return undef;
        }
        Time::HiRes::sleep(0.02);
    }
    _stop_nginx();
    return "nginx did not listen on $ServerAddr:$ServerPort in 10 s";
}

sub _slurp {
    my $f = shift;
    open my $fh, '<', $f or return '';
    binmode $fh;
    local $/;
    my $d = <$fh>;
    close $fh;
    return $d // '';
}

sub _tail {
    my $f = shift;
    my @l = split /\n/, _slurp($f);
    splice @l, 0, @l - 20 if @l > 20;
    return join "\n", @l, '';
}

# The sanitizer reports (tools/asan/nginx) that appeared since the last
# call: a failed test each, with the report.  A process that reports is
# stopping; give it a moment to finish writing.
sub _check_sanitizers {
    my ($name) = @_;
    return unless defined $AsanDir && length $AsanDir;
    my @new = grep { !$SeenReports{$_} } sort glob "$AsanDir/report.*";
    return unless @new;
    Time::HiRes::sleep(0.2);
    for my $f (@new) {
        $SeenReports{$f} = 1;
        fail("$name - no sanitizer report");
        diag("$f:\n" . _slurp($f));
    }
}

sub _log_size {
    return -s $ErrLogFile || 0;
}

sub _log_since {
    my $off = shift;
    open my $fh, '<', $ErrLogFile or return '';
    binmode $fh;
    seek $fh, $off, 0;
    local $/;
    my $d = <$fh>;
    close $fh;
    return $d // '';
}

sub _parse_request {
    my ($raw) = @_;
    $raw =~ s/^\s+//;
    my ($first, $body) = split /\n/, $raw, 2;
    $first =~ s/\s+$//;
    my ($method, $uri, $proto) = split /\s+/, $first;
    $uri //= '/';
    $proto //= 'HTTP/1.1';
    $body //= '';
    $body =~ s/^\s+|\s+$//g;
    return ($method, $uri, $proto, $body);
}

sub _http {
    my ($method, $uri, $proto, $body, $headers, $timeout) = @_;

    my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                     PeerPort => $ServerPort,
                                     Proto => 'tcp', Timeout => $timeout)
        or return (undef, "cannot connect: $!");
    binmode $sock;

    my %have = map { lc((split /:/, $_, 2)[0]) => 1 } @$headers;
    my $req = "$method $uri $proto\r\n";
    $req .= "Host: localhost\r\n" unless $have{host};
    $req .= "Connection: close\r\n" unless $have{connection};
    $req .= "$_\r\n" for @$headers;
    if (length $body && !$have{'content-length'}) {
        $req .= "Content-Length: " . length($body) . "\r\n";
    }
    $req .= "\r\n$body";

    my $sel = IO::Select->new($sock);
    my $off = 0;
    while ($off < length $req) {
        return (undef, "timeout writing the request")
            unless $sel->can_write($timeout);
        my $n = syswrite $sock, $req, length($req) - $off, $off;
        return (undef, "write: $!") unless defined $n;
        $off += $n;
    }

    my $resp = '';
    while (1) {
        return (undef, "timeout reading the response after "
                       . length($resp) . " bytes")
            unless $sel->can_read($timeout);
        my $n = sysread $sock, $resp, 65536, length $resp;
        return (undef, "read: $!") unless defined $n;
        last if $n == 0;
    }
    close $sock;

    my $idx = index $resp, "\r\n\r\n";
    return (undef, "malformed response (no header end): "
                   . substr($resp, 0, 200))
        if $idx < 0;

    my $raw_headers = substr $resp, 0, $idx + 4;
    my $rbody = substr $resp, $idx + 4;
    my @lines = split /\r\n/, substr($raw_headers, 0, $idx);
    my $status = shift @lines;
    return (undef, "malformed status line: $status")
        unless $status =~ m{^HTTP/\d\.\d (\d{3})};
    my $code = $1;

    my %h;
    for (@lines) {
        my ($k, $v) = split /:\s*/, $_, 2;
        push @{ $h{lc $k} }, $v // '';
    }

    my $res = { code => $code, headers => \%h, raw_headers => $raw_headers,
                body => $rbody, length_error => undef };

    if ($method eq 'HEAD' || $code == 204 || $code == 304) {
        $res->{length_error} = "body of " . length($rbody)
                               . " bytes in a $method response"
            if length $rbody;
    } elsif (($h{'transfer-encoding'}[0] // '') =~ /chunked/i) {
        my $decoded = '';
        my $p = 0;
        while (1) {
            my $e = index $rbody, "\r\n", $p;
            if ($e < 0) { $res->{length_error} = 'bad chunked body'; last }
            my $size = hex substr($rbody, $p, $e - $p);
            last if $size == 0;
            $decoded .= substr $rbody, $e + 2, $size;
            $p = $e + 2 + $size + 2;
        }
        $res->{body} = $decoded;
    } elsif (defined $h{'content-length'}) {
        my $cl = $h{'content-length'}[0];
        $res->{length_error} = "Content-Length $cl but " . length($rbody)
                               . " body bytes"
            if $cl != length $rbody;
    }

    return ($res, undef);
}

sub _header {
    my ($res, $name) = @_;
    my $v = $res->{headers}{lc $name};
    return undef unless $v;
    return join ', ', @$v;
}

sub _show {
    my $s = shift;
    return '' unless defined $s;
    return length($s) . ' bytes' if $s =~ /[^\x09\x0a\x0d\x20-\x7e]/;
    return length($s) > 200 ? substr($s, 0, 200) . '...' : $s;
}

sub _patterns {
    my $v = shift;
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return ($v) if ref $v eq 'Regexp';
    return grep { length } map { s/^\s+|\s+$//gr } split /\n/, $v;
}

sub _as_regex {
    my $p = shift;
    return ref $p eq 'Regexp' ? $p : qr/$p/s;
}


# --- the test of one block -------------------------------------------------

sub run_test {
    my ($block) = @_;
    _run_test($block);
    _check_sanitizers($block->name);
}

sub _run_test {
    my ($block) = @_;
    my $name = $block->name;

    $_->($block) for @BlockPreprocessors;

    my @errors;
    my $conf = _gen_conf($block, \@errors);

    if (defined(my $uf = $block->user_files)) {
        $uf = _expand_env($uf, \@errors);
        my @parts = split /^>>> /m, $uf;
        shift @parts;
        for my $p (@parts) {
            my ($fname, $content) = split /\n/, $p, 2;
            $fname =~ s/\s+$//;
            _write_file("$HtmlDir/$fname", $content // '');
        }
    }

    my $raw_req = $block->request;
    my $timeout = $block->timeout // $Timeout;
    $timeout =~ s/s$//;

    my @more;
    if (defined(my $mh = $block->more_headers)) {
        @more = grep { length } map { s/^\s+|\s+$//gr }
                split /\n/, _expand_env($mh, \@errors);
    }

    if (@errors) {
        fail("$name - setup: $_") for @errors;
        return;
    }

    if (!defined $raw_req) {
        fail("$name - no --- request section");
        return;
    }
    $raw_req = _expand_env($raw_req, \@errors);

    if ($conf ne $RunningConf || !_alive($NginxPid)) {
        my $err = _start_nginx($conf);
        if (defined $err) {
            fail("$name - start nginx");
            diag($err);
            return;
        }
    }

    # what this block says the server may log at error level
    push @Served, $name;
    push @Expected, _patterns(scalar $block->error_log);
    if (defined(my $g = $block->grep_error_log)) {
        $g =~ s/^\s+|\s+$//g unless ref $g;
        push @Expected, $g if ref $g || length $g;
    }

    for my $rep (1 .. $RepeatEach) {
        my $tname = $RepeatEach > 1 ? "$name #$rep" : $name;

        # the block's log starts before its init, which may stop a
        # backend (and have the server log it)
        my $log_off = _log_size();

        if (defined(my $init = $block->init)) {
            eval "package main; $init; 1" or do {
                fail("$tname - init: $@");
                next;
            };
        }

        my ($method, $uri, $proto, $body) = _parse_request($raw_req);
        my ($res, $err) = _http($method, $uri, $proto, $body, \@more,
                                $timeout);

        Time::HiRes::sleep($block->wait) if defined $block->wait;

        if (!$res) {
            fail("$tname - request $method $uri: $err");
            diag(_tail($ErrLogFile));
        }
        $res //= { code => '', headers => {}, raw_headers => '',
                   body => '' };

        if (defined $res->{length_error}) {
            fail("$tname - response length: $res->{length_error}");
        }

        _check_status($block, $res, $tname);
        _check_headers($block, $res, $tname);
        _check_body($block, $res, $tname);

        # let nginx finish logging the request and what follows it
        _wait_log_quiet()
            if defined $block->error_log || defined $block->no_error_log
               || defined $block->grep_error_log;
        my $log = _log_since($log_off);
        _check_log($block, $log, $tname);
        _check_grep_log($block, $log, $tname);
    }
}

sub _check_status {
    my ($block, $res, $name) = @_;
    if (defined(my $like = $block->error_code_like)) {
        $like =~ s/^\s+|\s+$//g unless ref $like;
        like($res->{code}, _as_regex($like), "$name - status code ok");
    } else {
        my $want = $block->error_code // 200;
        $want =~ s/^\s+|\s+$//g;
        is($res->{code}, $want, "$name - status code ok");
    }
}

sub _check_headers {
    my ($block, $res, $name) = @_;

    if (defined(my $rh = $block->response_headers)) {
        for my $line (split /\n/, $rh) {
            next unless $line =~ /\S/;
            if ($line =~ /^\s*!\s*([^:\s]+)\s*:?\s*$/) {
                my $h = $1;
                ok(!defined _header($res, $h),
                   "$name - header $h not present")
                    or diag("got $h: " . _header($res, $h));
                next;
            }
            my ($k, $v) = $line =~ /^\s*([^:]+?)\s*:\s*(.*?)\s*$/;
            if (!defined $k) {
                fail("$name - bad response_headers line: $line");
                next;
            }
            is(_header($res, $k) // '', $v, "$name - header $k ok");
        }
    }

    if (defined(my $rh = $block->response_headers_like)) {
        for my $line (split /\n/, $rh) {
            next unless $line =~ /\S/;
            my ($k, $v) = $line =~ /^\s*([^:]+?)\s*:\s*(.*?)\s*$/;
            if (!defined $k) {
                fail("$name - bad response_headers_like line: $line");
                next;
            }
            like(_header($res, $k) // '', qr/^$v$/,
                 "$name - header $k like ok");
        }
    }

    if (defined(my $p = $block->raw_response_headers_like)) {
        like($res->{raw_headers}, _as_regex($p),
             "$name - raw response headers like");
    }
    if (defined(my $p = $block->raw_response_headers_unlike)) {
        unlike($res->{raw_headers}, _as_regex($p),
               "$name - raw response headers unlike");
    }
}

sub _check_body {
    my ($block, $res, $name) = @_;
    my $body = $res->{body};

    if (defined(my $f = $block->response_body_filters)) {
        my @f = ref $f eq 'ARRAY' ? @$f
              : ref $f eq 'CODE'  ? ($f)
              : split ' ', $f;
        for my $fn (@f) {
            if (ref $fn eq 'CODE') {
                $body = $fn->($body);
            } elsif ($fn eq 'length') {
                $body = length $body;
            } elsif ($fn eq 'md5_hex') {
                require Digest::MD5;
                $body = Digest::MD5::md5_hex($body);
            } elsif ($fn eq 'sha1_hex') {
                require Digest::SHA;
                $body = Digest::SHA::sha1_hex($body);
            } elsif ($fn eq 'uc') {
                $body = uc $body;
            } elsif ($fn eq 'lc') {
                $body = lc $body;
            } else {
                fail("$name - unknown response_body_filters entry $fn");
            }
        }
    }

    if (defined(my $want = $block->response_body)) {
        ok($body eq $want, "$name - response_body - response is expected")
            or diag("got: " . _show($body) . "\nexpected: "
                    . _show($want));
    }
    if (defined(my $p = $block->response_body_like)) {
        ok($body =~ _as_regex($p),
           "$name - response_body_like - response is expected")
            or diag("got: " . _show($body) . "\npattern: $p");
    }
    if (defined(my $p = $block->response_body_unlike)) {
        ok($body !~ _as_regex($p),
           "$name - response_body_unlike - response is expected")
            or diag("got: " . _show($body) . "\npattern: $p");
    }
}

sub _check_log {
    my ($block, $log, $name) = @_;

    for my $p (_patterns(scalar $block->error_log)) {
        my $found = ref $p eq 'Regexp' ? $log =~ $p : index($log, $p) >= 0;
        ok($found, "$name - pattern \"$p\" should match a line in error.log")
            or diag("error.log since the request:\n" . ($log || "(empty)\n"));
    }
    for my $p (_patterns(scalar $block->no_error_log)) {
        my @hits = grep { ref $p eq 'Regexp' ? $_ =~ $p : index($_, $p) >= 0 }
                   split /\n/, $log;
        ok(!@hits,
           "$name - pattern \"$p\" should not match any line in error.log")
            or diag("matching lines:\n" . join "\n", @hits[0 .. ($#hits < 4 ? $#hits : 4)]);
    }
}

sub _check_grep_log {
    my ($block, $log, $name) = @_;
    my $pat = $block->grep_error_log;
    return unless defined $pat;
    $pat =~ s/^\s+|\s+$//g unless ref $pat;
    my $got = '';
    for my $line (split /\n/, $log) {
        if (ref $pat eq 'Regexp') {
            while ($line =~ /$pat/g) {
                $got .= "$&\n";
            }
        } elsif (index($line, $pat) >= 0) {
            $got .= "$pat\n";
        }
    }
    my $want = $block->grep_error_log_out // '';
    if (ref $want eq 'Regexp') {
        like($got, $want, "$name - grep_error_log_out (req 0)");
    } else {
        is($got, $want, "$name - grep_error_log_out (req 0)");
    }
}

# Test::Base keeps the blocks ONLY, SKIP and LAST choose; refuse them in
# CI, warn loudly elsewhere
sub _check_block_filters {
    my $spec = Test::Base::default_object()->spec // '';
    my @used;
    while ($spec =~ /^--- +(ONLY|SKIP|LAST)\b/mg) {
        push @used, $1;
    }
    return unless @used;
    my $what = join(', ', map { "--- $_" } @used) . " in $0";
    if (($ENV{CI} // '') eq 'true') {
        die "$what: refused with CI=true (these sections drop other"
            . " blocks without a failure)\n";
    }
    my $bar = '!' x 72;
    print STDERR "$bar\n!!! WARNING: $what: other blocks are NOT run\n"
                 . "$bar\n";
}

sub run_tests {
    _check_block_filters();
    for my $block (Test::Base::blocks()) {
        run_test($block);
    }
    if ($ENV{TEST_NGINX_NO_CLEAN}) {
        _check_whole_log();
    } else {
        _stop_nginx();
    }
    _check_sanitizers('nginx exit');
}

END {
    # after the plan: stop without adding a test
    _stop_nginx(quiet => 1) if $NginxPid && !$ENV{TEST_NGINX_NO_CLEAN};
    _check_sanitizers('end of file');
}

1;
