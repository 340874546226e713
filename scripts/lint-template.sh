#!/usr/bin/env bash
# Offline checks of template.yaml (called by scripts/test.sh; runnable alone).
#   1. SAM -> CloudFormation with aws-sam-translator  -> target/template/cfn.json
#      (the IAM simulator, tools/policy-sim, reads that file too)
#   2. cfn-lint on the transformed template and on the SAM source: zero errors,
#      zero warnings, zero informational findings (nothing is ignored), with
#      the project's own rules in scripts/template-rules.cfnlint (the function's
#      settings, the dead-letter queue and log group, the role's trust policy,
#      no wildcard or forbidden action, no managed or extra policies)
#   3. scripts/check-template.py check: what those rules cannot say (the role
#      resolved with sample parameters: resources and conditions per action,
#      its exact action set; env vars, Metadata, parameter patterns, resource
#      counts), and that the managed policy is exactly
#      policies/self-manage-credentials.json
#   4. parliament on every policy document of the template (resolved with
#      sample parameters, both with every optional parameter set and with none)
#      and on every policies/*.json file. Any finding fails, except the three
#      false positives listed, each with its reason, in
#      PARLIAMENT_SUPPRESSIONS of scripts/check-template.py.
#      parliament's community auditors are not enabled: they flag actions by
#      name only (CreateLoginProfile, AttachUserPolicy, ... are what this
#      product does); the conditions that make them safe are asserted in step 3
#      and proven request by request by the IAM simulator.
# Every tool comes from the project's venv (./scripts/setup.sh); a missing
# tool fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# LINT_TEMPLATE / LINT_OUT_DIR / LINT_POLICY_FILE: only for
# tests/python/test_template.py, which lints deliberately broken copies.
template="${LINT_TEMPLATE:-$root/template.yaml}"
out_dir="${LINT_OUT_DIR:-$root/target/template}"
export LINT_TEMPLATE="$template" LINT_OUT_DIR="$out_dir"

py="$root/.venv/bin/python"
cfn_lint="$root/.venv/bin/cfn-lint"

die() { echo "lint-template: $*" >&2; exit 1; }

[ -x "$py" ] || die "no project venv at .venv; run ./scripts/setup.sh"
[ "$(cat .venv/.requirements.sha 2>/dev/null)" = "$(sha256sum requirements-dev.txt | cut -d' ' -f1)" ] ||
  die ".venv does not match requirements-dev.txt; run ./scripts/setup.sh"
[ -x "$cfn_lint" ] || die "cfn-lint is missing from .venv; run ./scripts/setup.sh"
rules="$root/scripts/template-rules.cfnlint"
[ -f "$rules" ] || die "missing $rules"
"$py" -c 'import samtranslator, parliament' 2>/dev/null ||
  die "aws-sam-translator or parliament is missing from .venv; run ./scripts/setup.sh"

# Never reach a real AWS account, even when run outside scripts/test.sh.
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ENDPOINT_URL

echo "lint-template: SAM transform ($("$py" -c 'import samtranslator; print(samtranslator.__version__)'))"
"$py" scripts/check-template.py transform

echo "lint-template: $("$cfn_lint" --version) on the transformed template and the SAM source," \
  "with the custom rules in scripts/template-rules.cfnlint ($(grep -cvE '^[[:space:]]*(#|$)' "$rules") rules)"
# Regions: the template must be valid wherever it is likely to be deployed.
# A malformed rule line fails the run too (an E9xxx finding, or cfn-lint stops).
"$cfn_lint" --regions us-east-1 eu-west-1 ap-southeast-2 --include-checks I \
  --custom-rules "$rules" -- "$out_dir/cfn.json" "$template" ||
  die "cfn-lint reported findings (see above)"
echo "lint-template: cfn-lint: no errors, warnings or informational findings"

"$py" scripts/check-template.py check
"$py" scripts/check-template.py resolve
"$py" scripts/check-template.py parliament
echo "lint-template: OK"
