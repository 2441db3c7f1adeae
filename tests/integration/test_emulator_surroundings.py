"""The embedded AWS around ECS, over real HTTP on a clock the test moves: Application Auto Scaling raises a service
scaled to zero back to MinCapacity unless its scale-out is suspended, and a service behind a target group keeps its
tasks for the deregistration delay as it stood at the scale-down, then stops them within the stopTimeout (moto's
application-autoscaling and elbv2 backends, read in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ecs_teardown_tools.emulator import EmbeddedAws, ScaleOut, Timeline

pytestmark = pytest.mark.integration
DELAY_KEY = "deregistration_delay.timeout_seconds"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def heard() -> list[str]:
    return []


@pytest.fixture
def aws(clock: Clock, heard: list[str]) -> Iterator[EmbeddedAws]:
    with EmbeddedAws(clock=clock, scale_out_after_s=1.5, notify=heard.append) as embedded:
        yield embedded


def service(aws: EmbeddedAws, name: str, timeline: Timeline, **extra: Any) -> Any:
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="c")
    ecs.create_service(cluster="c", serviceName=name, desiredCount=timeline.tasks, **extra)
    aws.play("c", name, timeline)
    return ecs


def seen(ecs: Any, name: str) -> tuple[int, int, str]:
    (found,) = ecs.describe_services(cluster="c", services=[name])["services"]
    return found["desiredCount"], found["runningCount"], found["status"]


def scalable(aws: EmbeddedAws, name: str, **suspended: bool) -> None:
    aws.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/c/{name}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=4,
        **({"SuspendedState": suspended} if suspended else {}),
    )


def test_auto_scaling_raises_desired_back_to_min_capacity_after_each_scale_down(aws, clock, heard) -> None:
    ecs = service(aws, "a", Timeline(tasks=2, task_stop_s=60, draining_s=1), taskDefinition=task(aws))
    scalable(aws, "a")
    ecs.update_service(cluster="c", service="a", desiredCount=0)
    clock.now += 1.4
    assert seen(ecs, "a") == (0, 2, "ACTIVE"), "not yet: the alarm comes a moment later"
    clock.now += 0.1
    assert seen(ecs, "a") == (2, 2, "ACTIVE")
    assert aws.timed.scale_outs == [ScaleOut("c", "a", 1001.5, 2)]
    assert "  AWS: Application Auto Scaling's scale-out alarm for a raised desired to 2 (MinCapacity)" in heard
    clock.now += 10
    assert seen(ecs, "a") == (2, 2, "ACTIVE"), "the tasks started again: nothing is stopping"

    ecs.update_service(cluster="c", service="a", desiredCount=0)  # each scale-down sets it off again
    clock.now += 1.5
    assert seen(ecs, "a")[0] == 2 and len(aws.timed.scale_outs) == 2


def test_suspended_scale_out_leaves_the_scale_down_alone(aws, clock) -> None:
    ecs = service(aws, "b", Timeline(tasks=2, task_stop_s=4, draining_s=1), taskDefinition=task(aws))
    scalable(aws, "b", DynamicScalingInSuspended=True, DynamicScalingOutSuspended=True, ScheduledScalingSuspended=True)
    ecs.update_service(cluster="c", service="b", desiredCount=0)
    clock.now += 2
    assert seen(ecs, "b") == (0, 1, "ACTIVE")
    assert aws.timed.scale_outs == [ScaleOut("c", "b", 1001.5, None)]
    clock.now += 2
    assert seen(ecs, "b") == (0, 0, "ACTIVE")


def test_no_scalable_target_no_alarm_and_a_deleted_service_is_never_raised(aws, clock) -> None:
    ecs = service(aws, "d", Timeline(tasks=1, task_stop_s=0.5, draining_s=5), taskDefinition=task(aws))
    ecs.update_service(cluster="c", service="d", desiredCount=0)
    clock.now += 5
    assert seen(ecs, "d") == (0, 0, "ACTIVE") and aws.timed.scale_outs == []
    scalable(aws, "d")
    ecs.update_service(cluster="c", service="d", desiredCount=0)
    ecs.delete_service(cluster="c", service="d")
    clock.now += 2
    assert seen(ecs, "d") == (0, 0, "DRAINING") and aws.timed.scale_outs == []


def task(aws: EmbeddedAws, stop_timeout: int | None = None) -> str:
    container: dict[str, Any] = {"name": "app", "image": "nginx", "memory": 64}
    if stop_timeout is not None:
        container["stopTimeout"] = stop_timeout
    answer = aws.client("ecs").register_task_definition(family="app", containerDefinitions=[container])
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def target_group(aws: EmbeddedAws, name: str, delay_s: int | None) -> tuple[Any, str]:
    """A target group (moto's backends outlive one EmbeddedAws: each test names its own)."""
    vpc = aws.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    elbv2 = aws.client("elbv2")
    arn = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    arn = arn["TargetGroups"][0]["TargetGroupArn"]
    if delay_s is not None:
        elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": str(delay_s)}])
    return elbv2, arn


def behind(arn: str) -> list[dict[str, Any]]:
    return [{"targetGroupArn": arn, "containerName": "app", "containerPort": 80}]


def test_tasks_behind_a_target_group_wait_out_the_delay_as_it_stood_at_the_scale_down(aws, clock, heard) -> None:
    elbv2, arn = target_group(aws, "w", delay_s=20)
    timeline = Timeline(tasks=2, task_stop_s=60, draining_s=1)
    ecs = service(aws, "w", timeline, taskDefinition=task(aws, stop_timeout=4), loadBalancers=behind(arn))
    ecs.update_service(cluster="c", service="w", desiredCount=0)
    elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": DELAY_KEY, "Value": "0"}])
    clock.now += 19.9
    assert seen(ecs, "w") == (0, 2, "ACTIVE"), "still registered: the delay as it was at the scale-down"
    clock.now += 2.1  # 22 s: half the stopTimeout (4 s, not the timeline's 60 s) gone
    assert seen(ecs, "w") == (0, 1, "ACTIVE")
    clock.now += 2
    assert seen(ecs, "w") == (0, 0, "ACTIVE") and timeline.tasks_gone_at() == 1024.0
    assert (
        "  AWS: w's tasks stay registered for the deregistration delay (20 s), then stop within the stopTimeout (4 s)"
        in heard
    )


def test_a_target_group_with_no_delay_set_holds_the_tasks_for_elb_s_default_300_s(aws, clock) -> None:
    _, arn = target_group(aws, "x", delay_s=None)  # ELB's default, 300 s
    timeline = Timeline(tasks=1, task_stop_s=1, draining_s=2)
    ecs = service(aws, "x", timeline, taskDefinition=task(aws), loadBalancers=behind(arn))
    ecs.update_service(cluster="c", service="x", desiredCount=0)
    clock.now += 300.5  # the delay, then half of the task's 1 s stop
    assert seen(ecs, "x") == (0, 1, "ACTIVE")
    clock.now += 0.5
    assert seen(ecs, "x") == (0, 0, "ACTIVE")
    ecs.delete_service(cluster="c", service="x")
    assert seen(ecs, "x")[2] == "DRAINING"
    clock.now += 2
    assert seen(ecs, "x")[2] == "INACTIVE"
