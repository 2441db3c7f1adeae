"""The answer's PUT against a misbehaving CloudFormation endpoint: 5xx, resets, stalls longer than the sender's
timeout, an endpoint that never answers, a closed port. Bounded attempts, each logged, never an endless loop, and
the invocation always ends (wall time measured)."""

from __future__ import annotations

import copy
import inspect
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn import answer as response
from ecs_teardown.cfn.answer import TIMER_MARGIN_S
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.core.budget import LAMBDA_RESERVE_S
from ecs_teardown_tools.local import AnswerEndpoint, HandOverQueue, LocalContext
from support.fake_ecs import FakeClock, FakeEcs, FakeService

EVENTS = Path(__file__).resolve().parents[2] / "events"
TIMEOUT_S = 0.3  # the sender's per-attempt timeout in these tests (8 s in the Lambda)


def event_named(name: str, url: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    event = copy.deepcopy(event)
    event["ResponseURL"] = url
    return event


@contextmanager
def endpoint(monkeypatch: pytest.MonkeyPatch, script: list[int | str | float]) -> Iterator[AnswerEndpoint]:
    with AnswerEndpoint(script=script) as answers:
        monkeypatch.setenv("SSL_CERT_FILE", answers.cert_path)
        monkeypatch.setenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", "true")
        yield answers


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs(FakeClock())


def invoke(monkeypatch: pytest.MonkeyPatch, event: dict[str, Any], ecs: FakeEcs) -> tuple[float, Any]:
    """Run one invocation of the real handler; returns its wall time and the guarded crhelper (what it sent)."""
    queue = HandOverQueue()
    edges = Edges(ecs=lambda: EcsGateway(ecs), clock=ecs.clock, sleep=ecs.clock.sleep, hand_over=queue)  # type: ignore[arg-type]
    function = CustomResource(edges)
    started = time.monotonic()
    function.handle(event, LocalContext(clock=ecs.clock))
    assert queue.pending == [], "no hand-over in these scenarios"
    return time.monotonic() - started, function.helper


def attempts_logged(app_logs: Any) -> list[dict[str, Any]]:
    """The sender's lines about failures: one WARNING per failed attempt, then an ERROR when it gives up."""
    return [
        r
        for r in app_logs.records()
        if r.get("location", "").startswith("send_response") and r["level"] in ("WARNING", "ERROR")
    ]


def worst_case_s(attempts: int, timeout_s: float, backoff_s: float) -> float:
    return attempts * timeout_s + sum(backoff_s * 2**i for i in range(attempts - 1))


@pytest.mark.parametrize(
    "script",
    [[500], [502, 503, "reset"], ["reset", "reset", "reset"], [408, 429], [504, "reset", 500], [1.0], [1.0, 500]],
    ids=["500", "502-503-reset", "3-resets", "408-429", "504-reset-500", "stall", "stall-500"],
)
def test_an_answer_gets_through_a_flaky_endpoint(monkeypatch, quick_sender, app_logs, ecs, script):
    quick_sender(timeout_s=TIMEOUT_S)
    with endpoint(monkeypatch, script) as answers:
        event = event_named("delete-after-failed-create.json", answers.url("flaky"))
        elapsed, helper = invoke(monkeypatch, event, ecs)
        received = answers.wait_for(1, timeout_s=3)
        assert answers.requests == len(script) + 1, "one attempt per scripted failure, then the one that passes"
    assert helper.answer_delivered is True
    assert received and received[-1].body["Status"] == "SUCCESS"
    assert {r.body["RequestId"] for r in received} == {event["RequestId"]}
    assert len(attempts_logged(app_logs)) == len(script), "every failed attempt is logged"
    assert elapsed < worst_case_s(4, TIMEOUT_S, 0.01) + 1.0
    assert ecs.calls == []


@pytest.mark.parametrize(
    "script",
    [[500] * 6, ["reset"] * 6, [503, "reset", 500, 502, 500], [1.0] * 5, [429] * 5],
    ids=["500s", "resets", "mixed", "stalls", "429s"],
)
def test_a_failing_endpoint_gets_four_attempts_then_the_invocation_ends(
    monkeypatch, quick_sender, app_logs, ecs, script
):
    quick_sender(timeout_s=TIMEOUT_S)
    with endpoint(monkeypatch, script) as answers:
        event = event_named("delete-after-failed-create.json", answers.url("failing"))
        elapsed, helper = invoke(monkeypatch, event, ecs)
        requests = answers.requests
    assert requests == 4, "bounded: four attempts, no more"
    assert helper.answer_delivered is False
    logged = attempts_logged(app_logs)
    assert [r["attempt"] for r in logged[:-1]] == [1, 2, 3, 4]
    assert logged[-1]["message"] == "answer to CloudFormation not delivered after 4 attempts"
    assert logged[-1]["level"] == "ERROR"
    assert elapsed < worst_case_s(4, TIMEOUT_S, 0.01) + 1.0


@pytest.mark.parametrize("status", [400, 403, 404])
def test_a_refusal_that_will_not_change_is_not_retried(monkeypatch, quick_sender, app_logs, ecs, status):
    quick_sender(timeout_s=TIMEOUT_S)
    with endpoint(monkeypatch, [status] * 4) as answers:
        event = event_named("delete-after-failed-create.json", answers.url("expired"))
        _, helper = invoke(monkeypatch, event, ecs)
        requests = answers.requests
    assert requests == 1
    assert helper.answer_delivered is False


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("event_name", ["delete-after-failed-create.json", "create.json", "malformed"])
def test_a_dead_endpoint_ends_the_invocation_after_four_attempts(monkeypatch, quick_sender, app_logs, ecs, event_name):
    quick_sender(timeout_s=TIMEOUT_S)
    monkeypatch.setenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", "true")
    url = f"https://127.0.0.1:{closed_port()}/dead?X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    if event_name == "malformed":  # answered by app.py itself, not through crhelper
        event = event_named("delete.json", url)
        del event["LogicalResourceId"]
    else:
        event = event_named(event_name, url)
    elapsed, _ = invoke(monkeypatch, event, ecs)
    logged = attempts_logged(app_logs)
    assert [r.get("attempt") for r in logged] == [1, 2, 3, 4, None]
    assert {r["error"] for r in logged[:-1]} == {"ConnectionRefusedError"}
    assert elapsed < worst_case_s(4, TIMEOUT_S, 0.01) + 1.0


def test_an_endpoint_that_accepts_but_never_answers_is_given_up_on(monkeypatch, quick_sender, app_logs, ecs):
    """A black hole: the TCP handshake completes (the kernel's backlog) but nothing ever comes back."""
    quick_sender(timeout_s=TIMEOUT_S)
    monkeypatch.setenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", "true")
    with socket.create_server(("127.0.0.1", 0), backlog=16) as hole:
        url = f"https://127.0.0.1:{hole.getsockname()[1]}/hole"
        elapsed, helper = invoke(monkeypatch, event_named("delete-after-failed-create.json", url), ecs)
    logged = attempts_logged(app_logs)
    assert len(logged) == 5 and {r["error"] for r in logged[:-1]} <= {"TimeoutError", "timeout"}
    assert helper.answer_delivered is False
    assert 4 * TIMEOUT_S <= elapsed < worst_case_s(4, TIMEOUT_S, 0.01) + 1.0


def test_a_teardown_whose_answer_cannot_be_delivered_still_ends(monkeypatch, quick_sender, app_logs, ecs):
    quick_sender(timeout_s=TIMEOUT_S)
    web = ecs.add(FakeService("web", task_stop_s=20, draining_s=10))
    with endpoint(monkeypatch, ["reset"] * 4) as answers:
        event = event_named("delete.json", answers.url("teardown"))
        elapsed, helper = invoke(monkeypatch, event, ecs)
        requests = answers.requests
    assert web.status(ecs.clock.now) == "INACTIVE", "the teardown itself completed"
    assert requests == 4 and helper.answer_delivered is False
    assert elapsed < worst_case_s(4, TIMEOUT_S, 0.01) + 1.0


def test_the_senders_worst_case_fits_in_the_lambdas_reserve():
    """With its real defaults, the PUT gives up well before the reserve the engine keeps back is spent."""
    defaults = {
        name: parameter.default for name, parameter in inspect.signature(response.send_response).parameters.items()
    }
    worst = worst_case_s(defaults["attempts"], defaults["timeout_s"], defaults["backoff_s"])
    assert defaults["attempts"] <= 4 and worst <= 36.0
    assert worst + 5.0 < LAMBDA_RESERVE_S, "the answer's PUT and a hand-over must fit in the reserve"
    assert TIMER_MARGIN_S >= 2.0


def test_an_invocation_stuck_in_ecs_at_its_end_still_answers_once(monkeypatch, quick_sender, app_logs):
    """A round that overruns the Lambda's end (an ECS call hanging): crhelper's guarded timer answers FAILED before
    Lambda would kill the invocation, and the main thread, when it finishes, makes no ECS call and does not answer
    a second time. The worst cases the invocation plans for are shortened so that its 3.2 s can hold a call; the
    fake ECS then hangs longer than planned, as a stuck endpoint would."""
    from ecs_teardown.cfn import delete

    for name in ("CALL_WORST_S", "HANDOVER_WORST_S", "ANSWER_WORST_S"):
        monkeypatch.setattr(delete, name, 0.01)
    quick_sender(timeout_s=TIMEOUT_S)
    clock = FakeClock()
    ecs = FakeEcs(clock)
    ecs.add(FakeService("web", task_stop_s=20, draining_s=10))

    def hang(operation: str, kwargs: dict[str, Any]) -> None:
        time.sleep(0.5)  # real time: the Lambda's own clock runs on

    ecs.fault = hang
    queue = HandOverQueue()
    with endpoint(monkeypatch, []) as answers:
        edges = Edges(ecs=lambda: EcsGateway(ecs), clock=clock, sleep=clock.sleep, hand_over=queue)  # type: ignore[arg-type]
        function = CustomResource(edges)
        event = event_named("delete.json", answers.url("stuck"))
        lambda_timeout_s = TIMER_MARGIN_S + 0.2
        context = LocalContext(timeout_s=lambda_timeout_s)  # the real clock: crhelper's timer is a real thread
        started = time.monotonic()
        function.handle(event, context)
        first = answers.wait_for(1, timeout_s=2)
        answered_after = time.monotonic() - started
        time.sleep(0.3)
        received = list(answers.answers)
    assert len(first) == 1 and first[0].body["Status"] == "FAILED"
    assert "timed out" in first[0].body["Reason"]
    assert first[0].body["PhysicalResourceId"] == event["PhysicalResourceId"], "the timer answers with the Delete's id"
    assert len(received) == 1, "one answer per invocation"
    assert answered_after < lambda_timeout_s + 1.5
    assert [op for _, op, _ in ecs.calls] == ["DescribeServices"], "no ECS call after the answer, let alone a write"
    assert queue.pending == [], "no hand-over after the answer"
