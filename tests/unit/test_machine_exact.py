"""decide(), apply() and begin(), asserted whole: the exact action (its why is a log line and maybe a Reason) for
the rows that need no write, and the whole next state after each outcome of an ECS call, so a field set wrongly
(or not at all) shows. tests/unit/test_machine.py has the full decide() table."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ecs_teardown.core.drain import Preparation
from ecs_teardown.core.machine import (
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
    finish,
)
from ecs_teardown.core.model import (
    ACTIVE,
    DRAINING,
    INACTIVE,
    MISSING,
    UNREADABLE,
    ForceMode,
    ServiceRef,
    ServiceSnapshot,
)
from ecs_teardown.core.ports import CallOutcome, CallResult

WEB = ServiceRef("prod", "web")
NOW = 1_800_000_100.0
SCALE = Action(Kind.SCALE_TO_ZERO, Phase.SCALING_DOWN, why="desired 2")
DELETE = Action(Kind.DELETE, Phase.DELETING, why="drained: no tasks left")
FORCE = Action(Kind.DELETE, Phase.DELETING, force=True, why="ForceDelete is always")
WAIT_FOR_INACTIVE = Settings(drain_timeout_s=300.0, force=ForceMode.AUTO, wait_for_inactive=True)
NO_WAIT = Settings(drain_timeout_s=300.0, force=ForceMode.AUTO, wait_for_inactive=False)


@pytest.mark.parametrize(
    ("snapshot", "progress", "settings", "expected"),
    [
        (None, Progress(), WAIT_FOR_INACTIVE, Action(Kind.WAIT, Phase.OBSERVING, why="no reading of the service yet")),
        (
            ServiceSnapshot(UNREADABLE, problem="runningCount missing or null"),
            Progress(),
            WAIT_FOR_INACTIVE,
            Action(Kind.FAIL, Phase.FAILED, why="runningCount missing or null"),
        ),
        (
            ServiceSnapshot(MISSING, missing_what="cluster"),
            Progress(),
            WAIT_FOR_INACTIVE,
            Action(Kind.DONE, Phase.GONE, why="cluster not found"),
        ),
        (ServiceSnapshot(MISSING), Progress(), WAIT_FOR_INACTIVE, Action(Kind.DONE, Phase.GONE, why="MISSING")),
        (ServiceSnapshot(INACTIVE), Progress(), NO_WAIT, Action(Kind.DONE, Phase.GONE, why="INACTIVE")),
        (
            ServiceSnapshot(DRAINING),
            Progress(),
            WAIT_FOR_INACTIVE,
            Action(Kind.WAIT, Phase.DRAINING, why="DRAINING: waiting for INACTIVE"),
        ),
        (
            ServiceSnapshot(ACTIVE),
            Progress(delete_accepted=True),
            WAIT_FOR_INACTIVE,
            Action(Kind.WAIT, Phase.DRAINING, why="ACTIVE: waiting for INACTIVE"),
        ),
        (
            ServiceSnapshot(DRAINING, running=1),
            Progress(),
            NO_WAIT,
            Action(Kind.DONE, Phase.DELETE_ACCEPTED, why="DeleteService accepted; WaitForInactive is false"),
        ),
        (
            ServiceSnapshot("PROVISIONING", desired=2),
            Progress(),
            WAIT_FOR_INACTIVE,
            Action(Kind.WAIT, Phase.OBSERVING, why="unexpected status PROVISIONING"),
        ),
    ],
)
def test_decide_without_a_write_says_exactly_why(
    snapshot: ServiceSnapshot | None, progress: Progress, settings: Settings, expected: Action
) -> None:
    assert decide(snapshot, progress, 0.0, settings) == expected


# a service part way through: its last action began, nothing learned yet
BEFORE = ServiceState(WEB, phase=Phase.DELETING, why="drained: no tasks left")


@pytest.mark.parametrize("action", [SCALE, DELETE, FORCE])
@pytest.mark.parametrize(("detail", "why"), [("service not found", "service not found"), ("", "not found")])
def test_a_call_answered_gone_ends_the_service_done(action: Action, detail: str, why: str) -> None:
    after = apply(BEFORE, action, CallResult(CallOutcome.GONE, detail), NOW)
    assert after == replace(BEFORE, outcome=Outcome.DONE, phase=Phase.GONE, why=why)


@pytest.mark.parametrize("action", [SCALE, DELETE, FORCE])
def test_a_call_to_retry_later_keeps_everything_but_says_why(action: Action) -> None:
    after = apply(BEFORE, action, CallResult(CallOutcome.RETRY_LATER, "Rate exceeded", throttled=True), NOW)
    assert after == replace(BEFORE, why=f"{action.why}; will retry: Rate exceeded")


@pytest.mark.parametrize("action", [SCALE, DELETE])
def test_a_refusal_only_force_gets_past_is_remembered_with_ecs_s_words(action: Action) -> None:
    words = "The daemon scheduling strategy does not support a desired count"
    after = apply(BEFORE, action, CallResult(CallOutcome.NEEDS_FORCE, words), NOW)
    assert after == replace(BEFORE, progress=replace(BEFORE.progress, force_required=True, refusal=words))
    assert after.outcome is Outcome.UNFINISHED


def test_an_accepted_scale_down_starts_the_drain_clock() -> None:
    after = apply(BEFORE, SCALE, CallResult(CallOutcome.ACCEPTED), NOW)
    assert after == replace(BEFORE, drain_started_at=NOW)


def test_a_second_accepted_scale_down_keeps_the_first_drain_start() -> None:
    draining = replace(BEFORE, drain_started_at=NOW - 30)
    assert apply(draining, SCALE, CallResult(CallOutcome.ACCEPTED), NOW) == draining


def test_a_scale_down_of_a_service_no_longer_active_starts_no_drain_clock() -> None:
    assert apply(BEFORE, SCALE, CallResult(CallOutcome.NOT_ACTIVE, "being deleted"), NOW) == BEFORE


@pytest.mark.parametrize(("action", "forced"), [(DELETE, False), (FORCE, True)])
def test_an_accepted_delete_waits_for_inactive(action: Action, forced: bool) -> None:
    after = apply(BEFORE, action, CallResult(CallOutcome.ACCEPTED), NOW)
    expected = replace(BEFORE, progress=replace(BEFORE.progress, delete_accepted=True), forced=forced)
    assert after == replace(expected, phase=Phase.DRAINING)


@pytest.mark.parametrize(("outcome", "forced"), [(CallOutcome.ACCEPTED, True), (CallOutcome.NOT_ACTIVE, False)])
def test_without_wait_for_inactive_a_delete_ecs_took_is_the_end_at_once(outcome: CallOutcome, forced: bool) -> None:
    """DeleteService answered with the service: no reading after it is needed (nor made) to call it done."""
    after = apply(BEFORE, FORCE, CallResult(outcome), NOW, wait_for_inactive=False)
    progress = replace(BEFORE.progress, delete_accepted=True)
    why = "DeleteService accepted; WaitForInactive is false"
    assert after == replace(
        BEFORE, progress=progress, forced=forced, outcome=Outcome.DONE, phase=Phase.DELETE_ACCEPTED, why=why
    )


@pytest.mark.parametrize("action", [DELETE, FORCE])
def test_a_delete_of_a_service_already_being_deleted_counts_as_accepted_without_force(action: Action) -> None:
    after = apply(BEFORE, action, CallResult(CallOutcome.NOT_ACTIVE, "ServiceNotActiveException"), NOW)
    assert after == replace(BEFORE, progress=replace(BEFORE.progress, delete_accepted=True))
    assert after.forced is False and after.phase is Phase.DELETING


def test_forced_once_stays_forced() -> None:
    forced_before = replace(BEFORE, forced=True)
    after = apply(forced_before, DELETE, CallResult(CallOutcome.NOT_ACTIVE), NOW)
    assert after.forced is True


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        (Kind.DONE, Outcome.DONE),
        (Kind.FAIL, Outcome.FAILED),
        (Kind.WAIT, Outcome.UNFINISHED),
        (Kind.SCALE_TO_ZERO, Outcome.UNFINISHED),
        (Kind.DELETE, Outcome.UNFINISHED),
    ],
)
def test_begin_takes_the_action_s_phase_and_why_and_ends_only_on_done_or_fail(kind: Kind, outcome: Outcome) -> None:
    state = ServiceState(WEB, phase=Phase.OBSERVING, why="no reading of the service yet", drain_started_at=NOW)
    action = Action(kind, Phase.DRAINING_TASKS, why="desired 0, running 1, pending 0")
    assert begin(state, action) == replace(state, phase=Phase.DRAINING_TASKS, why=action.why, outcome=outcome)


def test_finish_sets_outcome_phase_and_why_only() -> None:
    state = ServiceState(WEB, forced=True, drain_started_at=NOW)
    assert finish(state, Outcome.FAILED, Phase.FAILED, "access denied") == replace(
        state, outcome=Outcome.FAILED, phase=Phase.FAILED, why="access denied"
    )


def test_force_always_says_so() -> None:
    always = Settings(drain_timeout_s=300.0, force=ForceMode.ALWAYS, wait_for_inactive=True)
    prepared = Progress(preparation=Preparation())
    assert decide(ServiceSnapshot(ACTIVE, desired=3, running=3), prepared, 0.0, always) == Action(
        Kind.DELETE, Phase.DELETING, force=True, why="ForceDelete is always"
    )
