"""What Create and Update do, and what Delete (delete.py) shares with them: the request from the properties, the
function's scope, TeardownError; given a CloudFormation event and the handler's edges (edges.py).
protocol.py wires these to crhelper; tests and the local invoke pass their own edges.
"""

from __future__ import annotations

import logging
from typing import Any

from ..core.budget import coverage_problem
from ..core.engine import TeardownResult
from ..core.machine import refusal_of
from ..core.model import ACTIVE, MISSING, UNREADABLE, ServiceSnapshot, TeardownRequest
from ..core.ports import EcsCallError
from . import identity
from .allow_list import check_allowed
from .edges import Edges
from .properties import ArnScope, PropertyError, check_partition, parse_properties

log = logging.getLogger(__name__)

RESOLVE_ATTEMPTS = 5


class TeardownError(Exception):
    """The Delete ends FAILED; the message is the Reason, `result` feeds the metrics."""

    def __init__(self, reason: str, result: TeardownResult | None = None) -> None:
        super().__init__(reason)
        self.result = result


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


def request_of(event: dict[str, Any], context: Any, edges: Edges) -> TeardownRequest:
    scope = scope_of(context, event)
    if scope is not None:
        check_partition("This function's ARN", scope.partition)
    request = parse_properties(event.get("ResourceProperties"), scope)
    check_allowed(request, edges.config.allowed_clusters)
    return request


def check_time_covered(request: TeardownRequest, context: Any) -> None:
    """Refuse a ServiceTimeout that this function's invocations cannot cover before the answer is due.

    The time left at the start of an invocation is the function's Timeout (Lambda's init phase has its own limit)."""
    problem = coverage_problem(request.service_timeout_s, remaining_s(context))
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
        if snapshot.status == UNREADABLE:
            problems.append(snapshot.problem)
        elif snapshot.status == MISSING:
            problems.append(f"service {name!r} was not found in cluster {request.cluster!r}")
        elif snapshot.status != ACTIVE:
            problems.append(f"service {name!r} in cluster {request.cluster!r} is {snapshot.status}, not ACTIVE")
        elif refusal := refusal_of(snapshot):
            problems.append(f"service {name!r} in cluster {request.cluster!r} is not torn down by this tool: {refusal}")
    if problems:
        label = "Service" if len(names) == 1 else "Services"
        raise PropertyError(f"Property {label}: " + "; ".join(problems))
    return [snapshots[n] for n in names]


def create_or_update(event: dict[str, Any], context: Any, edges: Edges) -> tuple[str, dict[str, str]]:
    """Validate and resolve the targets. Returns the physical id and the answer's Data.

    A Create issues an id that names the resource; an Update answers the id it was sent, so that no Update is ever
    a replacement (whose cleanup Delete would carry the old properties: services that may still be in use)."""
    request = request_of(event, context, edges)
    check_time_covered(request, context)
    if request.deregistration_delay_s is not None and not edges.config.fast_drain_allowed:
        raise PropertyError(
            "Property DeregistrationDelaySeconds: this function was deployed with AllowFastDrain=false, so its role "
            "may not change target groups; redeploy it with AllowFastDrain=true, or leave the property out"
        )
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


def remaining_s(context: Any) -> float:
    getter = getattr(context, "get_remaining_time_in_millis", None)
    return getter() / 1000.0 if callable(getter) else 900.0
