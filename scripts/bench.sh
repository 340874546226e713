#!/usr/bin/env bash
# `make bench` (README "Benchmarks"): builds the deployable
# release bootstrap and measures init time, peak RSS, critical-path latency,
# batch throughput and binary size against moto behind a delay proxy.
# Prints a table with budgets; writes target/bench/results.json.
# Exits 0 when every figure was measured, even if a budget is missed; non-zero
# when something could not be built or measured. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/setup.sh
# Tools from .venv and an environment that can never reach a real AWS account.
source scripts/test-env.sh

out=target/bench
mkdir -p "$out"
pidfile=$out/children.pids
harness=

# Kill whatever is left: the harness, then every child it recorded (moto,
# bootstrap), by pid and only if it is still the program we started.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$harness" ] && kill -0 "$harness" 2>/dev/null; then
    kill -TERM "$harness" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$harness" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$harness" 2>/dev/null || true
  fi
  if [ -f "$pidfile" ]; then
    while read -r pid; do
      [ -n "$pid" ] || continue
      cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)
      case "$cmd" in
        *moto_server*|*bootstrap*) kill -KILL "$pid" 2>/dev/null || true ;;
      esac
    done < "$pidfile"
    rm -f "$pidfile"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '\n==> release build: cargo lambda build --release --compiler cargo (x86_64, this machine)\n'
cargo lambda build --release --compiler cargo --bin iam-onboarding
target_dir=$(cargo metadata --format-version 1 --no-deps --offline \
  | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
bootstrap=$target_dir/lambda/iam-onboarding/bootstrap
[ -x "$bootstrap" ] || { echo "bench: no bootstrap at $bootstrap after the build" >&2; exit 1; }

printf '\n==> measuring (moto + delay proxy + Lambda Runtime API stub)\n'
.venv/bin/python bench/bench.py --bootstrap "$bootstrap" --out "$out" "$@" &
harness=$!
wait "$harness"
