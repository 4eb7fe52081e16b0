#!/usr/bin/env bash
# brain_tumor serve end to end: the JSON API with curl (answers equal predict's, errors with the
# status that fits, the body limit, multipart, client paths never used, the token, the 0.0.0.0
# warning, a full queue answered 503, 8 requests at once answering exactly what one at a time
# does), then the page in headless Chromium (serve_browser.py). Uses the real data set and the
# seed's Keras checkpoint when present, else a model trained for one epoch on the built-in data
# and the repository's test images.
# usage: serve.sh path/to/brain_tumor path/to/brain_mri out-dir-for-screenshots
set -uo pipefail
bin=$1
data=$2
shots=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
pass=0
check() {  # check DESCRIPTION -- command...: passes when the command succeeds
  local what=$1
  shift 2
  if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
json() {  # json FILE PYTHON-EXPRESSION-ON-j: prints the expression's value
  /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

for tool in curl /usr/bin/python3; do
  command -v "$tool" > /dev/null || { echo "skipped: $tool is not installed (scripts/install-deps.sh)"; exit 77; }
done

if [ -f "$data/models/keras_brain_tumor_best.h5" ]; then
  model=("--model" "$data/models/keras_brain_tumor_best.h5" "--recipe" "seed")
  scans=("$data/yes/Y1.jpg" "$data/no/1 no.jpeg" "$data/yes/Y10.jpg" "$data/no/10 no.jpg"
         "$data/yes/Y100.JPG" "$data/no/11 no.jpg" "$data/yes/Y101.jpg" "$data/no/12 no.jpg")
else
  echo "no real data at $data: a model trained on the built-in data, the repository's images"
  "$bin" train --epochs 1 --out "$work/run" > /dev/null || { echo "FAIL: train"; exit 1; }
  model=("--model" "$work/run/best.glia")
  scans=()
  for i in 1 2 3 4 5 6 7 8; do
    for f in image_gray.jpg image_color.png image_baseline.jpg image_progressive.jpg; do
      scans+=("$here/../data/$f")
    done
  done
  scans=("${scans[@]:0:8}")
fi

# start_server NAME ARGS...: starts serve on a free loopback port; sets $port.
start_server() {
  local name=$1
  shift
  "$bin" serve "${model[@]}" --port 0 "$@" > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  port=""
  for _ in $(seq 1 200); do
    port=$(sed -n 's|^serving .* on http://[^:]*:\([0-9]*\)/.*|\1|p' "$work/$name.out")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  echo "FAIL: $name did not start"; cat "$work/$name.err"; exit 1
}
# post URL FILE-OUT CURL-ARGS...: prints the HTTP status
post() { local url=$1 out=$2; shift 2; curl -s -o "$out" -w '%{http_code}' "$@" "$url"; }

start_server main --threads 2 --max-bytes 4000000
base="http://127.0.0.1:$port"

# The page, its assets and the health check.
check "GET / is the page" -- test "$(curl -s -o "$work/page" -w '%{http_code}' "$base/")" = 200
check "the page says what it is" -- grep -q "not a medical device" "$work/page"
check "the page loads nothing from elsewhere" -- bash -c "! grep -Eq '(src|href)=\"(https?:)?//' '$work/page'"
check "the page's script is served" -- test "$(curl -s -o /dev/null -w '%{http_code}' "$base/app.js")" = 200
check "/healthz" -- test "$(curl -s -o "$work/health" -w '%{http_code}' "$base/healthz")" = 200
check "/healthz names the workers" -- test "$(json "$work/health" "j['workers']")" = 2
check "/api/model" -- test "$(curl -s -o "$work/card" -w '%{http_code}' "$base/api/model")" = 200
check "the model card has the disclaimer" -- grep -q "not a medical device" "$work/card"
check "an unknown path is a JSON 404" -- test "$(curl -s -o "$work/404" -w '%{http_code}' "$base/etc/passwd")" = 404
check "the 404 is JSON" -- test -n "$(json "$work/404" "j['error']")"

# One scan as the body: the probability predict prints, to its 6 decimals.
status=$(post "$base/api/predict?name=Y1.jpg" "$work/one.json" --data-binary "@${scans[0]}")
check "POST /api/predict" -- test "$status" = 200
expected=$("$bin" predict "${model[@]}" "${scans[0]}" | cut -f2)
got=$(json "$work/one.json" "'%.6f' % j[0]['probability']")
check "the API's probability equals predict's ($got, $expected)" -- test "$got" = "$expected"
for key in file probability label crop gradcam_png model; do
  check "the answer has '$key'" -- test "$(json "$work/one.json" "'$key' in j[0]")" = True
done
check "crop is four numbers" -- test "$(json "$work/one.json" "len(j[0]['crop'])")" = 4
check "gradcam_png is a PNG" -- test "$(json "$work/one.json" \
  "__import__('base64').b64decode(j[0]['gradcam_png'])[:4] == b'\x89PNG'")" = True

# Errors: JSON with the status that fits, and the server still answers afterwards.
printf 'hello, not an image' > "$work/text.txt"
check "not an image: 415" -- test "$(post "$base/api/predict" "$work/e" --data-binary "@$work/text.txt")" = 415
check "the 415 names the file type problem" -- grep -q "not an image glia reads" "$work/e"
{ printf '\xff\xd8\xff\xe0'; head -c 3000 /dev/urandom; } > "$work/corrupt.jpg"
check "a corrupt JPEG: 400" -- test "$(post "$base/api/predict?name=corrupt.jpg" "$work/e" --data-binary "@$work/corrupt.jpg")" = 400
check "the 400 is JSON naming the file" -- grep -q "corrupt.jpg" "$work/e"
head -c 5000000 /dev/zero > "$work/big.bin"
check "over --max-bytes: 413" -- test "$(post "$base/api/predict" "$work/e" --data-binary "@$work/big.bin")" = 413
check "the 413 is JSON" -- grep -q '"error"' "$work/e"
check "an empty body: 400" -- test "$(post "$base/api/predict" "$work/e" -X POST)" = 400
check "still serving after the errors" -- test "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" = 200

# Multipart: several scans in one request, in order; a client's path is a label, never a path.
status=$(post "$base/api/predict" "$work/multi.json" -F "a=@${scans[0]};filename=../../etc/passwd" \
  -F "b=@${scans[1]}" -F "c=@$work/text.txt")
check "multipart with a bad part: 200" -- test "$status" = 200
check "multipart: three answers" -- test "$(json "$work/multi.json" "len(j)")" = 3
check "a client's path is stripped to its name" -- test "$(json "$work/multi.json" "j[0]['file']")" = passwd
check "the bad part's error is in its place" -- test "$(json "$work/multi.json" "j[2]['status']")" = 415
check "the first part's probability is the single request's" -- test \
  "$(json "$work/multi.json" "j[0]['probability']")" = "$(json "$work/one.json" "j[0]['probability']")"

# 8 requests at once give exactly the answers of one at a time (the whole JSON, Grad-CAM too).
for i in "${!scans[@]}"; do
  post "$base/api/predict?name=s$i" "$work/seq$i.json" --data-binary "@${scans[$i]}" > /dev/null
done
clients=()
for i in "${!scans[@]}"; do
  post "$base/api/predict?name=s$i" "$work/par$i.json" --data-binary "@${scans[$i]}" > /dev/null &
  clients+=($!)
done
wait "${clients[@]}"
for i in "${!scans[@]}"; do
  check "parallel answer $i equals the sequential one" -- cmp -s "$work/seq$i.json" "$work/par$i.json"
done

# A full queue answers 503 for the scans it cannot take, the others as usual.
start_server busy --threads 1 --queue 1
parts=()
for i in $(seq 1 12); do parts+=(-F "f$i=@${scans[0]};filename=s$i.jpg"); done
status=$(post "http://127.0.0.1:$port/api/predict" "$work/busy.json" "${parts[@]}")
refused=$(json "$work/busy.json" "sum(1 for r in j if r.get('status') == 503)")
served=$(json "$work/busy.json" "len({r['probability'] for r in j if 'probability' in r})")
check "a full queue refuses some scans with 503 ($refused of 12)" -- test "$refused" -ge 1
check "the scans it took are answered as usual" -- test "$served" = 1
check "a full queue's 503 says to retry" -- grep -q "try again" "$work/busy.json"

# The token: the API needs it, compared exactly.
start_server token --threads 1 --token s3cret
check "no token: 401" -- test "$(post "http://127.0.0.1:$port/api/predict" "$work/e" --data-binary "@${scans[0]}")" = 401
check "a wrong token: 401" -- test "$(post "http://127.0.0.1:$port/api/predict" "$work/e" -H 'Authorization: Bearer s3cre' --data-binary "@${scans[0]}")" = 401
check "the right token: 200" -- test "$(post "http://127.0.0.1:$port/api/predict" "$work/e" -H 'Authorization: Bearer s3cret' --data-binary "@${scans[0]}")" = 200
check "the model card needs the token" -- test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/model")" = 401

# --keep-uploads keeps a copy under a name of the server's making; otherwise nothing is written.
start_server keep --threads 1 --keep-uploads "$work/kept"
post "http://127.0.0.1:$port/api/predict?name=../../x.jpg" /dev/null --data-binary "@${scans[0]}" > /dev/null
check "--keep-uploads keeps the scan" -- cmp -s "$(ls "$work"/kept/*.jpg | head -1)" "${scans[0]}"
check "nothing written outside it" -- test ! -e "$work/x.jpg"

# Beyond loopback: a warning.
start_server open --threads 1 --host 0.0.0.0
check "--host 0.0.0.0 warns" -- grep -q "warning: serving on 0.0.0.0" "$work/open.err"

# Bad flags and a missing model: clear errors, no server.
"$bin" serve --model "$work/none.glia" --port 0 > /dev/null 2> "$work/err"
check "a missing model is named" -- grep -q "none.glia" "$work/err"
"$bin" serve "${model[@]}" --port 70000 > /dev/null 2> "$work/err"
check "a bad port is refused" -- grep -q -- "--port" "$work/err"

echo "$pass passed, $failures failed (API)"

# The page in a real browser.
if /usr/bin/python3 -c "import selenium" 2> /dev/null && [ -x /usr/bin/chromedriver ]; then
  mkdir -p "$shots"
  /usr/bin/python3 "$here/serve_browser.py" --url "$base/" --scan "${scans[0]}" \
    --expected "$expected" --corrupt "$work/corrupt.jpg" --shots "$shots" || failures=$((failures + 1))
else
  echo "the browser test needs python3-selenium and chromium-driver (scripts/install-deps.sh)"
  [ "${CI:-}" = true ] && failures=$((failures + 1))
fi

# SIGTERM stops the server cleanly.
kill "${pids[0]}"
wait "${pids[0]}"
check "SIGTERM stops the server with exit 0" -- test $? -eq 0
check "it says it stopped" -- grep -q "^stopping (SIGTERM)" "$work/main.out"
[ "$failures" -eq 0 ]
