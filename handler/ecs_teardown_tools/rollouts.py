"""Rolling deployments played on moto's ECS backend, for the `TimedBackend` (timed_ecs.py) that plays its services.

A service played with a `Rollout` has a rolling deployment (ECS deployment controller) in progress, which moto does
not model: DescribeServices shows its `currentServiceDeployment` and a PRIMARY deployment IN_PROGRESS next to the
ACTIVE one it replaces; DeleteService without force is refused with "deployments are active" until the rollout
completes on its own or, after StopServiceDeployment (ROLLBACK), its rollback completes. moto has no
StopServiceDeployment: `add_stop_action` adds it to moto's ECS responses (in this process) for as long as a
`TimedBackend` is installed. A played service without a rollout shows its one deployment COMPLETED (moto's stays
IN_PROGRESS while its running count, which it never moves, is below desired).
"""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

# DeleteService's refusal while a deployment is in progress, as the project's notes record it (DESIGN.md, "Facts
# that shape the design"; the tests' fake ECS answers the same): InvalidParameterException with these words.
DEPLOYMENTS_ACTIVE = "The service cannot be stopped while deployments are active."
# StopServiceDeployment's stopType (ECS API reference, StopServiceDeployment): "The valid values are ROLLBACK."
# (botocore's model also lists ABORT, which the reference does not document); it is optional.
ROLLBACK = "ROLLBACK"
ROLLBACK_S = 2.0  # StopServiceDeployment accepted -> the rollback completes
STOP_ACTION = "stop_service_deployment"  # StopServiceDeployment's name on moto's ECS backend and responses


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


class InProgress(Protocol):
    """A deployment that keeps DeleteService refusing while it is in progress: a `Rollout`, or a CodeDeploy one."""

    def in_progress(self, now: float) -> bool: ...


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


# moto's ECS responses (one class, shared by the process) get a StopServiceDeployment while any TimedBackend is
# installed: how many are.
_stop_action_users = 0
_stop_action_lock = threading.Lock()


def _stop_service_deployment_action(response: Any) -> Any:
    """StopServiceDeployment for moto's ECS responses, which lack it: handed to the backend's TimedBackend."""
    from moto.core.responses import ActionResult

    arn = str(response._get_param("serviceDeploymentArn") or "")
    stop = response.ecs_backend.__dict__.get(STOP_ACTION)  # a TimedBackend's, when one plays this account/region
    if stop is None:
        raise _not_found(arn)
    return ActionResult({"serviceDeploymentArn": stop(arn, str(response._get_param("stopType") or ROLLBACK))})


def add_stop_action() -> None:
    """A TimedBackend is installed: moto's ECS responses have StopServiceDeployment (again)."""
    global _stop_action_users
    from moto.ecs.responses import EC2ContainerServiceResponse

    with _stop_action_lock:
        _stop_action_users += 1
        setattr(EC2ContainerServiceResponse, STOP_ACTION, _stop_service_deployment_action)


def remove_stop_action() -> None:
    """A TimedBackend is uninstalled: once none is left, moto's ECS responses are as they were found."""
    global _stop_action_users
    from moto.ecs.responses import EC2ContainerServiceResponse

    with _stop_action_lock:
        _stop_action_users -= 1
        if _stop_action_users == 0:
            delattr(EC2ContainerServiceResponse, STOP_ACTION)


class Rollouts:
    """The rolling deployments of the services one `TimedBackend` plays (its moto ECS `backend`, `clock` and
    `notify`; called under its lock): what DescribeServices shows of them, and what they answer. An accepted
    StopServiceDeployment is recorded in `writes` (the TimedBackend's)."""

    def __init__(
        self,
        backend: Any,
        clock: Callable[[], float],
        notify: Callable[[str], None] | None,
        writes: list[tuple[str, str, float]],
    ) -> None:
        self.backend, self.clock, self.notify, self.writes = backend, clock, notify, writes
        self.deployment_calls: list[DeploymentCall] = []  # what rollouts answered, for tests
        self._deployments: dict[tuple[str, str], _Deployments] = {}

    def begin(self, cluster: str, name: str, rollout: Rollout) -> None:
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

    def stop(self, played: Iterable[tuple[tuple[str, str], Rollout]], arn: str, stop_type: str) -> str:
        """StopServiceDeployment of one of the `played` rollouts (ECS API reference; the developer guide's
        "Stopping Amazon ECS service deployments": a deployment IN_PROGRESS "moves to the ROLLBACK_REQUESTED state,
        and then the rollback operation starts", one already rolling back "continues the rollback operation"). The
        errors are the API reference's: an ARN that names no deployment, ServiceDeploymentNotFoundException; a
        stopType other than ROLLBACK ("The valid values are ROLLBACK."), InvalidParameterException; a deployment no
        longer in progress, ConflictException ("conflict in the current state of the resource"). The messages are
        ours, as in the tests' fake ECS."""
        now = self.clock()
        found = [(k, rollout) for k, rollout in played if rollout.arn == arn]
        (_, name), rollout = found[0] if found else (("", ""), None)
        refusal = _stop_refusal(rollout, arn, stop_type, now)
        answer = "accepted" if refusal is None else str(getattr(refusal, "code", type(refusal).__name__))
        self.deployment_calls.append(DeploymentCall("StopServiceDeployment", name, now, stop_type, answer))
        if refusal is not None or rollout is None:
            raise refusal or _not_found(arn)
        self.writes.append((STOP_ACTION, name, now))
        if rollout.stop_requested_at is None:
            rollout.stop_requested_at = now
            if self.notify is not None:
                takes = "never ends" if math.isinf(rollout.rollback_s) else f"takes {rollout.rollback_s:g} s"
                self.notify(f"  AWS: {name}'s rolling deployment is stopped and rolls back (this rollback {takes})")
        return arn

    def refuse_delete(self, service: Any, deployment: InProgress | None, force: bool) -> None:
        """DeleteService without force, of a REPLICA service scaled to zero, while its deployment (a rollout or its
        rollback, a CodeDeploy one) is in progress: "deployments are active". Scaled above zero: moto's refusal."""
        from moto.ecs.exceptions import InvalidParameterException

        now = self.clock()
        if deployment is None or force or service.scheduling_strategy != "REPLICA" or service.desired_count > 0:
            return
        if deployment.in_progress(now):
            self.deployment_calls.append(
                DeploymentCall("DeleteService", service.name, now, "", "InvalidParameterException")
            )
            raise InvalidParameterException(DEPLOYMENTS_ACTIVE)

    def deleted(self, service: Any, deployment: InProgress | None, force: bool) -> None:
        """DeleteService was accepted: recorded, if the service has a deployment played."""
        if deployment is not None:
            detail = "force" if force else ""
            self.deployment_calls.append(
                DeploymentCall("DeleteService", service.name, self.clock(), detail, "accepted")
            )

    def _deployments_of(self, service: Any) -> _Deployments | None:
        """Moto's own PRIMARY deployment, as it was first seen, and the ids of those the emulator adds."""
        key = (service.cluster_name, service.name)
        if key not in self._deployments:
            if not service.deployments:  # not the ECS deployment controller: moto shows none
                return None
            self._deployments[key] = _Deployments(dict(service.deployments[0]))
        return self._deployments[key]

    def show(self, service: Any, rollout: Rollout | None, now: float) -> None:
        """`deployments` and `currentServiceDeployment` (ECS API reference, Service and Deployment): the PRIMARY
        deployment COMPLETED once the service is steady; while a rollout is in progress, the new PRIMARY one
        IN_PROGRESS next to the ACTIVE one it replaces, which "still has running tasks" (the tasks split between
        them), and after StopServiceDeployment the rollback's the same way. The rollout's deployment runs the same
        task definition, as one started by UpdateService's forceNewDeployment does."""
        from moto.core.utils import utcnow

        shown = self._deployments_of(service)
        if shown is None:
            return
        desired, running = service.desired_count, service.running_count
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
