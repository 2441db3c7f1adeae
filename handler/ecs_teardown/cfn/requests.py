"""What Create, Update and Delete do, given a CloudFormation event and the handler's edges (edges.py).
protocol.py wires these to crhelper; tests and the local invoke pass their own edges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..aws.lambda_invoke import SelfInvoke
from ..core.budget import HANDOVER_KEY, MAX_INVOCATIONS, Budget, HandOver, coverage_problem
from ..core.engine import Step, TeardownResult, run_teardown, summarize
from ..core.guard import STACK_GOING_AWAY, STACK_REMOVING_IT, StackGuard, StackStaysError, StackUnreadableError
from ..core.machine import Outcome
from ..core.model import ACTIVE, MISSING, ServiceSnapshot, TeardownRequest
from ..core.ports import EcsCallError, Gateway
from . import identity
from .allow_list import check_allowed
from .answer import signed_at
from .edges import Edges
from .properties import ArnScope, PropertyError, check_partition, parse_properties

log = logging.getLogger(__name__)

RESOLVE_ATTEMPTS = 5


class TeardownError(Exception):
    """The Delete ends FAILED; the message is the Reason, `result` feeds the metrics."""

    def __init__(self, reason: str, result: TeardownResult | None = None) -> None:
        super().__init__(reason)
        self.result = result


@dataclass(frozen=True)
class DeleteReport:
    handed_over: bool
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
    """The service-ARN ids version 0.1 issued are ARNs DescribeServices returned to it: one of another partition,
    region or account names services it never resolved (whatever the properties say), so nothing is touched."""
    theirs = ArnScope.from_arn(physical_id) if physical_id.startswith("arn:") else None
    if theirs is not None and scope is not None and theirs != scope:
        raise TeardownError(
            f"PhysicalResourceId {physical_id[:200]!r} is in partition {theirs.partition!r}, region "
            f"{theirs.region!r}, account {theirs.account!r}, but this function acts in {scope.partition!r}, "
            f"{scope.region!r}, {scope.account!r}: it did not issue this id; nothing was touched"
        )


def _request(event: dict[str, Any], context: Any, edges: Edges) -> TeardownRequest:
    scope = scope_of(context, event)
    if scope is not None:
        check_partition("This function's ARN", scope.partition)
    request = parse_properties(event.get("ResourceProperties"), scope)
    check_allowed(request, edges.config.allowed_clusters)
    return request


def check_time_covered(request: TeardownRequest, context: Any) -> None:
    """Refuse a ServiceTimeout that this function's invocations cannot cover before the answer is due.

    The time left at the start of an invocation is the function's Timeout (Lambda's init phase has its own limit)."""
    problem = coverage_problem(request.service_timeout_s, _remaining_s(context))
    if problem:
        raise PropertyError(f"Property ServiceTimeout: {problem}")


def resolve(request: TeardownRequest, edges: Edges) -> list[ServiceSnapshot]:
    """DescribeServices for every target; a missing cluster or service is an error that names it."""
    gateway = edges.gateway()
    names = [ref.name for ref in request.services]
    snapshots: dict[str, ServiceSnapshot] = {}
    for attempt in range(RESOLVE_ATTEMPTS):
        snapshots.update(gateway.describe(request.cluster, [n for n in names if n not in snapshots]))
        if len(snapshots) == len(names):
            break
        edges.sleep(min(8.0, 2.0**attempt))
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


def create_or_update(event: dict[str, Any], context: Any, edges: Edges) -> tuple[str, dict[str, str]]:
    """Validate and resolve the targets. Returns the physical id and the answer's Data.

    A Create issues an id that names the resource; an Update answers the id it was sent, so that no Update is ever
    a replacement (whose cleanup Delete would carry the old properties: services that may still be in use)."""
    request = _request(event, context, edges)
    check_time_covered(request, context)
    try:
        snapshots = resolve(request, edges)
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
    event: dict[str, Any], context: Any, edges: Edges, answered: Callable[[], bool] | None = None
) -> DeleteReport:
    """Tear down the services the properties name, or answer SUCCESS at once when there is nothing to do: an id
    this handler never issued (a failed Create's), or a stack that is not going away (core/guard.py).

    `answered` tells whether this request was already answered (crhelper's last-moment timer): then no hand-over.
    """
    physical_id = event.get("PhysicalResourceId")
    if identity.parse_id(physical_id) is None:
        log.info(
            "physical id not issued by this handler (a failed Create?): nothing to delete",
            extra={"physical_id": str(physical_id)[:200]},
        )
        return DeleteReport(handed_over=False)
    _check_id_scope(str(physical_id), scope_of(context, event))
    request = _request(event, context, edges)
    carried, budget = _budget(event, context, edges, request)
    accepted = STACK_REMOVING_IT if request.teardown_on_removal else STACK_GOING_AWAY
    gateway = StackGuard(edges.gateway(), edges.stack_reader(), str(event.get("StackId", "")), accepted)
    throttles_before = gateway.throttles
    try:
        result = _run(request, gateway, edges, carried, budget)
    except StackStaysError as stays:
        log.info(
            f"stack is {stays.status}: not a stack delete (the resource is removed, replaced or rolled back); "
            "services left alone",
            extra={"stack_status": stays.status, "cluster": request.cluster},
        )
        return DeleteReport(handed_over=False)
    except StackUnreadableError as error:
        touched = "nothing was touched" if carried.invocation == 0 else "this invocation made no ECS call"
        raise TeardownError(
            f"cannot tell whether stack {str(event.get('StackId', ''))[:300]!r} is being deleted, so {touched}: {error}"
        ) from error
    report = DeleteReport(handed_over=False, result=result, throttles=gateway.throttles - throttles_before)
    return _conclude(event, context, edges, report, carried, budget, answered, gateway.unread_note())


def _budget(event: dict[str, Any], context: Any, edges: Edges, request: TeardownRequest) -> tuple[HandOver, Budget]:
    """What this invocation carries from earlier ones, and its deadlines; refuses a delivery that came too late."""
    now = edges.clock()
    carried = HandOver.from_event(event.get(HANDOVER_KEY), now)
    if HANDOVER_KEY not in event:
        # The teardown began when CloudFormation sent the request (the URL's signing time), not when Lambda's
        # queue delivered it: the budget is CloudFormation's, and a late or repeated delivery is seen as late.
        carried = HandOver(started_at=min(now, signed_at(event.get("ResponseURL"), now) or now))
    budget = Budget.of(carried.started_at, request.service_timeout_s, now, _remaining_s(context))
    if now >= budget.answer_by and (HANDOVER_KEY in event or now > carried.started_at):
        # A delivery that came after the answer's deadline (a held-back hand-over, a repeated event): the answer is
        # due or CloudFormation has given up, and what bears these names now may be newer. Touch nothing.
        which = f"this hand-over (invocation {carried.invocation + 1})" if carried.invocation else "this delivery"
        raise TeardownError(
            f"the time budget (ServiceTimeout {request.service_timeout_s} s) ran out before {which} of the request "
            f"began, {now - carried.started_at:.0f} s after the teardown started; nothing was touched"
        )
    return carried, budget


def _run(request: TeardownRequest, gateway: Gateway, edges: Edges, carried: HandOver, budget: Budget) -> TeardownResult:
    def on_step(step: Step) -> None:
        _log_step(step)
        if edges.on_step is not None:
            edges.on_step(step)

    now = edges.clock()
    log.info(
        "teardown round started",
        extra={
            "cluster": request.cluster,
            "services": len(request.services),
            "invocation": carried.invocation + 1,
            "elapsed_s": round(now - carried.started_at, 1),
            "budget_left_s": round(budget.answer_by - now, 1),
        },
    )
    return run_teardown(
        request,
        gateway,
        started_at=carried.started_at,
        deadline=budget.deadline,
        clock=edges.clock,
        sleep=edges.sleep,
        on_step=on_step,
        drain_started=carried.drain_started,
        policy=edges.poll_policy,
    )


def _conclude(
    event: dict[str, Any],
    context: Any,
    edges: Edges,
    report: DeleteReport,
    carried: HandOver,
    budget: Budget,
    answered: Callable[[], bool] | None,
    unread_note: str,
) -> DeleteReport:
    """Done, failed, or handed over to a fresh invocation, as the result and the time left say."""
    result = report.result
    assert result is not None
    if result.all_done:
        log.info(
            "teardown finished",
            extra={"elapsed_s": round(result.elapsed_s, 1), "forced_deletes": result.forced_deletes},
        )
        return report
    if result.with_outcome(Outcome.FAILED):
        raise TeardownError(summarize(result, budget_ran_out=False) + unread_note, result)
    if answered is not None and answered():
        log.warning("already answered (the invocation's own timeout came first): no hand-over")
        return report
    next_invocation = carried.invocation + 1
    if edges.clock() < budget.answer_by and next_invocation < MAX_INVOCATIONS:
        hand_over(event, context, edges, HandOver(carried.started_at, next_invocation, result.drain_started))
        return DeleteReport(handed_over=True, result=result, throttles=report.throttles)
    if edges.clock() < budget.answer_by:  # the budget is not spent: the hand-overs are
        raise TeardownError(
            f"{summarize(result, budget_ran_out=False)}. Hand-overs stop at {MAX_INVOCATIONS} invocations, and this "
            "teardown needed more: a longer Lambda timeout gives each invocation more time",
            result,
        )
    raise TeardownError(summarize(result, budget_ran_out=True) + unread_note, result)


def _remaining_s(context: Any) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() / 1000.0 if callable(getter) else 900.0


def hand_over(event: dict[str, Any], context: Any, edges: Edges, carried: HandOver) -> None:
    """Continue in a fresh invocation, carrying only what ECS cannot tell it: when the teardown and each
    service's drain started."""
    follow_up = dict(event)
    follow_up[HANDOVER_KEY] = carried.to_event()
    try:
        send = edges.hand_over or SelfInvoke(getattr(context, "invoked_function_arn", ""))
        send(follow_up)
    except Exception as error:  # any failure to hand over must still end in an answer
        raise TeardownError(f"the teardown needed a fresh invocation and could not start one: {error}") from error
    log.info("handed over to a fresh invocation", extra={"invocation": carried.invocation + 1})


def _log_step(step: Step) -> None:
    fields = step.fields()
    # Powertools keeps `service` for the function's own name: the ECS service goes under `ecs_service`.
    fields["ecs_service"] = fields.pop("service")
    log.info(f"{step.service.name}: {step.phase.value}", extra=fields)
