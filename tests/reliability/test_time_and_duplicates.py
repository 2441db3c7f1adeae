"""Time and repetition: an invocation running out of time mid-drain (hand-over), the budget running out (a clear
FAILED in time), hand-overs that are late, malformed or endless, duplicate and concurrent Deletes of the same
resource, and a service re-created under the same name after its teardown."""

from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn import delete
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.identity import resource_id
from ecs_teardown.core.budget import HANDOVER_KEY, LAMBDA_RESERVE_S, MAX_INVOCATIONS, answer_margin_s
from ecs_teardown_tools.local import LocalContext
from support.fake_ecs import FakeClock, FakeService
from support.faults import ThreadSafeClock, WorldFakeEcs, storm
from support.handover import Lambda
from support.moto_stacks import stack_in_moto

ROOT = Path(__file__).resolve().parents[2]
INVOKE_PROCESS = ROOT / "tests" / "support" / "invoke_process.py"


@pytest.fixture
def ecs() -> WorldFakeEcs:
    return WorldFakeEcs(FakeClock())


def deletes_accepted(ecs: WorldFakeEcs, name: str) -> list[dict[str, Any]]:
    return [kwargs for _, op, kwargs in ecs.accepted if op == "DeleteService" and kwargs["service"] == name]


def without_continuation(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != HANDOVER_KEY}


# --- running out of time: hand-overs -----------------------------------------------------------------------------


@pytest.mark.parametrize("lambda_timeout_s", [240, 300, 900])
def test_a_drain_longer_than_the_invocation_hands_over_and_answers_once(
    monkeypatch, answers, event_for, ecs, lambda_timeout_s
):
    properties = {"Cluster": "demo", "Service": "web", "DrainTimeoutSeconds": "1800"}
    web = ecs.add(FakeService("web", desired=4, tasks=4, task_stop_s=700, draining_s=500))
    ecs.fault = storm("throttling", 0.2, seed=lambda_timeout_s)
    event = event_for("delete.json", properties)
    start = ecs.clock.now
    function = Lambda(monkeypatch, answers, ecs, timeout_s=lambda_timeout_s)
    function.run_chain(event)
    bodies = function.bodies()
    assert len(bodies) == 1 and bodies[0]["Status"] == "SUCCESS", bodies
    per_invocation_s = lambda_timeout_s - LAMBDA_RESERVE_S
    assert function.invocations >= math.ceil(1200 / per_invocation_s)
    handed = function.hand_overs.handed
    assert len(handed) == function.invocations - 1
    assert [h[HANDOVER_KEY]["Generation"] for h in handed] == list(range(1, len(handed) + 1))
    assert {h[HANDOVER_KEY]["StartedAt"] for h in handed} == {start}, "the start is carried, never reset"
    assert all(without_continuation(h) == event for h in handed), "the rest of the event is handed on unchanged"
    assert web.status(ecs.clock.now) == "INACTIVE" and not web.forced
    assert len(deletes_accepted(ecs, "web")) == 1


@pytest.mark.parametrize("lambda_timeout_s", [30, 60])
def test_hand_overs_stop_at_their_cap_with_a_truthful_reason(monkeypatch, answers, event_for, ecs, lambda_timeout_s):
    """A Lambda timeout too short for the teardown: never an endless chain, and the Reason says what stopped it."""
    properties = {"Cluster": "demo", "Service": "web", "DrainTimeoutSeconds": "1800"}
    ecs.add(FakeService("web", task_stop_s=700, draining_s=500))
    function = Lambda(monkeypatch, answers, ecs, timeout_s=lambda_timeout_s)
    function.run_chain(event_for("delete.json", properties))
    bodies = function.bodies()
    assert function.invocations == MAX_INVOCATIONS
    assert len(bodies) == 1 and bodies[0]["Status"] == "FAILED"
    reason = bodies[0]["Reason"]
    assert "web (" in reason and f"{MAX_INVOCATIONS} invocations" in reason, reason
    assert "time budget ran out" not in reason, "the budget (3600 s) was not spent: the Reason must not say it was"


@pytest.mark.parametrize("service_timeout", [1, 30, 120, 600, 3600])
def test_the_budget_running_out_is_a_clear_failed_before_cloudformation_gives_up(
    monkeypatch, answers, event_for, ecs, service_timeout
):
    properties = {"Cluster": "demo", "Services": ["web", "api"], "ServiceTimeout": str(service_timeout)}
    ecs.add(FakeService("web", task_stop_s=5, draining_s=100_000))
    ecs.add(FakeService("api", task_stop_s=5, draining_s=5))
    event = event_for("delete-services.json", properties)
    start = ecs.clock.now
    function = Lambda(monkeypatch, answers, ecs, timeout_s=900)
    function.run_chain(event)
    bodies = function.bodies()
    assert len(bodies) == 1 and bodies[0]["Status"] == "FAILED"
    answered_after = ecs.clock.now - start
    assert answered_after <= max(0.0, service_timeout - answer_margin_s(service_timeout)) + 1e-6
    assert answered_after < service_timeout
    reason = bodies[0]["Reason"]
    assert "web (" in reason and ("time budget ran out" in reason), reason
    if service_timeout >= 120:  # time enough to get web DRAINING and api gone
        assert "web (draining: DRAINING: waiting for INACTIVE; desired 0, running 0, pending 0)" in reason
        assert "api" not in reason
    assert len(reason.encode()) < 4096


def test_the_budget_running_out_across_hand_overs(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Service": "web", "ServiceTimeout": "1800"}
    ecs.add(FakeService("web", task_stop_s=5, draining_s=100_000))
    start = ecs.clock.now
    function = Lambda(monkeypatch, answers, ecs, timeout_s=300)
    function.run_chain(event_for("delete.json", properties))
    bodies = function.bodies()
    assert len(bodies) == 1 and bodies[0]["Status"] == "FAILED"
    assert "time budget ran out" in bodies[0]["Reason"]
    assert 1800 - 60 - 255 <= ecs.clock.now - start <= 1800 - 60, "the budget was used, and the answer came in time"
    assert function.invocations >= 6


def test_a_rollout_blocking_the_delete_is_stopped_once_across_hand_overs(monkeypatch, answers, event_for, ecs):
    """A drained service whose rollout never ends by itself: DeleteService is refused from the start. Invocations
    of 40 s each (a 100 s Lambda timeout less its 60 s reserve) must still stop the rollout a minute after the first
    refusal, in the second invocation (the wait does not restart with each), and the third, while the rollback
    runs, must not stop it again: the hand-over carries both."""
    web = ecs.add(FakeService("web", desired=0, tasks=0, rollout_s=math.inf, rollback_s=30.0))
    start = ecs.clock.now
    function = Lambda(monkeypatch, answers, ecs, timeout_s=100)
    function.run_chain(event_for("delete.json"), between=lambda: ecs.clock.advance(1.0))  # a hand-over takes 1 s

    bodies = function.bodies()
    assert len(bodies) == 1 and bodies[0]["Status"] == "SUCCESS", bodies
    spans = [(begin - start, end - start) for begin, end in function.spans]
    assert spans[:3] == [(0.0, 40.0), (41.0, 81.0), (82.0, 122.0)]
    refused = [at - start for at, op, _ in ecs.calls if op == "DeleteService"]
    stops = [at - start for at, op, _ in ecs.calls if op == "StopServiceDeployment"]
    assert refused[0] == 0.0 and stops == [60.0], "one stop, a minute after the first refusal"
    assert web.rollback_requested_at == start + 60.0
    assert [h[HANDOVER_KEY]["DeploymentsBlocked"] for h in function.hand_overs.handed] == [
        {"web": [start, False]},
        {"web": [start, True]},
        {"web": [start, True]},
    ]
    # The third invocation found the rollback still under way (it ends at 90 s) and only tried the delete again.
    assert [at for at in refused if at >= 82.0] == [82.0, 90.0]
    assert deletes_accepted(ecs, "web") == [{"cluster": "demo", "service": "web", "force": False}]
    assert not web.forced and web.status(ecs.clock.now) == "INACTIVE"


MALFORMED_CONTINUATIONS = [
    "soon",
    [1800000000.0, 1],
    12,
    {"StartedAt": "1800000000"},
    {"StartedAt": None},
    {"StartedAt": True},
    {"StartedAt": float("nan")},
    {"StartedAt": float("inf")},
    {"StartedAt": float("-inf")},
    {"StartedAt": 1800000000.0, "Generation": "2"},
    {"StartedAt": 1800000000.0, "Generation": -1},
    {"StartedAt": 1800000000.0, "Generation": 2.5},
    {"StartedAt": 1800000000.0, "Generation": True},
    {"StartedAt": 1800000000.0, "Generation": float("inf")},
]


@pytest.mark.parametrize("carried", MALFORMED_CONTINUATIONS, ids=[json.dumps(c) for c in MALFORMED_CONTINUATIONS])
def test_a_malformed_hand_over_voids_neither_the_drain_timeout_nor_the_deadline(
    monkeypatch, answers, event_for, ecs, carried
):
    """Only this handler writes EcsTeardownContinuation. Whatever else is there (the handler may refuse it or start
    afresh), it must not void the drain timeout (a StartedAt of -inf or NaN made the delete forced at once), nor
    the Lambda's deadline (NaN compares false with it: the loop ran on past it), nor end without a clear answer."""
    web = ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=30, draining_s=3000))
    event = event_for("delete.json")
    event[HANDOVER_KEY] = carried
    function = Lambda(monkeypatch, answers, ecs, timeout_s=900)
    function.run_chain(event, limit=MAX_INVOCATIONS + 1)
    bodies = function.bodies()
    assert len(bodies) == 1
    assert all(end - start <= 900 for start, end in function.spans), "an invocation ran past its Lambda timeout"
    assert not web.forced, "its tasks stop in 30 s, well within the 300 s drain timeout"
    if bodies[0]["Status"] == "FAILED":
        assert re.search(r"EcsTeardownContinuation|time budget", bodies[0]["Reason"]), bodies[0]["Reason"]
    if bodies[0]["Status"] == "FAILED" and "nothing was touched" in bodies[0]["Reason"]:
        assert [op for _, op, _ in ecs.calls if op != "DescribeServices"] == []


def test_a_hand_over_from_the_future_counts_the_drain_from_now(monkeypatch, answers, event_for, ecs):
    web = ecs.add(FakeService("web", task_stop_s=100, draining_s=10))
    event = event_for("delete.json")
    event[HANDOVER_KEY] = {"StartedAt": ecs.clock.now + 10_000_000, "Generation": 1}
    function = Lambda(monkeypatch, answers, ecs)
    function.run_chain(event)
    bodies = function.bodies()
    assert bodies[0]["Status"] == "SUCCESS" and not web.forced
    assert function.invocations == 1


def test_a_hand_over_delivered_after_the_budget_touches_nothing(monkeypatch, answers, event_for, ecs):
    """Lambda's async queue may hold a hand-over back (throttling, an outage): arriving after the answer was due,
    it answers FAILED and touches nothing, whatever now bears the service's name."""
    properties = {"Cluster": "demo", "Service": "web", "ServiceTimeout": "900"}
    ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=10, draining_s=3000))
    start = ecs.clock.now
    function = Lambda(monkeypatch, answers, ecs, timeout_s=300)
    function.invoke(event_for("delete.json", properties))
    assert len(function.hand_overs.pending) == 1, "the first invocation handed over"
    ecs.clock.now = start + 900 + 600  # the old service is long INACTIVE; someone made a new one
    new_web = ecs.add(FakeService("web", desired=2, tasks=2))
    mark = ecs.clock.now
    function.deliver_next()
    bodies = function.bodies()
    assert len(bodies) == 1 and bodies[0]["Status"] == "FAILED"
    assert "time budget" in bodies[0]["Reason"] and "nothing was touched" in bodies[0]["Reason"]
    assert ecs.touched("web", since=mark) == []
    assert new_web.status(ecs.clock.now) == "ACTIVE" and new_web.desired_now() == 2


# --- duplicate and concurrent Deletes ----------------------------------------------------------------------------


def test_a_duplicate_delete_after_the_teardown_touches_nothing(monkeypatch, answers, event_for, ecs):
    web = ecs.add(FakeService("web", task_stop_s=20, draining_s=10))
    event = event_for("delete.json")
    function = Lambda(monkeypatch, answers, ecs)
    function.run_chain(event)
    mark = ecs.clock.now
    function.run_chain(copy.deepcopy(event))  # Lambda's at-least-once delivery, or CloudFormation retrying
    bodies = function.bodies(wait_for=2)
    assert [b["Status"] for b in bodies] == ["SUCCESS", "SUCCESS"]
    assert ecs.touched("web", since=mark) == []
    assert len(deletes_accepted(ecs, "web")) == 1 and not web.forced


def test_a_duplicate_delete_during_a_hand_over_converges(monkeypatch, answers, event_for, ecs):
    """The original event is delivered again while the first chain is between invocations; both chains answer
    SUCCESS, the service is deleted once, without force."""
    web = ecs.add(FakeService("web", desired=3, tasks=3, task_stop_s=150, draining_s=200, deployments_busy_s=10))
    api = ecs.add(FakeService("api", desired=1, tasks=1, task_stop_s=400, draining_s=30))
    worker = ecs.add(FakeService("worker", scheduling="DAEMON", desired=0, tasks=2, task_stop_s=20, draining_s=60))
    properties = {"Cluster": "demo", "Services": ["web", "api", "worker"], "DrainTimeoutSeconds": "900"}
    event = event_for("delete-services.json", properties)
    first = Lambda(monkeypatch, answers, ecs, timeout_s=120)
    first.invoke(event)
    assert len(first.hand_overs.pending) == 1
    duplicate = Lambda(monkeypatch, answers, ecs, timeout_s=120)
    duplicate.run_chain(copy.deepcopy(event))
    while first.hand_overs.pending:
        first.deliver_next()
    bodies = first.bodies(wait_for=2)
    assert [b["Status"] for b in bodies] == ["SUCCESS", "SUCCESS"], bodies
    for service in (web, api, worker):
        assert service.status(ecs.clock.now) == "INACTIVE" and not service.forced
        assert len(deletes_accepted(ecs, service.name)) == 1
    assert all(kwargs["service"] != "worker" for _, op, kwargs in ecs.calls if op == "UpdateService")


def test_two_concurrent_teardowns_of_the_same_services_converge(event_for):
    """Two execution environments on the same resource at once (a duplicate delivery): each has its own Edges
    and ECS client; ECS (the fake, which serializes calls as ECS does) is shared. The function's own edges
    and crhelper object model one environment, so this drives delete.delete directly."""
    clock = ThreadSafeClock()
    ecs = WorldFakeEcs(clock)
    services = [
        ecs.add(FakeService("web", desired=3, tasks=3, task_stop_s=40, draining_s=30, deployments_busy_s=5)),
        ecs.add(FakeService("api", desired=2, tasks=2, task_stop_s=25, draining_s=45)),
        ecs.add(FakeService("worker", scheduling="DAEMON", desired=0, tasks=2, task_stop_s=10, draining_s=20)),
    ]
    ecs.fault = storm("throttling", 0.2, seed=11)
    event = event_for("delete-services.json")
    barrier = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def environment() -> None:
        runtime = Edges(ecs=lambda: EcsGateway(ecs), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]
        context = LocalContext(clock=clock)
        barrier.wait()
        try:
            reports.append(delete.delete(copy.deepcopy(event), context, runtime))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=environment) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors and len(reports) == 2
    assert all(not r.handed_over and r.result is not None and r.result.all_done for r in reports)
    for service in services:
        assert service.status(clock.now) == "INACTIVE" and not service.forced
        assert len(deletes_accepted(ecs, service.name)) == 1, "ECS accepted one DeleteService; the other saw DRAINING"
    describes = {kwargs["cluster"] for _, op, kwargs in ecs.calls if op == "DescribeServices"}
    assert describes == {"demo"}


@pytest.mark.integration
def test_two_execution_environments_delete_the_same_services_at_once(moto_url, answers, event_for, secret_scan):
    """The whole handler in two processes (two Lambda execution environments) against moto's server at once."""
    client = boto3.client("ecs", endpoint_url=moto_url)
    client.create_cluster(clusterName="demo")
    client.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}]
    )
    for name, desired in (("web", 2), ("api", 1)):
        client.create_service(cluster="demo", serviceName=name, taskDefinition="web", desiredCount=desired)
    client.create_service(
        cluster="demo", serviceName="worker", taskDefinition="web", desiredCount=0, schedulingStrategy="DAEMON"
    )
    stack_id = stack_in_moto(moto_url, "DELETE_IN_PROGRESS")
    event = json.dumps(
        event_for("delete-services.json", StackId=stack_id, PhysicalResourceId=resource_id(stack_id, "Teardown"))
    )
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL_ECS": moto_url,
        "AWS_ENDPOINT_URL_CLOUDFORMATION": moto_url,
        "PYTHONPATH": "",
    }
    start_at = str(time.time() + 1.5)  # both environments begin their first call together
    processes = [
        subprocess.Popen(
            [sys.executable, str(INVOKE_PROCESS), event, start_at],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    for out, err in outputs:
        secret_scan.add(out + err)
    assert [p.returncode for p in processes] == [0, 0], [err[-2000:] for _, err in outputs]
    bodies = [received.body for received in answers.wait_for(2, timeout_s=10)]
    assert [b["Status"] for b in bodies] == ["SUCCESS", "SUCCESS"], bodies
    found = client.describe_services(cluster="demo", services=["web", "api", "worker"])["services"]
    assert {s["serviceName"]: s["status"] for s in found} == dict.fromkeys(["web", "api", "worker"], "INACTIVE")


# --- a service re-created under the same name --------------------------------------------------------------------


def test_a_service_recreated_after_it_was_seen_gone_is_not_touched_by_the_same_teardown(
    monkeypatch, answers, event_for, ecs
):
    """What the handler guarantees: once a teardown has seen a service INACTIVE or MISSING, it never acts on that
    name again, even while it goes on waiting for the other services and a new service takes the name."""
    ecs.add(FakeService("web", desired=1, tasks=1, task_stop_s=5, draining_s=5))
    ecs.add(FakeService("api", desired=2, tasks=2, task_stop_s=200, draining_s=100))
    ecs.add(FakeService("worker", desired=1, tasks=1, task_stop_s=10, draining_s=10))
    start = ecs.clock.now
    recreated_at = start + 60
    ecs.at(recreated_at, lambda: ecs.add(FakeService("web", desired=3, tasks=3)))
    function = Lambda(monkeypatch, answers, ecs)
    function.run_chain(event_for("delete-services.json"))
    bodies = function.bodies()
    assert bodies[0]["Status"] == "SUCCESS"
    assert ecs.clock.now > recreated_at + 60, "the teardown went on long after web was re-created"
    new_web = ecs.services[("demo", "web")]
    assert new_web.status(ecs.clock.now) == "ACTIVE" and new_web.desired_now() == 3
    assert ecs.touched("web", since=recreated_at) == []
    describes_after = [
        kwargs["services"] for when, op, kwargs in ecs.calls if op == "DescribeServices" and when >= recreated_at
    ]
    assert describes_after and all("web" not in names for names in describes_after), "web is not even read again"
