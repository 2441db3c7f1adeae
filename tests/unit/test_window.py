"""The invocation's window for calls: every call starts only if its worst case ends before the hard end, none
after the request was answered, and the reserve covers what follows the last call."""

from __future__ import annotations

import pytest

from ecs_teardown.aws.ecs import CALL_WORST_S
from ecs_teardown.aws.lambda_invoke import HANDOVER_WORST_S
from ecs_teardown.cfn.answer import ANSWER_WORST_S, TIMER_MARGIN_S
from ecs_teardown.core.budget import LAMBDA_RESERVE_S
from ecs_teardown.core.model import ServiceSnapshot
from ecs_teardown.core.ports import CallOutcome, CallResult, StackReadError, StackRecord
from ecs_teardown.core.window import AnsweredError, InvocationWindow


class Recorder:
    throttles = 0

    def __init__(self) -> None:
        self.calls: list[str] = []

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        self.calls.append("describe")
        return {name: ServiceSnapshot("ACTIVE") for name in names}

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        self.calls.append("scale")
        return CallResult(CallOutcome.ACCEPTED)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        self.calls.append("delete")
        return CallResult(CallOutcome.ACCEPTED)

    def describe_stack(self, stack_id: str) -> StackRecord:
        self.calls.append("stack")
        return StackRecord("DELETE_IN_PROGRESS")


class Stacks:
    def __init__(self, recorder: Recorder) -> None:
        self.describe = recorder.describe_stack


def window(now: float, hard_end: float, answered: bool = False) -> tuple[InvocationWindow, Recorder]:
    recorder = Recorder()
    return InvocationWindow(recorder, lambda: now, hard_end, 30.0, lambda: answered), recorder  # type: ignore[arg-type]


def test_the_reserve_covers_what_follows_the_last_call() -> None:
    assert LAMBDA_RESERVE_S >= HANDOVER_WORST_S + ANSWER_WORST_S + TIMER_MARGIN_S
    assert CALL_WORST_S == 3 * (3 + 6) + 1 + 2, "the ECS client's timeouts and attempts, with botocore's backoffs"


@pytest.mark.parametrize(("now", "fits"), [(0.0, True), (70.0, True), (70.001, False), (100.0, False)])
def test_a_call_starts_only_if_its_worst_case_ends_in_time(now: float, fits: bool) -> None:
    gate, recorder = window(now, hard_end=100.0)
    readings = gate.describe("demo", ["web"])
    scaled = gate.scale_to_zero("demo", "web")
    deleted = gate.delete("demo", "web", False)
    reader = gate.stacks(Stacks(recorder))  # type: ignore[arg-type]
    if fits:
        assert readings and scaled.outcome is deleted.outcome is CallOutcome.ACCEPTED
        assert reader.describe("stack").status == "DELETE_IN_PROGRESS"
        assert recorder.calls == ["describe", "scale", "delete", "stack"]
    else:
        assert readings == {}
        assert scaled.outcome is deleted.outcome is CallOutcome.RETRY_LATER
        assert scaled.detail == "no time left in this invocation for another ECS call"
        with pytest.raises(StackReadError) as refused:
            reader.describe("stack")
        assert refused.value.transient
        assert recorder.calls == []


def test_no_call_once_the_request_was_answered() -> None:
    gate, recorder = window(0.0, hard_end=1000.0, answered=True)
    for call in (lambda: gate.describe("demo", ["web"]), lambda: gate.scale_to_zero("demo", "web")):
        with pytest.raises(AnsweredError):
            call()
    assert recorder.calls == []
