"""`make demo` as a user runs it: the whole story on the embedded AWS, ending in 'demo: OK' and exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def test_demo_tears_everything_down_and_exits_0() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_TEARDOWN_", "SSL_CERT"))}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ecs_teardown_tools.demo"], cwd="/", env=env, capture_output=True, text=True, timeout=120
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "demo: OK" in out
    for name in ("web", "worker", "agent", "legacy"):
        assert f"  {name:<8} INACTIVE  ok" in out
    assert "ghost    MISSING   ok" in out
    assert "UpdateService(service=agent" not in out, "the DAEMON never gets a desiredCount"
    assert out.count("CloudFormation <- SUCCESS") == 3
    assert out.count("no ECS write: right") == 2, "removed from the template, and a failed Create: nothing touched"
    assert "draining-tasks" in out, "drains take visible time"
    assert took < 60
