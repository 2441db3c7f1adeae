"""A fake Application Auto Scaling client for ECS services, with scaling that fights a teardown as real scaling does.

It quacks like boto3's `application-autoscaling` client for DescribeScalableTargets, RegisterScalableTarget and
DeregisterScalableTarget, checks parameters against botocore's model, raises botocore's modeled errors, and records
every call. A scalable target may carry what changes a service's desired count behind the teardown's back:

- `ScaleOutAlarm(after_s)`: `after_s` after each scale-down of the service to zero, a scale-out alarm is in breach
  and its policy raises the desired count by `step`, to at least MinCapacity (at most MaxCapacity), unless
  DynamicScalingOutSuspended. An alarm in breach while suspended acts once scaling is resumed ("When you resume
  scale out, Application Auto Scaling evaluates policies with alarm thresholds that are currently in breach").
- `ScheduledAction(at, min_capacity, max_capacity)`: at clock time `at` the target gets the new bounds and the
  desired count is brought inside them, unless ScheduledScalingSuspended; an action due while suspended is skipped
  (a resume "only evaluates scheduled actions whose execution time has not yet passed").
  Both quotes: Application Auto Scaling user guide, "Suspend and resume scaling",
  https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-suspend-resume-scaling.html

RegisterScalableTarget's semantics (API reference,
https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html): it "registers or
updates"; a new target needs MinCapacity and MaxCapacity; on an update "any parameters that you don't specify are not
changed" (here also each SuspendedState flag left out); with a new range it "changes the resource's current capacity
to a value that is inside of this range" when the resource is active. DeregisterScalableTarget of an unknown target
is ObjectNotFoundException (the model's error; moto answers ValidationException), and it deletes the target's
scaling policies and scheduled actions. The messages are ours where the docs do not give them.

Events are played in time order before every call to this client or to the fake ECS it is wired to (`catch_up`), so
each acts on the world as it was at its own time: no call happened in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support.fake_ecs import ACCOUNT, REGION, FakeClient, FakeClock, FakeEcs, FakeService, Fault, ident, timestamp

DIMENSION = "ecs:service:DesiredCount"
FLAGS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")
MAX_RESULTS = 50  # DescribeScalableTargets: 1-50, 50 by default
ROLE = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService"


@dataclass
class ScaleOutAlarm:
    after_s: float  # after each scale-down to zero, the alarm is in breach
    step: int = 1  # the policy's step: desired + step, at least MinCapacity, at most MaxCapacity
    acted_for: float | None = None  # the scale-down it last acted on


@dataclass
class ScheduledAction:
    at: float  # clock time
    min_capacity: int | None = None
    max_capacity: int | None = None
    done: bool = False


@dataclass
class ScalableTarget:
    resource_id: str  # service/CLUSTER/SERVICE
    min_capacity: int
    max_capacity: int
    suspended: dict[str, bool]
    created_at: float
    alarms: list[ScaleOutAlarm] = field(default_factory=list)
    schedule: list[ScheduledAction] = field(default_factory=list)

    @property
    def arn(self) -> str:
        suffix = ident("abcdefghijklmnopqrstuvwxyz0123456789", 36, "scalable-target", self.resource_id)
        return f"arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/{suffix}"

    def describe(self) -> dict[str, Any]:
        return {
            "ServiceNamespace": "ecs",
            "ResourceId": self.resource_id,
            "ScalableDimension": DIMENSION,
            "MinCapacity": self.min_capacity,
            "MaxCapacity": self.max_capacity,
            "RoleARN": ROLE,
            "CreationTime": timestamp(self.created_at),
            "SuspendedState": dict(self.suspended),
            "ScalableTargetARN": self.arn,
        }


@dataclass
class Activity:
    """What auto scaling did (or would have done): `outcome` is "scaled", "suspended", "refused" or "skipped"."""

    when: float
    resource_id: str
    cause: str  # "alarm", "schedule" or "register"
    outcome: str
    desired_before: int | None = None
    desired_after: int | None = None


@dataclass
class FakeAutoScaling(FakeClient):
    clock: FakeClock
    ecs: FakeEcs | None = None  # the services the targets scale (FakeAws wires it)
    targets: dict[str, ScalableTarget] = field(default_factory=dict)
    fault: Fault | None = None  # called before each call; an exception it returns is raised
    calls: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)

    SERVICE = "application-autoscaling"

    def add_target(
        self,
        cluster: str,
        service: str,
        min_capacity: int = 1,
        max_capacity: int = 4,
        *,
        alarms: tuple[ScaleOutAlarm, ...] = (),
        schedule: tuple[ScheduledAction, ...] = (),
        suspended: dict[str, bool] | None = None,
    ) -> ScalableTarget:
        """A target registered before the test begins (no call recorded)."""
        flags = {flag: bool((suspended or {}).get(flag, False)) for flag in FLAGS}
        resource_id = f"service/{cluster}/{service}"
        target = ScalableTarget(
            resource_id, min_capacity, max_capacity, flags, self.clock.now, list(alarms), list(schedule)
        )
        self.targets[resource_id] = target
        return target

    def forget(self, resource_id: str) -> None:
        """The target goes with its service (DeleteExpressGatewayService), policies and scheduled actions too."""
        self.targets.pop(resource_id, None)

    # the fight

    def catch_up(self) -> None:
        """Play every scaling event due by now, in time order, each on the world as it was at its own time."""
        while (event := self._next_due()) is not None:
            when, target, action = event
            if isinstance(action, ScaleOutAlarm):
                self._alarm(when, target, action)
            else:
                self._scheduled(when, target, action)

    def _next_due(self) -> tuple[float, ScalableTarget, ScaleOutAlarm | ScheduledAction] | None:
        due: list[tuple[float, int, ScalableTarget, ScaleOutAlarm | ScheduledAction]] = []
        for target in self.targets.values():
            service = self._service(target)
            for alarm in target.alarms:
                if service is not None and service.scaled_at is not None and alarm.acted_for != service.scaled_at:
                    breach = service.scaled_at + alarm.after_s
                    if breach <= self.clock.now and not target.suspended["DynamicScalingOutSuspended"]:
                        due.append((breach, len(due), target, alarm))
            for action in target.schedule:
                if not action.done and action.at <= self.clock.now:
                    due.append((action.at, len(due), target, action))
        if not due:
            return None
        when, _, target, action = min(due, key=lambda item: (item[0], item[1]))
        return when, target, action

    def _alarm(self, breach: float, target: ScalableTarget, alarm: ScaleOutAlarm) -> None:
        service = self._service(target)
        assert service is not None and service.scaled_at is not None
        alarm.acted_for = service.scaled_at
        # an alarm held back by a suspension acts when scaling resumes, i.e. now (the resume was the last call)
        when = max(breach, self._resumed_at(target, breach))
        before = service.desired_now()
        after = min(target.max_capacity, max(target.min_capacity, before + alarm.step))
        self._set(target, service, when, "alarm", before, after)

    def _scheduled(self, when: float, target: ScalableTarget, action: ScheduledAction) -> None:
        action.done = True
        if target.suspended["ScheduledScalingSuspended"]:
            self.activities.append(Activity(when, target.resource_id, "schedule", "skipped"))
            return
        if action.min_capacity is not None:
            target.min_capacity = action.min_capacity
        if action.max_capacity is not None:
            target.max_capacity = action.max_capacity
        service = self._service(target)
        if service is not None:
            before = service.desired_now()
            self._set(target, service, when, "schedule", before, _clamp(before, target))

    def _set(
        self, target: ScalableTarget, service: FakeService, when: float, cause: str, before: int, after: int
    ) -> None:
        if after == before:
            return
        assert self.ecs is not None
        outcome = "scaled" if self.ecs.autoscale(service, after, when) else "refused"
        self.activities.append(Activity(when, target.resource_id, cause, outcome, before, after))

    def _resumed_at(self, target: ScalableTarget, since: float) -> float:
        """When scale-out was last resumed (a register that cleared DynamicScalingOutSuspended) after `since`."""
        resumes = [
            when
            for when, op, kwargs in self.calls
            if op == "RegisterScalableTarget"
            and when >= since
            and kwargs.get("ResourceId") == target.resource_id
            and (kwargs.get("SuspendedState") or {}).get("DynamicScalingOutSuspended") is False
        ]
        return max(resumes, default=since)

    def _service(self, target: ScalableTarget) -> FakeService | None:
        if self.ecs is None:
            return None
        _, cluster, name = target.resource_id.split("/", 2)
        return self.ecs.services.get((cluster, name))

    # the operations

    def _enter(self, operation: str, kwargs: dict[str, Any]) -> None:
        self.catch_up()
        self._record(operation, kwargs)
        if kwargs["ServiceNamespace"] != "ecs" or kwargs.get("ScalableDimension", DIMENSION) != DIMENSION:
            message = "Unsupported service namespace, resource type or scalable dimension"
            raise self._error("ValidationException", message, operation)

    def describe_scalable_targets(self, **kwargs: Any) -> dict[str, Any]:
        self._enter("DescribeScalableTargets", kwargs)
        limit = kwargs.get("MaxResults", MAX_RESULTS)
        if not 1 <= limit <= MAX_RESULTS:
            message = f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint"
            raise self._error("ValidationException", message, "DescribeScalableTargets")
        wanted = kwargs.get("ResourceIds")
        found = [t for t in self.targets.values() if not wanted or t.resource_id in wanted]
        start = int(kwargs.get("NextToken") or 0)
        if start > len(found):
            raise self._error("InvalidNextTokenException", "Invalid token", "DescribeScalableTargets")
        answer: dict[str, Any] = {"ScalableTargets": [t.describe() for t in found[start : start + limit]]}
        if start + limit < len(found):
            answer["NextToken"] = str(start + limit)
        return answer

    def register_scalable_target(self, **kwargs: Any) -> dict[str, Any]:
        operation = "RegisterScalableTarget"
        self._enter(operation, kwargs)
        resource_id = str(kwargs["ResourceId"])
        service = self._service_for(resource_id, operation)
        target = self.targets.get(resource_id)
        low, high = kwargs.get("MinCapacity"), kwargs.get("MaxCapacity")
        if target is not None:
            low = target.min_capacity if low is None else low
            high = target.max_capacity if high is None else high
        if low is None or high is None:
            message = "MinCapacity and MaxCapacity are required to register a new scalable target."
            raise self._error("ValidationException", message, operation)
        if low > high:
            raise self._error(
                "ValidationException", "Minimum capacity cannot be greater than maximum capacity", operation
            )
        if target is None:
            target = self.add_target(*resource_id.split("/", 2)[1:], min_capacity=low, max_capacity=high)
        target.min_capacity, target.max_capacity = low, high
        target.suspended.update({flag: bool(value) for flag, value in (kwargs.get("SuspendedState") or {}).items()})
        # "If you call the RegisterScalableTarget API operation to update an existing scalable target, Application
        # Auto Scaling retrieves the current capacity of the resource. If it's below the minimum capacity or above
        # the maximum capacity, Application Auto Scaling adjusts the capacity ... even if you don't include the
        # MinCapacity or MaxCapacity request parameters." (API reference, RegisterScalableTarget)
        if service is not None:
            before = service.desired_now()
            self._set(target, service, self.clock.now, "register", before, _clamp(before, target))
        self.catch_up()  # an alarm held back by the suspension acts at the resume
        return {"ScalableTargetARN": target.arn}

    def deregister_scalable_target(self, **kwargs: Any) -> dict[str, Any]:
        operation = "DeregisterScalableTarget"
        self._enter(operation, kwargs)
        resource_id = str(kwargs["ResourceId"])
        if resource_id not in self.targets:
            message = (
                f"No scalable target registered for service namespace: ecs, resource ID: {resource_id}, "
                f"scalable dimension: {DIMENSION}"
            )
            raise self._error("ObjectNotFoundException", message, operation)
        del self.targets[resource_id]  # its scaling policies and scheduled actions go with it
        return {}

    def _service_for(self, resource_id: str, operation: str) -> FakeService | None:
        parts = resource_id.split("/")
        if len(parts) != 3 or parts[0] != "service":
            message = "Unsupported service namespace, resource type or scalable dimension"
            raise self._error("ValidationException", message, operation)
        if self.ecs is None:
            return None
        service = self.ecs.services.get((parts[1], parts[2]))
        if service is None or service.status(self.clock.now) == "MISSING":
            raise self._error("ValidationException", f"ECS service doesn't exist: {resource_id}", operation)
        return service if service.status(self.clock.now) == "ACTIVE" else None


def _clamp(desired: int, target: ScalableTarget) -> int:
    return min(target.max_capacity, max(target.min_capacity, desired))
