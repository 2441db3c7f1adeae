"""The handler against what surrounds real services (issue 13): auto scaling that fights a scale-down, target groups
whose deregistration delay holds the tasks, rollouts and CodeDeploy deployments that block the delete, Express Mode
and EXTERNAL services. Fake ECS, Application Auto Scaling and ELBv2 on one clock (tests/support/fake_aws.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.aws.surroundings import PREPARE_ATTEMPTS
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.properties import parse_properties
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.config import FAST_DRAIN_ENV
from ecs_teardown.core.drain import FastDrain
from ecs_teardown.core.engine import TeardownResult, run_teardown
from ecs_teardown.core.machine import DEPLOYMENT_WAIT_S
from ecs_teardown_tools.local import LocalContext
from support.driver import run_handler
from support.fake_aws import FakeAws, ScaleOutAlarm, delays_set
from support.fake_ecs import FakeService

ALL_SUSPENDED = {
    "DynamicScalingInSuspended": True,
    "DynamicScalingOutSuspended": True,
    "ScheduledScalingSuspended": True,
}
NONE_SUSPENDED = dict.fromkeys(ALL_SUSPENDED, False)


@pytest.fixture
def aws() -> FakeAws:
    return FakeAws()


def delete(monkeypatch: Any, answers: Any, event_for: Any, aws: FakeAws, **properties: Any) -> dict[str, Any]:
    event = event_for("delete.json", {"Cluster": "demo", "Service": "web", **properties})
    run = run_handler(monkeypatch, answers, event, aws.ecs)  # type: ignore[arg-type]
    return run.answer


def tear_down(aws: FakeAws, *names: str, **properties: str) -> TeardownResult:
    """The engine and the real gateway on the fakes, for one request naming `names` (the result shows the
    preparations)."""
    request = parse_properties({"Cluster": "demo", "Services": list(names), **properties})
    clock = aws.clock
    gateway = EcsGateway(aws.ecs)  # type: ignore[arg-type]  # the fake quacks like boto3's ECS client
    return run_teardown(request, gateway, started_at=clock(), deadline=clock() + 3000, clock=clock, sleep=clock.sleep)


def registers(aws: FakeAws) -> list[dict[str, Any]]:
    return [kwargs for _, op, kwargs in aws.autoscaling.calls if op == "RegisterScalableTarget"]


def suspended_state(aws: FakeAws) -> dict[str, bool]:
    answer = aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/demo/web"])
    return dict(answer["ScalableTargets"][0]["SuspendedState"])


def test_auto_scaling_is_suspended_before_the_scale_down_so_an_alarm_cannot_undo_it(
    monkeypatch, answers, event_for, aws
):
    web = aws.add_lb_service("web", tasks=3, deregistration_delay_s=60, stop_timeout_s=10)
    aws.autoscaling.add_target("demo", "web", 2, 6, alarms=(ScaleOutAlarm(after_s=20),))

    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert [call["SuspendedState"] for call in registers(aws)] == [ALL_SUSPENDED]  # one call, nothing restored
    assert set(registers(aws)[0]) == {"ServiceNamespace", "ResourceId", "ScalableDimension", "SuspendedState"}
    first_write = min(at for at, op, _ in aws.ecs.calls if op == "UpdateService")
    assert max(at for at, op, _ in aws.autoscaling.calls if op == "RegisterScalableTarget") <= first_write
    assert web.raised_to is None, "the alarm never raised the desired count"
    assert aws.ecs.count("UpdateService") == 1


def test_a_kept_service_gets_its_scaling_and_its_delay_back(monkeypatch, answers, event_for, aws):
    group = aws.elbv2.add_target_group("web", 300)
    aws.add(FakeService("web", desired=1, tasks=1, task_stop_s=1e9, target_groups=(group,)))
    aws.autoscaling.add_target("demo", "web", 0, 4)

    answer = delete(
        monkeypatch,
        answers,
        event_for,
        aws,
        ForceDelete="never",
        DrainTimeoutSeconds="2",
        DeregistrationDelaySeconds="5",
    )

    assert answer["Status"] == "FAILED"
    assert "ForceDelete is never" in answer["Reason"] and "Not restored" not in answer["Reason"]
    assert [call["SuspendedState"] for call in registers(aws)] == [ALL_SUSPENDED, NONE_SUSPENDED]
    assert suspended_state(aws) == NONE_SUSPENDED
    assert aws.elbv2.delay_of(group) == 300  # lowered to 5 for the drain, then put back
    assert [delay for _, delay in aws.elbv2.target_groups[group].history] == [300, 5, 300]


def test_fast_drain_tears_down_an_alb_service_at_the_default_delay_in_under_a_minute(
    monkeypatch, answers, event_for, aws
):
    aws.add_lb_service("web", tasks=3, deregistration_delay_s=300, stop_timeout_s=30)
    started = aws.clock.now

    answer = delete(monkeypatch, answers, event_for, aws, DeregistrationDelaySeconds="5")

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    took = aws.clock.now - started
    assert took < 60, took
    deletes = [kwargs for _, op, kwargs in aws.ecs.calls if op == "DeleteService"]
    assert [d.get("force", False) for d in deletes] == [False]


def test_without_fast_drain_the_same_service_waits_out_its_delay_and_auto_allows_for_it(
    monkeypatch, answers, event_for, aws
):
    aws.add_lb_service("web", tasks=3, deregistration_delay_s=300, stop_timeout_s=30)
    started = aws.clock.now

    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert aws.clock.now - started > 300
    # DrainTimeoutSeconds `auto` allowed 300 + 30 + 60 s: the 300 s delay did not force the delete
    assert [kwargs.get("force", False) for _, op, kwargs in aws.ecs.calls if op == "DeleteService"] == [False]


def test_a_target_group_another_service_uses_is_not_lowered(monkeypatch, answers, event_for, aws):
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    aws.add(FakeService("api", desired=2, tasks=2, target_groups=(group,)))

    answer = delete(monkeypatch, answers, event_for, aws, DeregistrationDelaySeconds="5")

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert [op for _, op, _ in aws.elbv2.calls if op == "ModifyTargetGroupAttributes"] == []
    assert aws.elbv2.delay_of(group) == 300


def deleted_just_before(aws: FakeAws, group: str) -> FakeService:
    """Someone else's service on `group`, deleted with force a moment ago: DRAINING, no longer in ListServices, its
    targets waiting out the group's 300 s delay."""
    old = aws.add(FakeService("old", desired=2, tasks=2, target_groups=(group,)))
    aws.ecs.delete_service(cluster="demo", service="old", force=True)
    assert old.status(aws.clock.now) == "DRAINING"
    assert old.arn not in aws.ecs.list_services(cluster="demo", maxResults=100)["serviceArns"]
    return old


def test_a_group_on_which_a_deleted_service_still_drains_is_not_lowered(monkeypatch, answers, event_for, aws):
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    deleted_just_before(aws, group)

    answer = delete(monkeypatch, answers, event_for, aws, DeregistrationDelaySeconds="5")

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert aws.elbv2.count("DescribeTargetHealth") == 1
    assert delays_set(aws, group) == [300], "never lowered under the other service's drain"
    # web's own tasks then waited out the 300 s too, and `auto` allowed for it: no force
    deletes = [kwargs for _, op, kwargs in aws.ecs.calls if op == "DeleteService" and kwargs["service"] == "web"]
    assert [kwargs.get("force", False) for kwargs in deletes] == [False]


def test_the_preparation_says_why_a_group_was_kept(aws):
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    deleted_just_before(aws, group)
    gateway = EcsGateway(aws.ecs)  # type: ignore[arg-type]

    preparation = gateway.prepare("demo", "web", gateway.describe("demo", ["web"])["web"], FastDrain(5))

    assert preparation is not None and preparation.lowered == () and preparation.delays == ((group, 300),)
    assert preparation.notes == (f"{group} kept: 2 of its targets are draining (a drain under way)",)
    assert preparation.auto_drain_timeout_s() == 300 + 10 + 60


def test_services_of_one_request_that_share_a_group_get_it_lowered_once(aws):
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    aws.add(FakeService("api", desired=2, tasks=2, target_groups=(group,), containers=(("app", 10),)))
    started = aws.clock.now

    result = tear_down(aws, "web", "api", DeregistrationDelaySeconds="5")

    assert result.all_done
    assert delays_set(aws, group) == [300, 5]
    for name in ("web", "api"):  # each records the delay as found before the request lowered it
        preparation = result.preparations[name]
        assert (preparation.delays, preparation.lowered, preparation.notes) == (((group, 300),), ((group, 5),), ())
    assert aws.clock.now - started < 60


@pytest.mark.parametrize("web_exits_after_s", [1.0, 110.0], ids=["web deleted", "web kept too"])
def test_a_kept_service_of_the_request_puts_back_the_delay_of_the_group_it_shares(
    monkeypatch, answers, event_for, aws, web_exits_after_s
):
    """web lowers the group; api, which shares it, outlasts the drain timeout and is kept: the restore puts back
    300 s, the delay found, not the 5 s api's own preparation read; once, whether web was deleted or kept too."""
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=120, exit_offsets=(web_exits_after_s,))
    (group,) = web.target_groups
    aws.add(FakeService("api", desired=1, target_groups=(group,), containers=(("app", 120),), exit_offsets=(110.0,)))
    properties = {"Cluster": "demo", "Services": ["web", "api"], "DeregistrationDelaySeconds": "5"}
    event = event_for("delete.json", {**properties, "ForceDelete": "never", "DrainTimeoutSeconds": "60"})

    answer = run_handler(monkeypatch, answers, event, aws.ecs).answer  # type: ignore[arg-type]

    assert answer["Status"] == "FAILED" and "api (failed" in answer["Reason"] and "Not restored" not in answer["Reason"]
    web_deleted = web.status(aws.clock.now) in ("DRAINING", "INACTIVE")
    assert web_deleted is (web_exits_after_s < 60)
    assert delays_set(aws, group) == [300, 5, 300]
    assert aws.elbv2.count("ModifyTargetGroupAttributes") == 2, "lowered once, put back once"


def test_a_group_the_request_lowered_is_not_refused_for_its_own_services_drain(aws):
    """api's preparation waits a round (its task definition read is throttled once); by then web is scaled down and
    its targets drain in the group web lowered: api records the lowering, and reads no target health."""
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    aws.add(FakeService("api", desired=2, tasks=2, target_groups=(group,), containers=(("app", 10),)))
    seen: list[list[str]] = []  # the group's target states at each read of api's task definition

    def api_busy_once(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation == "DescribeTaskDefinition" and "/api:" in kwargs["taskDefinition"]:
            seen.append([t["TargetHealth"]["State"] for t in aws.elbv2.targets_of(group)])
            if len(seen) == 1:
                return aws.ecs._error("ThrottlingException", "Rate exceeded", operation)
        return None

    aws.ecs.fault = api_busy_once
    result = tear_down(aws, "web", "api", DeregistrationDelaySeconds="5")

    assert result.all_done and len(seen) == 2
    assert "draining" in seen[1], "web's targets were draining when api was prepared"
    assert delays_set(aws, group) == [300, 5] and aws.elbv2.count("DescribeTargetHealth") == 1
    api = result.preparations["api"]
    assert (api.delays, api.lowered, api.notes) == (((group, 300),), ((group, 5),), ())


@pytest.mark.parametrize(
    ("code", "failures", "scaling", "reads", "delays", "note"),
    [
        # nothing written yet: it waits for a later round, like the other reads, then lowers
        ("Throttling", 1, False, 2, [300, 5], None),
        # ... at most PREPARE_ATTEMPTS rounds, then it goes on without: the group is kept
        ("Throttling", 9, False, 3, [300], "kept: its targets not read: Throttling: Rate exceeded"),
        # the suspension was written: waiting would lose that record, so the group is kept
        ("Throttling", 1, True, 1, [300], "kept: its targets not read: Throttling: Rate exceeded"),
        # a refusal is no reason to wait
        ("AccessDenied", 9, False, 1, [300], "kept: its targets not read: AccessDenied: not authorized"),
    ],
    ids=["throttled-once", "throttled-always", "throttled-after-a-write", "denied"],
)
def test_a_target_health_read_that_fails_keeps_the_group_or_waits(
    aws, code: str, failures: int, scaling: bool, reads: int, delays: list[int], note: str | None
):
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    if scaling:
        aws.autoscaling.add_target("demo", "web", 1, 4)
    left = iter(range(failures))

    def fails(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation == "DescribeTargetHealth" and next(left, None) is not None:
            message = "Rate exceeded" if code == "Throttling" else "not authorized"
            return aws.elbv2._error(code, message, operation)
        return None

    aws.elbv2.fault = fails
    result = tear_down(aws, "web", DeregistrationDelaySeconds="5")

    assert result.all_done
    assert aws.elbv2.count("DescribeTargetHealth") == reads and delays_set(aws, group) == delays
    notes = result.preparations["web"].notes
    assert notes == (() if note is None else (f"{group} {note}",))


def prepared_then_restored_then_shared(aws: FakeAws) -> tuple[EcsGateway, str]:
    """web's preparation lowers its group (the cluster's services read once), its restore puts it back; then api,
    a service created since, uses the same group."""
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=10)
    (group,) = web.target_groups
    gateway = EcsGateway(aws.ecs)  # type: ignore[arg-type]
    first = gateway.prepare("demo", "web", gateway.describe("demo", ["web"])["web"], FastDrain(5))
    assert first is not None and first.lowered == ((group, 5),)
    assert gateway.restore("demo", "web", first) == [] and aws.elbv2.delay_of(group) == 300
    aws.add(FakeService("api", desired=2, tasks=2, target_groups=(group,)))
    return gateway, group


def test_a_cluster_s_services_are_read_again_a_minute_later_within_one_teardown(aws, monkeypatch):
    """The preparations of one teardown may come minutes apart: a lowering rests on a reading of the cluster's
    services at most a minute old, so a service created since on the group is seen."""
    now = [1000.0]
    monkeypatch.setattr("ecs_teardown.aws.targets.time.monotonic", lambda: now[0])
    gateway, group = prepared_then_restored_then_shared(aws)
    now[0] += 61

    again = gateway.prepare("demo", "web", gateway.describe("demo", ["web"])["web"], FastDrain(5))

    assert again is not None and again.lowered == () and again.shared == (group,)
    assert aws.elbv2.delay_of(group) == 300 and gateway.calls["list_services"] == 2


def test_a_later_teardown_on_the_same_gateway_reads_the_cluster_s_services_afresh(aws, monkeypatch):
    """Lambda keeps the gateway for the requests that follow in a warm container: the next teardown reads the
    cluster's services again at once, not a minute after the last one did."""
    monkeypatch.setattr("ecs_teardown.aws.targets.time.monotonic", lambda: 1000.0)
    gateway, group = prepared_then_restored_then_shared(aws)
    gateway.begin_teardown()

    again = gateway.prepare("demo", "web", gateway.describe("demo", ["web"])["web"], FastDrain(5))

    assert again is not None and again.lowered == () and again.shared == (group,)
    assert aws.elbv2.delay_of(group) == 300 and gateway.calls["list_services"] == 2


def test_a_later_request_in_a_warm_container_gets_every_preparation_round_again(answers, event_for, aws):
    """One Lambda execution environment (one Edges, so one gateway) serves two Delete requests for a service named
    web, one after the other. The first's task definition read is throttled every time: its preparation waits
    PREPARE_ATTEMPTS rounds, then goes on without it. The web of the second request (the stack made again) gets
    as many rounds, and the read goes through on the last: what the first request used up does not carry over."""
    aws.add(FakeService("web", desired=1, tasks=1, task_stop_s=5, containers=(("app", 10),)))
    reads: list[float] = []

    def throttled_but_the_last(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation == "DescribeTaskDefinition":
            reads.append(aws.clock.now)
            if len(reads) < 2 * PREPARE_ATTEMPTS:
                return aws.ecs._error("ThrottlingException", "Rate exceeded", operation)
        return None

    aws.ecs.fault = throttled_but_the_last
    edges = Edges(ecs=lambda: EcsGateway(aws.ecs), clock=aws.clock, sleep=aws.clock.sleep)  # type: ignore[arg-type]
    function = CustomResource(edges)

    function.handle(event_for("delete.json"), LocalContext(clock=aws.clock))
    assert answers.wait_for(1)[-1].body["Status"] == "SUCCESS"
    assert len(reads) == PREPARE_ATTEMPTS, "the first request waited every round it had, then went on"

    aws.clock.advance(600)
    aws.add(FakeService("web", desired=1, tasks=1, task_stop_s=5, containers=(("app", 10),)))
    function.handle(event_for("delete.json", RequestId="a-later-request"), LocalContext(clock=aws.clock))
    assert answers.wait_for(2)[-1].body["Status"] == "SUCCESS"
    assert len(reads) == 2 * PREPARE_ATTEMPTS, "the later request waited as many rounds, and read it on the last"


def test_a_rollout_that_blocks_the_delete_is_stopped_then_the_delete_goes_through(monkeypatch, answers, event_for, aws):
    web = aws.add(FakeService("web", desired=1, tasks=1, task_stop_s=5, rollout_s=math.inf))

    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    stops = [kwargs for _, op, kwargs in aws.ecs.calls if op == "StopServiceDeployment"]
    assert len(stops) == 1 and stops[0]["stopType"] == "ROLLBACK"
    assert stops[0]["serviceDeploymentArn"].startswith(
        "arn:aws:ecs:us-east-1:123456789012:service-deployment/demo/web/"
    )
    refused = [at for at, op, _ in aws.ecs.calls if op == "DeleteService"]
    assert web.rollback_requested_at is not None
    assert web.rollback_requested_at - refused[0] >= DEPLOYMENT_WAIT_S
    deletes = [kwargs for _, op, kwargs in aws.ecs.calls if op == "DeleteService"]
    assert not any(d.get("force") for d in deletes), "stopping the rollout made force unnecessary"


def test_a_codedeploy_deployment_that_blocks_the_delete_is_named(monkeypatch, answers, event_for, aws):
    web = aws.add(
        FakeService("web", desired=1, tasks=1, task_stop_s=5, deployment_controller="CODE_DEPLOY", rollout_s=math.inf)
    )

    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "FAILED"
    in_progress, finished = web.codedeploy_id("new"), web.codedeploy_id("old")
    assert f"CodeDeploy deployment {in_progress} is in progress" in answer["Reason"]
    assert finished not in answer["Reason"], "the PRIMARY task set's deployment has finished"
    assert "aws deploy stop-deployment" in answer["Reason"]
    assert aws.ecs.count("StopServiceDeployment") == 0


@pytest.mark.parametrize(
    ("service", "words"),
    [
        ({"resource_management": "ECS"}, "DeleteExpressGatewayService"),
        ({"deployment_controller": "EXTERNAL"}, "EXTERNAL deployment controller"),
    ],
)
def test_express_mode_and_external_services_are_refused_at_create_and_left_alone_at_delete(
    monkeypatch, answers, event_for, aws, service, words
):
    aws.add(FakeService("web", **service))
    created = run_handler(monkeypatch, answers, event_for("create.json"), aws.ecs)  # type: ignore[arg-type]
    assert created.answer["Status"] == "FAILED"
    assert "Property Service: service 'web' in cluster 'demo' is not torn down by this tool" in created.answer["Reason"]
    assert words in created.answer["Reason"]

    answer = delete(monkeypatch, answers, event_for, aws)
    assert answer["Status"] == "FAILED" and words in answer["Reason"]
    assert [op for _, op, _ in aws.ecs.calls if not op.startswith(("Describe", "List"))] == []


def test_fast_drain_is_refused_at_create_when_the_role_may_not_change_target_groups(
    monkeypatch, answers, event_for, aws
):
    aws.add_lb_service("web")
    monkeypatch.setenv(FAST_DRAIN_ENV, "false")
    event = event_for("create.json", {"Cluster": "demo", "Service": "web", "DeregistrationDelaySeconds": "5"})
    created = run_handler(monkeypatch, answers, event, aws.ecs)  # type: ignore[arg-type]
    assert created.answer["Status"] == "FAILED"
    assert created.answer["Reason"].startswith("Property DeregistrationDelaySeconds: ")
    assert "AllowFastDrain=true" in created.answer["Reason"]


def test_what_was_suspended_is_carried_through_hand_overs_and_restored_by_the_last(
    monkeypatch, answers, event_for, aws
):
    aws.add(FakeService("web", desired=1, tasks=1, task_stop_s=1e9))
    aws.autoscaling.add_target("demo", "web", 0, 4)
    event = event_for(
        "delete.json", {"Cluster": "demo", "Service": "web", "ForceDelete": "never", "DrainTimeoutSeconds": "200"}
    )

    run = run_handler(monkeypatch, answers, event, aws.ecs, lambda_timeout_s=120.0)  # type: ignore[arg-type]

    assert run.invocations >= 3, "the drain outlived several invocations"
    assert run.answer["Status"] == "FAILED" and "drain timeout of 200 s" in run.answer["Reason"]
    # suspended once by the first invocation, restored by the last: later ones did not read it again as found
    assert [call["SuspendedState"] for call in registers(aws)] == [ALL_SUSPENDED, NONE_SUSPENDED]
    assert aws.autoscaling.count("DescribeScalableTargets") == 1


def test_a_delay_that_cannot_be_read_is_not_taken_for_zero(monkeypatch, answers, event_for, aws):
    """Denied DescribeTargetGroupAttributes: `auto` counts the delay as ELB's 300 s default, so tasks held by a real
    300 s delay are waited for, not deleted with force after 90 s."""
    aws.add_lb_service("web", tasks=2, deregistration_delay_s=300, stop_timeout_s=30)

    def deny(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation == "DescribeTargetGroupAttributes":
            return aws.elbv2._error("AccessDenied", "not authorized", operation)
        return None

    aws.elbv2.fault = deny
    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert [kwargs.get("force", False) for _, op, kwargs in aws.ecs.calls if op == "DeleteService"] == [False]


def test_a_service_found_below_its_min_capacity_is_not_scaled_up_by_the_suspension(
    monkeypatch, answers, event_for, aws
):
    """Updating a scalable target brings the service's desired count inside [Min, Max] (API reference,
    RegisterScalableTarget): suspending a service found at 0 with Min 2 must lower Min too, or it starts tasks."""
    web = aws.add(FakeService("web", desired=0, tasks=0))
    aws.autoscaling.add_target("demo", "web", 2, 6)

    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    (suspend,) = registers(aws)
    assert suspend["MinCapacity"] == 0 and suspend["SuspendedState"] == ALL_SUSPENDED
    assert web.relaunches == [] and aws.ecs.count("UpdateService") == 0


def test_a_kept_service_gets_its_min_capacity_back(monkeypatch, answers, event_for, aws):
    aws.add(FakeService("web", desired=1, tasks=1, task_stop_s=1e9))  # below its Min of 2 (scaled down by hand)
    aws.autoscaling.add_target("demo", "web", 2, 6)

    answer = delete(monkeypatch, answers, event_for, aws, ForceDelete="never", DrainTimeoutSeconds="2")

    assert answer["Status"] == "FAILED"
    assert [(call.get("MinCapacity"), call["SuspendedState"]) for call in registers(aws)] == [
        (0, ALL_SUSPENDED),
        (2, NONE_SUSPENDED),
    ]


def test_a_read_that_fails_for_a_moment_is_tried_again_before_anything_is_written(monkeypatch, answers, event_for, aws):
    web = aws.add_lb_service("web", tasks=2, deregistration_delay_s=60, stop_timeout_s=10)
    aws.autoscaling.add_target("demo", "web", 1, 4, alarms=(ScaleOutAlarm(after_s=20),))
    failures = iter([True, True])

    def once_busy(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation == "RegisterScalableTarget" and next(failures, False):
            return aws.autoscaling._error("ConcurrentUpdateException", "another update is in progress", operation)
        return None

    aws.autoscaling.fault = once_busy
    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert [call["SuspendedState"] for call in registers(aws)] == [ALL_SUSPENDED] * 3  # two refused, then done
    first_write = min(at for at, op, _ in aws.ecs.calls if op == "UpdateService")
    assert max(at for at, op, _ in aws.autoscaling.calls if op == "RegisterScalableTarget") <= first_write
    assert web.raised_to is None


def test_a_stop_refused_because_the_rollout_just_ended_is_no_failure(monkeypatch, answers, event_for, aws):
    aws.add(FakeService("web", desired=1, tasks=1, task_stop_s=5, rollout_s=math.inf))

    def conflict(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation == "StopServiceDeployment":
            return aws.ecs._error("ConflictException", "The service deployment is not in progress.", operation)
        return None

    aws.ecs.fault = conflict
    answer = delete(monkeypatch, answers, event_for, aws)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert aws.ecs.count("StopServiceDeployment") == 1
    deletes = [kwargs.get("force", False) for _, op, kwargs in aws.ecs.calls if op == "DeleteService"]
    assert deletes[-1] is True  # the rollout never ended: after 120 s refused, forced (ForceDelete auto)
