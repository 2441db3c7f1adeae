"""The tests' fakes play the timelines issue 13 is about: tasks behind a load balancer stop after the deregistration
delay in force at the scale-down plus their own exit within the stopTimeout; auto scaling raises the desired count
again unless suspended; a deployment in progress blocks DeleteService until it ends or is rolled back. Each fake
checks parameters as botocore does and records every call. (test_fakes_match_moto.py checks the API shapes.)"""

from __future__ import annotations

import math
import re

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from support.fake_autoscaling import FakeAutoScaling
from support.fake_aws import FakeAws, LbTimeline, ScaleOutAlarm, ScheduledAction, draw_lb_timeline
from support.fake_ecs import DEPLOYMENTS_ACTIVE, SCALED_ABOVE_ZERO, FakeClock, FakeEcs, FakeService
from support.fake_elbv2 import DELAY_KEY, FakeElbv2

T0 = 1_800_000_000.0


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def describe(aws: FakeAws, name: str = "web", cluster: str = "demo") -> dict:
    return aws.ecs.describe_services(cluster=cluster, services=[name])["services"][0]


def scale_down(aws: FakeAws, name: str = "web", cluster: str = "demo") -> None:
    aws.ecs.update_service(cluster=cluster, service=name, desiredCount=0)


def running_at(aws: FakeAws, service: FakeService, elapsed: float) -> int:
    aws.clock.now = T0 + elapsed
    return service.running(aws.clock.now)


# --- load balancers: the deregistration delay in force at the scale-down, then each task's exit ---------------------


def test_tasks_behind_a_load_balancer_wait_out_the_delay_then_exit_at_their_own_offsets() -> None:
    aws = FakeAws(FakeClock(T0))
    web = aws.add_lb_service("web", deregistration_delay_s=300, stop_timeout_s=60, exit_offsets=(5.0, 20.0, 60.0))
    scale_down(aws)
    assert [running_at(aws, web, t) for t in (0, 299, 304.9, 305, 319.9, 320, 359.9, 360, 9999)] == [
        3, 3, 3, 2, 2, 1, 1, 0, 0,
    ]  # fmt: skip
    assert web.stop_rounds == [(T0, 300.0, (305.0, 320.0, 360.0))]


def test_the_delay_that_counts_is_the_one_in_force_at_the_scale_down() -> None:
    aws = FakeAws(FakeClock(T0))
    web = aws.add_lb_service("web", deregistration_delay_s=300, exit_offsets=(10.0,))
    arn = web.target_groups[0]
    aws.elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": "5"}])
    scale_down(aws)
    aws.elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": "600"}])
    assert running_at(aws, web, 14.9) == 1 and running_at(aws, web, 15.0) == 0  # lowered before: 5 + 10


def test_raising_the_delay_after_the_scale_down_changes_nothing_either() -> None:
    aws = FakeAws(FakeClock(T0))
    web = aws.add_lb_service("web", deregistration_delay_s=30, exit_offsets=(0.0,))
    scale_down(aws)
    arn = web.target_groups[0]
    aws.elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": "3600"}])
    assert running_at(aws, web, 30.0) == 0


def test_the_largest_delay_of_the_service_target_groups_counts() -> None:
    aws = FakeAws(FakeClock(T0))
    web = aws.add_lb_service("web", deregistration_delay_s=(30, 300, 0), exit_offsets=(1.0,))
    assert len(web.target_groups) == 3 and len(describe(aws)["loadBalancers"]) == 3
    scale_down(aws)
    assert running_at(aws, web, 300.9) == 1 and running_at(aws, web, 301.0) == 0


def test_seeded_exits_fall_within_the_largest_stop_timeout_and_repeat() -> None:
    def stops(seed: str) -> tuple[float, ...]:
        aws = FakeAws(FakeClock(T0))
        aws.add_lb_service(
            "web", tasks=40, deregistration_delay_s=100, containers=(("app", 10), ("log", 45)), seed=seed
        )
        scale_down(aws)
        return aws.ecs.services[("demo", "web")].stop_rounds[0][2]

    first = stops("a")
    assert first == stops("a") and first != stops("b")
    assert len(first) == 40 and all(100.0 <= t <= 145.0 for t in first) and max(first) > 130.0


def test_a_missing_stop_timeout_is_ecs_default_30_s() -> None:
    aws = FakeAws(FakeClock(T0))
    web = aws.add_lb_service("web", tasks=50, deregistration_delay_s=0)
    assert web.stop_timeout_s == 30
    definition = aws.ecs.describe_task_definition(taskDefinition=describe(aws)["taskDefinition"])["taskDefinition"]
    assert [c["name"] for c in definition["containerDefinitions"]] == ["app"]
    assert "stopTimeout" not in definition["containerDefinitions"][0]
    scale_down(aws)
    assert all(0.0 <= t <= 30.0 for t in web.stop_rounds[0][2])


def test_a_delete_with_force_before_any_scale_down_also_waits_out_the_delay() -> None:
    aws = FakeAws(FakeClock(T0))
    web = aws.add_lb_service("web", deregistration_delay_s=300, exit_offsets=(10.0, 20.0), draining_s=5)
    aws.ecs.delete_service(cluster="demo", service="web", force=True)
    assert web.status(T0 + 1) == "DRAINING" and web.running(T0 + 319.9) == 1
    assert web.inactive_at() == T0 + 320.0 + 5.0


def test_without_target_groups_tasks_stop_as_before() -> None:
    ecs = FakeEcs(FakeClock(T0))
    web = ecs.add(FakeService("web", desired=3, tasks=3, task_stop_s=45.0))
    ecs.update_service(cluster="demo", service="web", desiredCount=0)
    assert [web.running(T0 + t) for t in (14.9, 15.0, 30.0, 45.0)] == [3, 2, 1, 0] and web.stop_rounds == []
    assert "taskDefinition" not in ecs.describe_services(cluster="demo", services=["web"])["services"][0]


def test_lb_timeline_plays_as_drawn() -> None:
    timeline = draw_lb_timeline(3, deregistration_delay_s=300, stop_timeout_s=30)
    assert timeline == draw_lb_timeline(3, deregistration_delay_s=300, stop_timeout_s=30)
    assert all(0.0 <= x <= 30.0 for x in timeline.exit_offsets)
    aws = FakeAws(FakeClock(T0))
    web = timeline.install(aws, cluster="bench")
    aws.ecs.update_service(cluster="bench", service="web", desiredCount=0)
    aws.clock.now = T0 + timeline.drain_s()
    assert web.running(aws.clock.now) == 0 and web.running(aws.clock.now - 0.001) == 1
    aws.clock.now = T0 + max(timeline.drain_s(), timeline.deployments_busy_s)
    aws.ecs.delete_service(cluster="bench", service="web")
    assert web.inactive_at() == pytest.approx(T0 + timeline.ecs_time_s())


def test_lb_timeline_with_the_delay_lowered_first() -> None:
    timeline = LbTimeline("api", deregistration_delay_s=300, exit_offsets=(3.0, 9.0), draining_s=4.0)
    aws = FakeAws(FakeClock(T0))
    api = timeline.install(aws)
    delay = [{"Key": DELAY_KEY, "Value": "10"}]
    aws.elbv2.modify_target_group_attributes(TargetGroupArn=api.target_groups[0], Attributes=delay)
    scale_down(aws, "api")
    assert api.timeline.tasks_gone_at() == T0 + timeline.drain_s(10) == T0 + 19.0
    assert timeline.ecs_time_s(10) == 23.0 and timeline.ecs_time_s() == 313.0


# --- Application Auto Scaling fights the teardown ----------------------------------------------------------------


def autoscaled(**target: object) -> tuple[FakeAws, FakeService]:
    aws = FakeAws(FakeClock(T0))
    web = aws.add(FakeService("web", desired=2, tasks=2, task_stop_s=20.0, draining_s=5.0, start_s=10.0))
    aws.autoscaling.add_target("demo", "web", 2, 6, **target)  # type: ignore[arg-type]
    return aws, web


def test_a_scale_out_alarm_raises_desired_back_to_min_capacity_after_the_scale_down() -> None:
    aws, _ = autoscaled(alarms=(ScaleOutAlarm(after_s=45.0),))
    scale_down(aws)
    aws.clock.now = T0 + 44.0
    assert describe(aws)["desiredCount"] == 0
    aws.clock.now = T0 + 50.0
    seen = describe(aws)
    assert (seen["desiredCount"], seen["runningCount"], seen["pendingCount"]) == (
        2,
        0,
        2,
    )  # started at 45, pending 10 s
    assert [(a.when, a.cause, a.outcome, a.desired_after) for a in aws.autoscaling.activities] == [
        (T0 + 45.0, "alarm", "scaled", 2)
    ]
    aws.clock.now = T0 + 56.0
    assert describe(aws)["runningCount"] == 2
    with pytest.raises(ClientError) as refused:
        aws.ecs.delete_service(cluster="demo", service="web")
    assert refused.value.response["Error"]["Message"] == SCALED_ABOVE_ZERO


def test_the_alarm_fires_again_after_every_scale_down() -> None:
    aws, _ = autoscaled(alarms=(ScaleOutAlarm(after_s=30.0, step=3),))
    scale_down(aws)
    aws.clock.now = T0 + 40.0
    assert describe(aws)["desiredCount"] == 3  # 0 + 3, at least MinCapacity 2
    scale_down(aws)  # the new tasks are asked to stop too
    aws.clock.now = T0 + 69.0
    assert describe(aws)["desiredCount"] == 0
    aws.clock.now = T0 + 71.0
    assert describe(aws)["desiredCount"] == 3 and len(aws.autoscaling.activities) == 2


def test_suspended_scale_out_keeps_the_service_down_and_resuming_fires_the_alarm_in_breach() -> None:
    aws, _ = autoscaled(alarms=(ScaleOutAlarm(after_s=45.0),))
    suspend = {"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": True, "ScheduledScalingSuspended": True}
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/demo/web", ScalableDimension="ecs:service:DesiredCount",
        SuspendedState=suspend,
    )  # fmt: skip
    scale_down(aws)
    aws.clock.now = T0 + 600.0
    assert describe(aws)["desiredCount"] == 0 and describe(aws)["runningCount"] == 0
    assert aws.autoscaling.activities == []
    resume = dict.fromkeys(suspend, False)
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/demo/web", ScalableDimension="ecs:service:DesiredCount",
        SuspendedState=resume,
    )  # fmt: skip
    assert describe(aws)["desiredCount"] == 3  # clamped to Min 2 by the resume, then the alarm's step of 1
    # the resume itself brings desired 0 back inside [2, 6] (the register clamps); the alarm then finds it there
    first = aws.autoscaling.activities[0]
    assert (first.when, first.cause, first.outcome) == (T0 + 600.0, "register", "scaled")


def test_the_alarm_cannot_raise_a_deleted_service() -> None:
    aws, _ = autoscaled(alarms=(ScaleOutAlarm(after_s=45.0),))
    scale_down(aws)
    aws.clock.now = T0 + 20.0
    aws.ecs.delete_service(cluster="demo", service="web")
    aws.clock.now = T0 + 50.0
    assert describe(aws)["desiredCount"] == 0
    assert [a.outcome for a in aws.autoscaling.activities] == ["refused"]


def test_a_scheduled_action_sets_new_bounds_unless_scheduled_scaling_is_suspended() -> None:
    aws, _ = autoscaled(schedule=(ScheduledAction(at=T0 + 100.0, min_capacity=4, max_capacity=8),))
    scale_down(aws)
    aws.clock.now = T0 + 101.0
    assert describe(aws)["desiredCount"] == 4
    target = aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (4, 8)

    aws, _ = autoscaled(schedule=(ScheduledAction(at=T0 + 100.0, min_capacity=4),))
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/demo/web", ScalableDimension="ecs:service:DesiredCount",
        SuspendedState={"ScheduledScalingSuspended": True},
    )  # fmt: skip
    scale_down(aws)
    aws.clock.now = T0 + 200.0
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/demo/web", ScalableDimension="ecs:service:DesiredCount",
        SuspendedState={"ScheduledScalingSuspended": False},
    )  # fmt: skip
    # an action due while suspended is skipped, not run on resume; the resume's register clamps desired to Min 2
    assert describe(aws)["desiredCount"] == 2
    assert [(a.cause, a.outcome) for a in aws.autoscaling.activities] == [
        ("schedule", "skipped"),
        ("register", "scaled"),
    ]


def test_register_changes_only_what_it_is_given() -> None:
    aws, _ = autoscaled()
    flags = {"DynamicScalingOutSuspended": True}
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/demo/web", ScalableDimension="ecs:service:DesiredCount",
        SuspendedState=flags,
    )  # fmt: skip
    target = aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/demo/web"])
    (found,) = target["ScalableTargets"]
    assert (found["MinCapacity"], found["MaxCapacity"]) == (2, 6)
    assert found["SuspendedState"] == {
        "DynamicScalingInSuspended": False, "DynamicScalingOutSuspended": True, "ScheduledScalingSuspended": False,
    }  # fmt: skip
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/demo/web", ScalableDimension="ecs:service:DesiredCount",
        MaxCapacity=9,
    )  # fmt: skip
    (found,) = aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (found["MinCapacity"], found["MaxCapacity"], found["SuspendedState"]["DynamicScalingOutSuspended"]) == (
        2, 9, True,
    )  # fmt: skip


def test_a_new_range_brings_the_desired_count_inside_it() -> None:
    aws, _ = autoscaled()
    scale_down(aws)
    aws.autoscaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/demo/web", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=3,
    )  # fmt: skip
    assert describe(aws)["desiredCount"] == 3


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ({"ResourceId": "service/demo/api", "MinCapacity": 1}, "ValidationException"),  # new: needs both
        ({"ResourceId": "service/demo/api"}, "ValidationException"),
        ({"ResourceId": "service/demo/nope", "MinCapacity": 1, "MaxCapacity": 2}, "ValidationException"),
        ({"ResourceId": "service/demo/web", "MinCapacity": 7}, "ValidationException"),  # above MaxCapacity 6
        ({"ResourceId": "cluster/demo", "MinCapacity": 1, "MaxCapacity": 2}, "ValidationException"),
    ],
)
def test_register_refusals(call: dict, expected: str) -> None:
    aws, _ = autoscaled()
    aws.add(FakeService("api"))
    with pytest.raises(ClientError) as refused:
        aws.autoscaling.register_scalable_target(
            ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount", **call
        )
    assert code(refused) == expected


def test_deregister_removes_the_target_and_its_alarms() -> None:
    aws, _ = autoscaled(alarms=(ScaleOutAlarm(after_s=10.0),))
    ids = {"ServiceNamespace": "ecs", "ResourceId": "service/demo/web", "ScalableDimension": "ecs:service:DesiredCount"}
    aws.autoscaling.deregister_scalable_target(**ids)
    scale_down(aws)
    aws.clock.now = T0 + 60.0
    assert describe(aws)["desiredCount"] == 0
    with pytest.raises(aws.autoscaling.exceptions.ObjectNotFoundException):
        aws.autoscaling.deregister_scalable_target(**ids)
    assert [op for _, op, _ in aws.autoscaling.calls] == ["DeregisterScalableTarget", "DeregisterScalableTarget"]


def test_describe_scalable_targets_pages_by_max_results() -> None:
    aws = FakeAws(FakeClock(T0))
    for index in range(7):
        aws.add(FakeService(f"s{index}"))
        aws.autoscaling.add_target("demo", f"s{index}", 1, 2)
    pages = aws.autoscaling.get_paginator("describe_scalable_targets").paginate(
        ServiceNamespace="ecs", PaginationConfig={"PageSize": 3}
    )
    assert [len(page["ScalableTargets"]) for page in pages] == [3, 3, 1]
    with pytest.raises(ClientError) as refused:
        aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs", MaxResults=51)
    assert code(refused) == "ValidationException"


# --- deployments ---------------------------------------------------------------------------------------------------


def rolling(rollout_s: float = 100.0, **service: object) -> tuple[FakeAws, FakeService]:
    aws = FakeAws(FakeClock(T0))
    web = aws.add(FakeService("web", task_stop_s=0.0, rollout_s=rollout_s, revision=4, **service))  # type: ignore[arg-type]
    scale_down(aws)
    return aws, web


def delete_refused(aws: FakeAws) -> str:
    with pytest.raises(ClientError) as refused:
        aws.ecs.delete_service(cluster="demo", service="web")
    assert code(refused) == "InvalidParameterException"
    return str(refused.value.response["Error"]["Message"])


def test_a_rolling_deployment_shows_primary_and_active_and_blocks_delete_until_it_ends() -> None:
    aws, web = rolling(100.0)
    seen = describe(aws)
    assert [(d["status"], d["rolloutState"]) for d in seen["deployments"]] == [
        ("PRIMARY", "IN_PROGRESS"), ("ACTIVE", "COMPLETED"),
    ]  # fmt: skip
    assert seen["deployments"][0]["taskDefinition"].endswith("task-definition/web:5")
    assert seen["deployments"][1]["taskDefinition"].endswith("task-definition/web:4")
    assert re.fullmatch(
        r"arn:aws:ecs:us-east-1:123456789012:service-deployment/demo/web/[\w-]{22}", seen["currentServiceDeployment"]
    )
    aws.clock.now = T0 + 99.0
    assert delete_refused(aws) == DEPLOYMENTS_ACTIVE
    aws.clock.now = T0 + 100.0
    assert [d["rolloutState"] for d in describe(aws)["deployments"]] == ["COMPLETED"]
    aws.ecs.delete_service(cluster="demo", service="web")
    assert web.forced is False


def test_stop_service_deployment_rolls_back_and_then_delete_goes_through() -> None:
    aws, _ = rolling(math.inf, rollback_s=5.0)
    arn = describe(aws)["currentServiceDeployment"]
    aws.clock.now = T0 + 3600.0
    assert delete_refused(aws) == DEPLOYMENTS_ACTIVE, "a stuck deployment never ends by itself"
    assert aws.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK") == {
        "serviceDeploymentArn": arn
    }
    rollback = describe(aws)["deployments"]
    assert [(d["status"], d["rolloutState"], d["taskDefinition"][-5:]) for d in rollback] == [
        ("PRIMARY", "IN_PROGRESS", "web:4"), ("ACTIVE", "COMPLETED", "web:5"),
    ]  # fmt: skip
    aws.ecs.stop_service_deployment(serviceDeploymentArn=arn)  # a rollback in progress "continues"
    aws.clock.now = T0 + 3604.9
    assert delete_refused(aws) == DEPLOYMENTS_ACTIVE
    (status,) = aws.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
    assert status["status"] == "ROLLBACK_IN_PROGRESS"
    aws.clock.now = T0 + 3605.0
    assert describe(aws)["taskDefinition"].endswith("web:4")
    aws.ecs.delete_service(cluster="demo", service="web")
    (status,) = aws.ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
    assert status["status"] == "ROLLBACK_SUCCESSFUL"


def test_stop_service_deployment_refusals() -> None:
    aws, _ = rolling(50.0)
    arn = describe(aws)["currentServiceDeployment"]
    with pytest.raises(aws.ecs.exceptions.ServiceDeploymentNotFoundException):
        aws.ecs.stop_service_deployment(serviceDeploymentArn=arn + "x", stopType="ROLLBACK")
    aws.clock.now = T0 + 50.0
    with pytest.raises(aws.ecs.exceptions.ConflictException):
        aws.ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    with pytest.raises(ParamValidationError):
        aws.ecs.stop_service_deployment(deploymentArn=arn)


def test_force_deletes_through_a_deployment_and_deployments_busy_s_still_counts_from_the_scale_down() -> None:
    aws, web = rolling(math.inf)
    aws.ecs.delete_service(cluster="demo", service="web", force=True)
    assert web.forced is True
    ecs = FakeEcs(FakeClock(T0))
    ecs.add(FakeService("api", task_stop_s=0.0, deployments_busy_s=12.0))
    ecs.update_service(cluster="demo", service="api", desiredCount=0)
    ecs.clock.now = T0 + 11.9
    with pytest.raises(ClientError, match="deployments are active"):
        ecs.delete_service(cluster="demo", service="api")
    ecs.clock.now = T0 + 12.0
    ecs.delete_service(cluster="demo", service="api")


def test_code_deploy_services_show_task_sets_named_after_their_deployments() -> None:
    aws, _ = rolling(60.0, deployment_controller="CODE_DEPLOY")
    seen = describe(aws)
    assert seen["deploymentController"] == {"type": "CODE_DEPLOY"} and seen["deployments"] == []
    assert "currentServiceDeployment" not in seen
    sets = seen["taskSets"]
    assert [s["status"] for s in sets] == ["PRIMARY", "ACTIVE"]
    assert all(re.fullmatch(r"d-[A-Z0-9]{9}", s["externalId"]) for s in sets)
    assert sets[0]["externalId"] != sets[1]["externalId"]
    assert sets[1]["taskSetArn"] == f"arn:aws:ecs:us-east-1:123456789012:task-set/demo/web/{sets[1]['id']}"
    assert delete_refused(aws) == DEPLOYMENTS_ACTIVE
    aws.clock.now = T0 + 60.0
    assert [s["status"] for s in describe(aws)["taskSets"]] == ["PRIMARY"]


def test_external_and_express_services() -> None:
    aws = FakeAws(FakeClock(T0))
    aws.add(FakeService("ext", deployment_controller="EXTERNAL", containers=(("app", None),)))
    aws.add(FakeService("express", resource_management="ECS", containers=(("app", 120),)))
    ext = describe(aws, "ext")
    assert "taskDefinition" not in ext and all("externalId" not in s for s in ext["taskSets"])
    assert describe(aws, "express")["resourceManagementType"] == "ECS"
    aws.autoscaling.add_target("demo", "express", 1, 3)
    with pytest.raises(ClientError) as refused:
        aws.ecs.delete_express_gateway_service(serviceArn=ext["serviceArn"])
    assert code(refused) == "InvalidParameterException"
    express = aws.ecs.delete_express_gateway_service(serviceArn=describe(aws, "express")["serviceArn"])
    assert express["service"]["status"] == {"statusCode": "DRAINING"}
    assert aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []


# --- ListServices, DescribeTaskDefinition, parameters, wiring ------------------------------------------------------


def test_list_services_pages_like_ecs_and_hides_draining_services() -> None:
    ecs = FakeEcs(FakeClock(T0))
    for index in range(250):
        ecs.add(FakeService(f"s{index:03}", task_stop_s=0.0, draining_s=60.0))
    ecs.delete_service(cluster="demo", service="s007", force=True)
    assert len(ecs.list_services(cluster="demo")["serviceArns"]) == 10  # ECS's default page
    pages = list(ecs.get_paginator("list_services").paginate(cluster="demo", PaginationConfig={"PageSize": 100}))
    assert [len(p["serviceArns"]) for p in pages] == [100, 100, 49]
    names = [arn.rsplit("/", 1)[-1] for p in pages for arn in p["serviceArns"]]
    assert len(set(names)) == 249 and "s007" not in names
    for wrong in ({"maxResults": 0}, {"maxResults": 101}, {"nextToken": "garbage"}):
        with pytest.raises(ClientError) as refused:
            ecs.list_services(cluster="demo", **wrong)
        assert code(refused) == "InvalidParameterException"
    with pytest.raises(ecs.exceptions.ClusterNotFoundException):
        ecs.list_services(cluster="nope")


def test_describe_task_definition_by_arn_family_revision_or_family() -> None:
    aws = FakeAws(FakeClock(T0))
    aws.add(FakeService("web", family="web-td", revision=7, containers=(("app", 90), ("envoy", None))))
    for name in ("arn:aws:ecs:us-east-1:123456789012:task-definition/web-td:7", "web-td:7", "web-td"):
        definition = aws.ecs.describe_task_definition(taskDefinition=name)["taskDefinition"]
        assert definition["taskDefinitionArn"].endswith("/web-td:7")
        assert [c.get("stopTimeout") for c in definition["containerDefinitions"]] == [90, None]
    with pytest.raises(aws.ecs.exceptions.ClientException):
        aws.ecs.describe_task_definition(taskDefinition="web-td:8")


@pytest.mark.parametrize(
    ("client", "method", "kwargs"),
    [
        ("ecs", "describe_services", {"cluster": "demo", "service": ["web"]}),
        ("ecs", "update_service", {"cluster": "demo", "service": "web", "desiredCount": "0"}),
        ("application-autoscaling", "describe_scalable_targets", {"ResourceIds": ["service/demo/web"]}),
        ("application-autoscaling", "register_scalable_target", {"ServiceNamespace": "ecs", "ResourceId": "x"}),
        ("elbv2", "modify_target_group_attributes", {"TargetGroupArn": "x", "Attributes": {"Key": "a"}}),
        ("elbv2", "describe_target_group_attributes", {"TargetGroupArns": ["x"]}),
    ],
)
def test_the_fakes_check_parameters_as_botocore_does_and_record_only_what_was_sent(client, method, kwargs) -> None:
    aws = FakeAws(FakeClock(T0))
    aws.add(FakeService("web"))
    fake = aws.client(client)
    with pytest.raises(ParamValidationError):
        getattr(fake, method)(**kwargs)
    assert fake.calls == []


def test_elbv2_validates_the_delay_and_answers_all_attributes() -> None:
    elbv2 = FakeElbv2(FakeClock(T0))
    arn = elbv2.add_target_group("web")
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    assert {"Key": DELAY_KEY, "Value": "300"} in attributes and len(attributes) > 10
    for value in ("0", "3600"):
        answer = elbv2.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": value}]
        )
        assert (
            len(answer["Attributes"]) == len(attributes) and {"Key": DELAY_KEY, "Value": value} in answer["Attributes"]
        )
    for key, value in ((DELAY_KEY, "3601"), (DELAY_KEY, "-1"), (DELAY_KEY, "ten"), ("no.such.key", "1")):
        with pytest.raises(ClientError) as refused:
            elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": key, "Value": value}])
        assert code(refused) == "ValidationError"
    assert elbv2.delay_of(arn) == 3600 and [d for _, d in elbv2.target_groups[arn].history] == [300, 0, 3600]
    with pytest.raises(elbv2.exceptions.TargetGroupNotFoundException) as missing:
        elbv2.describe_target_group_attributes(TargetGroupArn=arn + "0")
    assert code(missing) == "TargetGroupNotFound"
    assert len(elbv2.calls) == 1 + 2 + 4 + 1


def test_the_wiring() -> None:
    aws = FakeAws(FakeClock(T0))
    aws.add(FakeService("web"))
    aws.ecs.update_service(cluster="demo", service="web", desiredCount=0)
    aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs")
    aws.ecs.describe_services(cluster="demo", services=["web"])
    assert [op for _, op, _ in aws.calls()] == ["UpdateService", "DescribeScalableTargets", "DescribeServices"]
    assert aws.ecs.sibling("application-autoscaling") is aws.autoscaling is aws.client("application-autoscaling")
    assert aws.ecs.sibling("elbv2") is aws.elbv2 and aws.ecs.sibling("cloudwatch") is None
    assert aws.autoscaling.ecs is aws.ecs and aws.ecs.elbv2 is aws.elbv2 and aws.autoscaling.clock is aws.clock
    bare = FakeEcs(FakeClock(T0))
    assert bare.sibling("application-autoscaling") is None and bare.sibling("elbv2") is None
    assert FakeAutoScaling(FakeClock(T0)).describe_scalable_targets(ServiceNamespace="ecs") == {"ScalableTargets": []}


def test_without_suspension_the_same_alarm_raises_the_service_again() -> None:
    aws = FakeAws()
    """The fake's alarm is real enough to matter: scaled down by hand, the service comes back to MinCapacity."""
    web = aws.add_lb_service("web", tasks=3, deregistration_delay_s=60, stop_timeout_s=10)
    aws.autoscaling.add_target("demo", "web", 2, 6, alarms=(ScaleOutAlarm(after_s=20),))
    aws.ecs.update_service(cluster="demo", service="web", desiredCount=0)
    aws.clock.advance(25)
    aws.settle()
    assert web.raised_to == 2
