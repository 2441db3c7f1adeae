"""Drive app.lambda_handler in-process with a fake ECS and a fake clock, hand-overs included."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from ecs_teardown.custom_resource import Runtime
from ecs_teardown.ecs import EcsGateway
from ecs_teardown.local import AnswerEndpoint, ContinuationQueue, LocalContext
from support.fake_ecs import FakeClock, FakeEcs


@dataclass
class Run:
    answer: dict[str, Any]
    invocations: int
    answers: int


def run_handler(
    monkeypatch: pytest.MonkeyPatch,
    answers: AnswerEndpoint,
    event: dict[str, Any],
    ecs: FakeEcs,
    *,
    lambda_timeout_s: float = 900.0,
    allowed_clusters: str | None = None,
) -> Run:
    import app

    clock: FakeClock = ecs.clock
    queue = ContinuationQueue()
    runtime = Runtime(
        gateway_factory=lambda: EcsGateway(ecs),  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        continuation=queue,
        allowed_clusters=allowed_clusters,
    )
    monkeypatch.setattr(app, "runtime", runtime)
    before = len(answers.answers)
    invocations = queue.run(app.lambda_handler, event, lambda: LocalContext(timeout_s=lambda_timeout_s, clock=clock))
    received = answers.wait_for(before + 1, timeout_s=5.0)
    assert len(received) == before + 1, f"expected exactly one answer, got {len(received) - before}"
    return Run(answer=received[-1].body, invocations=invocations, answers=len(received) - before)
