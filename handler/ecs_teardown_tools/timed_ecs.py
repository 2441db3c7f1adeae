"""moto's ECS backend with `Timeline`s played on top, and what surrounds a service in AWS played around it.

moto answers with ECS's real API shapes and error codes, but its services stop their tasks and go INACTIVE the
instant they are asked. `TimedBackend` wraps its ECS backend (in this process, behind its HTTP server) so that
tasks take seconds to stop, DeleteService leaves a service DRAINING for a while, DAEMON services refuse a
desiredCount, and a DRAINING service refuses UpdateService, as ECS does. Around a service, read from moto's own
backends (in this process) at the moment they matter:
- behind a load balancer (a `targetGroupArn` in its loadBalancers), its tasks keep running after the scale-down for
  the longest deregistration delay of its target groups as it stands at that moment (moto's elbv2), then stop;
- no task outlives the task definition's largest stopTimeout once it is told to stop (ECS kills it then);
- with an Application Auto Scaling target, a scale-out alarm raises desired back to MinCapacity `scale_out_after_s`
  after each scale-down to zero, unless the target's DynamicScalingOutSuspended is true (moto's
  application-autoscaling), and the tasks start again: as real alarms fight a scale-down by hand.

A service played with a `Rollout` has a rolling deployment (ECS deployment controller) in progress, which moto does
not model: DescribeServices shows its `currentServiceDeployment` and a PRIMARY deployment IN_PROGRESS next to the
ACTIVE one it replaces; DeleteService without force is refused with "deployments are active" until the rollout
completes on its own or, after StopServiceDeployment (ROLLBACK), its rollback completes. moto has no
StopServiceDeployment: `install` adds it to moto's ECS responses (in this process) for as long as a `TimedBackend`
is installed. A played service without a rollout shows its one deployment COMPLETED (moto's stays IN_PROGRESS while
its running count, which it never moves, is below desired).
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ecs_teardown.aws.surroundings import DELAY_KEY, SCALABLE_DIMENSION
from ecs_teardown.core.drain import DEFAULT_DEREGISTRATION_DELAY_S, DEFAULT_STOP_TIMEOUT_S

from .timeline import ACTIVE, ServiceTimeline

DAEMON_REFUSAL = "The daemon scheduling strategy does not support a desired count for services."
DEFAULT_DELAY_S = float(DEFAULT_DEREGISTRATION_DELAY_S)  # ELB's default deregistration delay
SCALE_OUT_AFTER_S = 1.5  # how soon after a scale-down to zero a scale-out alarm raises desired again
# DeleteService's refusal while a deployment is in progress, as the project's notes record it (DESIGN.md, "Facts
# that shape the design"; the tests' fake ECS answers the same): InvalidParameterException with these words.
DEPLOYMENTS_ACTIVE = "The service cannot be stopped while deployments are active."
# StopServiceDeployment's stopType (ECS API reference, StopServiceDeployment): "The valid values are ROLLBACK."
# (botocore's model also lists ABORT, which the reference does not document); it is optional.
ROLLBACK = "ROLLBACK"
ROLLBACK_S = 2.0  # StopServiceDeployment accepted -> the rollback completes


@dataclass
class Rollout:
    """A rolling deployment (ECS deployment controller) in progress from the moment its service is played.

    It completes on its own `ends_after_s` later (math.inf: never), unless StopServiceDeployment (ROLLBACK) is
    accepted first: then it rolls back, which completes `rollback_s` after the stop (math.inf: never, as when the
    previous revision cannot start either). While either is in progress, DeleteService without force is refused.
    """

    ends_after_s: float = math.inf
    rollback_s: float = ROLLBACK_S
    started_at: float | None = None  # when it was played
    stop_requested_at: float | None = None  # when StopServiceDeployment was first accepted
    arn: str = ""  # the service deployment's ARN, set when played

    def ends_at(self) -> float:
        """When the rollout, or its rollback once one was requested, completes (math.inf: never)."""
        if self.started_at is None:
            return -math.inf
        if self.stop_requested_at is not None:
            return self.stop_requested_at + self.rollback_s
        return self.started_at + self.ends_after_s

    def in_progress(self, now: float) -> bool:
        return now < self.ends_at()

    def rolling_back(self, now: float) -> bool:
        return self.stop_requested_at is not None and self.in_progress(now)


@dataclass
class Timeline(ServiceTimeline):
    """A `ServiceTimeline` with the demo's defaults (tasks stop evenly over 4 s, then 3 s DRAINING), which can be
    held by a deregistration delay and started again by auto scaling."""

    tasks: int = 0  # running tasks at the start (moto starts services with none running)
    task_stop_s: float = 4.0
    draining_s: float = 3.0
    held_s: float = 0.0  # behind a load balancer: the tasks kept running this long after the stop (set at the stop)
    rollout: Rollout | None = None  # a rolling deployment in progress when played

    def hold(self, delay_s: float, stop_timeout_s: float) -> None:
        """Before the first stop: the tasks will keep running for `delay_s`, then stop as modelled, each within
        `stop_timeout_s`."""
        if self.stop_started_at is not None:
            return
        self.held_s = max(0.0, delay_s)
        if self.stop_offsets is not None:
            self.stop_offsets = tuple(min(offset, stop_timeout_s) for offset in self.stop_offsets)
            self.__post_init__()
        else:
            self.task_stop_s = min(self.task_stop_s, stop_timeout_s)

    def restart(self, tasks: int) -> None:
        """Auto scaling raised desired again: `tasks` run again, and nothing is stopping."""
        self.tasks, self.stop_offsets, self.stop_started_at, self.held_s = tasks, None, None, 0.0

    def running(self, now: float) -> int:
        if self.stop_started_at is not None and now < self.stop_started_at + self.held_s:
            return self.tasks
        return super().running(now - self.held_s)

    def tasks_gone_at(self) -> float | None:
        gone = super().tasks_gone_at()
        return None if gone is None else gone + self.held_s


@dataclass(frozen=True)
class DeploymentCall:
    """A call that a service's rollout answers: DeleteService (`detail` "force" or "") or StopServiceDeployment
    (`detail` its stopType); `answer` is "accepted" or the error code."""

    call: str
    service: str
    at: float
    detail: str
    answer: str


def _deployment_id() -> str:
    return f"ecs-svc/{secrets.randbelow(10**19)}"  # as moto spells its own: "ecs-svc/" and a number


@dataclass
class _Deployments:
    """What DescribeServices shows of one played service's deployments: moto's own PRIMARY deployment as the one
    before any rollout, and the ids (and creation times) of the rollout's and the rollback's."""

    base: dict[str, Any]
    new_id: str = field(default_factory=_deployment_id)
    rollback_id: str = field(default_factory=_deployment_id)
    rollback_created: Any = None


def _service_deployment_arn(partition: str, region: str, account: str, cluster: str, service: str) -> str:
    """As the StopServiceDeployment example of the AWS SDK for Kotlin reference spells one:
    arn:aws:ecs:us-east-1:123456789012:service-deployment/MyCluster/MyService/r9i43YFjvgF_xlg7m2eJ1r (22 characters
    of A-Z, a-z, 0-9, _ and -, as 16 random bytes in URL-safe base64 are)."""
    return f"arn:{partition}:ecs:{region}:{account}:service-deployment/{cluster}/{service}/{secrets.token_urlsafe(16)}"


@dataclass(frozen=True)
class ScaleOut:
    """A scale-out alarm after a scale-down to zero: when it fired, and the desired count it set (None: the
    target's scale-out was suspended, or desired was already at MinCapacity)."""

    cluster: str
    service: str
    at: float
    raised_to: int | None


# moto's ECS responses (one class, shared by the process) get a StopServiceDeployment while any TimedBackend is
# installed: how many are.
_STOP_ACTION = "stop_service_deployment"
_stop_action_users = 0
_stop_action_lock = threading.Lock()


def _stop_service_deployment_action(response: Any) -> Any:
    """StopServiceDeployment for moto's ECS responses, which lack it: handed to the backend's TimedBackend."""
    from moto.core.responses import ActionResult

    arn = str(response._get_param("serviceDeploymentArn") or "")
    stop = response.ecs_backend.__dict__.get(_STOP_ACTION)  # a TimedBackend's, when one plays this account/region
    if stop is None:
        raise _not_found(arn)
    return ActionResult({"serviceDeploymentArn": stop(arn, str(response._get_param("stopType") or ROLLBACK))})


class TimedBackend:
    """moto's ECS backend with `Timeline`s played on top, for the calls the engine makes: a service that has
    a timeline shows its running tasks, status and deployments as the timeline says, and is refused as ECS refuses.
    `notify` hears what happens around services (holds, alarms, rollbacks); it is called under the lock and must
    not call AWS."""

    CALLS = ("describe_services", "update_service", "delete_service", _STOP_ACTION)

    def __init__(
        self,
        backend: Any,
        timelines: dict[tuple[str, str], Timeline],
        clock: Callable[[], float],
        lock: threading.Lock,
        scale_out_after_s: float = SCALE_OUT_AFTER_S,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.backend, self.timelines, self.clock, self.lock = backend, timelines, clock, lock
        self.scale_out_after_s, self.notify = scale_out_after_s, notify
        self.writes: list[tuple[str, str, float]] = []  # (call, service, clock) of every write, for tests
        self.scale_outs: list[ScaleOut] = []  # every alarm that fired, for the demo and tests
        self.deployment_calls: list[DeploymentCall] = []  # what rollouts answered, for tests
        self._armed: dict[tuple[str, str], float] = {}  # service -> its last scale-down to zero, alarm pending
        self._deployments: dict[tuple[str, str], _Deployments] = {}
        self.describe, self.update, self.delete = (
            backend.describe_services,
            backend.update_service,
            backend.delete_service,
        )

    def install(self) -> None:
        global _stop_action_users
        from moto.ecs.responses import EC2ContainerServiceResponse

        for name in self.CALLS:
            setattr(self.backend, name, getattr(self, name))
        with _stop_action_lock:
            _stop_action_users += 1
            setattr(EC2ContainerServiceResponse, _STOP_ACTION, _stop_service_deployment_action)

    def uninstall(self) -> None:
        """moto's backends and responses are shared by the process: unwrap, as far as this backend is concerned."""
        global _stop_action_users
        from moto.ecs.responses import EC2ContainerServiceResponse

        for name in self.CALLS:
            self.backend.__dict__.pop(name, None)
        with _stop_action_lock:
            _stop_action_users -= 1
            if _stop_action_users == 0:
                delattr(EC2ContainerServiceResponse, _STOP_ACTION)

    def begin_rollout(self, cluster: str, name: str, rollout: Rollout) -> None:
        """The service's rollout starts now (called under the lock, once the service exists in moto)."""
        service = self.backend._get_service(cluster, name)
        controller = (service.deployment_controller or {}).get("type", "ECS")
        if controller != "ECS" or not service.deployments:
            raise ValueError(f"{cluster}/{name}: only a service of the ECS deployment controller has a rolling update")
        rollout.started_at = self.clock()
        partition = str(service.arn).split(":")[1]
        rollout.arn = _service_deployment_arn(
            partition, self.backend.region_name, self.backend.account_id, service.cluster_name, service.name
        )
        self._deployments_of(service)

    def describe_services(self, cluster_str: str, names: list[str]) -> Any:
        with self.lock:
            found, failures = self.describe(cluster_str, names)
            for service in found:
                self._refresh(service)
            return found, failures

    def update_service(self, properties: dict[str, Any]) -> Any:
        from moto.ecs.exceptions import InvalidParameterException

        with self.lock:
            self.writes.append(("update_service", str(properties["service"]), self.clock()))
            timeline, service = self._timeline_of(properties.get("cluster", "default"), properties["service"])
            if timeline is None:
                return self.update(properties)
            self._refuse_unless_active(service)
            if properties.get("desired_count") is not None and service.scheduling_strategy == "DAEMON":
                raise InvalidParameterException(DAEMON_REFUSAL)
            result = self.update(properties)
            if properties.get("desired_count") == 0:
                self._stop(service, timeline)
                timeline.stop(self.clock())
                self._armed[(service.cluster_name, service.name)] = self.clock()
            self._refresh(service)
            return result

    def delete_service(self, cluster_str: str, service_str: str, force: bool) -> Any:
        with self.lock:
            self.writes.append(("delete_service", service_str, self.clock()))
            timeline, service = self._timeline_of(cluster_str, service_str)
            if timeline is None:
                return self.delete(cluster_str, service_str, force)
            self._refuse_unless_active(service)
            self._refuse_while_rolling(service, timeline, bool(force))
            if service.scheduling_strategy == "DAEMON":
                service.desired_count = 0  # ECS stops a DAEMON's tasks itself on DeleteService
            result = self.delete(cluster_str, service_str, force)
            if timeline.rollout is not None:
                detail = "force" if force else ""
                self.deployment_calls.append(
                    DeploymentCall("DeleteService", service.name, self.clock(), detail, "accepted")
                )
            self._stop(service, timeline)
            timeline.delete(self.clock())
            self._armed.pop((service.cluster_name, service.name), None)  # nothing scales a deleted service
            self._refresh(service)
            return result

    def _timeline_of(self, cluster_str: str, service_str: str) -> tuple[Timeline | None, Any]:
        service = self.backend._get_service(cluster_str, service_str)
        return self.timelines.get((service.cluster_name, service.name)), service

    def _refresh(self, service: Any) -> None:
        timeline = self.timelines.get((service.cluster_name, service.name))
        if timeline is None:
            return
        now = self.clock()
        self._scale_out(service, timeline, now)
        service.running_count, service.pending_count = timeline.running(now), 0
        service.status = timeline.status(now)
        self._show_deployments(service, timeline, now)

    def stop_service_deployment(self, arn: str, stop_type: str) -> str:
        """StopServiceDeployment (ECS API reference; the developer guide's "Stopping Amazon ECS service deployments":
        a deployment IN_PROGRESS "moves to the ROLLBACK_REQUESTED state, and then the rollback operation starts",
        one already rolling back "continues the rollback operation"). The errors are the API reference's: an ARN
        that names no deployment, ServiceDeploymentNotFoundException; a stopType other than ROLLBACK ("The valid
        values are ROLLBACK."), InvalidParameterException; a deployment no longer in progress, ConflictException
        ("conflict in the current state of the resource"). The messages are ours, as in the tests' fake ECS."""
        with self.lock:
            now = self.clock()
            found = [
                (k, t.rollout) for k, t in self.timelines.items() if t.rollout is not None and t.rollout.arn == arn
            ]
            (_, name), rollout = found[0] if found else (("", ""), None)
            refusal = _stop_refusal(rollout, arn, stop_type, now)
            answer = "accepted" if refusal is None else str(getattr(refusal, "code", type(refusal).__name__))
            self.deployment_calls.append(DeploymentCall("StopServiceDeployment", name, now, stop_type, answer))
            if refusal is not None or rollout is None:
                raise refusal or _not_found(arn)
            self.writes.append((_STOP_ACTION, name, now))
            if rollout.stop_requested_at is None:
                rollout.stop_requested_at = now
                if self.notify is not None:
                    takes = "never ends" if math.isinf(rollout.rollback_s) else f"takes {rollout.rollback_s:g} s"
                    self.notify(f"  AWS: {name}'s rolling deployment is stopped and rolls back (this rollback {takes})")
            return arn

    def _refuse_while_rolling(self, service: Any, timeline: Timeline, force: bool) -> None:
        """DeleteService without force, of a REPLICA service scaled to zero, while its rollout (or the rollback) is
        in progress: "deployments are active". A service still scaled above zero gets moto's own refusal."""
        from moto.ecs.exceptions import InvalidParameterException

        rollout, now = timeline.rollout, self.clock()
        if rollout is None or force or service.scheduling_strategy != "REPLICA" or service.desired_count > 0:
            return
        if rollout.in_progress(now):
            self.deployment_calls.append(
                DeploymentCall("DeleteService", service.name, now, "", "InvalidParameterException")
            )
            raise InvalidParameterException(DEPLOYMENTS_ACTIVE)

    def _deployments_of(self, service: Any) -> _Deployments | None:
        """Moto's own PRIMARY deployment, as it was first seen, and the ids of those the emulator adds."""
        key = (service.cluster_name, service.name)
        if key not in self._deployments:
            if not service.deployments:  # not the ECS deployment controller: moto shows none
                return None
            self._deployments[key] = _Deployments(dict(service.deployments[0]))
        return self._deployments[key]

    def _show_deployments(self, service: Any, timeline: Timeline, now: float) -> None:
        """`deployments` and `currentServiceDeployment` (ECS API reference, Service and Deployment): the PRIMARY
        deployment COMPLETED once the service is steady; while a rollout is in progress, the new PRIMARY one
        IN_PROGRESS next to the ACTIVE one it replaces, which "still has running tasks" (the tasks split between
        them), and after StopServiceDeployment the rollback's the same way. The rollout's deployment runs the same
        task definition, as one started by UpdateService's forceNewDeployment does."""
        from moto.core.utils import utcnow

        shown = self._deployments_of(service)
        if shown is None:
            return
        desired, running, rollout = service.desired_count, service.running_count, timeline.rollout
        if rollout is None or rollout.started_at is None:
            service.deployments = [_deployment(shown.base, shown.base["id"], "PRIMARY", False, desired, running)]
            return
        service.current_service_deployment = rollout.arn
        rolled_back = rollout.stop_requested_at is not None
        if rolled_back and shown.rollback_created is None:
            shown.rollback_created = utcnow()
        primary = shown.rollback_id if rolled_back else shown.new_id
        created = shown.rollback_created if rolled_back else shown.base.get("createdAt")
        if not rollout.in_progress(now):
            service.deployments = [_deployment(shown.base, primary, "PRIMARY", False, desired, running, created)]
            return
        replaced, moved = (shown.new_id if rolled_back else shown.base["id"]), running // 2
        service.deployments = [
            _deployment(shown.base, primary, "PRIMARY", True, desired, moved, created),
            _deployment(shown.base, replaced, "ACTIVE", False, running - moved, running - moved),
        ]

    def _refuse_unless_active(self, service: Any) -> None:
        from moto.ecs.exceptions import ECSException

        self._refresh(service)
        if service.status != ACTIVE:
            raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")

    def _stop(self, service: Any, timeline: Timeline) -> None:
        """The tasks are told to stop (unless they already were): held by the deregistration delay as it stands."""
        if timeline.stop_started_at is not None:
            return
        delay_s, stop_timeout_s = self._delay_s(service), self._stop_timeout_s(service)
        timeline.hold(delay_s, stop_timeout_s)
        if service.load_balancers and self.notify is not None:
            self.notify(
                f"  AWS: {service.name}'s tasks stay registered for the deregistration delay ({delay_s:g} s), then "
                f"stop within the stopTimeout ({stop_timeout_s:g} s)"
            )

    def _delay_s(self, service: Any) -> float:
        from moto.elbv2.models import elbv2_backends

        groups = elbv2_backends[self.backend.account_id][self.backend.region_name].target_groups
        delays = [
            float(str(groups[arn].attributes.get(DELAY_KEY, DEFAULT_DELAY_S))) if arn in groups else DEFAULT_DELAY_S
            for arn in (str(lb.get("targetGroupArn") or "") for lb in service.load_balancers or [])
            if arn
        ]
        return max(delays, default=0.0)

    def _stop_timeout_s(self, service: Any) -> float:
        from moto.ecs.exceptions import TaskDefinitionNotFoundException

        try:
            definition = self.backend.describe_task_definition(str(service.task_definition or ""))
        except TaskDefinitionNotFoundException:
            return DEFAULT_STOP_TIMEOUT_S
        timeouts = [float(c.get("stopTimeout") or DEFAULT_STOP_TIMEOUT_S) for c in definition.container_definitions]
        return max(timeouts, default=DEFAULT_STOP_TIMEOUT_S)

    def _scale_out(self, service: Any, timeline: Timeline, now: float) -> None:
        """The scale-out alarm a scale-down to zero sets off, once it is due: desired back to MinCapacity, unless
        the service's scalable target has its scale-out suspended (or it has none)."""
        key = (service.cluster_name, service.name)
        armed = self._armed.get(key)
        if armed is None or now < armed + self.scale_out_after_s:
            return
        del self._armed[key]
        target = self._scalable_target(service)
        if target is None or timeline.deleted_at is not None:
            return
        state = target.suspended_state if isinstance(target.suspended_state, dict) else {}
        minimum = int(target.min_capacity or 0)
        raised = None
        if state.get("DynamicScalingOutSuspended") is True:
            did = f"found scale-out suspended: desired stays {service.desired_count}"
        elif minimum > service.desired_count:
            service.desired_count = raised = minimum
            timeline.restart(minimum)
            did = f"raised desired to {minimum} (MinCapacity)"
        else:
            did = f"left desired at {service.desired_count} (MinCapacity {minimum})"
        self.scale_outs.append(ScaleOut(service.cluster_name, service.name, armed + self.scale_out_after_s, raised))
        if self.notify is not None:
            self.notify(f"  AWS: Application Auto Scaling's scale-out alarm for {service.name} {did}")

    def _scalable_target(self, service: Any) -> Any:
        from moto.applicationautoscaling.models import applicationautoscaling_backends

        backend = applicationautoscaling_backends[self.backend.account_id][self.backend.region_name]
        return backend.targets.get(SCALABLE_DIMENSION, {}).get(f"service/{service.cluster_name}/{service.name}")


def _not_found(arn: str) -> Exception:
    from moto.ecs.exceptions import ECSException

    return ECSException("ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist.")


def _stop_refusal(rollout: Rollout | None, arn: str, stop_type: str, now: float) -> Exception | None:
    """StopServiceDeployment's refusal, or None: the API reference's errors, with messages of ours (as the fake's)."""
    from moto.ecs.exceptions import ECSException, InvalidParameterException

    if rollout is None:
        return _not_found(arn)
    if stop_type != ROLLBACK:
        return InvalidParameterException("The valid values are ROLLBACK.")
    if not rollout.in_progress(now):
        return ECSException(
            "ConflictException", f"The service deployment {arn} is not in progress and cannot be stopped."
        )
    return None


def _deployment(
    base: dict[str, Any],
    deployment_id: str,
    status: str,
    in_progress: bool,
    desired: int,
    running: int,
    created: Any = None,
) -> dict[str, Any]:
    """One of DescribeServices' `deployments`, on moto's own as a base; its words are moto's (and the fake's)."""
    from moto.core.utils import utcnow

    state = "IN_PROGRESS" if in_progress else "COMPLETED"
    return {
        **base,
        "id": deployment_id,
        "status": status,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": 0,
        "rolloutState": state,
        "rolloutStateReason": f"ECS deployment {deployment_id} {'in progress' if in_progress else 'completed'}.",
        "createdAt": created if created is not None else base.get("createdAt"),
        "updatedAt": utcnow(),
    }
