"""Who else is on a target group: fast drain lowers only a group that no service outside the request uses and on
which no drain is under way."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import DESCRIBE_BATCH

LIST_PAGES = 20  # ListServices pages read (100 services a page); a bigger cluster counts as "users unknown"
# A cluster's services are read again after this long. A reading lasts one teardown (the gateway makes a new one
# for each), but the preparations of one teardown may come minutes apart (one that waited rounds for a failed read,
# a service not read in the first round): a lowering rests on a reading at most a minute old, so that a service
# created since on the same target group is seen.
USERS_FRESH_S = 60.0

Call = Callable[..., Any]  # (client, operation, **kwargs) -> the answer


class TargetGroupUsers:
    """The ACTIVE services of a cluster and their target groups (ListServices, then DescribeServices 10 at a time),
    for one teardown: read when first needed, and again once that reading is USERS_FRESH_S old. A DRAINING service
    is not among them: once deleted, "the service status moves from ACTIVE to DRAINING, and the service is no
    longer visible in the console or in the ListServices API operation" (ECS API reference, DeleteService),
    although its tasks may still be deregistering from its target groups; `draining_targets` is what sees those."""

    def __init__(self, ecs: Any, call: Call, clock: Callable[[], float] | None = None) -> None:
        self._ecs, self._call, self._clock = ecs, call, clock
        self._by_cluster: dict[str, tuple[float, dict[str, set[str]] | None]] = {}

    def of(self, cluster: str, target_group: str) -> set[str] | None:
        """The services of `cluster` that use `target_group`; None when the cluster is too big to tell."""
        now = (self._clock or time.monotonic)()
        read_at, users = self._by_cluster.get(cluster, (None, None))
        if read_at is None or now - read_at > USERS_FRESH_S:
            users = self._read(cluster)
            self._by_cluster[cluster] = (now, users)
        return None if users is None else users.get(target_group, set())

    def _read(self, cluster: str) -> dict[str, set[str]] | None:
        names: list[str] = []
        token = ""
        for _ in range(LIST_PAGES):
            more = {"nextToken": token} if token else {}
            page = self._call(self._ecs, "list_services", cluster=cluster, maxResults=100, **more)
            names += [str(arn).rsplit("/", 1)[-1] for arn in page.get("serviceArns") or []]
            token = page.get("nextToken") or ""
            if not token:
                break
        if token:
            return None
        users: dict[str, set[str]] = {}
        for start in range(0, len(names), DESCRIBE_BATCH):
            batch = names[start : start + DESCRIBE_BATCH]
            answer = self._call(self._ecs, "describe_services", cluster=cluster, services=batch)
            for described in answer.get("services") or []:
                if described.get("status") == "INACTIVE":
                    continue
                for arn in groups_of(described):
                    users.setdefault(arn, set()).add(str(described.get("serviceName")))
        return users


def draining_targets(elbv2: Any, call: Call, target_group: str) -> int:
    """How many of the group's registered targets are being deregistered: TargetHealth.State "draining", reason
    Target.DeregistrationInProgress, "the deregistration delay period has not expired" (ELB API reference,
    TargetHealth; DescribeTargetHealth without Targets describes all of the group's targets)."""
    answer = call(elbv2, "describe_target_health", TargetGroupArn=target_group)
    return sum(
        1
        for described in answer.get("TargetHealthDescriptions") or []
        if isinstance(described, dict) and (described.get("TargetHealth") or {}).get("State") == "draining"
    )


def groups_of(service: dict[str, Any]) -> list[str]:
    """Every target group a DescribeServices entry names: each load balancer's, and its blue/green alternate
    (ECS registers tasks with either, by deployment stage: ECS developer guide, blue/green deployments), the
    service's own and its task sets' (EXTERNAL and CODE_DEPLOY: the service shows only its primary task set's
    fields, "If no primary task set is defined ... the task set fields will be null", ECS developer guide, external
    deployments; a replacement task set may serve another group)."""
    balancers = list(service.get("loadBalancers") or [])
    for task_set in service.get("taskSets") or []:
        if isinstance(task_set, dict) and task_set.get("status") in ("PRIMARY", "ACTIVE", "DRAINING"):
            balancers += task_set.get("loadBalancers") or []
    groups = []
    for balancer in balancers:
        if not isinstance(balancer, dict):
            continue
        advanced = balancer.get("advancedConfiguration") or {}
        for arn in (balancer.get("targetGroupArn"), advanced.get("alternateTargetGroupArn")):
            if isinstance(arn, str) and arn:
                groups.append(arn)
    return list(dict.fromkeys(groups))


def classic_balancers_of(service: dict[str, Any]) -> list[str]:
    """Classic Load Balancers (a name, no target group): their connection draining is not read here."""
    return [
        str(b["loadBalancerName"])
        for b in service.get("loadBalancers") or []
        if isinstance(b, dict) and b.get("loadBalancerName") and not b.get("targetGroupArn")
    ]
