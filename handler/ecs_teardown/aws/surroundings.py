"""Around a service: its Application Auto Scaling target, its load balancers' target groups, its task definition.

`prepare` reads them once before the teardown's first write (every read first, then the writes), suspends the
service's scaling and, when asked, lowers the deregistration delay of its target groups that only the request's
services use and on which no drain is under way (targets.py); `restore` puts back what it changed if the service
is kept. A read that fails for a moment (throttled, a concurrent update, 5xx) makes the preparation wait for a
later round, a few times, as long as nothing was written yet; anything else is noted and skipped, and the teardown
goes on with ECS's own figures (core/drain.py). Every call is first cleared with `may_call` (the invocation's time).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.drain import DEFAULT_STOP_TIMEOUT_S, FastDrain, Preparation, Scaling
from ..core.model import DAEMON, ServiceSnapshot
from .errors import error_code, error_message, is_transient
from .siblings import ClientFor
from .targets import TargetGroupUsers, draining_targets

DELAY_KEY = "deregistration_delay.timeout_seconds"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
PREPARE_ATTEMPTS = 3  # rounds a preparation waits for reads that fail for a moment, before it goes on without them
_NOT_THERE = {"ObjectNotFoundException", "TargetGroupNotFound", "TargetGroupNotFoundException"}
_FOR_A_MOMENT = {"ConcurrentUpdateException"}  # Application Auto Scaling: another update of the same target

MayCall = Callable[[], bool]


class _NoTimeError(Exception):
    """`may_call` said no: no further call in this invocation."""


class _TransientError(Exception):
    """A read failed in a way that passes with time: prepare again in a later round."""


def _flags(scaling: Scaling) -> dict[str, bool]:
    return {
        "DynamicScalingInSuspended": scaling.dynamic_in,
        "DynamicScalingOutSuspended": scaling.dynamic_out,
        "ScheduledScalingSuspended": scaling.scheduled,
    }


def _why(what: str, error: Exception) -> str:
    return f"{what}: {error_code(error)}: {error_message(error)}"


def _passes(error: Exception) -> bool:
    return is_transient(error) or error_code(error) in _FOR_A_MOMENT


@dataclass
class _Found:
    """What the reads found, before any write."""

    stop_timeout: int | None = None
    scaling: Scaling | None = None
    delays: list[tuple[str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Surroundings:
    """The calls around one region's ECS services, for one teardown: what it learns (how many rounds each
    preparation waited, a cluster's services) lasts as long as it does. The gateway makes one for each teardown;
    `clients` hands out the other services' clients, which the gateway keeps from one to the next."""

    def __init__(self, ecs: Any, clients: ClientFor, count: Callable[[str], None]) -> None:
        self._ecs, self._clients, self._count = ecs, clients, count
        self._users = TargetGroupUsers(ecs, self._call)
        self._waits: dict[str, int] = {}  # rounds each service's preparation waited for a failed read
        self._may_call: MayCall = lambda: True

    def _call(self, client: Any, operation: str, **kwargs: Any) -> Any:
        if not self._may_call():
            raise _NoTimeError(operation)
        self._count(operation)
        return getattr(client, operation)(**kwargs)

    def prepare(
        self, cluster: str, service: str, snapshot: ServiceSnapshot, fast: FastDrain | None, may_call: MayCall | None
    ) -> Preparation | None:
        self._may_call = may_call or (lambda: True)
        waited = self._waits.get(service, 0)
        patient = waited < PREPARE_ATTEMPTS - 1
        try:
            found = self._read(cluster, service, snapshot, patient)
        except (_NoTimeError, _TransientError):
            self._waits[service] = waited + 1
            return None  # nothing written yet: a later round (or invocation) prepares
        suspended, min_lowered = False, False
        try:
            suspended, min_lowered = self._suspend(cluster, service, snapshot, found)
        except _NoTimeError:
            return None
        except _TransientError:
            self._waits[service] = waited + 1
            if patient:
                return None
            found.notes.append("auto scaling NOT suspended: it kept failing for a moment")
        try:
            lowered, shared = self._lower(cluster, service, found, fast, patient and not suspended)
        except _TransientError:  # nothing was written yet: a later round prepares
            self._waits[service] = waited + 1
            return None
        unread = tuple(arn for arn in snapshot.target_groups if arn not in dict(found.delays))
        return Preparation(
            found.scaling,
            suspended,
            tuple(found.delays),
            tuple(lowered),
            tuple(shared),
            stop_timeout_s=found.stop_timeout,
            notes=tuple(found.notes),
            unread=unread + tuple(f"classic load balancer {name}" for name in snapshot.classic_balancers),
            min_lowered=min_lowered,
        )

    def restore(self, cluster: str, service: str, preparation: Preparation, may_call: MayCall | None) -> list[str]:
        self._may_call = may_call or (lambda: True)
        problems: list[str] = []
        if preparation.suspended and preparation.scaling is not None:
            found = preparation.scaling
            minimum = found.min_capacity if preparation.min_lowered else None
            try:
                self._register(cluster, service, found, minimum)
            except _NoTimeError:
                problems.append(f"no time left to put back the auto scaling of {service!r}")
            except (ClientError, BotoCoreError) as error:
                if error_code(error) not in _NOT_THERE:
                    problems.append(_why(f"auto scaling of {service!r} left suspended", error))
        found_delays = dict(preparation.delays)
        for arn, _ in preparation.lowered:
            what = f"deregistration delay of {arn} left lowered"
            try:
                self._set_delay(arn, found_delays[arn])
            except _NoTimeError:
                problems.append(f"no time left: {what}")
            except (ClientError, BotoCoreError) as error:
                if error_code(error) not in _NOT_THERE:  # a group that is gone has nothing to put back
                    problems.append(_why(what, error))
        return problems

    def _read(self, cluster: str, service: str, snapshot: ServiceSnapshot, patient: bool) -> _Found:
        found = _Found()
        stop_timeout = partial(self._stop_timeout, snapshot)
        found.stop_timeout = self._read_part(stop_timeout, "stop timeout unknown", found, patient)
        if snapshot.scheduling != DAEMON:
            read_target = partial(self._scalable_target, cluster, service)
            found.scaling = self._read_part(read_target, "auto scaling not read", found, patient)
        for arn in snapshot.target_groups:
            what = f"deregistration delay of {arn} not read"
            delay = self._read_part(partial(self._delay, arn), what, found, patient)
            if delay is not None:
                found.delays.append((arn, delay))
        return found

    def _read_part(self, read: Callable[[], Any], what: str, found: _Found, patient: bool) -> Any:
        try:
            return read()
        except (ClientError, BotoCoreError) as error:
            if patient and _passes(error):
                raise _TransientError(what) from error
            found.notes.append(_why(what, error))
            return None

    def _stop_timeout(self, snapshot: ServiceSnapshot) -> int | None:
        if not snapshot.task_definition:
            raise _unreadable("no task definition named")
        answer = self._call(self._ecs, "describe_task_definition", taskDefinition=snapshot.task_definition)
        containers = (answer.get("taskDefinition") or {}).get("containerDefinitions") or []
        timeouts = [c.get("stopTimeout") for c in containers if isinstance(c, dict)]
        return max((t if isinstance(t, int) else DEFAULT_STOP_TIMEOUT_S for t in timeouts), default=None)

    def _scalable_target(self, cluster: str, service: str) -> Scaling | None:
        client = self._clients("application-autoscaling")
        if client is None:
            return None
        answer = self._call(
            client,
            "describe_scalable_targets",
            ServiceNamespace="ecs",
            ResourceIds=[f"service/{cluster}/{service}"],
            ScalableDimension=SCALABLE_DIMENSION,
        )
        targets = answer.get("ScalableTargets") or []
        if not targets:
            return None
        state = targets[0].get("SuspendedState") or {}
        minimum = targets[0].get("MinCapacity")
        return Scaling(
            state.get("DynamicScalingInSuspended") is True,
            state.get("DynamicScalingOutSuspended") is True,
            state.get("ScheduledScalingSuspended") is True,
            min_capacity=minimum if isinstance(minimum, int) and minimum > 0 else 0,
        )

    def _suspend(self, cluster: str, service: str, snapshot: ServiceSnapshot, found: _Found) -> tuple[bool, bool]:
        """Suspend the target's scaling. Updating a scalable target brings the service's current capacity within
        [MinCapacity, MaxCapacity] (API reference, RegisterScalableTarget): a service found below MinCapacity would
        be scaled UP by it, so MinCapacity goes to 0 with the suspension then. Returns (suspended, min lowered)."""
        scaling = found.scaling
        below_minimum = scaling is not None and snapshot.desired < scaling.min_capacity
        if scaling is None or (scaling.fully_suspended and not below_minimum):
            return False, False
        try:
            self._register(cluster, service, Scaling(True, True, True), 0 if below_minimum else None)
        except (ClientError, BotoCoreError) as error:
            if _passes(error):
                raise _TransientError("auto scaling not suspended") from error
            found.notes.append(_why("auto scaling NOT suspended (it may scale the service back up)", error))
            return False, False
        return True, below_minimum

    def _register(self, cluster: str, service: str, scaling: Scaling, minimum: int | None) -> None:
        # Only what changes is sent: "parameters that you don't specify are not changed by this update request"
        # (Application Auto Scaling API reference, RegisterScalableTarget).
        extra = {"MinCapacity": minimum} if minimum is not None else {}
        self._call(
            self._clients("application-autoscaling"),
            "register_scalable_target",
            ServiceNamespace="ecs",
            ResourceId=f"service/{cluster}/{service}",
            ScalableDimension=SCALABLE_DIMENSION,
            SuspendedState=_flags(scaling),
            **extra,
        )

    def _delay(self, arn: str) -> int | None:
        client = self._clients("elbv2")
        if client is None:
            return None
        answer = self._call(client, "describe_target_group_attributes", TargetGroupArn=arn)
        values = {a.get("Key"): a.get("Value") for a in answer.get("Attributes") or []}
        try:
            return int(str(values.get(DELAY_KEY)))
        except ValueError:
            raise _unreadable(f"{values.get(DELAY_KEY)!r}") from None

    def _lower(
        self, cluster: str, service: str, found: _Found, fast: FastDrain | None, may_wait: bool
    ) -> tuple[list[tuple[str, int]], list[str]]:
        """Lower each group above `fast.seconds` that only the request's services use and where no target drains.
        `may_wait`: nothing written yet, a failed read may put it off."""
        lowered: list[tuple[str, int]] = []
        shared: list[str] = []
        if fast is None:
            return lowered, shared
        for arn, delay in found.delays:
            ours = arn in fast.lowered  # lowered already by this request's preparation of another service
            if delay <= fast.seconds:
                continue
            try:
                users = self._users.of(cluster, arn)
                if users is None or users - fast.services - {service}:
                    shared.append(arn)
                    found.notes.append(f"{arn} kept: " + ("other services use it" if users else "its users unknown"))
                    continue
                # A group this request lowered is exempt: its own services' targets may be draining there by now.
                if not ours and self._draining(arn, found, may_wait and not lowered) != 0:
                    continue
                self._set_delay(arn, fast.seconds)
            except _NoTimeError:
                found.notes.append(f"no time left to lower the deregistration delay of {arn}")
                break
            except (ClientError, BotoCoreError) as error:
                found.notes.append(_why(f"deregistration delay of {arn} not lowered", error))
                continue
            lowered.append((arn, fast.seconds))
        # A group this request lowered is recorded as lowered, with the delay it had before (not the one read now).
        lowered += [(arn, delay) for arn, delay in found.delays if arn in fast.lowered and delay <= fast.seconds]
        found.delays = [(arn, fast.lowered.get(arn, delay)) for arn, delay in found.delays]
        return lowered, shared

    def _draining(self, arn: str, found: _Found, may_wait: bool) -> int | None:
        """The group's draining targets (None: not read, noted). A DRAINING service, someone else's delete, is not
        listed by ListServices, but its targets wait out the delay in force: that drain must not be cut short."""
        read = partial(draining_targets, self._clients("elbv2"), self._call, arn)
        draining: int | None = self._read_part(read, f"{arn} kept: its targets not read", found, may_wait)
        found.notes += [f"{arn} kept: {draining} of its targets are draining (a drain under way)"] if draining else []
        return draining

    def _set_delay(self, arn: str, seconds: int) -> None:
        attributes = [{"Key": DELAY_KEY, "Value": str(seconds)}]
        self._call(self._clients("elbv2"), "modify_target_group_attributes", TargetGroupArn=arn, Attributes=attributes)


def _unreadable(why: str) -> ClientError:
    """A read that cannot succeed, said the way botocore says a refusal (it is noted, never waited for)."""
    return ClientError({"Error": {"Code": "Unreadable", "Message": why}}, "Read")
