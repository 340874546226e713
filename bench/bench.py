#!/usr/bin/env python3
"""Benchmark harness for the iam-onboarding Lambda (issue 7; `make bench`).

Runs the release `bootstrap` as Lambda would: against a minimal Lambda Runtime
API served by this script, with every AWS call going through a delay proxy in
front of a private moto server. Measures five figures, prints them beside their
budgets and writes them as JSON:

1. init time: spawn -> first GET /runtime/invocation/next (median, p90);
2. peak RSS (VmHWM) over init plus one full onboarding;
3. critical-path latency of a warm onboarding, and its ratio to 4 x delay;
4. batch throughput: 100 employees in one event vs 100 single events;
5. size of the stripped bootstrap and of its zip.

With `--bulk-people` the bulk queue's figures, and with `--scim-users` what SCIM's
listing costs (AWS calls per page and per full listing, time per page).

Then diagnostics that explain the figures: what init is made of (a C program
doing only the Runtime API handshake; the bootstrap with fewer CA certificates),
and latency and batch again with the proxy replaying recorded responses instead
of asking moto, so the emulator's own service time drops out.

Only the standard library and boto3 (for preparing moto) are used. Exit status:
0 when every figure was measured (budgets missed or not), 1 when something could
not be measured, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import http.client
import json
import os
import platform
import queue
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:iam-onboarding"
SENDER = "it@example.com"
MIB = 1024 * 1024

# The onboarding's sequential round trips: CreateUser -> (CreateLoginProfile | AttachUserPolicy |
# AddUserToGroup) -> SendEmail -> TagUser complete (docs/benchmarks.md, "Latency"; issue 7's
# three-round-trip target predates the complete tag that makes a retried event safe).
DESIGN_ROUND_TRIPS = 4

def batch_concurrency() -> int:
    """Employees onboarded concurrently within one batch: src/batch.rs BATCH_CONCURRENCY."""
    m = re.search(r"pub const BATCH_CONCURRENCY: usize = (\d+);", (ROOT / "src" / "batch.rs").read_text())
    return int(m.group(1)) if m else 0


BATCH_CONCURRENCY = batch_concurrency()

BUDGETS = {
    "init_ms": ("<=", 10.0),
    "peak_rss_mib": ("<=", 16.0),
    "latency_ratio": ("<=", 1.15),
    "batch_speedup": (">=", 8.0),
    "binary_mib": ("<=", 8.0),
}


class MeasurementError(Exception):
    """A figure could not be measured; the bench exits non-zero."""


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def now() -> float:
    return time.perf_counter()


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))  # ceil
    return ordered[int(rank) - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    """Reads a request body sent with Content-Length or chunked encoding."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


# --------------------------------------------------------------------------
# Child processes: every one is recorded in a pid file, so scripts/bench.sh can
# kill what is left even if this harness itself is killed.


class Children:
    def __init__(self, pidfile: Path):
        self.pidfile = pidfile
        self.procs: dict[int, subprocess.Popen] = {}
        self.lock = threading.Lock()
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text("")

    def _write(self) -> None:
        self.pidfile.write_text("".join(f"{pid}\n" for pid in self.procs))

    def spawn(self, args: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, **kwargs)
        with self.lock:
            self.procs[proc.pid] = proc
            self._write()
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log(f"pid {proc.pid} did not exit after SIGKILL")
        with self.lock:
            self.procs.pop(proc.pid, None)
            self._write()

    def kill_all(self) -> None:
        for proc in list(self.procs.values()):
            self.kill(proc)


# --------------------------------------------------------------------------
# Lambda Runtime API stub


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    sent_at: float | None = None
    answered_at: float | None = None
    kind: str | None = None  # "response" or "error"
    body: bytes = b""
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def handler_s(self) -> float:
        return self.answered_at - self.sent_at

    def json(self):
        return json.loads(self.body)


class Session:
    """What the stub serves to one bootstrap process."""

    def __init__(self):
        self.first_next = threading.Event()
        self.first_next_at: float | None = None
        self.init_error: bytes | None = None
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.by_id: dict[str, Invocation] = {}
        self.closed = False

    def invoke(self, payload: dict, timeout: float = 300.0) -> Invocation:
        inv = Invocation(str(uuid.uuid4()), json.dumps(payload).encode())
        self.by_id[inv.request_id] = inv
        self.pending.put(inv)
        if not inv.done.wait(timeout):
            raise MeasurementError(f"no answer to invocation {inv.request_id} within {timeout:.0f} s")
        return inv


class RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without TCP_NODELAY, Nagle's algorithm
    # and the peer's delayed ACK hold the body back for 40 ms.
    disable_nagle_algorithm = True
    server: "RuntimeStub"

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, status: int, body: bytes = b'{"status":"OK"}', headers: dict | None = None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        arrived = now()
        session = self.server.session
        if self.path != "/2018-06-01/runtime/invocation/next":
            self._reply(404, b'{"errorMessage":"not found"}')
            return
        if session.first_next_at is None:
            session.first_next_at = arrived
            session.first_next.set()
        while True:
            if session.closed or self.server.session is not session:
                self.close_connection = True
                return
            try:
                inv = session.pending.get(timeout=0.05)
                break
            except queue.Empty:
                continue
        deadline = int(time.time() * 1000) + 900_000
        headers = {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline),
            "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
            "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
        }
        inv.sent_at = now()
        self._reply(200, inv.payload, headers)

    def do_POST(self):
        body = read_body(self)
        arrived = now()
        session = self.server.session
        m = re.fullmatch(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)", self.path)
        if m and m.group(1) in session.by_id:
            inv = session.by_id[m.group(1)]
            inv.answered_at, inv.kind, inv.body = arrived, m.group(2), body
            self._reply(202)
            inv.done.set()
        elif self.path == "/2018-06-01/runtime/init/error":
            session.init_error = body
            self._reply(202)
            session.first_next.set()
        else:
            self._reply(404, b'{"errorMessage":"unknown path or request id"}')


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A peer that went away (a killed bootstrap) is expected here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class RuntimeStub(QuietServer):

    def __init__(self):
        super().__init__(("127.0.0.1", 0), RuntimeHandler)
        self.session = Session()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def new_session(self) -> Session:
        self.session.closed = True
        self.session = Session()
        return self.session


# --------------------------------------------------------------------------
# Delay proxy in front of moto


@dataclass
class ProxiedRequest:
    service: str
    action: str
    started: float  # request received from the function
    finished: float  # response written back
    upstream_s: float  # time moto took
    status: int
    subject: str = ""  # the IAM user (or email recipient) the request is about


HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see RuntimeHandler
    server: "DelayProxy"

    def log_message(self, *args):
        pass

    def _upstream(self) -> http.client.HTTPConnection:
        conn = getattr(self, "_conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.moto_port, timeout=120)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return conn

    def _forward(self):
        started = now()
        body = read_body(self)
        auth = self.headers.get("Authorization", "")
        m = re.search(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/", auth)
        service = m.group(1) if m else "?"
        target = self.headers.get("X-Amz-Target")
        subject = ""
        if target:
            action = target.split(".")[-1]
        else:
            form = urllib.parse.parse_qs(body.decode(errors="replace"))
            action = form.get("Action", [self.command + " " + self.path])[0]
            subject = form.get("UserName", form.get("Destination.ToAddresses.member.1", [""]))[0].split("@")[0]
        if self.server.delay_s:
            time.sleep(self.server.delay_s)
        if service == "iam" and action in IAM_WRITES and not self.server.take_iam_write():
            data = (b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
                    b'<Code>Throttling</Code><Message>Rate exceeded</Message></Error>'
                    b'<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>')
            self._respond(400, "Bad Request", [("Content-Type", "text/xml")], data)
            self.server.record(ProxiedRequest(service, action, started, now(), 0.0, 400, subject))
            return
        if self.server.replay:
            cached = self.server.cache.get(action)
            if cached is None:
                self.send_error(502, f"no recorded response for {action}")
                return
            self._respond(*cached)
            self.server.record(ProxiedRequest(service, action, started, now(), 0.0, cached[0], subject))
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        up_started = now()
        for attempt in (1, 2):
            conn = self._upstream()
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                self._conn = None
                if attempt == 2:
                    self.send_error(502, "moto unreachable")
                    return
        upstream_s = now() - up_started
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP and k.lower() not in ("server", "date")]
        self.server.cache[action] = (resp.status, resp.reason, headers, data)
        self._respond(resp.status, resp.reason, headers, data)
        # Timestamp before any bookkeeping: the function may already be sending its next request.
        self.server.record(ProxiedRequest(service, action, started, now(), upstream_s, resp.status, subject))

    def _respond(self, status: int, reason: str, headers: list, data: bytes) -> None:
        self.send_response(status, reason)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


# IAM's write calls, as src/aws/iam.rs and iam_hygiene.rs pace them.
IAM_WRITES = {"CreateUser", "CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile", "AttachUserPolicy",
              "DetachUserPolicy", "AddUserToGroup", "RemoveUserFromGroup", "TagUser", "UntagUser", "UpdateAccessKey",
              "UpdateSSHPublicKey", "UpdateSigningCertificate", "UpdateServiceSpecificCredential", "DeleteUser"}


class DelayProxy(QuietServer):

    def __init__(self, moto_port: int, delay_s: float):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.moto_port = moto_port
        self.delay_s = delay_s
        # IAM's account-wide bucket for write calls (set_iam_write_rate): a token
        # bucket of `rate` per second holding at most one second's worth; a write
        # that finds it empty answers `Throttling: Rate exceeded`, as IAM does.
        self.iam_write_rate: float | None = None
        self._tokens = 0.0
        self._refilled = now()
        # Replay mode answers every request with moto's last response to the same
        # action, without moto: the function alone, with no emulator cost.
        self.replay = False
        self.cache: dict[str, tuple] = {}
        self.requests: list[ProxiedRequest] = []
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def set_iam_write_rate(self, rate: float | None) -> None:
        with self._lock:
            self.iam_write_rate, self._tokens, self._refilled = rate, (rate or 0.0), now()

    def take_iam_write(self) -> bool:
        with self._lock:
            if self.iam_write_rate is None:
                return True
            t = now()
            self._tokens = min(self.iam_write_rate, self._tokens + (t - self._refilled) * self.iam_write_rate)
            self._refilled = t
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def record(self, req: ProxiedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def between(self, start: float, end: float) -> list[ProxiedRequest]:
        """Requests received in [start, end]. Their end is clipped to `end`: the proxy
        thread may take its timestamp after the function has already answered."""
        with self._lock:
            found = [r for r in self.requests if start <= r.started <= end]
        return sorted((dataclasses.replace(r, finished=min(r.finished, end)) for r in found), key=lambda r: r.started)


def busy_s(reqs: list[ProxiedRequest]) -> float:
    """Time during which at least one request was in flight (union of intervals)."""
    total, end = 0.0, None
    for r in sorted(reqs, key=lambda r: r.started):
        if end is None or r.started > end:
            total += r.finished - r.started
            end = r.finished
        elif r.finished > end:
            total += r.finished - end
            end = r.finished
    return total


def round_trip_depth(reqs: list[ProxiedRequest], delay_s: float) -> int:
    """Longest chain of requests each sent after the previous one was answered:
    the number of sequential round trips the function waited for. A request sent
    at least one delay after another cannot have been concurrent with it (the
    proxy's own end timestamp can lag behind the function's next request)."""
    depth: list[int] = []
    for i, r in enumerate(reqs):
        before = [depth[j] for j in range(i) if reqs[j].started + delay_s <= r.started]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


# --------------------------------------------------------------------------
# moto and the function


def start_moto(children: Children, moto_server: str, logdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    out = open(logdir / "moto.log", "wb")
    # AWS managed policies (AWSDenyAll, which offboarding attaches) exist in moto only with this.
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = children.spawn([moto_server, "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    deadline = now() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                raise MeasurementError(f"moto_server exited with {proc.returncode}; see {logdir / 'moto.log'}")
            if now() > deadline:
                raise MeasurementError("moto_server did not listen within 30 s")
            time.sleep(0.05)


def prepare_account(moto_port: int) -> str:
    """The deployment's prerequisites, like tests/it/world.rs: policy, groups, sender."""
    import boto3

    kwargs = dict(
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{moto_port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
    )
    iam = boto3.client("iam", **kwargs)
    policy = (ROOT / "policies" / "self-manage-credentials.json").read_text()
    arn = iam.create_policy(PolicyName="SelfManageCredentials", PolicyDocument=policy)["Policy"]["Arn"]
    for group in ("developers", "readers"):
        iam.create_group(GroupName=group)
    boto3.client("ses", **kwargs).verify_email_identity(EmailAddress=SENDER)
    return arn


def function_env(runtime_api: str, endpoint: str, policy_arn: str) -> dict[str, str]:
    """A closed environment (nothing inherited): it can only reach the proxy."""
    return {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": "iam-onboarding",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/iam-onboarding",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_ENDPOINT_URL": endpoint,
        "SELF_MANAGE_POLICY_ARN": policy_arn,
        "SENDER_EMAIL": SENDER,
        "USER_PATH": "/employees/",
        "ALLOWED_GROUPS": "developers,readers",
        # moto answers GetSendQuota with the sandbox's 1/s: pacing to it (or to production's
        # 14/s) would measure SES's rate, not the function's concurrency. On AWS a batch
        # is bounded by the account's rate too (tests/it/pacing.rs proves the pacing).
        "SES_MAX_SEND_RATE": "1000",
        # The same for IAM writes (IAM_WRITE_RATE defaults to a conservative 5/s):
        # the bulk figure (measure_bulk) sets a rate and throttles beyond it.
        "IAM_WRITE_RATE": "1000",
        # The email carries the password, as when these figures were first taken; the
        # reveal link adds one PutItem (tests/it/reveal.rs).
        "PASSWORD_DELIVERY": "email",
        # SIGNIN_URL deliberately unset: the first invocation reads the account alias.
    }


class Function:
    """One bootstrap process (one "container"); its stdout lines are kept with arrival times."""

    def __init__(self, children: Children, bootstrap: Path, env: dict, logfile: Path):
        self.children = children
        self.lines: list[str] = []
        self._log = open(logfile, "a", encoding="utf-8")
        self.spawned_at = now()
        self.proc = children.spawn([str(bootstrap)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            self._log.write(line + "\n")

    def vm_hwm_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
        if not m:
            raise MeasurementError("VmHWM not found in /proc/PID/status")
        return int(m.group(1))

    def stop(self) -> None:
        self.children.kill(self.proc)
        self._reader.join(timeout=5)
        self._log.close()

    def output(self) -> str:
        return "\n".join(self.lines[-20:])


def step_durations(lines: list[str]) -> list[dict]:
    """The "step finished"/"step failed" lines among `lines`: step, outcome, duration_ms."""
    steps = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        fields = entry.get("fields", {})
        if fields.get("message") not in ("step finished", "step failed"):
            continue
        step = fields.get("step", "?")
        spans = entry.get("spans") or [entry.get("span") or {}]  # span list, or only the current span
        group = next((sp["group"] for sp in reversed(spans) if "group" in sp), None)
        steps.append({
            "step": f"{step} ({group})" if group else step,
            "outcome": fields.get("outcome", "?"),
            "duration_ms": round(float(fields.get("duration_ms", 0.0)), 2),
        })
    return steps


def employee(tag: str) -> dict:
    return {
        "email": f"{tag}@example.com",
        "username": tag,
        "givenName": "Bench",
        "familyName": tag,
        "employeeId": tag.upper(),
        "department": "Engineering",
        "groups": ["developers"],
        "tags": {"CostCenter": "4410"},
    }


def expect_created(inv: Invocation, n: int, fn: Function) -> None:
    if inv.kind != "response":
        raise MeasurementError(f"invocation failed: {inv.body[:500]!r}\n{fn.output()}")
    results = inv.json().get("results", [])
    bad = [r for r in results if r.get("status") != "created"]
    if len(results) != n or bad:
        raise MeasurementError(f"expected {n} created results, got {len(results)}; first problem: {bad[:1]}")


def wait_ready(session: Session, fn: Function, timeout: float = 30.0) -> float:
    """Waits for the first GET /next; returns its time."""
    deadline = now() + timeout
    while not session.first_next.wait(0.05):
        if fn.proc.poll() is not None:
            raise MeasurementError(f"bootstrap exited with {fn.proc.returncode} before asking for an event:\n{fn.output()}")
        if now() > deadline:
            raise MeasurementError(f"bootstrap did not ask for an event within {timeout:.0f} s:\n{fn.output()}")
    if session.init_error is not None:
        raise MeasurementError(f"bootstrap reported an init error: {session.init_error[:500]!r}\n{fn.output()}")
    return session.first_next_at


# --------------------------------------------------------------------------
# The measurements


def measure_init(stub: RuntimeStub, children: Children, bootstrap: Path, env: dict, runs: int, logdir: Path) -> dict:
    samples = []
    for i in range(runs + 1):  # the first spawn warms the page cache and is discarded
        session = stub.new_session()
        fn = Function(children, bootstrap, env, logdir / "init-spawns.log")
        try:
            ready = wait_ready(session, fn)
        finally:
            fn.stop()
        if i:
            samples.append(ready - fn.spawned_at)
    stub.new_session()
    return {
        "runs": runs,
        "median_ms": ms(statistics.median(samples)),
        "p90_ms": ms(percentile(samples, 90)),
        "min_ms": ms(min(samples)),
        "max_ms": ms(max(samples)),
        "samples_ms": [ms(s) for s in samples],
    }


FLOOR_C = r"""
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* Does only what every runtime must: connect to AWS_LAMBDA_RUNTIME_API, GET /next. */
int main(void) {
    char *api = getenv("AWS_LAMBDA_RUNTIME_API"), *colon = strchr(api, ':');
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(atoi(colon + 1));
    *colon = 0;
    inet_pton(AF_INET, api, &a.sin_addr);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, sizeof a)) return 1;
    const char *req = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
    write(s, req, strlen(req));
    char buf[256];
    read(s, buf, sizeof buf);
    return 0;
}
"""


def measure_floor(stub, children, env, runs, logdir) -> dict | None:
    """Init time of a C program that only connects and asks for an event: what
    this harness and machine add to any runtime (process creation, loopback, stub)."""
    cc = next((c for c in ("cc", "gcc", "clang") if _has(c)), None)
    if cc is None:
        return None
    src, exe = logdir / "floor.c", logdir / "floor"
    src.write_text(FLOOR_C)
    if subprocess.run([cc, "-O2", "-o", str(exe), str(src)], capture_output=True).returncode != 0:
        return None
    return measure_init(stub, children, exe, env, runs, logdir)


def describe_requests(reqs: list[ProxiedRequest], t0: float) -> list[dict]:
    return [
        {
            "service": r.service,
            "action": r.action,
            "start_ms": ms(r.started - t0),
            "end_ms": ms(r.finished - t0),
            "moto_ms": ms(r.upstream_s),
            "status": r.status,
        }
        for r in reqs
    ]


def onboard_once(session: Session, fn: Function, proxy: DelayProxy, delay_s: float, username: str) -> dict:
    """One single-employee invocation, described request by request."""
    first_line = len(fn.lines)
    inv = session.invoke({"action": "onboard", "employee": employee(username)})
    expect_created(inv, 1, fn)
    time.sleep(0.2)  # the function's last log lines
    reqs = proxy.between(inv.sent_at, inv.answered_at)
    depth = round_trip_depth(reqs, delay_s)
    busy = busy_s(reqs)
    return {
        "handler_ms": ms(inv.handler_s),
        "ratio": round(inv.handler_s / (DESIGN_ROUND_TRIPS * delay_s), 3),
        "requests": len(reqs),
        "observed_round_trips": depth,
        "ratio_to_observed_round_trips": round(inv.handler_s / (depth * delay_s), 3) if depth else None,
        "aws_busy_ms": ms(busy),
        "function_own_ms": ms(inv.handler_s - busy),
        "moto_ms_total": ms(sum(r.upstream_s for r in reqs)),
        "sequence": describe_requests(reqs, inv.sent_at),
        "steps": step_durations(fn.lines[first_line:]),
    }


def throughput(session: Session, fn: Function, proxy: DelayProxy, batch_size: int, prefix: str) -> dict:
    """`batch_size` single events one after another, then one event of `batch_size`."""
    singles = []
    for i in range(batch_size):
        inv = session.invoke({"action": "onboard", "employee": employee(f"{prefix}s{i:03d}")})
        expect_created(inv, 1, fn)
        singles.append(inv)
    singles_wall = singles[-1].answered_at - singles[0].sent_at
    singles_reqs = proxy.between(singles[0].sent_at, singles[-1].answered_at)
    batch = session.invoke({"action": "onboard", "employees": [employee(f"{prefix}b{i:03d}") for i in range(batch_size)]})
    expect_created(batch, batch_size, fn)
    batch_reqs = proxy.between(batch.sent_at, batch.answered_at)
    mean_single = statistics.mean(s.handler_s for s in singles)
    spans: dict[str, list[float]] = {}
    for r in batch_reqs:
        span = spans.setdefault(r.subject, [r.started, r.finished])
        span[0], span[1] = min(span[0], r.started), max(span[1], r.finished)
    return {
        "employees": batch_size,
        "concurrency": BATCH_CONCURRENCY,
        "singles_wall_ms": ms(singles_wall),
        "single_handler_mean_ms": ms(mean_single),
        "batch_ms": ms(batch.handler_s),
        "speedup": round(singles_wall / batch.handler_s, 2),
        # At most C employees in flight: the batch takes at least N/C single onboardings.
        "ideal_batch_ms": ms(mean_single * batch_size / BATCH_CONCURRENCY) if BATCH_CONCURRENCY else None,
        "requests": len(batch_reqs),
        "mean_requests_in_flight": round(sum(r.finished - r.started for r in batch_reqs) / batch.handler_s, 2),
        "mean_employees_in_flight": round(sum(b - a for a, b in spans.values()) / batch.handler_s, 2),
        "moto_ms_mean_singles": ms(statistics.mean(r.upstream_s for r in singles_reqs)),
        "moto_ms_mean_batch": ms(statistics.mean(r.upstream_s for r in batch_reqs)),
        "request_ms_mean_singles": ms(statistics.mean(r.finished - r.started for r in singles_reqs)),
        "request_ms_mean_batch": ms(statistics.mean(r.finished - r.started for r in batch_reqs)),
    }


def measure_function(stub, proxy, children, bootstrap, env, delay_s, batch_size, logdir, replay=False) -> dict:
    """Peak RSS, latency (cold, then warm onboarding) and batch throughput in one container."""
    proxy.replay = replay
    session = stub.new_session()
    fn = Function(children, bootstrap, env, logdir / ("function-replay.log" if replay else "function.log"))
    prefix = "bench.r" if replay else "bench."
    try:
        wait_ready(session, fn)
        # Cold: the first invocation also reads the password policy and account alias.
        cold = onboard_once(session, fn, proxy, delay_s, f"{prefix}cold")
        rss_kib = fn.vm_hwm_kib()
        # Warm: a second employee in the same container.
        warm = onboard_once(session, fn, proxy, delay_s, f"{prefix}warm")
        batch = throughput(session, fn, proxy, batch_size, prefix)
        batch["vm_hwm_after_batch_mib"] = round(fn.vm_hwm_kib() / 1024, 2)
    finally:
        fn.stop()
        stub.new_session()
        proxy.replay = False
    return {
        "peak_rss": {"vm_hwm_kib": rss_kib, "mib": round(rss_kib / 1024, 2), "over": "init + one cold onboarding"},
        "latency": {"delay_ms": ms(delay_s), "design_round_trips": DESIGN_ROUND_TRIPS, **warm, "cold": cold},
        "batch": {"delay_ms": ms(delay_s), **batch},
    }


def measure_size(bootstrap: Path, zip_path: Path) -> dict:
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (0o100755 << 16)
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, bootstrap.read_bytes())
    size = bootstrap.stat().st_size
    stripped = None
    if _has("readelf"):
        sections = subprocess.run(["readelf", "-S", str(bootstrap)], capture_output=True).stdout
        stripped = b".symtab" not in sections
    return {
        "bootstrap_bytes": size,
        "bootstrap_mib": round(size / MIB, 2),
        "stripped": stripped,
        "zip_bytes": zip_path.stat().st_size,
        "zip_mib": round(zip_path.stat().st_size / MIB, 2),
    }


def _has(tool: str) -> bool:
    return any(Path(p, tool).is_file() for p in os.environ.get("PATH", "").split(os.pathsep))


# --------------------------------------------------------------------------
# Report


def machine() -> dict:
    cpu = "unknown"
    try:
        m = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "arch": platform.machine(),
        "kernel": platform.release(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def verdict(key: str, value: float) -> dict:
    op, limit = BUDGETS[key]
    ok = value <= limit if op == "<=" else value >= limit
    return {"value": value, "budget": f"{op} {limit:g}", "pass": ok}


def table(results: dict) -> str:
    f = results["figures"]
    i, r, l, b, s = (results[k] for k in ("init", "peak_rss", "latency", "batch", "size"))
    rows = [
        ("Init (spawn -> first /next)", f"median {i['median_ms']:.2f} ms, p90 {i['p90_ms']:.2f} ms (n={i['runs']})", "init_ms", "ms, median"),
        ("Peak RSS (VmHWM, init + 1 onboarding)", f"{r['mib']:.2f} MiB", "peak_rss_mib", "MiB"),
        ("Latency, warm onboarding", f"{l['handler_ms']:.1f} ms = {l['ratio']:.2f} x ({DESIGN_ROUND_TRIPS} x {l['delay_ms']:g} ms)", "latency_ratio", "x"),
        (f"Batch {b['employees']} vs {b['employees']} singles", f"{b['speedup']:.2f}x ({b['batch_ms']:.0f} ms vs {b['singles_wall_ms']:.0f} ms)", "batch_speedup", "x"),
        ("Binary (stripped bootstrap)", f"{s['bootstrap_mib']:.2f} MiB, zip {s['zip_mib']:.2f} MiB", "binary_mib", "MiB"),
    ]
    lines = ["| Figure | Measured | Budget | Result |", "| --- | --- | --- | --- |"]
    for name, measured, key, unit in rows:
        v = f[key]
        lines.append(f"| {name} | {measured} | {v['budget']} {unit} | {'PASS' if v['pass'] else 'FAIL'} |")
    return "\n".join(lines)


def bulk_table(bulk: dict) -> str:
    lines = ["| Bulk (issue 25) | people | containers | completed/s | share of ceiling (goal >= 0.9) | messages returned | IAM throttles | IAM writes/person | AWS calls/person | peak RSS per container (MiB) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, name in (("paced", "pacing on"), ("unpaced", "pacing off"), ("replay", "replay mode")):
        b = bulk.get(key)
        if not b:
            continue
        share = f"{b['share_of_ceiling']:.2f} (ceiling {b['ceiling_people_per_s']:.2f}/s)" if "share_of_ceiling" in b else "-"
        lines.append(f"| {name} | {b['completed']}/{b['people']} | {b['containers']} | {b['people_per_s']:.2f} | {share} | "
                     f"{b['messages_returned']} | {b['iam_throttled']} | {b['iam_writes_per_person']} | {b['aws_calls_per_person']} | "
                     f"{', '.join(str(r) for r in b['peak_rss_mib_per_container'])} |")
    return "\n".join(lines)


def details(results: dict) -> str:
    l, b, d = results["latency"], results["batch"], results["diagnostics"]
    out = []
    i = d.get("init")
    if i:
        out.append("Init, what it is made of (median / p90 of the same number of spawns):")
        for name, label in (("floor", "a C program that only connects and GETs /next"),
                            ("bundle_only", "bootstrap, SSL_CERT_FILE=the CA bundle only"),
                            ("one_cert", "bootstrap, SSL_CERT_FILE=a single CA certificate")):
            if i.get(name):
                out.append(f"  {i[name]['median_ms']:6.2f} / {i[name]['p90_ms']:6.2f} ms  {label}")
        out.append(f"  {results['init']['median_ms']:6.2f} / {results['init']['p90_ms']:6.2f} ms  bootstrap as measured (system CA bundle + every file in /etc/ssl/certs)")
        out.append("")
    out.append(f"Warm onboarding: {l['handler_ms']} ms, {l['requests']} AWS requests in {l['observed_round_trips']} sequential round trips; "
               f"ratio to {l['observed_round_trips']} x delay {l['ratio_to_observed_round_trips']}; "
               f"AWS requests in flight {l['aws_busy_ms']} ms (moto's own time {l['moto_ms_total']} ms in all), "
               f"no request in flight {l['function_own_ms']} ms (the function plus the harness's hand-offs)")
    out.append("  start ms   end ms  moto ms  request")
    for q in l["sequence"]:
        out.append(f"  {q['start_ms']:8.1f} {q['end_ms']:8.1f} {q['moto_ms']:8.1f}  {q['service']}:{q['action']} ({q['status']})")
    out.append("  per-step durations the function logged (duration_ms of \"step finished\"):")
    for st in l["steps"]:
        out.append(f"    {st['step']:<30} {st['duration_ms']:8.1f} ms  {st['outcome']}")
    c = l["cold"]
    out.append(f"Cold first onboarding: {c['handler_ms']} ms, {c['requests']} requests in {c['observed_round_trips']} round trips: "
               + ", ".join(q["action"] for q in c["sequence"]))
    out.append("")
    out.append(f"Batch: {b['requests']} requests; {b['mean_employees_in_flight']} employees and {b['mean_requests_in_flight']} requests "
               f"in flight on average (limit {b['concurrency']} employees); {b['employees']}/{b['concurrency']} x mean single "
               f"({b['single_handler_mean_ms']} ms) = {b['ideal_batch_ms']} ms")
    out.append(f"  mean AWS request {b['request_ms_mean_singles']} ms in the singles vs {b['request_ms_mean_batch']} ms in the batch "
               f"(moto's part {b['moto_ms_mean_singles']} vs {b['moto_ms_mean_batch']} ms); VmHWM after the batch {b['vm_hwm_after_batch_mib']} MiB")
    r = d.get("replay")
    if r:
        rl, rb = r["latency"], r["batch"]
        out.append("")
        out.append(f"Without moto (the proxy replays recorded responses after the same {rl['delay_ms']:g} ms; the function's own cost only):")
        out.append(f"  warm onboarding {rl['handler_ms']} ms = {rl['ratio']:.2f} x ({DESIGN_ROUND_TRIPS} x delay), "
                   f"{rl['ratio_to_observed_round_trips']:.2f} x ({rl['observed_round_trips']} x delay); no request in flight {rl['function_own_ms']} ms")
        out.append(f"  batch {rb['speedup']:.2f}x ({rb['batch_ms']:.0f} ms vs {rb['singles_wall_ms']:.0f} ms); "
                   f"{rb['mean_employees_in_flight']} employees in flight on average; ideal at {rb['concurrency']} {rb['ideal_batch_ms']} ms")
    m = results["machine"]
    out.append("")
    out.append(f"Machine: {m['nproc']} CPUs, {m['cpu']}, {m['arch']}, Linux {m['kernel']}, load average {m['load_average_1m']} at the end, {m['date']}")
    return "\n".join(out)


def init_diagnostics(stub, children, bootstrap, env, runs, out) -> dict:
    """What the init time is made of: the harness floor, and the cost of loading
    the system's CA certificates (rustls-native-certs honours SSL_CERT_FILE)."""
    diag: dict = {"floor": measure_floor(stub, children, env, runs, out)}
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if bundle.is_file():
        text = bundle.read_text(errors="replace")
        end = text.find("-----END CERTIFICATE-----")
        one = out / "one-cert.pem"
        one.write_text(text[: end + len("-----END CERTIFICATE-----")] + "\n")
        diag["bundle_only"] = measure_init(stub, children, bootstrap, {**env, "SSL_CERT_FILE": str(bundle)}, runs, out)
        diag["one_cert"] = measure_init(stub, children, bootstrap, {**env, "SSL_CERT_FILE": str(one)}, runs, out)
    return diag


# --------------------------------------------------------------------------
# Bulk: the SQS path (issue 25)

def aws_kwargs(moto_port: int) -> dict:
    return dict(region_name=REGION, endpoint_url=f"http://127.0.0.1:{moto_port}",
                aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing")


def bulk_queue(moto_port: int, name: str, people: int, prefix: str) -> tuple[str, str, str]:
    """A queue holding one onboard message per person; redrive after 10 receives. Visibility
    30 s: longer than a batch of 10 people takes at a container's share of the rate, or a
    message still being worked on comes back to another container (the stack's 360 s is
    6 x the function timeout), and short enough for a returned message to come back in the run."""
    import boto3

    sqs = boto3.client("sqs", **aws_kwargs(moto_port))
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "30",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "10"})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for start in range(0, people, 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps({"action": "onboard", "employee": employee(f"{prefix}{start + i}")})}
                   for i in range(min(10, people - start))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    return url, arn, dlq


def measure_bulk(children: Children, bootstrap: Path, base_env: dict, moto_port: int, logdir: Path, *,
                 people: int, rate: float | None, containers: int, paced: bool, replay: bool = False,
                 proxy: "DelayProxy | None" = None) -> dict:
    """`people` hires through a queue drained by `containers` bootstraps, each fed by its own
    poller thread as Lambda's event source would (receive up to 10, invoke with an SQS event,
    delete what the answer does not list in batchItemFailures). IAM writes are throttled by
    the proxy beyond `rate` per second; `paced` sets IAM_WRITE_RATE to it (else 1000)."""
    import boto3

    label = "replay" if replay else ("paced" if paced else "unpaced")
    # Replay measures the function alone: its events come from memory, not from moto's SQS
    # (whose receive slows down with thousands of messages and would be the figure).
    backlog: queue.Queue = queue.Queue()
    if replay:
        url = arn = ""
        for start in range(0, people, 10):
            backlog.put([{"MessageId": str(uuid.uuid4()), "ReceiptHandle": "r", "MD5OfBody": "",
                          "Body": json.dumps({"action": "onboard", "employee": employee(f"br{start + i}")})}
                         for i in range(min(10, people - start))])
    else:
        url, arn, _ = bulk_queue(moto_port, f"bulk-{label}", people, f"b{label[0]}")
    own_proxy = proxy is None
    proxy = proxy or DelayProxy(moto_port, 0.0)
    proxy.set_iam_write_rate(rate)
    proxy.replay = replay
    proxy.requests.clear()
    stubs = [RuntimeStub() for _ in range(containers)]
    fns = []
    done = failures = 0
    lock = threading.Lock()
    try:
        for k, stub in enumerate(stubs):
            env = {**base_env, "AWS_LAMBDA_RUNTIME_API": stub.address, "AWS_ENDPOINT_URL": proxy.url,
                   "IAM_WRITE_RATE": str(rate) if paced and rate else "1000", "IAM_WRITERS": str(containers)}
            fns.append(Function(children, bootstrap, env, logdir / f"bulk-{label}-{k}.log"))
        for stub, fn in zip(stubs, fns):
            wait_ready(stub.session, fn)
        cap = 120 + (people * 6 / rate * 3 if rate else people * 0.2)
        t0 = now()
        last_done = [t0]

        def poll(k: int) -> None:
            nonlocal done, failures
            sqs = boto3.client("sqs", **aws_kwargs(moto_port))
            while now() - t0 < cap:
                with lock:
                    if done >= people:
                        return
                if replay:
                    try:
                        got = backlog.get_nowait()
                    except queue.Empty:
                        return
                else:
                    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                              AttributeNames=["All"]).get("Messages", [])
                if not got:
                    continue
                records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                            "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                            "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION} for m in got]
                answer = stubs[k].session.invoke({"Records": records}, timeout=600).json()
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
                ok = [m for m in got if m["MessageId"] not in failed]
                if ok and not replay:
                    sqs.delete_message_batch(QueueUrl=url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(ok)])
                with lock:
                    done += len(ok)
                    failures += len(failed)
                    last_done[0] = now()

        threads = [threading.Thread(target=poll, args=(k,), daemon=True) for k in range(containers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = last_done[0] - t0
        rss = [round(fn.vm_hwm_kib() / 1024, 2) for fn in fns]
    finally:
        for fn in fns:
            fn.stop()
        for stub in stubs:
            stub.shutdown()
            stub.server_close()
        proxy.set_iam_write_rate(None)
        proxy.replay = False
    reqs = list(proxy.requests)
    if own_proxy:
        proxy.shutdown()
        proxy.server_close()
    writes = [r for r in reqs if r.service == "iam" and r.action in IAM_WRITES]
    accepted = [r for r in writes if r.status < 400]
    throttled = len(writes) - len(accepted)
    per_person = len(accepted) / max(done, 1)
    result = {
        "people": people, "containers": containers, "iam_write_rate": rate, "paced": paced, "replay": replay,
        "completed": done, "seconds": round(elapsed, 1), "people_per_s": round(done / elapsed, 3) if elapsed else 0.0,
        "messages_returned": failures, "iam_writes_per_person": round(per_person, 2), "iam_throttled": throttled,
        "aws_calls_per_person": round(len(reqs) / max(done, 1), 2), "peak_rss_mib_per_container": rss,
    }
    if rate:
        ceiling = rate / per_person if per_person else 0.0
        result["ceiling_people_per_s"] = round(ceiling, 3)
        result["share_of_ceiling"] = round(result["people_per_s"] / ceiling, 3) if ceiling else 0.0
    return result


# --------------------------------------------------------------------------
# SCIM: the listing's cost (issue 23)

SCIM_TOKEN = "bench-scim-token-0123456789abcdef"


def scim_event(path: str, query: str = "") -> dict:
    """A Function URL event GETting /scim/v2`path` with the bench's token."""
    full = f"/scim/v2{path}"
    return {"version": "2.0", "routeKey": "$default", "rawPath": full, "rawQueryString": query,
            "headers": {"host": "bench.lambda-url.us-east-1.on.aws", "x-forwarded-proto": "https",
                        "authorization": f"Bearer {SCIM_TOKEN}"},
            "requestContext": {"accountId": "anonymous", "apiId": "bench", "domainName": "bench.lambda-url.us-east-1.on.aws",
                               "http": {"method": "GET", "path": full, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                                        "userAgent": "bench"}, "requestId": "bench", "routeKey": "$default", "stage": "$default",
                               "time": "04/Dec/2026:09:00:00 +0000", "timeEpoch": 0},
            "body": None, "isBase64Encoded": False}


def scim_users(moto_port: int, users: int) -> None:
    """`users` users of the function (marked, under the path, with the tags SCIM reads), made
    directly in moto (16 threads): the listing is measured, not the onboarding."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    iam = boto3.client("iam", **aws_kwargs(moto_port))

    def make(i: int) -> None:
        email = f"scim{i:05d}@example.com"
        tags = {"ManagedBy": "iam-onboarding", "OnboardingStatus": "complete", "ContactEmail": email,
                "EmailSha256": hashlib.sha256(email.encode()).hexdigest(), "GivenName": "Bench",
                "FamilyName": f"User{i}", "EmployeeId": f"E-{i}"}
        iam.create_user(UserName=email, Path="/employees/", Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(make, range(users)))


def measure_scim(stub: RuntimeStub, children: Children, bootstrap: Path, base_env: dict, moto_port: int,
                 logdir: Path, users: int) -> dict:
    """GET /scim/v2/Users page by page (count 100) over `users` users (and those the runs
    before onboarded), through a proxy that
    adds no delay (moto's own time is the time per page), then a `userName eq` filter and
    GET /Users/{id} twice (the first walks and writes the id index, the second reads it)."""
    import boto3

    scim_users(moto_port, users)
    secret = boto3.client("secretsmanager", **aws_kwargs(moto_port)).create_secret(
        Name="bench-scim-token", SecretString=SCIM_TOKEN)["ARN"]
    table = "bench-scim-idempotency"
    dynamodb = boto3.client("dynamodb", **aws_kwargs(moto_port))
    dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    proxy = DelayProxy(moto_port, 0.0)
    # moto answers a page of 1,000 users in seconds; IAM in well under one.
    env = dict(base_env, AWS_ENDPOINT_URL=proxy.url, SCIM_TOKEN_SECRET_ARN=secret, IDEMPOTENCY_TABLE=table,
               AWS_CALL_TIMEOUT_MS="30000", SIGNIN_URL="https://123456789012.signin.aws.amazon.com/console")
    session = stub.new_session()
    fn = Function(children, bootstrap, env, logdir / "scim.log")
    try:
        wait_ready(session, fn)

        def get(path: str, query: str = "") -> tuple[dict, list[ProxiedRequest], float]:
            t0 = now()
            inv = session.invoke(scim_event(path, query), timeout=600)
            t1 = now()
            answer = inv.json()
            if answer.get("statusCode") != 200:
                raise MeasurementError(f"GET {path}?{query}: {answer.get('statusCode')} {str(answer.get('body'))[:300]}")
            return json.loads(answer["body"]), proxy.between(t0, t1), t1 - t0

        get("/ServiceProviderConfig")  # reads the token: not part of the figures
        pages, seen, start = [], set(), 1
        while True:
            body, reqs, took = get("/Users", f"startIndex={start}&count=100")
            resources = body["Resources"]
            seen.update(r["id"] for r in resources)
            pages.append({"ms": ms(took), "calls": len(reqs),
                          "walk_calls": sum(r.action == "GetAccountAuthorizationDetails" for r in reqs)})
            start += len(resources)
            if not resources or start > body["totalResults"]:
                break
        # The onboardings measured before are the function's users too.
        total = body["totalResults"]
        if len(seen) != total or total < users:
            raise MeasurementError(f"the listing returned {len(seen)} distinct users of {total} (made {users})")
        name = "scim00042@example.com"
        query = urllib.parse.urlencode({"filter": f'userName eq "{name}"'}, quote_via=urllib.parse.quote)
        body, by_name, by_name_s = get("/Users", query)
        uid = body["Resources"][0]["id"]
        _, first, first_s = get(f"/Users/{uid}")
        _, again, again_s = get(f"/Users/{uid}")
        rss = fn.vm_hwm_kib() / 1024
    finally:
        fn.stop()
        proxy.shutdown()
        proxy.server_close()
    times = [p["ms"] for p in pages]
    actions = lambda reqs: sorted(f"{r.service}:{r.action}" for r in reqs)
    return {
        "users": total, "pages": len(pages), "page_size": 100,
        "calls_full_listing": sum(p["calls"] for p in pages),
        "calls_per_page": statistics.median(p["calls"] for p in pages),
        "walk_calls_per_page": statistics.median(p["walk_calls"] for p in pages),
        "page_ms_median": round(statistics.median(times), 1), "page_ms_p90": round(percentile(times, 90), 1),
        "full_listing_s": round(sum(times) / 1000, 1),
        "filter_username_calls": actions(by_name), "filter_username_ms": ms(by_name_s),
        "get_by_id_first_calls": actions(first), "get_by_id_first_ms": ms(first_s),
        "get_by_id_calls": actions(again), "get_by_id_ms": ms(again_s),
        "peak_rss_mib": round(rss, 1),
    }


def scim_table(scim: dict) -> str:
    return "\n".join([
        "| SCIM (issue 23), users in moto | pages of 100 | AWS calls, full listing | calls per page (walk calls) | time per page, median / p90 (ms) | full listing (s) | peak RSS (MiB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| {scim['users']} | {scim['pages']} | {scim['calls_full_listing']} | {scim['calls_per_page']} ({scim['walk_calls_per_page']}) | "
        f"{scim['page_ms_median']} / {scim['page_ms_p90']} | {scim['full_listing_s']} | {scim['peak_rss_mib']} |",
        "",
        f"userName eq filter: {', '.join(scim['filter_username_calls'])} ({scim['filter_username_ms']} ms); "
        f"GET /Users/{{id}}: first {', '.join(scim['get_by_id_first_calls'])} ({scim['get_by_id_first_ms']} ms), "
        f"then {', '.join(scim['get_by_id_calls'])} ({scim['get_by_id_ms']} ms)",
    ])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", type=Path, required=True)
    ap.add_argument("--moto-server", default=str(ROOT / ".venv" / "bin" / "moto_server"))
    ap.add_argument("--out", type=Path, default=ROOT / "target" / "bench")
    ap.add_argument("--init-runs", type=int, default=40)
    ap.add_argument("--delay-ms", type=float, default=20.0)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--no-diagnostics", action="store_true", help="only the five figures")
    ap.add_argument("--bulk-people", type=int, default=1000, help="hires through the queue (0: no bulk figures)")
    ap.add_argument("--bulk-rate", type=float, default=20.0, help="IAM writes per second the proxy allows")
    ap.add_argument("--bulk-containers", type=int, default=4)
    ap.add_argument("--bulk-replay-people", type=int, default=5000)
    ap.add_argument("--scim-users", type=int, default=5000, help="users SCIM lists (0: no SCIM figures)")
    args = ap.parse_args()
    if args.init_runs < 20 or not 1 <= args.batch <= 100 or args.delay_ms <= 0:
        ap.error("--init-runs must be >= 20, --batch 1..100, --delay-ms > 0")
    if not args.bootstrap.is_file():
        log(f"no bootstrap at {args.bootstrap}")
        return 1

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name in ("init-spawns.log", "function.log", "function-replay.log", "moto.log", "results.json", "scim.log", "scim.json"):
        (out / name).unlink(missing_ok=True)
    for old in out.glob("bulk-*.log"):
        old.unlink()
    children = Children(out / "children.pids")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stub = proxy = None
    delay_s = args.delay_ms / 1000.0
    diagnostics: dict = {}
    bulk: dict = {}
    scim: dict = {}
    try:
        log("starting moto")
        _, moto_port = start_moto(children, args.moto_server, out)
        policy_arn = prepare_account(moto_port)
        stub = RuntimeStub()
        proxy = DelayProxy(moto_port, delay_s)
        env = function_env(stub.address, proxy.url, policy_arn)

        log(f"init: {args.init_runs} spawns")
        init = measure_init(stub, children, args.bootstrap, env, args.init_runs, out)
        log(f"peak RSS, latency and batch throughput against moto, {args.delay_ms:g} ms per AWS request")
        fn = measure_function(stub, proxy, children, args.bootstrap, env, delay_s, args.batch, out)
        size = measure_size(args.bootstrap, out / "bootstrap.zip")
        if not args.no_diagnostics:
            log("diagnostics: init breakdown")
            diagnostics["init"] = init_diagnostics(stub, children, args.bootstrap, env, args.init_runs, out)
            log("diagnostics: latency and batch with recorded responses instead of moto")
            diagnostics["replay"] = measure_function(stub, proxy, children, args.bootstrap, env, delay_s, args.batch, out, replay=True)
        if args.bulk_people:
            common = dict(people=args.bulk_people, rate=args.bulk_rate, containers=args.bulk_containers)
            log(f"bulk: {args.bulk_people} hires through the queue, {args.bulk_containers} containers, "
                f"IAM writes throttled beyond {args.bulk_rate:g}/s, pacing on")
            bulk["paced"] = measure_bulk(children, args.bootstrap, env, moto_port, out, paced=True, **common)
            (out / "bulk.json").write_text(json.dumps(bulk, indent=2) + "\n")
            log("bulk: the same with pacing off")
            bulk["unpaced"] = measure_bulk(children, args.bootstrap, env, moto_port, out, paced=False, **common)
            (out / "bulk.json").write_text(json.dumps(bulk, indent=2) + "\n")
            if args.bulk_replay_people:
                log(f"bulk: {args.bulk_replay_people} hires in replay mode (peak RSS, AWS calls per person)")
                # No delay, and the responses the runs above recorded.
                replayer = DelayProxy(moto_port, 0.0)
                replayer.cache = proxy.cache
                try:
                    bulk["replay"] = measure_bulk(children, args.bootstrap, env, moto_port, out, people=args.bulk_replay_people,
                                                  rate=None, containers=args.bulk_containers, paced=False, replay=True,
                                                  proxy=replayer)
                finally:
                    replayer.shutdown()
                    replayer.server_close()
                (out / "bulk.json").write_text(json.dumps(bulk, indent=2) + "\n")
        if args.scim_users:
            log(f"scim: {args.scim_users} users listed page by page, a filter, a read by id")
            scim = measure_scim(stub, children, args.bootstrap, env, moto_port, out, args.scim_users)
            (out / "scim.json").write_text(json.dumps(scim, indent=2) + "\n")
    except MeasurementError as err:
        log(f"could not measure: {err}")
        return 1
    finally:
        children.kill_all()
        for server in (stub, proxy):
            if server is not None:
                server.shutdown()
                server.server_close()

    results = {
        "machine": machine(),
        "bootstrap": str(args.bootstrap),
        "init": init,
        "peak_rss": fn["peak_rss"],
        "latency": fn["latency"],
        "batch": fn["batch"],
        "size": size,
        "diagnostics": diagnostics,
        "bulk": bulk,
        "scim": scim,
    }
    results["figures"] = {
        "init_ms": verdict("init_ms", init["median_ms"]),
        "peak_rss_mib": verdict("peak_rss_mib", fn["peak_rss"]["mib"]),
        "latency_ratio": verdict("latency_ratio", fn["latency"]["ratio"]),
        "batch_speedup": verdict("batch_speedup", fn["batch"]["speedup"]),
        "binary_mib": verdict("binary_mib", size["bootstrap_mib"]),
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results))
    print()
    print(details(results))
    print()
    missed = [k for k, v in results["figures"].items() if not v["pass"]]
    if bulk:
        print(bulk_table(bulk))
        print()
    if scim:
        print(scim_table(scim))
        print()
    print(f"{5 - len(missed)} of 5 budgets met" + (f"; missed: {', '.join(missed)} (why: docs/benchmarks.md, \"Reading the figures\")" if missed else ""))
    print(f"JSON: {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
