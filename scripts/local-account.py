#!/usr/bin/env python3
"""Prepare and inspect a local moto account for the demo (scripts/demo.sh).

    local-account.py setup ENDPOINT ENV_FILE BASE_URL   create what a deployment has (the idempotency table
                                                        too), write the function's env file (reveal links
                                                        under BASE_URL)
    local-account.py show ENDPOINT USER                 print the user as IAM sees it and the email SES accepted
    local-account.py link ENDPOINT ADDRESS              print the reveal link of the last email to ADDRESS
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
    return {name: boto3.client(name, **kwargs) for name in ("iam", "ses", "secretsmanager", "dynamodb")}


TABLE = "iam-onboarding-idempotency"


def setup(endpoint, env_file, base_url):
    c = clients(endpoint)
    # The idempotency table as template.yaml defines it: leases, deliveries, reveal records.
    c["dynamodb"].create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                               AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                               KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    c["dynamodb"].update_time_to_live(TableName=TABLE, TimeToLiveSpecification={
        "AttributeName": "expiresAt", "Enabled": True})
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
        f"IDEMPOTENCY_TABLE={TABLE}\nPASSWORD_DELIVERY=link\nREVEAL_BASE_URL={base_url}\n"
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


def link(endpoint, address):
    data = json.load(urllib.request.urlopen(f"{endpoint}/moto-api/data.json"))
    sent = [m for m in data["ses"]["Message"] if m["destinations"]["ToAddresses"] == [address]]
    links = re.findall(r'href="([^"]*/reveal/[^"]*)"', sent[-1]["body"]) if sent else []
    if not links:
        sys.exit(f"no email with a reveal link was sent to {address}")
    print(html.unescape(links[0]))


if __name__ == "__main__":
    commands = {"setup": (setup, 5), "show": (show, 4), "link": (link, 4)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) != commands[sys.argv[1]][1]:
        sys.exit(__doc__)
    commands[sys.argv[1]][0](*sys.argv[2:])
