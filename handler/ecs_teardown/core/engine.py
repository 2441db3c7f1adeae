"""observe -> decide -> act, over many services at once, until all are gone or the deadline comes.

Written once, like botocore's Waiter.wait: `clock` and `sleep` are arguments, so a test plays a 20-minute drain
in milliseconds, and every round re-reads ECS, so any invocation can resume any teardown. The transitions are
machine.py's; this loop only reads, calls and hands the results back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from .drain import FastDrain, Preparation
from .machine import (
    DEPLOYMENT_WAIT_S,
    Action,
    Kind,
    Outcome,
    Phase,
    Progress,
    ServiceState,
    Settings,
    apply,
    begin,
    decide,
    drain_timeout_s,
    finish,
    prepared,
)
from .model import ServiceRef, ServiceSnapshot, TeardownRequest
from .polling import PollPolicy, is_imminent
from .ports import CallOutcome, CallResult, EcsCallError, Gateway
from .results import ServiceResult, Step, TeardownResult, summarize

__all__ = ["ServiceResult", "Step", "TeardownResult", "run_teardown", "summarize"]

MAX_ROUNDS = 100_000  # a bound for the loop even if a clock never moves
CLOCK_SKEW_S = 1.0  # ECS's clock and ours may be a second apart when comparing a service's createdAt


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
    preparations: Mapping[str, Preparation] | None = None,
    blocked_since: Mapping[str, float] | None = None,
    rollout_stop_requested: Collection[str] = (),
) -> TeardownResult:
    """Tear down every service of `request`; return when all are done or failed, or when `deadline` comes.

    `started_at` is when the teardown began (maybe in an earlier invocation). A service's drain timeout counts
    from its scale-down (`drain_started`, by name, carries those of earlier invocations), or else from `started_at`;
    `preparations` carries what earlier invocations found and changed around each service; `blocked_since`, when
    a service's DeleteService first said "deployments are active", and `rollout_stop_requested`, the services whose
    rollout StopServiceDeployment was sent for (the TeardownResult returns all four, for a hand-over to carry)."""
    policy = policy or PollPolicy()
    # Services created after the teardown began (allowing for clocks a second apart) are not the ones it was for.
    settings = Settings(request.drain_timeout_s, request.force, request.wait_for_inactive, started_at + CLOCK_SKEW_S)
    carried = (drain_started or {}, preparations or {}, blocked_since or {}, frozenset(rollout_stop_requested))
    states = {ref.name: _initial(ref, *carried) for ref in request.services}
    gateway.begin_teardown()  # what the gateway learned for an earlier teardown does not count for this one
    round_ = _Round(request.cluster, gateway, settings, started_at, clock, on_step, request.deregistration_delay_s)
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
        sleep(max(0.0, min(now + interval, deadline, _next_drain_moment(states, started_at, settings, now)) - now))
    return TeardownResult(
        services=tuple(ServiceResult(s.ref, s.outcome, s.phase, s.why, s.snapshot, s.forced) for s in states.values()),
        elapsed_s=clock() - started_at,
        rounds=rounds,
        throttles=gateway.throttles,
        drain_started={s.ref.name: s.drain_started_at for s in states.values() if s.drain_started_at is not None},
        preparations={n: s.progress.preparation for n, s in states.items() if s.progress.preparation is not None},
        blocked_since={n: s.progress.blocked_since for n, s in states.items() if s.progress.blocked_since is not None},
        rollout_stop_requested=frozenset(n for n, s in states.items() if s.progress.rollout_stop_requested),
    )


def _initial(
    ref: ServiceRef,
    drain_started: Mapping[str, float],
    preparations: Mapping[str, Preparation],
    blocked_since: Mapping[str, float],
    rollout_stop_requested: frozenset[str],
) -> ServiceState:
    """A service's state as this invocation begins: what earlier invocations learned of it, nothing else."""
    progress = Progress(
        preparation=preparations.get(ref.name),
        blocked_since=blocked_since.get(ref.name),
        rollout_stop_requested=ref.name in rollout_stop_requested,
    )
    return ServiceState(ref, progress, drain_started_at=drain_started.get(ref.name))


def _next_drain_moment(states: dict[str, ServiceState], started_at: float, settings: Settings, now: float) -> float:
    """The next moment that matters to a service: its drain window opens (its tasks should start to stop), its
    drain timeout passes, or its delete has been blocked by a deployment long enough for the next step (a rollout's
    stop, then force or FAILED). A poll comes then, not up to a slow interval later."""
    moments = []
    for s in states.values():
        if s.outcome is not Outcome.UNFINISHED:
            continue
        if s.phase is Phase.DRAINING_TASKS:
            moments.append(
                s.drain_start(started_at) + drain_timeout_s(settings, s.progress.preparation, s.drain_is_ours)
            )
            window = drain_window(s, started_at)
            if window is not None:
                moments.append(window[0])
        blocked_since = s.progress.blocked_since
        if blocked_since is not None:
            moments += [blocked_since + DEPLOYMENT_WAIT_S, blocked_since + 2 * DEPLOYMENT_WAIT_S]
    upcoming = [moment for moment in moments if moment > now]
    return min(upcoming) if upcoming else float("inf")


def drain_window(state: ServiceState, started_at: float) -> tuple[float, float] | None:
    """When a draining service's tasks should stop (Preparation.window), or None where that is not known: no
    preparation yet, or a target group of the service whose deregistration delay was not read (its tasks may be
    held for up to an hour). Without a window the poll only follows PollPolicy's patient intervals."""
    preparation = state.progress.preparation
    if state.phase is not Phase.DRAINING_TASKS or preparation is None:
        return None
    read = {arn for arn, _ in preparation.delays}
    groups = state.snapshot.target_groups if state.snapshot is not None else ()
    if preparation.unread or any(arn not in read for arn in groups):
        return None
    return preparation.window(state.drain_start(started_at), state.drain_is_ours)


def expected_drain_s(state: ServiceState) -> float:
    """How long the service's drain should take from its scale-down (the end of its drain window; a delay not read
    counts as ELB's default 300 s); 0 before it is prepared."""
    preparation = state.progress.preparation
    return 0.0 if preparation is None else preparation.window(0.0)[1]


def in_drain_window(state: ServiceState, started_at: float, now: float) -> bool:
    """True while a draining service's tasks are due to stop: the reading that shows them gone is near."""
    window = drain_window(state, started_at)
    return window is not None and window[0] <= now <= window[1]


@dataclass
class _Round:
    """One observe -> decide -> act pass over the services still open."""

    cluster: str
    gateway: Gateway
    settings: Settings
    started_at: float
    clock: Callable[[], float]
    on_step: Callable[[Step], None] | None
    lower_delay_to: int | None = None
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
        readings: dict[str, ServiceSnapshot | None] = {}
        for name in open_names:
            snapshot = snapshots.get(name)
            if snapshot is None and states[name].snapshot is not None:
                continue  # not read this round (throttled): keep the phase, act on nothing stale
            readings[name] = snapshot
        now = self.clock()
        next_kinds = {n: self._decide(states[n], r, now).kind for n, r in readings.items() if r is not None}
        # The services this request is tearing down, for fast drain: those due for preparation now, and those
        # prepared earlier whose teardown is still under way by this round's reading. One refused, replaced by a
        # newer service, unreadable, kept or done is not, and counts as any other user of a target group.
        due = {n: r for n, r in readings.items() if r is not None and next_kinds[n] is Kind.PREPARE}
        under_way = [
            name
            for name, state in states.items()
            if state.progress.preparation is not None
            and state.outcome is Outcome.UNFINISHED
            and next_kinds.get(name) not in (Kind.DONE, Kind.FAIL)
        ]
        for name, snapshot in due.items():
            self._prepare(states, name, snapshot, [*due, *under_way])
        # Every service due is prepared before this round's first ECS write, so the writes can go longest drain
        # first: under ECS's write rate limit the services scaled down last start late, so they should be the
        # quickest to drain (sorted() is stable: request order among equals).
        for name in sorted(readings, key=lambda name: -expected_drain_s(states[name])):
            moved, acted, accepted = self._step(states, name, readings[name])
            changed = changed or moved or acted
            imminent = imminent or accepted
        return changed, imminent

    def _prepare(
        self, states: dict[str, ServiceState], name: str, snapshot: ServiceSnapshot, tearing_down: list[str]
    ) -> None:
        """Prepare the service (its next step); a preparation put off leaves it as it was. `tearing_down`: the
        services of the request that fast drain may count as its own users of a target group."""
        prepared_so_far = [s.progress.preparation for s in states.values() if s.progress.preparation is not None]
        fast_drain = FastDrain.of(self.lower_delay_to, tearing_down, prepared_so_far)
        preparation = self.gateway.prepare(self.cluster, name, snapshot, fast_drain)
        if preparation is None:
            return  # not now: _step says so, and a later round (or invocation) prepares
        states[name] = prepared(states[name], preparation)
        if self.on_step is not None:
            why = preparation.summary(drain_timeout_s(self.settings, preparation))
            now = self.clock()
            self.on_step(Step(states[name].ref, Phase.PREPARING, Kind.PREPARE, why, snapshot, now - self.started_at))

    def _step(
        self, states: dict[str, ServiceState], name: str, snapshot: ServiceSnapshot | None
    ) -> tuple[bool, bool, bool]:
        """Decide and act for one service. Returns (its reading or phase moved, it acted, an end looks imminent)."""
        state, now = states[name], self.clock()
        action = self._decide(state, snapshot, now)
        if action.kind in _CALLS and self.writes_throttled:
            return False, False, False  # ECS just throttled a write: this round's other writes wait for the next
        moved = (snapshot is not None and snapshot != state.snapshot) or action.phase is not state.phase
        before = state
        state = begin(state if snapshot is None else replace(state, snapshot=snapshot), action)
        if action.kind is Kind.PREPARE:  # still due: _prepare put it off (no time left in this invocation)
            action = Action(Kind.WAIT, before.phase, why="no time left in this invocation to prepare")
            state = begin(state, action)
        result = ""
        if action.kind in _CALLS:
            try:
                call = self._call(state, action)
            except EcsCallError as error:
                state, result = finish(state, Outcome.FAILED, Phase.FAILED, str(error)), "error"
            else:
                # ECS acted during the call: what counts from it (a drain's timeout, a blocked delete's wait)
                # counts from its end, never from before ECS's own moment.
                wait = self.settings.wait_for_inactive
                state, result = apply(state, action, call, self.clock(), wait), call.outcome.value
                self.writes_throttled = self.writes_throttled or call.throttled
        states[name] = state
        acted = action.kind is not Kind.WAIT
        if (moved or acted) and self.on_step is not None:
            elapsed = now - self.started_at
            self.on_step(Step(state.ref, state.phase, action.kind, state.why, snapshot, elapsed, action.force, result))
        # After a call ECS accepted, look again soon to see its effect; a throttled or refused call waits longer.
        accepted = result in (CallOutcome.ACCEPTED.value, CallOutcome.NOT_ACTIVE.value)
        return moved, acted, accepted or is_imminent(snapshot, action) or in_drain_window(state, self.started_at, now)

    def _decide(self, state: ServiceState, snapshot: ServiceSnapshot | None, now: float) -> Action:
        drain_elapsed = now - state.drain_start(self.started_at)
        blocked_since = state.progress.blocked_since
        blocked_s = now - blocked_since if blocked_since is not None else 0.0
        return decide(snapshot, state.progress, drain_elapsed, self.settings, blocked_s, state.drain_is_ours)

    def _call(self, state: ServiceState, action: Action) -> CallResult:
        name = state.ref.name
        if action.kind is Kind.SCALE_TO_ZERO:
            return self.gateway.scale_to_zero(self.cluster, name)
        if action.kind is Kind.STOP_DEPLOYMENT:
            rollout = state.snapshot.rollout if state.snapshot is not None else ""
            return self.gateway.stop_deployment(self.cluster, name, rollout)
        return self.gateway.delete(self.cluster, name, action.force)


_CALLS = (Kind.SCALE_TO_ZERO, Kind.DELETE, Kind.STOP_DEPLOYMENT)  # one ECS write each, then `apply`
