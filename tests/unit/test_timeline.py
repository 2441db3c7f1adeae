"""ServiceTimeline, the one model of a teardown over time that the demo's emulator, the tests' fake ECS and the
benchmarks play: tasks stop evenly (or at their own offsets), DRAINING lasts until the tasks are gone plus
`draining_s`, and only the first stop counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ecs_teardown_tools.timeline import ACTIVE, DRAINING, INACTIVE, ServiceTimeline

T0 = 1_800_000_000.0  # as the fake clock starts: large, so float rounding is that of real runs


@pytest.mark.parametrize(
    ("tasks", "task_stop_s", "elapsed", "running"),
    [
        (3, 45.0, 0.0, 3),
        (3, 45.0, 14.5, 3),
        (3, 45.0, 15.0, 2),  # exactly on a task's stop: that task is gone
        (3, 45.0, 29.5, 2),
        (3, 45.0, 30.0, 1),
        (3, 45.0, 45.0, 0),
        (3, 45.0, 4500.0, 0),
        (2, 30.0, 15.0, 1),
        (6, 9.9, 8.25, 1),  # on the 5th stop, where 6 * (1 - 8.25 / 9.9) rounds to a hair above 1
        (1, 10.0, 9.5, 1),
        (1, 10.0, 10.0, 0),
        (4, 0.0, 0.0, 0),  # nothing to wait for: gone at once
        (4, -5.0, 0.0, 0),
        (0, 30.0, 0.0, 0),
    ],
)
def test_tasks_stop_evenly_over_task_stop_s(tasks: int, task_stop_s: float, elapsed: float, running: int) -> None:
    timeline = ServiceTimeline(tasks=tasks, task_stop_s=task_stop_s, stop_started_at=T0)
    assert timeline.running(T0 + elapsed) == running


@pytest.mark.parametrize(
    ("offsets", "elapsed", "running"),
    [
        ((200.5, 210.0, 230.0), 0.0, 3),
        ((200.5, 210.0, 230.0), 200.4, 3),
        ((200.5, 210.0, 230.0), 200.5, 2),
        ((210.0, 200.5, 230.0), 209.9, 2),  # the order they are given in does not matter
        ((200.5, 210.0, 230.0), 229.9, 1),
        ((200.5, 210.0, 230.0), 230.0, 0),
        ((5.0, 5.0), 4.9, 2),  # two tasks stopping together
        ((5.0, 5.0), 5.0, 0),
        ((), 0.0, 0),
    ],
)
def test_staggered_tasks_stop_at_their_own_offsets(offsets: tuple[float, ...], elapsed: float, running: int) -> None:
    timeline = ServiceTimeline(stop_offsets=offsets, stop_started_at=T0)
    assert timeline.running(T0 + elapsed) == running


@pytest.mark.parametrize(("tasks", "task_stop_s"), [(1, 7.0), (3, 45.0), (5, 30.0), (6, 233.3)])
def test_even_spacing_is_offsets_at_k_over_n_of_task_stop_s(tasks: int, task_stop_s: float) -> None:
    even = ServiceTimeline(tasks=tasks, task_stop_s=task_stop_s, stop_started_at=T0)
    offsets = tuple(task_stop_s * k / tasks for k in range(1, tasks + 1))
    staggered = ServiceTimeline(stop_offsets=offsets, stop_started_at=T0)
    for step in range(int(task_stop_s * 4) + 8):
        now = T0 + step * 0.25 + 0.1  # between the stops, where float rounding cannot decide
        assert even.running(now) == staggered.running(now), f"{step * 0.25 + 0.1} s after the stop"


def test_offsets_set_tasks_and_the_last_stop() -> None:
    timeline = ServiceTimeline(tasks=9, task_stop_s=1.0, stop_offsets=(30.0, 250.0, 240.0))
    assert (timeline.tasks, timeline.task_stop_s) == (3, 250.0)
    assert timeline.running(T0) == 3, "nothing stops before it is asked to"


@pytest.mark.parametrize(
    ("stop_at", "deleted_at", "task_stop_s", "draining_s", "inactive_at"),
    [
        (None, None, 30.0, 20.0, None),  # never deleted: ACTIVE for ever
        (0.0, None, 30.0, 20.0, None),  # scaled to zero only: still ACTIVE
        (0.0, 10.0, 30.0, 20.0, 50.0),  # deleted while its tasks stop: they go at 30, then 20 s DRAINING
        (0.0, 45.0, 30.0, 20.0, 65.0),  # deleted after its tasks were gone: 20 s DRAINING from the delete
        (10.0, 10.0, 30.0, 20.0, 60.0),  # deleted first: the tasks stop from the delete
        (None, 10.0, 30.0, 20.0, 30.0),  # marked deleted with no stop asked: DRAINING from the delete
        (0.0, 10.0, -30.0, 20.0, 30.0),  # a negative stop time counts as none
        (0.0, 10.0, 0.0, 0.0, 10.0),
    ],
)
def test_inactive_when_deleted_and_drained(
    stop_at: float | None, deleted_at: float | None, task_stop_s: float, draining_s: float, inactive_at: float | None
) -> None:
    timeline = ServiceTimeline(
        tasks=2,
        task_stop_s=task_stop_s,
        draining_s=draining_s,
        stop_started_at=None if stop_at is None else T0 + stop_at,
        deleted_at=None if deleted_at is None else T0 + deleted_at,
    )
    if inactive_at is None:
        assert timeline.inactive_at() is None
        assert timeline.status(T0 + 10_000) == ACTIVE
        return
    assert timeline.inactive_at() == T0 + inactive_at
    assert deleted_at is not None
    if inactive_at > deleted_at:  # DRAINING from the delete until then
        assert [timeline.status(T0 + t) for t in (deleted_at, inactive_at - 0.5)] == [DRAINING, DRAINING]
    assert timeline.status(T0 + inactive_at) == INACTIVE, "INACTIVE from that moment on"
    assert timeline.status(T0 + inactive_at + 10_000) == INACTIVE


@pytest.mark.parametrize(
    ("stop_at", "task_stop_s", "offsets", "gone_at"),
    [
        (None, 30.0, None, None),  # not asked to stop: running for ever
        (5.0, 30.0, None, 35.0),
        (5.0, 0.0, None, 5.0),
        (5.0, -30.0, None, 5.0),  # a negative stop time counts as none
        (5.0, 1.0, (200.0, 230.5, 210.0), 235.5),  # the last offset
        (5.0, 1.0, (), 5.0),
    ],
)
def test_tasks_gone_at_the_last_stop(
    stop_at: float | None, task_stop_s: float, offsets: tuple[float, ...] | None, gone_at: float | None
) -> None:
    started = None if stop_at is None else T0 + stop_at
    timeline = ServiceTimeline(tasks=2, task_stop_s=task_stop_s, stop_offsets=offsets, stop_started_at=started)
    assert timeline.tasks_gone_at() == (None if gone_at is None else T0 + gone_at)
    if gone_at is not None:
        assert timeline.running(T0 + gone_at) == 0


def test_staggered_inactive_follows_the_last_offset() -> None:
    timeline = ServiceTimeline(stop_offsets=(200.0, 215.5), draining_s=12.0)
    timeline.stop(T0)
    timeline.delete(T0 + 5)
    assert timeline.inactive_at() == T0 + 215.5 + 12.0
    assert [timeline.status(T0 + s) for s in (5.0, 227.4, 227.5)] == [DRAINING, DRAINING, INACTIVE]


@pytest.mark.parametrize(
    ("calls", "stop_started_at", "deleted_at"),
    [
        ([("stop", 10.0)], 10.0, None),
        ([("stop", 10.0), ("stop", 20.0)], 10.0, None),  # only the first scale to zero starts the stop
        ([("delete", 30.0)], 30.0, 30.0),  # a delete stops the tasks too
        ([("stop", 10.0), ("delete", 30.0)], 10.0, 30.0),  # ...unless they were already stopping
        ([("delete", 30.0), ("stop", 40.0)], 30.0, 30.0),
    ],
)
def test_only_the_first_stop_counts(
    calls: list[tuple[str, float]], stop_started_at: float, deleted_at: float | None
) -> None:
    timeline = ServiceTimeline(tasks=2, task_stop_s=30.0)
    for call, at in calls:
        getattr(timeline, call)(T0 + at)
    assert timeline.stop_started_at == T0 + stop_started_at
    assert timeline.deleted_at == (None if deleted_at is None else T0 + deleted_at)


def test_the_model_imports_no_aws_sdk_and_no_moto() -> None:
    handler = Path(__file__).resolve().parents[2] / "handler"
    probe = (
        "import sys, ecs_teardown_tools.timeline; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'boto3', 'botocore', 'moto', 'ecs_teardown'}))"
    )
    env = {**os.environ, "PYTHONPATH": str(handler)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]"
