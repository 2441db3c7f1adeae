"""Every transition of one service's teardown, in one place: `decide` (what ECS shows, plus what this teardown
learned -> the next action) and `apply` (an action and the outcome of its ECS call -> the service's next state).

No I/O and no clock: the table in the README and the table-driven tests in tests/unit/test_machine.py describe the
whole behaviour; engine.py only observes, calls the gateway and hands the results back here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from .model import ACTIVE, DAEMON, DRAINING, UNREADABLE, ForceMode, ServiceRef, ServiceSnapshot
from .ports import CallOutcome, CallResult


@dataclass(frozen=True)
class Progress:
    """What this invocation learned from its own calls, which a DescribeServices reading does not show."""

    delete_accepted: bool = False  # DeleteService answered; ECS may still show ACTIVE for a moment
    force_required: bool = False  # ECS refused the scale-down or the plain delete
    refusal: str = ""  # ECS's words for that refusal


class Kind(enum.Enum):
    DONE = "done"
    SCALE_TO_ZERO = "scale_to_zero"
    WAIT = "wait"
    DELETE = "delete"
    FAIL = "fail"


class Phase(enum.StrEnum):
    """Where a service is in its teardown; the value is what logs, the CLI and Reasons show."""

    OBSERVING = "observing"  # no reading yet (a throttled or failed DescribeServices)
    SCALING_DOWN = "scaling-down"
    DRAINING_TASKS = "draining-tasks"  # desired 0, tasks still running or pending
    DELETING = "deleting"
    DRAINING = "draining"  # DeleteService accepted; ECS shows DRAINING
    GONE = "gone"  # INACTIVE or MISSING
    REPLACED = "replaced"  # a newer service has the name: not the one this teardown was asked for
    DELETE_ACCEPTED = "delete-accepted"  # done, with WaitForInactive=false
    FAILED = "failed"


class Outcome(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    UNFINISHED = "unfinished"


@dataclass(frozen=True)
class Action:
    kind: Kind
    phase: Phase
    force: bool = False
    why: str = ""  # why this action: shown in logs, and as the Reason of a FAIL


@dataclass(frozen=True)
class Settings:
    drain_timeout_s: float
    force: ForceMode
    wait_for_inactive: bool
    # A service created after this moment is a newer one that took the name (a late or repeated Delete must not
    # tear it down); None: no such check.
    not_after: float | None = None


@dataclass(frozen=True)
class ServiceState:
    """One service's teardown so far: its last reading, what was learned, and where it stands."""

    ref: ServiceRef
    progress: Progress = field(default_factory=Progress)
    snapshot: ServiceSnapshot | None = None
    phase: Phase = Phase.OBSERVING
    why: str = ""
    outcome: Outcome = Outcome.UNFINISHED
    forced: bool = False
    drain_started_at: float | None = None  # when our scale-down was accepted: the drain timeout counts from it


def decide(snapshot: ServiceSnapshot | None, progress: Progress, drain_elapsed_s: float, settings: Settings) -> Action:
    """The next action for one service. `drain_elapsed_s` counts from the start of its drain: when its scale-down
    was accepted, or, for a service found at desired 0, when the teardown began."""
    if snapshot is None:
        return Action(Kind.WAIT, Phase.OBSERVING, why="no reading of the service yet")
    if snapshot.status == UNREADABLE:  # never act on a count that is not known
        return Action(Kind.FAIL, Phase.FAILED, why=snapshot.problem)
    if _newer_than_request(snapshot, settings):
        return Action(
            Kind.DONE, Phase.REPLACED, why="a newer service of this name, created after the request: not touched"
        )
    if snapshot.gone:
        what = f"{snapshot.missing_what} not found" if snapshot.missing_what else snapshot.status
        return Action(Kind.DONE, Phase.GONE, why=what)
    if progress.delete_accepted or snapshot.status == DRAINING:
        if not settings.wait_for_inactive:
            return Action(Kind.DONE, Phase.DELETE_ACCEPTED, why="DeleteService accepted; WaitForInactive is false")
        return Action(Kind.WAIT, Phase.DRAINING, why=f"{snapshot.status}: waiting for INACTIVE")
    if snapshot.status != ACTIVE:
        # A status this table does not know yet: look again rather than act on a guess.
        return Action(Kind.WAIT, Phase.OBSERVING, why=f"unexpected status {snapshot.status}")

    if settings.force is ForceMode.ALWAYS:
        return Action(Kind.DELETE, Phase.DELETING, force=True, why="ForceDelete is always")
    if progress.force_required:
        return _force_or_fail(settings, f"ECS refused: {progress.refusal}")
    if snapshot.scheduling == DAEMON:
        # DAEMON services refuse a desiredCount; ECS stops their tasks itself on DeleteService.
        return Action(Kind.DELETE, Phase.DELETING, why="DAEMON service: deleted without a scale-down")
    if snapshot.desired > 0:
        return Action(Kind.SCALE_TO_ZERO, Phase.SCALING_DOWN, why=f"desired {snapshot.desired}")
    if snapshot.tasks > 0:
        if drain_elapsed_s < settings.drain_timeout_s:
            return Action(Kind.WAIT, Phase.DRAINING_TASKS, why=snapshot.counts())
        return _force_or_fail(
            settings,
            f"tasks still running after the drain timeout of {settings.drain_timeout_s:g} s ({snapshot.counts()})",
        )
    return Action(Kind.DELETE, Phase.DELETING, why="drained: no tasks left")


def _newer_than_request(snapshot: ServiceSnapshot, settings: Settings) -> bool:
    if snapshot.created_at is None or settings.not_after is None or snapshot.gone:
        return False
    return snapshot.created_at > settings.not_after


def _force_or_fail(settings: Settings, why: str) -> Action:
    if settings.force is ForceMode.NEVER:
        return Action(Kind.FAIL, Phase.FAILED, why=f"{why}; ForceDelete is never, so it was not deleted with force")
    return Action(Kind.DELETE, Phase.DELETING, force=True, why=why)


def begin(state: ServiceState, action: Action) -> ServiceState:
    """The state as the action starts: its phase and why; DONE and FAIL end the service's teardown here."""
    outcome = {Kind.DONE: Outcome.DONE, Kind.FAIL: Outcome.FAILED}.get(action.kind, state.outcome)
    return replace(state, phase=action.phase, why=action.why, outcome=outcome)


def apply(state: ServiceState, action: Action, call: CallResult, now: float) -> ServiceState:
    """What the ECS call the action made (a scale-down or a delete) changed."""
    if call.outcome is CallOutcome.GONE:
        return finish(state, Outcome.DONE, Phase.GONE, call.detail or "not found")
    if call.outcome is CallOutcome.NEEDS_FORCE:
        return replace(state, progress=replace(state.progress, force_required=True, refusal=call.detail))
    if call.outcome is CallOutcome.RETRY_LATER:
        return replace(state, why=f"{action.why}; will retry: {call.detail}")
    if action.kind is Kind.SCALE_TO_ZERO:  # accepted (or not active: the next reading tells)
        accepted = call.outcome is CallOutcome.ACCEPTED and state.drain_started_at is None
        return replace(state, drain_started_at=now) if accepted else state
    forced = state.forced or (action.force and call.outcome is CallOutcome.ACCEPTED)
    phase = Phase.DRAINING if call.outcome is CallOutcome.ACCEPTED else state.phase
    return replace(state, progress=replace(state.progress, delete_accepted=True), forced=forced, phase=phase)


def finish(state: ServiceState, outcome: Outcome, phase: Phase, why: str) -> ServiceState:
    return replace(state, outcome=outcome, phase=phase, why=why)
