"""The template checks must fail on the mistakes they exist to catch.

Each test lints a deliberately broken copy of template.yaml (or of the policy
file) in a temporary directory through the same entry points as
scripts/lint-template.sh, and asserts that the run fails with the expected
message. Nothing in the repository or in target/template is touched.

The checks live in two places: the cfn-lint custom rules in
scripts/template-rules.cfnlint (test_custom_rules_catch) and
scripts/check-template.py check (test_check_catches).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
POLICY = ROOT / "policies" / "self-manage-credentials.json"
PY = ROOT / ".venv" / "bin" / "python"
CHECK = ROOT / "scripts" / "check-template.py"
LINT = ROOT / "scripts" / "lint-template.sh"
CFN_LINT = ROOT / ".venv" / "bin" / "cfn-lint"
RULES = ROOT / "scripts" / "template-rules.cfnlint"

USERS = "Resource: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:user${UserPath}*"


def env_for(tmp: Path, template: Path, policy: Path | None = None) -> dict:
    env = dict(os.environ)
    env.update(LINT_TEMPLATE=str(template), LINT_OUT_DIR=str(tmp / "out"),
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    if policy is not None:
        env["LINT_POLICY_FILE"] = str(policy)
    return env


def run(cmd: list, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def mutate(tmp: Path, old: str, new: str, count: int = 1) -> Path:
    text = TEMPLATE.read_text()
    assert text.count(old) == count, f"mutation anchor found {text.count(old)} times, expected {count}: {old!r}"
    path = tmp / "template.yaml"
    path.write_text(text.replace(old, new))
    return path


def checks(tmp: Path, template: Path, policy: Path | None = None, parliament: bool = False):
    """transform + check (+ resolve + parliament); returns (ok, combined output)."""
    env = env_for(tmp, template, policy)
    steps = ["transform", "check"] + (["resolve", "parliament"] if parliament else [])
    out = ""
    for step in steps:
        p = run([PY, CHECK, step], env)
        out += p.stdout + p.stderr
        if p.returncode != 0:
            return False, out
    return True, out


def custom_rules(tmp: Path, template: Path, rules: Path = RULES):
    """transform + cfn-lint with the custom rules on the transformed template
    (as step 2 of lint-template.sh does); returns (ok, combined output)."""
    env = env_for(tmp, template)
    p = run([PY, CHECK, "transform"], env)
    if p.returncode != 0:
        return False, p.stdout + p.stderr
    p = run([CFN_LINT, "--custom-rules", rules, "--", tmp / "out" / "cfn.json"], env)
    return p.returncode == 0, p.stdout + p.stderr


@pytest.fixture(autouse=True)
def _tools():
    if not PY.exists():
        pytest.fail("project venv missing: run ./scripts/setup.sh")


def test_real_template_passes_the_whole_lint(tmp_path):
    p = run([LINT], env_for(tmp_path, TEMPLATE))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "lint-template: OK" in p.stdout


@pytest.mark.parametrize("old,new", [
    ("Runtime: provided.al2023", "Runtime: provided.al2025"),
    ("      Architectures:\n        - arm64", "      Architectures:\n        - arm46"),
    ("Destination: !GetAtt OnboardingDeadLetterQueue.Arn", "Destination: !GetAtt NoSuchQueue.Arn"),
])
def test_cfn_lint_on_the_transformed_template_catches(tmp_path, old, new):
    p = run([LINT], env_for(tmp_path, mutate(tmp_path, old, new)))
    assert p.returncode != 0
    assert "cfn-lint reported findings" in p.stderr or "SAM transform failed" in p.stderr, p.stdout + p.stderr


EXTRA_POLICY = """  ExtraPolicy:
    Type: {type}
    Properties:
      PolicyName: extra
      {target}
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: "*"

  OnboardingFunction:
    Type: AWS::Serverless::Function
"""
FUNCTION = "  OnboardingFunction:\n    Type: AWS::Serverless::Function\n"


def expect_finding(name, result, message):
    """A check run on a broken template must fail and say `message`."""
    ok, out = result
    assert not ok, f"{name}: passed a broken template:\n{out}"
    assert message in out, f"{name}: expected {message!r} in:\n{out}"


@pytest.mark.parametrize("name,old,new,message", [
    ("wildcard write action", "Action: iam:CreateUser", "Action: iam:Create*", "wildcard action"),
    ("iam:*", "Action: iam:GetUser", "Action: iam:*", "wildcard action"),
    ("wildcard in the conditional statement", "Action: iam:AddUserToGroup", "Action: iam:AddUser*",
     "wildcard action"),
    ("PutUserPolicy", "Action: iam:GetUser", "Action: [iam:GetUser, iam:PutUserPolicy]", "never be granted"),
    ("CreateAccessKey", "Action: iam:AttachUserPolicy", "Action: [iam:AttachUserPolicy, iam:CreateAccessKey]",
     "never be granted"),
    ("Deny statement", "              - Sid: ReadAccountSettings\n                Effect: Allow",
     "              - Sid: ReadAccountSettings\n                Effect: Deny", "must be an Allow"),
    ("NotAction", "Action: iam:GetUser", "NotAction: iam:GetUser", "must not use NotAction"),
    ("other runtime", "Runtime: provided.al2023", "Runtime: provided.al2", "Runtime must be provided.al2023"),
    ("x86_64", "      Architectures:\n        - arm64", "      Architectures:\n        - x86_64",
     "Architectures must be [arm64]"),
    ("handler", "Handler: bootstrap", "Handler: main", "Handler must be bootstrap"),
    ("text logs", "LogFormat: JSON", "LogFormat: Text", "LoggingConfig.LogFormat must be JSON"),
    ("logs elsewhere", "        LogGroup: !Ref OnboardingLogGroup\n", "",
     "LoggingConfig.LogGroup must be the stack's own log group"),
    ("long timeout", "Timeout: 60", "Timeout: 300", "Timeout must be 60 s at most"),
    ("no reserved concurrency", "      ReservedConcurrentExecutions: !If\n        - HasReservedConcurrency\n"
     "        - !Ref ReservedConcurrency\n        - !Ref AWS::NoValue\n", "", "ReservedConcurrentExecutions must stay"),
    ("IAM-authenticated URL", "AuthType: NONE", "AuthType: AWS_IAM", "AuthType must be NONE"),
    ("no async dead letters", "        DestinationConfig:\n          OnFailure:\n            Type: SQS\n"
     "            Destination: !GetAtt OnboardingDeadLetterQueue.Arn\n", "",
     "asynchronous invocations must send failures to the dead-letter queue"),
    ("no rule dead letters", "              MaximumEventAgeInSeconds: 86400\n            DeadLetterConfig:\n"
     "              Arn: !GetAtt OnboardingDeadLetterQueue.Arn\n",
     "              MaximumEventAgeInSeconds: 86400\n", "the EventBridge target must have a dead-letter queue"),
    ("no schedule dead letters", "              MaximumEventAgeInSeconds: 3600\n            DeadLetterConfig:\n"
     "              Arn: !GetAtt OnboardingDeadLetterQueue.Arn\n",
     "              MaximumEventAgeInSeconds: 3600\n", "the EventBridge target must have a dead-letter queue"),
    ("unencrypted queue", "  OnboardingDeadLetterQueue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Delete\n"
     "    UpdateReplacePolicy: Delete\n    Properties:\n      MessageRetentionPeriod: 1209600\n"
     "      SqsManagedSseEnabled: true\n",
     "  OnboardingDeadLetterQueue:\n    Type: AWS::SQS::Queue\n    DeletionPolicy: Delete\n"
     "    UpdateReplacePolicy: Delete\n    Properties:\n      MessageRetentionPeriod: 1209600\n"
     "      SqsManagedSseEnabled: false\n", "encrypted at rest"),
    ("unencrypted bulk queue", "      VisibilityTimeout: 360\n      MessageRetentionPeriod: 1209600\n"
     "      SqsManagedSseEnabled: true\n",
     "      VisibilityTimeout: 360\n      MessageRetentionPeriod: 1209600\n"
     "      SqsManagedSseEnabled: false\n", "encrypted at rest"),
    ("logs kept forever", "      RetentionInDays: !Ref LogRetentionDays\n", "      LogGroupClass: STANDARD\n",
     "the log group must set RetentionInDays"),
    ("assumable by EC2", "Service: lambda.amazonaws.com", "Service: ec2.amazonaws.com",
     "assumable by one AWS service only"),
    ("assumable by an account", "              Service: lambda.amazonaws.com\n",
     "              Service: lambda.amazonaws.com\n              AWS: arn:aws:iam::123456789012:root\n",
     "assumable by one AWS service only"),
    ("assumable by anyone", "              Service: lambda.amazonaws.com\n            Action: sts:AssumeRole",
     "              \"*\"\n            Action: sts:AssumeRole", "assumable by one AWS service only"),
    ("managed policy", "      Policies:\n        - PolicyName: onboarding\n",
     "      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole\n"
     "      Policies:\n        - PolicyName: onboarding\n", "must not attach managed policies"),
    ("extra AWS::IAM::Policy", FUNCTION,
     EXTRA_POLICY.format(type="AWS::IAM::Policy", target="Roles: [!Ref OnboardingExecutionRole]"),
     "no other identity policies may be added (AWS::IAM::Policy)"),
])
def test_custom_rules_catch(tmp_path, name, old, new, message):
    expect_finding(f"{name} (custom rules)", custom_rules(tmp_path, mutate(tmp_path, old, new)), message)


def test_a_custom_rule_finding_fails_the_whole_lint(tmp_path):
    p = run([LINT], env_for(tmp_path, mutate(tmp_path, "Action: iam:GetUser", "Action: iam:*")))
    assert p.returncode != 0
    assert "cfn-lint reported findings" in p.stderr, p.stdout + p.stderr
    assert "wildcard action" in p.stdout, p.stdout + p.stderr
    assert "lint-template: OK" not in p.stdout


def test_a_malformed_custom_rule_fails_the_lint(tmp_path):
    rules = tmp_path / "rules"
    rules.write_text(RULES.read_text() + "AWS::Lambda::Function Runtime SAME_AS provided.al2023\n")
    ok, out = custom_rules(tmp_path, TEMPLATE, rules)
    assert not ok and "not in supported operators" in out, out


@pytest.mark.parametrize("name,old,new,message", [
    ("new action", "Action: iam:GetUser", "Action: [iam:GetUser, iam:ListUsers]", "actions changed"),
    ("login profile on *", "  - iam:DeleteLoginProfile\n                " + USERS,
     '  - iam:DeleteLoginProfile\n                Resource: "*"', "Resource '*'"),
    ("users outside the path", "Action: iam:CreateUser\n                " + USERS,
     "Action: iam:CreateUser\n                Resource: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:user/admins/*",
     "must be limited to"),
    ("users on every path", "Action: iam:CreateUser\n                " + USERS,
     "Action: iam:CreateUser\n                Resource: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*",
     "too broad"),
    ("login profile without marker", "  - iam:DeleteLoginProfile\n                " + USERS + "\n"
     "                Condition:\n                  StringEquals:\n"
     "                    iam:ResourceTag/ManagedBy: iam-onboarding\n\n",
     "  - iam:DeleteLoginProfile\n                " + USERS + "\n\n", "iam:ResourceTag/ManagedBy"),
    ("IfExists loophole", "  - iam:DeleteLoginProfile\n                " + USERS + "\n"
     "                Condition:\n                  StringEquals:\n"
     "                    iam:ResourceTag/ManagedBy: iam-onboarding\n\n",
     "  - iam:DeleteLoginProfile\n                " + USERS + "\n"
     "                Condition:\n                  StringEqualsIfExists:\n"
     "                    iam:ResourceTag/ManagedBy: iam-onboarding\n\n", "must be exact"),
    ("credentials of unmarked users", "  - iam:ListGroupsForUser\n                " + USERS + "\n"
     "                Condition:\n                  StringEquals:\n"
     "                    iam:ResourceTag/ManagedBy: iam-onboarding\n\n",
     "  - iam:ListGroupsForUser\n                " + USERS + "\n\n", "iam:ResourceTag/ManagedBy"),
    ("any policy attachable", "                    iam:PolicyARN:\n                      - !Ref SelfManageCredentialsPolicy\n"
     "                      - !Sub arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll\n",
     "                    iam:PolicyARN: \"*\"\n", "iam:PolicyARN"),
    ("any policy detachable", "                    iam:PolicyARN: !Sub arn:${AWS::Partition}:iam::aws:policy/AWSDenyAll\n",
     "                    iam:PolicyARN: \"*\"\n", "AWSDenyAll on marked users"),
    ("DeleteUser on marked users that are not offboarded",
     "                    iam:ResourceTag/OnboardingStatus: offboarded\n", "",
     "offboarded"),
    ("any policy detachable from offboarded users of any path", "                  - iam:DeleteUserPolicy\n"
     "                  - iam:DeleteUser\n                " + USERS,
     "                  - iam:DeleteUserPolicy\n                  - iam:DeleteUser\n"
     "                Resource: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*", "too broad"),
    ("any topic", "                  Resource: !Ref NotifyTopicArn\n",
     "                  Resource: !Sub arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*\n",
     "sns:Publish must be on NotifyTopicArn only"),
    ("any tag removable", "                      - OffboardedAt\n                      - OnboardingAttempt\n",
     "                      - OffboardedAt\n                      - OnboardingAttempt\n                      - ManagedBy\n",
     "iam:UntagUser must be limited"),
    ("untag with an empty key set", '                  "Null":\n                    aws:TagKeys: "false"\n', "",
     "must be exact"),
    ("create without boundary", "                  - StringEquals:\n                      aws:RequestTag/ManagedBy: iam-onboarding\n"
     "                    ArnEquals:\n                      iam:PermissionsBoundary: !Ref PermissionsBoundaryArn\n",
     "                  - StringEquals:\n                      aws:RequestTag/ManagedBy: iam-onboarding\n",
     "iam:PermissionsBoundary"),
    ("create without marker (no boundary configured)",
     "iam:PermissionsBoundary: !Ref PermissionsBoundaryArn\n                  - StringEquals:\n"
     "                      aws:RequestTag/ManagedBy: iam-onboarding\n",
     "iam:PermissionsBoundary: !Ref PermissionsBoundaryArn\n                  - StringLike:\n"
     "                      aws:RequestTag/ManagedBy: \"*\"\n", "aws:RequestTag/ManagedBy"),
    ("any group", 'Action: iam:AddUserToGroup\n                  Resource: !Split\n                    - ","',
     'Action: iam:AddUserToGroup\n                  Resource: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:group/*"\n'
     '                  Unused: !Split\n                    - ","', "allowed groups"),
    ("remove from any group", 'Action: iam:RemoveUserFromGroup\n                  Resource: !Split\n                    - ","',
     'Action: iam:RemoveUserFromGroup\n                  Resource: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:group/*"\n'
     '                  Unused: !Split\n                    - ","', "allowed groups"),
    ("any sender", "                    ses:FromAddress: !Ref SenderEmail\n",
     "                    ses:FromAddress: \"*\"\n", "ses:FromAddress"),
    ("any secret", "                  - !Ref HiBobSecret\n",
     "                  - !Sub arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:*\n",
     "signing secrets only"),
    ("root user path", 'AllowedPattern: "^/([A-Za-z0-9_+=,.@-]+/)+$"', 'AllowedPattern: "^/.*$"',
     "UserPath must reject"),
    ("missing env var", "          EVENTBRIDGE_SOURCE: !Ref EventSource\n", "", "environment variables"),
    ("wrong binary", "Binary: iam-onboarding", "Binary: mfa-session", "Binary must be iam-onboarding"),
    # Per role (the cfn-lint rules allow both services for every role).
    ("execution role assumable by Scheduler", "Service: lambda.amazonaws.com", "Service: scheduler.amazonaws.com",
     "OnboardingExecutionRole must be assumable by lambda.amazonaws.com only"),
    ("scheduler role assumable by Lambda", "Principal:\n              Service: scheduler.amazonaws.com",
     "Principal:\n              Service: lambda.amazonaws.com",
     "OffboardingSchedulerRole must be assumable by scheduler.amazonaws.com only"),
    ("scheduler role for any account", "            Condition:\n              StringEquals:\n"
     "                aws:SourceAccount: !Ref AWS::AccountId\n", "",
     "OffboardingSchedulerRole must be assumable by scheduler.amazonaws.com only"),
    ("scheduler role with an inline policy", "                aws:SourceAccount: !Ref AWS::AccountId\n",
     "                aws:SourceAccount: !Ref AWS::AccountId\n      Policies:\n        - PolicyName: more\n"
     "          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n"
     "              - Effect: Allow\n                Action: lambda:InvokeFunction\n"
     "                Resource: \"*\"\n", "must have no other properties"),
    ("scheduler role invokes any function",
     "            Action: lambda:InvokeFunction\n            Resource: !GetAtt OnboardingFunction.Arn\n",
     "            Action: lambda:InvokeFunction\n"
     "            Resource: !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*\n",
     "may only invoke OnboardingFunction"),
    ("function reads any function's URL",
     "            Action: lambda:GetFunctionUrlConfig\n            Resource: !GetAtt OnboardingFunction.Arn\n",
     "            Action: lambda:GetFunctionUrlConfig\n"
     "            Resource: !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:*\n",
     "may only read OnboardingFunction's URL"),
    ("function may change its URL", "            Action: lambda:GetFunctionUrlConfig\n",
     "            Action: [lambda:GetFunctionUrlConfig, lambda:UpdateFunctionUrlConfig]\n",
     "may only read OnboardingFunction's URL"),
    ("function polls any queue", "                Resource: !GetAtt OnboardingQueue.Arn\n",
     "                Resource: !Sub arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:*\n",
     "must be on the bulk queue only"),
    ("URL policy without its condition", "    Condition: ReadsOwnFunctionUrl\n", "",
     "only when it reads its own URL"),
    ("scheduler role does more", "            Action: lambda:InvokeFunction\n",
     "            Action: [lambda:InvokeFunction, lambda:UpdateFunctionCode]\n", "may only invoke OnboardingFunction"),
    ("extra AWS::IAM::RolePolicy", FUNCTION,
     EXTRA_POLICY.format(type="AWS::IAM::RolePolicy", target="RoleName: !Ref OnboardingExecutionRole"),
     "no other identity policies may be added (AWS::IAM::RolePolicy)"),
    ("a third role", FUNCTION, "  ThirdRole:\n    Type: AWS::IAM::Role\n    Properties:\n"
     "      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n"
     "          - Effect: Allow\n            Principal:\n              Service: lambda.amazonaws.com\n"
     "            Action: sts:AssumeRole\n\n" + FUNCTION, "exactly two roles"),
    ("schedules of any group", "schedule/${OffboardingScheduleGroup}/*", "schedule/*",
     "must be limited to the schedules of the stack's group"),
    ("pass any role", "                Resource: !GetAtt OffboardingSchedulerRole.Arn\n",
     "                Resource: !Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*\n",
     "iam:PassRole must be on OffboardingSchedulerRole only"),
    ("pass the role to any service", "                    iam:PassedToService: scheduler.amazonaws.com\n",
     "                    iam:PassedToService: lambda.amazonaws.com\n", "iam:PassedToService=scheduler.amazonaws.com"),
    ("scheduler role not in the environment",
     "          OFFBOARDING_SCHEDULER_ROLE_ARN: !GetAtt OffboardingSchedulerRole.Arn\n",
     "          OFFBOARDING_SCHEDULER_ROLE_ARN: !GetAtt OnboardingExecutionRole.Arn\n",
     "must be the stack's OffboardingScheduleGroup and OffboardingSchedulerRole"),
    ("policy edited in the template", '"Version": "2012-10-17",\n          "Statement": [',
     '"Version": "2012-10-17",\n          "Statement": [\n          {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},',
     "differs from"),
])
def test_check_catches(tmp_path, name, old, new, message):
    expect_finding(f"{name} (check-template.py)", checks(tmp_path, mutate(tmp_path, old, new)), message)


def test_check_fails_when_the_policy_file_changes(tmp_path):
    policy = tmp_path / "self-manage-credentials.json"
    policy.write_text(POLICY.read_text().replace('"iam:GetAccountPasswordPolicy"', '"iam:GetAccountSummary"', 1))
    assert policy.read_text() != POLICY.read_text()
    ok, out = checks(tmp_path, TEMPLATE, policy)
    assert not ok and "differs from" in out, out


def test_parliament_findings_fail_the_run(tmp_path):
    # A policy file with a misspelled action, synced into the template copy so
    # that only parliament can object.
    policy = tmp_path / "self-manage-credentials.json"
    policy.write_text(POLICY.read_text().replace('"iam:GetAccountPasswordPolicy"', '"iam:GetAccountPasswordPolicyX"', 1))
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE.read_text())
    env = env_for(tmp_path, template, policy)
    assert run([PY, CHECK, "sync-policy"], env).returncode == 0
    ok, out = checks(tmp_path, template, policy, parliament=True)
    assert not ok, out
    assert "UNKNOWN_ACTION" in out and "GetAccountPasswordPolicyX" in out, out


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
