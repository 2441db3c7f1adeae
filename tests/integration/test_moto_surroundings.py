"""What surrounds a service, over real HTTP: the real handler's preparation against moto's ECS, Application Auto
Scaling and ELBv2 (their real API shapes, parameter validation and error codes), with clients the gateway builds
itself next to its ECS client (same endpoint, same region)."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.aws.surroundings import DELAY_KEY
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.core.drain import FastDrain
from ecs_teardown.core.model import ACTIVE, ServiceSnapshot
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext

pytestmark = pytest.mark.integration
SUSPENDED = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


@pytest.fixture
def world(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", moto_url)
    ecs = boto3.client("ecs", endpoint_url=moto_url)
    elbv2 = boto3.client("elbv2", endpoint_url=moto_url)
    autoscaling = boto3.client("application-autoscaling", endpoint_url=moto_url)
    ec2 = boto3.client("ec2", endpoint_url=moto_url)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    group_arn = group["TargetGroups"][0]["TargetGroupArn"]
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64, "stopTimeout": 45}]
    )
    ecs.create_service(
        cluster="demo",
        serviceName="web",
        taskDefinition="web",
        desiredCount=2,
        loadBalancers=[{"targetGroupArn": group_arn, "containerName": "web", "containerPort": 80}],
    )
    autoscaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/demo/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
    )
    # Two running tasks' addresses (moto registers none for a service): healthy, so a fast drain may go ahead.
    elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": "10.0.1.7"}, {"Id": "10.0.2.9"}])
    return {"ecs": ecs, "elbv2": elbv2, "autoscaling": autoscaling, "group": group_arn}


def delay_of(world: dict[str, Any]) -> str:
    attributes = world["elbv2"].describe_target_group_attributes(TargetGroupArn=world["group"])["Attributes"]
    return str({a["Key"]: a["Value"] for a in attributes}[DELAY_KEY])


def suspended(world: dict[str, Any]) -> list[bool]:
    targets = world["autoscaling"].describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/demo/web"])
    state = targets["ScalableTargets"][0].get("SuspendedState", {})
    return [state.get(flag) is True for flag in SUSPENDED]


def test_prepare_reads_moto_and_suspends_lowers_then_restores(world):
    gateway = EcsGateway(world["ecs"])
    (service,) = world["ecs"].describe_services(cluster="demo", services=["web"])["services"]
    snapshot = gateway.describe("demo", ["web"])["web"]
    assert snapshot.status == ACTIVE and snapshot.target_groups == (world["group"],)
    assert snapshot.task_definition == service["taskDefinition"]

    preparation = gateway.prepare("demo", "web", snapshot, FastDrain(5))

    assert preparation.notes == ()
    assert preparation.stop_timeout_s == 45
    assert preparation.delays == ((world["group"], 300),) and preparation.lowered == ((world["group"], 5),)
    assert preparation.suspended and preparation.scaling is not None and not preparation.scaling.fully_suspended
    assert delay_of(world) == "5" and suspended(world) == [True, True, True]
    assert preparation.auto_drain_timeout_s() == 5 + 45 + 60

    assert gateway.restore("demo", "web", preparation) == []
    assert delay_of(world) == "300" and suspended(world) == [False, False, False]
    assert gateway.calls["describe_task_definition"] == 1 and gateway.calls["list_services"] == 1
    assert gateway.calls["describe_target_health"] == 1


def test_target_health_has_the_shape_the_fake_gives(world):
    """DescribeTargetHealth as moto answers it (the API's shape) and as tests/support/fake_elbv2.py does."""
    from support.fake_aws import FakeAws

    (moto,) = world["elbv2"].describe_target_health(TargetGroupArn=world["group"])["TargetHealthDescriptions"][:1]
    aws = FakeAws()
    (group,) = aws.add_lb_service("web").target_groups
    (fake,) = aws.elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"][:1]
    assert set(moto) == set(fake) == {"Target", "HealthCheckPort", "TargetHealth"}
    assert set(moto["Target"]) == set(fake["Target"]) == {"Id", "Port"}
    assert moto["TargetHealth"] == fake["TargetHealth"] == {"State": "healthy"}
    named = [{"Id": "10.9.9.9", "Port": 80}]
    (moto_unused,) = world["elbv2"].describe_target_health(TargetGroupArn=world["group"], Targets=named)[
        "TargetHealthDescriptions"
    ]
    (fake_unused,) = aws.elbv2.describe_target_health(TargetGroupArn=group, Targets=named)["TargetHealthDescriptions"]
    assert moto_unused["TargetHealth"]["Reason"] == fake_unused["TargetHealth"]["Reason"] == "Target.NotRegistered"
    # The API reference pairs Target.NotRegistered with the state `unused` (TargetHealth), as the fake does; moto
    # says `unavailable` for an address never registered.
    assert fake_unused["TargetHealth"]["State"] == "unused"


def test_a_service_without_surroundings_prepares_with_nothing_to_change(world):
    world["ecs"].create_service(cluster="demo", serviceName="plain", taskDefinition="web", desiredCount=1)
    gateway = EcsGateway(world["ecs"])
    snapshot = gateway.describe("demo", ["plain"])["plain"]
    preparation = gateway.prepare("demo", "plain", snapshot, FastDrain(5))
    assert (preparation.scaling, preparation.delays, preparation.lowered, preparation.notes) == (None, (), (), ())
    assert not preparation.changed_anything
    # a task definition that cannot be read is a note, and `auto` falls back to 300 s
    missing = ServiceSnapshot(
        ACTIVE, desired=1, task_definition="arn:aws:ecs:us-east-1:123456789012:task-definition/x:9"
    )
    unread = gateway.prepare("demo", "plain", missing, None)
    assert unread.stop_timeout_s is None and unread.auto_drain_timeout_s() == 300
    assert len(unread.notes) == 1 and unread.notes[0].startswith("stop timeout unknown: ClientException")


def test_the_handler_tears_down_with_fast_drain_against_moto(world, answers: AnswerEndpoint, event_for):
    edges = Edges(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))
    event = event_for("delete.json", {"Cluster": "demo", "Service": "web", "DeregistrationDelaySeconds": "5"})
    before = len(answers.answers)
    CustomResource(edges).handle(event, LocalContext())
    (answer,) = answers.wait_for(before + 1)[before:]
    assert answer.body["Status"] == "SUCCESS", answer.body.get("Reason")
    # deleted: what was changed around it stays changed (the target group and its scaling go with the stack)
    assert delay_of(world) == "5" and suspended(world) == [True, True, True]
    assert world["ecs"].describe_services(cluster="demo", services=["web"])["services"][0]["status"] == "INACTIVE"


def test_two_services_of_one_request_on_one_group_get_it_lowered_against_moto(
    world, answers: AnswerEndpoint, event_for
):
    world["ecs"].create_service(
        cluster="demo",
        serviceName="api",
        taskDefinition="web",
        desiredCount=1,
        loadBalancers=[{"targetGroupArn": world["group"], "containerName": "web", "containerPort": 80}],
    )
    edges = Edges(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))
    properties = {"Cluster": "demo", "Services": ["web", "api"], "DeregistrationDelaySeconds": "5"}
    before = len(answers.answers)
    CustomResource(edges).handle(event_for("delete.json", properties), LocalContext())
    (answer,) = answers.wait_for(before + 1)[before:]
    assert answer.body["Status"] == "SUCCESS", answer.body.get("Reason")
    assert delay_of(world) == "5", "the group only the request's two services use was lowered"
