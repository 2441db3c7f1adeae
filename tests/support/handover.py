"""Drive the Lambda function through its hand-overs with control over them: every continuation event is recorded,
and a test may hold them back, deliver them late, or run other invocations in between."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.config import Config
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext
from support.fake_ecs import FakeClock, FakeEcs


@dataclass
class HandOvers:
    """Stands in for the self-invoke: records each continuation event; `pending` are those not yet delivered."""

    handed: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: dict[str, Any]) -> None:
        self.handed.append(copy.deepcopy(event))
        self.pending.append(event)


@dataclass
class Lambda:
    """One function's worth of invocations on a fake ECS and a fake clock (the Lambda context uses it too)."""

    monkeypatch: pytest.MonkeyPatch
    answers: AnswerEndpoint
    ecs: FakeEcs
    timeout_s: float = 900.0
    allowed_clusters: str | None = None
    hand_overs: HandOvers = field(default_factory=HandOvers)
    invocations: int = 0
    spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each invocation, fake clock

    def invoke(self, event: dict[str, Any]) -> None:
        clock: FakeClock = self.ecs.clock
        config = Config.from_environment()
        if self.allowed_clusters is not None:
            config = replace(config, allowed_clusters=self.allowed_clusters)
        edges = Edges(
            ecs=lambda: EcsGateway(self.ecs),  # type: ignore[arg-type]
            clock=clock,
            sleep=clock.sleep,
            hand_over=self.hand_overs,
            config=config,
        )
        self.invocations += 1
        started = clock.now
        CustomResource(edges).handle(event, LocalContext(timeout_s=self.timeout_s, clock=clock))
        self.spans.append((started, clock.now))

    def deliver_next(self) -> dict[str, Any]:
        event = self.hand_overs.pending.pop(0)
        self.invoke(event)
        return event

    def run_chain(self, event: dict[str, Any], limit: int = 60, between: Callable[[], None] | None = None) -> None:
        """Invoke, then deliver every hand-over in turn until none is left (`between` runs before each one)."""
        self.invoke(event)
        while self.hand_overs.pending:
            assert self.invocations < limit, "hand-overs never stopped"
            if between is not None:
                between()
            self.deliver_next()

    def bodies(self, wait_for: int = 1) -> list[dict[str, Any]]:
        return [received.body for received in self.answers.wait_for(wait_for, timeout_s=5.0)]
