"""observe -> decide -> act, over many services at once, until all are gone or the deadline comes.

Written once, like botocore's Waiter.wait: `clock` and `sleep` are arguments, so a test plays a 20-minute drain
in milliseconds, and every round re-reads ECS, so any invocation can resume any teardown. The transitions are
machine.py's; this loop only reads, calls and hands the results back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from .machine import Action, Kind, Outcome, Phase, ServiceState, Settings, apply, begin, decide, finish
from .model import MISSING, ServiceRef, ServiceSnapshot, TeardownRequest
from .polling import PollPolicy, is_imminent
from .ports import CallOutcome, CallResult, EcsCallError, Gateway

MAX_ROUNDS = 100_000  # a bound for the loop even if a clock never moves
CLOCK_SKEW_S = 1.0  # ECS's clock and ours may be a second apart when comparing a service's createdAt


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
    states = {ref.name: ServiceState(ref, drain_started_at=carried.get(ref.name)) for ref in request.services}
    round_ = _Round(request.cluster, gateway, settings, started_at, clock, on_step)
    interval, rounds = policy.fast_s, 0
    while rounds < MAX_ROUNDS:
        rounds += 1
        changed, imminent = round_.run(states)
        if all(s.outcome is not Outcome.UNFINISHED for s in states.values()):
            break
        now = clock()
        if now >= deadline:
            break
        interval = policy.next_interval(interval, changed, imminent)
        sleep(max(0.0, min(now + interval, deadline, _next_drain_timeout(states, started_at, settings, now)) - now))
    return TeardownResult(
        services=tuple(ServiceResult(s.ref, s.outcome, s.phase, s.why, s.snapshot, s.forced) for s in states.values()),
        elapsed_s=clock() - started_at,
        rounds=rounds,
        throttles=gateway.throttles,
        drain_started={s.ref.name: s.drain_started_at for s in states.values() if s.drain_started_at is not None},
    )


def _next_drain_timeout(states: dict[str, ServiceState], started_at: float, settings: Settings, now: float) -> float:
    """The next moment a draining service's timeout passes: a poll then, not up to a slow interval later."""
    ends = [
        (s.drain_started_at or started_at) + settings.drain_timeout_s
        for s in states.values()
        if s.outcome is Outcome.UNFINISHED and s.phase is Phase.DRAINING_TASKS
    ]
    upcoming = [end for end in ends if end > now]
    return min(upcoming) if upcoming else float("inf")


@dataclass
class _Round:
    """One observe -> decide -> act pass over the services still open."""

    cluster: str
    gateway: Gateway
    settings: Settings
    started_at: float
    clock: Callable[[], float]
    on_step: Callable[[Step], None] | None
    writes_throttled: bool = False

    def run(self, states: dict[str, ServiceState]) -> tuple[bool, bool]:
        """Returns (something changed, an end looks imminent)."""
        open_names = [name for name, s in states.items() if s.outcome is Outcome.UNFINISHED]
        try:
            snapshots = self.gateway.describe(self.cluster, open_names)
        except EcsCallError as error:
            for name in open_names:
                states[name] = finish(states[name], Outcome.FAILED, Phase.FAILED, str(error))
            return True, False
        self.writes_throttled = changed = imminent = False
        for name in open_names:
            snapshot = snapshots.get(name)
            if snapshot is None and states[name].snapshot is not None:
                continue  # not read this round (throttled): keep the phase, act on nothing stale
            moved, acted, accepted = self._step(states, name, snapshot)
            changed = changed or moved or acted
            imminent = imminent or accepted
        return changed, imminent

    def _step(
        self, states: dict[str, ServiceState], name: str, snapshot: ServiceSnapshot | None
    ) -> tuple[bool, bool, bool]:
        """Decide and act for one service. Returns (its reading or phase moved, it acted, an end looks imminent)."""
        state, now = states[name], self.clock()
        action = decide(snapshot, state.progress, now - (state.drain_started_at or self.started_at), self.settings)
        writes = action.kind in (Kind.SCALE_TO_ZERO, Kind.DELETE)
        if writes and self.writes_throttled:
            return False, False, False  # ECS just throttled a write: this round's other writes wait for the next
        moved = (snapshot is not None and snapshot != state.snapshot) or action.phase is not state.phase
        state = begin(state if snapshot is None else replace(state, snapshot=snapshot), action)
        result = ""
        if writes:
            try:
                call = self._call(state.ref.name, action)
            except EcsCallError as error:
                state, result = finish(state, Outcome.FAILED, Phase.FAILED, str(error)), "error"
            else:
                state, result = apply(state, action, call, now), call.outcome.value
                self.writes_throttled = self.writes_throttled or call.throttled
        states[name] = state
        acted = action.kind is not Kind.WAIT
        if (moved or acted) and self.on_step is not None:
            elapsed = now - self.started_at
            self.on_step(Step(state.ref, state.phase, action.kind, state.why, snapshot, elapsed, action.force, result))
        # After a call ECS accepted, look again soon to see its effect; a throttled or refused call waits longer.
        accepted = result in (CallOutcome.ACCEPTED.value, CallOutcome.NOT_ACTIVE.value)
        return moved, acted, accepted or is_imminent(snapshot, action)

    def _call(self, name: str, action: Action) -> CallResult:
        if action.kind is Kind.SCALE_TO_ZERO:
            return self.gateway.scale_to_zero(self.cluster, name)
        return self.gateway.delete(self.cluster, name, action.force)


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
