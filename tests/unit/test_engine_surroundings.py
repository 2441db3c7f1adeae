"""run_teardown and restore_kept around what issue 13 added, on a scripted gateway and a fake clock, asserted
exactly: when each reading comes (the drain timeout `auto` finds, a drain carried from an earlier invocation, a
change with no end in sight), which steps are reported and with what result, the preparation before the first write
(and one put off for lack of time), writes held back for a round after ECS throttled one, a rollout's stop, the
round bound, and what a kept service gets back. tests/unit/test_engine.py has the ordinary paths."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from ecs_teardown.core import engine
from ecs_teardown.core.drain import FastDrain, Preparation, Scaling
from ecs_teardown.core.engine import (
    ServiceResult,
    Step,
    TeardownResult,
    drain_window,
    in_drain_window,
    run_teardown,
)
from ecs_teardown.core.machine import Kind, Outcome, Phase, Progress, ServiceState, Settings
from ecs_teardown.core.model import ACTIVE, DRAINING, INACTIVE, ForceMode, ServiceRef, ServiceSnapshot, TeardownRequest
from ecs_teardown.core.ports import CallOutcome, CallResult, EcsCallError
from ecs_teardown.core.restore import kept_and_changed, restore_kept
from support.fake_ecs import ROLLOUT

CLUSTER = "prod"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
WEB = ServiceRef(CLUSTER, "web")
# The delay of the service's target group could not be read: no drain window is known (its tasks may be held for up
# to an hour), and `auto` counts the delay as ELB's 300 s default: 300 + 10 + 60 = 370 s.
UNREAD = Preparation(stop_timeout_s=10, unread=(TG,))
UNREAD_WHY = "no auto scaling; targetgroup/web/0123456789abcdef deregistration delay not read (counted as 300 s); "
PLAIN = Preparation(stop_timeout_s=10)
ACCEPTED = CallResult(CallOutcome.ACCEPTED)


class Clock:
    def __init__(self, now: float = 0.0, frozen: bool = False) -> None:
        self.now, self.frozen = now, frozen
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, f"sleep({seconds})"
        self.sleeps.append(seconds)
        if not self.frozen:
            self.now += seconds


@dataclass
class Service:
    """One service as ECS shows it: an accepted scale-down sets desired 0, an accepted delete makes it DRAINING and
    then INACTIVE `inactive_s` later; its tasks are whatever `tasks` says at the time. While it has a rollout in
    progress, DeleteService says "deployments are active"; an accepted StopServiceDeployment ends the rollout
    `rollback_s` later."""

    desired: int = 0
    tasks: Callable[[float], int] = lambda now: 0
    status: str = ACTIVE
    target_groups: tuple[str, ...] = ()
    rollout: str = ""
    rollback_s: float = 0.0
    rollback_at: float | None = None  # when StopServiceDeployment was accepted
    inactive_s: float = 5.0
    deleted_at: float | None = None
    unread_in: set[int] = field(default_factory=set)  # numbers (1-based) of the describes that leave it out

    def reading(self, now: float) -> ServiceSnapshot:
        if self.deleted_at is not None:
            return ServiceSnapshot(INACTIVE if now >= self.deleted_at + self.inactive_s else DRAINING)
        return ServiceSnapshot(
            self.status,
            desired=self.desired,
            running=self.tasks(now),
            target_groups=self.target_groups,
            rollout=self.rollout if self.rolling(now) else "",
        )

    def rolling(self, now: float) -> bool:
        return bool(self.rollout) and (self.rollback_at is None or now < self.rollback_at + self.rollback_s)


@dataclass
class Script:
    clock: Clock
    services: dict[str, Service]
    answers: dict[tuple[str, str], list[CallResult]] = field(default_factory=dict)  # in turn, the last repeated
    preparations: list[Preparation | None] = field(default_factory=lambda: [UNREAD])  # likewise
    throttles: int = 0
    describes: list[float] = field(default_factory=list)
    calls: list[tuple[object, ...]] = field(default_factory=list)  # (time, operation, arguments...)
    fast_drains: list[FastDrain | None] = field(default_factory=list)  # each preparation's, whole
    begun: int = 0  # begin_teardown calls

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        assert cluster == CLUSTER
        self.describes.append(self.clock.now)
        number = len(self.describes)
        return {
            name: self.services[name].reading(self.clock.now)
            for name in names
            if number not in self.services[name].unread_in
        }

    def _answer(self, operation: str, service: str) -> CallResult:
        queue = self.answers.get((operation, service), [ACCEPTED])
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        self.calls.append((self.clock.now, "scale", cluster, service))
        answer = self._answer("scale", service)
        if answer.outcome is CallOutcome.ACCEPTED:
            self.services[service].desired = 0
        return answer

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        self.calls.append((self.clock.now, "delete", cluster, service, force))
        fake = self.services[service]
        if fake.rolling(self.clock.now) and not force:
            return CallResult(CallOutcome.DEPLOYMENTS_ACTIVE, "The service cannot be stopped while deployments...")
        answer = self._answer("delete", service)
        if answer.outcome is CallOutcome.ACCEPTED:
            fake.deleted_at = self.clock.now
        return answer

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        self.calls.append((self.clock.now, "stop_deployment", cluster, service, deployment_arn))
        fake = self.services[service]
        fake.rollback_at = self.clock.now if fake.rollback_at is None else fake.rollback_at
        return ACCEPTED

    def begin_teardown(self) -> None:
        self.begun += 1

    def prepare(
        self, cluster: str, service: str, snapshot: ServiceSnapshot, fast_drain: FastDrain | None
    ) -> Preparation | None:
        self.fast_drains.append(fast_drain)
        self.calls.append((self.clock.now, "prepare", cluster, service, fast_drain.seconds if fast_drain else None))
        queue = self.preparations
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def restore(self, cluster: str, service: str, preparation: Preparation) -> list[str]:
        raise AssertionError("the engine never restores: restore_kept does, after it")


def run(
    script: Script,
    *names: str,
    started_at: float = 0.0,
    deadline: float = 3600.0,
    drain_timeout_s: int | None = 3600,
    lower_to: int | None = None,
    **carried: dict,  # type: ignore[type-arg]
) -> tuple[TeardownResult, list[Step]]:
    steps: list[Step] = []
    refs = tuple(ServiceRef(CLUSTER, n) for n in names)
    request = TeardownRequest(CLUSTER, refs, drain_timeout_s=drain_timeout_s, deregistration_delay_s=lower_to)
    result = run_teardown(
        request,
        script,
        started_at=started_at,
        deadline=deadline,
        clock=script.clock,
        sleep=script.clock.sleep,
        on_step=steps.append,
        **carried,
    )
    return result, steps


def stepped(steps: list[Step]) -> list[tuple[float, Phase, Kind, str, str]]:
    return [(s.elapsed_s, s.phase, s.kind, s.why, s.result) for s in steps]


def test_a_drain_carried_from_an_earlier_invocation_times_out_on_time() -> None:
    """The teardown began at 1000, its scale-down was accepted at 1500 (an earlier invocation), this invocation
    starts at 1600: the 300 s drain timeout ends at 1800, and a reading comes exactly then."""
    clock = Clock(now=1600.0)
    script = Script(clock, {"web": Service(tasks=lambda now: 2, target_groups=(TG,)), "old": Service(status=INACTIVE)})

    result, _ = run(
        script, "web", "old", started_at=1000.0, deadline=5000.0, drain_timeout_s=300, drain_started={"web": 1500.0}
    )

    assert script.describes == [1600.0, 1608.0, 1624.0, 1654.0, 1684.0, 1714.0, 1744.0, 1774.0, 1800.0, 1802.5, 1805.0]
    assert script.calls == [(1600.0, "prepare", CLUSTER, "web", None), (1800.0, "delete", CLUSTER, "web", True)]
    assert [(s.service.name, s.outcome, s.phase, s.forced) for s in result.services] == [
        ("web", Outcome.DONE, Phase.GONE, True),
        ("old", Outcome.DONE, Phase.GONE, False),
    ]
    assert result.drain_started == {"web": 1500.0}  # carried on; the service never scaled down has none
    assert result.preparations == {"web": UNREAD}
    assert result.elapsed_s == 805.0
    assert result.rounds == 11


def test_the_drain_timeout_auto_finds_is_the_moment_the_delete_is_forced() -> None:
    clock = Clock(now=50.0)
    script = Script(clock, {"web": Service(desired=2, tasks=lambda now: 2, target_groups=(TG,))})

    result, steps = run(script, "web", started_at=50.0, drain_timeout_s=None)

    assert script.calls == [
        (50.0, "prepare", CLUSTER, "web", None),
        (50.0, "scale", CLUSTER, "web"),
        (420.0, "delete", CLUSTER, "web", True),  # 50 + 370 s, not a poll later
    ]
    reading = ServiceSnapshot(ACTIVE, desired=2, running=2, target_groups=(TG,))
    assert steps[0] == Step(
        WEB, Phase.PREPARING, Kind.PREPARE, f"{UNREAD_WHY}stop timeout 10 s; drain timeout 370 s", reading, 0.0
    )
    assert stepped(steps)[1:3] == [
        (0.0, Phase.SCALING_DOWN, Kind.SCALE_TO_ZERO, "desired 2", "accepted"),
        (2.5, Phase.DRAINING_TASKS, Kind.WAIT, "desired 0, running 2, pending 0", ""),
    ]
    assert result.drain_started == {"web": 50.0}
    assert result.all_done


def test_a_service_waiting_for_inactive_is_polled_quickly_and_not_woken_by_its_drain_timeout() -> None:
    clock = Clock()
    script = Script(clock, {"web": Service(inactive_s=40.0)}, preparations=[PLAIN])

    result, _ = run(script, "web", drain_timeout_s=37)

    assert script.describes == [2.5 * k for k in range(17)]  # 0 to 40 s: never at 37 s
    assert result.all_done


def test_a_reading_that_changes_with_no_end_in_sight_settles_then_grows() -> None:
    """Tasks draining one by one behind a target group whose delay was not read: a change is looked at again after
    settle_s (8 s), then the interval doubles up to 30 s; an unchanged reading reports no step."""
    clock = Clock()
    script = Script(clock, {"web": Service(tasks=lambda now: 3 if now < 20 else 1, target_groups=(TG,))})

    result, steps = run(script, "web", deadline=100.0)

    assert script.describes == [0.0, 8.0, 24.0, 32.0, 48.0, 78.0, 100.0]
    three = ServiceSnapshot(ACTIVE, running=3, target_groups=(TG,))
    one = ServiceSnapshot(ACTIVE, running=1, target_groups=(TG,))
    assert steps == [
        Step(WEB, Phase.PREPARING, Kind.PREPARE, f"{UNREAD_WHY}stop timeout 10 s; drain timeout 3600 s", three, 0.0),
        Step(WEB, Phase.DRAINING_TASKS, Kind.WAIT, "desired 0, running 3, pending 0", three, 0.0),
        Step(WEB, Phase.DRAINING_TASKS, Kind.WAIT, "desired 0, running 1, pending 0", one, 24.0),
    ]
    assert result.services[0] == ServiceResult(
        WEB, Outcome.UNFINISHED, Phase.DRAINING_TASKS, "desired 0, running 1, pending 0", one, False
    )


def test_a_delete_to_retry_later_is_reported_each_time_and_an_accepted_one_is_followed_quickly() -> None:
    clock = Clock()
    busy = CallResult(CallOutcome.RETRY_LATER, "The service is busy")
    script = Script(
        clock, {"web": Service()}, answers={("delete", "web"): [busy, busy, ACCEPTED]}, preparations=[PLAIN]
    )

    result, steps = run(script, "web")

    assert script.describes == [0.0, 8.0, 16.0, 18.5, 21.0]
    retry = "drained: no tasks left; will retry: The service is busy"
    assert stepped(steps) == [
        (0.0, Phase.PREPARING, Kind.PREPARE, "no auto scaling; stop timeout 10 s; drain timeout 3600 s", ""),
        (0.0, Phase.DELETING, Kind.DELETE, retry, "retry-later"),
        (8.0, Phase.DELETING, Kind.DELETE, retry, "retry-later"),
        (16.0, Phase.DRAINING, Kind.DELETE, "drained: no tasks left", "accepted"),
        (18.5, Phase.DRAINING, Kind.WAIT, "DRAINING: waiting for INACTIVE", ""),
        (21.0, Phase.GONE, Kind.DONE, "INACTIVE", ""),
    ]
    assert result.all_done


def test_after_ecs_throttles_a_write_the_round_s_other_writes_wait_for_the_next_round() -> None:
    clock = Clock()
    throttled = CallResult(CallOutcome.RETRY_LATER, "Rate exceeded", throttled=True)
    script = Script(
        clock,
        {"a": Service(desired=2, tasks=lambda now: 2), "b": Service(desired=2, tasks=lambda now: 2)},
        answers={("scale", "a"): [throttled, ACCEPTED]},
    )

    result, steps = run(script, "a", "b", deadline=9.0, preparations={"a": PLAIN, "b": PLAIN})

    assert script.calls == [(0.0, "scale", CLUSTER, "a"), (8.0, "scale", CLUSTER, "a"), (8.0, "scale", CLUSTER, "b")]
    assert script.describes == [0.0, 8.0, 9.0]  # a throttled call is no end in sight: settle_s, not a quick poll
    assert [(s.service.name, *step) for s, step in zip(steps, stepped(steps), strict=True)] == [
        ("a", 0.0, Phase.SCALING_DOWN, Kind.SCALE_TO_ZERO, "desired 2; will retry: Rate exceeded", "retry-later"),
        ("a", 8.0, Phase.SCALING_DOWN, Kind.SCALE_TO_ZERO, "desired 2", "accepted"),
        ("b", 8.0, Phase.SCALING_DOWN, Kind.SCALE_TO_ZERO, "desired 2", "accepted"),
        ("a", 9.0, Phase.DRAINING_TASKS, Kind.WAIT, "desired 0, running 2, pending 0", ""),
        ("b", 9.0, Phase.DRAINING_TASKS, Kind.WAIT, "desired 0, running 2, pending 0", ""),
    ]
    assert result.drain_started == {"a": 8.0, "b": 8.0}


def test_a_service_left_out_of_one_reading_does_not_hold_back_the_others() -> None:
    clock = Clock()
    busy = CallResult(CallOutcome.RETRY_LATER, "The service is busy")
    script = Script(
        clock,
        {"a": Service(tasks=lambda now: 2, unread_in={2}), "b": Service()},
        answers={("delete", "b"): [busy, ACCEPTED]},
        preparations=[PLAIN],
    )

    result, _ = run(script, "a", "b", deadline=30.0)

    deletes = [call for call in script.calls if call[1] == "delete"]
    assert deletes == [(0.0, "delete", CLUSTER, "b", False), (script.describes[1], "delete", CLUSTER, "b", False)]
    assert result.services[1].outcome is Outcome.DONE


def test_a_preparation_put_off_for_lack_of_time_waits_where_it_was() -> None:
    clock = Clock()
    script = Script(clock, {"web": Service(desired=2, tasks=lambda now: 2)}, preparations=[None, PLAIN])
    reading = ServiceSnapshot(ACTIVE, desired=2, running=2)
    why = "no time left in this invocation to prepare"

    result, steps = run(script, "web", deadline=0.0)

    assert steps == [Step(WEB, Phase.OBSERVING, Kind.WAIT, why, reading, 0.0)]
    assert result.services == (ServiceResult(WEB, Outcome.UNFINISHED, Phase.OBSERVING, why, reading, False),)
    assert result.preparations == {}
    assert script.calls == [(0.0, "prepare", CLUSTER, "web", None)]


def test_a_preparation_put_off_is_tried_again_in_the_next_round() -> None:
    clock = Clock()
    script = Script(clock, {"web": Service(desired=2, tasks=lambda now: 2)}, preparations=[None, PLAIN])

    result, _ = run(script, "web", deadline=9.0, lower_to=5)

    assert script.calls == [
        (0.0, "prepare", CLUSTER, "web", 5),
        (8.0, "prepare", CLUSTER, "web", 5),
        (8.0, "scale", CLUSTER, "web"),
    ]
    assert result.preparations == {"web": PLAIN}


def test_each_preparation_is_told_the_request_s_services_and_the_groups_it_lowered_so_far() -> None:
    """web's preparation lowers the group (found at 300 s) that api shares: api's preparation is told so, with the
    delay found before, so that it records that one rather than the 5 s it will read."""
    clock = Clock()
    shared = {"web": Service(desired=1, target_groups=(TG,)), "api": Service(desired=1, target_groups=(TG,))}
    lowered = Preparation(delays=((TG, 300),), lowered=((TG, 5),), stop_timeout_s=10)
    script = Script(clock, shared, preparations=[lowered, lowered])

    run(script, "web", "api", deadline=0.0, lower_to=5)

    both = frozenset({"web", "api"})
    assert script.fast_drains == [FastDrain(5, both, {}), FastDrain(5, both, {TG: 300})]
    assert script.begun == 1


def test_a_rollout_that_blocks_the_delete_is_stopped_by_its_arn_after_a_minute() -> None:
    clock = Clock()
    script = Script(clock, {"web": Service(rollout=ROLLOUT)}, preparations=[PLAIN])

    result, _ = run(script, "web")

    assert [call for call in script.calls if call[1] == "stop_deployment"] == [
        (60.0, "stop_deployment", CLUSTER, "web", ROLLOUT)
    ]  # a poll wakes for it, a minute after the first refusal, between the patient ones every 8 s
    assert [call[0] for call in script.calls if call[1] == "delete"] == [8.0 * k for k in range(8)] + [62.5]
    assert result.all_done and result.services[0].forced is False


def test_a_rollout_blocking_the_delete_across_hand_overs_is_stopped_once_a_minute_after_the_first_refusal() -> None:
    """DeleteService refused ("deployments are active") from 0 s; the first invocation ends at 40 s and hands over:
    the second, from 41 s, stops the rollout a minute after the first refusal (60 s, a poll wakes for it; not a
    minute after the second began), and ends at 70 s while the rollback runs (30 s). The third, from 71 s, tries the
    delete again without a second StopServiceDeployment, until the rollback is over and the delete goes through."""
    clock = Clock()
    script = Script(clock, {"web": Service(rollout=ROLLOUT, rollback_s=30.0)}, preparations=[PLAIN])

    first, _ = run(script, "web", deadline=40.0)
    assert (first.blocked_since, first.rollout_stop_requested) == ({"web": 0.0}, frozenset())
    clock.now += 1.0
    second, _ = run(script, "web", deadline=70.0, **carried_on(first))
    assert (second.blocked_since, second.rollout_stop_requested) == ({"web": 0.0}, frozenset({"web"}))
    clock.now += 1.0
    third, steps = run(script, "web", **carried_on(second))

    assert [call for call in script.calls if call[1] == "stop_deployment"] == [
        (60.0, "stop_deployment", CLUSTER, "web", ROLLOUT)
    ]
    deletes = [(call[0], call[4]) for call in script.calls if call[1] == "delete"]
    assert deletes == [(at, False) for at in (0, 8, 16, 24, 32, 40, 41, 49, 57, 62.5, 70, 71, 79, 87, 95)]
    assert stepped(steps)[0] == (
        71.0,
        Phase.DELETING,
        Kind.DELETE,
        "DeleteService refused for 71 s: deployments are active; trying again; will retry: "
        "The service cannot be stopped while deployments...",
        "deployments-active",
    )
    assert third.all_done and third.services[0].forced is False
    assert (third.blocked_since, third.rollout_stop_requested) == ({"web": 0.0}, frozenset({"web"}))


def carried_on(result: TeardownResult) -> dict:  # type: ignore[type-arg]
    """What a hand-over carries from one invocation's result to the next's run_teardown."""
    return {
        "drain_started": result.drain_started,
        "preparations": result.preparations,
        "blocked_since": result.blocked_since,
        "rollout_stop_requested": result.rollout_stop_requested,
    }


def test_the_rounds_are_bounded_even_if_the_clock_never_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MAX_ROUNDS", 4)
    clock = Clock(frozen=True)
    script = Script(clock, {"web": Service(tasks=lambda now: 2)})

    result, _ = run(script, "web")

    assert result.rounds == 4
    assert len(script.describes) == 4
    assert result.services[0].outcome is Outcome.UNFINISHED


def test_a_describe_that_fails_fails_every_open_service() -> None:
    clock = Clock()

    class Broken(Script):
        def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
            raise EcsCallError(cluster, "", "DescribeServices", "AccessDeniedException: no")

    result, _ = run(Broken(clock, {"web": Service()}), "web")

    why = "DescribeServices of cluster 'prod' failed: AccessDeniedException: no"
    assert result.services == (ServiceResult(WEB, Outcome.FAILED, Phase.FAILED, why, None, False),)


def test_the_drain_window_includes_its_last_moment() -> None:
    preparation = Preparation(delays=((TG, 60),), stop_timeout_s=30)
    reading = ServiceSnapshot(ACTIVE, running=2, target_groups=(TG,))
    state = ServiceState(WEB, Progress(preparation=preparation), reading, Phase.DRAINING_TASKS, drain_started_at=100.0)
    opens, closes = drain_window(state, 0.0)  # type: ignore[misc]
    assert (opens, closes) == (160.0, 200.0)
    assert [in_drain_window(state, 0.0, now) for now in (159.9, 160.0, 200.0, 200.1)] == [False, True, True, False]


# ---------------------------------------------------------------------------------------------------------------
# restore_kept
# ---------------------------------------------------------------------------------------------------------------

SUSPENDED = Preparation(Scaling(), suspended=True)
LOWERED = Preparation(delays=((TG, 300),), lowered=((TG, 5),))
FOUND_SUSPENDED = Preparation(Scaling(True, True, True))  # nothing changed: it was suspended already


class Restorer:
    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        self.restored: list[tuple[str, str, Preparation, object]] = []

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: Callable[[], bool] | None = None
    ) -> list[str]:
        self.restored.append((cluster, service, preparation, may_call))
        return list(self.problems.get(service, []))


def kept(
    name: str, outcome: Outcome = Outcome.UNFINISHED, phase: Phase = Phase.DRAINING_TASKS, cluster: str = CLUSTER
) -> ServiceResult:
    return ServiceResult(ServiceRef(cluster, name), outcome, phase, "", None, False)


def test_each_kept_service_gets_back_what_was_changed_around_it_and_every_problem_is_told() -> None:
    services = (
        kept("deleted", Outcome.DONE, Phase.GONE),
        kept("accepted", Outcome.DONE, Phase.DELETE_ACCEPTED),
        kept("on-its-way", Outcome.UNFINISHED, Phase.DRAINING),  # its delete was accepted: it goes anyway
        kept("untouched"),
        kept("unprepared"),
        kept("web", Outcome.FAILED, Phase.FAILED, cluster="other"),
        kept("api", Outcome.UNFINISHED, Phase.SCALING_DOWN),
        kept("job", Outcome.UNFINISHED, Phase.DELETING),
    )
    changed = {name: SUSPENDED for name in ("deleted", "accepted", "on-its-way", "web", "job")}
    preparations = {**changed, "untouched": FOUND_SUSPENDED, "api": LOWERED}
    result = TeardownResult(services, elapsed_s=1.0, rounds=1, throttles=0, preparations=preparations)
    assert kept_and_changed(result) == [
        (ServiceRef("other", "web"), SUSPENDED),
        (ServiceRef(CLUSTER, "api"), LOWERED),
        (ServiceRef(CLUSTER, "job"), SUSPENDED),
    ]
    gateway = Restorer({"web": ["auto scaling left suspended"], "job": ["delay left at 5 s", "one more"]})

    def fits() -> bool:
        return True

    problems = restore_kept(result, gateway, fits)  # type: ignore[arg-type]

    assert gateway.restored == [
        ("other", "web", SUSPENDED, fits),
        (CLUSTER, "api", LOWERED, fits),
        (CLUSTER, "job", SUSPENDED, fits),
    ]
    assert problems == ["auto scaling left suspended", "delay left at 5 s", "one more"]


def test_restore_kept_fits_by_default() -> None:
    result = TeardownResult((kept("web"),), 1.0, 1, 0, preparations={"web": SUSPENDED})
    gateway = Restorer({})
    assert restore_kept(result, gateway) == []  # type: ignore[arg-type]
    ((cluster, name, preparation, may_call),) = gateway.restored
    assert (cluster, name, preparation) == (CLUSTER, "web", SUSPENDED)
    assert callable(may_call) and may_call() is True  # type: ignore[operator]


# ---------------------------------------------------------------------------------------------------------------
# A drain this teardown began (its delays lowered first) and one it found under way (the delays as found)
# ---------------------------------------------------------------------------------------------------------------

# The target group's delay was read (300 s) and lowered to 5 s; the stop timeout is 10 s.
LOWERED_TO_5 = Preparation(delays=((TG, 300),), lowered=((TG, 5),), stop_timeout_s=10)


def test_a_drain_the_teardown_began_counts_on_the_lowered_delay() -> None:
    """Scaled down at 0: its window is 5 s to 25 s, and `auto` forces the delete at 5 + 10 + 60 = 75 s."""
    clock = Clock()
    script = Script(
        clock,
        {"web": Service(desired=2, tasks=lambda now: 2, target_groups=(TG,))},
        preparations=[LOWERED_TO_5],
    )

    result, _ = run(script, "web", drain_timeout_s=None, deadline=76.0)

    window = [5.0 + 2.5 * k for k in range(9)]  # 5 s to 25 s
    assert script.describes == [0.0, 2.5, *window, 27.5, 32.5, 42.5, 62.5, 75.0, 76.0]
    assert script.calls[1:] == [(0.0, "scale", CLUSTER, "web"), (75.0, "delete", CLUSTER, "web", True)]
    assert result.drain_started == {"web": 0.0}


def test_a_drain_found_under_way_counts_on_the_delay_as_found() -> None:
    """Found at desired 0: the lowering may not shorten a deregistration already under way, so its window is 300 s
    to 320 s, and `auto` forces the delete at 300 + 10 + 60 = 370 s."""
    clock = Clock()
    script = Script(clock, {"web": Service(tasks=lambda now: 2, target_groups=(TG,))}, preparations=[LOWERED_TO_5])

    result, _ = run(script, "web", drain_timeout_s=None, deadline=371.0)

    patient = [0.0, 8.0, 24.0, *(54.0 + 30.0 * k for k in range(9))]  # ... 294 s
    quick = [300.0 + 2.5 * k for k in range(9)]  # the window: 300 s to 320 s
    assert script.describes == [*patient, *quick, 322.5, 327.5, 337.5, 357.5, 370.0, 371.0]
    assert script.calls == [(0.0, "prepare", CLUSTER, "web", None), (370.0, "delete", CLUSTER, "web", True)]
    assert result.drain_started == {}


def test_the_engine_wakes_at_the_earliest_moment_due_among_drains_and_blocked_deletes() -> None:
    """A drain timeout, and a minute and two after a delete was first blocked (the rollout's stop, then force or
    FAILED); a service already done counts for nothing."""
    settings = Settings(drain_timeout_s=300.0, force=ForceMode.AUTO, wait_for_inactive=True)
    states = {
        "gone": ServiceState(ServiceRef(CLUSTER, "gone"), phase=Phase.GONE, outcome=Outcome.DONE),
        "web": ServiceState(WEB, phase=Phase.DRAINING_TASKS, drain_started_at=100.0),  # its timeout: 400 s
        "api": ServiceState(ServiceRef(CLUSTER, "api"), Progress(blocked_since=50.0), phase=Phase.DELETING),
    }

    def next_moment(now: float) -> float:
        return engine._next_drain_moment(states, 0.0, settings, now)

    assert [next_moment(now) for now in (60.0, 110.0, 170.0, 400.0)] == [110.0, 170.0, 400.0, math.inf]
