"""Parts for running the Lambda handler outside Lambda: a Lambda-like context and a local HTTPS endpoint that
stands in for CloudFormation's presigned ResponseURL. Used by the local invoke, the demo and the tests; never
imported by the Lambda itself (it needs `cryptography`, from the `local` extra).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ecs_teardown.core.ports import StackRecord

LOCAL_ACCOUNT = "123456789012"


@dataclass
class LocalContext:
    """What Lambda passes as `context`, with a deadline on the given clock (so a fake clock can run it)."""

    timeout_s: float = 900.0
    function_name: str = "ecs-teardown-local"
    region: str = "us-east-1"
    account: str = LOCAL_ACCOUNT
    memory_limit_in_mb: int = 256
    clock: Callable[[], float] = time.time
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started_at: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started_at = self.clock()
        self.invoked_function_arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started_at + self.timeout_s - self.clock()) * 1000))


def make_self_signed_cert(directory: str) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and localhost that also serves as its own CA. Returns (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecs-teardown local CloudFormation endpoint")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return cert_path, key_path


@dataclass
class ReceivedAnswer:
    path: str
    body: dict[str, Any]
    raw: bytes
    arrived_at: float = field(default_factory=time.time)


class AnswerEndpoint:
    """A local HTTPS server on 127.0.0.1 that records the answers PUT to it, as CloudFormation's S3 URL would.

    `script` lets a test play a misbehaving endpoint: a list of HTTP statuses (or "reset" to drop the connection,
    or a float to stall that many seconds first) consumed one per request; past its end every request gets 200.
    Use as a context manager; `trust()` points SSL_CERT_FILE at its certificate and opts in to local answers.
    """

    def __init__(self, script: list[int | str | float] | None = None) -> None:
        self.answers: list[ReceivedAnswer] = []
        self.requests = 0
        self.script = list(script or [])
        self.arrived = threading.Condition()
        self._dir = tempfile.TemporaryDirectory(prefix="ecs-teardown-answers-")
        self.cert_path, key_path = make_self_signed_cert(self._dir.name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, key_path)
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                step = endpoint._next_step()
                if isinstance(step, float):
                    time.sleep(step)
                    step = 200
                if step == "reset":
                    self.connection.close()
                    return
                status = int(step)
                if 200 <= status < 300:
                    endpoint._record(self.path, raw)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # keep test and demo output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _next_step(self) -> int | str | float:
        with self.arrived:
            self.requests += 1
            return self.script.pop(0) if self.script else 200

    def _record(self, path: str, raw: bytes) -> None:
        with self.arrived:
            self.answers.append(ReceivedAnswer(path, json.loads(raw), raw))
            self.arrived.notify_all()

    def url(self, name: str = "answer", signed_at: float | None = None) -> str:
        """A URL shaped like CloudFormation's presigned one, signature included (so log scans have a target);
        with `signed_at`, also its X-Amz-Date (when CloudFormation sent the request)."""
        date = ""
        if signed_at is not None:
            stamp = datetime.datetime.fromtimestamp(signed_at, datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
            date = f"&X-Amz-Date={stamp}"
        return (
            f"https://127.0.0.1:{self.port}/{name}?X-Amz-Algorithm=AWS4-HMAC-SHA256{date}"
            f"&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
            f"&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        )

    def trust(self) -> None:
        """Trust this endpoint's certificate in this process (SSL_CERT_FILE); the handler's config must still opt
        in to local answers."""
        os.environ["SSL_CERT_FILE"] = self.cert_path

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[ReceivedAnswer]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.answers) >= count, timeout=timeout_s)
            return list(self.answers)

    def __enter__(self) -> AnswerEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._dir.cleanup()


@dataclass(frozen=True)
class FixedStackStatus:
    """What `ecs-teardown invoke --stack-status` answers for every stack instead of asking CloudFormation."""

    shown: str

    def describe(self, stack_id: str) -> StackRecord:
        return StackRecord(self.shown)


class HandOverQueue:
    """Stands in for the Lambda self-invoke outside Lambda: hand-overs queue here, and `run` plays them."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.pending.append(event)

    def run(
        self,
        handler: Callable[[dict[str, Any], Any], Any],
        event: dict[str, Any],
        make_context: Callable[[], Any],
        max_invocations: int = 50,
    ) -> int:
        """Invoke, then each hand-over in a fresh context, until none is left. Returns the invocation count."""
        current = event
        for invocation in range(1, max_invocations + 1):
            handler(current, make_context())
            if not self.pending:
                return invocation
            current = self.pending.pop(0)
        raise RuntimeError(f"still handing over after {max_invocations} invocations")
