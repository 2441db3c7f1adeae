"""The README's command-line sections, as a reader uses them: the emulator command starts the embedded AWS, the
example command lines then run as written against it (on a free port instead of 5000, with no AWS configuration
at all), and the options the README lists are the ones `--help` shows, for every subcommand."""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_teardown_tools.cli import EPILOG, build_parser

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent  # the README's `.venv/bin/`: this interpreter's virtualenv
SCRIPT = BIN / "ecs-teardown"
README_PORT = "5000"
EMULATOR = "ecs_teardown_tools.emulator"
TEARDOWN_COMMANDS = ("services", "cluster", "stack")


def code_lines() -> list[str]:
    """Every command line of the README's shell code blocks, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```", README, flags=re.S | re.M)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def emulator_examples() -> tuple[list[str], list[list[str]]]:
    """The emulator's command line, and the example command lines that use it, in the README's order."""
    lines = [line for line in code_lines() if EMULATOR in line or f"127.0.0.1:{README_PORT}" in line]
    assert lines, "the README shows no emulator example"
    assert EMULATOR in lines[0], f"the README shows an example before the command that starts the emulator: {lines[0]}"
    starts = {line for line in lines if EMULATOR in line}
    assert len({tuple(shlex.split(line, comments=True)) for line in starts}) == 1, starts
    examples = [shlex.split(line, comments=True) for line in lines if EMULATOR not in line]
    return shlex.split(lines[0], comments=True), examples


def as_run_here(argv: list[str], port: int) -> list[str]:
    """A README command line, with this checkout's virtualenv and the test's port."""
    words = []
    for word in argv:
        if word.startswith(".venv/bin/"):
            word = str(BIN / word.removeprefix(".venv/bin/"))
        word = word.replace(f"127.0.0.1:{README_PORT}", f"127.0.0.1:{port}")
        words.append(str(port) if word == README_PORT else word)
    return words


def reader_env() -> dict[str, str]:
    """A reader with no AWS configuration at all: no credentials, no region, no profile files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_TEARDOWN_", "SSL_CERT"))}
    env.update(
        AWS_CONFIG_FILE="/nonexistent/config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials",
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_lines(process: subprocess.Popen[str], count: int, timeout_s: float = 30.0) -> list[str]:
    """The process's first `count` lines of stdout, waiting at most `timeout_s` (a thread reads, so a process that
    prints less cannot block the test)."""
    assert process.stdout is not None
    stdout, lines = process.stdout, queue.Queue[str]()

    def read() -> None:
        for _ in range(count):
            line = stdout.readline()
            if not line:
                return
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    got: list[str] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        try:
            got.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
        except queue.Empty:
            break
    return got


@pytest.fixture
def emulator() -> Iterator[tuple[subprocess.Popen[str], int, list[str]]]:
    """The README's emulator command, as written but on a free port; its first three lines."""
    start, _ = emulator_examples()
    port = free_port()
    process = subprocess.Popen(
        as_run_here(start, port),
        cwd=ROOT,
        env=reader_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, port, read_lines(process, 3)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_the_readme_s_emulator_examples_run_as_written(emulator) -> None:
    process, port, banner = emulator
    url = f"http://127.0.0.1:{port}"
    assert banner == [
        f"emulator: moto's server on {url} (account 123456789012, region us-east-1)",
        "emulator: cluster demo: web (3 tasks), api (2 tasks), worker (2 tasks), agent (2 tasks, DAEMON); any "
        "credentials are accepted",
        "emulator: stops after 3600 s, or on Ctrl-C",
    ]
    _, examples = emulator_examples()
    seen = []
    for argv in examples:
        done = subprocess.run(
            as_run_here(argv, port), cwd=ROOT, env=reader_env(), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{shlex.join(argv)}\n{done.stdout}{done.stderr}"
        command = argv[1]
        check_output(command, argv, done.stdout, url)
        seen.append(command)
    assert sorted(seen) == ["cluster", "invoke", "services"], "an example the test does not know: add its checks"
    second = subprocess.run(
        as_run_here(emulator_examples()[0], port), env=reader_env(), capture_output=True, text=True, timeout=60
    )
    assert (second.returncode, second.stderr) == (2, f"emulator: 127.0.0.1:{port} is in use: give another --port\n")
    process.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = process.communicate(timeout=15)
    assert (process.returncode, out, err) == (0, "emulator: stopped\n", "")


def check_output(command: str, argv: list[str], out: str, url: str) -> None:
    """What each example prints; the emulator's cluster `demo` is where the examples leave it, in README order."""
    ecs: Any = boto3.client(
        "ecs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    status = {
        s["serviceName"]: s["status"] for s in ecs.describe_services(cluster="demo", services=["web"])["services"]
    }
    if command == "cluster":
        assert "--dry-run" in argv
        would = "would: scale to zero, wait for the tasks, delete, wait for INACTIVE"
        assert out.splitlines() == [
            "demo/agent   ACTIVE  desired 2, running 2, pending 0  would: delete, wait for INACTIVE",  # the DAEMON
            f"demo/api     ACTIVE  desired 2, running 2, pending 0  {would}",
            f"demo/web     ACTIVE  desired 3, running 3, pending 0  {would}",
            f"demo/worker  ACTIVE  desired 2, running 2, pending 0  {would}",
            "dry run: 4 service(s) planned, 0 not found; nothing was changed",
        ]
        assert status == {"web": "ACTIVE"}
    elif command == "services":
        lines = out.splitlines()
        assert lines[-1] == "1 of 1 service(s) gone (0 deleted with force)"
        assert any(" demo/web  draining-tasks " in line for line in lines), "drains take seconds"
        assert status == {"web": "INACTIVE"}
    elif command == "invoke":
        answer = json.loads(out)
        assert (answer["Status"], answer["Reason"]) == ("SUCCESS", "")
        assert answer["PhysicalResourceId"] == "ecs-teardown/demo-app/Teardown/b9d8f0bf1be39bf7402122a7"
        assert status == {"web": "INACTIVE"}
    else:
        raise AssertionError(f"no checks for the README's example {shlex.join(argv)}")


def test_make_emulator_runs_the_readme_s_emulator_command() -> None:
    """`make emulator`, which the README offers instead, runs the same command (make -n: nothing is run)."""
    # --no-print-directory: under `make test` this make is a sub-make, which would print "Entering directory"
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "emulator"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].split() == emulator_examples()[0]


# The README's options against `--help`.


def help_options(*command: str) -> dict[str, str]:
    """{option: what follows it} in the options section of the console script's `--help`, e.g. {'--timeout':
    'SECONDS', '--dry-run': ''}; -h/--help left out."""
    done = subprocess.run([str(SCRIPT), *command, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    options = {}
    for match in re.finditer(r"^  (-\S.*?)(?:  |$)", done.stdout.split("options:", 1)[1], flags=re.M):
        for spelled in match.group(1).split(", "):
            flag, _, rest = spelled.partition(" ")
            if flag not in ("-h", "--help"):
                options[flag] = rest
    return options


def readme_table() -> list[tuple[str, str, str | None, str]]:
    """(option, what follows it, the one subcommand it is for or None, default) of each row of the options table."""
    section = README.split("## Teardown automation", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `--"):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]  # `\|` is in a cell
        only = re.search(r"\(`(\w+)`\)", cells[0])
        for flag, rest in re.findall(r"`(--[a-z-]+) ?([^`]*)`", cells[0]):
            rows.append((flag, rest.replace("\\|", "|"), only.group(1) if only else None, cells[1].strip("`")))
    return rows


def as_readme_spells(rest: str) -> str:
    """`{auto,always,never}` as the README spells it, `auto|always|never`; any metavar as it is."""
    return rest[1:-1].replace(",", "|") if rest.startswith("{") else rest


def test_the_readme_s_options_table_is_what_help_shows_for_each_teardown_command() -> None:
    table = readme_table()
    top = help_options()
    assert set(top) == {"--version"}
    for command in TEARDOWN_COMMANDS:
        readme = {flag: rest for flag, rest, only, _ in table if only in (None, command)}
        shown = {flag: as_readme_spells(rest) for flag, rest in {**help_options(command), **top}.items()}
        assert set(readme) == set(shown), f"{command}: README {sorted(readme)} != --help {sorted(shown)}"
        spelled = {flag: rest for flag, rest in readme.items() if rest}  # `--timeout SECONDS`, `--force a|b`
        assert spelled == {flag: shown[flag] for flag in spelled}, command


def test_the_readme_s_defaults_are_argparse_s() -> None:
    commands = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction").choices
    for flag, _, only, default in readme_table():
        if flag == "--version":  # the top-level parser's, with no default
            continue
        for command in (only,) if only else TEARDOWN_COMMANDS:
            action = next((a for a in commands[command]._actions if flag in a.option_strings), None)
            assert action is not None, f"{command} has no {flag}"
            known = "" if action.default in (None, False) else str(action.default)
            assert default.replace("—", "") == known, f"{command} {flag}: README says {default!r}, argparse {known!r}"


def test_the_readme_s_invoke_options_are_what_help_shows() -> None:
    section = README.split("## Trying it locally", 1)[1].split("\n## ", 1)[0]
    sentence = section.split("Options:", 1)[1].split("Exit code", 1)[0]
    readme = dict(re.findall(r"`(--[a-z-]+) ?([^`]*)`", sentence))
    shown = help_options("invoke")
    assert set(readme) == set(shown)
    spelled = {flag: rest for flag, rest in readme.items() if rest}  # `--timeout SECONDS`
    assert spelled == {flag: shown[flag] for flag in spelled}


def test_the_readme_s_commands_and_exit_codes_are_the_command_s() -> None:
    done = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    listed = re.search(r"\{([a-z,]+)\}", done.stdout)
    assert listed is not None, done.stdout
    commands = set(listed.group(1).split(","))
    assert commands == {"services", "cluster", "stack", "invoke"}
    examples = [shlex.split(line, comments=True) for line in code_lines()]
    used = {argv[1] for argv in examples if argv[0].endswith("ecs-teardown") and len(argv) > 1}
    assert used == commands, "every command has an example in the README, and every example's command exists"
    section = README.split("## Teardown automation", 1)[1].split("\n## ", 1)[0]
    exit_codes = section.split("Exit codes", 1)[1].split("\n\n", 1)[0]
    readme_codes = {int(code) for code in re.findall(r"\*\*(\d+)\*\*", exit_codes)}
    help_codes = {int(code) for code in re.findall(r"(?:^|, )(\d+) ", EPILOG.split(": ", 1)[1])}
    assert readme_codes == help_codes == {0, 1, 2, 130}
    assert "exit codes: " + " ".join(EPILOG.split()[2:]) in " ".join(done.stdout.split())
