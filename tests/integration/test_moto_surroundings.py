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

    preparation = gateway.prepare("demo", "web", snapshot, lower_delay_to=5)

    assert preparation.notes == ()
    assert preparation.stop_timeout_s == 45
    assert preparation.delays == ((world["group"], 300),) and preparation.lowered == ((world["group"], 5),)
    assert preparation.suspended and preparation.scaling is not None and not preparation.scaling.fully_suspended
    assert delay_of(world) == "5" and suspended(world) == [True, True, True]
    assert preparation.auto_drain_timeout_s() == 5 + 45 + 60

    assert gateway.restore("demo", "web", preparation) == []
    assert delay_of(world) == "300" and suspended(world) == [False, False, False]
    assert gateway.calls["describe_task_definition"] == 1 and gateway.calls["list_services"] == 1


def test_a_service_without_surroundings_prepares_with_nothing_to_change(world):
    world["ecs"].create_service(cluster="demo", serviceName="plain", taskDefinition="web", desiredCount=1)
    gateway = EcsGateway(world["ecs"])
    snapshot = gateway.describe("demo", ["plain"])["plain"]
    preparation = gateway.prepare("demo", "plain", snapshot, lower_delay_to=5)
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
