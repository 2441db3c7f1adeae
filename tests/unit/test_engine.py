"""run_teardown against a tiny fake ECS gateway and a fake clock: minutes of draining in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from ecs_teardown.cfn.properties import parse_properties
from ecs_teardown.core.drain import WINDOW_SLACK_S, FastDrain, Preparation
from ecs_teardown.core.engine import (
    ServiceResult,
    Step,
    TeardownResult,
    drain_window,
    in_drain_window,
    run_teardown,
    summarize,
)
from ecs_teardown.core.machine import Kind, Outcome, Phase, Progress, ServiceState
from ecs_teardown.core.model import (
    ACTIVE,
    DAEMON,
    DRAINING,
    INACTIVE,
    MISSING,
    REPLICA,
    ServiceRef,
    ServiceSnapshot,
    TeardownRequest,
)
from ecs_teardown.core.polling import PollPolicy
from ecs_teardown.core.ports import CallOutcome, CallResult, EcsCallError

CLUSTER = "prod"


class FakeClock:
    def __init__(self, now: float = 0.0) -> None:
        self.now = now
        self.sleeps: list[tuple[float, float]] = []  # (time the sleep began, seconds)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, f"sleep({seconds})"
        self.sleeps.append((self.now, seconds))
        self.now += seconds


@dataclass
class FakeService:
    """One service's timeline, driven by the clock: tasks stop `stop_s` after the scale-down (never if None),
    and a deleted service turns INACTIVE `inactive_s` after DeleteService."""

    scheduling: str = REPLICA
    desired: int = 0
    running: int = 0
    pending: int = 0
    status: str = ACTIVE
    stop_s: float | None = 20.0
    inactive_s: float = 30.0
    scaled_at: float | None = None
    deleted_at: float | None = None

    def advance(self, now: float) -> None:
        if self.scaled_at is not None and self.stop_s is not None and now >= self.scaled_at + self.stop_s:
            self.running = self.pending = 0
        if self.deleted_at is not None:
            self.desired = self.running = self.pending = 0
            if now >= self.deleted_at + self.inactive_s:
                self.status = INACTIVE

    def snapshot(self) -> ServiceSnapshot:
        return ServiceSnapshot(
            self.status, self.scheduling, self.desired, self.running, self.pending, arn="arn:aws:ecs:::service/x"
        )


@dataclass
class FakeGateway:
    clock: FakeClock
    services: dict[str, FakeService]
    throttled_describes: set[int] = field(default_factory=set)  # numbers (1-based) of describe calls to throttle
    delete_errors: dict[str, EcsCallError] = field(default_factory=dict)
    throttles: int = 0
    describes: int = 0
    calls: list[tuple[str, str, bool, float]] = field(default_factory=list)  # (operation, service, force, time)
    prepared: list[str] = field(default_factory=list)
    begun: list[tuple[float, int]] = field(default_factory=list)  # (time, describes so far) of each begin_teardown
    restored: list[str] = field(default_factory=list)
    preparation: Preparation = field(default_factory=lambda: Preparation(stop_timeout_s=None))

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        assert cluster == CLUSTER
        self.describes += 1
        if self.describes in self.throttled_describes:
            self.throttles += 1
            return {}  # a throttled batch: nothing read this time
        found = {}
        for name in names:
            service = self.services.get(name)
            if service is None:
                found[name] = ServiceSnapshot(MISSING, missing_what="service")
                continue
            service.advance(self.clock())
            found[name] = service.snapshot()
        return found

    def begin_teardown(self) -> None:
        self.begun.append((self.clock(), self.describes))

    def prepare(
        self, cluster: str, service: str, snapshot: ServiceSnapshot, fast_drain: FastDrain | None
    ) -> Preparation:
        self.prepared.append(service)
        return self.preparation  # by default nothing found around it; `auto` falls back to 300 s

    def restore(self, cluster: str, service: str, preparation: Preparation) -> list[str]:
        self.restored.append(service)
        return []

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        self.calls.append(("stop_deployment", service, False, self.clock()))
        return CallResult(CallOutcome.ACCEPTED)

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        self.calls.append(("scale", service, False, self.clock()))
        fake = self.services[service]
        if fake.scheduling == DAEMON:
            return CallResult(
                CallOutcome.NEEDS_FORCE, "The daemon scheduling strategy does not support a desired count"
            )
        if fake.status != ACTIVE:
            return CallResult(CallOutcome.NOT_ACTIVE, "Service was not ACTIVE.")
        fake.desired, fake.scaled_at = 0, self.clock()
        return CallResult(CallOutcome.ACCEPTED)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        self.calls.append(("delete", service, force, self.clock()))
        if service in self.delete_errors:
            raise self.delete_errors[service]
        fake = self.services[service]
        if fake.status != ACTIVE:
            return CallResult(CallOutcome.NOT_ACTIVE, "Service was not ACTIVE.")
        fake.status, fake.deleted_at = DRAINING, self.clock()
        return CallResult(CallOutcome.ACCEPTED)

    def operations(self) -> list[tuple[str, str, bool]]:
        return [call[:3] for call in self.calls]


def teardown(
    gateway: FakeGateway,
    request: TeardownRequest,
    *,
    deadline: float = 3600.0,
    started_at: float = 0.0,
) -> tuple[TeardownResult, list[Step]]:
    steps: list[Step] = []
    result = run_teardown(
        request,
        gateway,
        started_at=started_at,
        deadline=deadline,
        clock=gateway.clock,
        sleep=gateway.clock.sleep,
        on_step=steps.append,
    )
    return result, steps


def request(*names: str, **properties: str) -> TeardownRequest:
    if len(names) == 1:
        return parse_properties({"Service": names[0], "Cluster": CLUSTER, **properties})
    return parse_properties({"Services": list(names), "Cluster": CLUSTER, **properties})


def is_subsequence(wanted: list[Phase], seen: list[Phase]) -> bool:
    it = iter(seen)
    return all(phase in it for phase in wanted)


# ---------------------------------------------------------------------------------------------------------------
# The happy paths
# ---------------------------------------------------------------------------------------------------------------


def test_single_service_scale_drain_delete_gone() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=2, running=2, stop_s=20, inactive_s=30)})

    result, steps = teardown(gateway, request("web"))

    assert result.all_done
    (web,) = result.services
    assert (web.outcome, web.phase, web.forced) == (Outcome.DONE, Phase.GONE, False)
    assert gateway.operations() == [("scale", "web", False), ("delete", "web", False)]
    scaled_at, deleted_at = gateway.calls[0][3], gateway.calls[1][3]
    assert deleted_at >= scaled_at + 20  # deleted only once drained
    assert is_subsequence(
        [Phase.SCALING_DOWN, Phase.DRAINING_TASKS, Phase.DRAINING, Phase.GONE], [s.phase for s in steps]
    )
    assert [s.kind for s in steps if s.kind is not Kind.WAIT] == [
        Kind.PREPARE,  # read what surrounds it first, then scale down in the same round
        Kind.SCALE_TO_ZERO,
        Kind.DELETE,
        Kind.DONE,
    ]
    assert steps[0].elapsed_s == steps[1].elapsed_s
    assert gateway.prepared == ["web"]
    assert gateway.begun == [(0.0, 0)]  # once, before its first call: an earlier teardown's learning is dropped
    # the answer follows INACTIVE within seconds (imminent polling), not a 15 s slow poll later
    inactive_at = deleted_at + 30
    assert inactive_at <= clock.now <= inactive_at + 2.0 + 1e-9
    assert result.elapsed_s == pytest.approx(clock.now)
    assert result.forced_deletes == 0
    assert result.throttles == 0
    assert summarize(result, budget_ran_out=False) == ""


def test_steps_carry_service_elapsed_and_call_results() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=1, running=1, stop_s=5, inactive_s=5)})
    _, steps = teardown(gateway, request("web"))
    assert all(step.service == ServiceRef(CLUSTER, "web") for step in steps)
    assert [s.elapsed_s for s in steps] == sorted(s.elapsed_s for s in steps)
    acted = [s for s in steps if s.kind in (Kind.SCALE_TO_ZERO, Kind.DELETE)]
    assert [s.result for s in acted] == ["accepted", "accepted"]


def test_several_services_in_one_describe_each_round() -> None:
    clock = FakeClock()
    names = [f"svc-{i}" for i in range(12)]
    gateway = FakeGateway(clock, {name: FakeService(desired=1, running=1, stop_s=i) for i, name in enumerate(names)})
    result, _ = teardown(gateway, request(*names))
    assert result.all_done
    assert sorted(op for op in gateway.operations() if op[0] == "delete") == sorted(
        ("delete", name, False) for name in names
    )
    assert result.rounds == gateway.describes  # one (batched) describe per round


def test_daemon_is_deleted_without_a_scale_down() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"agent": FakeService(scheduling=DAEMON, desired=3, running=3)})
    result, steps = teardown(gateway, request("agent"))
    assert result.all_done
    assert gateway.operations() == [("delete", "agent", False)]
    assert Phase.SCALING_DOWN not in [s.phase for s in steps]
    assert result.forced_deletes == 0


def test_already_gone_service_touches_nothing() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"old": FakeService(status=INACTIVE)})
    result, _ = teardown(gateway, request("old", "missing"))
    assert result.all_done
    assert gateway.calls == []
    assert clock.sleeps == []
    assert result.rounds == 1


def test_wait_for_inactive_false_ends_once_delete_is_accepted() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(inactive_s=10_000)})
    result, _ = teardown(gateway, request("web", WaitForInactive="false"), deadline=600)
    assert result.all_done
    assert result.services[0].phase is Phase.DELETE_ACCEPTED
    assert clock.now < 60
    describes = gateway.describes
    assert gateway.calls[-1][0] == "delete" and gateway.calls[-1][3] == clock.now, "done at the delete, not later"
    assert result.rounds == describes, "no reading after the accepted delete"


# ---------------------------------------------------------------------------------------------------------------
# The drain window: when the tasks should stop, polled quickly; patient before it
# ---------------------------------------------------------------------------------------------------------------

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"


def draining_tasks(preparation: Preparation | None, target_groups: tuple[str, ...] = (TG,)) -> ServiceState:
    snapshot = ServiceSnapshot(ACTIVE, running=2, target_groups=target_groups)
    progress = Progress(preparation=preparation)
    return ServiceState(ServiceRef(CLUSTER, "web"), progress, snapshot, Phase.DRAINING_TASKS, drain_started_at=1000.0)


def test_the_drain_window_is_known_only_where_every_target_groups_delay_was_read() -> None:
    read = Preparation(delays=((TG, 60),), stop_timeout_s=30)
    assert drain_window(draining_tasks(read), 0.0) == (1060.0, 1060.0 + 30 + WINDOW_SLACK_S)
    assert in_drain_window(draining_tasks(read), 0.0, 1061.0)
    assert not in_drain_window(draining_tasks(read), 0.0, 1059.0)
    # the target group's delay could not be read: its tasks may be held up to an hour, no window is guessed
    unread = Preparation(stop_timeout_s=30)
    assert drain_window(draining_tasks(unread), 0.0) is None
    assert not in_drain_window(draining_tasks(unread), 0.0, 1001.0)
    # no load balancer: the tasks stop within their stop timeout of the scale-down
    assert drain_window(draining_tasks(unread, target_groups=()), 0.0) == (1000.0, 1000.0 + 30 + WINDOW_SLACK_S)
    # not prepared, or no longer draining tasks
    assert drain_window(draining_tasks(None), 0.0) is None
    assert drain_window(replace(draining_tasks(read), phase=Phase.DRAINING), 0.0) is None


def test_the_poll_wakes_when_the_drain_window_opens_and_deletes_within_a_quick_poll() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=2, running=2, stop_s=117.0, inactive_s=20)})
    gateway.preparation = Preparation(delays=(("tg", 100),), stop_timeout_s=30)

    result, _ = teardown(gateway, request("web"))

    assert result.all_done
    readings = [began + seconds for began, seconds in clock.sleeps]
    assert 100.0 in readings  # woken when the window opened, not a slow interval later
    policy = PollPolicy()
    before = [b - a for a, b in zip([0.0, *readings], readings, strict=False) if b <= 100.0]
    assert max(before) <= policy.slow_cap_s  # patient before the window
    deleted_at = next(at for op, _, _, at in gateway.calls if op == "delete")
    assert 117.0 <= deleted_at <= 117.0 + policy.imminent_cap_s  # quick inside it


# ---------------------------------------------------------------------------------------------------------------
# Drain timeout and ForceDelete
# ---------------------------------------------------------------------------------------------------------------


def test_drain_timeout_forces_the_delete_in_auto() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=2, running=2, stop_s=None)})
    result, steps = teardown(gateway, request("web", DrainTimeoutSeconds="60"))
    assert result.all_done
    assert gateway.operations() == [("scale", "web", False), ("delete", "web", True)]
    forced_at = gateway.calls[1][3]
    assert 60 <= forced_at <= 60 + 15 + 1e-9
    assert result.forced_deletes == 1
    assert result.services[0].forced is True
    forced_step = next(s for s in steps if s.kind is Kind.DELETE)
    assert forced_step.force and "drain timeout" in forced_step.why


def test_drain_timeout_fails_in_never() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=2, running=2, stop_s=None)})
    result, _ = teardown(gateway, request("web", DrainTimeoutSeconds="60", ForceDelete="never"))
    (web,) = result.services
    assert (web.outcome, web.phase) == (Outcome.FAILED, Phase.FAILED)
    assert "never" in web.why and "drain timeout" in web.why
    assert [op for op in gateway.operations() if op[0] == "delete"] == []
    assert 60 <= clock.now <= 60 + 15 + 1e-9  # it stopped at once, not at the deadline
    assert "web" in summarize(result, budget_ran_out=False)


def test_always_deletes_with_force_at_once() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=2, running=2)})
    result, _ = teardown(gateway, request("web", ForceDelete="always"))
    assert result.all_done
    assert gateway.operations() == [("delete", "web", True)]
    assert gateway.calls[0][3] == 0.0
    assert result.forced_deletes == 1


def test_drain_timeout_counts_from_started_at_of_an_earlier_invocation() -> None:
    clock = FakeClock(now=1000.0)
    gateway = FakeGateway(clock, {"web": FakeService(desired=0, running=2, stop_s=None)})
    result, _ = teardown(gateway, request("web", DrainTimeoutSeconds="300"), started_at=0.0, deadline=3600.0)
    assert result.all_done
    assert gateway.calls[0][:3] == ("delete", "web", True)
    assert gateway.calls[0][3] == 1000.0  # forced in the first round: the drain began 1000 s ago
    assert result.elapsed_s >= 1000.0


def test_daemon_refusal_of_scale_down_leads_to_forced_delete() -> None:
    """A DAEMON service whose scheduling ECS did not report: the refused scale-down makes force required."""
    clock = FakeClock()
    fake = FakeService(scheduling=DAEMON, desired=2, running=2)
    gateway = FakeGateway(clock, {"agent": fake})
    original = fake.snapshot

    def looks_like_replica() -> ServiceSnapshot:
        snap = original()
        return ServiceSnapshot(snap.status, REPLICA, snap.desired, snap.running, snap.pending)

    fake.snapshot = looks_like_replica  # type: ignore[method-assign]
    result, _ = teardown(gateway, request("agent"))
    assert result.all_done
    assert gateway.operations() == [("scale", "agent", False), ("delete", "agent", True)]


# ---------------------------------------------------------------------------------------------------------------
# Deadline, throttling, errors
# ---------------------------------------------------------------------------------------------------------------


def test_deadline_leaves_the_service_unfinished_with_its_phase() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=1, running=1, stop_s=5, inactive_s=10_000)})
    result, _ = teardown(gateway, request("web"), deadline=120.0)
    (web,) = result.services
    assert (web.outcome, web.phase) == (Outcome.UNFINISHED, Phase.DRAINING)
    assert not result.all_done
    assert clock.now == pytest.approx(120.0)
    assert web.snapshot is not None and web.snapshot.status == DRAINING
    text = summarize(result, budget_ran_out=True)
    assert "web (draining:" in text
    assert "still in progress when the time budget ran out" in text
    assert "desired 0, running 0, pending 0" in text


def test_deadline_while_tasks_drain() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=3, running=3, stop_s=None)})
    result, _ = teardown(gateway, request("web", DrainTimeoutSeconds="3600"), deadline=90.0)
    (web,) = result.services
    assert (web.outcome, web.phase) == (Outcome.UNFINISHED, Phase.DRAINING_TASKS)
    assert "running 3" in summarize(result, budget_ran_out=True)


@pytest.mark.parametrize("deadline", [0.5, 7.3, 33.3, 100.01, 250.0])
def test_the_loop_never_sleeps_past_the_deadline(deadline: float) -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=1, running=1, stop_s=None)})
    result, _ = teardown(gateway, request("web", DrainTimeoutSeconds="3600"), deadline=deadline)
    assert clock.sleeps, "it should have waited"
    for began, seconds in clock.sleeps:
        assert began + seconds <= deadline + 1e-9
    assert clock.now <= deadline + 1e-9
    assert clock.now == pytest.approx(deadline)  # it used the time it had
    assert result.services[0].outcome is Outcome.UNFINISHED


def test_deadline_already_passed_makes_one_round_and_no_sleep() -> None:
    clock = FakeClock(now=500.0)
    gateway = FakeGateway(clock, {"web": FakeService(desired=1, running=1)})
    result, _ = teardown(gateway, request("web"), deadline=100.0)
    assert result.rounds == 1
    assert clock.sleeps == []


def test_throttled_describe_for_a_few_rounds_then_recovery() -> None:
    clock = FakeClock()
    gateway = FakeGateway(
        clock, {"web": FakeService(desired=2, running=2, stop_s=10, inactive_s=10)}, throttled_describes={1, 2, 3}
    )
    result, steps = teardown(gateway, request("web"))
    assert result.all_done
    assert result.throttles == 3
    # nothing is done on a guess: the first action waits for the first reading (the 4th describe)
    assert [steps[0].kind, steps[1].kind] == [Kind.PREPARE, Kind.SCALE_TO_ZERO]
    assert steps[0].elapsed_s > 0
    assert gateway.calls[0][3] == pytest.approx(sum(d for _, d in clock.sleeps[:3]))
    # throttled rounds do not shorten the poll interval
    assert [d for _, d in clock.sleeps][:3] == sorted(d for _, d in clock.sleeps[:3])
    assert gateway.describes >= 4
    assert gateway.operations() == [("scale", "web", False), ("delete", "web", False)]


def test_throttling_in_the_middle_does_not_repeat_or_skip_actions() -> None:
    clock = FakeClock()
    gateway = FakeGateway(
        clock,
        {"web": FakeService(desired=2, running=2, stop_s=10, inactive_s=10)},
        throttled_describes={3, 4, 5, 6},
    )
    result, _ = teardown(gateway, request("web"))
    assert result.all_done
    assert result.throttles == 4
    assert gateway.operations() == [("scale", "web", False), ("delete", "web", False)]


def test_throttled_until_the_deadline_is_unfinished() -> None:
    clock = FakeClock()
    gateway = FakeGateway(clock, {"web": FakeService(desired=1)}, throttled_describes=set(range(1, 10_000)))
    result, _ = teardown(gateway, request("web"), deadline=60.0)
    (web,) = result.services
    assert (web.outcome, web.phase) == (Outcome.UNFINISHED, Phase.OBSERVING)
    assert gateway.calls == []
    assert result.throttles == gateway.describes
    assert "web (observing:" in summarize(result, budget_ran_out=True)


def test_ecs_error_from_delete_fails_that_service_only() -> None:
    clock = FakeClock()
    error = EcsCallError(CLUSTER, "bad", "DeleteService", "AccessDeniedException: not allowed")
    gateway = FakeGateway(
        clock, {"bad": FakeService(), "good": FakeService(inactive_s=5)}, delete_errors={"bad": error}
    )
    result, steps = teardown(gateway, request("bad", "good"))
    bad, good = result.services
    assert (bad.outcome, bad.phase) == (Outcome.FAILED, Phase.FAILED)
    assert "'bad'" in bad.why and "DeleteService" in bad.why and "AccessDenied" in bad.why
    assert good.outcome is Outcome.DONE
    assert [op for op in gateway.operations() if op[1] == "bad"] == [("delete", "bad", False)]  # not retried
    assert any(s.result == "error" for s in steps)
    text = summarize(result, budget_ran_out=False)
    assert "1 of 2 service(s) failed" in text
    assert "bad (failed:" in text
    assert "good" not in text


def test_ecs_error_from_describe_fails_every_open_service() -> None:
    clock = FakeClock()

    class Broken(FakeGateway):
        def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
            raise EcsCallError(cluster, "", "DescribeServices", "AccessDeniedException: no")

    gateway = Broken(clock, {"a": FakeService(), "b": FakeService()})
    result, _ = teardown(gateway, request("a", "b"))
    assert [s.outcome for s in result.services] == [Outcome.FAILED, Outcome.FAILED]
    assert all("DescribeServices" in s.why for s in result.services)
    assert gateway.calls == []


def test_delete_retry_later_is_retried() -> None:
    clock = FakeClock()

    class Busy(FakeGateway):
        refusals = 2

        def delete(self, cluster: str, service: str, force: bool) -> CallResult:
            if self.refusals:
                self.refusals -= 1
                self.calls.append(("delete", service, force, self.clock()))
                return CallResult(
                    CallOutcome.RETRY_LATER, "The service cannot be stopped while deployments are active."
                )
            return super().delete(cluster, service, force)

    gateway = Busy(clock, {"web": FakeService(inactive_s=5)})
    result, _ = teardown(gateway, request("web"))
    assert result.all_done
    assert gateway.operations() == [("delete", "web", False)] * 3


# ---------------------------------------------------------------------------------------------------------------
# summarize
# ---------------------------------------------------------------------------------------------------------------


def service_result(
    name: str, outcome: Outcome, phase: Phase, why: str, snapshot: ServiceSnapshot | None
) -> ServiceResult:
    return ServiceResult(ServiceRef(CLUSTER, name), outcome, phase, why, snapshot, forced=False)


def test_summarize_names_each_unfinished_service_with_phase_and_counts() -> None:
    result = TeardownResult(
        services=(
            service_result("gone", Outcome.DONE, Phase.GONE, "INACTIVE", ServiceSnapshot(INACTIVE)),
            service_result(
                "api",
                Outcome.UNFINISHED,
                Phase.DRAINING_TASKS,
                "desired 0",
                ServiceSnapshot(ACTIVE, running=2, pending=1),
            ),
            service_result("web", Outcome.UNFINISHED, Phase.DRAINING, "DRAINING: waiting", ServiceSnapshot(DRAINING)),
            service_result("new", Outcome.UNFINISHED, Phase.OBSERVING, "no reading of the service yet", None),
            service_result(
                "bad", Outcome.FAILED, Phase.FAILED, "DeleteService failed: denied", ServiceSnapshot(ACTIVE)
            ),
        ),
        elapsed_s=842.4,
        rounds=90,
        throttles=0,
    )
    text = summarize(result, budget_ran_out=True)
    assert (
        "1 of 5 service(s) failed: bad (failed: DeleteService failed: denied; desired 0, running 0, pending 0)" in text
    )
    assert "3 of 5 service(s) still in progress when the time budget ran out after 842 s" in text
    assert "api (draining-tasks: desired 0; desired 0, running 2, pending 1)" in text
    assert "web (draining: DRAINING: waiting; desired 0, running 0, pending 0)" in text
    assert "new (observing: no reading of the service yet)" in text
    assert "gone" not in text
    assert text.index("failed") < text.index("still in progress")


def test_summarize_without_budget_says_not_finished_and_omits_missing_counts() -> None:
    result = TeardownResult(
        services=(
            service_result("web", Outcome.UNFINISHED, Phase.OBSERVING, "x", ServiceSnapshot(MISSING, running=9)),
        ),
        elapsed_s=1.0,
        rounds=1,
        throttles=0,
    )
    text = summarize(result, budget_ran_out=False)
    assert text == "1 of 1 service(s) not finished after 1 s: web (observing: x)"


def test_summarize_all_done_is_empty() -> None:
    result = TeardownResult(
        services=(service_result("web", Outcome.DONE, Phase.GONE, "INACTIVE", ServiceSnapshot(INACTIVE)),),
        elapsed_s=1.0,
        rounds=1,
        throttles=0,
    )
    assert summarize(result, budget_ran_out=True) == ""
    assert result.all_done
    assert result.with_outcome(Outcome.DONE) == list(result.services)
