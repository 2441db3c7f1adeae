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


@pytest.fixture(scope="module")
def demo() -> tuple[str, float]:
    """One run of the demo for this module's tests: its stdout (exit status 0 checked) and how long it took."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_TEARDOWN_", "SSL_CERT"))}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "ecs_teardown_tools.demo"], cwd="/", env=env, capture_output=True, text=True, timeout=120
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, took


def test_demo_tears_everything_down_and_exits_0(demo: tuple[str, float]) -> None:
    out, took = demo
    assert "demo: OK" in out
    for name in ("web", "worker", "agent", "legacy"):
        assert f"  {name:<8} INACTIVE  ok" in out
    assert "ghost    MISSING   ok" in out
    assert "UpdateService(service=agent" not in out, "the DAEMON never gets a desiredCount"
    assert out.count("CloudFormation <- SUCCESS") == 3
    assert out.count("no AWS write: right") == 2, "removed from the template, and a failed Create: nothing touched"
    assert "draining-tasks" in out, "drains take visible time"
    assert "scaled to zero: web, worker (once each, never the DAEMON); no forced delete  ok" in out
    assert took < 60


def line_of(out: str, *words: str) -> str:
    (found,) = [line for line in out.splitlines() if all(word in line for word in words)]
    return found


def test_demo_suspends_auto_scaling_and_drains_fast_behind_a_target_group(demo: tuple[str, float]) -> None:
    """`worker` has a scalable target (MinCapacity 2) whose alarm fights a scale-down: it is suspended first and
    never raises desired; `web` sits behind a target group at ELB's default 300 s: lowered to 2 s, gone in seconds."""
    out = demo[0]
    assert "worker  preparing" in line_of(out, "worker", "auto scaling suspended; stop timeout 30 s")
    assert "RegisterScalableTarget(ResourceId=service/demo/worker" in out
    assert "'DynamicScalingOutSuspended': True" in line_of(out, "call: RegisterScalableTarget(")
    assert "scale-out alarm for worker found scale-out suspended: desired stays 0" in out
    assert out.count("UpdateService(service=worker, desiredCount=0)") == 1, "never scaled back up, never re-sent"
    assert "raised desired" not in out
    assert "auto scaling: worker's scalable target (MinCapacity 2) suspended before its scale-down" in out
    assert "desired never raised  ok" in out

    prepared = line_of(out, "web", "preparing")
    assert "deregistration delay 300 s -> 2 s; stop timeout 2 s; drain timeout 64 s" in prepared
    assert "ModifyTargetGroupAttributes(TargetGroupArn=targetgroup/web/" in out
    assert "[deregistration_delay.timeout_seconds=2]" in out
    assert "web's tasks stay registered for the deregistration delay (2 s), then stop within the stopTimeout" in out
    fast = line_of(out, "fast drain: web's deregistration delay 300 s -> 2 s; INACTIVE")
    assert fast.endswith("  ok"), fast
    took = float(fast.split("INACTIVE ", 1)[1].split(" s after", 1)[0])
    assert 4 <= took < 15, "the delay (2 s), the stop (2 s) and DRAINING (2 s), not five minutes"
    assert "  web      INACTIVE  ok" in out
