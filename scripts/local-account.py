#!/usr/bin/env python3
"""Prepare and inspect a local moto account for the demo (scripts/demo.sh).

    local-account.py setup ENDPOINT ENV_FILE   create what a deployment has, write the function's env file
    local-account.py show ENDPOINT USER        print the user as IAM sees it and the email SES accepted
"""
import html
import json
import re
import sys
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
SENDER = "it@example.com"
# A demo value: real deployments generate the secret in Secrets Manager (template.yaml).
DEMO_WEBHOOK_SECRET = "local-demo-webhook-secret"


def clients(endpoint):
    kwargs = dict(endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
    return {name: boto3.client(name, **kwargs) for name in ("iam", "ses", "secretsmanager")}


def setup(endpoint, env_file):
    c = clients(endpoint)
    policy = (ROOT / "policies/self-manage-credentials.json").read_text()
    arn = c["iam"].create_policy(PolicyName="SelfManageCredentials", PolicyDocument=policy)["Policy"]["Arn"]
    for group in ("developers", "readers"):
        c["iam"].create_group(GroupName=group)
    c["ses"].verify_email_identity(EmailAddress=SENDER)
    # cargo lambda passes no real function ARN; the sign-in URL then comes from the alias.
    c["iam"].create_account_alias(AccountAlias="demo-corp")
    secret = c["secretsmanager"].create_secret(Name="iam-onboarding/webhook", SecretString=DEMO_WEBHOOK_SECRET)["ARN"]
    Path(env_file).write_text(
        f"SELF_MANAGE_POLICY_ARN={arn}\nSENDER_EMAIL={SENDER}\nUSER_PATH=/employees/\n"
        f"ALLOWED_GROUPS=developers,readers\nWEBHOOK_SECRET_ARN={secret}\nEVENTBRIDGE_SOURCE=com.example.hr\n"
    )
    print(f"local account ready: policy {arn}, groups developers+readers, verified sender {SENDER}")


def show(endpoint, username):
    iam = clients(endpoint)["iam"]
    user = iam.get_user(UserName=username)["User"]
    print("\n=== IAM user ===")
    print(f"  name     {user['UserName']}\n  arn      {user['Arn']}\n  path     {user['Path']}")
    for tag in user.get("Tags", []):
        print(f"  tag      {tag['Key']}={tag['Value']}")
    for policy in iam.list_attached_user_policies(UserName=username)["AttachedPolicies"]:
        print(f"  policy   {policy['PolicyArn']}")
    for group in iam.list_groups_for_user(UserName=username)["Groups"]:
        print(f"  group    {group['GroupName']}")
    iam.get_login_profile(UserName=username)
    print("  console  login profile present (created with PasswordResetRequired=true; moto does not keep that flag)")

    data = json.load(urllib.request.urlopen(f"{endpoint}/moto-api/data.json"))
    print("\n=== Email accepted by SES (moto keeps the HTML part) ===")
    for message in data["ses"]["Message"]:
        print(f"  from     {message['source']}\n  to       {', '.join(message['destinations']['ToAddresses'])}")
        print(f"  subject  {message['subject']}\n")
        text = re.sub(r"</(p|tr|li|ol|table)>", "\n", message["body"])
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        for line in text.splitlines():
            if line.strip():
                print("    " + re.sub(r"\s+", " ", line).strip())


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("setup", "show"):
        sys.exit(__doc__)
    (setup if sys.argv[1] == "setup" else show)(sys.argv[2], sys.argv[3])
