#!/usr/bin/env bash
# The project's one test command (README "Run every test"; .ci/run calls it).
# Installs what it needs, then runs every check; any failure or missing tool fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

./scripts/setup.sh
source scripts/test-env.sh

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy (-D warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "template: SAM transform, cfn-lint, parliament, role checks"
./scripts/lint-template.sh

step "policies: simulator unit tests, then every scenario table"
node --test tools/policy-sim/test/
node tools/policy-sim/simulate.mjs

step "python tests"
.venv/bin/python -m pytest -q tests/python

step "rust tests (unit, emulator integration, cargo-lambda end-to-end)"
cargo nextest run --workspace --all-targets --locked --no-fail-fast --no-tests=fail
