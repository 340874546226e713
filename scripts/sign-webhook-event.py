#!/usr/bin/env python3
"""Sign a sample webhook event for local invokes.

Reads a Function URL / API Gateway event (events/webhook-*.json), signs its body the
way an HR system must — X-Onboarding-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<raw body>"> keyed by the webhook secret — and prints the event with
fresh X-Onboarding-Timestamp / X-Onboarding-Signature headers.

    WEBHOOK_SECRET=... scripts/sign-webhook-event.py events/webhook-function-url.json > /tmp/signed.json
    cargo lambda invoke iam-onboarding --data-file /tmp/signed.json

The secret comes from --secret-env (default WEBHOOK_SECRET), never from the command
line, so it does not land in shell history or `ps`. Only the standard library is used.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time

TIMESTAMP = "X-Onboarding-Timestamp"
SIGNATURE = "X-Onboarding-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def set_header(headers: dict, name: str, value, multi: bool = False) -> None:
    """Replaces header `name` whatever its case, keeping the event's spelling."""
    key = next((k for k in headers if k.lower() == name.lower()), name.lower())
    headers[key] = [value] if multi else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("event", help="webhook event JSON file")
    parser.add_argument("--secret-env", default="WEBHOOK_SECRET", help="environment variable holding the secret")
    parser.add_argument("--age", type=int, default=0, help="sign as if this many seconds ago (to test replays)")
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
    signature = sign(secret, timestamp, body)
    set_header(event["headers"], TIMESTAMP, timestamp)
    set_header(event["headers"], SIGNATURE, signature)
    if isinstance(event.get("multiValueHeaders"), dict):
        set_header(event["multiValueHeaders"], TIMESTAMP, timestamp, multi=True)
        set_header(event["multiValueHeaders"], SIGNATURE, signature, multi=True)
    json.dump(event, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
