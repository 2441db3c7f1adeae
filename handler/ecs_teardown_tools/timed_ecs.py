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

A service played with a `Rollout` has a rolling deployment in progress, which moto does not model: rollouts.py plays
its deployments, DeleteService's "deployments are active" and StopServiceDeployment, which it adds to moto. One played
with a `BlueGreen` has a CodeDeploy deployment in progress (its task sets are moto's own), one with `express` is an
ECS Express Mode service (`resourceManagementType: ECS`, which moto does not know).
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

from .rollouts import STOP_ACTION, Rollout, Rollouts, add_stop_action, remove_stop_action
from .timeline import ACTIVE, ServiceTimeline

DAEMON_REFUSAL = "The daemon scheduling strategy does not support a desired count for services."
DEFAULT_DELAY_S = float(DEFAULT_DEREGISTRATION_DELAY_S)  # ELB's default deregistration delay
SCALE_OUT_AFTER_S = 1.5  # how soon after a scale-down to zero a scale-out alarm raises desired again


def _codedeploy_id() -> str:
    return "d-" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(9))  # as d-ABCD12345


@dataclass
class BlueGreen:
    """A CodeDeploy blue/green deployment in progress, before its traffic shift, from the moment its service
    (deploymentController CODE_DEPLOY) is played: the service's original task set PRIMARY, the replacement ACTIVE,
    each with the deployment that created it as its externalId (ECS API reference, TaskSet: "If an AWS CodeDeploy
    deployment created a task set, the externalId parameter contains the AWS CodeDeploy deployment ID"). Until it
    completes `ends_after_s` later (math.inf: never), DeleteService without force is refused; then the replacement is
    PRIMARY and the original is gone."""

    ends_after_s: float = math.inf
    deployment_id: str = field(default_factory=_codedeploy_id)  # the deployment in progress (the ACTIVE task set's)
    original_id: str = field(default_factory=_codedeploy_id)  # the earlier, finished one that made the PRIMARY set
    started_at: float | None = None
    task_sets: tuple[str, str] = ("", "")  # the original's and the replacement's ARNs, once played (emulator.py)

    def in_progress(self, now: float) -> bool:
        return self.started_at is not None and now < self.started_at + self.ends_after_s

    def show(self, backend: Any, service: Any, now: float) -> None:
        """Once it completed: the replacement PRIMARY, the original deleted with moto's DeleteTaskSet (under the lock,
        which moto's UpdateServicePrimaryTaskSet would take again, through DescribeServices)."""
        if not self.in_progress(now) and any(t.task_set_arn == self.task_sets[0] for t in service.task_sets):
            backend.delete_task_set(service.cluster_arn, service.arn, self.task_sets[0])
            for task_set in service.task_sets:
                task_set.status = "PRIMARY"


@dataclass
class Timeline(ServiceTimeline):
    """A `ServiceTimeline` with the demo's defaults (tasks stop evenly over 4 s, then 3 s DRAINING), which can be
    held by a deregistration delay and started again by auto scaling."""

    tasks: int = 0  # running tasks at the start (moto starts services with none running)
    task_stop_s: float = 4.0
    draining_s: float = 3.0
    held_s: float = 0.0  # behind a load balancer: the tasks kept running this long after the stop (set at the stop)
    rollout: Rollout | None = None  # a rolling deployment in progress when played
    blue_green: BlueGreen | None = None  # a CodeDeploy deployment in progress when played (CODE_DEPLOY services)
    express: bool = False  # an ECS Express Mode service: DescribeServices shows resourceManagementType ECS

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
class ScaleOut:
    """A scale-out alarm after a scale-down to zero: when it fired, and the desired count it set (None: the
    target's scale-out was suspended, or desired was already at MinCapacity)."""

    cluster: str
    service: str
    at: float
    raised_to: int | None


class TimedBackend:
    """moto's ECS backend with `Timeline`s played on top, for the calls the engine makes: a service that has
    a timeline shows its running tasks, status and deployments as the timeline says, and is refused as ECS refuses.
    `notify` hears what happens around services (holds, alarms, rollbacks); it is called under the lock and must
    not call AWS."""

    CALLS = ("describe_services", "update_service", "delete_service", STOP_ACTION)

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
        self._armed: dict[tuple[str, str], float] = {}  # service -> its last scale-down to zero, alarm pending
        self.rollouts = Rollouts(backend, clock, notify, self.writes)  # the played services' rolling deployments
        self.deployment_calls = self.rollouts.deployment_calls  # what rollouts answered, for tests
        self.describe, self.update, self.delete = (
            backend.describe_services,
            backend.update_service,
            backend.delete_service,
        )

    def install(self) -> None:
        for name in self.CALLS:
            setattr(self.backend, name, getattr(self, name))
        add_stop_action()

    def uninstall(self) -> None:
        """moto's backends and responses are shared by the process: unwrap, as far as this backend is concerned."""
        for name in self.CALLS:
            self.backend.__dict__.pop(name, None)
        remove_stop_action()

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
            self.rollouts.refuse_delete(service, timeline.rollout or timeline.blue_green, bool(force))
            if service.scheduling_strategy == "DAEMON":
                service.desired_count = 0  # ECS stops a DAEMON's tasks itself on DeleteService
            result = self.delete(cluster_str, service_str, force)
            self.rollouts.deleted(service, timeline.rollout or timeline.blue_green, force)
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
        self.rollouts.show(service, timeline.rollout, now)
        if timeline.blue_green is not None:
            timeline.blue_green.show(self.backend, service, now)

    def stop_service_deployment(self, arn: str, stop_type: str) -> str:
        """StopServiceDeployment, which moto lacks (`add_stop_action` hands it here): `Rollouts.stop` answers it."""
        with self.lock:
            played = [(key, t.rollout) for key, t in self.timelines.items() if t.rollout is not None]
            return self.rollouts.stop(played, arn, stop_type)

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
