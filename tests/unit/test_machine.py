"""The pure state machine: every row of `decide`, plus the adaptive poll policy."""

from __future__ import annotations

import math
import re
import time

import pytest

from ecs_teardown.core.drain import Preparation
from ecs_teardown.core.machine import Action, Kind, Phase, Progress, Settings, decide
from ecs_teardown.core.model import ACTIVE, DAEMON, DRAINING, INACTIVE, MISSING, REPLICA, ForceMode, ServiceSnapshot
from ecs_teardown.core.polling import PollPolicy, is_imminent

AUTO, ALWAYS, NEVER = ForceMode.AUTO, ForceMode.ALWAYS, ForceMode.NEVER
DRAIN_S = 300.0
# Prepared: the service's auto scaling, target groups and stop timeout were read (here: none, stop timeout 30 s).
NOTHING = Progress(preparation=Preparation())
ACCEPTED = Progress(delete_accepted=True, preparation=Preparation())
REFUSED = Progress(
    force_required=True,
    refusal="The daemon scheduling strategy does not support a desired count",
    preparation=Preparation(),
)


def settings(
    force: ForceMode = AUTO, wait: bool = True, drain_s: float = DRAIN_S, not_after: float | None = None
) -> Settings:
    return Settings(drain_timeout_s=drain_s, force=force, wait_for_inactive=wait, not_after=not_after)


# A request's not_after (engine.run_teardown: when the teardown began, plus CLOCK_SKEW_S) and services around it.
NOT_AFTER = 1_800_000_001.0
NEWER = "a newer service of this name, created after the request: not touched"


def created(at: float, status: str = ACTIVE, desired: int = 2, running: int = 2) -> ServiceSnapshot:
    return ServiceSnapshot(status, desired=desired, running=running, created_at=at)


def active(desired: int = 0, running: int = 0, pending: int = 0, scheduling: str = REPLICA) -> ServiceSnapshot:
    return ServiceSnapshot(ACTIVE, scheduling=scheduling, desired=desired, running=running, pending=pending)


# id, snapshot, progress, elapsed, settings, expected kind, phase, force, words in `why`
ROWS = [
    # no reading yet
    ("no-reading", None, NOTHING, 0.0, settings(), Kind.WAIT, Phase.OBSERVING, False, "no reading"),
    ("no-reading-always", None, NOTHING, 0.0, settings(ALWAYS), Kind.WAIT, Phase.OBSERVING, False, ""),
    ("no-reading-late", None, NOTHING, 9999.0, settings(NEVER), Kind.WAIT, Phase.OBSERVING, False, ""),
    # gone
    (
        "missing-service",
        ServiceSnapshot(MISSING, missing_what="service"),
        NOTHING,
        0.0,
        settings(),
        Kind.DONE,
        Phase.GONE,
        False,
        "service not found",
    ),
    (
        "missing-cluster",
        ServiceSnapshot(MISSING, missing_what="cluster"),
        NOTHING,
        0.0,
        settings(),
        Kind.DONE,
        Phase.GONE,
        False,
        "cluster not found",
    ),
    ("missing-bare", ServiceSnapshot(MISSING), NOTHING, 0.0, settings(), Kind.DONE, Phase.GONE, False, "MISSING"),
    ("inactive", ServiceSnapshot(INACTIVE), NOTHING, 0.0, settings(), Kind.DONE, Phase.GONE, False, "INACTIVE"),
    ("inactive-always", ServiceSnapshot(INACTIVE), NOTHING, 0.0, settings(ALWAYS), Kind.DONE, Phase.GONE, False, ""),
    ("inactive-accepted", ServiceSnapshot(INACTIVE), ACCEPTED, 0.0, settings(), Kind.DONE, Phase.GONE, False, ""),
    (
        "inactive-no-wait",
        ServiceSnapshot(INACTIVE),
        ACCEPTED,
        0.0,
        settings(wait=False),
        Kind.DONE,
        Phase.GONE,
        False,
        "",
    ),
    ("missing-refused", ServiceSnapshot(MISSING), REFUSED, 0.0, settings(NEVER), Kind.DONE, Phase.GONE, False, ""),
    # a service created after the request took the name: it is not the one the request was for
    (
        "newer",
        created(NOT_AFTER + 5),
        NOTHING,
        0.0,
        settings(not_after=NOT_AFTER),
        Kind.DONE,
        Phase.REPLACED,
        False,
        NEWER,
    ),
    (
        "newer-always",
        created(NOT_AFTER + 5),
        NOTHING,
        0.0,
        settings(ALWAYS, not_after=NOT_AFTER),
        Kind.DONE,
        Phase.REPLACED,
        False,
        NEWER,
    ),
    (
        "newer-after-our-delete",
        created(NOT_AFTER + 600, DRAINING, desired=0, running=1),
        ACCEPTED,
        9999.0,
        settings(NEVER, not_after=NOT_AFTER),
        Kind.DONE,
        Phase.REPLACED,
        False,
        NEWER,
    ),
    (
        "newer-refused",
        created(NOT_AFTER + 5),
        REFUSED,
        0.0,
        settings(NEVER, not_after=NOT_AFTER),
        Kind.DONE,
        Phase.REPLACED,
        False,
        NEWER,
    ),
    (
        "newer-but-inactive",
        created(NOT_AFTER + 5, INACTIVE, desired=0, running=0),
        NOTHING,
        0.0,
        settings(not_after=NOT_AFTER),
        Kind.DONE,
        Phase.GONE,
        False,
        "INACTIVE",
    ),
    (
        "older",
        created(NOT_AFTER - 3600),
        NOTHING,
        0.0,
        settings(not_after=NOT_AFTER),
        Kind.SCALE_TO_ZERO,
        Phase.SCALING_DOWN,
        False,
        "desired 2",
    ),
    (
        "created-at-not-after",
        created(NOT_AFTER),
        NOTHING,
        0.0,
        settings(not_after=NOT_AFTER),
        Kind.SCALE_TO_ZERO,
        Phase.SCALING_DOWN,
        False,
        "desired 2",
    ),
    (
        "creation-unknown",
        ServiceSnapshot(ACTIVE, desired=2, running=2),
        NOTHING,
        0.0,
        settings(not_after=NOT_AFTER),
        Kind.SCALE_TO_ZERO,
        Phase.SCALING_DOWN,
        False,
        "",
    ),
    (
        "no-not-after",
        created(NOT_AFTER + 5),
        NOTHING,
        0.0,
        settings(),
        Kind.SCALE_TO_ZERO,
        Phase.SCALING_DOWN,
        False,
        "",
    ),
    # DRAINING: DeleteService was accepted (by us or someone else)
    (
        "draining-wait",
        ServiceSnapshot(DRAINING),
        NOTHING,
        0.0,
        settings(),
        Kind.WAIT,
        Phase.DRAINING,
        False,
        "INACTIVE",
    ),
    (
        "draining-tasks-wait",
        ServiceSnapshot(DRAINING, running=2),
        NOTHING,
        9999.0,
        settings(NEVER),
        Kind.WAIT,
        Phase.DRAINING,
        False,
        "",
    ),
    (
        "draining-no-wait",
        ServiceSnapshot(DRAINING),
        NOTHING,
        0.0,
        settings(wait=False),
        Kind.DONE,
        Phase.DELETE_ACCEPTED,
        False,
        "WaitForInactive",
    ),
    (
        "draining-always",
        ServiceSnapshot(DRAINING, running=1),
        NOTHING,
        0.0,
        settings(ALWAYS),
        Kind.WAIT,
        Phase.DRAINING,
        False,
        "",
    ),
    # ACTIVE, but our DeleteService was accepted: ECS lags a moment
    ("accepted-wait", active(), ACCEPTED, 0.0, settings(), Kind.WAIT, Phase.DRAINING, False, "waiting for INACTIVE"),
    (
        "accepted-no-wait",
        active(),
        ACCEPTED,
        0.0,
        settings(wait=False),
        Kind.DONE,
        Phase.DELETE_ACCEPTED,
        False,
        "",
    ),
    (
        "accepted-always",
        active(desired=3, running=3),
        ACCEPTED,
        0.0,
        settings(ALWAYS),
        Kind.WAIT,
        Phase.DRAINING,
        False,
        "",
    ),
    (
        "accepted-beats-refusal",
        active(running=1),
        Progress(delete_accepted=True, force_required=True, refusal="x"),
        9999.0,
        settings(NEVER),
        Kind.WAIT,
        Phase.DRAINING,
        False,
        "",
    ),
    # ForceDelete always: delete with force at once, whatever the counts
    (
        "always-scaled-up",
        active(desired=3, running=3),
        NOTHING,
        0.0,
        settings(ALWAYS),
        Kind.DELETE,
        Phase.DELETING,
        True,
        "always",
    ),
    ("always-drained", active(), NOTHING, 0.0, settings(ALWAYS), Kind.DELETE, Phase.DELETING, True, "always"),
    (
        "always-daemon",
        active(running=2, scheduling=DAEMON),
        NOTHING,
        0.0,
        settings(ALWAYS),
        Kind.DELETE,
        Phase.DELETING,
        True,
        "",
    ),
    # ECS refused the scale-down or the plain delete
    (
        "refused-auto",
        active(desired=2, running=2),
        REFUSED,
        0.0,
        settings(AUTO),
        Kind.DELETE,
        Phase.DELETING,
        True,
        "ECS refused: The daemon",
    ),
    (
        "refused-never",
        active(desired=2, running=2),
        REFUSED,
        0.0,
        settings(NEVER),
        Kind.FAIL,
        Phase.FAILED,
        False,
        "ForceDelete is never",
    ),
    (
        "refused-never-daemon",
        active(running=2, scheduling=DAEMON),
        REFUSED,
        0.0,
        settings(NEVER),
        Kind.FAIL,
        Phase.FAILED,
        False,
        "ECS refused",
    ),
    # DAEMON: deleted without a scale-down, no force needed
    (
        "daemon",
        active(running=3, scheduling=DAEMON),
        NOTHING,
        0.0,
        settings(),
        Kind.DELETE,
        Phase.DELETING,
        False,
        "DAEMON",
    ),
    (
        "daemon-never",
        active(desired=3, running=3, scheduling=DAEMON),
        NOTHING,
        0.0,
        settings(NEVER),
        Kind.DELETE,
        Phase.DELETING,
        False,
        "DAEMON",
    ),
    (
        "daemon-late",
        active(running=3, scheduling=DAEMON),
        NOTHING,
        9999.0,
        settings(NEVER),
        Kind.DELETE,
        Phase.DELETING,
        False,
        "",
    ),
    # REPLICA with a desired count: scale to zero first
    (
        "scale",
        active(desired=2, running=2),
        NOTHING,
        0.0,
        settings(),
        Kind.SCALE_TO_ZERO,
        Phase.SCALING_DOWN,
        False,
        "desired 2",
    ),
    ("scale-no-tasks", active(desired=1), NOTHING, 0.0, settings(), Kind.SCALE_TO_ZERO, Phase.SCALING_DOWN, False, ""),
    (
        "scale-never",
        active(desired=5, running=1),
        NOTHING,
        0.0,
        settings(NEVER),
        Kind.SCALE_TO_ZERO,
        Phase.SCALING_DOWN,
        False,
        "",
    ),
    (
        "scale-after-timeout",
        active(desired=2, running=2),
        NOTHING,
        9999.0,
        settings(),
        Kind.SCALE_TO_ZERO,
        Phase.SCALING_DOWN,
        False,
        "",
    ),
    # desired 0, tasks draining
    (
        "tasks-running",
        active(running=2),
        NOTHING,
        10.0,
        settings(),
        Kind.WAIT,
        Phase.DRAINING_TASKS,
        False,
        "running 2",
    ),
    (
        "tasks-pending",
        active(pending=1),
        NOTHING,
        10.0,
        settings(),
        Kind.WAIT,
        Phase.DRAINING_TASKS,
        False,
        "pending 1",
    ),
    (
        "tasks-just-before",
        active(running=1),
        NOTHING,
        DRAIN_S - 0.001,
        settings(),
        Kind.WAIT,
        Phase.DRAINING_TASKS,
        False,
        "",
    ),
    (
        "tasks-at-timeout-auto",
        active(running=1),
        NOTHING,
        DRAIN_S,
        settings(AUTO),
        Kind.DELETE,
        Phase.DELETING,
        True,
        "drain timeout of 300 s",
    ),
    (
        "tasks-after-timeout-auto",
        active(running=1, pending=1),
        NOTHING,
        DRAIN_S + 1,
        settings(AUTO),
        Kind.DELETE,
        Phase.DELETING,
        True,
        "running 1, pending 1",
    ),
    (
        "tasks-after-timeout-never",
        active(running=1),
        NOTHING,
        DRAIN_S + 1,
        settings(NEVER),
        Kind.FAIL,
        Phase.FAILED,
        False,
        "drain timeout",
    ),
    (
        "tasks-within-timeout-never",
        active(running=1),
        NOTHING,
        DRAIN_S - 1,
        settings(NEVER),
        Kind.WAIT,
        Phase.DRAINING_TASKS,
        False,
        "",
    ),
    (
        "tasks-zero-drain-timeout",
        active(running=1),
        NOTHING,
        0.0,
        settings(drain_s=0),
        Kind.DELETE,
        Phase.DELETING,
        True,
        "drain timeout of 0 s",
    ),
    # drained: a plain delete
    ("drained", active(), NOTHING, 0.0, settings(), Kind.DELETE, Phase.DELETING, False, "drained"),
    ("drained-late", active(), NOTHING, 9999.0, settings(), Kind.DELETE, Phase.DELETING, False, "drained"),
    ("drained-never", active(), NOTHING, 9999.0, settings(NEVER), Kind.DELETE, Phase.DELETING, False, "drained"),
    ("drained-no-wait", active(), NOTHING, 0.0, settings(wait=False), Kind.DELETE, Phase.DELETING, False, ""),
    # a status the table does not know: look again
    (
        "unknown-status",
        ServiceSnapshot("PENDING"),
        NOTHING,
        0.0,
        settings(),
        Kind.WAIT,
        Phase.OBSERVING,
        False,
        "PENDING",
    ),
    (
        "empty-status",
        ServiceSnapshot(""),
        NOTHING,
        0.0,
        settings(ALWAYS),
        Kind.WAIT,
        Phase.OBSERVING,
        False,
        "unexpected",
    ),
]


@pytest.mark.parametrize(
    ("snapshot", "progress", "elapsed", "config", "kind", "phase", "force", "why"),
    [pytest.param(*row[1:], id=row[0]) for row in ROWS],
)
def test_decide(
    snapshot: ServiceSnapshot | None,
    progress: Progress,
    elapsed: float,
    config: Settings,
    kind: Kind,
    phase: Phase,
    force: bool,
    why: str,
) -> None:
    action = decide(snapshot, progress, elapsed, config)
    assert (action.kind, action.phase, action.force) == (kind, phase, force)
    assert why in action.why
    assert action.why  # every action says why: it ends up in logs and Reasons


def test_fail_reason_says_why_and_that_force_was_refused() -> None:
    action = decide(active(running=2, pending=1), NOTHING, 301.0, settings(NEVER))
    assert action.kind is Kind.FAIL
    assert "running 2" in action.why
    assert "pending 1" in action.why
    assert "300 s" in action.why
    assert "never" in action.why


def test_decide_reads_no_clock_and_keeps_no_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """decide() answers from its arguments alone: it never reads a clock, and the whole table gives the same answers
    in either order (a cache, a counter or a clock read inside would show here)."""

    def no_clock() -> float:
        raise AssertionError("decide() read a clock")

    for name in ("time", "monotonic", "perf_counter", "time_ns", "monotonic_ns"):
        monkeypatch.setattr(time, name, no_clock)
    forward = [decide(*row[1:5]) for row in ROWS]  # type: ignore[arg-type]
    backward = [decide(*row[1:5]) for row in reversed(ROWS)]  # type: ignore[arg-type]
    assert forward == backward[::-1]


# The re-created service's boundary, decided for issue 14. Settings.not_after is the last moment at which a service
# may have been created and still be the one the request was for: engine.run_teardown sets it to the teardown's
# start plus CLOCK_SKEW_S (1 s), and that start is CloudFormation's X-Amz-Date, cut to the whole second. So a
# service created in the same second as the request, up to and including not_after, is the request's own and is
# torn down; only one created strictly after not_after (createdAt > not_after: `>`, not `>=`) is a newer service,
# left alone. README: "The teardown, service by service".
def test_the_newer_service_boundary_is_strictly_after_not_after() -> None:
    config = settings(not_after=NOT_AFTER)
    at, just_after = created(NOT_AFTER), created(math.nextafter(NOT_AFTER, math.inf))
    assert decide(at, NOTHING, 0.0, config) == Action(Kind.SCALE_TO_ZERO, Phase.SCALING_DOWN, why="desired 2")
    assert decide(just_after, NOTHING, 0.0, config) == Action(Kind.DONE, Phase.REPLACED, why=NEWER)


def test_snapshot_counts() -> None:
    snapshot = ServiceSnapshot(ACTIVE, desired=3, running=2, pending=1)
    assert snapshot.tasks == 3
    assert snapshot.counts() == "desired 3, running 2, pending 1"


def test_phase_values_are_distinct_lower_case_words() -> None:
    """Logs, JSON lines, the live view and Reasons carry a phase's value: one word or words joined by '-', and no
    two phases alike (the live view tells DONE from FAILED by them)."""
    values = [phase.value for phase in Phase]
    assert len(set(values)) == len(values)
    assert [v for v in values if not re.fullmatch(r"[a-z]+(-[a-z]+)*", v)] == []
    assert {Phase.GONE.value, Phase.REPLACED.value, Phase.DELETE_ACCEPTED.value, Phase.FAILED.value} == {
        "gone",
        "replaced",
        "delete-accepted",
        "failed",
    }


# ---------------------------------------------------------------------------------------------------------------
# PollPolicy and is_imminent
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "changed", "imminent", "expected"),
    [
        # something moved, no end in sight (tasks stopping one by one): settle for 8 s
        (1.0, True, False, 8.0),
        (60.0, True, False, 8.0),
        # something moved and the end is near (DRAINING, no tasks; a drain window): look again in 2.5 s
        (15.0, True, True, 2.5),
        # nothing moves: double, up to 30 s
        (2.5, False, False, 5.0),
        (5.0, False, False, 10.0),
        (10.0, False, False, 20.0),
        (20.0, False, False, 30.0),
        (30.0, False, False, 30.0),
        (100.0, False, False, 30.0),
        # nothing moves, the end is near: every 2.5 s
        (1.0, False, True, 2.5),
        (2.0, False, True, 2.5),
        (60.0, False, True, 2.5),
        # never below the fast interval
        (0.0, False, False, 2.5),
        (0.1, False, True, 2.5),
    ],
)
def test_next_interval(previous: float, changed: bool, imminent: bool, expected: float) -> None:
    assert PollPolicy().next_interval(previous, changed, imminent) == pytest.approx(expected)


def test_interval_grows_to_the_cap_and_resets_on_change() -> None:
    policy = PollPolicy()
    interval, seen = policy.fast_s, []
    for _ in range(20):
        interval = policy.next_interval(interval, changed=False, imminent=False)
        seen.append(interval)
    assert seen == sorted(seen)
    assert seen[-1] == policy.slow_cap_s
    assert policy.next_interval(interval, changed=False, imminent=True) == policy.imminent_cap_s
    assert policy.next_interval(interval, changed=True, imminent=False) == policy.settle_s
    assert policy.next_interval(interval, changed=True, imminent=True) == policy.fast_s


def test_custom_policy() -> None:
    policy = PollPolicy(fast_s=0.5, settle_s=2.0, imminent_cap_s=1.0, slow_cap_s=4.0, growth=2.0)
    assert policy.next_interval(0.5, False, False) == 1.0
    assert policy.next_interval(3.0, False, False) == 4.0
    assert policy.next_interval(3.0, False, True) == 1.0
    assert policy.next_interval(3.0, True, False) == 2.0
    assert policy.next_interval(3.0, True, True) == 0.5


WAIT_DRAINING = Action(Kind.WAIT, Phase.DRAINING)


@pytest.mark.parametrize(
    ("snapshot", "action", "expected"),
    [
        pytest.param(ServiceSnapshot(DRAINING), WAIT_DRAINING, True, id="draining-no-tasks"),
        pytest.param(active(), WAIT_DRAINING, True, id="accepted-active-no-tasks"),
        pytest.param(ServiceSnapshot(DRAINING, running=1), WAIT_DRAINING, False, id="draining-with-running"),
        pytest.param(ServiceSnapshot(DRAINING, pending=1), WAIT_DRAINING, False, id="draining-with-pending"),
        pytest.param(None, WAIT_DRAINING, False, id="no-reading"),
        pytest.param(active(running=1), Action(Kind.WAIT, Phase.DRAINING_TASKS), False, id="draining-tasks"),
        pytest.param(active(), Action(Kind.DELETE, Phase.DELETING), False, id="deleting"),
        pytest.param(ServiceSnapshot(INACTIVE), Action(Kind.DONE, Phase.GONE), False, id="gone"),
        pytest.param(None, Action(Kind.WAIT, Phase.OBSERVING), False, id="observing"),
    ],
)
def test_is_imminent(snapshot: ServiceSnapshot | None, action: Action, expected: bool) -> None:
    assert is_imminent(snapshot, action) is expected


def test_is_imminent_follows_decide() -> None:
    snapshot = ServiceSnapshot(DRAINING)
    assert is_imminent(snapshot, decide(snapshot, NOTHING, 0.0, settings())) is True
    busy = active(running=1)
    assert is_imminent(busy, decide(busy, NOTHING, 0.0, settings())) is False
