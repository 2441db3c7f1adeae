"""StackGuard, call by call, for the calls issue 13 added (StopServiceDeployment, the preparation before the first
write, the restore of a kept service): what reaches the gateway (every argument as given), what is held back and in
which words; and the guard's own record (the log line that the stack is going away, the root's id cut to 300
characters, nothing unread before the first reading). tests/unit/test_guard.py has the statuses themselves."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from ecs_teardown.core.drain import FastDrain, Preparation, Scaling
from ecs_teardown.core.guard import STACK_GOING_AWAY, StackGuard, StackStaysError, StackUnreadableError
from ecs_teardown.core.model import ACTIVE, INACTIVE, ServiceSnapshot
from ecs_teardown.core.ports import CallOutcome, CallResult, StackReadError, StackRecord
from support.fake_ecs import ROLLOUT
from support.fake_stacks import ScriptedStacks

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/1"
SNAPSHOT = ServiceSnapshot(ACTIVE, desired=2, running=2, target_groups=("tg-a",))
FOUND = Preparation(Scaling(), suspended=True, delays=(("tg-a", 300),), lowered=(("tg-a", 5),), stop_timeout_s=20)
KEPT = Preparation(Scaling(), suspended=True, stop_timeout_s=45)


class Gateway:
    throttles = 0

    def __init__(self, *statuses: str) -> None:
        self.statuses = statuses or (ACTIVE,)
        self.calls: list[tuple[object, ...]] = []

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        self.calls.append(("describe", cluster, tuple(names)))
        return {name: ServiceSnapshot(status) for name, status in zip(names, self.statuses, strict=True)}

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        self.calls.append(("stop_deployment", cluster, service, deployment_arn))
        return CallResult(CallOutcome.NEEDS_FORCE, "no such deployment")

    def begin_teardown(self) -> None:
        self.calls.append(("begin_teardown",))

    def prepare(
        self,
        cluster: str,
        service: str,
        snapshot: ServiceSnapshot,
        fast_drain: FastDrain | None,
        may_call: Callable[[], bool] | None = None,
    ) -> Preparation | None:
        self.calls.append(("prepare", cluster, service, snapshot, fast_drain, may_call))
        return FOUND

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: Callable[[], bool] | None = None
    ) -> list[str]:
        self.calls.append(("restore", cluster, service, preparation, may_call))
        return ["target group tg-a: delay not put back"]


def may_call() -> bool:
    return True


def guard(*answers: StackRecord | StackReadError, gateway: Gateway, **more: list) -> tuple[StackGuard, ScriptedStacks]:  # type: ignore[type-arg]
    stacks = ScriptedStacks({STACK: list(answers), **more})
    return StackGuard(gateway, stacks, STACK, STACK_GOING_AWAY), stacks  # type: ignore[arg-type]


GOING = StackRecord("DELETE_IN_PROGRESS")
THROTTLED = StackReadError("Rate exceeded", transient=True)


def test_a_teardown_begins_on_the_gateway_without_a_read_of_the_stack() -> None:
    gateway = Gateway()
    gate, stacks = guard(StackRecord("UPDATE_IN_PROGRESS"), gateway=gateway)
    gate.begin_teardown()
    assert gateway.calls == [("begin_teardown",)]
    assert stacks.reads == []


def test_a_stop_of_a_deployment_passes_with_every_argument_once_the_stack_goes_away() -> None:
    gateway = Gateway()
    gate, stacks = guard(GOING, gateway=gateway)
    assert gate.stop_deployment("prod", "web", ROLLOUT) == CallResult(CallOutcome.NEEDS_FORCE, "no such deployment")
    assert gateway.calls == [("stop_deployment", "prod", "web", ROLLOUT)]
    assert stacks.reads == [STACK]


def test_a_stop_of_a_deployment_is_held_back_while_the_stack_cannot_be_read() -> None:
    gateway = Gateway()
    gate, _ = guard(THROTTLED, GOING, gateway=gateway)
    held = gate.stop_deployment("prod", "web", ROLLOUT)
    assert held == CallResult(CallOutcome.RETRY_LATER, "stack status not read yet: Rate exceeded")
    assert gateway.calls == []
    assert gate.stop_deployment("prod", "web", ROLLOUT).outcome is CallOutcome.NEEDS_FORCE
    assert gateway.calls == [("stop_deployment", "prod", "web", ROLLOUT)]


def test_a_stop_of_a_deployment_of_a_stack_that_stays_raises() -> None:
    gateway = Gateway()
    gate, _ = guard(StackRecord("UPDATE_IN_PROGRESS"), gateway=gateway)
    with pytest.raises(StackStaysError):
        gate.stop_deployment("prod", "web", ROLLOUT)
    assert gateway.calls == []


@pytest.mark.parametrize(
    "fast_drain", [None, FastDrain(0), FastDrain(5, frozenset({"web", "api"}), {"tg-a": 300})], ids=["none", "0", "5"]
)
def test_the_preparation_passes_with_every_argument_once_the_stack_goes_away(fast_drain: FastDrain | None) -> None:
    gateway = Gateway()
    gate, _ = guard(GOING, gateway=gateway)
    assert gate.prepare("prod", "web", SNAPSHOT, fast_drain, may_call) is FOUND
    assert gate.prepare("prod", "api", SNAPSHOT, fast_drain) is FOUND
    assert gateway.calls == [
        ("prepare", "prod", "web", SNAPSHOT, fast_drain, may_call),
        ("prepare", "prod", "api", SNAPSHOT, fast_drain, None),
    ]


def test_the_preparation_waits_while_the_stack_cannot_be_read_and_stops_when_it_stays() -> None:
    gateway = Gateway()
    gate, _ = guard(THROTTLED, gateway=gateway)
    assert gate.prepare("prod", "web", SNAPSHOT, FastDrain(5)) is None
    assert gate.unread == "Rate exceeded"
    staying, _ = guard(StackRecord("UPDATE_COMPLETE"), gateway=gateway)
    with pytest.raises(StackStaysError):
        staying.prepare("prod", "web", SNAPSHOT, FastDrain(5))
    unreadable, _ = guard(StackReadError("AccessDenied", transient=False), gateway=gateway)
    with pytest.raises(StackUnreadableError):
        unreadable.prepare("prod", "web", SNAPSHOT, FastDrain(5))
    assert gateway.calls == []


@pytest.mark.parametrize(
    "answer", [StackRecord("UPDATE_COMPLETE"), StackReadError("AccessDenied", transient=False), THROTTLED]
)
def test_a_restore_only_undoes_the_teardown_s_own_changes_whatever_the_stack(
    answer: StackRecord | StackReadError,
) -> None:
    """Only ever what this teardown changed: it goes back whatever the stack's status, without reading it."""
    gateway = Gateway()
    gate, stacks = guard(answer, gateway=gateway)
    assert gate.restore("prod", "web", KEPT, may_call) == ["target group tg-a: delay not put back"]
    assert gate.restore("prod", "api", KEPT) == ["target group tg-a: delay not put back"]
    assert gateway.calls == [("restore", "prod", "web", KEPT, may_call), ("restore", "prod", "api", KEPT, None)]
    assert stacks.reads == []


def test_nothing_is_unread_before_the_first_reading() -> None:
    gate, stacks = guard(THROTTLED, gateway=Gateway())
    assert gate.unread == ""
    assert gate.unread_note() == ""
    assert stacks.reads == []


@pytest.mark.parametrize(
    ("statuses", "reads"),
    [((INACTIVE, ACTIVE), [STACK]), ((ACTIVE, INACTIVE), [STACK]), ((INACTIVE, INACTIVE), [])],
)
def test_any_live_service_in_a_reading_needs_the_stack(statuses: tuple[str, str], reads: list[str]) -> None:
    gateway = Gateway(*statuses)
    gate, stacks = guard(THROTTLED, gateway=gateway)
    expected = {} if reads else {"web": ServiceSnapshot(statuses[0]), "api": ServiceSnapshot(statuses[1])}
    assert gate.describe("prod", ["web", "api"]) == expected
    assert stacks.reads == reads


def test_the_stack_is_read_once_then_trusted() -> None:
    gateway = Gateway()
    gate, stacks = guard(GOING, StackRecord("UPDATE_COMPLETE"), gateway=gateway)
    gate.prepare("prod", "web", SNAPSHOT, None)
    gate.stop_deployment("prod", "web", ROLLOUT)
    gate.describe("prod", ["web"])
    assert stacks.reads == [STACK]


def test_going_away_is_logged_with_the_stack_s_status(caplog: pytest.LogCaptureFixture) -> None:
    gate, _ = guard(StackRecord("ROLLBACK_IN_PROGRESS"), gateway=Gateway())
    with caplog.at_level(logging.INFO, logger="ecs_teardown.core.guard"):
        gate.prepare("prod", "web", SNAPSHOT, None)
    (record,) = [r for r in caplog.records if r.name == "ecs_teardown.core.guard"]
    assert record.levelno == logging.INFO
    assert record.getMessage() == "stack is going away: teardown goes ahead"
    assert record.stack_status == "ROLLBACK_IN_PROGRESS"  # type: ignore[attr-defined]


def test_a_nested_stack_s_root_is_named_by_its_first_300_characters() -> None:
    root = "arn:aws:cloudformation:us-east-1:123456789012:stack/" + "r" * 400
    gate, stacks = guard(
        StackRecord("DELETE_IN_PROGRESS", root_id=root), gateway=Gateway(), **{root: [StackRecord("UPDATE_COMPLETE")]}
    )
    with pytest.raises(StackStaysError) as stays:
        gate.prepare("prod", "web", SNAPSHOT, None)
    assert stays.value.status == f"DELETE_IN_PROGRESS (nested; its root stack {root[:300]!r} is UPDATE_COMPLETE)"
    assert stacks.reads == [STACK, root]


def test_a_root_stack_whose_status_is_accepted_is_not_read_twice() -> None:
    gate, stacks = guard(StackRecord("ROLLBACK_IN_PROGRESS"), gateway=Gateway())
    assert gate.prepare("prod", "web", SNAPSHOT, None) is FOUND
    assert stacks.reads == [STACK]
