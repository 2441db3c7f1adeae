"""Where a re-created service begins, through the whole handler: the teardown starts at the request's X-Amz-Date
(whole seconds), the engine allows CLOCK_SKEW_S on top, and a service created up to that moment is the one the
request was for; one created any later is a newer service of that name, left alone (tests/unit/test_machine.py
pins the `>` of the rule itself; the README says it under "The teardown, service by service")."""

from __future__ import annotations

import math

import pytest

from ecs_teardown.core.engine import CLOCK_SKEW_S
from support.driver import run_handler
from support.fake_ecs import FakeClock, FakeEcs, FakeService


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs(FakeClock())


def writes(ecs: FakeEcs) -> list[str]:
    """Every call that changes something (reads: Describe*, List*, Get*)."""
    return [op for _, op, _ in ecs.calls if not op.startswith(("Describe", "List", "Get"))]


def delete_signed_now(answers, event_for, ecs: FakeEcs) -> dict:  # type: ignore[no-untyped-def]
    event = event_for("delete.json")
    event["ResponseURL"] = answers.url("signed", signed_at=ecs.clock.now)  # CloudFormation sent it this second
    return event


def test_the_clock_skew_allowed_is_one_second() -> None:
    assert CLOCK_SKEW_S == 1.0


@pytest.mark.parametrize("after_s", [0.0, 0.5, CLOCK_SKEW_S])
def test_a_service_created_up_to_the_skew_after_the_request_is_torn_down(monkeypatch, answers, event_for, ecs, after_s):
    web = ecs.add(FakeService("web", created_at=ecs.clock.now + after_s))
    run = run_handler(monkeypatch, answers, delete_signed_now(answers, event_for, ecs), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert writes(ecs) == ["UpdateService", "DeleteService"]
    assert web.deleted_at is not None


@pytest.mark.parametrize("after_s", [math.nextafter(CLOCK_SKEW_S, math.inf) + 1e-6, 1.001, 60.0])
def test_a_service_created_later_than_that_is_left_alone(monkeypatch, answers, event_for, ecs, after_s):
    web = ecs.add(FakeService("web", desired=2, tasks=2, created_at=ecs.clock.now + after_s))
    run = run_handler(monkeypatch, answers, delete_signed_now(answers, event_for, ecs), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert writes(ecs) == [], "no UpdateService or DeleteService on the newer service"
    assert web.deleted_at is None and web.desired_now() == 2
