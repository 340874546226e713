#!/usr/bin/env bash
# The README's demo: start moto, build and run the function under cargo lambda,
# invoke events/direct-single.json, show the created user and the email sent
# (PASSWORD_DELIVERY=link: it carries a one-time link, printed), then open the
# link in Debian's Chromium, click Reveal and save a screenshot of the page.
# Everything runs locally; no AWS account is used.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/setup.sh
source scripts/test-env.sh

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { .venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 "$2"); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.5
  done
  echo "demo: nothing listens on port $1" >&2; return 1
}

moto_port=$(free_port)
# AWS managed policies (AWSDenyAll, which offboarding attaches) exist in moto only with this.
MOTO_IAM_LOAD_MANAGED_POLICIES=true setsid .venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
pids+=($!)
wait_port "$moto_port" 60
endpoint="http://127.0.0.1:$moto_port"
echo "==> moto listening on $endpoint"
lambda_port=$(free_port)
reveal_base="http://127.0.0.1:$lambda_port/lambda-url/iam-onboarding"
.venv/bin/python scripts/local-account.py setup "$endpoint" "$work/function.env" "$reveal_base"

echo "==> building the function"
cargo build --bin iam-onboarding

RUST_LOG="${RUST_LOG:-info}" AWS_ENDPOINT_URL="$endpoint" setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$lambda_port" \
  --env-file "$work/function.env" >"$work/watch.log" 2>&1 &
pids+=($!)
wait_port "$lambda_port" 240

echo "==> cargo lambda invoke --data-file events/direct-single.json"
cargo lambda invoke iam-onboarding --invoke-address 127.0.0.1 --invoke-port "$lambda_port" \
  --data-file events/direct-single.json --output-format json

.venv/bin/python scripts/local-account.py show "$endpoint" jane.doe
link=$(.venv/bin/python scripts/local-account.py link "$endpoint" jane.doe@example.com)
echo
echo "==> the one-time reveal link from the email (it works once, in a browser):"
echo "    $link"
mkdir -p target/demo
echo "==> opening it in Chromium (/usr/bin/chromium) and clicking Reveal"
node tests/browser/screenshot.mjs "$link" target/demo/revealed.png
echo "    screenshot of the revealed page: target/demo/revealed.png"
echo
echo "==> function log (JSON, one line per step)"
grep '^{' "$work/watch.log" | grep -v AWS_LAMBDA_MAX_CONCURRENCY || true
