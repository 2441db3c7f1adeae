"""What governs one service's drain besides ECS's counts, read once before its first write (`Preparation`), and
the figures drawn from it: the drain timeout `auto` allows and the window in which its tasks should stop.

Facts (AWS documentation):
- Behind a load balancer, ECS deregisters a task's targets and the task keeps running for the target group's
  deregistration delay (`deregistration_delay.timeout_seconds`, 0-3600 s, 300 by default), then it is sent SIGTERM
  and killed after the container's `stopTimeout` (30 s when the task definition sets none; at most 120 s on Fargate).
  ELB user guide, "Deregistration delay"; ECS API reference, ContainerDefinition.stopTimeout.
- Application Auto Scaling can raise a desired count set by hand (a scale-out alarm, a scheduled action);
  RegisterScalableTarget with SuspendedState pauses it, and parameters it is not given stay as they were.
  Application Auto Scaling user guide, "Suspend and resume scaling"; API reference, RegisterScalableTarget.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .model import DEFAULT_DRAIN_TIMEOUT_S, MAX_DEREGISTRATION_DELAY_S, MAX_DRAIN_TIMEOUT_S

DEFAULT_STOP_TIMEOUT_S = 30  # ECS's stopTimeout when a container sets none
DEFAULT_DEREGISTRATION_DELAY_S = 300  # ELB's default: what a target group whose delay cannot be read counts as
DRAIN_MARGIN_S = 60  # `auto` allows the expected drain plus this much
WINDOW_SLACK_S = 10  # the drain window stays open this long past its expected end


@dataclass(frozen=True)
class Scaling:
    """An Application Auto Scaling target's SuspendedState, as this teardown found it."""

    dynamic_in: bool = False
    dynamic_out: bool = False
    scheduled: bool = False
    min_capacity: int = 0  # MinCapacity as found

    @property
    def fully_suspended(self) -> bool:
        return self.dynamic_in and self.dynamic_out and self.scheduled


@dataclass(frozen=True)
class Preparation:
    """One service's surroundings as found before the teardown's first write, and what the teardown changed.

    `scaling` None: no scalable target. `delays`: each target group's deregistration delay as found.
    `stop_timeout_s` None: the task definition could not be read. `lowered`: target groups whose delay this
    teardown lowered (the value found is in `delays`). `notes`: what could not be read or done, and why."""

    scaling: Scaling | None = None
    suspended: bool = False  # this teardown suspended the target's scaling (restore it if the service is kept)
    delays: tuple[tuple[str, int], ...] = ()
    lowered: tuple[tuple[str, int], ...] = ()  # (target group ARN, the delay it was lowered to)
    shared: tuple[str, ...] = ()  # target groups another live service uses: never lowered
    stop_timeout_s: int | None = DEFAULT_STOP_TIMEOUT_S
    notes: tuple[str, ...] = field(default=(), compare=False)
    unread: tuple[str, ...] = ()  # target groups whose delay could not be read: counted as ELB's default
    # MinCapacity set to 0 with the suspension: the service was below it, and updating a scalable target brings the
    # current capacity back within its bounds (API reference, RegisterScalableTarget). Restored with the rest.
    min_lowered: bool = False

    @property
    def delay_s(self) -> int:
        """The deregistration delay the tasks of a drain this teardown starts will wait out: the largest, after
        any lowering."""
        return self.delay_for(drain_is_ours=True)

    def delay_for(self, drain_is_ours: bool) -> int:
        """The largest delay the tasks wait out. A drain that began before this teardown (a service found scaled
        down) keeps the delays as found: ELB's documentation does not say that a lower delay shortens the wait of
        targets already deregistering, so that is not counted on."""
        lowered = dict(self.lowered) if drain_is_ours else {}
        delays = [lowered.get(arn, delay) for arn, delay in self.delays]
        delays += [DEFAULT_DEREGISTRATION_DELAY_S for _ in self.unread]
        return max(delays, default=0)

    def lowered_from(self) -> Iterator[tuple[str, int, int]]:
        """Each target group this preparation lowered: (its ARN, the delay found before, the delay set)."""
        found = dict(self.delays)
        return ((arn, found[arn], seconds) for arn, seconds in self.lowered if arn in found)

    @property
    def changed_anything(self) -> bool:
        return self.suspended or bool(self.lowered)

    def auto_drain_timeout_s(self, drain_is_ours: bool = True) -> int:
        """DrainTimeoutSeconds `auto`: the deregistration delay plus the stop timeout plus a margin; at least the
        old default (300 s) when the stop timeout is unknown."""
        stop_s = DEFAULT_STOP_TIMEOUT_S if self.stop_timeout_s is None else self.stop_timeout_s
        at_least = DEFAULT_DRAIN_TIMEOUT_S if self.stop_timeout_s is None else 0
        return min(MAX_DRAIN_TIMEOUT_S, max(at_least, self.delay_for(drain_is_ours) + stop_s + DRAIN_MARGIN_S))

    def window(self, drain_started_at: float, drain_is_ours: bool = True) -> tuple[float, float]:
        """When the tasks should stop: from the end of the deregistration delay to the end of the stop timeout
        (plus some slack). Polls come quickly inside it and patiently before it."""
        stop_s = DEFAULT_STOP_TIMEOUT_S if self.stop_timeout_s is None else self.stop_timeout_s
        opens = drain_started_at + self.delay_for(drain_is_ours)
        return opens, opens + stop_s + WINDOW_SLACK_S

    def summary(self, drain_timeout_s: float) -> str:
        """One line for logs and the command line: what was found and done, and the drain timeout that follows."""
        parts = []
        if self.scaling is None:
            parts.append("no auto scaling")
        elif self.suspended:
            parts.append("auto scaling suspended")
        else:
            parts.append("auto scaling already suspended" if self.scaling.fully_suspended else "auto scaling kept")
        lowered = dict(self.lowered)
        for arn, delay in self.delays:
            name = arn.split(":")[-1]
            shown = f"{delay} s -> {lowered[arn]} s" if arn in lowered else f"{delay} s"
            parts.append(f"{name} deregistration delay {shown}{' (shared: kept)' if arn in self.shared else ''}")
        parts += [
            f"{arn.split(':')[-1]} deregistration delay not read (counted as {DEFAULT_DEREGISTRATION_DELAY_S} s)"
            for arn in self.unread
        ]
        stop = "unknown" if self.stop_timeout_s is None else f"{self.stop_timeout_s} s"
        parts.append(f"stop timeout {stop}; drain timeout {drain_timeout_s:g} s")
        return "; ".join([*parts, *self.notes])

    def restored(self) -> Preparation:
        """The preparation once everything it changed has been put back."""
        return replace(self, suspended=False, lowered=(), min_lowered=False)

    def to_wire(self) -> dict[str, Any]:
        """For a hand-over: what the next invocation must know to restore what this teardown changed."""
        wire: dict[str, Any] = {"StopTimeout": self.stop_timeout_s, "Delays": [list(pair) for pair in self.delays]}
        if self.scaling is not None:
            s = self.scaling
            wire["Scaling"] = [s.dynamic_in, s.dynamic_out, s.scheduled]
            wire["Suspended"] = self.suspended
            wire["MinCapacity"] = s.min_capacity
            wire["MinLowered"] = self.min_lowered
        if self.lowered:
            wire["Lowered"] = [list(pair) for pair in self.lowered]
        if self.shared:
            wire["Shared"] = list(self.shared)
        if self.unread:
            wire["Unread"] = list(self.unread)
        return wire

    @classmethod
    def from_wire(cls, value: Any) -> Preparation | None:
        """What a hand-over carried; None for anything malformed (the next invocation then prepares afresh)."""
        if not isinstance(value, dict):
            return None
        try:
            scaling_flags = value.get("Scaling")
            scaling = None
            if scaling_flags is not None:
                if not (isinstance(scaling_flags, list) and len(scaling_flags) == 3):
                    return None
                minimum = value.get("MinCapacity", 0)
                if not isinstance(minimum, int) or isinstance(minimum, bool) or minimum < 0:
                    return None
                dynamic_in, dynamic_out, scheduled = (flag is True for flag in scaling_flags)
                scaling = Scaling(dynamic_in, dynamic_out, scheduled, min_capacity=minimum)
            stop = value.get("StopTimeout")
            if stop is not None and (not isinstance(stop, int) or isinstance(stop, bool) or stop < 0):
                return None
            return cls(
                scaling=scaling,
                suspended=value.get("Suspended") is True and scaling is not None,
                delays=_pairs(value.get("Delays", [])),
                lowered=_pairs(value.get("Lowered", [])),
                shared=tuple(str(arn) for arn in value.get("Shared", []) if isinstance(arn, str)),
                stop_timeout_s=stop,
                unread=tuple(str(arn) for arn in value.get("Unread", []) if isinstance(arn, str)),
                min_lowered=value.get("MinLowered") is True and scaling is not None,
            )
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class FastDrain:
    """DeregistrationDelaySeconds, as the engine hands it to `Gateway.prepare`: the delay to lower target groups to,
    and what only the whole request knows.

    `services`: the request's services (one cluster); a target group that only they use may be lowered, once (none
    named: only the service being prepared). `lowered`: the groups the request's preparations lowered, with the
    delay each had before. A later preparation reads the lowered value; it records this one instead, so that
    restoring any kept service puts it back."""

    seconds: int
    services: frozenset[str] = frozenset()
    lowered: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(
        cls, seconds: int | None, tearing_down: Iterable[str], preparations: Iterable[Preparation]
    ) -> FastDrain | None:
        """For a request that is tearing down `tearing_down` (its services prepared or being prepared: not one
        refused, replaced by a newer service or unreadable, which counts as any other user of a group), whose
        preparations so far are `preparations`."""
        if seconds is None:
            return None
        lowered = {arn: before for preparation in preparations for arn, before, _ in preparation.lowered_from()}
        return cls(seconds, frozenset(tearing_down), lowered)


def _pairs(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    pairs = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError("not a pair")
        seconds = item[1]
        if not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 <= seconds <= MAX_DEREGISTRATION_DELAY_S:
            raise ValueError("not a delay")
        pairs.append((item[0], seconds))
    return tuple(pairs)
