"""Lambda's side of the runtime, for tests: a Lambda Runtime API on 127.0.0.1 and the function's process under AWS's
own runtime interface client (awslambdaric), started as Lambda's python3.13 bootstrap starts it.

The API is version 2018-06-01 (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

    GET  /2018-06-01/runtime/invocation/next           200, the event as the body; Lambda-Runtime-Aws-Request-Id,
                                                       -Deadline-Ms (Unix ms), -Invoked-Function-Arn, -Trace-Id,
                                                       and -Client-Context / -Cognito-Identity when given
    POST /2018-06-01/runtime/invocation/{id}/response  202 {"status": "OK"}; 400 for an id never handed out,
                                                       403 for a second result, 413 past 6 MB
    POST /2018-06-01/runtime/invocation/{id}/error     the same; the Lambda-Runtime-Function-Error-Type header
    POST /2018-06-01/runtime/init/error                202: the handler could not be loaded

As in Lambda, `next` holds the request until an event is queued (no timeout on the runtime's side), and the execution
environment is frozen meanwhile: the process gets SIGSTOP when it asks for an event that is not there and SIGCONT when
one comes, so whatever a handler leaves running after it returned (a thread still sending an answer) stands still,
as it would in Lambda. The wait is bounded here (`idle_limit_s`): past it, or once the API closes, `next` answers
500, which tells the runtime to exit ("Container error. Non-recoverable state").
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PREFIX = "/2018-06-01/runtime"
NEXT_PATH = f"{PREFIX}/invocation/next"
INIT_ERROR_PATH = f"{PREFIX}/init/error"
RESULT_PATH = re.compile(rf"^{PREFIX}/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # a synchronous invocation's response payload quota
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


@dataclass
class Invocation:
    """One event handed to the runtime, and what the runtime reported for it."""

    request_id: str
    body: bytes
    timeout_s: float
    trace_id: str
    client_context: str | None = None
    cognito_identity: str | None = None
    deadline_ms: int = 0  # set when handed out, as Lambda starts the clock at the invoke
    handed_out_at: float | None = None  # time.time()
    result_at: float | None = None
    outcome: str | None = None  # "response" or "error"
    payload: bytes = b""
    error_type: str | None = None
    probe_at_result: Any = None  # what the API's probe saw when the result arrived (before answering 202)

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class InitError:
    error_type: str | None
    body: Any


class RuntimeApi:
    """The Runtime API server. Queue events with `invoke`; a `probe` (called as each result arrives, before the 202)
    records what else had happened by then, e.g. which answers CloudFormation's endpoint had received."""

    def __init__(
        self,
        function_arn: str,
        *,
        timeout_s: float = 900.0,
        idle_limit_s: float = 60.0,
        probe: Callable[[], Any] | None = None,
        freeze_when_idle: bool = True,
    ) -> None:
        self.function_arn = function_arn
        self.timeout_s = timeout_s
        self.idle_limit_s = idle_limit_s
        self.probe = probe
        self.freeze_when_idle = freeze_when_idle
        self.invocations: dict[str, Invocation] = {}
        self.init_errors: list[InitError] = []
        self.next_calls = 0
        self.frozen = False
        self.idle = False  # the runtime waits in `next`
        self.process_id: int | None = None
        self._queue: deque[Invocation] = deque()
        self._closing = False
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"  # AWS_LAMBDA_RUNTIME_API
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- the test's side ---------------------------------------------------------------------------------------

    def invoke(
        self,
        event: Any,
        *,
        request_id: str | None = None,
        timeout_s: float | None = None,
        client_context: Mapping[str, Any] | None = None,
        cognito_identity: Mapping[str, Any] | None = None,
    ) -> Invocation:
        """Queue an event (what Lambda's Invoke does); the runtime picks it up with its next `next`."""
        root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
        invocation = Invocation(
            request_id=request_id or str(uuid.uuid4()),
            body=json.dumps(event).encode(),
            timeout_s=self.timeout_s if timeout_s is None else timeout_s,
            trace_id=f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=0",
            client_context=json.dumps(client_context) if client_context is not None else None,
            cognito_identity=json.dumps(cognito_identity) if cognito_identity is not None else None,
        )
        with self._changed:
            self.invocations[invocation.request_id] = invocation
            self._queue.append(invocation)
            self._changed.notify_all()
        return invocation

    def wait_for_result(
        self, invocation: Invocation, timeout_s: float = 60.0, alive: Callable[[], bool] = lambda: True
    ) -> Invocation:
        """Until the runtime posts this invocation's response or error; fails on an init error, a dead runtime, or
        the timeout."""
        end = time.monotonic() + timeout_s
        with self._changed:
            while invocation.outcome is None:
                if self.init_errors:
                    raise AssertionError(f"the runtime reported an init error: {self.init_errors[-1]}")
                if not alive():
                    raise AssertionError("the runtime process ended before it answered the invocation")
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no result for invocation {invocation.request_id} within {timeout_s} s")
                self._changed.wait(min(left, 0.2))
        return invocation

    def wait_until_idle(self, timeout_s: float = 10.0) -> bool:
        """Until the runtime waits for its next event (and is frozen, if it is to be): True, or False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.idle, timeout=timeout_s)

    def attach(self, process_id: int) -> None:
        """The process to freeze while it waits for an event (Lambda freezes the whole execution environment)."""
        self.process_id = process_id

    def close(self) -> None:
        with self._changed:
            self._closing = True
            self._thaw()
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the runtime's side ------------------------------------------------------------------------------------

    def _freeze(self) -> None:
        if self.freeze_when_idle and self.process_id is not None and not self.frozen:
            try:
                os.kill(self.process_id, signal.SIGSTOP)
                self.frozen = True
            except ProcessLookupError:
                pass

    def _thaw(self) -> None:
        if self.frozen and self.process_id is not None:
            with contextlib.suppress(ProcessLookupError):  # it ended: nothing to thaw
                os.kill(self.process_id, signal.SIGCONT)
        self.frozen = False

    def _next(self) -> Invocation | None:
        with self._changed:
            self.next_calls += 1
            if not self._queue and not self._closing:
                self._freeze()
            self.idle = True
            self._changed.notify_all()
            self._changed.wait_for(lambda: bool(self._queue) or self._closing, timeout=self.idle_limit_s)
            self.idle = False
            if self._closing or not self._queue:
                return None
            invocation = self._queue.popleft()
            self._thaw()
            invocation.handed_out_at = time.time()
            invocation.deadline_ms = int((invocation.handed_out_at + invocation.timeout_s) * 1000)
            return invocation

    def _result(self, request_id: str, kind: str, body: bytes, error_type: str | None) -> tuple[int, dict[str, str]]:
        with self._changed:
            invocation = self.invocations.get(request_id)
            if invocation is None or invocation.handed_out_at is None:
                return 400, {"errorMessage": f"Invalid request ID: {request_id[:100]}", "errorType": "InvalidRequestID"}
            if invocation.outcome is not None:
                return 403, {
                    "errorMessage": f"Invocation {request_id} already has a {invocation.outcome}",
                    "errorType": "InvalidStateTransition",
                }
            if len(body) > MAX_RESPONSE_BYTES:
                return 413, {"errorMessage": "Response payload too large", "errorType": "RequestEntityTooLarge"}
            invocation.probe_at_result = self.probe() if self.probe is not None else None
            invocation.result_at = time.time()
            invocation.outcome = kind
            invocation.payload = body
            invocation.error_type = error_type
            self._changed.notify_all()
            return 202, {"status": "OK"}

    def _init_error(self, body: bytes, error_type: str | None) -> tuple[int, dict[str, str]]:
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body.decode(errors="replace")
        with self._changed:
            self.init_errors.append(InitError(error_type, parsed))
            self._changed.notify_all()
        return 202, {"status": "OK"}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # the runtime's client keeps its connection open between requests

            def do_GET(self) -> None:
                if self.path != NEXT_PATH:
                    self._reply(404, {"errorMessage": f"no route {self.path}", "errorType": "NotFound"})
                    return
                invocation = api._next()
                if invocation is None:
                    self._reply(
                        500, {"errorMessage": "the execution environment is shutting down", "errorType": "Runtime.Exit"}
                    )
                    return
                headers = {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": invocation.trace_id,
                }
                if invocation.client_context is not None:
                    headers["Lambda-Runtime-Client-Context"] = invocation.client_context
                if invocation.cognito_identity is not None:
                    headers["Lambda-Runtime-Cognito-Identity"] = invocation.cognito_identity
                self._send(200, invocation.body, headers)

            def do_POST(self) -> None:
                length = self.headers.get("Content-Length")
                if length is None:
                    self._reply(411, {"errorMessage": "Content-Length required", "errorType": "LengthRequired"})
                    return
                body = self.rfile.read(int(length))
                error_type = self.headers.get(ERROR_TYPE_HEADER)
                match = RESULT_PATH.match(self.path)
                if match:
                    self._reply(*api._result(match["id"], match["kind"], body, error_type))
                elif self.path == INIT_ERROR_PATH:
                    self._reply(*api._init_error(body, error_type))
                else:
                    self._reply(404, {"errorMessage": f"no route {self.path}", "errorType": "NotFound"})

            def _reply(self, status: int, document: Mapping[str, str]) -> None:
                self._send(status, json.dumps(document).encode(), {})

            def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the runtime was ended while `next` waited
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:  # keep the test output clean
                pass

        return Handler


@dataclass
class LambdaFunction:
    """What Lambda would run: the code (LAMBDA_TASK_ROOT), its layers' python/ dirs (/opt/python), its settings."""

    task_root: Path
    layer_paths: list[Path]
    handler: str = "app.lambda_handler"
    name: str = "ecs-teardown"
    memory_mb: int = 256
    region: str = "us-east-1"
    environment: dict[str, str] = field(default_factory=dict)  # the template's Environment.Variables


def lambda_environment(
    function: LambdaFunction, runtime_api: str, credentials: Mapping[str, str], extra: Mapping[str, str]
) -> dict[str, str]:
    """The reserved variables Lambda sets for a python3.13 function (Lambda docs, "Defined runtime environment
    variables"), then the function's own; nothing is inherited from the test's environment but PATH."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONPATH": os.pathsep.join(str(path) for path in [function.task_root, *function.layer_paths]),
        "LAMBDA_TASK_ROOT": str(function.task_root),
        "_HANDLER": function.handler,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}",
        "AWS_REGION": function.region,
        "AWS_DEFAULT_REGION": function.region,
        **credentials,
        **function.environment,
        **extra,
    }


class RuntimeProcess:
    """The function's execution environment: `python -m awslambdaric HANDLER` in LAMBDA_TASK_ROOT, as the managed
    python3.13 runtime's bootstrap starts it, with its output captured to files (Lambda would ship it to CloudWatch).
    Use as a context manager: the process is killed on the way out (Lambda ends an environment with SIGKILL)."""

    def __init__(
        self,
        api: RuntimeApi,
        python: Path,
        function: LambdaFunction,
        log_dir: Path,
        credentials: Mapping[str, str],
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.api = api
        self.command = [str(python), "-m", "awslambdaric", function.handler]
        self.cwd = function.task_root
        self.env = lambda_environment(function, api.address, credentials, extra_env or {})
        self.stdout_path = log_dir / "runtime.stdout"
        self.stderr_path = log_dir / "runtime.stderr"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RuntimeProcess:
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
            )
        self.api.attach(self.process.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # SIGKILL ends a stopped (frozen) process too
        if self.process is not None:
            self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stopped(self) -> bool:
        """Whether the kernel holds the process stopped (frozen), from /proc/PID/stat (Linux)."""
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] in {"T", "t"}

    def invoke(self, event: Any, wait_s: float = 60.0, **options: Any) -> Invocation:
        """One invocation, to its end: queued, handed out by `next`, answered by the runtime's response or error.
        `options` go to `RuntimeApi.invoke` (`timeout_s` there is the function's timeout, for the deadline)."""
        invocation = self.api.invoke(event, **options)
        try:
            return self.api.wait_for_result(invocation, timeout_s=wait_s, alive=self.alive)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- runtime output ---\n{self.output()[-4000:]}") from None

    def output(self) -> str:
        """Everything the process wrote so far, stdout then stderr."""
        return "".join(path.read_text(errors="replace") for path in (self.stdout_path, self.stderr_path))

    def json_lines(self) -> Iterator[dict[str, Any]]:
        """The JSON objects among the output's lines (the Powertools log records)."""
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record
