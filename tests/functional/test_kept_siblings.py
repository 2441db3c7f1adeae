"""A target group shared by services of one request is lowered once (fast drain); whichever of them is kept gets it
back, even one that was never prepared itself. The handler with the fake ECS, Application Auto Scaling and ELBv2 on
one clock (tests/support/fake_aws.py)."""

from __future__ import annotations

from support.driver import run_handler
from support.fake_aws import FakeAws
from support.fake_ecs import FakeService


def delays_set(aws: FakeAws, group: str) -> list[int]:
    """Every deregistration delay the group had, in order (the first as it was made)."""
    return [delay for _, delay in aws.elbv2.target_groups[group].history]


def test_a_refused_service_keeps_the_delay_of_the_group_a_deleted_sibling_lowered(monkeypatch, answers, event_for):
    """web and api share a group that no other service uses, so web's preparation lowers it for the request. api is
    an ECS Express Mode service: refused and left untouched, never prepared. web is deleted; api keeps serving
    behind the group, which gets its 300 s back with the FAILED answer."""
    aws = FakeAws()
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=10, exit_offsets=(1.0,))
    (group,) = web.target_groups
    aws.add(FakeService("api", desired=1, target_groups=(group,), resource_management="ECS"))
    properties = {"Cluster": "demo", "Services": ["web", "api"], "DeregistrationDelaySeconds": "5"}

    answer = run_handler(monkeypatch, answers, event_for("delete.json", properties), aws.ecs).answer  # type: ignore[arg-type]

    assert answer["Status"] == "FAILED" and "Express" in answer["Reason"], answer["Reason"]
    assert "Not restored" not in answer["Reason"]
    assert web.status(aws.clock.now) in ("DRAINING", "INACTIVE")
    assert delays_set(aws, group) == [300, 5, 300]
    assert [kwargs["service"] for _, op, kwargs in aws.ecs.calls if op in ("UpdateService", "DeleteService")] == [
        "web",
        "web",
    ], "api was never written to"


def test_a_group_shared_by_two_kept_services_is_put_back_once(monkeypatch, answers, event_for):
    """Neither service's tasks stop within the drain timeout and ForceDelete is never: both are kept, and the
    group they share is put back with one call, not one per service."""
    aws = FakeAws()
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=120, exit_offsets=(110.0,))
    (group,) = web.target_groups
    aws.add(FakeService("api", desired=1, target_groups=(group,), containers=(("app", 120),), exit_offsets=(110.0,)))
    properties = {"Cluster": "demo", "Services": ["web", "api"], "DeregistrationDelaySeconds": "5"}
    event = event_for("delete.json", {**properties, "ForceDelete": "never", "DrainTimeoutSeconds": "60"})

    answer = run_handler(monkeypatch, answers, event, aws.ecs).answer  # type: ignore[arg-type]

    assert answer["Status"] == "FAILED" and "Not restored" not in answer["Reason"], answer["Reason"]
    assert delays_set(aws, group) == [300, 5, 300]
    assert aws.elbv2.count("ModifyTargetGroupAttributes") == 2, "lowered once, put back once"
