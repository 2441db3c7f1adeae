"""InvocationWindow, for the calls issue 13 added (StopServiceDeployment, the preparation before the first write,
the restore of a kept service): every argument reaches the gateway as given; the preparation and the restore get a
`may_call` that also says no once another call would not end in time; out of time, a stop is put off in its own
words and a preparation waits (before the ledger is asked); once this or another invocation answered, neither goes
out."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ecs_teardown.core.drain import FastDrain, Preparation, Scaling
from ecs_teardown.core.model import ACTIVE, ServiceSnapshot
from ecs_teardown.core.ports import CallOutcome, CallResult
from ecs_teardown.core.window import AnsweredError, InvocationWindow
from support.fake_ecs import ROLLOUT

SNAPSHOT = ServiceSnapshot(ACTIVE, desired=1, running=1, target_groups=("tg-a",))
FOUND = Preparation(Scaling(), suspended=True, delays=(("tg-a", 300),), lowered=(("tg-a", 5),), stop_timeout_s=20)
NO_TIME = "no time left in this invocation for another ECS call"
MayCall = Callable[[], bool]


class Gateway:
    throttles = 11

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.may_calls: list[MayCall] = []

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        self.calls.append(("stop_deployment", cluster, service, deployment_arn))
        return CallResult(CallOutcome.ACCEPTED, "stopping")

    def begin_teardown(self) -> None:
        self.calls.append(("begin_teardown",))

    def prepare(
        self,
        cluster: str,
        service: str,
        snapshot: ServiceSnapshot,
        fast_drain: FastDrain | None,
        may_call: MayCall | None = None,
    ) -> Preparation | None:
        self.calls.append(("prepare", cluster, service, snapshot, fast_drain))
        assert may_call is not None
        self.may_calls.append(may_call)
        return FOUND

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: MayCall | None = None
    ) -> list[str]:
        self.calls.append(("restore", cluster, service, preparation))
        assert may_call is not None
        self.may_calls.append(may_call)
        return ["auto scaling left suspended: AccessDenied"]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Asked:
    """A caller's own may_call: counts how often it was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer, self.asked = answer, 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.answer


def window(
    now: float = 0.0, answered: bool = False, answered_anywhere: bool = False
) -> tuple[InvocationWindow, Gateway, Asked, Clock]:
    gateway, ledger, clock = Gateway(), Asked(answered_anywhere), Clock(now)
    gate = InvocationWindow(gateway, clock, 100.0, 30.0, lambda: answered, ledger)  # type: ignore[arg-type]
    return gate, gateway, ledger, clock


@pytest.mark.parametrize("fast_drain", [None, FastDrain(5, frozenset({"web"}), {"tg-a": 300})], ids=["none", "5"])
def test_the_calls_reach_the_gateway_with_every_argument(fast_drain: FastDrain | None) -> None:
    gate, gateway, ledger, _ = window(now=70.0)  # the last moment a call fits
    assert gate.stop_deployment("prod", "web", ROLLOUT) == CallResult(CallOutcome.ACCEPTED, "stopping")
    assert gate.prepare("prod", "web", SNAPSHOT, fast_drain) is FOUND
    assert gate.restore("prod", "web", FOUND) == ["auto scaling left suspended: AccessDenied"]
    assert gateway.calls == [
        ("stop_deployment", "prod", "web", ROLLOUT),
        ("prepare", "prod", "web", SNAPSHOT, fast_drain),
        ("restore", "prod", "web", FOUND),
    ]
    assert ledger.asked == 2  # before each write; a restore puts back only what this teardown changed
    assert gate.throttles == 11


def test_a_teardown_begins_on_the_gateway_even_out_of_time_and_answered() -> None:
    gate, gateway, ledger, _ = window(now=99.0, answered=True, answered_anywhere=True)
    gate.begin_teardown()  # no call to AWS: nothing to hold back
    assert gateway.calls == [("begin_teardown",)]
    assert ledger.asked == 0


@pytest.mark.parametrize("call", ["prepare", "restore"])
def test_the_gateway_s_may_call_says_no_once_another_call_would_not_end_in_time(call: str) -> None:
    gate, gateway, _, clock = window(now=10.0)
    caller = Asked(True)
    if call == "prepare":
        gate.prepare("prod", "web", SNAPSHOT, None, caller)
    else:
        gate.restore("prod", "web", FOUND, caller)
    (may_call,) = gateway.may_calls
    assert may_call() is True and caller.asked == 1
    clock.now = 70.0
    assert may_call() is True and caller.asked == 2
    clock.now = 70.001
    assert may_call() is False
    assert caller.asked == 2  # out of time: the caller is not even asked


@pytest.mark.parametrize("call", ["prepare", "restore"])
def test_the_gateway_s_may_call_also_asks_the_caller(call: str) -> None:
    gate, gateway, _, _ = window(now=10.0)
    caller = Asked(False)
    if call == "prepare":
        gate.prepare("prod", "web", SNAPSHOT, None, caller)
        gate.prepare("prod", "api", SNAPSHOT, None)
    else:
        gate.restore("prod", "web", FOUND, caller)
        gate.restore("prod", "api", FOUND)
    told, untold = gateway.may_calls
    assert told() is False and caller.asked == 1
    assert untold() is True  # no caller's may_call: time alone decides


def test_out_of_time_a_stop_and_a_preparation_are_put_off_before_the_ledger_is_asked() -> None:
    gate, gateway, ledger, _ = window(now=70.5, answered_anywhere=True)
    assert gate.stop_deployment("prod", "web", ROLLOUT) == CallResult(CallOutcome.RETRY_LATER, NO_TIME)
    assert gate.prepare("prod", "web", SNAPSHOT, FastDrain(5)) is None
    assert gateway.calls == []
    assert ledger.asked == 0


def test_out_of_time_a_restore_is_still_handed_over_with_a_may_call_that_says_no() -> None:
    gate, gateway, _, _ = window(now=70.5)
    assert gate.restore("prod", "web", FOUND) == ["auto scaling left suspended: AccessDenied"]
    (may_call,) = gateway.may_calls
    assert may_call() is False


def test_once_another_invocation_answered_no_stop_and_no_preparation_go_out() -> None:
    gate, gateway, _, _ = window(answered_anywhere=True)
    for write in (
        lambda: gate.stop_deployment("prod", "web", ROLLOUT),
        lambda: gate.prepare("prod", "web", SNAPSHOT, FastDrain(5)),
    ):
        with pytest.raises(AnsweredError) as caught:
            write()
        assert str(caught.value) == "another invocation answered this request"
    assert gateway.calls == []


def test_once_this_invocation_answered_no_stop_and_no_preparation_go_out() -> None:
    gate, gateway, ledger, _ = window(answered=True)
    for write in (
        lambda: gate.stop_deployment("prod", "web", ROLLOUT),
        lambda: gate.prepare("prod", "web", SNAPSHOT, FastDrain(5)),
    ):
        with pytest.raises(AnsweredError) as caught:
            write()
        assert str(caught.value) == "the request was answered while the teardown ran (the invocation's timer)"
    assert gateway.calls == []
    assert ledger.asked == 0


def test_without_a_ledger_writes_go_out() -> None:
    gateway = Gateway()
    gate = InvocationWindow(gateway, lambda: 0.0, 100.0, 30.0, lambda: False)  # type: ignore[arg-type]
    assert gate.stop_deployment("prod", "web", ROLLOUT).outcome is CallOutcome.ACCEPTED
    assert gate.prepare("prod", "web", SNAPSHOT, None) is FOUND
    assert [call[0] for call in gateway.calls] == ["stop_deployment", "prepare"]


def test_once_the_timer_answered_a_preparation_under_way_makes_no_further_call() -> None:
    answered = [False]
    gateway, ledger, clock = Gateway(), Asked(False), Clock(0.0)
    gate = InvocationWindow(gateway, clock, 100.0, 30.0, lambda: answered[0], ledger)  # type: ignore[arg-type]
    assert gate.prepare("prod", "web", SNAPSHOT, FastDrain(5)) is FOUND
    assert gate.restore("prod", "web", FOUND) == ["auto scaling left suspended: AccessDenied"]
    prepare_may, restore_may = gateway.may_calls
    assert prepare_may() and restore_may()
    answered[0] = True  # the invocation's timer answered while the preparation's calls went on
    assert not prepare_may() and not restore_may()
