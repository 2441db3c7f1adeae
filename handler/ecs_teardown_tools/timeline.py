"""How one ECS service's teardown plays out over time: the one model every stand-in for ECS plays.

The demo's embedded moto (`emulator.py`), the tests' fake ECS client (`tests/support/fake_ecs.py`) and the
benchmarks' staggered drains (`bench/timelines.py`) all keep a `ServiceTimeline` per service and ask it how many
tasks still run and which status ECS reports. It reads no clock and calls nothing: every answer is a pure function
of `now` and of two recorded moments, when the tasks were first asked to stop (a scale to zero, or the delete) and
when DeleteService was accepted. Tooling only: it never enters the Lambda artifact and imports no AWS SDK.

What it models: once asked to stop, the tasks stop one by one, each at its own offset after `stop_started_at`
(evenly over `task_stop_s` unless `stop_offsets` says otherwise); a deleted service stays DRAINING until its last
task is gone, then `draining_s` more, and is INACTIVE from then on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# ECS's own status strings, spelled here rather than taken from the engine, so that what plays ECS for the engine's
# tests stays independent of the engine.
ACTIVE, DRAINING, INACTIVE = "ACTIVE", "DRAINING", "INACTIVE"

# A clock that lands exactly on a task's even-spaced stop counts that task stopped, whatever the float rounding.
_ON_THE_STOP = 1e-9


@dataclass
class ServiceTimeline:
    """One service's tasks and DRAINING over time, and the two moments that move it (seconds on any one clock).

    By default the `tasks` stop evenly spaced over `task_stop_s` (the k-th of n at k/n of it). `stop_offsets`, when
    given, are each task's own stop, in seconds after the stop started (behind a load balancer they cluster after
    the deregistration delay); they then set `tasks` and `task_stop_s` (their count and the last of them).
    """

    tasks: int = 0  # running before the teardown
    task_stop_s: float = 0.0  # from the stop's start to the last task gone (evenly spaced unless stop_offsets)
    draining_s: float = 0.0  # DRAINING -> INACTIVE, once deleted and no task is left
    stop_offsets: tuple[float, ...] | None = None
    stop_started_at: float | None = None  # the first scale to zero, or the delete, whichever came first
    deleted_at: float | None = None  # when DeleteService was accepted

    def __post_init__(self) -> None:
        if self.stop_offsets is not None:
            self.tasks, self.task_stop_s = len(self.stop_offsets), max(self.stop_offsets, default=0.0)

    def stop(self, now: float) -> None:
        """The tasks are asked to stop (a scale to zero); only the first request counts."""
        if self.stop_started_at is None:
            self.stop_started_at = now

    def delete(self, now: float) -> None:
        """DeleteService was accepted: the tasks stop from now, unless they were already stopping."""
        self.stop(now)
        self.deleted_at = now

    def running(self, now: float) -> int:
        if self.stop_started_at is None:
            return self.tasks
        if self.stop_offsets is not None:
            return sum(1 for offset in self.stop_offsets if now < self.stop_started_at + offset)
        if self.task_stop_s <= 0:
            return 0
        left = 1 - (now - self.stop_started_at) / self.task_stop_s
        return max(0, math.ceil(self.tasks * left - _ON_THE_STOP))

    def tasks_gone_at(self) -> float | None:
        """When the last task stops, or None while no stop was asked for."""
        return None if self.stop_started_at is None else self.stop_started_at + max(0.0, self.task_stop_s)

    def inactive_at(self) -> float | None:
        """When ECS first reports INACTIVE, or None while no delete was accepted."""
        if self.deleted_at is None:
            return None
        gone = self.tasks_gone_at()
        return max(self.deleted_at, self.deleted_at if gone is None else gone) + self.draining_s

    def status(self, now: float) -> str:
        inactive_at = self.inactive_at()
        if inactive_at is None:
            return ACTIVE
        return DRAINING if now < inactive_at else INACTIVE
