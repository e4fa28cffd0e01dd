package ConfTest;

# nginx -t on generated configurations, for the *-config.t suites: a
# temporary prefix, files written into it, a minimal nginx.conf around
# the http-level text a case gives, and the loop that checks each case
# passes, or fails with the error it names.

use strict;
use warnings;

use File::Temp ();
use FindBin ();
use Test::More ();

our ($Dir, $So, $Nginx);

# setup('ngx_steering_module'): the module under test, from
# TEST_NGINX_LOAD_MODULES or modules/
sub setup {
    my ($module) = @_;
    $Nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    ($So) = grep { /\Q$module\E\.so$/ }
            split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
    $So //= "$FindBin::Bin/../modules/$module.so";
    $Dir = File::Temp::tempdir('conftest-XXXXXX', TMPDIR => 1,
                               CLEANUP => 1);
    mkdir "$Dir/logs";
}

sub write_file {
    my ($name, $data) = @_;
    open my $fh, '>', "$Dir/$name" or die "$Dir/$name: $!";
    print $fh $data;
    close $fh;
    return "$Dir/$name";
}

# nginx_t($http, $location): (passed, output)
sub nginx_t {
    my ($http, $loc) = @_;
    $loc //= '';
    write_file('nginx.conf', <<"_EOC_");
load_module $So;
pid $Dir/logs/nginx.pid;
error_log $Dir/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $Dir/tmp;
    proxy_temp_path $Dir/tmp;
    fastcgi_temp_path $Dir/tmp;
    uwsgi_temp_path $Dir/tmp;
    scgi_temp_path $Dir/tmp;
$http
    server { listen 127.0.0.1:1999; $loc }
}
_EOC_
    my $out = `$Nginx -p $Dir/ -c $Dir/nginx.conf -t 2>&1`;
    return ($? == 0, $out);
}

# run(\@cases, $location): each case [name, http, ok, error regex,
# location (default $location)]
sub run {
    my ($cases, $default_loc) = @_;
    for my $c (@$cases) {
        my ($name, $http, $ok, $re, $loc) = @$c;
        my ($passed, $out) = nginx_t($http, $loc // $default_loc);
        if ($ok) {
            Test::More::ok($passed, "$name: nginx -t passes")
                or Test::More::diag($out);
        } else {
            Test::More::ok(!$passed, "$name: nginx -t fails")
                or Test::More::diag($out);
            Test::More::like($out, $re, "$name: the error says why");
        }
    }
}

1;
