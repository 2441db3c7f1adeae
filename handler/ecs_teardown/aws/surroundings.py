"""Around a service: its Application Auto Scaling target, its load balancers' target groups, its task definition.

`prepare` reads them once before the teardown's first write, suspends the service's scaling and, when asked, lowers
its unshared target groups' deregistration delay; `restore` puts back what it changed if the service is kept.
A part that fails is noted and skipped: the teardown goes on with ECS's own figures (core/drain.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.drain import DEFAULT_STOP_TIMEOUT_S, Preparation, Scaling
from ..core.model import DAEMON, ServiceSnapshot
from .errors import DESCRIBE_BATCH, error_code, error_message

DELAY_KEY = "deregistration_delay.timeout_seconds"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
LIST_PAGES = 20  # ListServices pages read for the shared-target-group check (100 services a page)
_NOT_THERE = {"ObjectNotFoundException", "TargetGroupNotFound", "TargetGroupNotFoundException"}

ClientFor = Callable[[str], Any]  # "application-autoscaling" / "elbv2" -> a boto3 client (or None: not available)


def _flags(scaling: Scaling) -> dict[str, bool]:
    return {
        "DynamicScalingInSuspended": scaling.dynamic_in,
        "DynamicScalingOutSuspended": scaling.dynamic_out,
        "ScheduledScalingSuspended": scaling.scheduled,
    }


def _why(what: str, error: Exception) -> str:
    return f"{what}: {error_code(error)}: {error_message(error)}"


class Surroundings:
    """The calls around one region's ECS services. `clients` builds the other services' clients when first needed."""

    def __init__(self, ecs: Any, clients: ClientFor, count: Callable[[str], None]) -> None:
        self._ecs, self._clients, self._count = ecs, clients, count
        self._made: dict[str, Any] = {}
        self._users: dict[str, dict[str, set[str]] | None] = {}  # cluster -> target group ARN -> services using it

    def _client(self, name: str) -> Any:
        if name not in self._made:
            self._made[name] = self._clients(name)
        return self._made[name]

    def _call(self, client: Any, operation: str, **kwargs: Any) -> Any:
        self._count(operation)
        return getattr(client, operation)(**kwargs)

    def prepare(self, cluster: str, service: str, snapshot: ServiceSnapshot, lower_to: int | None) -> Preparation:
        notes: list[str] = []
        stop_timeout = self._stop_timeout(snapshot, notes)
        scaling, suspended = (None, False) if snapshot.scheduling == DAEMON else self._suspend(cluster, service, notes)
        delays = self._delays(snapshot.target_groups, notes)
        unread = tuple(arn for arn in snapshot.target_groups if arn not in dict(delays))
        lowered: list[tuple[str, int]] = []
        shared: list[str] = []
        if lower_to is not None:
            for arn, delay in delays:
                if delay <= lower_to:
                    continue
                if self._shared(cluster, service, arn, notes):
                    shared.append(arn)
                elif self._set_delay(arn, lower_to, notes):
                    lowered.append((arn, lower_to))
        found = (tuple(delays), tuple(lowered), tuple(shared))
        return Preparation(scaling, suspended, *found, stop_timeout_s=stop_timeout, notes=tuple(notes), unread=unread)

    def restore(self, cluster: str, service: str, preparation: Preparation) -> list[str]:
        problems: list[str] = []
        if preparation.suspended and preparation.scaling is not None:
            try:
                self._register(cluster, service, preparation.scaling)
            except (ClientError, BotoCoreError) as error:
                if error_code(error) not in _NOT_THERE:
                    problems.append(_why(f"auto scaling of {service!r} left suspended", error))
        found = dict(preparation.delays)
        for arn, _ in preparation.lowered:
            self._set_delay(arn, found[arn], problems, f"deregistration delay of {arn} left lowered")
        return problems

    def _stop_timeout(self, snapshot: ServiceSnapshot, notes: list[str]) -> int | None:
        if not snapshot.task_definition:
            notes.append("no task definition named: stop timeout unknown")
            return None
        try:
            answer = self._call(self._ecs, "describe_task_definition", taskDefinition=snapshot.task_definition)
        except (ClientError, BotoCoreError) as error:
            notes.append(_why("stop timeout unknown", error))
            return None
        containers = (answer.get("taskDefinition") or {}).get("containerDefinitions") or []
        timeouts = [c.get("stopTimeout") for c in containers if isinstance(c, dict)]
        return max((t if isinstance(t, int) else DEFAULT_STOP_TIMEOUT_S for t in timeouts), default=None)

    def _suspend(self, cluster: str, service: str, notes: list[str]) -> tuple[Scaling | None, bool]:
        client = self._client("application-autoscaling")
        if client is None:
            return None, False
        try:
            answer = self._call(
                client,
                "describe_scalable_targets",
                ServiceNamespace="ecs",
                ResourceIds=[f"service/{cluster}/{service}"],
                ScalableDimension=SCALABLE_DIMENSION,
            )
        except (ClientError, BotoCoreError) as error:
            notes.append(_why("auto scaling not read", error))
            return None, False
        targets = answer.get("ScalableTargets") or []
        if not targets:
            return None, False
        state = targets[0].get("SuspendedState") or {}
        found = Scaling(
            state.get("DynamicScalingInSuspended") is True,
            state.get("DynamicScalingOutSuspended") is True,
            state.get("ScheduledScalingSuspended") is True,
        )
        if found.fully_suspended:
            return found, False
        try:
            self._register(cluster, service, Scaling(True, True, True))
        except (ClientError, BotoCoreError) as error:
            notes.append(_why("auto scaling NOT suspended (it may scale the service back up)", error))
            return found, False
        return found, True

    def _register(self, cluster: str, service: str, scaling: Scaling) -> None:
        # Only SuspendedState is sent: "parameters that you don't specify are not changed by this update request"
        # (Application Auto Scaling API reference, RegisterScalableTarget).
        self._call(
            self._client("application-autoscaling"),
            "register_scalable_target",
            ServiceNamespace="ecs",
            ResourceId=f"service/{cluster}/{service}",
            ScalableDimension=SCALABLE_DIMENSION,
            SuspendedState=_flags(scaling),
        )

    def _delays(self, target_groups: tuple[str, ...], notes: list[str]) -> list[tuple[str, int]]:
        client = self._client("elbv2") if target_groups else None
        delays: list[tuple[str, int]] = []
        for arn in target_groups if client is not None else ():
            try:
                answer = self._call(client, "describe_target_group_attributes", TargetGroupArn=arn)
            except (ClientError, BotoCoreError) as error:
                notes.append(_why(f"deregistration delay of {arn} not read", error))
                continue
            values = {a.get("Key"): a.get("Value") for a in answer.get("Attributes") or []}
            try:
                delays.append((arn, int(str(values.get(DELAY_KEY)))))
            except ValueError:
                notes.append(f"deregistration delay of {arn} not read: {values.get(DELAY_KEY)!r}")
        return delays

    def _set_delay(self, arn: str, seconds: int, notes: list[str], what: str = "") -> bool:
        try:
            self._call(
                self._client("elbv2"),
                "modify_target_group_attributes",
                TargetGroupArn=arn,
                Attributes=[{"Key": DELAY_KEY, "Value": str(seconds)}],
            )
        except (ClientError, BotoCoreError) as error:
            if not (what and error_code(error) in _NOT_THERE):  # restoring a group that is gone: nothing to do
                notes.append(_why(what or f"deregistration delay of {arn} not lowered", error))
            return False
        return True

    def _shared(self, cluster: str, service: str, arn: str, notes: list[str]) -> bool:
        """True when another live service of the cluster also uses the target group (or when that is unknown)."""
        if cluster not in self._users:
            try:
                self._users[cluster] = self._target_group_users(cluster)
            except (ClientError, BotoCoreError) as error:
                notes.append(_why(f"{arn} kept: the cluster's other services could not be listed", error))
                return True
        users = self._users[cluster]
        if users is None:
            notes.append(f"{arn} kept: the cluster has more than {LIST_PAGES * 100} services to check")
            return True
        return bool(users.get(arn, set()) - {service})

    def _target_group_users(self, cluster: str) -> dict[str, set[str]] | None:
        """Which services of the cluster use which target group; None when there are too many to list."""
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
                for lb in described.get("loadBalancers") or []:
                    if lb.get("targetGroupArn"):
                        users.setdefault(str(lb["targetGroupArn"]), set()).add(str(described.get("serviceName")))
        return users


def sibling_clients(ecs: Any, retries_configured: tuple[bool, bool]) -> ClientFor:
    """Clients next to an ECS client: the tests' fakes hand out their own (`sibling`); a boto3 client's siblings
    share its region, its bounded config and, when it talks to an emulator rather than AWS, its endpoint. Anything
    else (a bare fake) has none, and the parts that need them are skipped."""
    own = getattr(ecs, "sibling", None)
    if callable(own):
        return lambda name: own(name)
    meta = getattr(ecs, "meta", None)
    region = getattr(meta, "region_name", None)
    if not isinstance(region, str):
        return lambda name: None
    endpoint = str(getattr(meta, "endpoint_url", "") or "")
    emulator = endpoint if not _aws_host(endpoint) else None

    def make(name: str) -> Any:
        import boto3

        from .ecs import client_config

        factory: Any = boto3.client  # the service is chosen at run time: its typed overloads do not apply
        return factory(name, region_name=region, endpoint_url=emulator, config=client_config(retries_configured))

    return make


def _aws_host(endpoint: str) -> bool:
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazonaws.eu")) or ".api.aws" in host
