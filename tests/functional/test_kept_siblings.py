"""A target group shared by services of one request is lowered once (fast drain) when every service that uses it is
one the request tears down; whichever of them is kept gets it back, once, even one never prepared itself. A sibling
refused, replaced by a newer service or unreadable counts as any other user: the group is not lowered. The engine
and the handler with the fake ECS, Application Auto Scaling and ELBv2 on one clock (tests/support/fake_aws.py)."""

from __future__ import annotations

from typing import Any

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn.properties import parse_properties
from ecs_teardown.core.drain import Preparation
from ecs_teardown.core.engine import ServiceResult, TeardownResult, run_teardown
from ecs_teardown.core.machine import Outcome, Phase
from ecs_teardown.core.model import ACTIVE, ServiceRef, ServiceSnapshot
from ecs_teardown.core.restore import kept_and_changed, restore_kept
from support.driver import run_handler
from support.fake_aws import FakeAws, delays_set
from support.fake_ecs import FakeService


def tear_down(aws: FakeAws, *names: str, started_at: float | None = None) -> TeardownResult:
    request = parse_properties({"Cluster": "demo", "Services": list(names), "DeregistrationDelaySeconds": "5"})
    clock = aws.clock
    gateway = EcsGateway(aws.ecs)  # type: ignore[arg-type]  # the fake quacks like boto3's ECS client
    begun = clock() if started_at is None else started_at
    result = run_teardown(request, gateway, started_at=begun, deadline=clock() + 3000, clock=clock, sleep=clock.sleep)
    assert restore_kept(result, gateway) == []
    return result


def test_a_refused_sibling_counts_as_another_user_so_the_group_is_not_lowered(monkeypatch, answers, event_for):
    """web and api share a group; api is an ECS Express Mode service, refused and left untouched: it is no service
    the request tears down, so the group keeps its 300 s while api keeps serving behind it."""
    aws = FakeAws()
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=10, exit_offsets=(1.0,))
    (group,) = web.target_groups
    aws.add(FakeService("api", desired=1, target_groups=(group,), resource_management="ECS"))
    properties = {"Cluster": "demo", "Services": ["web", "api"], "DeregistrationDelaySeconds": "5"}

    answer = run_handler(monkeypatch, answers, event_for("delete.json", properties), aws.ecs).answer  # type: ignore[arg-type]

    assert answer["Status"] == "FAILED" and "Express" in answer["Reason"], answer["Reason"]
    assert web.status(aws.clock.now) in ("DRAINING", "INACTIVE")
    assert delays_set(aws, group) == [300]
    assert [kwargs["service"] for _, op, kwargs in aws.ecs.calls if op in ("UpdateService", "DeleteService")] == [
        "web",
        "web",
    ], "api was never written to"


def test_a_newer_service_that_took_a_requested_name_keeps_its_group_as_it_is():
    """api was created after the request (a late Delete): left alone, and so is the group it shares with web."""
    aws = FakeAws()
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    requested_at = aws.clock.now
    aws.clock.advance(100.0)
    aws.add(FakeService("api", desired=2, tasks=2, target_groups=(group,), containers=(("app", 10),)))

    result = tear_down(aws, "web", "api", started_at=requested_at)

    assert {s.service.name: s.phase for s in result.services} == {"web": Phase.GONE, "api": Phase.REPLACED}
    assert delays_set(aws, group) == [300]


def test_an_unreadable_sibling_counts_as_another_user_so_the_group_is_not_lowered():
    """ECS answers x without a usable runningCount: x is not torn down (a count is never taken as zero)."""
    aws = FakeAws()
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=10, exit_offsets=(1.0,))
    (group,) = web.target_groups
    aws.add(FakeService("x", desired=2, tasks=2, target_groups=(group,), containers=(("app", 10),)))
    real = aws.ecs.describe_services

    def x_without_a_running_count(**kwargs: Any) -> dict[str, Any]:
        answer = real(**kwargs)
        for service in answer.get("services", []):
            if service.get("serviceName") == "x":
                service["runningCount"] = None
        return answer

    aws.ecs.describe_services = x_without_a_running_count  # type: ignore[method-assign]

    result = tear_down(aws, "web", "x")

    assert {s.service.name: s.outcome for s in result.services} == {"web": Outcome.DONE, "x": Outcome.FAILED}
    assert delays_set(aws, group) == [300]


def test_a_kept_service_never_prepared_gets_back_the_group_a_deleted_sibling_lowered():
    """If api's preparation was put off (no time left) after web lowered the group they share, and web was deleted:
    api is kept, unprepared, and the restore puts the group back for it (its reading names the group)."""
    group = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
    api_reading = ServiceSnapshot(ACTIVE, desired=2, running=2, target_groups=(group,))
    services = (
        ServiceResult(ServiceRef("demo", "web"), Outcome.DONE, Phase.GONE, "deleted", None, False),
        ServiceResult(ServiceRef("demo", "api"), Outcome.FAILED, Phase.FAILED, "out of time", api_reading, False),
    )
    web = Preparation(delays=((group, 300),), lowered=((group, 5),))
    result = TeardownResult(services, elapsed_s=1.0, rounds=1, throttles=0, preparations={"web": web})

    put_back = Preparation(stop_timeout_s=None, delays=((group, 300),), lowered=((group, 5),))
    assert kept_and_changed(result) == [(ServiceRef("demo", "api"), put_back)]


def test_an_external_sibling_serving_from_a_task_set_counts_as_another_user():
    """ext (EXTERNAL) serves behind the group from a task set that is not PRIMARY, so the service's own
    loadBalancers are empty ("If no primary task set is defined ... the task set fields will be null", ECS
    developer guide, external deployments): the group is still seen as ext's, and kept."""
    aws = FakeAws()
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=10, exit_offsets=(1.0,))
    (group,) = web.target_groups
    aws.add(FakeService("ext", desired=2, tasks=2, target_groups=(group,), deployment_controller="EXTERNAL"))
    real = aws.ecs.describe_services

    def no_primary_task_set(**kwargs: Any) -> dict[str, Any]:
        answer = real(**kwargs)
        for service in answer["services"]:
            if service["serviceName"] == "ext":
                service["loadBalancers"] = []
                for task_set in service["taskSets"]:
                    task_set["status"] = "ACTIVE"
        return answer

    aws.ecs.describe_services = no_primary_task_set  # type: ignore[method-assign]

    result = tear_down(aws, "web", "ext")

    assert {s.service.name: s.outcome for s in result.services} == {"web": Outcome.DONE, "ext": Outcome.FAILED}
    assert delays_set(aws, group) == [300]


def newer_api_mid_teardown(aws: FakeAws, group: str, web_seen_after_readings: int | None) -> list[float]:
    """api (already scaled down, so deleted at once) shares `group` with web; once the old api is INACTIVE a
    pipeline creates a new api behind the same group. web is left out of the engine's first readings: the first
    `web_seen_after_readings`, or (None) until the newer api appears. Returns the engine's reading times."""
    aws.add(FakeService("api", desired=0, tasks=0, draining_s=1.0, target_groups=(group,), containers=(("app", 10),)))
    real, real_list = aws.ecs.describe_services, aws.ecs.list_services
    readings: list[float] = []
    listed: list[bool] = []
    replaced: list[bool] = []

    def list_services(**kwargs: Any) -> dict[str, Any]:
        listed.append(True)  # the fast drain reads the cluster's services: its next describe is theirs
        return real_list(**kwargs)

    def describe(**kwargs: Any) -> dict[str, Any]:
        if listed:
            listed.pop()
            return real(**kwargs)
        readings.append(aws.clock.now)
        if not replaced and aws.ecs.services[("demo", "api")].status(aws.clock.now) == "INACTIVE":
            del aws.ecs.services[("demo", "api")]
            aws.add(FakeService("api", desired=2, tasks=2, target_groups=(group,), containers=(("app", 10),)))
            replaced.append(True)
        answer = real(**kwargs)
        hidden = not replaced if web_seen_after_readings is None else len(readings) <= web_seen_after_readings
        if hidden:
            answer["services"] = [s for s in answer["services"] if s["serviceName"] != "web"]
        return answer

    aws.ecs.describe_services = describe  # type: ignore[method-assign]
    aws.ecs.list_services = list_services  # type: ignore[method-assign]
    return readings


def test_a_newer_service_that_takes_a_requested_name_mid_teardown_gets_the_group_back(monkeypatch, answers, event_for):
    """web's preparation lowers the group while api's delete is under way (api is the request's own then); the
    newer api comes after: the teardown succeeds, leaves the newer api alone (its scaling too) and puts the group's
    300 s back."""
    aws = FakeAws()
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=10, exit_offsets=(1.0,))
    (group,) = web.target_groups
    readings = newer_api_mid_teardown(aws, group, web_seen_after_readings=4)
    aws.autoscaling.add_target("demo", "api", 0, 4)  # suspended by the old api's preparation
    properties = {"Cluster": "demo", "Services": ["web", "api"], "DeregistrationDelaySeconds": "5"}

    answer = run_handler(monkeypatch, answers, event_for("delete.json", properties), aws.ecs).answer  # type: ignore[arg-type]

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert aws.ecs.services[("demo", "api")].status(aws.clock.now) == "ACTIVE", "the newer api is left alone"
    assert delays_set(aws, group) == [300, 5, 300]
    lowered_at = aws.elbv2.target_groups[group].history[1][0]
    assert lowered_at > readings[0], "lowered by web's preparation (api draining, its own), not api's (web unread)"
    registers = [kwargs for _, op, kwargs in aws.autoscaling.calls if op == "RegisterScalableTarget"]
    assert len(registers) == 1, "the old api's suspension is not 'restored' onto the newer api"


def test_a_requested_name_whose_reading_shows_a_newer_service_is_not_the_request_s_own():
    """web is first read in the very round that shows the newer api: api, prepared and deleted earlier, is done
    (REPLACED) by that reading, so it counts as any other user and the group is never lowered."""
    aws = FakeAws()
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=10, exit_offsets=(1.0,))
    (group,) = web.target_groups
    newer_api_mid_teardown(aws, group, web_seen_after_readings=None)

    result = tear_down(aws, "web", "api")

    assert {s.service.name: s.phase for s in result.services} == {"web": Phase.GONE, "api": Phase.REPLACED}
    assert delays_set(aws, group) == [300]
