"""A service re-created under the same name is never torn down by a late or repeated Delete of the old one.

Two facts make that so: a Delete's teardown starts when CloudFormation sent it (the ResponseURL's X-Amz-Date), and
ECS says when each service was created; a service newer than the request is not the one the request was about.
A delivery after the time budget touches nothing at all."""

from __future__ import annotations

import pytest

from ecs_teardown.cfn.answer import signed_at
from ecs_teardown.core.drain import Preparation
from ecs_teardown.core.machine import Kind, Phase, Progress, Settings, decide
from ecs_teardown.core.model import ForceMode, ServiceSnapshot
from support.fake_ecs import FakeClock, FakeEcs, FakeService
from support.handover import Lambda


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs(FakeClock())


def writes(ecs: FakeEcs, since: float) -> list[str]:
    return [op for when, op, _ in ecs.calls if when >= since and op != "DescribeServices"]


def test_a_hand_over_delivered_after_the_name_was_reused_leaves_the_new_service_alone(
    monkeypatch, answers, event_for, ecs
):
    ecs.add(FakeService("web", task_stop_s=60, draining_s=400))
    function = Lambda(monkeypatch, answers, ecs, timeout_s=120)
    function.invoke(event_for("delete.json"))
    assert function.hand_overs.pending, "a 7-minute teardown does not fit a 2-minute invocation"
    # Before the hand-over arrives, the old service finishes draining and someone creates a new one by that name.
    ecs.clock.advance(600)
    reused_at = ecs.clock.now
    new_web = ecs.add(FakeService("web", desired=3, tasks=3))
    function.deliver_next()
    while function.hand_overs.pending:
        function.deliver_next()
    assert function.bodies()[-1]["Status"] == "SUCCESS"
    assert writes(ecs, since=reused_at) == [], "no UpdateService or DeleteService on the new web"
    assert new_web.status(ecs.clock.now) == "ACTIVE" and new_web.desired_now() == 3


def test_a_repeated_delete_after_the_answer_leaves_a_new_service_alone(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", task_stop_s=10, draining_s=10))
    event = event_for("delete.json")
    event["ResponseURL"] = answers.url("signed", signed_at=ecs.clock.now)  # CloudFormation sent it now
    function = Lambda(monkeypatch, answers, ecs)
    function.invoke(event)
    assert function.bodies()[0]["Status"] == "SUCCESS"
    ecs.clock.advance(120)
    reused_at = ecs.clock.now
    new_web = ecs.add(FakeService("web", desired=2, tasks=2))
    function.invoke(event)  # Lambda delivers events at least once: the same Delete again
    assert [b["Status"] for b in function.bodies(wait_for=2)] == ["SUCCESS", "SUCCESS"]
    assert writes(ecs, since=reused_at) == []
    assert new_web.status(ecs.clock.now) == "ACTIVE"


def test_a_delivery_after_the_budget_touches_nothing(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Service": "web", "ServiceTimeout": "600"}
    ecs.add(FakeService("web"))
    event = event_for("delete.json", properties)
    event["ResponseURL"] = answers.url("late", signed_at=ecs.clock.now - 1800)  # sent half an hour ago
    function = Lambda(monkeypatch, answers, ecs)
    function.invoke(event)
    body = function.bodies()[0]
    assert body["Status"] == "FAILED" and "nothing was touched" in body["Reason"]
    assert [op for _, op, _ in ecs.calls] == ["DescribeServices"], "one look (is anything left?), no write"


@pytest.mark.parametrize("service_timeout", ["1", "2", "5"])
def test_a_late_delivery_with_nothing_left_succeeds_whatever_the_budget(
    monkeypatch, answers, event_for, ecs, service_timeout
):
    """A tiny ServiceTimeout is spent before any delivery begins; a Delete with nothing to do still succeeds."""
    event = event_for("delete.json", {"Cluster": "demo", "Service": "web", "ServiceTimeout": service_timeout})
    event["ResponseURL"] = answers.url("tiny", signed_at=ecs.clock.now - 3)  # web does not exist
    function = Lambda(monkeypatch, answers, ecs)
    function.invoke(event)
    assert function.bodies()[0]["Status"] == "SUCCESS"
    assert [op for _, op, _ in ecs.calls] == ["DescribeServices"]


def test_a_request_older_than_the_presigned_lifetime_touches_nothing_and_says_so(
    monkeypatch, answers, event_for, ecs, app_logs
):
    ecs.add(FakeService("web", desired=2, tasks=2))
    event = event_for("delete.json", {"Cluster": "demo", "Service": "web", "ServiceTimeout": "3600"})
    event["ResponseURL"] = answers.url("stale", signed_at=ecs.clock.now - 7300)
    function = Lambda(monkeypatch, answers, ecs)
    function.invoke(event)
    assert [op for _, op, _ in ecs.calls] == ["DescribeServices"]
    warnings = [r["message"] for r in app_logs.records() if r["level"] == "WARNING"]
    assert any("past the URL's 7200 s lifetime; nothing was touched" in m and "7300 s after" in m for m in warnings)


def test_the_budget_counts_from_when_cloudformation_sent_the_request(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Service": "web", "ServiceTimeout": "600"}
    sent = ecs.clock.now - 300  # Lambda's queue held the event for 5 minutes
    ecs.add(FakeService("web", task_stop_s=10, draining_s=5000, created_at=sent - 3600))
    event = event_for("delete.json", properties)
    event["ResponseURL"] = answers.url("queued", signed_at=sent)
    Lambda(monkeypatch, answers, ecs).invoke(event)
    body = answers.wait_for(1)[-1].body
    assert body["Status"] == "FAILED" and "time budget" in body["Reason"]
    assert ecs.clock.now - sent <= 600 - 60 + 1e-6, "answered before CloudFormation's own 600 s ran out"


SETTINGS = Settings(drain_timeout_s=300, force=ForceMode.AUTO, wait_for_inactive=True, not_after=1000.0)


@pytest.mark.parametrize(
    ("snapshot", "kind", "phase"),
    [
        (ServiceSnapshot("ACTIVE", desired=2, running=2, created_at=1000.5), Kind.DONE, Phase.REPLACED),
        (ServiceSnapshot("DRAINING", created_at=1001.0), Kind.DONE, Phase.REPLACED),
        (ServiceSnapshot("ACTIVE", desired=2, running=2, created_at=999.0), Kind.SCALE_TO_ZERO, Phase.SCALING_DOWN),
        (ServiceSnapshot("ACTIVE", desired=2, running=2, created_at=None), Kind.SCALE_TO_ZERO, Phase.SCALING_DOWN),
        (ServiceSnapshot("INACTIVE", created_at=2000.0), Kind.DONE, Phase.GONE),
    ],
)
def test_decide_leaves_services_newer_than_the_request(snapshot, kind, phase):
    action = decide(snapshot, Progress(preparation=Preparation()), 0.0, SETTINGS)
    assert (action.kind, action.phase) == (kind, phase)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.s3.amazonaws.com/p?X-Amz-Date=20270115T080000Z&X-Amz-Signature=ab", "signed"),
        ("https://x.s3.amazonaws.com/p?X-Amz-Signature=ab", None),
        ("https://x.s3.amazonaws.com/p?X-Amz-Date=garbage", None),
        ("https://x.s3.amazonaws.com/p?X-Amz-Date=20300101T000000Z", None),  # in the future
        # Older than the URL's lifetime: returned as it is, so that the caller sees the request is stale.
        ("https://x.s3.amazonaws.com/p?X-Amz-Date=20200101T000000Z", 1577836800.0),
        (None, None),
    ],
)
def test_signed_at(url, expected):
    import datetime

    now = datetime.datetime(2027, 1, 15, 8, 30, tzinfo=datetime.UTC).timestamp()
    if expected == "signed":  # the URL's own X-Amz-Date, 2027-01-15 08:00
        expected = datetime.datetime(2027, 1, 15, 8, 0, tzinfo=datetime.UTC).timestamp()
    assert signed_at(url, now) == expected


def test_no_hand_over_once_the_request_was_answered(monkeypatch, answers, event_for, ecs):
    """crhelper's last-moment timer may answer FAILED while the engine is stuck; a hand-over after that would
    answer the same request a second time."""
    from ecs_teardown.aws.ecs import EcsGateway
    from ecs_teardown.cfn.delete import delete
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown_tools.local import LocalContext

    ecs.add(FakeService("web", task_stop_s=60, draining_s=4000, created_at=ecs.clock.now - 10))
    handed: list[dict] = []
    runtime = Edges(ecs=lambda: EcsGateway(ecs), clock=ecs.clock, sleep=ecs.clock.sleep, hand_over=handed.append)

    class Answered:  # the timer answered before this invocation could decide
        def has_answered(self) -> bool:
            return True

        def answered_elsewhere(self) -> None:
            return None

        def claim_hand_over(self) -> bool:
            return False

        def hand_over_done(self, handed_over: bool) -> None:
            raise AssertionError("no hand-over was claimed")

    report = delete(event_for("delete.json"), LocalContext(timeout_s=120, clock=ecs.clock), runtime, gate=Answered())
    assert report.handed_over is False and handed == []
    assert ecs.calls == [], "no ECS call once the request was answered"
