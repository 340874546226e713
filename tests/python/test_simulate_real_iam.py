"""Unit tests of scripts/simulate-real-iam.py: the requests it builds and how it
judges IAM's answers. No network: botocore's Stubber answers every call (and the
client still validates each request against the IAM API model)."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("simulate_real_iam", ROOT / "scripts" / "simulate-real-iam.py")
sim = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sim)

SELF_MANAGE = ROOT / "policies" / "scenarios" / "self-manage-credentials.json"
FILE_TABLES = [p for p in sorted((ROOT / "policies" / "scenarios").glob("*.json")) if "files" in json.loads(p.read_text())["policies"]]
TO_DECISION = {"Allowed": "allowed", "ImplicitlyDenied": "implicitDeny", "ExplicitlyDenied": "explicitDeny", "Denied": "explicitDeny"}


@pytest.fixture
def iam():
    client = boto3.client("iam", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def answer(scenario, decision=None, **extra):
    return {
        "EvaluationResults": [
            {
                "EvalActionName": scenario["action"],
                "EvalResourceName": scenario["resource"],
                "EvalDecision": decision or TO_DECISION[scenario["expect"]],
                **extra,
            }
        ],
        "IsTruncated": False,
    }


def test_context_for_user_with_and_without_mfa():
    jane = {"user": "jane", "path": "/engineering/"}
    assert sim.context_entries({"principal": jane, "mfa": False}) == [
        {"ContextKeyName": "aws:username", "ContextKeyValues": ["jane"], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["false"], "ContextKeyType": "boolean"},
    ]
    assert sim.context_entries({"principal": jane, "mfa": True})[1]["ContextKeyValues"] == ["true"]
    # mfa null (and missing) = the key is absent, as with long-term access keys
    assert sim.context_entries({"principal": jane, "mfa": None}) == [
        {"ContextKeyName": "aws:username", "ContextKeyValues": ["jane"], "ContextKeyType": "string"}
    ]
    assert sim.context_entries({"principal": jane}) == sim.context_entries({"principal": jane, "mfa": None})


def test_context_for_role_and_extra_keys_are_typed():
    entries = sim.context_entries(
        {
            "principal": {"role": "arn:aws:sts::123456789012:assumed-role/R/s"},
            "mfa": None,
            "context": {
                "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
                "aws:TagKeys": ["ManagedBy", "Team"],
                "aws:SourceIp": "192.0.2.1",
                "aws:SecureTransport": "true",
                "aws:MultiFactorAuthAge": 30,
                "x:Flag": True,
            },
        }
    )
    assert entries == [
        {"ContextKeyName": "iam:PolicyARN", "ContextKeyValues": ["arn:aws:iam::aws:policy/AdministratorAccess"], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["ManagedBy", "Team"], "ContextKeyType": "stringList"},
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["192.0.2.1"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
        {"ContextKeyName": "aws:MultiFactorAuthAge", "ContextKeyValues": ["30"], "ContextKeyType": "numeric"},
        {"ContextKeyName": "x:Flag", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
    ]


def test_first_sign_in_request_is_what_iam_needs():
    table = sim.load_table(SELF_MANAGE)
    docs = sim.policy_documents(table)
    scenario = next(s for s in table["scenarios"] if s["action"] == "iam:ChangePassword" and s["mfa"] is False)
    request = sim.build_request(scenario, docs)
    assert request == {
        "PolicyInputList": [(ROOT / "policies" / "self-manage-credentials.json").read_text()],
        "ActionNames": ["iam:ChangePassword"],
        "ResourceArns": ["arn:aws:iam::123456789012:user/jane"],
        "ContextEntries": [
            {"ContextKeyName": "aws:username", "ContextKeyValues": ["jane"], "ContextKeyType": "string"},
            {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["false"], "ContextKeyType": "boolean"},
        ],
    }
    assert "CallerArn" not in request  # only meaningful with a resource policy
    # the policy is sent verbatim, with its ${aws:username} variables for IAM to resolve
    assert "${aws:username}" in request["PolicyInputList"][0]


def test_wildcard_resource_is_left_to_iam_default():
    table = sim.load_table(SELF_MANAGE)
    scenario = next(s for s in table["scenarios"] if s["action"] == "iam:GetAccountPasswordPolicy")
    request = sim.build_request(scenario, sim.policy_documents(table))
    assert "ResourceArns" not in request


@pytest.mark.parametrize("table_path", FILE_TABLES, ids=lambda p: p.name)
def test_every_scenario_of_every_table_makes_a_valid_request_and_passes_when_iam_agrees(iam, table_path):
    client, stubber = iam
    table = sim.load_table(table_path)
    docs = sim.policy_documents(table)
    # botocore validates types, lengths and names of every parameter, but not enum values
    key_types = set(client.meta.service_model.shape_for("ContextKeyTypeEnum").enum)
    for scenario in table["scenarios"]:
        request = sim.build_request(scenario, docs)
        assert {e["ContextKeyType"] for e in request["ContextEntries"]} <= key_types
        stubber.add_response("simulate_custom_policy", answer(scenario), request)
    out = io.StringIO()
    assert sim.run([table_path], client, out=out) == 0, out.getvalue()
    text = out.getvalue()
    assert f"real-iam: {len(table['scenarios'])} passed, 0 failed" in text
    assert "FAIL" not in text


def test_mismatch_fails_and_prints_request_and_matched_statement(iam):
    client, stubber = iam
    table = sim.load_table(SELF_MANAGE)
    docs = sim.policy_documents(table)
    for i, scenario in enumerate(table["scenarios"]):
        if i == 0:  # first sign-in ChangePassword: pretend IAM finds the seed's lockout
            resp = answer(
                scenario,
                "explicitDeny",
                MatchedStatements=[
                    {"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "IAM Policy", "StartPosition": {"Line": 3, "Column": 5}, "EndPosition": {"Line": 9, "Column": 6}}
                ],
            )
        else:
            resp = answer(scenario)
        stubber.add_response("simulate_custom_policy", resp, sim.build_request(scenario, docs))
    out = io.StringIO()
    assert sim.run([SELF_MANAGE], client, out=out) == 1
    text = out.getvalue()
    first = table["scenarios"][0]
    assert f"FAIL  policies/scenarios/self-manage-credentials.json #1 {first['name']}: expected Allowed, got ExplicitlyDenied" in text
    assert '"ActionNames": ["iam:ChangePassword"]' in text
    assert "matched statement in policies/self-manage-credentials.json at line 3, column 5" in text
    assert f"real-iam: {len(table['scenarios']) - 1} passed, 1 failed" in text
    # the pass/fail table
    assert any(line.startswith("FAIL  policies/scenarios/self-manage-credentials.json") and "ExplicitlyDenied" in line for line in text.splitlines())
    assert sum(line.startswith("PASS ") for line in text.splitlines()) == len(table["scenarios"]) - 1


def test_denied_accepts_either_deny():
    assert sim.matches("Denied", "ImplicitlyDenied") and sim.matches("Denied", "ExplicitlyDenied")
    assert not sim.matches("Denied", "Allowed")
    assert not sim.matches("ImplicitlyDenied", "ExplicitlyDenied")


def test_paginated_answer_is_followed(tmp_path, iam):
    client, stubber = iam
    table = {
        "description": "t",
        "account": "123456789012",
        "policies": {"files": ["policies/self-manage-credentials.json"]},
        "scenarios": [{"name": "s", "principal": {"user": "jane"}, "mfa": True, "action": "s3:ListAllMyBuckets", "resource": "*", "expect": "ImplicitlyDenied"}],
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(table))
    request = sim.build_request(table["scenarios"][0], sim.policy_documents(table))
    stubber.add_response("simulate_custom_policy", {"EvaluationResults": [], "IsTruncated": True, "Marker": "m1"}, request)
    stubber.add_response("simulate_custom_policy", answer(table["scenarios"][0]), {**request, "Marker": "m1"})
    out = io.StringIO()
    assert sim.run([path], client, out=out) == 0, out.getvalue()


def test_api_error_exits_2(tmp_path, iam):
    client, stubber = iam
    stubber.add_client_error("simulate_custom_policy", "AccessDenied", "not authorized to perform iam:SimulateCustomPolicy")
    table = sim.load_table(SELF_MANAGE)
    path = tmp_path / "one.json"
    path.write_text(json.dumps(dict(table, scenarios=table["scenarios"][:1])))
    out = io.StringIO()
    assert sim.run([path], client, out=out) == 2
    assert "AccessDenied" in out.getvalue()
    assert "real-iam: 0 passed, 1 failed" in out.getvalue()


def test_malformed_table_and_template_table(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"account": "1", "policies": {"files": []}, "scenarios": [{"expect": "Allow"}]}))
    with pytest.raises(sim.TableError, match=r'"account".*\n.*"expect"'):
        sim.load_table(bad)
    out = io.StringIO()
    assert sim.run([bad], client=None, out=out) == 2
    tpl = tmp_path / "tpl.json"
    tpl.write_text(
        json.dumps(
            {
                "description": "t",
                "account": "123456789012",
                "policies": {"template": {"file": "target/template/cfn.json", "role": "R"}},
                "scenarios": [{"name": "s", "principal": {"role": "arn:aws:sts::123456789012:assumed-role/R/s"}, "mfa": None, "action": "iam:GetUser", "resource": "*", "expect": "Denied"}],
            }
        )
    )
    out = io.StringIO()
    assert sim.run([tpl], client=None, out=out) == 0
    assert "skip" in out.getvalue() and "template table" in out.getvalue()


def test_dry_run_prints_requests_and_calls_nothing(capsys):
    assert sim.main(["--dry-run", str(SELF_MANAGE)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    table = sim.load_table(SELF_MANAGE)
    assert len(lines) == len(table["scenarios"])
    assert lines[0]["request"]["ActionNames"] == [table["scenarios"][0]["action"]]


def test_missing_credentials_stop_at_the_first_call():
    from botocore.exceptions import NoCredentialsError

    class NoCreds:
        calls = 0

        def simulate_custom_policy(self, **kwargs):
            NoCreds.calls += 1
            raise NoCredentialsError()

    out = io.StringIO()
    assert sim.run([SELF_MANAGE], NoCreds(), out=out) == 2
    assert NoCreds.calls == 1
    assert "configure AWS credentials" in out.getvalue()
