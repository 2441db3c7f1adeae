"""A fake ECS client that plays realistic timelines on a fake clock (moto has no DRAINING and no draining tasks).

It quacks like boto3's ECS client for the calls the engine makes (DescribeServices, UpdateService, DeleteService,
DescribeTaskDefinition, ListServices, StopServiceDeployment, DescribeServiceDeployments, DeleteExpressGatewayService,
`get_paginator`, `exceptions`): each call's parameters are checked against botocore's ECS model as a real client
checks them (ParamValidationError), and its errors are botocore's modeled exception classes with ECS's codes. A
service's state is a pure function of the clock and the calls it received: its tasks and DRAINING are a
ServiceTimeline (ecs_teardown_tools/timeline.py), the rest is here.

What real services do besides draining, each off unless a test asks for it:
- load balancers (`target_groups`): once asked to stop, a task keeps running for its target groups' deregistration
  delay as it stands at that moment (read from the wired fake ELBv2, the largest of the service's groups; ELB's
  default 300 s without one), then exits within its task definition's stopTimeout (the largest of its containers',
  30 s when absent), at its own offset (`exit_offsets`, or seeded);
- a rolling deployment in progress (`rollout_s`): DeleteService without force answers "deployments are active"
  until it finishes, or `rollback_s` after StopServiceDeployment was accepted; `math.inf` never finishes by itself;
- CODE_DEPLOY and EXTERNAL deployment controllers (task sets), ECS Express Mode (`resource_management="ECS"`);
- Application Auto Scaling raising the desired count again (fake_autoscaling.py calls `FakeEcs.autoscale`): the
  service starts new tasks, pending for `start_s`, which the next scale-down stops like the others.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.errorfactory import ClientExceptionsFactory
from botocore.exceptions import ClientError, ParamValidationError
from botocore.paginate import Paginator
from botocore.validate import ParamValidator

from ecs_teardown_tools.timeline import INACTIVE, ServiceTimeline

ACCOUNT, REGION = "123456789012", "us-east-1"
DAEMON_REFUSAL = "The daemon scheduling strategy does not support a desired count for services."
DEPLOYMENTS_ACTIVE = "The service cannot be stopped while deployments are active."
SCALED_ABOVE_ZERO = "The service cannot be stopped while it is scaled above 0."
# ECS's defaults (ECS API reference, ContainerDefinition.stopTimeout; ELB API reference, TargetGroupAttribute).
DEFAULT_STOP_TIMEOUT_S = 30
DEFAULT_DEREGISTRATION_DELAY_S = 300
# A rolling deployment's ARN as ECS shows it (service-deployment/cluster/service/id), for the unit tests.
ROLLOUT = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/web/r9i43YFjvgF"
LIST_SERVICES_DEFAULT, LIST_SERVICES_MAX = 10, 100  # ECS API reference, ListServices maxResults


# --- what a boto3 client takes from botocore's models -----------------------------------------------------------


@functools.cache
def service_model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


@functools.cache
def _modeled_exceptions(service: str) -> Any:
    return ClientExceptionsFactory().create_client_exceptions(service_model(service))


@functools.cache
def _paginator_config(service: str, operation: str) -> Any:
    return botocore.session.get_session().get_paginator_model(service).get_paginator(operation)


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    """A plain ClientError, as botocore raises for a code its model does not list (ThrottlingException, 5xx)."""
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


def modeled_error(service: str, code: str, message: str, operation: str, status: int = 400) -> ClientError:
    """What botocore raises for `code`: its modeled exception class when the service's model lists it (so both
    `except client.exceptions.X` and `except ClientError` catch it), a plain ClientError otherwise."""
    cls = _modeled_exceptions(service).from_code(code)
    error: ClientError = cls(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )
    return error


def check_input(service: str, operation: str, kwargs: dict[str, Any]) -> None:
    """botocore's own check of a call's parameters (unknown or missing names, wrong types) before it is sent."""
    report = ParamValidator().validate(kwargs, service_model(service).operation_model(operation).input_shape)
    if report.has_errors():
        raise ParamValidationError(report=report.generate_report())


def timestamp(seconds: float | None) -> datetime.datetime:
    """boto3 parses AWS's timestamps into aware datetimes; so do the fakes."""
    return datetime.datetime.fromtimestamp(seconds or 0.0, datetime.UTC)


def ident(alphabet: str, length: int, *parts: object) -> str:
    """A stable, random-looking identifier (the same on every run and platform) drawn from `parts`."""
    digest = hashlib.sha256("/".join(str(part) for part in parts).encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


class FakeClient:
    """What every fake client shares: the call record, the fault hook, botocore's parameter check, its modeled
    exceptions (`client.exceptions.X`) and its paginators (botocore's own Paginator over the fake's method)."""

    SERVICE = ""
    clock: FakeClock
    calls: list[tuple[float, str, dict[str, Any]]]
    fault: Fault | None
    journal: list[tuple[float, str, dict[str, Any]]] | None = None  # shared by a FakeAws: every fake's calls, in order

    @property
    def exceptions(self) -> Any:
        return _modeled_exceptions(self.SERVICE)

    def _record(self, operation: str, kwargs: dict[str, Any]) -> None:
        check_input(self.SERVICE, operation, kwargs)  # a real client refuses before anything is sent
        self.calls.append((self.clock.now, operation, dict(kwargs)))
        if self.journal is not None:
            self.journal.append(self.calls[-1])
        if self.fault is not None:
            error = self.fault(operation, kwargs)
            if error is not None:
                raise error

    def _error(self, code: str, message: str, operation: str, status: int = 400) -> ClientError:
        return modeled_error(self.SERVICE, code, message, operation, status)

    def count(self, operation: str) -> int:
        return sum(1 for _, op, _ in self.calls if op == operation)

    def can_paginate(self, method: str) -> bool:
        try:
            _paginator_config(self.SERVICE, self._operation_name(method))
        except ValueError:
            return False
        return True

    def get_paginator(self, method: str) -> Paginator:
        operation = self._operation_name(method)
        model = service_model(self.SERVICE).operation_model(operation)
        return Paginator(getattr(self, method), _paginator_config(self.SERVICE, operation), model)

    def _operation_name(self, method: str) -> str:
        names = {botocore.xform_name(op): op for op in service_model(self.SERVICE).operation_names}
        return names[method]


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


# --- one service ------------------------------------------------------------------------------------------------


class _OnTimeline:
    """A FakeService attribute that lives on its timeline (tests read and set them on the service, as ever)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, service: FakeService | None, owner: type | None = None) -> Any:
        return self if service is None else getattr(service.timeline, self.name)

    def __set__(self, service: FakeService, value: Any) -> None:
        setattr(service.timeline, self.name, value)


@dataclass
class Relaunch:
    """Tasks ECS started after the teardown began, because auto scaling raised the desired count again."""

    timeline: ServiceTimeline
    started_at: float
    ready_at: float  # pending until then, running after


class FakeService:
    """One service: ECS's answers to the calls (DAEMON, deployments, purge to MISSING) on top of its timeline.

    Its tasks and its DRAINING over time are a `ServiceTimeline` (ecs_teardown_tools/timeline.py, which the demo's
    emulator and the benchmarks play too): by default `tasks` stop evenly over `task_stop_s` once asked (the
    deregistration delay, SIGTERM...), `stop_offsets` stagger them instead, and a deleted service stays DRAINING
    until its tasks are gone, then `draining_s` more. With `target_groups` the stop offsets are drawn at the stop
    instead (the module's docstring says how; `stop_rounds` records each draw: when, the delay used, the offsets).

    `names_task_definition`: whether DescribeServices shows the service's taskDefinition. Every real service with
    the ECS or CODE_DEPLOY controller has one; here it is shown when the test says something about it (`containers`,
    `family`, `rollout_s` or `target_groups`), because the tests written before the engine read task definitions
    count every call but DescribeServices as a write. Set it to True to have the default one (container "app", no
    stopTimeout, i.e. ECS's 30 s) shown.
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
        target_groups: tuple[str, ...] = (),  # target group ARNs (loadBalancers); see the module's docstring
        exit_offsets: tuple[float, ...] | None = None,  # behind a load balancer: each task's exit after SIGTERM
        containers: tuple[tuple[str, int | None], ...] | None = None,  # (name, stopTimeout or None)
        container_port: int = 80,
        family: str | None = None,  # the task definition's family (the service's name by default)
        revision: int = 1,  # the revision it runs (a rollout deploys revision + 1)
        deployment_controller: str = "ECS",  # ECS | CODE_DEPLOY | EXTERNAL
        resource_management: str = "CUSTOMER",  # "ECS" for an ECS Express Mode service
        rollout_s: float | None = None,  # a deployment in progress, finishing this long after the service appeared
        rollback_s: float = 5.0,  # StopServiceDeployment (ROLLBACK) accepted -> the deployment is over
        start_s: float = 10.0,  # a task started by auto scaling is pending this long, then running
        seed: object = None,  # draws the exit offsets (the service's name by default)
    ) -> None:
        self.name, self.cluster, self.scheduling, self.desired = name, cluster, scheduling, desired
        if exit_offsets is not None and stop_offsets is None:
            tasks = len(exit_offsets)
        self.timeline = ServiceTimeline(tasks, task_stop_s, draining_s, stop_offsets, stop_started_at, deleted_at)
        self.purge_after_s, self.deployments_busy_s = purge_after_s, deployments_busy_s
        self.scaled_at, self.forced, self.created_at = scaled_at, forced, created_at
        self.target_groups, self.exit_offsets = tuple(target_groups), exit_offsets
        self.names_task_definition = bool(containers or family or rollout_s is not None or target_groups)
        self.containers, self.container_port = tuple(containers or (("app", None),)), container_port
        self.family, self.revision = family or name, revision
        self.deployment_controller, self.resource_management = deployment_controller, resource_management
        self.rollout_s, self.rollback_s, self.start_s = rollout_s, rollback_s, start_s
        self.seed = name if seed is None else seed
        self.rollback_requested_at: float | None = None
        self.raised_to: int | None = None  # the desired count auto scaling set after the last scale-down
        self.relaunches: list[Relaunch] = []
        self.stop_rounds: list[tuple[float, float, tuple[float, ...]]] = []  # (when, delay used, offsets drawn)

    def __repr__(self) -> str:
        return f"FakeService({self.name!r}, cluster={self.cluster!r}, {self.scheduling}, {self.timeline})"

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{self.cluster}/{self.name}"

    @property
    def cluster_arn(self) -> str:
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{self.cluster}"

    # tasks and status

    def timelines(self) -> list[ServiceTimeline]:
        return [self.timeline, *(relaunch.timeline for relaunch in self.relaunches)]

    def running(self, now: float) -> int:
        started = sum(r.timeline.running(now) for r in self.relaunches if now >= r.ready_at)
        return self.timeline.running(now) + started

    def pending(self, now: float) -> int:
        return sum(r.timeline.running(now) for r in self.relaunches if now < r.ready_at)

    def inactive_at(self) -> float | None:
        inactive_at = self.timeline.inactive_at()
        if inactive_at is None or not self.relaunches:
            return inactive_at
        gone = [r.timeline.tasks_gone_at() for r in self.relaunches]
        return max(inactive_at, *(g + self.draining_s for g in gone if g is not None))

    def status(self, now: float) -> str:
        inactive_at = self.inactive_at()
        if inactive_at is None:
            return "ACTIVE"
        if now < inactive_at:
            return "DRAINING"
        if self.purge_after_s is not None and now >= inactive_at + self.purge_after_s:
            return "MISSING"
        return INACTIVE

    def desired_now(self) -> int:
        if self.deleted_at is not None:
            return 0
        if self.raised_to is not None:
            return self.raised_to
        return 0 if self.scaled_at is not None else self.desired

    # the task definition and the stop behind a load balancer

    @property
    def stop_timeout_s(self) -> int:
        """The largest of the containers' stopTimeout (a task stops when its last container has)."""
        return max((t if t is not None else DEFAULT_STOP_TIMEOUT_S for _, t in self.containers), default=0)

    def task_definition_arn(self, revision: int | None = None) -> str:
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{self.family}:{revision or self.revision}"

    def draw_exits(self, count: int, round_: int) -> tuple[float, ...]:
        """Each task's exit after SIGTERM, within the stopTimeout: `exit_offsets` for the first tasks, else seeded."""
        if round_ == 0 and self.exit_offsets is not None:
            return tuple(min(max(0.0, x), float(self.stop_timeout_s)) for x in self.exit_offsets)
        rng = random.Random(f"{self.seed}/{round_}")
        return tuple(rng.uniform(0.0, float(self.stop_timeout_s)) for _ in range(count))

    # deployments

    def rollout_ends_at(self) -> float | None:
        """When the deployment in progress is over (math.inf: never by itself); None when there was none."""
        if self.rollout_s is None:
            return None
        end = (self.created_at or 0.0) + self.rollout_s
        if self.rollback_requested_at is not None:
            end = min(end, self.rollback_requested_at + self.rollback_s)
        return end

    def rolling(self, now: float) -> bool:
        end = self.rollout_ends_at()
        return end is not None and now < end

    def rolled_back(self, now: float) -> bool:
        return self.rollback_requested_at is not None and not self.rolling(now)

    @property
    def service_deployment_arn(self) -> str:
        sd = ident(_ID_CHARS, 22, self.seed, "service-deployment")
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{self.cluster}/{self.name}/{sd}"

    def running_revision(self, now: float) -> int:
        """The revision the service runs now: the new one during and after a rollout, the old one after a rollback."""
        if self.rollout_s is None or self.rolled_back(now):
            return self.revision
        return self.revision + 1

    def codedeploy_id(self, which: str) -> str:
        return "d-" + ident("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 9, self.seed, "codedeploy", which)


_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _deployment_id(service: FakeService, which: str) -> str:
    return "ecs-svc/" + ident("0123456789", 19, service.seed, "deployment", which)


Fault = Callable[[str, dict[str, Any]], Exception | None]


# --- what DescribeServices says about one service ---------------------------------------------------------------


def _deployment(
    service: FakeService, now: float, which: str, status: str, rollout: str, counts: tuple[int, int, int]
) -> dict[str, Any]:
    """One of `deployments`: "old" (the revision before a rollout), "new" (the rollout's) or "rollback"."""
    revision = service.revision + 1 if which == "new" else service.revision
    created = service.rollback_requested_at if which == "rollback" else service.created_at
    deployment_id = _deployment_id(service, which)
    desired, running, pending = counts
    return {
        "id": deployment_id,
        "status": status,
        "taskDefinition": service.task_definition_arn(revision),
        "desiredCount": desired,
        "pendingCount": pending,
        "runningCount": running,
        "failedTasks": 0,
        "createdAt": timestamp(created),
        "updatedAt": timestamp(now),
        "launchType": _launch_type(service),
        "platformFamily": "Linux",
        "rolloutState": rollout,
        "rolloutStateReason": f"ECS deployment {deployment_id} "
        + ("in progress." if rollout == "IN_PROGRESS" else "completed."),
    }


def _deployments(service: FakeService, now: float) -> list[dict[str, Any]]:
    """PRIMARY, plus the ACTIVE one it replaces while a rolling deployment (or its rollback) is in progress."""
    desired, running, pending = service.desired_now(), service.running(now), service.pending(now)
    if not service.rolling(now):
        which = "rollback" if service.rolled_back(now) else ("new" if service.rollout_s is not None else "old")
        return [_deployment(service, now, which, "PRIMARY", "COMPLETED", (desired, running, pending))]
    primary, replaced = ("rollback", "new") if service.rollback_requested_at is not None else ("new", "old")
    moved = running // 2
    return [
        _deployment(service, now, primary, "PRIMARY", "IN_PROGRESS", (desired, moved, pending)),
        _deployment(service, now, replaced, "ACTIVE", "COMPLETED", (running - moved, running - moved, 0)),
    ]


def _task_set(service: FakeService, now: float, which: str, status: str, running: int) -> dict[str, Any]:
    set_id = _deployment_id(service, f"task-set/{which}")
    revision = service.revision + 1 if which == "new" else service.revision
    task_set: dict[str, Any] = {
        "id": set_id,
        "taskSetArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-set/{service.cluster}/{service.name}/{set_id}",
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "status": status,
        "taskDefinition": service.task_definition_arn(revision),
        "computedDesiredCount": running,
        "pendingCount": 0,
        "runningCount": running,
        "createdAt": timestamp(service.created_at),
        "updatedAt": timestamp(now),
        "launchType": _launch_type(service),
        "capacityProviderStrategy": [],
        "platformVersion": "1.4.0",
        "loadBalancers": _load_balancers(service),
        "serviceRegistries": [],
        "scale": {"value": 100.0, "unit": "PERCENT"},
        "stabilityStatus": "STABILIZING" if service.rolling(now) else "STEADY_STATE",
        "stabilityStatusAt": timestamp(now),
    }
    if service.deployment_controller == "CODE_DEPLOY":
        task_set["externalId"] = service.codedeploy_id(which)  # the CodeDeploy deployment that made the task set
    return task_set


def _task_sets(service: FakeService, now: float) -> list[dict[str, Any]]:
    """CODE_DEPLOY/EXTERNAL: the PRIMARY task set, plus the ACTIVE replacement while a deployment is in progress."""
    running = service.running(now)
    if service.rollout_s is None:
        return [_task_set(service, now, "old", "PRIMARY", running)]
    if not service.rolling(now):
        return [_task_set(service, now, "new", "PRIMARY", running)]
    moved = running // 2
    return [
        _task_set(service, now, "old", "PRIMARY", running - moved),
        _task_set(service, now, "new", "ACTIVE", moved),
    ]


def _launch_type(service: FakeService) -> str:
    return "EC2" if service.scheduling == "DAEMON" else "FARGATE"  # Fargate runs no DAEMON services


def _load_balancers(service: FakeService) -> list[dict[str, Any]]:
    container = service.containers[0][0] if service.containers else "app"
    return [
        {"targetGroupArn": arn, "containerName": container, "containerPort": service.container_port}
        for arn in service.target_groups
    ]


def describe_one(service: FakeService, now: float, include_tags: bool = False) -> dict[str, Any]:
    """One service as DescribeServices shows it (ECS API reference, Service)."""
    described: dict[str, Any] = {
        "serviceArn": service.arn,
        "serviceName": service.name,
        "clusterArn": service.cluster_arn,
        "loadBalancers": _load_balancers(service),
        "serviceRegistries": [],
        "status": service.status(now),
        "desiredCount": service.desired_now(),
        "runningCount": service.running(now),
        "pendingCount": service.pending(now),
        "launchType": _launch_type(service),
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": False, "rollback": False},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
        },
        "taskSets": [],
        "deployments": [],
        "events": [],
        "createdAt": timestamp(service.created_at),
        "placementConstraints": [],
        "placementStrategy": [],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-0a1b2c3d4e5f60718"],
                "securityGroups": ["sg-0a1b2c3d4e5f60718"],
                "assignPublicIp": "DISABLED",
            }
        },
        "schedulingStrategy": service.scheduling,
        "deploymentController": {"type": service.deployment_controller},
        "enableECSManagedTags": False,
        "propagateTags": "NONE",
        "enableExecuteCommand": False,
        "resourceManagementType": service.resource_management,
    }
    # EXTERNAL services name theirs on their task sets only
    if service.deployment_controller != "EXTERNAL" and service.names_task_definition:
        described["taskDefinition"] = service.task_definition_arn(service.running_revision(now))
    if service.deployment_controller == "ECS":
        described["deployments"] = _deployments(service, now)
        described["currentServiceDeployment"] = service.service_deployment_arn
    else:
        described["taskSets"] = _task_sets(service, now)
    if include_tags:
        described["tags"] = []
    return described


def task_definition_payload(arn: str, containers: tuple[tuple[str, int | None], ...], port: int) -> dict[str, Any]:
    family, revision = arn.rsplit("/", 1)[-1].split(":")
    definitions = []
    for index, (name, stop_timeout) in enumerate(containers):
        definition: dict[str, Any] = {
            "name": name,
            "image": "public.ecr.aws/nginx/nginx:stable",
            "cpu": 0,
            "memory": 512,
            "portMappings": [{"containerPort": port, "hostPort": port, "protocol": "tcp"}] if index == 0 else [],
            "essential": index == 0,
            "environment": [],
            "mountPoints": [],
            "volumesFrom": [],
        }
        if stop_timeout is not None:  # absent means ECS's default, 30 s
            definition["stopTimeout"] = stop_timeout
        definitions.append(definition)
    return {
        "taskDefinitionArn": arn,
        "containerDefinitions": definitions,
        "family": family,
        "networkMode": "awsvpc",
        "revision": int(revision),
        "volumes": [],
        "status": "ACTIVE",
        "placementConstraints": [],
        "compatibilities": ["EC2", "FARGATE"],
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "registeredAt": timestamp(0.0),
    }


# --- the client -------------------------------------------------------------------------------------------------


@dataclass
class FakeEcs(FakeClient):
    clock: FakeClock
    services: dict[tuple[str, str], FakeService] = field(default_factory=dict)
    clusters: set[str] = field(default_factory=lambda: {"demo"})
    fault: Fault | None = None  # called before each call; an exception it returns is raised
    calls: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    # wired by FakeAws (fake_aws.py): the sibling clients the engine asks for, and whose state ECS reads
    autoscaling: Any = None  # FakeAutoScaling: its pending scaling events play before every ECS call
    elbv2: Any = None  # FakeElbv2: the deregistration delays in force when a service's tasks are asked to stop
    task_definitions: dict[str, tuple[tuple[tuple[str, int | None], ...], int]] = field(default_factory=dict)

    SERVICE = "ecs"

    def add(self, service: FakeService) -> FakeService:
        if service.created_at is None:
            service.created_at = self.clock.now
        self.clusters.add(service.cluster)
        self.services[(service.cluster, service.name)] = service
        for revision in {service.revision, service.revision + (service.rollout_s is not None)}:
            self.task_definitions[service.task_definition_arn(revision)] = (service.containers, service.container_port)
        return service

    def sibling(self, name: str) -> Any:
        """The fake Application Auto Scaling / ELBv2 wired next to this ECS, or None (the engine skips that part)."""
        return {"application-autoscaling": self.autoscaling, "elbv2": self.elbv2}.get(name)

    def _enter(self, operation: str, kwargs: dict[str, Any]) -> str:
        if self.autoscaling is not None:
            self.autoscaling.catch_up()  # what auto scaling did since the last call happened before this one
        self._record(operation, kwargs)
        cluster = str(kwargs.get("cluster", "default")).rsplit("/", 1)[-1]
        if cluster not in self.clusters:
            raise self._error("ClusterNotFoundException", "Cluster not found.", operation)
        return cluster

    def _find(self, cluster: str, name_or_arn: str) -> FakeService | None:
        service = self.services.get((cluster, name_or_arn.rsplit("/", 1)[-1]))
        if service is None or service.status(self.clock.now) == "MISSING":
            return None
        return service

    # the stop of a service's tasks

    def _delay_now(self, service: FakeService) -> float:
        if self.elbv2 is None:
            return float(DEFAULT_DEREGISTRATION_DELAY_S)
        return float(max(self.elbv2.delay_of(arn) for arn in service.target_groups))

    def _stop(self, service: FakeService, timeline: ServiceTimeline, now: float) -> None:
        """Ask a timeline's tasks to stop; behind a load balancer, each one's stop is drawn now (delay + exit)."""
        if timeline.stop_started_at is not None:
            return
        if (
            service.target_groups
            and timeline.tasks > 0
            and not (timeline is service.timeline and timeline.stop_offsets)
        ):
            delay = self._delay_now(service)
            exits = service.draw_exits(timeline.tasks, len(service.stop_rounds))
            offsets = tuple(sorted(delay + x for x in exits))
            timeline.stop_offsets, timeline.tasks, timeline.task_stop_s = offsets, len(offsets), max(offsets)
            service.stop_rounds.append((now, delay, offsets))
        timeline.stop(now)

    def _stop_all(self, service: FakeService, now: float) -> None:
        for timeline in service.timelines():
            self._stop(service, timeline, now)

    def autoscale(self, service: FakeService, desired: int, when: float) -> bool:
        """Application Auto Scaling sets the desired count (at `when`, not after now): ECS starts the tasks it lacks.
        False when ECS refused (a service that is not ACTIVE, or a DAEMON one)."""
        if service.status(when) != "ACTIVE" or service.scheduling == "DAEMON":
            return False
        not_stopping = sum(t.running(when) for t in service.timelines() if t.stop_started_at is None)
        missing = desired - not_stopping
        if missing > 0:
            timeline = ServiceTimeline(missing, service.timeline.task_stop_s, 0.0)
            service.relaunches.append(Relaunch(timeline, when, when + service.start_s))
        service.raised_to = desired
        return True

    # the operations

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
            found.append(describe_one(service, now, "TAGS" in (kwargs.get("include") or [])))
        return {"services": found, "failures": failures}

    def update_service(self, **kwargs: Any) -> dict[str, Any]:
        cluster = self._enter("UpdateService", kwargs)
        service = self._find(cluster, kwargs["service"])
        if service is None:
            raise self._error("ServiceNotFoundException", "Service not found.", "UpdateService")
        if service.status(self.clock.now) != "ACTIVE":
            raise self._error("ServiceNotActiveException", "Service was not ACTIVE.", "UpdateService")
        if "desiredCount" in kwargs:
            if service.scheduling == "DAEMON":
                raise self._error("InvalidParameterException", DAEMON_REFUSAL, "UpdateService")
            assert kwargs["desiredCount"] == 0, "the engine only ever scales to zero"
            service.scaled_at, service.raised_to = self.clock.now, None
            self._stop_all(service, self.clock.now)
        return {"service": describe_one(service, self.clock.now)}

    def delete_service(self, **kwargs: Any) -> dict[str, Any]:
        cluster = self._enter("DeleteService", kwargs)
        now = self.clock.now
        service = self._find(cluster, kwargs["service"])
        if service is None:
            raise self._error("ServiceNotFoundException", "Service not found.", "DeleteService")
        if service.status(now) != "ACTIVE":
            raise self._error("ServiceNotActiveException", "Service was not ACTIVE.", "DeleteService")
        force = bool(kwargs.get("force"))
        if not force and service.scheduling == "REPLICA":
            if service.desired_now() > 0:
                raise self._error("InvalidParameterException", SCALED_ABOVE_ZERO, "DeleteService")
            if service.scaled_at is not None and now < service.scaled_at + service.deployments_busy_s:
                raise self._error("InvalidParameterException", DEPLOYMENTS_ACTIVE, "DeleteService")
            if service.rolling(now):
                raise self._error("InvalidParameterException", DEPLOYMENTS_ACTIVE, "DeleteService")
        self._delete(service, now)
        service.forced = force
        return {"service": describe_one(service, now)}

    def _delete(self, service: FakeService, now: float) -> None:
        self._stop_all(service, now)
        service.timeline.delete(now)

    def describe_task_definition(self, **kwargs: Any) -> dict[str, Any]:
        self._record("DescribeTaskDefinition", kwargs)
        wanted = str(kwargs["taskDefinition"]).rsplit("/", 1)[-1]
        if ":" not in wanted:  # a family alone: its latest revision
            revisions = [arn for arn in self.task_definitions if arn.rsplit("/", 1)[-1].split(":")[0] == wanted]
            wanted = max(revisions, key=lambda arn: int(arn.rsplit(":", 1)[-1]), default="").rsplit("/", 1)[-1]
        arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{wanted}"
        if arn not in self.task_definitions:
            raise self._error("ClientException", "Unable to describe task definition.", "DescribeTaskDefinition")
        answer: dict[str, Any] = {"taskDefinition": task_definition_payload(arn, *self.task_definitions[arn])}
        if "TAGS" in (kwargs.get("include") or []):
            answer["tags"] = []
        return answer

    def list_services(self, **kwargs: Any) -> dict[str, Any]:
        """ACTIVE services only ("DRAINING ... no longer visible in ListServices", ECS API reference, DeleteService);
        up to maxResults (1-100, 10 without it) a page, with an opaque nextToken."""
        cluster = self._enter("ListServices", kwargs)
        limit = kwargs.get("maxResults", LIST_SERVICES_DEFAULT)
        if not 1 <= limit <= LIST_SERVICES_MAX:
            raise self._error("InvalidParameterException", "maxResults must be between 1 and 100.", "ListServices")
        everything = [s for (c, _), s in self.services.items() if c == cluster]  # insertion order: stable tokens
        start = _read_token(kwargs.get("nextToken"), cluster, len(everything))
        if start is None:
            raise self._error("InvalidParameterException", "Invalid nextToken.", "ListServices")
        now = self.clock.now
        listed = [i for i in range(start, len(everything)) if _listed(everything[i], now, kwargs)]
        answer: dict[str, Any] = {"serviceArns": [everything[i].arn for i in listed[:limit]]}
        if len(listed) > limit:
            answer["nextToken"] = _make_token(cluster, listed[limit])
        return answer

    def stop_service_deployment(self, **kwargs: Any) -> dict[str, Any]:
        """StopServiceDeployment (ECS API reference): only ROLLBACK is documented as valid; a deployment in
        progress is rolled back (`rollback_s`); one already rolling back "continues"; any other state is a
        ConflictException (the model's "conflict in the current state of the resource"; the message is ours)."""
        self._record("StopServiceDeployment", kwargs)
        arn, now = str(kwargs["serviceDeploymentArn"]), self.clock.now
        service = next(
            (s for s in self.services.values() if s.deployment_controller == "ECS" and s.service_deployment_arn == arn),
            None,
        )
        if service is None or service.status(now) == "MISSING":
            message = f"The service deployment {arn} does not exist."
            raise self._error("ServiceDeploymentNotFoundException", message, "StopServiceDeployment")
        if kwargs.get("stopType", "ROLLBACK") != "ROLLBACK":
            raise self._error("InvalidParameterException", "The valid values are ROLLBACK.", "StopServiceDeployment")
        if not service.rolling(now):
            message = f"The service deployment {arn} is not in progress and cannot be stopped."
            raise self._error("ConflictException", message, "StopServiceDeployment")
        if service.rollback_requested_at is None:
            service.rollback_requested_at = now
        return {"serviceDeploymentArn": arn}

    def describe_service_deployments(self, **kwargs: Any) -> dict[str, Any]:
        self._record("DescribeServiceDeployments", kwargs)
        now, found, failures = self.clock.now, [], []
        for arn in kwargs["serviceDeploymentArns"]:
            service = next((s for s in self.services.values() if s.service_deployment_arn == arn), None)
            if service is None or service.deployment_controller != "ECS" or service.status(now) == "MISSING":
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            found.append(_service_deployment(service, now))
        return {"serviceDeployments": found, "failures": failures}

    def delete_express_gateway_service(self, **kwargs: Any) -> dict[str, Any]:
        """DeleteExpressGatewayService (ECS API reference): an Express service's tasks stop and it goes DRAINING,
        its scaling goes with it. The refusal of a service that is not an Express one is our guess at ECS's answer."""
        self._record("DeleteExpressGatewayService", kwargs)
        arn, now = str(kwargs["serviceArn"]), self.clock.now
        service = next((s for s in self.services.values() if s.arn == arn and s.status(now) != "MISSING"), None)
        if service is None:
            raise self._error("ServiceNotFoundException", "Service not found.", "DeleteExpressGatewayService")
        if service.resource_management != "ECS":
            message = "The service is not an Express service."
            raise self._error("InvalidParameterException", message, "DeleteExpressGatewayService")
        if service.status(now) != "ACTIVE":
            raise self._error("ServiceNotActiveException", "Service was not ACTIVE.", "DeleteExpressGatewayService")
        self._delete(service, now)
        service.forced = True
        if self.autoscaling is not None:
            self.autoscaling.forget(f"service/{service.cluster}/{service.name}")
        status = {"statusCode": "DRAINING"}
        return {
            "service": {
                "cluster": service.cluster_arn,
                "serviceName": service.name,
                "serviceArn": arn,
                "status": status,
            }
        }


def _listed(service: FakeService, now: float, filters: dict[str, Any]) -> bool:
    if service.status(now) != "ACTIVE":
        return False
    wanted = {
        "schedulingStrategy": service.scheduling,
        "launchType": _launch_type(service),
        "resourceManagementType": service.resource_management,
    }
    return all(filters.get(key) in (None, value) for key, value in wanted.items())


def _make_token(cluster: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{cluster}:{position}".encode()).decode()


def _read_token(token: str | None, cluster: str, size: int) -> int | None:
    if not token:
        return 0
    try:
        where, position = base64.urlsafe_b64decode(token.encode()).decode().rsplit(":", 1)
        start = int(position)
    except (ValueError, UnicodeDecodeError):
        return None
    return start if where == cluster and 0 <= start <= size else None


def _service_deployment(service: FakeService, now: float) -> dict[str, Any]:
    end = service.rollout_ends_at()
    if end is None or now >= end:
        status = "ROLLBACK_SUCCESSFUL" if service.rollback_requested_at is not None else "SUCCESSFUL"
    else:
        status = "ROLLBACK_IN_PROGRESS" if service.rollback_requested_at is not None else "IN_PROGRESS"
    answer: dict[str, Any] = {
        "serviceDeploymentArn": service.service_deployment_arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "createdAt": timestamp(service.created_at),
        "startedAt": timestamp(service.created_at),
        "updatedAt": timestamp(now),
        "status": status,
    }
    if status.endswith("SUCCESSFUL"):
        answer["finishedAt"] = timestamp(end if end is not None and not math.isinf(end) else service.created_at)
    return answer


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
