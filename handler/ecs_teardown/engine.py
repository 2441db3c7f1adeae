"""observe -> decide -> act, over many services at once, until all are gone or the deadline comes.

Written once, like botocore's Waiter.wait: `clock` and `sleep` are arguments, so a test plays a 20-minute drain
in milliseconds, and every round re-reads ECS, so any invocation can resume any teardown.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from .ecs import CallOutcome, CallResult, EcsCallError
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

MAX_ROUNDS = 100_000  # a bound for the loop even if a clock never moves


class Gateway(Protocol):
    throttles: int

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


@dataclass
class _Tracked:
    ref: ServiceRef
    progress: Progress = field(default_factory=Progress)
    snapshot: ServiceSnapshot | None = None
    phase: Phase = Phase.OBSERVING
    why: str = ""
    outcome: Outcome = Outcome.UNFINISHED
    forced: bool = False


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
) -> TeardownResult:
    """Tear down every service of `request`; return when all are done or failed, or when `deadline` comes.

    `started_at` is when the teardown began (maybe in an earlier invocation): the drain timeout counts from it.
    """
    policy = policy or PollPolicy()
    settings = Settings(request.drain_timeout_s, request.force, request.wait_for_inactive)
    tracked = [_Tracked(ref) for ref in request.services]
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
        sleep(min(interval, deadline - now))
    return TeardownResult(
        services=tuple(ServiceResult(t.ref, t.outcome, t.phase, t.why, t.snapshot, t.forced) for t in tracked),
        elapsed_s=clock() - started_at,
        rounds=rounds,
        throttles=gateway.throttles,
    )


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
    changed = imminent = False
    for t in still_open:
        snapshot = snapshots.get(t.ref.name)
        if snapshot is None and t.snapshot is not None:
            continue  # not read this round (throttled): keep the phase, act on nothing stale
        elapsed = clock() - started_at
        action = decide(snapshot, t.progress, elapsed, settings)
        moved = (snapshot is not None and snapshot != t.snapshot) or action.phase is not t.phase
        if snapshot is not None:
            t.snapshot = snapshot
        result = _act(cluster, t, action, gateway)
        acted = action.kind is not Kind.WAIT
        changed = changed or moved or acted
        if (moved or acted) and on_step is not None:
            on_step(Step(t.ref, t.phase, action.kind, t.why, snapshot, elapsed, action.force, result))
        imminent = imminent or is_imminent(snapshot, action)
    return changed, imminent


def _act(cluster: str, t: _Tracked, action: Action, gateway: Gateway) -> str:
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
