"""The live view of `ecs-teardown` on a terminal, drawn with rich.

A header with a ticking clock, then one row per service, redrawn in place 4 times a second. Rows never wrap: the
columns are fitted to the terminal's width (the last call and the service name give way first, long text ends in
an ellipsis); never more rows than the terminal's height, the rest counted on an "N more" line (services still in
progress are shown first). A line printed while the view is up (the summary, a message) ends it, leaving its last
state on screen; a later step starts a new one below, unless `stop` ended the view for good (Ctrl-C, an error).
NO_COLOR is honoured by rich's Console.

rich is imported only when a view starts: the Lambda's package never imports the tooling, and a piped or --json
run never loads it.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from ecs_teardown.core.engine import Step
from ecs_teardown.core.machine import Kind, Phase
from ecs_teardown.core.model import TeardownRequest

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.live import Live

REFRESH_PER_SECOND = 4
HEADERS = ("service", "phase", "status", "running", "desired", "at", "last call")
SERVICE, PHASE, STATUS, RUNNING, DESIRED, AT, LAST = range(len(HEADERS))
# A row wider than the terminal: shrink these columns in this order, down to these widths (0: drop the column);
# whatever is left over then goes back to the service's name, then to the last call.
SHRINK = (
    (LAST, 14),
    (SERVICE, 24),
    (LAST, 0),
    (SERVICE, 10),
    (AT, 0),
    (DESIRED, 0),
    (RUNNING, 0),
    (STATUS, 0),
    (PHASE, 0),
)
WAITING = "waiting"  # no step yet
# Columns as wide as their usual longest value, so that they do not move as the run goes on.
LEAST = {PHASE: len(Phase.DRAINING_TASKS.value), STATUS: len("INACTIVE"), AT: len("999.9s")}
CALLS = {Kind.SCALE_TO_ZERO: "scale to 0", Kind.DELETE: "delete"}  # the last call's words, short
DONE = frozenset({Phase.GONE.value, Phase.DELETE_ACCEPTED.value, Phase.REPLACED.value})
FAILED = Phase.FAILED.value


@dataclass(frozen=True)
class Row:
    """One service's newest state, as the table shows it."""

    cluster: str
    name: str
    phase: str = WAITING
    status: str = ""
    running: str = ""
    desired: str = ""
    at: str = ""
    last_call: str = ""

    @property
    def finished(self) -> bool:
        return self.phase in DONE or self.phase == FAILED

    def cells(self, with_cluster: bool) -> tuple[str, ...]:
        service = f"{self.cluster}/{self.name}" if with_cluster else self.name
        return (service, self.phase, self.status, self.running, self.desired, self.at, self.last_call)


def row_after(row: Row, step: Step) -> Row:
    """The row once `step` happened; the last ECS call made stays shown until the next one."""
    snapshot = step.snapshot
    running = desired = ""
    if snapshot is not None and snapshot.status != "MISSING":
        running = f"{snapshot.running}" + (f" +{snapshot.pending}" if snapshot.pending else "")
        desired = str(snapshot.desired)
    verb = ("force " if step.force else "") + CALLS.get(step.kind, step.kind.value)
    call = f"{verb} {step.result}" if step.result else ""
    return Row(
        cluster=row.cluster,
        name=row.name,
        phase=step.phase.value,
        status=snapshot.status if snapshot else "",
        running=running,
        desired=desired,
        at=f"{step.elapsed_s:.1f}s",
        last_call=one_line(step.why) if step.phase.value == FAILED else call or row.last_call,
    )


def one_line(text: str) -> str:
    """ECS's words on one line, without control characters: a row is one line of the terminal."""
    return " ".join("".join(char if char.isprintable() else " " for char in text).split())


def column_widths(cells: list[tuple[str, ...]], width: int) -> list[int]:
    """Each column's width (0: left out), so that a row with one space between columns fits in `width`."""
    natural = [max([len(header), LEAST.get(i, 0), *(len(row[i]) for row in cells)]) for i, header in enumerate(HEADERS)]
    widths = list(natural)

    def total() -> int:
        shown = [w for w in widths if w > 0]
        return sum(shown) + len(shown) - 1

    for column, floor in SHRINK:
        excess = total() - width
        if excess <= 0:
            break
        widths[column] = 0 if floor == 0 else max(floor, widths[column] - excess)
    for column in (SERVICE, LAST):
        if widths[column]:
            widths[column] = max(1, min(natural[column], widths[column] + width - total()))
    return widths


def visible(rows: list[Row], lines: int) -> tuple[list[Row], list[Row]]:
    """The rows to show in `lines` lines, in their order, and the rest (one of the lines then says how many).

    Services still in progress come first, then finished ones; with no room at all, every row is left out."""
    if len(rows) <= lines:
        return list(rows), []
    room = max(0, lines - 1)
    chosen = sorted(range(len(rows)), key=lambda i: (rows[i].finished, i))[:room]
    keep = set(chosen)
    return [rows[i] for i in sorted(keep)], [row for i, row in enumerate(rows) if i not in keep]


def clock(seconds: float) -> str:
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"


def tally(rows: list[Row]) -> str:
    done = sum(1 for row in rows if row.phase in DONE)
    failed = sum(1 for row in rows if row.phase == FAILED)
    parts = [f"{done} done", *([f"{failed} failed"] if failed else []), f"{len(rows) - done - failed} in progress"]
    return ", ".join(parts)


def header(rows: list[Row], elapsed_s: float) -> str:
    clusters = sorted({row.cluster for row in rows})
    where = f"cluster {clusters[0]}" if len(clusters) == 1 else f"{len(clusters)} clusters"
    services = f"{len(rows)} service{'' if len(rows) == 1 else 's'}"
    return f"ecs-teardown  elapsed {clock(elapsed_s)}  {where}  {services}: {tally(rows)}"


class LiveView:
    """The live table; every method may be called from any thread."""

    def __init__(self, out: IO[str], started: float | None = None) -> None:
        self.out = out
        self.started = time.monotonic() if started is None else started
        self._rows: dict[str, Row] = {}
        self._data = threading.Lock()  # the rows; the only lock taken while rich renders
        self._control = threading.Lock()  # starting, stopping, printing: never taken while rendering
        self._live: Live | None = None
        self._console: Console | None = None
        self._closed = False  # stop() was called: later steps are not drawn

    def expect(self, requests: list[TeardownRequest]) -> None:
        """A row for every target, in order, before the first step arrives."""
        with self._data:
            for request in requests:
                for ref in request.services:
                    self._rows.setdefault(str(ref), Row(ref.cluster, ref.name))

    def step(self, step: Step) -> None:
        key = str(step.service)
        with self._data:
            self._rows[key] = row_after(self._rows.get(key) or Row(step.service.cluster, step.service.name), step)
        with self._control:
            if not self._closed:
                (self._live or self._start()).refresh()

    def line(self, text: str) -> None:
        """Print a line below the table, which ends the view (its last state stays on screen)."""
        with self._control:
            self._stop()
            self.out.write(text + "\n")
            self.out.flush()

    def stop(self) -> None:
        """End the view for good, its last state left on screen; later steps are not drawn."""
        with self._control:
            self._closed = True
            self._stop()

    def snapshot(self) -> tuple[list[Row], float]:
        with self._data:
            return list(self._rows.values()), time.monotonic() - self.started

    def _start(self) -> Live:
        from rich.console import Console
        from rich.live import Live

        if self._console is None:
            self._console = Console(file=self.out, highlight=False, emoji=False, markup=False)
            atexit.register(self.stop)  # an exception or an exit mid-run still shows the cursor again
        self._live = Live(
            Frame(self),
            console=self._console,
            refresh_per_second=REFRESH_PER_SECOND,
            # Messages to stderr while the table is up (Ctrl-C, an error) print above it rather than into it, when
            # stderr is the terminal too; redirected elsewhere, stderr stays where it was sent.
            redirect_stderr=_is_terminal(sys.stderr),
        )
        self._live.start()
        return self._live

    def _stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
            if self._console is not None and not self._console.is_terminal:
                self.out.write("\n")  # rich ends the line itself only on a terminal (TTY_COMPATIBLE=0 makes it not)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


class Frame:
    """What the view draws, read afresh at each refresh (so the clock ticks between steps)."""

    def __init__(self, view: LiveView) -> None:
        self.view = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        from rich.table import Table
        from rich.text import Text

        rows, elapsed_s = self.view.snapshot()
        width, height = options.max_width, options.size.height
        title = Text(header(rows, elapsed_s), style="bold", no_wrap=True, overflow="ellipsis")
        title.truncate(width, overflow="ellipsis")
        yield title
        # The header, the columns' names and one spare line, so that a redraw never scrolls the terminal.
        shown, hidden = visible(rows, height - 3)
        with_cluster = len({row.cluster for row in rows}) > 1
        widths = column_widths([row.cells(with_cluster) for row in shown], width)
        table = Table(box=None, padding=(0, 1, 0, 0), pad_edge=False, header_style="bold", expand=False)
        for name, column_width in zip(HEADERS, widths, strict=True):
            if column_width:
                table.add_column(name, width=column_width, no_wrap=True, overflow="ellipsis")
        for row in shown:
            cells = row.cells(with_cluster)
            style = "green" if row.phase in DONE else "red" if row.phase == FAILED else "yellow"
            texts = [Text(cell, style=style if i == PHASE else "") for i, cell in enumerate(cells)]
            table.add_row(*(text for text, w in zip(texts, widths, strict=True) if w))
        yield table
        if hidden:
            more = Text(f"… {len(hidden)} more: {tally(hidden)}", style="dim", no_wrap=True, overflow="ellipsis")
            more.truncate(width, overflow="ellipsis")
            yield more
