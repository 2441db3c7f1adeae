"""The answer ledger: a request is answered once, by one invocation, however often Lambda runs it (a duplicate
delivery, a retry after a timeout, a hand-over queued after its Invoke timed out); an invocation that finds the
request answered touches nothing and answers nothing."""

from __future__ import annotations

import pytest

from support.driver import run_handler
from support.fake_ecs import FakeClock, FakeEcs, FakeService
from support.fake_ledger import FakeLedger


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs(FakeClock())


def writes(ecs: FakeEcs) -> list[str]:
    return [op for _, op, _ in ecs.calls if op != "DescribeServices"]


@pytest.mark.parametrize("status", ["FAILED", "SUCCESS"])
def test_a_delete_already_answered_touches_nothing_and_answers_nothing(monkeypatch, answers, event_for, ecs, status):
    ecs.add(FakeService("web", desired=2, tasks=2))
    ledger = FakeLedger()
    event = event_for("delete.json")
    ledger.answers[event["RequestId"]] = status  # e.g. the timer's FAILED before Lambda retried the event
    run_handler(monkeypatch, answers, event, ecs, ledger=ledger, expect_answer=False)
    assert ecs.calls == []


def test_a_duplicate_delivery_after_the_answer_does_nothing(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=10, draining_s=5))
    ledger = FakeLedger()
    event = event_for("delete.json")
    first = run_handler(monkeypatch, answers, event, ecs, ledger=ledger)
    assert first.answer["Status"] == "SUCCESS" and ledger.answers == {event["RequestId"]: "SUCCESS"}
    calls_before = len(ecs.calls)
    run_handler(monkeypatch, answers, event, ecs, ledger=ledger, expect_answer=False)
    assert len(ecs.calls) == calls_before, "the duplicate made no ECS call"


def test_a_duplicate_create_answers_once(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web"))
    ledger = FakeLedger()
    event = event_for("create.json")
    run_handler(monkeypatch, answers, event, ecs, ledger=ledger)
    run_handler(monkeypatch, answers, event, ecs, ledger=ledger, expect_answer=False)
    assert len(answers.answers) == 1


def test_a_broken_ledger_never_costs_the_answer(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=10, draining_s=5))
    ledger = FakeLedger()
    ledger.broken = True
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs, ledger=ledger)
    assert run.answer["Status"] == "SUCCESS"
    assert writes(ecs) == ["UpdateService", "DeleteService"]


def test_a_duplicate_running_alongside_stops_writing_once_the_other_answered(monkeypatch, answers, event_for, ecs):
    """Two deliveries at once: when the other one's answer is on record, this one makes no further write."""
    web = ecs.add(FakeService("web", desired=2, tasks=2, task_stop_s=30, draining_s=5))
    event = event_for("delete.json")
    other_answers_at = ecs.clock.now + 5

    class OtherAnswersSoon(FakeLedger):
        def answer_of(self, request_id: str) -> str:
            return "SUCCESS" if ecs.clock.now >= other_answers_at else ""

        def record_answer(self, request_id: str, status: str, expires_at: int) -> bool:
            return not self.answer_of(request_id)

    ledger = OtherAnswersSoon()
    run_handler(monkeypatch, answers, event, ecs, ledger=ledger, expect_answer=False)
    assert writes(ecs) == ["UpdateService"], "scaled down before the other answered; no delete after it"
    assert web.deleted_at is None
