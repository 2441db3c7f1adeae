"""The live view's layout: rows fitted to a width and a height, the header and its clock, rows from steps; and rich
is loaded only for a live view (never by the Lambda's package)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecs_teardown.core.engine import Step
from ecs_teardown.core.machine import Kind, Phase
from ecs_teardown.core.model import ServiceRef, ServiceSnapshot, TeardownRequest
from ecs_teardown_tools.live import (
    HEADERS,
    LAST,
    SERVICE,
    Frame,
    LiveView,
    Row,
    clock,
    column_widths,
    header,
    row_after,
    visible,
)

HANDLER = Path(__file__).resolve().parents[2] / "handler"


def row(name: str, phase: str = "draining-tasks", cluster: str = "prod") -> Row:
    return Row(cluster, name, phase, "ACTIVE", "2", "0", "12.5s", "scale to 0 accepted")


def step(name: str, phase: Phase, kind: Kind = Kind.WAIT, result: str = "", running: int = 2, why: str = "") -> Step:
    snapshot = ServiceSnapshot("ACTIVE", desired=0, running=running, pending=1)
    return Step(ServiceRef("prod", name), phase, kind, why, snapshot, 7.25, result=result)


def fits(widths: list[int], width: int) -> bool:
    shown = [w for w in widths if w]
    return sum(shown) + len(shown) - 1 <= width


@given(
    names=st.lists(st.text(alphabet="abc-", min_size=1, max_size=255), min_size=1, max_size=60),
    width=st.integers(min_value=20, max_value=400),
)
def test_rows_always_fit_the_width(names: list[str], width: int) -> None:
    widths = column_widths([row(name).cells(False) for name in names], width)
    assert fits(widths, width)
    assert widths[SERVICE] >= 1, "the service's name is never left out"


def test_a_wide_terminal_shows_every_column_whole() -> None:
    cells = [row("a-rather-long-service-name-for-a-service").cells(True)]
    widths = column_widths(cells, 200)
    assert all(width >= max(len(name), len(cell)) for name, cell, width in zip(HEADERS, cells[0], widths, strict=True))
    assert widths[SERVICE] == len("prod/a-rather-long-service-name-for-a-service")
    assert widths[LAST] == len("scale to 0 accepted")


def test_the_last_call_gives_way_before_the_service_name() -> None:
    cells = [row("checkout-payments-reconciliation-worker").cells(False)]
    widths = column_widths(cells, 80)
    assert fits(widths, 80)
    assert widths[LAST] == 0 and widths[SERVICE] >= 24, "the name matters more than the last call"
    short = column_widths([row("legacy-batch").cells(False)], 80)
    assert short[LAST] == len("scale to 0 accepted"), "with short names, the last call fits at 80 columns"


@pytest.mark.parametrize("lines", [0, 1, 5, 21, 30, 40])
def test_no_more_rows_than_lines_and_the_rest_counted(lines: int) -> None:
    rows = [row(f"svc{i:02d}", phase="gone" if i % 3 == 0 else "draining-tasks") for i in range(30)]
    shown, hidden = visible(rows, lines)
    assert len(shown) + len(hidden) == 30
    assert len(shown) + (1 if hidden else 0) <= max(lines, 1)
    assert shown == sorted(shown, key=rows.index), "in their own order"
    in_progress = sum(1 for r in rows if not r.finished)
    assert sum(1 for r in shown if not r.finished) == min(len(shown), in_progress), "those in progress first"


def test_services_in_progress_are_shown_before_finished_ones() -> None:
    rows = [row("a", "gone"), row("b", "gone"), row("c"), row("d", "failed"), row("e")]
    shown, hidden = visible(rows, 3)
    assert [r.name for r in shown] == ["c", "e"] and [r.name for r in hidden] == ["a", "b", "d"]


def test_header_and_clock() -> None:
    assert clock(0) == "0:00.0" and clock(75.25) == "1:15.2" and clock(-1) == "0:00.0"
    rows = [row("a", "gone"), row("b", "failed"), row("c")]
    assert (
        header(rows, 3.0) == "ecs-teardown  elapsed 0:03.0  cluster prod  3 services: 1 done, 1 failed, 1 in progress"
    )
    two = [row("a"), row("b", cluster="jobs")]
    assert "2 clusters  2 services: 0 done, 2 in progress" in header(two, 0)


def test_the_last_call_is_said_in_few_words() -> None:
    forced = Step(ServiceRef("prod", "web"), Phase.DRAINING, Kind.DELETE, "", None, 1.0, force=True, result="accepted")
    assert row_after(Row("prod", "web"), forced).last_call == "force delete accepted"


def test_a_row_follows_its_steps_and_keeps_the_last_call() -> None:
    first = row_after(Row("prod", "web"), step("web", Phase.SCALING_DOWN, Kind.SCALE_TO_ZERO, "accepted"))
    assert first.cells(False) == ("web", "scaling-down", "ACTIVE", "2 +1", "0", "7.2s", "scale to 0 accepted")
    later = row_after(first, step("web", Phase.DRAINING_TASKS, running=1))
    assert later.phase == "draining-tasks" and later.last_call == "scale to 0 accepted"
    failed = row_after(later, step("web", Phase.FAILED, Kind.FAIL, why="ForceDelete is never"))
    assert failed.finished and failed.last_call == "ForceDelete is never"
    refused = row_after(later, step("web", Phase.FAILED, Kind.FAIL, why="AccessDenied:\n not\x1b[2J allowed\r"))
    assert refused.last_call == "AccessDenied: not [2J allowed", "one line, no control characters"


def render(view: LiveView, width: int, height: int) -> list[str]:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, height=height, color_system=None).print(Frame(view))
    return out.getvalue().splitlines()


@pytest.mark.parametrize(("width", "height"), [(80, 24), (200, 50), (40, 10)])
def test_the_frame_fits_the_terminal(width: int, height: int) -> None:
    names = [f"svc-{i:02d}-checkout-payments-reconciliation-worker" for i in range(30)]
    view = LiveView(io.StringIO())
    view.expect([TeardownRequest("prod", tuple(ServiceRef("prod", name) for name in names))])
    lines = render(view, width, height)
    assert len(lines) <= height - 1 and all(len(line) <= width for line in lines), lines
    assert lines[0].startswith("ecs-teardown  elapsed") and lines[1].startswith("service")
    rows = [line for line in lines if line.startswith("svc-")]
    assert len({line[:6] for line in rows}) == len(rows), "no row twice"
    if len(rows) < 30:
        assert lines[-1].startswith(f"… {30 - len(rows)} more: ")


def test_the_reporter_leaves_the_drawing_to_rich() -> None:
    from ecs_teardown_tools.teardown import Reporter

    out = io.StringIO()  # not a terminal: rich draws the table once, when the view ends
    reporter = Reporter(out, as_json=False, live=True)
    reporter.expect([TeardownRequest("prod", (ServiceRef("prod", "web"), ServiceRef("prod", "api")))])
    reporter.step(step("web", Phase.DRAINING_TASKS, running=2))
    reporter.step(step("api", Phase.DRAINING_TASKS, running=1))
    reporter.step(step("web", Phase.GONE, running=0))
    reporter.line("2 of 2 service(s) gone")
    text = out.getvalue()
    assert "\x1b[" not in text, "no hand-written cursor codes"
    lines = text.splitlines()
    assert [line.split()[:2] for line in lines if line.startswith(("web", "api"))] == [
        ["web", "gone"],
        ["api", "draining-tasks"],
    ]
    assert lines[-1] == "2 of 2 service(s) gone"
    reporter.stop()
    reporter.step(step("api", Phase.GONE, running=0))
    assert out.getvalue() == text, "once stopped, the view draws nothing more"


def test_rich_is_loaded_only_for_a_live_view() -> None:
    code = (
        "import sys, io, app, ecs_teardown_tools.cli, ecs_teardown_tools.command, ecs_teardown_tools.live\n"
        "from ecs_teardown_tools.teardown import Reporter\n"
        "Reporter(io.StringIO(), as_json=False, live=False)\n"
        "assert 'rich' not in sys.modules, 'rich without a live view'\n"
        "Reporter(io.StringIO(), as_json=False, live=True).view.step\n"
        "assert 'rich' not in sys.modules, 'rich before the first step'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=HANDLER, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
