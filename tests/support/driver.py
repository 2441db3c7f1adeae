"""Drive the Lambda function (CustomResource.handle, as app.py builds it) in-process with a fake ECS and a fake clock, hand-overs included."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.config import Config
from ecs_teardown_tools.local import AnswerEndpoint, HandOverQueue, LocalContext
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
    ledger: Any = None,
    expect_answer: bool = True,
) -> Run:
    clock: FakeClock = ecs.clock
    queue = HandOverQueue()
    config = Config.from_environment()
    edges = Edges(
        ecs=lambda: EcsGateway(ecs),  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        hand_over=queue,
        ledger=(lambda: ledger) if ledger is not None else None,
        config=config if allowed_clusters is None else replace(config, allowed_clusters=allowed_clusters),
    )
    function = CustomResource(edges)
    before = len(answers.answers)
    invocations = queue.run(function.handle, event, lambda: LocalContext(timeout_s=lambda_timeout_s, clock=clock))
    received = answers.wait_for(before + 1, timeout_s=5.0 if expect_answer else 0.3)
    if not expect_answer:
        assert len(received) == before, "expected no answer"
        return Run(answer={}, invocations=invocations, answers=0)
    assert len(received) == before + 1, f"expected exactly one answer, got {len(received) - before}"
    return Run(answer=received[-1].body, invocations=invocations, answers=len(received) - before)
