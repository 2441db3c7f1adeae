"""Which services of a cluster use which target group: fast drain lowers only a group no other live service uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import DESCRIBE_BATCH

LIST_PAGES = 20  # ListServices pages read (100 services a page); a bigger cluster counts as "users unknown"

Call = Callable[..., Any]  # (client, operation, **kwargs) -> the answer


class TargetGroupUsers:
    """Read once per cluster (ListServices, then DescribeServices 10 at a time). The ECS API reference does not say
    whether ListServices lists DRAINING services; either way is safe here: a DRAINING service is on its way out, and
    an INACTIVE one DescribeServices shows is skipped."""

    def __init__(self, ecs: Any, call: Call) -> None:
        self._ecs, self._call = ecs, call
        self._by_cluster: dict[str, dict[str, set[str]] | None] = {}

    def of(self, cluster: str, target_group: str) -> set[str] | None:
        """The services of `cluster` that use `target_group`; None when the cluster is too big to tell."""
        if cluster not in self._by_cluster:
            self._by_cluster[cluster] = self._read(cluster)
        users = self._by_cluster[cluster]
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


def groups_of(service: dict[str, Any]) -> list[str]:
    """Every target group a DescribeServices entry names: each load balancer's, and its blue/green alternate
    (ECS registers tasks with either, by deployment stage: ECS developer guide, blue/green deployments)."""
    groups = []
    for balancer in service.get("loadBalancers") or []:
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
