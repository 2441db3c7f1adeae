"""The plan: what a teardown's first round would do to each service, for `--dry-run` and for the question asked
before a destructive run.

For people, each service's plan fits the terminal's width, so that no line wraps: one line per service when they
all fit, else the plan on a line of its own below the service, else every part on its own line (and a name longer
than the terminal itself is cut over several indented lines). Not on a terminal, one line per service. With
`--json`, one `plan` object per service.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.core.drain import Preparation
from ecs_teardown.core.machine import Action, Kind, Progress, Settings, decide
from ecs_teardown.core.model import MISSING, ServiceSnapshot, TeardownRequest

from .teardown import Reporter, cli_words

INDENT = "    "


def plan(
    requests: list[TeardownRequest], gateway_for: Callable[[TeardownRequest], EcsGateway], reporter: Reporter
) -> None:
    """Read every service once and print what the first round would do to it; nothing is changed."""
    rows: list[tuple[str, str, str, str]] = []
    for request in requests:
        settings = Settings(request.drain_timeout_s, request.force, request.wait_for_inactive)
        snapshots = gateway_for(request).describe(request.cluster, [ref.name for ref in request.services])
        for ref in request.services:
            snapshot = snapshots.get(ref.name)
            action = first_write(snapshot, settings)
            then = would(action, request.wait_for_inactive)
            status = snapshot.status if snapshot else "unreadable"
            if reporter.as_json:
                reporter.emit(
                    {
                        "event": "plan",
                        "cluster": ref.cluster,
                        "service": ref.name,
                        "status": status,
                        "desired": snapshot.desired if snapshot else None,
                        "running": snapshot.running if snapshot else None,
                        "action": action.kind.value,
                        "force": action.force,
                        "plan": then,
                    }
                )
            else:
                counts = snapshot.counts() if snapshot and snapshot.status != MISSING else ""
                rows.append((str(ref), status, counts, then))
    columns = shutil.get_terminal_size().columns if reporter.live else None
    for line in plan_lines(rows, columns):
        reporter.line(line)


def first_write(snapshot: ServiceSnapshot | None, settings: Settings) -> Action:
    """What the first round would do. Reading a service's surroundings (auto scaling, target groups) comes before
    its first write; the plan does not read them (that step suspends auto scaling), so it shows what comes next
    for a service with none."""
    action = decide(snapshot, Progress(), 0.0, settings)
    if action.kind is Kind.PREPARE:
        action = decide(snapshot, Progress(preparation=Preparation()), 0.0, settings)
    return action


def would(action: Action, wait_for_inactive: bool) -> str:
    """The plan in words: the first write and what follows it."""
    inactive = ", wait for INACTIVE" if wait_for_inactive else ""
    words = {
        Kind.SCALE_TO_ZERO: f"scale to zero, wait for the tasks, delete{inactive}",
        Kind.DELETE: f"delete{' with force' if action.force else ''}{inactive}",
        Kind.STOP_DEPLOYMENT: f"stop the deployment, delete{inactive}",
        Kind.WAIT: "wait",
        Kind.DONE: "nothing (already gone)",
        Kind.FAIL: f"fail: {cli_words(action.why)}",
    }
    return words.get(action.kind, f"{action.kind.value}: {cli_words(action.why)}")


def plan_lines(rows: list[tuple[str, str, str, str]], columns: int | None) -> list[str]:
    """(service, status, counts, plan) rows as lines no wider than `columns` (None: no limit, one line each)."""
    if not rows:
        return []
    name_w = max(len(name) for name, *_ in rows)
    status_w = max(len(status) for _, status, *_ in rows)
    counts_w = max(len(counts) for *_, counts, _ in rows)
    one_line = [
        f"{name:<{name_w}}  {status:<{status_w}}  {counts:<{counts_w}}  would: {then}".rstrip()
        for name, status, counts, then in rows
    ]
    two_lines = [
        line
        for name, status, counts, then in rows
        for line in (f"{name:<{name_w}}  {status:<{status_w}}  {counts}".rstrip(), f"{INDENT}would: {then}")
    ]
    if columns is None:
        return one_line
    for layout in (one_line, two_lines):
        if all(len(line) <= columns for line in layout):
            return layout
    # Every part on its own line; a part wider than the terminal goes on over indented lines.
    width = max(2 * len(INDENT), columns)
    parts = [(first, text) for name, status, counts, then in rows for first, text in _parts(name, status, counts, then)]
    return [
        line
        for first, text in parts
        for line in textwrap.wrap(
            text, width=width, initial_indent=first, subsequent_indent=INDENT, break_on_hyphens=False
        )
    ]


def _parts(name: str, status: str, counts: str, then: str) -> list[tuple[str, str]]:
    """(indent, text) of each part of one service's plan, on lines of their own."""
    return [("", name), (INDENT, f"{status}  {counts}".rstrip()), (INDENT, f"would: {then}")]
