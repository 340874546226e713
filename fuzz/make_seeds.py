#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (scripts/fuzz.sh runs it).

Writes fuzz/corpus/<target>/seed-<sha1> from events/*.json and fuzz/seeds/<target>/*:
whole events (strict_json, http_event), the requests inside them (hr_request: the
direct payloads, the EventBridge `detail`, the decoded webhook `body`; hr_connectors: the
bodies of the HR-system connector samples), the
strings HR sends (email_address, tag_value_normalise), and copies of the HTTP
events signed with http_event's FUZZ_SECRET at a fixed time, both schemes, so the
fuzzer starts past the signature check. Standard library only; idempotent (a seed
is named by its content).
"""
import base64
import hashlib
import hmac
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
# Must equal FUZZ_SECRET and DEFAULT_NOW in fuzz_targets/http_event.rs.
FUZZ_SECRET = b"fuzz-webhook-secret"
SIGNED_AT = "1795770000"
MESSAGE_ID = "msg_fuzz_seed"

TARGETS = ["strict_json", "hr_request", "email_address", "tag_value_normalise",
           "http_event", "webhook_signature", "credential_report", "hr_connectors", "reveal_link", "scim"]
FREE_TEXT = {"employeeId", "department", "givenName", "familyName", "username", "effectiveAt"}

seeds = {target: set() for target in TARGETS}


def add(target: str, data) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    seeds[target].add(data)


def dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def strings(value, key=None):
    """Every (key, string) inside a JSON value; tag keys as strings too."""
    if isinstance(value, dict):
        for k, v in value.items():
            if key == "tags":
                yield "tags", k
            yield from strings(v, "tags" if key == "tags" else k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str):
        yield key, value


def request_strings(request) -> None:
    for key, text in strings(request):
        if key == "email" or "@" in text:
            add("email_address", text)
        if key in FREE_TEXT or key == "tags":
            add("tag_value_normalise", text)


def header_key(headers: dict, name: str) -> str:
    return next((k for k in headers if k.lower() == name), name)


def signed(event: dict, body: bytes, standard: bool) -> dict:
    event = json.loads(json.dumps(event))
    headers = event.setdefault("headers", {}) or {}
    event["headers"] = headers
    drop = ("x-onboarding-timestamp", "x-onboarding-signature") if standard else (
        "webhook-id", "webhook-timestamp", "webhook-signature")
    for name in list(headers):
        if name.lower() in drop:
            del headers[name]
    if standard:
        digest = hmac.new(FUZZ_SECRET, f"{MESSAGE_ID}.{SIGNED_AT}.".encode() + body, hashlib.sha256).digest()
        values = {"webhook-id": MESSAGE_ID, "webhook-timestamp": SIGNED_AT,
                  "webhook-signature": "v1," + base64.b64encode(digest).decode()}
    else:
        digest = hmac.new(FUZZ_SECRET, SIGNED_AT.encode() + b"." + body, hashlib.sha256).hexdigest()
        values = {"x-onboarding-timestamp": SIGNED_AT, "x-onboarding-signature": "sha256=" + digest}
    for name, value in values.items():
        headers[header_key(headers, name)] = value
        if isinstance(event.get("multiValueHeaders"), dict):
            event["multiValueHeaders"][header_key(event["multiValueHeaders"], name)] = [value]
    return event


def main() -> int:
    for path in sorted((ROOT / "events").glob("*.json")):
        raw = path.read_bytes()
        add("strict_json", raw)
        if path.name == "expected.json":
            continue
        event = json.loads(raw)
        add("http_event", raw)
        if not isinstance(event, dict):
            continue
        if "headers" in event and "body" in event:
            text = event.get("body") or ""
            try:
                body = base64.b64decode(text) if event.get("isBase64Encoded") else text.encode("utf-8")
            except ValueError:
                body = text.encode("utf-8")
            add("hr_connectors" if "hr-" in path.name else "hr_request", body)
            add("strict_json", body)
            for standard in (False, True):
                add("http_event", dump(signed(event, body, standard)))
            try:
                request_strings(json.loads(body.lstrip(b"\xef\xbb\xbf")))
            except ValueError:
                pass
        elif "detail" in event:
            add("hr_request", dump(event["detail"]))
            add("hr_request", raw)
            request_strings(event["detail"])
        else:
            add("hr_request", raw)
            request_strings(event)
    for target in TARGETS:
        for path in sorted((FUZZ / "seeds" / target).glob("*")):
            add(target, path.read_bytes())
    for target, datas in seeds.items():
        out = FUZZ / "corpus" / target
        out.mkdir(parents=True, exist_ok=True)
        for data in datas:
            name = "seed-" + hashlib.sha1(data).hexdigest()
            if not (out / name).exists():
                (out / name).write_bytes(data)
        print(f"fuzz: {len(datas):3d} seeds for {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
