"""The preparation's calls, one by one (aws/surroundings.py against the wired fakes): every call cleared with
`may_call` first, reads before writes, and what was already changed recorded when the time runs out."""

from __future__ import annotations

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.core.drain import FastDrain
from support.fake_aws import FakeAws


def world() -> tuple[FakeAws, EcsGateway]:
    aws = FakeAws()
    aws.add_lb_service("web", tasks=2, deregistration_delay_s=(300, 120), stop_timeout_s=20)
    aws.autoscaling.add_target("demo", "web", 1, 4)
    return aws, EcsGateway(aws.ecs)  # type: ignore[arg-type]


def writes(aws: FakeAws) -> list[str]:
    return [op for _, op, _ in aws.calls() if op in ("RegisterScalableTarget", "ModifyTargetGroupAttributes")]


def test_reads_come_before_writes_and_all_of_it_is_recorded():
    aws, gateway = world()
    snapshot = gateway.describe("demo", ["web"])["web"]
    preparation = gateway.prepare("demo", "web", snapshot, FastDrain(5))
    assert preparation is not None and preparation.notes == ()
    operations = [op for _, op, _ in aws.calls() if op != "DescribeServices"]
    first_write = operations.index("RegisterScalableTarget")
    assert set(operations[:first_write]) == {
        "DescribeTaskDefinition",
        "DescribeScalableTargets",
        "DescribeTargetGroupAttributes",
    }
    assert writes(aws) == ["RegisterScalableTarget", "ModifyTargetGroupAttributes", "ModifyTargetGroupAttributes"]
    assert preparation.suspended and [delay for _, delay in preparation.lowered] == [5, 5]
    assert preparation.stop_timeout_s == 20 and preparation.auto_drain_timeout_s() == 5 + 20 + 60


def test_no_time_before_the_first_write_means_nothing_done_and_a_later_round_prepares():
    aws, gateway = world()
    snapshot = gateway.describe("demo", ["web"])["web"]
    allowed = iter([True] * 4)  # the four reads, then no more
    assert gateway.prepare("demo", "web", snapshot, FastDrain(5), may_call=lambda: next(allowed, False)) is None
    assert writes(aws) == []


def test_no_time_in_the_middle_of_the_writes_records_what_was_changed():
    aws, gateway = world()
    snapshot = gateway.describe("demo", ["web"])["web"]
    allowed = iter([True] * 6)  # the reads, the suspension, ListServices... and not the rest
    preparation = gateway.prepare("demo", "web", snapshot, FastDrain(5), may_call=lambda: next(allowed, False))
    assert preparation is not None and preparation.suspended
    assert len(preparation.lowered) == len(writes(aws)) - 1  # each lowering done is one recorded
    assert any(note.startswith("no time left to lower") for note in preparation.notes)


def test_a_restore_without_time_says_what_was_left():
    aws, gateway = world()
    snapshot = gateway.describe("demo", ["web"])["web"]
    preparation = gateway.prepare("demo", "web", snapshot, FastDrain(5))
    assert preparation is not None
    problems = gateway.restore("demo", "web", preparation, may_call=lambda: False)
    assert problems[0] == "no time left to put back the auto scaling of 'web'"
    assert [p.split(":")[0] for p in problems[1:]] == ["no time left", "no time left"]
    assert gateway.restore("demo", "web", preparation) == []
    assert {aws.elbv2.delay_of(arn) for arn in snapshot.target_groups} == {300, 120}
