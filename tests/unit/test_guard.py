"""StackGuard on its own: no ECS write until the stack's record says it is going away, a transient failure to read
it holds the teardown back (saying why, word for word), a lasting one or a stack that stays stops it, and a nested
stack follows its root."""

from __future__ import annotations

import pytest

from ecs_teardown.core.guard import (
    STACK_GOING_AWAY,
    STACK_REMOVING_IT,
    StackGuard,
    StackStaysError,
    StackUnreadableError,
)
from ecs_teardown.core.model import ACTIVE, INACTIVE, MISSING, ServiceSnapshot
from ecs_teardown.core.ports import CallOutcome, CallResult, StackReadError, StackRecord
from support.fake_stacks import ScriptedStacks

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1"
ROOT = "arn:aws:cloudformation:us-east-1:123456789012:stack/root/2"


class Gateway:
    throttles = 7

    def __init__(self, status: str = ACTIVE) -> None:
        self.status = status
        self.calls: list[tuple[str, ...]] = []

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        self.calls.append(("describe", cluster, *names))
        return {name: ServiceSnapshot(self.status) for name in names}

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        self.calls.append(("scale", cluster, service))
        return CallResult(CallOutcome.ACCEPTED)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        self.calls.append(("delete", cluster, service, str(force)))
        return CallResult(CallOutcome.ACCEPTED, "deleted")


def guard(*answers: StackRecord | StackReadError, gateway: Gateway | None = None, root=None):  # type: ignore[no-untyped-def]
    stacks = ScriptedStacks({STACK: list(answers), **({ROOT: root} if root else {})})
    return StackGuard(gateway or Gateway(), stacks, STACK, STACK_GOING_AWAY), stacks


def test_the_accepted_statuses() -> None:
    assert frozenset({"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"}) == STACK_GOING_AWAY
    assert STACK_GOING_AWAY | {"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"} == STACK_REMOVING_IT


def test_writes_pass_once_the_stack_is_going_away_and_it_is_read_once() -> None:
    gateway = Gateway()
    gate, stacks = guard(StackRecord("DELETE_IN_PROGRESS"), gateway=gateway)
    assert gate.scale_to_zero("prod", "web") == CallResult(CallOutcome.ACCEPTED)
    assert gate.delete("prod", "web", True) == CallResult(CallOutcome.ACCEPTED, "deleted")
    assert gate.describe("prod", ["web"]) == {"web": ServiceSnapshot(ACTIVE)}
    assert gateway.calls == [("scale", "prod", "web"), ("delete", "prod", "web", "True"), ("describe", "prod", "web")]
    assert stacks.reads == [STACK]
    assert gate.unread == "" and gate.unread_note() == ""
    assert gate.throttles == 7


@pytest.mark.parametrize("call", ["scale", "delete"])
def test_a_transient_failure_to_read_the_stack_holds_writes_back_saying_why(call: str) -> None:
    gateway = Gateway()
    gate, _ = guard(StackReadError("Rate exceeded", transient=True), StackRecord("DELETE_IN_PROGRESS"), gateway=gateway)
    first = gate.scale_to_zero("prod", "web") if call == "scale" else gate.delete("prod", "web", False)
    assert first == CallResult(CallOutcome.RETRY_LATER, "stack status not read yet: Rate exceeded")
    assert gateway.calls == []
    assert gate.unread == "Rate exceeded"
    assert gate.unread_note() == ". The stack's status could not be read, so nothing was done: Rate exceeded"
    second = gate.scale_to_zero("prod", "web") if call == "scale" else gate.delete("prod", "web", False)
    assert second.outcome is CallOutcome.ACCEPTED
    assert gate.unread == "" and gate.unread_note() == ""


def test_a_transient_failure_leaves_no_reading_of_live_services() -> None:
    gate, _ = guard(StackReadError("unavailable", transient=True))
    assert gate.describe("prod", ["web", "api"]) == {}


@pytest.mark.parametrize("status", [INACTIVE, MISSING])
def test_services_already_gone_are_read_without_the_stack(status: str) -> None:
    gate, stacks = guard(StackRecord("UPDATE_COMPLETE"), gateway=Gateway(status))
    assert gate.describe("prod", ["web"]) == {"web": ServiceSnapshot(status)}
    assert stacks.reads == []


def test_a_stack_that_stays_stops_the_teardown_naming_its_status() -> None:
    gateway = Gateway()
    gate, _ = guard(StackRecord("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), gateway=gateway)
    with pytest.raises(StackStaysError) as stays:
        gate.delete("prod", "web", False)
    assert stays.value.status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    assert str(stays.value) == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    assert gateway.calls == []


def test_a_lasting_failure_to_read_the_stack_fails_the_teardown() -> None:
    gate, _ = guard(StackReadError("AccessDenied: not authorized", transient=False))
    with pytest.raises(StackUnreadableError) as unreadable:
        gate.scale_to_zero("prod", "web")
    assert str(unreadable.value) == "AccessDenied: not authorized"


def test_a_nested_stack_goes_ahead_when_its_root_goes_away_too() -> None:
    gate, stacks = guard(StackRecord("DELETE_IN_PROGRESS", root_id=ROOT), root=[StackRecord("DELETE_IN_PROGRESS")])
    assert gate.delete("prod", "web", False).outcome is CallOutcome.ACCEPTED
    assert stacks.reads == [STACK, ROOT]


def test_a_nested_stack_whose_root_stays_stops_naming_both() -> None:
    gate, _ = guard(StackRecord("DELETE_IN_PROGRESS", root_id=ROOT), root=[StackRecord("UPDATE_IN_PROGRESS")])
    with pytest.raises(StackStaysError) as stays:
        gate.delete("prod", "web", False)
    assert stays.value.status == f"DELETE_IN_PROGRESS (nested; its root stack {ROOT!r} is UPDATE_IN_PROGRESS)"


def test_a_nested_stack_that_stays_is_not_asked_about_its_root() -> None:
    gate, stacks = guard(StackRecord("UPDATE_IN_PROGRESS", root_id=ROOT), root=[StackRecord("DELETE_IN_PROGRESS")])
    with pytest.raises(StackStaysError) as stays:
        gate.delete("prod", "web", False)
    assert stays.value.status == "UPDATE_IN_PROGRESS"
    assert stacks.reads == [STACK]
