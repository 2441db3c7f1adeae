"""Ctrl-C, as a user presses it: a real SIGINT to the process of the `ecs-teardown` console script. The first stops
every write at once, prints each service's state and how to resume, and exits 130; a second one exits at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_teardown_tools.emulator import EmbeddedAws, Timeline

pytestmark = pytest.mark.integration

SCRIPT = Path(sys.executable).with_name("ecs-teardown")


def start(aws: EmbeddedAws, *names: str) -> subprocess.Popen[str]:
    ecs: Any = boto3.client("ecs", endpoint_url=aws.url, region_name="us-east-1")
    ecs.create_cluster(clusterName="prod")
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    for name in names:
        ecs.create_service(cluster="prod", serviceName=name, taskDefinition="app", desiredCount=2)
        aws.play("prod", name, Timeline(task_stop_s=30, draining_s=1, tasks=2))  # a drain that takes a while
    argv = ["services", "--cluster", "prod", *(a for name in names for a in ("--service", name))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"AWS_REGION": "us-east-1"}
    return subprocess.Popen(
        [str(SCRIPT), *argv, "--yes", "--endpoint-url", aws.url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(process: subprocess.Popen[str], text: str, timeout_s: float = 20.0) -> list[str]:
    """Read stdout until a line holds `text` (the run is under way)."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen.append(line)
        if text in line:
            return seen
    raise AssertionError(f"no {text!r} in {seen}")


def test_the_first_ctrl_c_stops_every_write_and_says_how_to_resume() -> None:
    with EmbeddedAws() as aws:
        process = start(aws, "web", "api")
        wait_for_line(process, "draining-tasks")  # both scaled down; their deletes are still to come
        writes_before = list(aws.timed.writes)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
        writes_after = list(aws.timed.writes)
    assert process.returncode == 130, err
    assert "stopping: no further writes" in err
    assert writes_after == writes_before, "no write after the first Ctrl-C"
    assert "prod/web: ACTIVE" in out and "prod/api: ACTIVE" in out, out
    assert "run the same command again to resume" in out


def test_a_second_ctrl_c_exits_at_once() -> None:
    with EmbeddedAws() as aws:
        process = start(aws, "web")
        wait_for_line(process, "draining-tasks")
        process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        process.communicate(timeout=20)
    assert process.returncode == 130
    assert time.monotonic() - started < 5


def sigint_as_from_a_terminal() -> None:
    """In the child: SIGINT as a terminal's shell leaves it (a background CI job starts with it ignored, and Python
    then installs no KeyboardInterrupt for it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def test_ctrl_c_stops_a_local_invoke_where_it_is_and_exits_130() -> None:
    """README, "Trying it locally": the handler stops where it is, as a Lambda cut off would; what it changed stays."""
    with EmbeddedAws() as aws:
        ecs: Any = boto3.client("ecs", endpoint_url=aws.url, region_name="us-east-1")
        ecs.create_cluster(clusterName="demo")
        ecs.register_task_definition(family="web", containerDefinitions=[{"name": "w", "image": "n", "memory": 64}])
        ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
        aws.play("demo", "web", Timeline(task_stop_s=60, draining_s=1, tasks=2))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SSL_CERT"))}
        argv = ["invoke", "events/delete.json", "--endpoint-url", aws.url, "--stack-status", "DELETE_IN_PROGRESS"]
        process = subprocess.Popen(
            [str(SCRIPT), *argv], cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, preexec_fn=sigint_as_from_a_terminal,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not aws.timed.writes:
                time.sleep(0.1)
            assert aws.timed.writes, "the invoke scaled web down"
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
        web = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert process.returncode == 130, err[-2000:]
    assert "ecs-teardown: interrupted" in err and "Traceback" not in err
    assert (web["status"], web["desiredCount"]) == ("ACTIVE", 0), "what it changed stays changed"


def test_ctrl_c_after_the_reader_went_away_still_stops_and_exits_130() -> None:
    """`ecs-teardown ... 2>&1 | head -1`, then Ctrl-C: stdout and stderr are the one pipe nobody reads any more.
    The stop, its report and the exit code must not depend on a reader (they did: a BrokenPipeError on stderr)."""
    with EmbeddedAws() as aws:
        ecs: Any = boto3.client("ecs", endpoint_url=aws.url, region_name="us-east-1")
        ecs.create_cluster(clusterName="prod")
        ecs.register_task_definition(family="app", containerDefinitions=[{"name": "a", "image": "n", "memory": 64}])
        ecs.create_service(cluster="prod", serviceName="web", taskDefinition="app", desiredCount=2)
        aws.play("prod", "web", Timeline(task_stop_s=30, draining_s=1, tasks=2))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"AWS_REGION": "us-east-1"}
        process = subprocess.Popen(
            [str(SCRIPT), "services", "--cluster", "prod", "--service", "web", "--yes", "--endpoint-url", aws.url],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=sigint_as_from_a_terminal,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            assert process.stdout.readline()
            process.stdout.close()  # `head -1` is done
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not aws.timed.writes:
                time.sleep(0.1)
            assert aws.timed.writes, "the run is under way"
            time.sleep(0.5)  # a line or two more goes to the closed pipe
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        web = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert code == 130
    assert web["status"] == "ACTIVE", "stopped before its delete"
