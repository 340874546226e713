#!/usr/bin/env bash
# Installs every tool the demo and the tests need into the project folder:
# Python packages into ./.venv, npm packages into tools/policy-sim/ and
# tests/browser/node_modules, and Debian's Chromium and ChromeDriver (apt-get; the
# browser tests use /usr/bin/chromium, never a downloaded browser build).
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

for dir in tools/policy-sim tests/browser; do
  lock=$dir/node_modules/.lock.sha
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$lock" 2>/dev/null)" != "$want" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    echo "$want" > "$lock"
  fi
done

# The reveal page's browser tests (tests/it/reveal_browser.rs) drive Debian's Chromium.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  command -v apt-get >/dev/null 2>&1 \
    || { echo "setup: /usr/bin/chromium is missing and apt-get is not available to install it" >&2; exit 1; }
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
[ -x /usr/bin/chromium ] || { echo "setup: /usr/bin/chromium missing after install" >&2; exit 1; }

for tool in moto_server cargo-lambda cfn-lint parliament; do
  [ -x ".venv/bin/$tool" ] || { echo "setup: $tool missing from .venv after install" >&2; exit 1; }
done
# The Standard Webhooks reference library signs the integration tests' and samples' requests.
.venv/bin/python -c 'import standardwebhooks' 2>/dev/null \
  || { echo "setup: standardwebhooks missing from .venv after install" >&2; exit 1; }
# The SCIM peer suites (tests/scim/peer_suites.py, docs/scim.md).
.venv/bin/python -c 'import scim2_tester, scim2_client, scim_sanity' 2>/dev/null \
  || { echo "setup: the SCIM peer suites (scim2-tester, scim-sanity) are missing from .venv after install" >&2; exit 1; }
