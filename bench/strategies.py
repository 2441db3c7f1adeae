"""The strategies compared on each timeline: ecs-teardown's engine and the baselines, all on the same fake clock.

Each returns a `Run`: when it answered, how many calls of each kind it made, and whether it succeeded. The baselines
are written as a careful script author would (scale to zero, wait for the tasks, delete, wait for INACTIVE), each
polling at its own interval, so the comparison is about polling, not about missing steps. They read nothing around
the service (no task definition, no target group): only the engine prepares.
"""

from __future__ import annotations

import json
import types
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import botocore.session
import botocore.waiter
from botocore.exceptions import ClientError, WaiterError
from timelines import CLUSTER

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn.properties import parse_properties
from ecs_teardown.core.budget import LAMBDA_RESERVE_S, MAX_INVOCATIONS, HandOver, answer_margin_s
from ecs_teardown.core.engine import run_teardown
from ecs_teardown.core.machine import Outcome
from ecs_teardown.core.polling import PollPolicy
from support.fake_ecs import FakeEcs

OPERATIONS = ("DescribeServices", "UpdateService", "DeleteService")  # shown one by one; the rest as "other"
LAMBDA_TIMEOUT_S = 900.0  # template.yaml's function timeout
HANDOVER_S = 1.0  # an asynchronous self-invoke until the fresh invocation reads ECS (a warm start is faster)
SCRIPT_MAX_STEPS = 10_000  # a bound on every baseline loop, whatever the timeline
CRHELPER_POLL_S = 120.0  # crhelper's default polling_interval: an EventBridge rule rate(2 minutes)
CRHELPER_SLEEP_ON_DELETE_S = 120.0  # crhelper's default sleep_on_delete, paid before a Delete's answer


@dataclass
class Run:
    """What one strategy did on one timeline."""

    started_at: float
    answered_at: float
    ok: bool
    calls: dict[str, int] = field(default_factory=dict)  # every ECS operation, throttled calls included
    invocations: int = 1
    note: str = ""
    other_calls: int = 0  # Application Auto Scaling and ELBv2 (the engine's preparation)

    @property
    def ecs_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def other_ecs_calls(self) -> int:
        """ECS operations besides the three every strategy makes: DescribeTaskDefinition, ListServices, ..."""
        return sum(count for op, count in self.calls.items() if op not in OPERATIONS)


def count_calls(ecs: FakeEcs) -> dict[str, int]:
    """Every call ECS received, throttled ones included (they cost the account's quota all the same)."""
    return dict(Counter(operation for _, operation, _ in ecs.calls))


def other_calls(ecs: FakeEcs) -> int:
    """Calls to the fakes wired next to ECS (Application Auto Scaling, ELBv2), if any."""
    return sum(len(fake.calls) for fake in (ecs.autoscaling, ecs.elbv2) if fake is not None)


def run_engine(
    ecs: FakeEcs,
    names: list[str],
    policy: PollPolicy | None = None,
    service_timeout_s: int = 3600,
    drain_timeout: str = "auto",
    deregistration_delay_s: int | None = None,
    wait_for_inactive: bool = True,
) -> Run:
    """ecs-teardown's engine as the Lambda runs it: invocations of at most 900 s, each keeping 60 s in reserve and
    handing over to a fresh one (which re-reads ECS and starts polling afresh, carrying a HandOver through its wire
    format as the handler does: when each drain began, what each preparation found, since when a rollout has blocked
    each delete and whether its stop was asked for) until the services are gone. `ecs` is a FakeAws's ECS: the
    gateway finds the fake Application Auto Scaling and ELBv2 next to it, so each service is really prepared."""
    clock = ecs.clock
    properties: dict[str, Any] = {
        "Cluster": CLUSTER,
        "DrainTimeoutSeconds": drain_timeout,  # `auto`, the default: from the delays and stop timeout read
        "ServiceTimeout": str(service_timeout_s),
    }
    properties.update({"Service": names[0]} if len(names) == 1 else {"Services": names})
    if deregistration_delay_s is not None:
        properties["DeregistrationDelaySeconds"] = str(deregistration_delay_s)
    if not wait_for_inactive:
        properties["WaitForInactive"] = "false"
    request = parse_properties(properties)
    started_at = clock()
    budget_end = started_at + service_timeout_s - answer_margin_s(service_timeout_s)
    gateway = EcsGateway(ecs)  # type: ignore[arg-type]  # the fake quacks like boto3's ECS client
    invocations = 0
    carried = HandOver(started_at)
    for _ in range(MAX_INVOCATIONS):  # the handler's own bound on hand-overs
        invocations += 1
        lambda_end = clock() + LAMBDA_TIMEOUT_S - LAMBDA_RESERVE_S
        result = run_teardown(
            request,
            gateway,
            started_at=started_at,
            deadline=min(budget_end, lambda_end),
            clock=clock,
            sleep=clock.sleep,
            policy=policy,
            drain_started=carried.drain_started,
            preparations=carried.preparations,
            blocked_since=carried.blocked_since,
            rollout_stop_requested=carried.rollout_stop_requested,
        )
        if result.all_done or result.with_outcome(Outcome.FAILED) or clock() >= budget_end:
            break
        follow_up = carried.following(result).to_event()  # as cfn/delete.py hands it over, through JSON as Lambda
        clock.advance(HANDOVER_S)
        carried = HandOver.from_event(json.loads(json.dumps(follow_up)), clock())
    failed = "; ".join(s.describe() for s in result.services if s.outcome is not Outcome.DONE)[:200]
    return Run(started_at, clock(), result.all_done, count_calls(ecs), invocations, failed, other_calls(ecs))


def _call(ecs: FakeEcs, operation: str, **kwargs: Any) -> tuple[dict[str, Any] | None, str, str]:
    """One call as a script makes it: (answer, error code, error message)."""
    try:
        return getattr(ecs, operation)(**kwargs), "", ""
    except ClientError as error:
        detail = error.response.get("Error", {})
        return None, str(detail.get("Code", "")), str(detail.get("Message", ""))


def _retrying(ecs: FakeEcs, interval_s: float, operation: str, **kwargs: Any) -> str:
    """Call until ECS accepts (a throttle or "deployments are active" waits one interval). Returns '' or the error."""
    for _ in range(SCRIPT_MAX_STEPS):
        _, code, message = _call(ecs, operation, **kwargs)
        if not code or code in ("ServiceNotFoundException", "ServiceNotActiveException"):
            return ""
        if code != "ThrottlingException" and "deployments are active" not in message:
            return f"{code}: {message}"
        ecs.clock.sleep(interval_s)
    return f"{operation}: still refused after {SCRIPT_MAX_STEPS} tries"


def _poll_until(ecs: FakeEcs, name: str, interval_s: float, done: Callable[[dict[str, Any] | None], bool]) -> bool:
    """Sleep an interval, then DescribeServices, until `done` (None: the service is MISSING)."""
    for _ in range(SCRIPT_MAX_STEPS):
        ecs.clock.sleep(interval_s)
        answer, code, _ = _call(ecs, "describe_services", cluster=CLUSTER, services=[name])
        if code:
            continue  # throttled: a script just looks again
        services = (answer or {}).get("services", [])
        if done(services[0] if services else None):
            return True
    return False


def _tasks_gone(service: dict[str, Any] | None) -> bool:
    return service is None or service["runningCount"] + service["pendingCount"] == 0


def _inactive(service: dict[str, Any] | None) -> bool:
    return service is None or service["status"] == "INACTIVE"


def _scale_drain_delete(ecs: FakeEcs, name: str, interval_s: float) -> str:
    error = _retrying(ecs, interval_s, "update_service", cluster=CLUSTER, service=name, desiredCount=0)
    if error:
        return error
    if not _poll_until(ecs, name, interval_s, _tasks_gone):
        return "tasks never stopped"
    return _retrying(ecs, interval_s, "delete_service", cluster=CLUSTER, service=name)


def run_fixed_poll(ecs: FakeEcs, name: str, interval_s: float = 10.0) -> Run:
    """A script that polls every `interval_s` throughout: scale to 0, wait for the tasks, delete, wait for INACTIVE."""
    started_at = ecs.clock()
    error = _scale_drain_delete(ecs, name, interval_s)
    ok = not error and _poll_until(ecs, name, interval_s, _inactive)
    return Run(started_at, ecs.clock(), ok, count_calls(ecs), note=error)


_WAITER_MODEL = botocore.session.get_session().get_waiter_model("ecs")


def run_waiter(ecs: FakeEcs, name: str) -> Run:
    """The same script at the waiter's 15 s, ending with botocore's own services_inactive waiter (15 s delay,
    40 attempts, its first DescribeServices right after DeleteService), run unchanged on the fake clock."""
    config = _WAITER_MODEL.get_waiter("ServicesInactive")
    started_at = ecs.clock()
    error = _scale_drain_delete(ecs, name, float(config.delay))
    if not error:
        # botocore's own Waiter over the fake's DescribeServices (its stubs type these two arguments too narrowly).
        operation = botocore.waiter.NormalizedOperationMethod(ecs.describe_services)  # type: ignore[arg-type]
        waiter = botocore.waiter.Waiter("ServicesInactive", config, operation)  # type: ignore[arg-type]
        # Waiter.wait sleeps with `time.sleep` of its own module: that module sees the fake clock's sleep instead.
        with mock.patch("botocore.waiter.time", types.SimpleNamespace(sleep=ecs.clock.sleep)):
            try:
                waiter.wait(cluster=CLUSTER, services=[name])
            except WaiterError as failure:
                error = str(failure)[:120]
    return Run(started_at, ecs.clock(), not error, count_calls(ecs), note=error)


def run_crhelper(ecs: FakeEcs, name: str) -> Run:
    """crhelper at its defaults with poll_delete: the first invocation scales to zero and creates an EventBridge rule
    rate(2 minutes); each poll invocation reads the service, deletes it once drained, and when it is INACTIVE
    returns, after which crhelper sleeps sleep_on_delete (120 s) before it answers the Delete."""
    clock = ecs.clock
    started_at = clock()
    error = _retrying(ecs, CRHELPER_POLL_S, "update_service", cluster=CLUSTER, service=name, desiredCount=0)
    invocations = 1
    deleted = False
    while not error and invocations < SCRIPT_MAX_STEPS:
        clock.sleep(CRHELPER_POLL_S)  # the rule fires: a fresh invocation of poll_delete
        invocations += 1
        answer, code, _ = _call(ecs, "describe_services", cluster=CLUSTER, services=[name])
        if code:
            continue
        services = (answer or {}).get("services", [])
        service = services[0] if services else None
        if _inactive(service):
            clock.sleep(CRHELPER_SLEEP_ON_DELETE_S)
            return Run(started_at, clock(), True, count_calls(ecs), invocations)
        if not deleted and _tasks_gone(service):
            _, code, _ = _call(ecs, "delete_service", cluster=CLUSTER, service=name)
            deleted = not code or code == "ServiceNotActiveException"
    return Run(started_at, clock(), False, count_calls(ecs), invocations, error or "never INACTIVE")
