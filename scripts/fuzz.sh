#!/usr/bin/env bash
# `make fuzz` (docs/contributing.md, "Fuzzing"): replays every input kept in
# fuzz/regressions/<target>/, then runs each cargo-fuzz target of fuzz/ for
# FUZZ_SECONDS seconds (default 60) on its seed corpus, one process each.
# Installs cargo-fuzz (crates.io) when missing; needs the nightly toolchain and
# python3. Exits non-zero when a tool is missing, a target does not build, or any
# replay or run crashed; crashing inputs are left in fuzz/artifacts/<target>/.
#   FUZZ_SECONDS=600 make fuzz                      # longer runs
#   FUZZ_TARGETS="hr_request strict_json" make fuzz # some targets only
# Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
case "$seconds" in
  '' | *[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2; exit 2 ;;
esac

die() { echo "fuzz: $*" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || die "python3 is not installed (it builds the seed corpora)"
command -v rustup >/dev/null 2>&1 || die "rustup is not installed (cargo fuzz needs the nightly toolchain)"
rustup run nightly rustc --version >/dev/null 2>&1 \
  || die "the nightly toolchain is not installed: rustup toolchain install nightly"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz from crates.io (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked || die "could not install cargo-fuzz"
  cargo fuzz --version >/dev/null 2>&1 || die "cargo fuzz is still not available (is ~/.cargo/bin on PATH?)"
fi

# Its own crate and target dir (fuzz/target), never the workspace's.
fuzz=(cargo +nightly fuzz)
dirs=(--fuzz-dir fuzz --target-dir fuzz/target)
all_targets=$("${fuzz[@]}" list --fuzz-dir fuzz)
targets=${FUZZ_TARGETS:-$all_targets}
for target in $targets; do
  grep -qx "$target" <<<"$all_targets" || die "no fuzz target '$target' (targets: $(echo $all_targets))"
done

python3 fuzz/make_seeds.py

printf '\n==> cargo +nightly fuzz build\n'
"${fuzz[@]}" build "${dirs[@]}" || die "the fuzz targets do not build"

failed=()
printf '\n==> replaying fuzz/regressions/\n'
for target in $targets; do
  inputs=()
  if [ -d "fuzz/regressions/$target" ]; then
    while IFS= read -r -d '' file; do inputs+=("$file"); done \
      < <(find "fuzz/regressions/$target" -type f ! -name '*.md' -print0 | sort -z)
  fi
  [ "${#inputs[@]}" -gt 0 ] || continue
  echo "fuzz: $target: ${#inputs[@]} regression input(s)"
  # Files as arguments: libFuzzer runs each once and exits.
  if ! "${fuzz[@]}" run "${dirs[@]}" "$target" "${inputs[@]}" -- -timeout=30; then
    failed+=("$target (regression)")
  fi
done

for target in $targets; do
  printf '\n==> %s: %s s\n' "$target" "$seconds"
  args=(-max_total_time="$seconds" -timeout=30 -print_final_stats=1)
  case "$target" in
    strict_json | hr_request | http_event | hr_connectors) args+=(-dict=fuzz/dicts/json.dict) ;;
    credential_report) args+=(-dict=fuzz/dicts/credential_report.dict) ;;
  esac
  # One process (--jobs 1: no fork mode); new inputs go to fuzz/corpus/<target>/.
  if ! "${fuzz[@]}" run "${dirs[@]}" --jobs 1 "$target" "fuzz/corpus/$target" -- "${args[@]}"; then
    failed+=("$target")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nfuzz: FAILED: %s\n' "${failed[*]}" >&2
  echo "fuzz: crashing inputs are in fuzz/artifacts/<target>/; minimise one with" >&2
  echo "      cargo +nightly fuzz tmin --fuzz-dir fuzz --target-dir fuzz/target <target> <file>" >&2
  echo "      and keep it in fuzz/regressions/<target>/ (replayed first by make fuzz)" >&2
  exit 1
fi
printf '\nfuzz: every target ran %s s without a crash: %s\n' "$seconds" "$(echo $targets)"
