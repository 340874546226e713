#!/usr/bin/env bash
# Installs every tool the demo and the tests need into the project folder:
# Python packages into ./.venv and npm packages into tools/policy-sim/node_modules.
# Idempotent: re-running it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: required tool '$1' is not installed" >&2; exit 1; }; }
need python3
need cargo
need node
need npm

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

if [ -f tools/policy-sim/package-lock.json ]; then
  lock=tools/policy-sim/node_modules/.lock.sha
  want=$(sha256sum tools/policy-sim/package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$lock" 2>/dev/null)" != "$want" ]; then
    npm ci --prefix tools/policy-sim --no-audit --no-fund --loglevel=error
    echo "$want" > "$lock"
  fi
fi

for tool in moto_server cargo-lambda cfn-lint parliament; do
  [ -x ".venv/bin/$tool" ] || { echo "setup: $tool missing from .venv after install" >&2; exit 1; }
done
# The Standard Webhooks reference library signs the integration tests' and samples' requests.
.venv/bin/python -c 'import standardwebhooks' 2>/dev/null \
  || { echo "setup: standardwebhooks missing from .venv after install" >&2; exit 1; }
