"""Shared fixtures: the events/ files, a local HTTPS stand-in for CloudFormation, and a way to drive the handler."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ecs_teardown.cfn import edges
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext
from support.fake_stacks import FakeStacks

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load_event(name: str) -> dict[str, Any]:
    with open(EVENTS / name) as handle:
        event: dict[str, Any] = json.load(handle)
    return event


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No real credentials or endpoints leak into a test; region as Lambda would set it."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_SESSION_TOKEN", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.delenv("ECS_TEARDOWN_ALLOWED_CLUSTERS", raising=False)


@pytest.fixture(autouse=True)
def stacks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeStacks:
    """In-process runs read the stack's status from this stand-in (DELETE_IN_PROGRESS unless a test sets another),
    not from CloudFormation; tests marked `real_stacks` read it through boto3, from moto's server."""
    fake = FakeStacks()
    if request.node.get_closest_marker("real_stacks") is None:
        monkeypatch.setattr(edges, "CloudFormationStacks", lambda **_: fake)
    return fake


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Iterator[AnswerEndpoint]:
    """CloudFormation's side: a local HTTPS endpoint that records every answer."""
    with AnswerEndpoint() as endpoint:
        monkeypatch.setenv("SSL_CERT_FILE", endpoint.cert_path)
        monkeypatch.setenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", "true")
        yield endpoint


@pytest.fixture
def event_for(answers: AnswerEndpoint) -> Callable[..., dict[str, Any]]:
    """An events/ file, pointed at the local answer endpoint, with ResourceProperties overrides."""

    def make(name: str, properties: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        event = copy.deepcopy(load_event(name))
        event["ResponseURL"] = answers.url(event["RequestId"])
        if properties is not None:
            event["ResourceProperties"] = {"ServiceToken": event["ServiceToken"], **properties}
        event.update(fields)
        return event

    return make


class LogCapture(logging.Handler):
    """Every formatted record the handler's loggers emit, as the Powertools JSON lines Lambda would ship."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def app_logs() -> Iterator[LogCapture]:
    """The app's JSON log lines (Powertools' own formatter), captured for assertions and secret scans."""
    import app

    capture = LogCapture()
    powertools_handler = app.function.logger.handlers[0]
    capture.setFormatter(powertools_handler.formatter)
    for log_filter in powertools_handler.filters:
        capture.addFilter(log_filter)
    targets = [
        logging.getLogger(app.function.logger.name),
        logging.getLogger("crhelper"),
        logging.getLogger("ecs_teardown"),
    ]
    for target in targets:
        target.addHandler(capture)
    yield capture
    for target in targets:
        target.removeHandler(capture)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server over real HTTP on 127.0.0.1, one for the whole run (use `moto_url` for a clean account)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_url(moto_server: str) -> str:
    """The shared moto server, emptied: every test starts from a clean account."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"))
    return moto_server


def make_context(clock: Callable[[], float] | None = None, timeout_s: float = 900.0) -> LocalContext:
    return LocalContext(timeout_s=timeout_s, clock=clock) if clock else LocalContext(timeout_s=timeout_s)
