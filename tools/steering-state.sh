#!/bin/sh
# tools/steering-state.sh: a signed request to the steering state API
# (README: "Signing a state request"), with openssl and curl.
#
#   tools/steering-state.sh PUT isp-comcast-nyc-1 '{"healthy": false}'
#   tools/steering-state.sh GET isp-comcast-nyc-1
#   tools/steering-state.sh GET ''                  every cache's state
#
# Environment: STEERING_URL (http://127.0.0.1:8082), STEERING_KEY_FILE
# (conf/demo-only-steering.key, the demo's), STEERING_KID (demo).

set -eu

[ $# -ge 2 ] || { sed -n '2,11p' "$0" >&2; exit 2; }

url=${STEERING_URL:-http://127.0.0.1:8082}
file=${STEERING_KEY_FILE:-conf/demo-only-steering.key}
kid=${STEERING_KID:-demo}
method=$1
path=/steering/caches/$2
body=${3:-}

# the kid's secret: base64url in the key file, as hex for openssl
secret=$(awk -v k="$kid" '$1 == k { print $2; exit }' "$file")
[ -n "$secret" ] || { echo "no key \"$kid\" in $file" >&2; exit 1; }
secret=$(printf %s "$secret" | tr -- '-_' '+/' | tr -d '=')
case $(( ${#secret} % 4 )) in
    2) secret="$secret==" ;;
    3) secret="$secret=" ;;
esac
hexkey=$(printf %s "$secret" | base64 -d | od -An -v -tx1 | tr -d ' \n')

ts=$(date +%s)
nonce=$(openssl rand -hex 16)
body_hash=$(printf %s "$body" | openssl dgst -sha256 -r | cut -d' ' -f1)

sig=$(printf 'STEERING-HMAC-SHA256\n%s\n%s\n%s\n%s\n%s\n%s' \
          "$kid" "$ts" "$nonce" "$method" "$path" "$body_hash" \
      | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -r \
      | cut -d' ' -f1)

auth="Authorization: Steering-HMAC-SHA256 kid=$kid, ts=$ts, nonce=$nonce, sig=$sig"

if [ -n "$body" ]; then
    exec curl -sS -X "$method" -H "$auth" --data-binary "$body" "$url$path"
fi

exec curl -sS -X "$method" -H "$auth" "$url$path"
