"""The pure state machine: what ECS shows of a service (plus what this teardown learned) -> the next action.

No I/O and no clock: every transition of a teardown is in `decide`, so the table in the README and the
table-driven tests in tests/unit/test_machine.py describe the whole behaviour.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .properties import ForceMode

ACTIVE, DRAINING, INACTIVE, MISSING = "ACTIVE", "DRAINING", "INACTIVE", "MISSING"
DAEMON, REPLICA = "DAEMON", "REPLICA"


@dataclass(frozen=True)
class ServiceSnapshot:
    """One DescribeServices reading of a service (MISSING: purged, never created, or its cluster is gone)."""

    status: str
    scheduling: str = REPLICA
    desired: int = 0
    running: int = 0
    pending: int = 0
    arn: str = ""
    missing_what: str = ""  # "cluster" or "service", for MISSING
    created_at: float | None = None  # epoch seconds, where ECS says (it does; moto does not)

    @property
    def tasks(self) -> int:
        return self.running + self.pending

    def counts(self) -> str:
        return f"desired {self.desired}, running {self.running}, pending {self.pending}"


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


def decide(snapshot: ServiceSnapshot | None, progress: Progress, elapsed_s: float, settings: Settings) -> Action:
    """The next action for one service. `elapsed_s` counts from the start of the teardown."""
    if snapshot is None:
        return Action(Kind.WAIT, Phase.OBSERVING, why="no reading of the service yet")
    if _newer_than_request(snapshot, settings):
        return Action(
            Kind.DONE, Phase.REPLACED, why="a newer service of this name, created after the request: not touched"
        )
    if snapshot.status in (INACTIVE, MISSING):
        what = f"{snapshot.missing_what} not found" if snapshot.missing_what else snapshot.status
        return Action(Kind.DONE, Phase.GONE, why=what)
    accepted = progress.delete_accepted or snapshot.status == DRAINING
    if accepted:
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
        if elapsed_s < settings.drain_timeout_s:
            return Action(Kind.WAIT, Phase.DRAINING_TASKS, why=snapshot.counts())
        return _force_or_fail(
            settings,
            f"tasks still running after the drain timeout of {settings.drain_timeout_s:g} s ({snapshot.counts()})",
        )
    return Action(Kind.DELETE, Phase.DELETING, why="drained: no tasks left")


def _newer_than_request(snapshot: ServiceSnapshot, settings: Settings) -> bool:
    if snapshot.created_at is None or settings.not_after is None or snapshot.status in (INACTIVE, MISSING):
        return False
    return snapshot.created_at > settings.not_after


def _force_or_fail(settings: Settings, why: str) -> Action:
    if settings.force is ForceMode.NEVER:
        return Action(Kind.FAIL, Phase.FAILED, why=f"{why}; ForceDelete is never, so it was not deleted with force")
    return Action(Kind.DELETE, Phase.DELETING, force=True, why=why)


@dataclass(frozen=True)
class PollPolicy:
    """Adaptive polling: quick where the end is near, patient while a drain runs its course.

    bench/run.py measured these numbers on seeded 5- and 20-minute timelines: the answer follows INACTIVE by a
    median of under 2 s, with fewer DescribeServices calls than botocore's 15 s waiter or a fixed 10 s poll.
    The price is noticing the end of a long task drain up to `slow_cap_s` late.
    """

    fast_s: float = 1.0  # when an end is imminent and something just moved
    settle_s: float = 8.0  # after a change while no end is imminent (tasks stopping one by one)
    imminent_cap_s: float = 3.0  # the longest wait while only ECS's bookkeeping is left (DRAINING, no tasks)
    slow_cap_s: float = 60.0  # the longest wait while nothing moves (a load balancer's deregistration delay)
    growth: float = 3.0

    def next_interval(self, previous_s: float, changed: bool, imminent: bool) -> float:
        if imminent:
            return self.fast_s if changed else min(max(self.fast_s, previous_s * self.growth), self.imminent_cap_s)
        if changed:
            return self.settle_s
        return min(max(self.fast_s, previous_s * self.growth), self.slow_cap_s)


def is_imminent(snapshot: ServiceSnapshot | None, action: Action) -> bool:
    """True where the next reading is likely to end the service's wait: no tasks left, only ECS's bookkeeping."""
    return snapshot is not None and action.phase is Phase.DRAINING and snapshot.tasks == 0
