#!/usr/bin/env python3
"""Run the SCIM peer suites against a running SCIM server.

    tests/scim/peer_suites.py BASE_URL TOKEN_FILE

BASE_URL is the SCIM root, e.g. http://127.0.0.1:9000/lambda-url/iam-onboarding/scim/v2.
TOKEN_FILE holds the bearer token; it is read from the file so that it never
appears in argv or ps, and it is never printed.

Runs, in this order (pinned in requirements-dev.txt; run with .venv/bin/python,
or with .venv/bin first on PATH as scripts/test-env.sh sets it):
  1. scim2-tester, through its Python API scim2_tester.check_server with a
     scim2_client SyncSCIMClient (httpx2 client, Authorization: Bearer);
  2. scim-sanity's probe, through its Python API run_probe_api (strict mode).
     That is `scim-sanity probe URL --token T --i-accept-side-effects` without
     the token on the command line: the CLI takes it as --token only (no
     environment variable), where any user of the machine can read it.
Both suites create, change and delete Users (and Groups if /ResourceTypes
lists them) on the server, and clean up after themselves.

Prints one line per check, the reason under each one that did not pass, and a
closing "peer-suites: N passed, N failed, N skipped" line. A check fails when
scim2-tester reports ERROR or CRITICAL, or scim-sanity reports fail or error;
WARN lines are shown and do not fail the run. Exit status: 0 when no check
failed, 1 when one did, 2 on a usage error or a missing suite.
"""

import fnmatch
import sys
from importlib import metadata

# Checks whose failure is accepted for now: "<suite>: <check>" glob -> why.
# The check still runs; its result is listed as SKIP with this reason and is not
# counted. <check> is the name the report prints, e.g.
#   "scim2-tester: Group check_add_attribute members": "<issue or reason>",
#   "scim-sanity: PATCH /Groups/{id} add member": "<issue or reason>",
GROUPS = ("SCIM never creates, renames or deletes an IAM group: /Groups are the existing groups of "
          "ALLOWED_GROUPS, and a POST links one of them (docs/scim.md); the suites create groups with "
          "random names. Group membership is tested by tests/it/scim.rs")
EMPLOYEE_ID = ("employeeNumber is the HR employee id (tag EmployeeId) HR's events recognise the person "
               "by: SCIM sets and changes it but never removes it, so a PUT or PATCH that leaves it out "
               "cannot strand a leaver (docs/scim.md)")
SKIP: dict[str, str] = {
    "scim2-tester: Group *": GROUPS,
    "scim-sanity: * /Groups*": GROUPS,
    "scim2-tester: User check_remove_attribute urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": EMPLOYEE_ID,
    "scim2-tester: User check_remove_attribute urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": EMPLOYEE_ID,
}

PINNED = {"scim2-tester": "0.5.2", "scim-sanity": "0.7.4"}  # as in requirements-dev.txt

try:
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_tester import check_server
    from scim_sanity.probe.runner import run_probe_api
    VERSIONS = {dist: metadata.version(dist) for dist in PINNED}
except (ImportError, metadata.PackageNotFoundError) as exc:
    print(f"peer_suites: a SCIM peer suite is not installed ({exc}); run scripts/setup.sh "
          f"and use .venv/bin/python ({sys.executable} was used)", file=sys.stderr)
    sys.exit(2)

FAILED = {"ERROR", "CRITICAL", "FAIL"}


def scim2_tester(base_url: str, token: str) -> list[tuple[str, str, str]]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=base_url, headers=headers, timeout=60, trust_env=False) as http:
        results = check_server(SyncSCIMClient(http))
    rows = []
    for r in results:
        urn = r.data.get("urn") if isinstance(r.data, dict) else None
        name = " ".join(x for x in (r.resource_type, r.title, urn) if x)
        rows.append((r.status.name, name, r.reason or ""))
    return rows


def scim_sanity(base_url: str, token: str) -> list[tuple[str, str, str]]:
    report = run_probe_api(base_url, token=token, strict=True, timeout=60)
    return [(r["status"].upper(), r["name"], r.get("message", "")) for r in report["results"]]


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    base_url, token_file = sys.argv[1].rstrip("/"), sys.argv[2]
    with open(token_file, encoding="utf-8") as f:
        token = f.read().strip()
    if not token:
        print(f"peer_suites: {token_file} is empty", file=sys.stderr)
        return 2
    for dist, pinned in PINNED.items():
        if VERSIONS[dist] != pinned:
            print(f"peer_suites: {dist} {VERSIONS[dist]} is installed, {pinned} is pinned", file=sys.stderr)

    counts = {"passed": 0, "failed": 0, "skipped": 0, "warnings": 0}
    for suite, run in (("scim2-tester", scim2_tester), ("scim-sanity", scim_sanity)):
        print(f"== {suite} {VERSIONS[suite]} against {base_url}", flush=True)
        try:
            rows = run(base_url, token)
        except Exception as exc:  # the suite itself broke: that is a failure too
            rows = [("ERROR", "suite run", f"{type(exc).__name__}: {exc}")]
        for status, name, reason in rows:
            why = next((v for k, v in SKIP.items() if fnmatch.fnmatchcase(f"{suite}: {name}", k)), None)
            if why is not None:
                status, reason = "SKIP", f"{why} (was {status}: {reason})"
            elif status == "SKIPPED":
                status = "SKIP"
            counts["failed" if status in FAILED else "skipped" if status == "SKIP" else "passed"] += 1
            counts["warnings"] += status == "WARN"
            print(f"{status:<8} {name}".replace(token, "***"))
            if reason and status not in ("SUCCESS", "PASS"):
                for line in reason.replace(token, "***").splitlines():
                    print(f"         {line}")
    if counts["warnings"]:
        print(f"peer-suites: {counts['warnings']} of the passed checks are WARN lines")
    print(f"peer-suites: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
