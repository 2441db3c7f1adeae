"""InvocationWindow, call by call: what reaches the gateway (every argument as given), what is refused and in which
words, and that a duplicate invocation stops writing once another one answered (tests/unit/test_window.py has the
time window itself)."""

from __future__ import annotations

import pytest

from ecs_teardown.core.model import ServiceSnapshot
from ecs_teardown.core.ports import CallOutcome, CallResult, StackReadError, StackRecord
from ecs_teardown.core.window import AnsweredError, InvocationWindow


class Gateway:
    throttles = 3

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        self.calls.append(("describe", cluster, tuple(names)))
        return {name: ServiceSnapshot("ACTIVE", desired=1) for name in names}

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        self.calls.append(("scale", cluster, service))
        return CallResult(CallOutcome.ACCEPTED, "scaled")

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        self.calls.append(("delete", cluster, service, force))
        return CallResult(CallOutcome.NOT_ACTIVE, "deleting")


class Stacks:
    def __init__(self) -> None:
        self.reads: list[str] = []

    def describe(self, stack_id: str) -> StackRecord:
        self.reads.append(stack_id)
        return StackRecord("DELETE_IN_PROGRESS", root_id="root")


def window(
    now: float = 0.0, hard_end: float = 100.0, answered: bool = False, answered_anywhere: bool = False
) -> tuple[InvocationWindow, Gateway]:
    gateway = Gateway()
    gate = InvocationWindow(
        gateway,  # type: ignore[arg-type]
        lambda: now,
        hard_end,
        30.0,
        lambda: answered,
        lambda: answered_anywhere,
    )
    return gate, gateway


@pytest.mark.parametrize("force", [True, False])
def test_calls_reach_the_gateway_with_every_argument(force: bool) -> None:
    gate, gateway = window()
    assert gate.describe("prod", ["web", "api"]) == {
        "web": ServiceSnapshot("ACTIVE", desired=1),
        "api": ServiceSnapshot("ACTIVE", desired=1),
    }
    assert gate.scale_to_zero("prod", "web") == CallResult(CallOutcome.ACCEPTED, "scaled")
    assert gate.delete("prod", "web", force) == CallResult(CallOutcome.NOT_ACTIVE, "deleting")
    assert gateway.calls == [
        ("describe", "prod", ("web", "api")),
        ("scale", "prod", "web"),
        ("delete", "prod", "web", force),
    ]
    assert gate.throttles == 3


def test_once_another_invocation_answered_no_write_goes_out() -> None:
    gate, gateway = window(answered_anywhere=True)
    assert gate.describe("prod", ["web"]) != {}  # reading is harmless
    for write in (lambda: gate.scale_to_zero("prod", "web"), lambda: gate.delete("prod", "web", True)):
        with pytest.raises(AnsweredError) as caught:
            write()
        assert str(caught.value) == "another invocation answered this request"
    assert [call[0] for call in gateway.calls] == ["describe"]


def test_out_of_time_a_write_is_put_off_before_asking_the_ledger() -> None:
    gate, gateway = window(now=90.0, answered_anywhere=True)  # no time: the ledger is not even asked
    expected = CallResult(CallOutcome.RETRY_LATER, "no time left in this invocation for another ECS call")
    assert gate.scale_to_zero("prod", "web") == expected
    assert gate.delete("prod", "web", False) == expected
    assert gateway.calls == []


def test_once_this_invocation_answered_nothing_goes_out_and_it_says_why() -> None:
    gate, gateway = window(answered=True)
    with pytest.raises(AnsweredError) as caught:
        gate.delete("prod", "web", False)
    assert str(caught.value) == "the request was answered while the teardown ran (the invocation's timer)"
    assert gateway.calls == []


def test_the_stack_reader_under_the_window() -> None:
    stacks = Stacks()
    gate, _ = window()
    assert gate.stacks(stacks).describe("stack-1") == StackRecord("DELETE_IN_PROGRESS", root_id="root")
    assert stacks.reads == ["stack-1"]
    late, _ = window(now=71.0)
    with pytest.raises(StackReadError) as refused:
        late.stacks(stacks).describe("stack-1")
    assert str(refused.value) == "no time left in this invocation for DescribeStacks"
    assert refused.value.transient is True
    assert stacks.reads == ["stack-1"]
