"""observe -> decide -> act, over many services at once, until all are gone or the deadline comes.

Written once, like botocore's Waiter.wait: `clock` and `sleep` are arguments, so a test plays a 20-minute drain
in milliseconds, and every round re-reads ECS, so any invocation can resume any teardown.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from .ecs import THROTTLE_CODES, CallOutcome, CallResult, EcsCallError
from .machine import (
    MISSING,
    Action,
    Kind,
    Phase,
    PollPolicy,
    Progress,
    ServiceSnapshot,
    Settings,
    decide,
    is_imminent,
)
from .properties import ServiceRef, TeardownRequest

MAX_ROUNDS = 100_000
CLOCK_SKEW_S = 1.0  # a bound for the loop even if a clock never moves


class Gateway(Protocol):
    @property
    def throttles(self) -> int: ...  # throttled calls so far (retried ones included)

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]: ...
    def scale_to_zero(self, cluster: str, service: str) -> CallResult: ...
    def delete(self, cluster: str, service: str, force: bool) -> CallResult: ...


class Outcome(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    UNFINISHED = "unfinished"


@dataclass(frozen=True)
class Step:
    """One meaningful step of one service, for the logs and the command line."""

    service: ServiceRef
    phase: Phase
    kind: Kind
    why: str
    snapshot: ServiceSnapshot | None
    elapsed_s: float
    force: bool = False
    result: str = ""  # the outcome of the ECS call the step made, if any

    def fields(self) -> dict[str, object]:
        """The step as flat fields, for a JSON log line or a JSON output line."""
        snapshot = self.snapshot
        return {
            "cluster": self.service.cluster,
            "service": self.service.name,
            "phase": self.phase.value,
            "action": self.kind.value,
            "result": self.result or None,
            "force": self.force,
            "status": snapshot.status if snapshot else None,
            "desired": snapshot.desired if snapshot else None,
            "running": snapshot.running if snapshot else None,
            "pending": snapshot.pending if snapshot else None,
            "elapsed_s": round(self.elapsed_s, 1),
            "why": self.why,
        }


@dataclass
class _Tracked:
    ref: ServiceRef
    progress: Progress = field(default_factory=Progress)
    snapshot: ServiceSnapshot | None = None
    phase: Phase = Phase.OBSERVING
    why: str = ""
    outcome: Outcome = Outcome.UNFINISHED
    forced: bool = False
    drain_started_at: float | None = None  # when our scale-down was accepted: the drain timeout counts from it


@dataclass(frozen=True)
class ServiceResult:
    service: ServiceRef
    outcome: Outcome
    phase: Phase
    why: str
    snapshot: ServiceSnapshot | None
    forced: bool

    def describe(self) -> str:
        counts = f"; {self.snapshot.counts()}" if self.snapshot and self.snapshot.status != MISSING else ""
        return f"{self.service.name} ({self.phase.value}: {self.why}{counts})"


@dataclass(frozen=True)
class TeardownResult:
    services: tuple[ServiceResult, ...]
    elapsed_s: float
    rounds: int
    throttles: int
    drain_started: dict[str, float] = field(default_factory=dict)  # by service name, for a hand-over to carry

    def with_outcome(self, outcome: Outcome) -> list[ServiceResult]:
        return [s for s in self.services if s.outcome is outcome]

    @property
    def all_done(self) -> bool:
        return all(s.outcome is Outcome.DONE for s in self.services)

    @property
    def forced_deletes(self) -> int:
        return sum(1 for s in self.services if s.forced)


def run_teardown(
    request: TeardownRequest,
    gateway: Gateway,
    *,
    started_at: float,
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    on_step: Callable[[Step], None] | None = None,
    policy: PollPolicy | None = None,
    drain_started: Mapping[str, float] | None = None,
) -> TeardownResult:
    """Tear down every service of `request`; return when all are done or failed, or when `deadline` comes.

    `started_at` is when the teardown began (maybe in an earlier invocation). A service's drain timeout counts
    from its scale-down (`drain_started`, by name, carries those of earlier invocations), or else from `started_at`.
    """
    policy = policy or PollPolicy()
    # Services created after the teardown began (allowing for clocks a second apart) are not the ones it was for.
    settings = Settings(request.drain_timeout_s, request.force, request.wait_for_inactive, started_at + CLOCK_SKEW_S)
    carried = drain_started or {}
    tracked = [_Tracked(ref, drain_started_at=carried.get(ref.name)) for ref in request.services]
    interval = policy.fast_s
    rounds = 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        still_open = [t for t in tracked if t.outcome is Outcome.UNFINISHED]
        changed, imminent = _round(request.cluster, still_open, gateway, settings, started_at, clock, on_step)
        if all(t.outcome is not Outcome.UNFINISHED for t in tracked):
            break
        now = clock()
        if now >= deadline:
            break
        interval = policy.next_interval(interval, changed, imminent)
        wake = min(now + interval, deadline, _next_drain_timeout(still_open, started_at, settings, now))
        sleep(max(0.0, wake - now))
    return TeardownResult(
        services=tuple(ServiceResult(t.ref, t.outcome, t.phase, t.why, t.snapshot, t.forced) for t in tracked),
        elapsed_s=clock() - started_at,
        rounds=rounds,
        throttles=gateway.throttles,
        drain_started={t.ref.name: t.drain_started_at for t in tracked if t.drain_started_at is not None},
    )


def _next_drain_timeout(still_open: list[_Tracked], started_at: float, settings: Settings, now: float) -> float:
    """The next moment a draining service's timeout passes: a poll then, not up to a slow interval later."""
    ends = [
        (t.drain_started_at or started_at) + settings.drain_timeout_s
        for t in still_open
        if t.outcome is Outcome.UNFINISHED and t.phase is Phase.DRAINING_TASKS
    ]
    upcoming = [end for end in ends if end > now]
    return min(upcoming) if upcoming else float("inf")


def _round(
    cluster: str,
    still_open: list[_Tracked],
    gateway: Gateway,
    settings: Settings,
    started_at: float,
    clock: Callable[[], float],
    on_step: Callable[[Step], None] | None,
) -> tuple[bool, bool]:
    """One observe -> decide -> act pass. Returns (something changed, an end looks imminent)."""
    try:
        snapshots = gateway.describe(cluster, [t.ref.name for t in still_open])
    except EcsCallError as error:
        for t in still_open:
            _finish(t, Outcome.FAILED, Phase.FAILED, str(error))
        return True, False
    changed = imminent = writes_throttled = False
    for t in still_open:
        snapshot = snapshots.get(t.ref.name)
        if snapshot is None and t.snapshot is not None:
            continue  # not read this round (throttled): keep the phase, act on nothing stale
        now = clock()
        elapsed = now - started_at
        action = decide(snapshot, t.progress, now - (t.drain_started_at or started_at), settings)
        if writes_throttled and action.kind in (Kind.SCALE_TO_ZERO, Kind.DELETE):
            continue  # ECS just throttled a write: the rest of this round's writes wait for the next round
        moved = (snapshot is not None and snapshot != t.snapshot) or action.phase is not t.phase
        if snapshot is not None:
            t.snapshot = snapshot
        result = _act(cluster, t, action, gateway, now)
        acted = action.kind is not Kind.WAIT
        changed = changed or moved or acted
        if (moved or acted) and on_step is not None:
            on_step(Step(t.ref, t.phase, action.kind, t.why, snapshot, elapsed, action.force, result))
        writes_throttled = writes_throttled or (result == CallOutcome.RETRY_LATER.value and _throttled(t.why))
        # After a call ECS accepted, look again soon to see its effect; a throttled or refused call waits longer.
        accepted = result in (CallOutcome.ACCEPTED.value, CallOutcome.NOT_ACTIVE.value)
        imminent = imminent or accepted or is_imminent(snapshot, action)
    return changed, imminent


def _act(cluster: str, t: _Tracked, action: Action, gateway: Gateway, now: float) -> str:
    """Carry out one action and record what it changed; returns the ECS call's outcome ('' when no call)."""
    t.phase, t.why = action.phase, action.why
    if action.kind is Kind.DONE:
        t.outcome = Outcome.DONE
        return ""
    if action.kind is Kind.FAIL:
        t.outcome = Outcome.FAILED
        return ""
    if action.kind is Kind.WAIT:
        return ""
    try:
        if action.kind is Kind.SCALE_TO_ZERO:
            call = gateway.scale_to_zero(cluster, t.ref.name)
            if call.outcome is CallOutcome.ACCEPTED and t.drain_started_at is None:
                t.drain_started_at = now
        else:
            call = gateway.delete(cluster, t.ref.name, action.force)
    except EcsCallError as error:
        _finish(t, Outcome.FAILED, Phase.FAILED, str(error))
        return "error"
    if call.outcome is CallOutcome.GONE:
        _finish(t, Outcome.DONE, Phase.GONE, f"{call.detail or 'not found'}")
    elif call.outcome is CallOutcome.NEEDS_FORCE:
        t.progress = replace(t.progress, force_required=True, refusal=call.detail)
    elif action.kind is Kind.DELETE and call.outcome in (CallOutcome.ACCEPTED, CallOutcome.NOT_ACTIVE):
        t.progress = replace(t.progress, delete_accepted=True)
        t.forced = t.forced or (action.force and call.outcome is CallOutcome.ACCEPTED)
        if call.outcome is CallOutcome.ACCEPTED:
            t.phase = Phase.DRAINING
    elif call.outcome is CallOutcome.RETRY_LATER:
        t.why = f"{action.why}; will retry: {call.detail}"
    return call.outcome.value


def _throttled(why: str) -> bool:
    return any(f"will retry: {code}" in why for code in THROTTLE_CODES)


def _finish(t: _Tracked, outcome: Outcome, phase: Phase, why: str) -> None:
    t.outcome, t.phase, t.why = outcome, phase, why


def summarize(result: TeardownResult, budget_ran_out: bool) -> str:
    """The Reason of a FAILED answer: every service that is not done, with its phase and counts."""
    failed = result.with_outcome(Outcome.FAILED)
    unfinished = result.with_outcome(Outcome.UNFINISHED)
    total = len(result.services)
    parts = []
    if failed:
        parts.append(f"{len(failed)} of {total} service(s) failed: " + "; ".join(s.describe() for s in failed))
    if unfinished:
        lead = "still in progress when the time budget ran out" if budget_ran_out else "not finished"
        parts.append(
            f"{len(unfinished)} of {total} service(s) {lead} after {result.elapsed_s:.0f} s: "
            + "; ".join(s.describe() for s in unfinished)
        )
    return ". ".join(parts)
