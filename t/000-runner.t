# vim:set ft= ts=4 sw=4 et:
#
# Self-tests of the Test::Nginx runner with stock nginx features only
# (return, add_header, static files), so the runner is proven on its own.

use Test::Nginx::Socket 'no_plan';

repeat_each(1);
no_shuffle();
log_level('info');

$ENV{TEST_NGINX_GREETING} = 'hello';

run_tests();

__DATA__

=== TEST 1: return with a body, default status 200
--- config
    location = /t {
        return 200 "hello world\n";
    }
--- request
GET /t
--- response_body
hello world
--- no_error_log
[error]



=== TEST 2: error_code, add_header, absent header
--- config
    location = /t {
        add_header X-Foo bar always;
        return 403;
    }
--- request
GET /t
--- error_code: 403
--- response_headers
X-Foo: bar
!X-Bar
--- response_headers_like
Content-Type: text/html.*
--- no_error_log
[error]



=== TEST 3: static file from user_files, 404 with an error log line
--- user_files
>>> a.txt
static content
--- request
GET /a.txt
--- response_body
static content
--- response_headers_like
Content-Length: 15
ETag: "[0-9a-f]+-f"
Last-Modified: .* GMT



=== TEST 4: 404 for a missing file logs "open() ... failed"
--- config
--- request
GET /no/such/file.txt
--- error_code: 404
--- error_log
open()
No such file or directory



=== TEST 5: HEAD: headers only, Content-Length of the body
--- user_files
>>> b.txt
0123456789
--- request
HEAD /b.txt
--- response_headers
Content-Length: 11
--- response_body chomp
--- no_error_log
[error]



=== TEST 6: Range via more_headers gives 206 with Content-Range
--- user_files
>>> c.txt
0123456789
--- request
GET /c.txt
--- more_headers
Range: bytes=2-5
--- error_code: 206
--- response_headers
Content-Range: bytes 2-5/11
Content-Length: 4
--- response_body chomp
2345



=== TEST 7: unsatisfiable Range gives 416
--- user_files
>>> d.txt
0123456789
--- request
GET /d.txt
--- more_headers
Range: bytes=100-200
--- error_code: 416
--- response_headers_like
Content-Range: bytes \*/11



=== TEST 8: $TEST_NGINX_* substitution in config and request
--- config
    location = /$TEST_NGINX_GREETING {
        return 200 "port $TEST_NGINX_SERVER_PORT\n";
    }
--- request
GET /$TEST_NGINX_GREETING
--- response_body_like: ^port \d+$



=== TEST 9: binary body with response_body_filters and error_code_like
--- user_files eval
">>> bin.dat\n" . pack("C*", 0 .. 255)
--- request
GET /bin.dat
--- error_code_like: ^2\d\d$
--- response_body_filters eval
[sub { length $_[0] }]
--- response_body chomp
256



=== TEST 10: binary body matched byte-wise with response_body_like eval
--- user_files eval
">>> bin2.dat\n\x00\x00\x00\x18ftypiso6\xff\xfe"
--- request
GET /bin2.dat
--- response_body_like eval
qr/^\x00\x00\x00\x18ftypiso6\xff\xfe$/
--- response_body_unlike: ^$



=== TEST 10b: md5_hex named filter
--- user_files
>>> e.txt
abc
--- request
GET /e.txt
--- response_body_filters
md5_hex
--- response_body chomp
0bee89b07a248e27c83fc3d5951213c1



=== TEST 11: raw_response_headers_like and http_config
--- http_config
    map $uri $tag {
        default "mapped";
    }
--- config
    location = /m {
        add_header X-Tag $tag;
        return 204;
    }
--- request
GET /m
--- error_code: 204
--- raw_response_headers_like: ^HTTP/1\.1 204 No Content\r\n
--- response_headers
X-Tag: mapped



=== TEST 12: main_config: env directive reaches the config
--- main_config
    env TEST_RUNNER_MAIN=1;
--- config
    location = /x {
        return 200 "ok\n";
    }
--- request
GET /x
--- response_body
ok
--- no_error_log
[error]
[emerg]



=== TEST 13: POST body with Content-Length
--- config
    location = /p {
        return 200 "$request_method $content_length\n";
    }
--- request
POST /p
abcdef
--- response_body
POST 6



=== TEST 14: chunked response is decoded
--- config
    location = /c {
        return 200 "chunky\n";
        chunked_transfer_encoding on;
    }
--- request
GET /c HTTP/1.1
--- response_body
chunky



=== TEST 15: grep_error_log counts matching lines
--- config
--- request
GET /missing.html
--- error_code: 404
--- grep_error_log: No such file or directory
--- grep_error_log_out
No such file or directory
