"""Faults on every ECS operation, on the fake ECS and its timelines: throttling storms, 5xx, dropped connections,
read and connect timeouts (as botocore raises them once its own retries are spent), replies lost after ECS acted,
and outages that outlast the time budget. The teardown still ends with the right answer, and only one."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_teardown.cfn.identity import resource_id
from support.driver import Run, run_handler
from support.fake_ecs import FakeClock, FakeService, Fault, client_error
from support.faults import FAULT_KINDS, OPERATIONS, WorldFakeEcs, always, burst_of, storm

WEB_ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo/web"
KINDS = sorted(FAULT_KINDS)
SEEDS = (3, 17, 2024)


class Counting:
    """Wraps a fault and counts how often it fired, so no scenario passes by injecting nothing."""

    def __init__(self, fault: Fault) -> None:
        self.fault, self.fired = fault, 0

    def __call__(self, operation: str, kwargs: dict[str, Any]) -> Exception | None:
        error = self.fault(operation, kwargs)
        self.fired += error is not None
        return error


@pytest.fixture
def ecs() -> WorldFakeEcs:
    return WorldFakeEcs(FakeClock())


def accepted(ecs: WorldFakeEcs, operation: str) -> list[dict[str, Any]]:
    return [kwargs for _, op, kwargs in ecs.accepted if op == operation]


def assert_torn_down_once(run: Run, ecs: WorldFakeEcs, services: list[FakeService], injected: Counting) -> None:
    assert injected.fired > 0, "the scenario injected no fault"
    assert run.answers == 1
    assert run.answer["Status"] == "SUCCESS", run.answer.get("Reason")
    for service in services:
        assert service.status(ecs.clock.now) in ("INACTIVE", "MISSING"), service.name
        assert not service.forced, f"{service.name} drained in time, so no force was needed"
    deletes = accepted(ecs, "DeleteService")
    assert sorted(d["service"] for d in deletes) == sorted(s.name for s in services), "one accepted delete each"


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_burst_on_one_operation_is_survived(monkeypatch, answers, event_for, ecs, kind, operation):
    web = ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=30, draining_s=20, deployments_busy_s=3))
    ecs.fault = injected = Counting(burst_of(kind, 3, (operation,)))
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert injected.fired == 3
    assert_torn_down_once(run, ecs, [web], injected)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", KINDS)
def test_a_storm_on_every_operation_is_survived(monkeypatch, answers, event_for, ecs, kind, seed):
    web = ecs.add(FakeService("web", desired=3, tasks=3, task_stop_s=45, draining_s=30, deployments_busy_s=5))
    ecs.fault = injected = Counting(storm(kind, 0.3, seed))
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert_torn_down_once(run, ecs, [web], injected)


def mixed(fraction: float, seed: int) -> Fault:
    """Every kind of fault at once, chosen per call."""
    import random

    rng = random.Random(seed)

    def fault(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if rng.random() < fraction:
            return FAULT_KINDS[rng.choice(KINDS)](operation)
        return None

    return fault


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_mixed_storm_on_three_services_is_survived(monkeypatch, answers, event_for, ecs, seed):
    services = [
        ecs.add(FakeService("web", desired=3, tasks=3, task_stop_s=40, draining_s=25, deployments_busy_s=4)),
        ecs.add(FakeService("api", desired=2, tasks=2, task_stop_s=20, draining_s=60, purge_after_s=5)),
        ecs.add(FakeService("worker", scheduling="DAEMON", desired=0, tasks=4, task_stop_s=15, draining_s=10)),
    ]
    ecs.fault = injected = Counting(mixed(0.4, seed))
    run = run_handler(monkeypatch, answers, event_for("delete-services.json"), ecs)
    assert_torn_down_once(run, ecs, services, injected)
    assert not accepted(ecs, "UpdateService") or all(
        u["service"] != "worker" for u in accepted(ecs, "UpdateService")
    ), "a DAEMON is never sent a desiredCount"


@pytest.mark.parametrize("operation", ["UpdateService", "DeleteService"])
@pytest.mark.parametrize("kind", ["read-timeout", "connection-reset", "server-error-500"])
def test_a_reply_lost_after_ecs_acted_is_survived(monkeypatch, answers, event_for, ecs, kind, operation):
    """ECS carried the call out but the reply never came: the retry must not double the work or force anything."""
    web = ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=30, draining_s=20))
    ecs.fault = None
    ecs.lost_replies = injected = Counting(burst_of(kind, 2, (operation,)))
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert_torn_down_once(run, ecs, [web], injected)


@pytest.mark.parametrize("kind", KINDS)
def test_an_outage_longer_than_the_budget_ends_failed_in_time_touching_nothing(
    monkeypatch, answers, event_for, ecs, kind
):
    properties = {"Cluster": "demo", "Service": "web", "ServiceTimeout": "120"}
    web = ecs.add(FakeService("web"))
    ecs.fault = injected = Counting(always(kind))
    start = ecs.clock.now
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs)
    assert injected.fired > 3
    assert run.answer["Status"] == "FAILED"
    reason = run.answer["Reason"]
    assert "web (observing" in reason and "time budget" in reason, reason
    assert ecs.clock.now - start <= 120 - 12, "answered before ServiceTimeout less its margin"
    assert ecs.accepted == [] and web.status(ecs.clock.now) == "ACTIVE"


@pytest.mark.parametrize("request_file", ["create.json", "update.json"])
@pytest.mark.parametrize("kind", KINDS)
def test_create_and_update_resolve_through_four_failed_reads(monkeypatch, answers, event_for, ecs, kind, request_file):
    ecs.add(FakeService("web"))
    ecs.fault = injected = Counting(burst_of(kind, 4, ("DescribeServices",)))
    run = run_handler(monkeypatch, answers, event_for(request_file), ecs)
    assert injected.fired == 4
    assert run.answer["Status"] == "SUCCESS", run.answer.get("Reason")
    assert run.answer["PhysicalResourceId"] == resource_id(event_for(request_file)["StackId"], "Teardown")
    assert run.answer["Data"]["ServiceArn"] == WEB_ARN
    assert ecs.accepted == [], "a Create or an Update only reads"


@pytest.mark.parametrize("kind", KINDS)
def test_create_during_an_outage_fails_naming_the_service(monkeypatch, answers, event_for, ecs, kind):
    ecs.add(FakeService("web"))
    ecs.fault = injected = Counting(always(kind))
    start = ecs.clock.now
    run = run_handler(monkeypatch, answers, event_for("create.json"), ecs)
    assert injected.fired == 5, "five reads, then a clear answer"
    assert run.answer["Status"] == "FAILED"
    assert "services web in cluster 'demo'" in run.answer["Reason"] and "try again" in run.answer["Reason"]
    assert run.answer["PhysicalResourceId"].startswith("ecs-teardown/failed-create/")
    assert ecs.clock.now - start < 60


def access_denied(operation: str) -> Exception:
    return client_error("AccessDeniedException", f"not authorized to perform ecs:{operation}", operation)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_access_denied_on_any_operation_fails_naming_it(monkeypatch, answers, event_for, ecs, operation):
    web = ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=10))
    ecs.fault = injected = Counting(lambda op, kwargs: access_denied(op) if op == operation else None)
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert injected.fired == 1, "a refusal that waiting will not fix is not retried"
    assert run.answer["Status"] == "FAILED"
    reason = run.answer["Reason"]
    assert operation in reason and "AccessDenied" in reason and "'demo'" in reason, reason
    assert web.status(ecs.clock.now) == "ACTIVE"
    assert accepted(ecs, "DeleteService") == []
