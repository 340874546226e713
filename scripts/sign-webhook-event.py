#!/usr/bin/env python3
"""Sign a sample webhook event for local invokes.

Reads a Function URL / API Gateway event (events/webhook-*.json), signs its body the
way an HR system must — X-Onboarding-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<raw body>"> keyed by the webhook secret — and prints the event with
fresh X-Onboarding-Timestamp / X-Onboarding-Signature headers.

With --bamboohr it signs the way BambooHR does (docs/hr-bamboohr.md): X-BambooHR-Timestamp
(unix seconds) and X-BambooHR-Signature (hex HMAC-SHA256 of the raw body followed by that
timestamp, keyed with the webhook's private key).

With --hibob it signs the way HiBob does: Bob-Signature, the base64 HMAC-SHA512 of the raw body
keyed with the webhook's secret (no timestamp).

With --standard it signs the Standard Webhooks way instead, with the spec's
reference library (`standardwebhooks` from PyPI): webhook-id, webhook-timestamp and
webhook-signature ("v1,<base64>"; one more per --also-secret-env, as during a
secret rotation). A `whsec_<base64>` secret is used as the library reads it; any
other secret string is passed as its raw bytes, as the function keys it.

    WEBHOOK_SECRET=... scripts/sign-webhook-event.py events/webhook-function-url.json > /tmp/signed.json
    cargo lambda invoke iam-onboarding --data-file /tmp/signed.json

The secret comes from --secret-env (default WEBHOOK_SECRET), never from the command
line, so it does not land in shell history or `ps`. Only the standard library is used,
and `standardwebhooks` for --standard.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import uuid

TIMESTAMP = "X-Onboarding-Timestamp"
SIGNATURE = "X-Onboarding-Signature"
STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
BAMBOOHR_TIMESTAMP = "X-BambooHR-Timestamp"
BAMBOOHR_SIGNATURE = "X-BambooHR-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def sign_bamboohr(key: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def sign_hibob(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha512).digest()).decode()


def sign_standard(secrets: list, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header: one v1 signature per secret, by the reference library."""
    from datetime import datetime, timezone

    from standardwebhooks import Webhook

    at = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return " ".join(
        Webhook(secret if secret.startswith("whsec_") else secret.encode()).sign(msg_id, at, body.decode("utf-8"))
        for secret in secrets
    )


def set_header(headers: dict, name: str, value, multi: bool = False) -> None:
    """Replaces header `name` whatever its case, keeping the event's spelling."""
    key = next((k for k in headers if k.lower() == name.lower()), name.lower())
    headers[key] = [value] if multi else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("event", help="webhook event JSON file")
    parser.add_argument("--secret-env", default="WEBHOOK_SECRET", help="environment variable holding the secret")
    parser.add_argument("--age", type=int, default=0, help="sign as if this many seconds ago (to test replays)")
    parser.add_argument("--standard", action="store_true", help="sign the Standard Webhooks way (reference library)")
    parser.add_argument("--bamboohr", action="store_true", help="sign the BambooHR way")
    parser.add_argument("--hibob", action="store_true", help="sign the HiBob way")
    parser.add_argument("--id", help="webhook-id (--standard; default: a new random id)")
    parser.add_argument("--also-secret-env", action="append", default=[],
                        help="--standard: add a signature with the secret in this variable (rotation)")
    args = parser.parse_args()

    secret = os.environ.get(args.secret_env)
    if not secret:
        print(f"sign-webhook-event: set {args.secret_env} to the webhook secret", file=sys.stderr)
        return 2
    with open(args.event, encoding="utf-8") as f:
        event = json.load(f)
    if "headers" not in event or "body" not in event:
        print(f"sign-webhook-event: {args.event} is not an HTTP event (no headers/body)", file=sys.stderr)
        return 2
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    timestamp = str(int(time.time()) - args.age)
    if args.standard:
        secrets = [secret] + [os.environ.get(name, "") for name in args.also_secret_env]
        if not all(secrets):
            print(f"sign-webhook-event: set {', '.join(args.also_secret_env)}", file=sys.stderr)
            return 2
        msg_id = args.id or f"msg_{uuid.uuid4().hex}"
        headers = dict(zip(STANDARD_HEADERS, (msg_id, timestamp, sign_standard(secrets, msg_id, int(timestamp), body))))
    elif args.hibob:
        headers = {"Bob-Signature": sign_hibob(secret, body)}
    elif args.bamboohr:
        headers = {BAMBOOHR_TIMESTAMP: timestamp, BAMBOOHR_SIGNATURE: sign_bamboohr(secret, timestamp, body)}
    else:
        headers = {TIMESTAMP: timestamp, SIGNATURE: sign(secret, timestamp, body)}
    for name, value in headers.items():
        set_header(event["headers"], name, value)
        if isinstance(event.get("multiValueHeaders"), dict):
            set_header(event["multiValueHeaders"], name, value, multi=True)
    json.dump(event, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
