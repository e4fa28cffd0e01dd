# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: playback_token_log_level has its effect.  A refused
# token's one line is written at the configured level, and at no other:
# the warn default, notice and info at the server level, error in one
# location overriding the server's.  The error log takes info and above,
# so a line at the wrong level would be there to see.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup() }

repeat_each(1);
no_shuffle();
log_level('info');

# one refusal line at LEVEL, from the connection's log (with the request
# counter "*N") and the reason, nothing in between but the pid
sub line_at {
    my $level = shift;
    return qr/\[\Q$level\E\] \d+#\d+: \*\d+ playback token refused: missing/;
}

# any refusal line at a level other than LEVEL
sub other_than {
    my $level = shift;
    my @o = grep { $_ ne $level }
            qw(debug info notice warn error crit alert emerg);
    my $alt = join '|', @o;
    return qr/\[(?:$alt)\] \d+#\d+: \*\d+ playback token refused/;
}

our $Location = <<'_EOC_';
    location /vod/ {
        playback_token on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
        alias $TEST_NGINX_PB_DIR/;
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: the default is warn
--- config eval
$main::Location
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- error_log eval
main::line_at('warn')
--- no_error_log eval
main::other_than('warn')



=== TEST 2: notice at the server level
--- config eval
"playback_token_log_level notice;\n" . $main::Location
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- error_log eval
main::line_at('notice')
--- no_error_log eval
main::other_than('notice')



=== TEST 3: info at the server level
--- config eval
"playback_token_log_level info;\n" . $main::Location
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- error_log eval
main::line_at('info')
--- no_error_log eval
main::other_than('info')



=== TEST 4: a location's error overrides the server's info
--- config
    playback_token_log_level info;
    location /vod/ {
        playback_token on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
        playback_token_log_level error;
        alias $TEST_NGINX_PB_DIR/;
    }
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- error_log eval
main::line_at('error')
--- no_error_log eval
main::other_than('error')



=== TEST 5: crit, at the http level
--- http_config
    playback_token_log_level crit;
--- config eval
$main::Location
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- error_log eval
main::line_at('crit')
--- no_error_log eval
main::other_than('crit')
