"""The live view as a person sees it: the real `ecs-teardown` console script under a pseudo-terminal of a given
size, against the embedded AWS (drains that take seconds), its output fed to a terminal emulator (pyte); the tests
read the emulated screen."""

from __future__ import annotations

import os
import re
import select
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pyte
import pytest

from ecs_teardown_tools.emulator import EmbeddedAws, Timeline

pytestmark = pytest.mark.integration

SCRIPT = Path(sys.executable).with_name("ecs-teardown")
CLOCK = re.compile(r"elapsed (\d+):(\d+\.\d)")
# SGR sequences; a colour is 30-37, 38;..., 39, 40-47, 48;..., 49, 90-97 or 100-107 among their parameters.
SGR = re.compile(rb"\x1b\[([0-9;]*)m")
COLOUR_CODES = {*range(30, 50), *range(90, 98), *range(100, 108)}
READ_FOR_S = 300  # the longest a command under test may write for
WIDE = 60  # extra columns of a second emulated screen, on which a line longer than the terminal would show


class Terminal:
    """A pseudo-terminal of `columns` x `lines` running one command; its output is played into emulated screens."""

    def __init__(self, argv: list[str], columns: int, lines: int, env: dict[str, str]) -> None:
        import fcntl

        self.columns, self.lines = columns, lines
        self.screen = pyte.HistoryScreen(columns, lines, history=500)  # what the person sees, and its scrollback
        self.wide = pyte.Screen(columns + WIDE, lines)  # the same output, with room to show an overlong line
        self.streams = [pyte.ByteStream(self.screen), pyte.ByteStream(self.wide)]
        self.raw = bytearray()
        self._lock = threading.Lock()
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        try:
            self.process = subprocess.Popen(
                argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
            )
        finally:
            os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        deadline = time.monotonic() + READ_FOR_S
        while time.monotonic() < deadline:  # or until the command has exited and its output is read (EIO)
            try:
                ready, _, _ = select.select([self.master], [], [], 0.5)
                if not ready:
                    continue
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.raw.extend(chunk)
                for stream in self.streams:
                    stream.feed(chunk)

    def display(self) -> list[str]:
        with self._lock:
            return [line.rstrip() for line in self.screen.display]

    def scrollback(self) -> list[str]:
        with self._lock:
            top = ["".join(line[x].data for x in range(self.columns)).rstrip() for line in self.screen.history.top]
            return top + [line.rstrip() for line in self.screen.display]

    def wide_lines(self) -> list[str]:
        with self._lock:
            return [line.rstrip() for line in self.wide.display]

    def wait_for(self, seen: Callable[[list[str]], bool], timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.display()
            if seen(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"not seen in {timeout} s; the screen:\n" + "\n".join(self.display()))

    def finish(self, timeout: float) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        assert not self._reader.is_alive(), "the output was not read to its end"
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        os.close(self.master)


def command_env(**extra: str) -> dict[str, str]:
    """The user's environment, with dummy credentials for the emulator and nothing that sizes or colours output."""
    drop = ("AWS_", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TTY_", "CLICOLOR", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        TERM="xterm-256color",
        LANG="C.UTF-8",
        **extra,
    )
    return env


@pytest.fixture(scope="module")
def yes() -> list[str]:
    """--yes if the command has it (a destructive run on a terminal asks first otherwise)."""
    done = subprocess.run([str(SCRIPT), "services", "--help"], capture_output=True, text=True, timeout=60)
    return ["--yes"] if "--yes" in done.stdout else []


@pytest.fixture
def aws() -> Iterator[EmbeddedAws]:
    with EmbeddedAws() as embedded:
        yield embedded


def make_services(aws: EmbeddedAws, cluster: str, names: list[str], timeline: Callable[[], Timeline]) -> None:
    ecs: Any = boto3.client(
        "ecs",
        endpoint_url=aws.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    for name in names:
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition="app", desiredCount=2)
        aws.play(cluster, name, timeline())


def start(aws: EmbeddedAws, yes: list[str], names: list[str], size: tuple[int, int], **env: str) -> Terminal:
    assert SCRIPT.exists(), f"{SCRIPT}: the console script is installed into the venv by `make`"
    argv = [str(SCRIPT), "services", "--cluster", "demo", *yes, "--endpoint-url", aws.url]
    for name in names:
        argv += ["--service", name]
    return Terminal(argv, *size, env=command_env(**env))


def clock_of(screen: list[str]) -> float | None:
    match = CLOCK.search(screen[0]) if screen else None
    return int(match.group(1)) * 60 + float(match.group(2)) if match else None


def service_names(count: int) -> list[str]:
    """Names too long for an 80-column row; each begins with a key ("svc-07-") that stays when it is cut."""
    return [f"svc-{i:02d}-checkout-payments-reconciliation-worker" for i in range(1, count + 1)]


def rows_of(screen: list[str], names: list[str]) -> dict[str, list[str]]:
    """Each service's lines on the screen."""
    return {name: [line for line in screen if line.startswith(name[:7])] for name in names}


def colours(raw: bytes) -> list[bytes]:
    found = []
    for match in SGR.finditer(raw):
        codes = [int(code) for code in match.group(1).split(b";") if code]
        if any(code in COLOUR_CODES for code in codes):
            found.append(match.group(0))
    return found


def assert_fits(terminal: Terminal) -> None:
    """No line is longer than the terminal: on a wider emulated screen nothing shows past its last column."""
    overlong = [line for line in terminal.wide_lines() if len(line) > terminal.columns]
    assert not overlong, overlong


def print_screen(title: str, screen: list[str]) -> None:
    border = "+" + "-" * len(max(screen, key=len, default="")) + "+"
    print(f"\n{title}\n{border}\n" + "\n".join(screen) + f"\n{border}")


def tick_between_steps(terminal: Terminal, names: list[str], timeout: float) -> tuple[list[str], list[str]]:
    """Two captures a second or more apart with the same rows (no step in between) and the clock further on."""
    deadline = time.monotonic() + timeout
    first = terminal.display()
    while time.monotonic() < deadline:
        time.sleep(1.2)
        second = terminal.display()
        same_rows = first[1:] == second[1:]
        earlier, later = clock_of(first), clock_of(second)
        if same_rows and earlier is not None and later is not None and later > earlier:
            return first, second
        first = second
    raise AssertionError("the clock did not tick between steps:\n" + "\n".join(terminal.display()))


def drains(tasks_stop_s: float = 6.0) -> Callable[[], Timeline]:
    return lambda: Timeline(tasks=2, task_stop_s=tasks_stop_s, draining_s=2.0)


def test_at_80x24_a_header_a_ticking_clock_and_one_fitted_row_per_service(aws, yes) -> None:
    names = service_names(3)
    make_services(aws, "demo", names, drains())
    terminal = start(aws, yes, names, (80, 24))
    try:
        running = terminal.wait_for(lambda screen: all(rows_of(screen, names).values()), timeout=30)
        assert running[0].startswith("ecs-teardown  elapsed ") and "cluster demo  3 services: " in running[0]
        assert running[1].split()[:6] == ["service", "phase", "status", "running", "desired", "at"]
        first, second = tick_between_steps(terminal, names, timeout=20)
        print_screen("80x24, running", second)
        assert clock_of(second) > clock_of(first)  # type: ignore[operator]
        for screen in (first, second):
            assert all(len(found) == 1 for found in rows_of(screen, names).values()), screen
            assert all(len(line) <= 80 for line in screen)
        assert "…" in rows_of(second, names)[names[0]][0], "a name too long for the row is cut, with an ellipsis"
        assert_fits(terminal)
        assert terminal.finish(timeout=90) == 0
        final = terminal.display()
        print_screen("80x24, at the end", final)
    finally:
        terminal.close()
    for name, found in rows_of(final, names).items():
        assert len(found) == 1 and " gone " in found[0], (name, final)
    assert "3 of 3 service(s) gone" in "\n".join(final)
    assert final.index(next(line for line in final if line.startswith("ecs-teardown  elapsed"))) < final.index(
        next(line for line in final if "service(s) gone" in line)
    ), "the final table stays on screen, above the summary"
    assert_fits(terminal)
    assert not terminal.screen.cursor.hidden, "the cursor is shown again"
    assert colours(bytes(terminal.raw)), "colours by default (the NO_COLOR test's counterpart)"


def test_at_80x24_thirty_services_fit_the_height_with_an_n_more_line(aws, yes) -> None:
    names = service_names(30)
    make_services(aws, "demo", names, drains())
    terminal = start(aws, yes, names, (80, 24))
    try:

        def running_with_more(screen: list[str]) -> bool:  # the clock has ticked, and rows are still left out
            clock = clock_of(screen)
            return clock is not None and clock > 2 and any("more:" in line for line in screen)

        screen = terminal.wait_for(running_with_more, timeout=30)
        print_screen("80x24, 30 services, running", screen)
        shown = [name for name, found in rows_of(screen, names).items() if found]
        more = next(line for line in screen if "more:" in line)
        assert more.startswith(f"… {30 - len(shown)} more: ")
        assert len(shown) == 24 - 4, "the header, the columns' names, the 'more' line and a spare line"
        assert all(len(found) <= 1 for found in rows_of(screen, names).values())
        assert_fits(terminal)
        assert terminal.finish(timeout=120) == 0
        final = terminal.display()
        print_screen("80x24, 30 services, at the end", final)
        everything = terminal.scrollback()
    finally:
        terminal.close()
    assert "30 of 30 service(s) gone" in "\n".join(final)
    counts = {name: len(found) for name, found in rows_of(everything, names).items()}
    assert max(counts.values()) == 1, f"a row drawn twice into the scrollback: {counts}"
    assert sum(1 for line in everything if line.startswith("ecs-teardown  elapsed")) == 1, "one table, redrawn in place"
    assert_fits(terminal)


def test_at_200x50_every_service_has_its_whole_row(aws, yes) -> None:
    names = service_names(30)
    make_services(aws, "demo", names, drains(tasks_stop_s=3.0))
    terminal = start(aws, yes, names, (200, 50))
    try:
        # A frame read while the terminal is still being redrawn may show a row cut short: wait for a whole one.
        def whole(screen: list[str]) -> bool:
            rows = rows_of(screen, names)
            return all(len(found) == 1 and found[0].startswith(name + " ") for name, found in rows.items())

        screen = terminal.wait_for(whole, timeout=30)
        assert not any("more:" in line for line in screen)
        for name, found in rows_of(screen, names).items():
            assert len(found) == 1 and found[0].startswith(name + " "), "the whole name, with room to spare"
        assert_fits(terminal)
        assert terminal.finish(timeout=120) == 0
        final = terminal.display()
    finally:
        terminal.close()
    assert all(len(found) == 1 and " gone " in found[0] for found in rows_of(final, names).values()), final
    assert "30 of 30 service(s) gone" in "\n".join(final)


def test_no_color_means_no_colour_sequences(aws, yes) -> None:
    names = service_names(2)
    make_services(aws, "demo", names, drains(tasks_stop_s=1.0))
    terminal = start(aws, yes, names, (80, 24), NO_COLOR="1")
    try:
        assert terminal.finish(timeout=90) == 0
        final = terminal.display()
    finally:
        terminal.close()
    assert all(len(found) == 1 for found in rows_of(final, names).values()), final
    assert colours(bytes(terminal.raw)) == []
    colored = [char for line in terminal.screen.buffer.values() for char in line.values() if char.fg != "default"]
    assert colored == []


VIEW_WITH_A_MESSAGE = """
import sys, time
from ecs_teardown.core.engine import Step
from ecs_teardown.core.machine import Kind, Phase
from ecs_teardown.core.model import ServiceRef, ServiceSnapshot, TeardownRequest
from ecs_teardown_tools.live import LiveView

refs = (ServiceRef("prod", "web"), ServiceRef("prod", "api"))
view = LiveView(sys.stdout)
view.expect([TeardownRequest("prod", refs)])
for ref in refs:
    view.step(Step(ref, Phase.DRAINING_TASKS, Kind.WAIT, "", ServiceSnapshot("ACTIVE", running=2), 1.0))
time.sleep(0.6)
print("ecs-teardown: stopping: no further writes", file=sys.stderr)
time.sleep(0.6)
view.step(Step(refs[0], Phase.GONE, Kind.DONE, "", ServiceSnapshot("INACTIVE"), 2.0))
time.sleep(0.6)
view.stop()
"""


def test_a_message_to_stderr_prints_above_the_table_not_into_it() -> None:
    handler = str(Path(__file__).resolve().parents[2] / "handler")
    terminal = Terminal([sys.executable, "-c", VIEW_WITH_A_MESSAGE], 80, 24, env=command_env(PYTHONPATH=handler))
    try:
        assert terminal.finish(timeout=60) == 0, "\n".join(terminal.display())
        screen = [line for line in terminal.display() if line]
    finally:
        terminal.close()
    assert screen[0] == "ecs-teardown: stopping: no further writes", screen
    assert screen[1].startswith("ecs-teardown  elapsed") and screen[2].startswith("service"), screen
    assert [line.split()[:2] for line in screen[3:]] == [["web", "gone"], ["api", "draining-tasks"]], screen


@pytest.mark.parametrize(("typed", "code"), [("no", 2), ("yes", 0)])
def test_on_a_terminal_the_plan_is_shown_and_only_yes_goes_ahead(aws, typed: str, code: int) -> None:
    make_services(aws, "demo", ["web"], drains(0.5))
    terminal = start(aws, [], ["web"], (80, 24))
    try:
        terminal.wait_for(lambda screen: any("Only 'yes' goes ahead" in line for line in screen), timeout=30)
        assert any("would: scale to zero" in line for line in terminal.display()), "the plan comes first"
        os.write(terminal.master, f"{typed}\r".encode())
        assert terminal.finish(timeout=60) == code
        ecs: Any = boto3.client(
            "ecs", endpoint_url=aws.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        status = ecs.describe_services(cluster="demo", services=["web"])["services"][0]["status"]
    finally:
        terminal.close()
    assert status == ("ACTIVE" if typed == "no" else "INACTIVE")
    if typed == "no":
        assert any("not confirmed; nothing was changed" in line for line in terminal.scrollback())


PLAN_HEAD = "ACTIVE  desired 2, running 2, pending 0"
PLAN_WOULD = "    would: scale to zero, wait for the tasks, delete, wait for INACTIVE"
LONG_NAME = service_names(1)[0]


@pytest.mark.parametrize(
    ("names", "plan"),
    [
        (["web", "api"], [f"demo/web  {PLAN_HEAD}", PLAN_WOULD, f"demo/api  {PLAN_HEAD}", PLAN_WOULD]),
        (
            ["web", LONG_NAME],
            ["demo/web", f"    {PLAN_HEAD}", PLAN_WOULD, f"demo/{LONG_NAME}", f"    {PLAN_HEAD}", PLAN_WOULD],
        ),
    ],
    ids=["short-names", "a-long-name"],
)
def test_at_80x24_each_plan_line_before_the_question_is_whole(aws, names: list[str], plan: list[str]) -> None:
    """The plan fits 80 columns: no line wraps (the 80-column screen shows the same lines as a wider one) and each
    line on screen is one the plan printed, whole."""
    make_services(aws, "demo", names, drains(0.5))
    terminal = start(aws, [], names, (80, 24))
    try:
        terminal.wait_for(lambda screen: any("Only 'yes' goes ahead" in line for line in screen), timeout=30)
        screen, wide = terminal.display(), terminal.wide_lines()
        print_screen("80x24, the plan and the question", screen)
        assert_fits(terminal)
        os.write(terminal.master, b"no\r")
        assert terminal.finish(timeout=60) == 2
    finally:
        terminal.close()
    assert screen == wide, "a line wrapped on the 80-column screen"
    assert [line for line in screen if line] == [*plan, "Tear down these 2 service(s)? Only 'yes' goes ahead:"]
