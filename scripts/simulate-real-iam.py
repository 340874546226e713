#!/usr/bin/env python3
"""Run the policy scenario tables against real IAM with iam:SimulateCustomPolicy.

The same tables that tools/policy-sim/simulate.mjs evaluates offline
(policies/scenarios/*.json, format in policies/README.md) are sent, one
scenario per call, to IAM's own policy simulator. Needs AWS credentials
allowed to call iam:SimulateCustomPolicy (it reads nothing and changes
nothing in the account). Tables that load a CloudFormation template role
("policies": {"template": ...}) are skipped: their policies only exist
after the template is resolved; for a deployed stack use
`aws iam simulate-principal-policy` on the role instead.

    .venv/bin/python scripts/simulate-real-iam.py [--profile P] [--region R] [--dry-run] [TABLE.json ...]

Exit status: 0 all scenarios match, 1 a mismatch, 2 a bad table or an API error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "policies" / "scenarios"

EXPECTATIONS = ("Allowed", "ImplicitlyDenied", "ExplicitlyDenied", "Denied")
DECISIONS = {"allowed": "Allowed", "implicitDeny": "ImplicitlyDenied", "explicitDeny": "ExplicitlyDenied"}

# ContextKeyType for global keys that are not plain strings. Anything else is
# typed from the JSON value: bool -> boolean, number -> numeric, list -> ...List.
KNOWN_KEY_TYPES = {
    "aws:multifactorauthpresent": "boolean",
    "aws:securetransport": "boolean",
    "aws:viaawsservice": "boolean",
    "aws:principalisawsservice": "boolean",
    "aws:multifactorauthage": "numeric",
    "aws:epochtime": "numeric",
    "aws:sourceip": "ip",
    "aws:currenttime": "date",
    "aws:tokenissuetime": "date",
}


class TableError(Exception):
    pass


def load_table(path: Path) -> dict[str, Any]:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TableError(f"{path}: cannot read table: {e}") from e
    problems = []
    if not isinstance(table, dict):
        raise TableError(f"{path}: the table must be a JSON object")
    if not isinstance(table.get("account"), str) or not table["account"].isdigit() or len(table["account"]) != 12:
        problems.append('"account" must be a 12-digit string')
    if not isinstance(table.get("policies"), dict):
        problems.append('"policies" must be an object')
    scenarios = table.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        problems.append('"scenarios" must be a non-empty list')
    else:
        for i, s in enumerate(scenarios, 1):
            if not isinstance(s, dict):
                problems.append(f"scenario #{i}: must be an object")
                continue
            if s.get("expect") not in EXPECTATIONS:
                problems.append(f"scenario #{i}: \"expect\" must be one of {', '.join(EXPECTATIONS)}")
            if not isinstance(s.get("action"), str) or not isinstance(s.get("resource"), str):
                problems.append(f"scenario #{i}: \"action\" and \"resource\" are required strings")
            p = s.get("principal")
            if not isinstance(p, dict) or not ("user" in p or "role" in p):
                problems.append(f"scenario #{i}: \"principal\" must have \"user\" or \"role\"")
            if s.get("mfa") not in (True, False, None):
                problems.append(f"scenario #{i}: \"mfa\" must be true, false or null")
    if problems:
        raise TableError(f"{path}: malformed table (node tools/policy-sim/simulate.mjs checks it fully):\n  - " + "\n  - ".join(problems))
    return table


def policy_documents(table: dict[str, Any], root: Path = ROOT) -> list[str] | None:
    """The policy JSON strings of a "files" table, or None for a template table."""
    files = table["policies"].get("files")
    if files is None:
        return None
    docs = []
    for f in files:
        text = (root / f).read_text(encoding="utf-8")
        json.loads(text)  # fail early on a broken policy file
        docs.append(text)
    return docs


def _context_type(key: str, value: Any) -> tuple[str, list[str]]:
    known = KNOWN_KEY_TYPES.get(key.lower())
    values = value if isinstance(value, list) else [value]

    def text(v: Any) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    if known:
        base = known
    elif all(isinstance(v, bool) for v in values):
        base = "boolean"
    elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        base = "numeric"
    else:
        base = "string"
    return (base + "List" if isinstance(value, list) else base), [text(v) for v in values]


def context_entries(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """The same request context tools/policy-sim/simulate.mjs gives the offline simulator."""
    entries = []
    principal = scenario["principal"]
    if "user" in principal:
        entries.append({"ContextKeyName": "aws:username", "ContextKeyValues": [principal["user"]], "ContextKeyType": "string"})
    mfa = scenario.get("mfa")
    if mfa is not None:
        entries.append(
            {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true" if mfa else "false"], "ContextKeyType": "boolean"}
        )
    for key, value in (scenario.get("context") or {}).items():
        ktype, values = _context_type(key, value)
        entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": ktype})
    return entries


def build_request(scenario: dict[str, Any], documents: list[str]) -> dict[str, Any]:
    """Keyword arguments of iam.simulate_custom_policy for one scenario.

    No CallerArn: it is only needed with a ResourcePolicy (and must then name an
    existing IAM user); the identity is conveyed by aws:username, as offline.
    ResourceArns is left out for "*" (IAM's default).
    """
    request: dict[str, Any] = {
        "PolicyInputList": list(documents),
        "ActionNames": [scenario["action"]],
        "ContextEntries": context_entries(scenario),
    }
    if scenario["resource"] != "*":
        request["ResourceArns"] = [scenario["resource"]]
    return request


def decision_of(responses: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """Combine the (paginated) responses of one single-action simulation."""
    results = [r for resp in responses for r in resp.get("EvaluationResults", [])]
    if len(results) != 1:
        raise RuntimeError(f"expected one evaluation result, got {len(results)}")
    result = results[0]
    decision = result["EvalDecision"]
    if decision not in DECISIONS:
        raise RuntimeError(f"unknown EvalDecision {decision!r}")
    return DECISIONS[decision], result


def matches(expect: str, actual: str) -> bool:
    if expect == "Denied":
        return actual in ("ImplicitlyDenied", "ExplicitlyDenied")
    return expect == actual


def simulate(client: Any, request: dict[str, Any]) -> list[dict[str, Any]]:
    responses = []
    kwargs = dict(request)
    while True:
        resp = client.simulate_custom_policy(**kwargs)
        responses.append(resp)
        if not resp.get("IsTruncated"):
            return responses
        kwargs["Marker"] = resp["Marker"]


def explain(result: dict[str, Any], documents: list[str], files: list[str]) -> list[str]:
    lines = []
    for m in result.get("MatchedStatements", []):
        source = m.get("SourcePolicyId", "?")
        # PolicyInputList.N (1-based) -> the table's file name
        if source.startswith("PolicyInputList."):
            try:
                source = files[int(source.rsplit(".", 1)[1]) - 1]
            except (ValueError, IndexError):
                pass
        start = m.get("StartPosition", {})
        lines.append(f"matched statement in {source} at line {start.get('Line', '?')}, column {start.get('Column', '?')}")
    if result.get("MissingContextValues"):
        lines.append(f"context keys the policies use but the request lacks: {', '.join(result['MissingContextValues'])}")
    if not lines:
        lines.append("no statement matched")
    return lines


def run(tables: list[Path], client: Any, out=None, dry_run: bool = False, root: Path = ROOT) -> int:
    out = out or sys.stdout
    rows = []
    errors = 0
    for path in tables:
        name = path.relative_to(root) if path.is_relative_to(root) else path
        try:
            table = load_table(path)
            documents = policy_documents(table, root)
        except (TableError, OSError, ValueError) as e:
            print(f"ERROR {e}", file=out)
            errors += 1
            continue
        if documents is None:
            print(f"skip  {name}: template table (see the module docstring)", file=out)
            continue
        for i, scenario in enumerate(table["scenarios"], 1):
            request = build_request(scenario, documents)
            if dry_run:
                # The policy documents are abbreviated to their file names.
                shown = dict(request, PolicyInputList=[f"<{f}>" for f in table["policies"]["files"]])
                print(json.dumps({"table": str(name), "scenario": i, "name": scenario.get("name"), "request": shown}), file=out)
                continue
            try:
                actual, result = decision_of(simulate(client, request))
            except Exception as e:  # botocore ClientError, throttling after retries, unexpected shape
                if type(e).__name__ in ("NoCredentialsError", "PartialCredentialsError", "NoRegionError"):
                    print(f"ERROR {e}: configure AWS credentials (e.g. --profile) first", file=out)
                    return 2
                print(f"ERROR {name} #{i} {scenario.get('name')}: {e}", file=out)
                errors += 1
                continue
            ok = matches(scenario["expect"], actual)
            rows.append((ok, str(name), i, scenario["expect"], actual, scenario.get("name", "")))
            if not ok:
                print(f"FAIL  {name} #{i} {scenario.get('name')}: expected {scenario['expect']}, got {actual}", file=out)
                print(f"      request: {json.dumps({k: v for k, v in request.items() if k != 'PolicyInputList'})}", file=out)
                for line in explain(result, documents, table["policies"]["files"]):
                    print(f"      {line}", file=out)
    if rows:
        width = max(len(r[1]) for r in rows)
        print(f"\n{'':4}  {'table':{width}}  {'#':>3}  {'expected':16}  {'IAM says':16}  scenario", file=out)
        for ok, name, i, expect, actual, sname in rows:
            print(f"{'PASS' if ok else 'FAIL':4}  {name:{width}}  {i:>3}  {expect:16}  {actual:16}  {sname}", file=out)
    failed = sum(1 for r in rows if not r[0])
    if not dry_run:
        print(f"real-iam: {len(rows) - failed} passed, {failed + errors} failed", file=out)
    return 2 if errors else 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tables", nargs="*", type=Path, help="scenario tables (default: policies/scenarios/*.json)")
    parser.add_argument("--profile", help="AWS profile (default: the usual credential chain)")
    parser.add_argument("--region", default=None, help="region for the IAM client (IAM is global; any commercial region works)")
    parser.add_argument("--dry-run", action="store_true", help="print the requests as JSON lines; call nothing")
    args = parser.parse_args(argv)
    tables = [t.resolve() for t in args.tables] or sorted(SCENARIO_DIR.glob("*.json"))
    client = None
    if not args.dry_run:
        import boto3  # imported here so --dry-run and the unit tests need no AWS configuration

        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        client = session.client("iam", region_name=args.region or session.region_name or "us-east-1")
    return run(tables, client, dry_run=args.dry_run)


if __name__ == "__main__":
    sys.exit(main())
