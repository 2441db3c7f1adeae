"""A fake ECS client that plays realistic timelines on a fake clock (moto has no DRAINING and no draining tasks).

It quacks like boto3's ECS client for the three calls the engine makes and raises botocore ClientErrors with
ECS's real codes and messages. A service's state is a pure function of the clock and the calls it received: its
tasks and DRAINING are a ServiceTimeline (ecs_teardown_tools/timeline.py), the rest is here.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ecs_teardown_tools.timeline import INACTIVE, ServiceTimeline

ACCOUNT, REGION = "123456789012", "us-east-1"
DAEMON_REFUSAL = "The daemon scheduling strategy does not support a desired count for services."
DEPLOYMENTS_ACTIVE = "The service cannot be stopped while deployments are active."
SCALED_ABOVE_ZERO = "The service cannot be stopped while it is scaled above 0."


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


class FakeClock:
    """Seconds since an arbitrary epoch; `sleep` only moves time forward."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _OnTimeline:
    """A FakeService attribute that lives on its timeline (tests read and set them on the service, as ever)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, service: FakeService | None, owner: type | None = None) -> Any:
        return self if service is None else getattr(service.timeline, self.name)

    def __set__(self, service: FakeService, value: Any) -> None:
        setattr(service.timeline, self.name, value)


class FakeService:
    """One service: ECS's answers to the calls (DAEMON, deployments, purge to MISSING) on top of its timeline.

    Its tasks and its DRAINING over time are a `ServiceTimeline` (ecs_teardown_tools/timeline.py, which the demo's
    emulator and the benchmarks play too): by default `tasks` stop evenly over `task_stop_s` once asked (the
    deregistration delay, SIGTERM...), `stop_offsets` stagger them instead, and a deleted service stays DRAINING
    until its tasks are gone, then `draining_s` more.
    """

    tasks = _OnTimeline()
    task_stop_s = _OnTimeline()
    draining_s = _OnTimeline()
    stop_started_at = _OnTimeline()
    deleted_at = _OnTimeline()

    def __init__(
        self,
        name: str,
        cluster: str = "demo",
        scheduling: str = "REPLICA",
        desired: int = 2,
        tasks: int = 2,
        task_stop_s: float = 30.0,
        draining_s: float = 20.0,
        purge_after_s: float | None = None,  # INACTIVE -> MISSING (purged) this long after INACTIVE
        deployments_busy_s: float = 0.0,  # after a scale-down, DeleteService answers "deployments are active" this long
        stop_started_at: float | None = None,
        deleted_at: float | None = None,
        scaled_at: float | None = None,
        forced: bool = False,
        created_at: float | None = None,  # set by FakeEcs.add: the clock when the service appeared
        *,
        stop_offsets: tuple[float, ...] | None = None,  # each task's own stop (then tasks, task_stop_s follow)
    ) -> None:
        self.name, self.cluster, self.scheduling, self.desired = name, cluster, scheduling, desired
        self.timeline = ServiceTimeline(tasks, task_stop_s, draining_s, stop_offsets, stop_started_at, deleted_at)
        self.purge_after_s, self.deployments_busy_s = purge_after_s, deployments_busy_s
        self.scaled_at, self.forced, self.created_at = scaled_at, forced, created_at

    def __repr__(self) -> str:
        return f"FakeService({self.name!r}, cluster={self.cluster!r}, {self.scheduling}, {self.timeline})"

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{self.cluster}/{self.name}"

    def running(self, now: float) -> int:
        return self.timeline.running(now)

    def inactive_at(self) -> float | None:
        return self.timeline.inactive_at()

    def status(self, now: float) -> str:
        status, inactive_at = self.timeline.status(now), self.timeline.inactive_at()
        if status == INACTIVE and inactive_at is not None and self.purge_after_s is not None:
            return "MISSING" if now >= inactive_at + self.purge_after_s else status
        return status

    def desired_now(self) -> int:
        return 0 if self.scaled_at is not None or self.deleted_at is not None else self.desired


Fault = Callable[[str, dict[str, Any]], Exception | None]


@dataclass
class FakeEcs:
    clock: FakeClock
    services: dict[tuple[str, str], FakeService] = field(default_factory=dict)
    clusters: set[str] = field(default_factory=lambda: {"demo"})
    fault: Fault | None = None  # called before each call; an exception it returns is raised
    calls: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)

    def add(self, service: FakeService) -> FakeService:
        if service.created_at is None:
            service.created_at = self.clock.now
        self.clusters.add(service.cluster)
        self.services[(service.cluster, service.name)] = service
        return service

    def count(self, operation: str) -> int:
        return sum(1 for _, op, _ in self.calls if op == operation)

    def _enter(self, operation: str, kwargs: dict[str, Any]) -> str:
        self.calls.append((self.clock.now, operation, dict(kwargs)))
        if self.fault is not None:
            error = self.fault(operation, kwargs)
            if error is not None:
                raise error
        cluster = str(kwargs.get("cluster", "default")).rsplit("/", 1)[-1]
        if cluster not in self.clusters:
            raise client_error("ClusterNotFoundException", "Cluster not found.", operation)
        return cluster

    def _find(self, cluster: str, name_or_arn: str) -> FakeService | None:
        service = self.services.get((cluster, name_or_arn.rsplit("/", 1)[-1]))
        if service is None or service.status(self.clock.now) == "MISSING":
            return None
        return service

    def describe_services(self, **kwargs: Any) -> dict[str, Any]:
        cluster = self._enter("DescribeServices", kwargs)
        names = kwargs["services"]
        assert len(names) <= 10, "DescribeServices takes at most 10 services"
        now = self.clock.now
        found, failures = [], []
        for name in names:
            service = self._find(cluster, name)
            if service is None:
                arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{name.rsplit('/', 1)[-1]}"
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            found.append(
                {
                    "serviceArn": service.arn,
                    "serviceName": service.name,
                    "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}",
                    "status": service.status(now),
                    "schedulingStrategy": service.scheduling,
                    "desiredCount": service.desired_now(),
                    "runningCount": service.running(now),
                    "pendingCount": 0,
                    # boto3 parses ECS's createdAt into an aware datetime; so does the fake
                    "createdAt": datetime.datetime.fromtimestamp(service.created_at or 0.0, datetime.UTC),
                }
            )
        return {"services": found, "failures": failures}

    def update_service(self, **kwargs: Any) -> dict[str, Any]:
        cluster = self._enter("UpdateService", kwargs)
        service = self._find(cluster, kwargs["service"])
        if service is None:
            raise client_error("ServiceNotFoundException", "Service not found.", "UpdateService")
        if service.status(self.clock.now) != "ACTIVE":
            raise client_error("ServiceNotActiveException", "Service was not ACTIVE.", "UpdateService")
        if "desiredCount" in kwargs:
            if service.scheduling == "DAEMON":
                raise client_error("InvalidParameterException", DAEMON_REFUSAL, "UpdateService")
            assert kwargs["desiredCount"] == 0, "the engine only ever scales to zero"
            service.scaled_at = self.clock.now
            service.timeline.stop(self.clock.now)
        return {"service": {"serviceArn": service.arn}}

    def delete_service(self, **kwargs: Any) -> dict[str, Any]:
        cluster = self._enter("DeleteService", kwargs)
        now = self.clock.now
        service = self._find(cluster, kwargs["service"])
        if service is None:
            raise client_error("ServiceNotFoundException", "Service not found.", "DeleteService")
        if service.status(now) != "ACTIVE":
            raise client_error("ServiceNotActiveException", "Service was not ACTIVE.", "DeleteService")
        force = bool(kwargs.get("force"))
        if not force and service.scheduling == "REPLICA":
            if service.desired_now() > 0:
                raise client_error("InvalidParameterException", SCALED_ABOVE_ZERO, "DeleteService")
            if service.scaled_at is not None and now < service.scaled_at + service.deployments_busy_s:
                raise client_error("InvalidParameterException", DEPLOYMENTS_ACTIVE, "DeleteService")
        service.timeline.delete(now)
        service.forced = force
        return {"service": {"serviceArn": service.arn, "status": "DRAINING"}}


def throttle_fraction(fraction: float, seed: int = 7, operations: tuple[str, ...] = ()) -> Fault:
    """A ThrottlingException storm on `fraction` of calls (of `operations`, or of all)."""
    rng = random.Random(seed)

    def fault(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operations and operation not in operations:
            return None
        if rng.random() < fraction:
            return client_error("ThrottlingException", "Rate exceeded", operation)
        return None

    return fault


def burst(code: str, count: int, operation: str | None = None, status: int = 400, message: str = "") -> Fault:
    """The first `count` calls (of `operation`, or of any) fail with `code`, then all succeed."""
    left = [count]

    def fault(op: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation is not None and op != operation:
            return None
        if left[0] > 0:
            left[0] -= 1
            return client_error(code, message or code, op, status)
        return None

    return fault
