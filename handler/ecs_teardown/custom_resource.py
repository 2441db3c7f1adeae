"""What Create, Update and Delete do, given a CloudFormation event and the runtime's parts (ECS, clock, sleep).

app.py wires these to crhelper; tests and the local invoke give them fakes through `Runtime`.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import identity
from .ecs import CallOutcome, CallResult, EcsCallError, EcsGateway
from .engine import Gateway, Outcome, Step, TeardownResult, run_teardown, summarize
from .machine import ACTIVE, INACTIVE, MISSING, PollPolicy, ServiceSnapshot
from .properties import (
    MAX_SERVICE_TIMEOUT_S,
    NAME_RE,
    ArnScope,
    PropertyError,
    TeardownRequest,
    check_partition,
    parse_properties,
)
from .response import signed_at
from .stacks import STACK_GOING_AWAY, STACK_REMOVING_IT, CloudFormationStacks, StackReader, StackReadError

log = logging.getLogger(__name__)

CONTINUATION_KEY = "EcsTeardownContinuation"
# Lambda's recursive loop detection stops a chain of invocations of one function after about 16 (Lambda developer
# guide, "Recursive loop detection"); the next one would be dropped without a word. 10 invocations stay well below
# it, and with the template's 900 s Timeout cover 10 x (900 - 45) = 8550 s, more than the longest ServiceTimeout.
MAX_INVOCATIONS = 10
LAMBDA_RESERVE_S = 45.0  # kept back from the Lambda's own end: the answer's PUT (worst ~36 s) and a hand-over
RESOLVE_ATTEMPTS = 5
ALLOWED_CLUSTERS_ENV = "ECS_TEARDOWN_ALLOWED_CLUSTERS"


class TeardownError(Exception):
    """The Delete ends FAILED; the message is the Reason, `result` feeds the metrics."""

    def __init__(self, reason: str, result: TeardownResult | None = None) -> None:
        super().__init__(reason)
        self.result = result


class EcsSetupError(Exception):
    """The ECS client could not be built (no region, a malformed endpoint URL)."""


Continue = Callable[[dict[str, Any]], None]


@dataclass
class Runtime:
    """The outside world of the handler. Defaults are the real ones; tests and local runs pass their own."""

    gateway_factory: Callable[[], Gateway] = EcsGateway
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # Hands the event to a fresh invocation; None: built from the Lambda context (self-invoke) when needed.
    continuation: Continue | None = None
    allowed_clusters: str | None = None  # None: read ECS_TEARDOWN_ALLOWED_CLUSTERS (unset means any)
    on_step: Callable[[Step], None] | None = None  # extra observer (the CLI's live view)
    poll_policy: PollPolicy | None = None  # None: the engine's default, tuned for drains of minutes
    stacks_factory: Callable[[], StackReader] | None = None  # None: CloudFormation's DescribeStacks through boto3
    _gateway: Gateway | None = field(default=None, repr=False)

    def gateway(self) -> Gateway:
        if self._gateway is None:
            try:
                self._gateway = self.gateway_factory()
            except Exception as error:  # no region, a bad endpoint URL...: say so in the Reason
                raise EcsSetupError(f"cannot set up the ECS client: {type(error).__name__}: {error}") from error
        return self._gateway

    def stacks(self) -> StackReader:
        return (self.stacks_factory or CloudFormationStacks)()


@dataclass(frozen=True)
class DeleteReport:
    continued: bool
    result: TeardownResult | None = None
    throttles: int = 0


def scope_of(context: Any, event: dict[str, Any]) -> ArnScope | None:
    """Partition, region and account the function acts in: its own ARN says, or else the ServiceToken."""
    properties = event.get("ResourceProperties")  # anything at all: parse_properties says what is wrong with it
    token = properties.get("ServiceToken") if isinstance(properties, dict) else None
    for arn in (getattr(context, "invoked_function_arn", None), token):
        if isinstance(arn, str):
            scope = ArnScope.from_arn(arn)
            if scope is not None:
                return scope
    return None


def _check_id_scope(physical_id: str, scope: ArnScope | None) -> None:
    """The ids this function issues are ARNs DescribeServices returned to it: one of another partition, region or
    account names services it never resolved (whatever the properties say), so nothing is touched."""
    theirs = ArnScope.from_arn(physical_id) if physical_id.startswith("arn:") else None
    if theirs is not None and scope is not None and theirs != scope:
        raise TeardownError(
            f"PhysicalResourceId {physical_id[:200]!r} is in partition {theirs.partition!r}, region "
            f"{theirs.region!r}, account {theirs.account!r}, but this function acts in {scope.partition!r}, "
            f"{scope.region!r}, {scope.account!r}: it did not issue this id; nothing was touched"
        )


def allowed_cluster_names(text: str) -> set[str] | None:
    """The allow-list's cluster names; None for '*' (any). An ARN entry counts by its cluster name; anything else
    (a wildcard inside a name or an ARN, a service ARN) matches nothing, so a typo can only narrow the list."""
    names: set[str] = set()
    for entry in (part.strip() for part in text.split(",")):
        if entry == "*":
            return None
        if NAME_RE.fullmatch(entry):
            names.add(entry)
        elif entry.startswith("arn:") and ":cluster/" in entry:
            name = entry.split(":cluster/", 1)[1]
            if NAME_RE.fullmatch(name):
                names.add(name)
    return names


def check_allowed(request: TeardownRequest, allowed: str | None) -> None:
    """The deployer's allow-list (names or ARNs, '*' for any) wins over whatever the stack author wrote."""
    text = os.environ.get(ALLOWED_CLUSTERS_ENV, "*") if allowed is None else allowed
    names = allowed_cluster_names(text)
    if names is None or request.cluster in names:
        return
    shown = ", ".join(sorted(names)) or "none"
    raise PropertyError(
        f"Property Cluster: cluster {request.cluster!r} is not in this function's allowed clusters ({shown}); "
        f"services {', '.join(s.name for s in request.services)} were not touched. "
        f"The deployer sets the list ({ALLOWED_CLUSTERS_ENV})"
    )


def _request(event: dict[str, Any], context: Any, runtime: Runtime) -> TeardownRequest:
    scope = scope_of(context, event)
    if scope is not None:
        check_partition("This function's ARN", scope.partition)
    request = parse_properties(event.get("ResourceProperties"), scope)
    check_allowed(request, runtime.allowed_clusters)
    return request


def check_time_covered(request: TeardownRequest, context: Any) -> None:
    """Refuse a ServiceTimeout that this function's invocations cannot cover before the answer is due.

    The time left at the start of an invocation is the function's Timeout (Lambda's init phase has its own limit)."""
    timeout_s = _remaining_s(context)
    per_invocation_s = max(0.0, timeout_s - LAMBDA_RESERVE_S)
    covered_s = per_invocation_s * MAX_INVOCATIONS
    needed_s = request.service_timeout_s - answer_margin_s(request.service_timeout_s)
    if covered_s >= needed_s:
        return
    # The time left is a little under the Timeout when this runs: advise a Timeout with a few seconds to spare.
    least_timeout_s = math.ceil(needed_s / MAX_INVOCATIONS + LAMBDA_RESERVE_S) + 2
    longest = max((s for s in range(1, MAX_SERVICE_TIMEOUT_S + 1) if s - answer_margin_s(s) <= covered_s), default=0)
    longest_text = f"a ServiceTimeout of at most {longest} s" if longest else "no ServiceTimeout at all"
    raise PropertyError(
        f"Property ServiceTimeout: {request.service_timeout_s} s cannot be covered by this function: its Timeout "
        f"(about {timeout_s:.0f} s) leaves {per_invocation_s:.0f} s of work per invocation after a "
        f"{LAMBDA_RESERVE_S:.0f} s reserve, and Lambda's recursive loop detection allows {MAX_INVOCATIONS} "
        f"invocations in a row, {covered_s:.0f} s in all. Give the function a Timeout of at least {least_timeout_s} s; "
        f"with this one it can serve {longest_text}"
    )


def resolve(request: TeardownRequest, runtime: Runtime) -> list[ServiceSnapshot]:
    """DescribeServices for every target; a missing cluster or service is an error that names it."""
    gateway = runtime.gateway()
    names = [ref.name for ref in request.services]
    snapshots: dict[str, ServiceSnapshot] = {}
    for attempt in range(RESOLVE_ATTEMPTS):
        snapshots.update(gateway.describe(request.cluster, [n for n in names if n not in snapshots]))
        if len(snapshots) == len(names):
            break
        runtime.sleep(min(8.0, 2.0**attempt))
    unread = [n for n in names if n not in snapshots]
    if unread:
        raise PropertyError(
            f"could not read services {', '.join(unread)} in cluster {request.cluster!r} "
            "(ECS throttled or unavailable); try again"
        )
    problems = []
    for name in names:
        snapshot = snapshots[name]
        if snapshot.missing_what == "cluster":
            raise PropertyError(f"Property Cluster: cluster {request.cluster!r} was not found")
        if snapshot.status == MISSING:
            problems.append(f"service {name!r} was not found in cluster {request.cluster!r}")
        elif snapshot.status != ACTIVE:
            problems.append(f"service {name!r} in cluster {request.cluster!r} is {snapshot.status}, not ACTIVE")
    if problems:
        label = "Service" if len(names) == 1 else "Services"
        raise PropertyError(f"Property {label}: " + "; ".join(problems))
    return [snapshots[n] for n in names]


def create_or_update(event: dict[str, Any], context: Any, runtime: Runtime) -> tuple[str, dict[str, str]]:
    """Validate and resolve the targets. Returns the physical id and the answer's Data.

    A Create issues an id that names the resource; an Update answers the id it was sent, so that no Update is ever
    a replacement (whose cleanup Delete would carry the old properties: services that may still be in use)."""
    request = _request(event, context, runtime)
    check_time_covered(request, context)
    try:
        snapshots = resolve(request, runtime)
    except EcsCallError as error:
        raise PropertyError(str(error)) from error
    arns = [s.arn for s in snapshots]
    if event.get("RequestType") == "Update" and identity.parse_id(event.get("PhysicalResourceId")) is not None:
        physical_id = str(event["PhysicalResourceId"])
    else:  # a Create, or an Update of an id this function never issued (a replacement; its cleanup Delete is a no-op)
        physical_id = identity.resource_id(str(event.get("StackId", "")), str(event.get("LogicalResourceId", "")))
    data = {
        "Cluster": request.cluster,
        "ServiceCount": str(len(arns)),
        "ServiceArns": ",".join(arns),
        "ServiceNames": ",".join(ref.name for ref in request.services),
    }
    if len(arns) == 1:
        data["ServiceArn"] = arns[0]
    log.info("targets resolved", extra={"cluster": request.cluster, "services": len(arns), "physical_id": physical_id})
    return physical_id, data


def delete(
    event: dict[str, Any], context: Any, runtime: Runtime, answered: Callable[[], bool] | None = None
) -> DeleteReport:
    """Tear down the services the properties name, or answer SUCCESS at once when there is nothing to do: an id
    this handler never issued (a failed Create's), or a stack that is not going away (see `StackGuard`).

    `answered` tells whether this request was already answered (crhelper's last-moment timer): then no hand-over.
    """
    physical_id = event.get("PhysicalResourceId")
    issued = identity.parse_id(physical_id)
    if issued is None:
        log.info(
            "physical id not issued by this handler (a failed Create?): nothing to delete",
            extra={"physical_id": str(physical_id)[:200]},
        )
        return DeleteReport(continued=False)
    _check_id_scope(str(physical_id), scope_of(context, event))
    request = _request(event, context, runtime)

    now = runtime.clock()
    started_at, generation, drain_started = _carried(event.get(CONTINUATION_KEY), now)
    if CONTINUATION_KEY not in event:
        # The teardown began when CloudFormation sent the request (the URL's signing time), not when Lambda's
        # queue delivered it: the budget is CloudFormation's, and a late or repeated delivery is seen as late.
        started_at = min(now, signed_at(event.get("ResponseURL"), now) or now)
    budget_end = started_at + request.service_timeout_s - answer_margin_s(request.service_timeout_s)
    lambda_end = now + _remaining_s(context) - LAMBDA_RESERVE_S
    if now >= budget_end and (CONTINUATION_KEY in event or now > started_at):
        # A delivery that came after the answer's deadline (a held-back hand-over, a repeated event): the answer is
        # due or CloudFormation has given up, and what bears these names now may be newer. Touch nothing.
        which = f"this hand-over (generation {generation})" if generation else "this delivery of the request"
        raise TeardownError(
            f"the time budget (ServiceTimeout {request.service_timeout_s} s) ran out before {which} began, "
            f"{now - started_at:.0f} s after the teardown started; nothing was touched"
        )
    accepted = STACK_REMOVING_IT if request.teardown_on_removal else STACK_GOING_AWAY
    gateway = StackGuard(runtime.gateway(), runtime.stacks(), str(event.get("StackId", "")), accepted, generation)
    throttles_before = gateway.throttles

    def on_step(step: Step) -> None:
        _log_step(step)
        if runtime.on_step is not None:
            runtime.on_step(step)

    log.info(
        "teardown round started",
        extra={
            "cluster": request.cluster,
            "services": len(request.services),
            "generation": generation,
            "elapsed_s": round(now - started_at, 1),
            "budget_left_s": round(budget_end - now, 1),
        },
    )
    try:
        result = run_teardown(
            request,
            gateway,
            started_at=started_at,
            deadline=min(budget_end, lambda_end),
            clock=runtime.clock,
            sleep=runtime.sleep,
            on_step=on_step,
            drain_started=drain_started,
            policy=runtime.poll_policy,
        )
    except StackStaysError as stays:
        log.info(
            f"stack is {stays.status}: not a stack delete (the resource is removed, replaced or rolled back); "
            "services left alone",
            extra={"stack_status": stays.status, "cluster": request.cluster},
        )
        return DeleteReport(continued=False)
    throttles = gateway.throttles - throttles_before
    if result.all_done:
        log.info(
            "teardown finished",
            extra={
                "cluster": request.cluster,
                "elapsed_s": round(result.elapsed_s, 1),
                "forced_deletes": result.forced_deletes,
            },
        )
        return DeleteReport(continued=False, result=result, throttles=throttles)
    if result.with_outcome(Outcome.FAILED):
        raise TeardownError(summarize(result, budget_ran_out=False) + gateway.unread_note(), result)
    if answered is not None and answered():
        log.warning("already answered (the invocation's own timeout came first): no hand-over")
        return DeleteReport(continued=False, result=result, throttles=throttles)
    if runtime.clock() < budget_end and generation + 1 < MAX_INVOCATIONS:
        hand_over(event, context, runtime, started_at, generation + 1, result.drain_started)
        return DeleteReport(continued=True, result=result, throttles=throttles)
    if runtime.clock() < budget_end:  # the budget is not spent: the hand-overs are
        raise TeardownError(
            f"{summarize(result, budget_ran_out=False)}. Hand-overs stop at {MAX_INVOCATIONS} invocations, and this "
            "teardown needed more: a longer Lambda timeout gives each invocation more time",
            result,
        )
    raise TeardownError(summarize(result, budget_ran_out=True) + gateway.unread_note(), result)


class StackStaysError(Exception):
    """The stack that sent this Delete is not going away: no ECS write may happen."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class StackGuard:
    """The gateway, with CloudFormation's record of the stack read before the teardown acts or waits on anything: at
    the first reading that finds a service not yet gone (a Delete with nothing left to do never reads it), and
    before any write. A stack that is not going away stops the teardown (`StackStaysError`); one that cannot be read
    fails it, or, when CloudFormation only throttled or was unavailable, holds the teardown back until a later round
    reads it."""

    def __init__(
        self, gateway: Gateway, stacks: StackReader, stack_id: str, accepted: frozenset[str], generation: int
    ) -> None:
        self._gateway, self._stacks, self._stack_id = gateway, stacks, stack_id
        self._accepted, self._generation = accepted, generation
        self._going_away = False
        self.unread = ""  # why the stack's status could not be read yet (a transient error)

    @property
    def throttles(self) -> int:
        return self._gateway.throttles

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        snapshots = self._gateway.describe(cluster, names)
        live = any(s.status not in (INACTIVE, MISSING) for s in snapshots.values())
        if live and not self._going_away and not self._check():
            return {}  # no reading this round: nothing is decided, nothing is written
        return snapshots

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        if not self._check():
            return CallResult(CallOutcome.RETRY_LATER, f"stack status not read yet: {self.unread}")
        return self._gateway.scale_to_zero(cluster, service)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        if not self._check():
            return CallResult(CallOutcome.RETRY_LATER, f"stack status not read yet: {self.unread}")
        return self._gateway.delete(cluster, service, force)

    def unread_note(self) -> str:
        return f". The stack's status could not be read, so nothing was done: {self.unread}" if self.unread else ""

    def _check(self) -> bool:
        """True once the stack is known to be going away; False while it cannot be read for a transient reason."""
        if self._going_away:
            return True
        try:
            status = self._status_of(self._stack_id)
        except StackReadError as error:
            if error.transient:
                self.unread = str(error)
                return False
            touched = "nothing was touched" if self._generation == 0 else "this invocation made no ECS call"
            raise TeardownError(
                f"cannot tell whether stack {self._stack_id[:300]!r} is being deleted, so {touched}: {error}"
            ) from error
        if status not in self._accepted:
            raise StackStaysError(status)
        log.info("stack is going away: teardown goes ahead", extra={"stack_status": status})
        self._going_away, self.unread = True, ""
        return True

    def _status_of(self, stack_id: str) -> str:
        """The stack's status; for a nested stack that is going away, its root's decides (a root's update that
        removes the nested stack also shows it DELETE_IN_PROGRESS, and the services it names may stay)."""
        record = self._stacks.describe(stack_id)
        if record.status not in self._accepted or not record.root_id:
            return record.status
        root = self._stacks.describe(record.root_id)
        if root.status in self._accepted:
            return record.status
        return f"{record.status} (nested; its root stack {record.root_id[:300]!r} is {root.status})"


def answer_margin_s(service_timeout_s: int) -> float:
    """How long before CloudFormation's own timeout the answer goes out: 10% of it, from 5 s to 60 s."""
    return min(60.0, max(5.0, service_timeout_s * 0.1))


def _remaining_s(context: Any) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() / 1000.0 if callable(getter) else 900.0


def _carried(value: Any, now: float) -> tuple[float, int, dict[str, float]]:
    """StartedAt, Generation and DrainStartedAt from a hand-over (a first invocation starts now)."""
    carried = value if isinstance(value, dict) else {}
    try:
        started_at = float(carried.get("StartedAt", now))
        generation = int(carried.get("Generation", 0))
    except (TypeError, ValueError, OverflowError):
        started_at, generation = now, 0
    if not started_at <= now:  # a start in the future (or NaN) is no start: count from now
        started_at = now
    drains = carried.get("DrainStartedAt")
    drain_started = {
        str(name): float(at)
        for name, at in (drains.items() if isinstance(drains, dict) else [])
        if isinstance(at, int | float) and started_at <= at <= now
    }
    return started_at, max(0, generation), drain_started


def hand_over(
    event: dict[str, Any],
    context: Any,
    runtime: Runtime,
    started_at: float,
    generation: int,
    drain_started: dict[str, float] | None = None,
) -> None:
    """Continue in a fresh invocation, carrying only what ECS cannot tell it: when the teardown and each
    service's drain started."""
    follow_up = dict(event)
    follow_up[CONTINUATION_KEY] = {
        "StartedAt": started_at,
        "Generation": generation,
        "DrainStartedAt": drain_started or {},
    }
    continuation = runtime.continuation or SelfInvoke(getattr(context, "invoked_function_arn", ""))
    try:
        continuation(follow_up)
    except Exception as error:  # any failure to hand over must still end in an answer
        raise TeardownError(f"the teardown needed a fresh invocation and could not start one: {error}") from error
    log.info("handed over to a fresh invocation", extra={"generation": generation})


class SelfInvoke:
    """Invokes this same function (same qualifier) asynchronously: no rule, no permission, nothing to clean up."""

    def __init__(self, function_arn: str, client: Any = None) -> None:
        if not function_arn:
            raise TeardownError("cannot continue: the Lambda context has no invoked_function_arn")
        self.function_arn = function_arn
        self._client = client

    def __call__(self, event: dict[str, Any]) -> None:
        if self._client is None:
            import boto3  # only a hand-over pays for a Lambda client

            self._client = boto3.client("lambda")
        self._client.invoke(FunctionName=self.function_arn, InvocationType="Event", Payload=json.dumps(event).encode())


def _log_step(step: Step) -> None:
    fields = step.fields()
    # Powertools keeps `service` for the function's own name: the ECS service goes under `ecs_service`.
    fields["ecs_service"] = fields.pop("service")
    log.info(f"{step.service.name}: {step.phase.value}", extra=fields)
