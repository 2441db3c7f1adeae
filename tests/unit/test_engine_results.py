"""What a teardown reports, word for word: a step's flat fields (a JSON log line), each service's description and
the Reason of a FAILED answer (summarize)."""

from __future__ import annotations

from ecs_teardown.core.engine import ServiceResult, Step, TeardownResult, summarize
from ecs_teardown.core.machine import Kind, Outcome, Phase
from ecs_teardown.core.model import ACTIVE, MISSING, ServiceRef, ServiceSnapshot

WEB, API, JOB = ServiceRef("prod", "web"), ServiceRef("prod", "api"), ServiceRef("prod", "job")
READING = ServiceSnapshot(ACTIVE, desired=0, running=2, pending=1)


def test_a_step_as_flat_fields() -> None:
    step = Step(WEB, Phase.DRAINING_TASKS, Kind.WAIT, "desired 0, running 2, pending 1", READING, 12.345)
    assert step.fields() == {
        "cluster": "prod",
        "service": "web",
        "phase": "draining-tasks",
        "action": "wait",
        "result": None,
        "force": False,
        "status": "ACTIVE",
        "desired": 0,
        "running": 2,
        "pending": 1,
        "elapsed_s": 12.3,
        "why": "desired 0, running 2, pending 1",
    }


def test_a_step_without_a_reading_and_with_a_call() -> None:
    step = Step(API, Phase.DELETING, Kind.DELETE, "ForceDelete is always", None, 0.06, force=True, result="accepted")
    assert step.fields() == {
        "cluster": "prod",
        "service": "api",
        "phase": "deleting",
        "action": "delete",
        "result": "accepted",
        "force": True,
        "status": None,
        "desired": None,
        "running": None,
        "pending": None,
        "elapsed_s": 0.1,
        "why": "ForceDelete is always",
    }


def result(outcome: Outcome, phase: Phase, why: str, snapshot: ServiceSnapshot | None, ref: ServiceRef = WEB):
    return ServiceResult(ref, outcome, phase, why, snapshot, forced=False)


def test_a_service_is_described_with_its_phase_why_and_counts() -> None:
    assert result(Outcome.FAILED, Phase.FAILED, "access denied", READING).describe() == (
        "web (failed: access denied; desired 0, running 2, pending 1)"
    )
    assert result(Outcome.DONE, Phase.GONE, "cluster not found", ServiceSnapshot(MISSING)).describe() == (
        "web (gone: cluster not found)"
    )
    assert result(Outcome.UNFINISHED, Phase.OBSERVING, "no reading", None).describe() == "web (observing: no reading)"


def teardown(*services: ServiceResult, elapsed_s: float = 1234.4) -> TeardownResult:
    return TeardownResult(services=services, elapsed_s=elapsed_s, rounds=9, throttles=0)


def test_the_reason_names_failed_then_unfinished_services() -> None:
    failed = result(Outcome.FAILED, Phase.FAILED, "ECS refused", READING, WEB)
    draining = result(Outcome.UNFINISHED, Phase.DRAINING_TASKS, "desired 0, running 2, pending 1", READING, API)
    done = result(Outcome.DONE, Phase.GONE, "INACTIVE", ServiceSnapshot("INACTIVE"), JOB)
    outcome = teardown(failed, draining, done)
    assert summarize(outcome, budget_ran_out=True) == (
        "1 of 3 service(s) failed: web (failed: ECS refused; desired 0, running 2, pending 1). "
        "1 of 3 service(s) still in progress when the time budget ran out after 1234 s: "
        "api (draining-tasks: desired 0, running 2, pending 1; desired 0, running 2, pending 1)"
    )
    assert summarize(teardown(draining, done, elapsed_s=59.6), budget_ran_out=False) == (
        "1 of 2 service(s) not finished after 60 s: "
        "api (draining-tasks: desired 0, running 2, pending 1; desired 0, running 2, pending 1)"
    )
    assert summarize(teardown(failed, failed), budget_ran_out=False) == (
        "2 of 2 service(s) failed: web (failed: ECS refused; desired 0, running 2, pending 1); "
        "web (failed: ECS refused; desired 0, running 2, pending 1)"
    )
    assert summarize(teardown(done), budget_ran_out=True) == ""
    waiting = result(Outcome.UNFINISHED, Phase.OBSERVING, "no reading", None, JOB)
    assert summarize(teardown(draining, waiting, elapsed_s=10.0), budget_ran_out=True) == (
        "2 of 2 service(s) still in progress when the time budget ran out after 10 s: "
        "api (draining-tasks: desired 0, running 2, pending 1; desired 0, running 2, pending 1); "
        "job (observing: no reading)"
    )


def test_a_teardown_result_counts() -> None:
    forced = ServiceResult(WEB, Outcome.DONE, Phase.GONE, "INACTIVE", None, forced=True)
    plain = ServiceResult(API, Outcome.DONE, Phase.GONE, "INACTIVE", None, forced=False)
    failed = ServiceResult(JOB, Outcome.FAILED, Phase.FAILED, "x", None, forced=True)
    assert teardown(forced, plain).all_done is True
    assert teardown(forced, failed).all_done is False
    assert teardown(forced, plain, failed).forced_deletes == 2
    assert teardown(forced, plain, failed).with_outcome(Outcome.DONE) == [forced, plain]
    assert teardown(forced, plain, failed).with_outcome(Outcome.UNFINISHED) == []
