"""The fakes keep AWS's API shapes: the same calls against moto's in-process backends (`moto.mock_aws`: ECS,
Application Auto Scaling, ELBv2) and against the fakes (support/fake_aws.py) answer with the same keys and fail
with the same error codes; and whatever the fakes answer validates against botocore's own output shapes.

moto gives the real shapes but no timelines, and it leaves some fields out. Where the fakes and moto differ, the
difference is spelled out below (FAKE_ONLY_*, the divergence tests), each with where the fake's side comes from, and
asserted on moto too: a moto upgrade that changes its side shows up here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator
from moto import mock_aws

from support.fake_aws import FakeAws
from support.fake_ecs import SCALED_ABOVE_ZERO, FakeService, service_model
from support.fake_elbv2 import DELAY_KEY

DIMENSION = "ecs:service:DesiredCount"
MISSING_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef"

# Service fields of the ECS API reference (Service) that moto 5.2 leaves out; the engine reads the last three.
FAKE_ONLY_SERVICE_KEYS = {
    "enableExecuteCommand",
    "deploymentConfiguration",
    "placementConstraints",
    "placementStrategy",
    "enableECSManagedTags",
    "createdAt",
    "resourceManagementType",
    "currentServiceDeployment",  # ECS deployment controller only
}
FAKE_ONLY_TASK_SET_KEYS = {"computedDesiredCount", "runningCount", "pendingCount"}  # TaskSet, ECS API reference
MOTO_ONLY_TASK_SET_KEYS = {"tags"}  # ECS shows a task set's tags only when asked to (include=["TAGS"])
FAKE_ONLY_TASK_DEFINITION_KEYS = {"cpu", "memory", "requiresCompatibilities", "registeredAt"}  # a Fargate one's
FAKE_ONLY_SCALABLE_TARGET_KEYS = {"RoleARN", "SuspendedState"}  # AWS fills both in; moto only echoes what it got


@dataclass
class World:
    """One side: ECS, Application Auto Scaling and ELBv2 clients holding the same services and target group, and a
    way to add more (a test that changes something adds its own, so one moto world serves the whole module)."""

    ecs: Any
    autoscaling: Any
    elbv2: Any
    target_group: str
    add_service: Callable[[str], None]
    add_target_group: Callable[[str], str]

    def client(self, name: str) -> Any:
        return {"ecs": self.ecs, "application-autoscaling": self.autoscaling, "elbv2": self.elbv2}[name]


def _client(name: str) -> Any:
    return boto3.client(name, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def moto() -> Iterator[World]:
    """moto's world, one for the module (it takes about a second to set up)."""
    with mock_aws():
        ecs, elbv2, autoscaling = _client("ecs"), _client("elbv2"), _client("application-autoscaling")
        vpc = _client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

        def add_target_group(name: str) -> str:
            group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
            return str(group["TargetGroups"][0]["TargetGroupArn"])

        target_group = add_target_group("web")
        ecs.create_cluster(clusterName="demo")
        containers = [
            {"name": "app", "image": "nginx", "memory": 512, "stopTimeout": 60},
            {"name": "side", "image": "envoy", "memory": 512},
        ]
        arn = ecs.register_task_definition(family="web", containerDefinitions=containers)["taskDefinition"]
        definition = arn["taskDefinitionArn"]

        def add_service(name: str, **more: Any) -> None:
            ecs.create_service(cluster="demo", serviceName=name, taskDefinition=definition, desiredCount=2, **more)

        add_service(
            "web", loadBalancers=[{"targetGroupArn": target_group, "containerName": "app", "containerPort": 80}]
        )
        add_service("bg", deploymentController={"type": "CODE_DEPLOY"})
        ecs.create_task_set(cluster="demo", service="bg", taskDefinition=definition, externalId="d-ABCDEFGHI")
        autoscaling.register_scalable_target(
            ServiceNamespace="ecs",
            ResourceId="service/demo/web",
            ScalableDimension=DIMENSION,
            MinCapacity=1,
            MaxCapacity=4,
        )
        yield World(ecs, autoscaling, elbv2, target_group, add_service, add_target_group)


@pytest.fixture
def fake() -> World:
    aws = FakeAws()
    containers = (("app", 60), ("side", None))
    web = aws.add_lb_service("web", tasks=2, containers=containers)
    aws.add(FakeService("bg", deployment_controller="CODE_DEPLOY", containers=containers))
    aws.autoscaling.add_target("demo", "web", 1, 4)

    def add_service(name: str) -> None:
        aws.add(FakeService(name, family="web", containers=containers))

    return World(aws.ecs, aws.autoscaling, aws.elbv2, web.target_groups[0], add_service, aws.elbv2.add_target_group)


def keys(answer: dict[str, Any]) -> set[str]:
    return set(answer) - {"ResponseMetadata"}


def outcome(call: Callable[[], dict[str, Any]]) -> tuple[str, str]:
    """("ok", "") or (error code, message)."""
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"]), str(error.response["Error"]["Message"])
    return "ok", ""


# --- the same keys --------------------------------------------------------------------------------------------------


def test_describe_services_answers_with_the_same_keys(moto: World, fake: World) -> None:
    answers = [w.ecs.describe_services(cluster="demo", services=["web", "bg", "nope"]) for w in (moto, fake)]
    assert keys(answers[0]) == keys(answers[1]) == {"services", "failures"}
    (moto_failure,), (fake_failure,) = (a["failures"] for a in answers)
    assert set(moto_failure) == set(fake_failure) and moto_failure["reason"] == fake_failure["reason"] == "MISSING"

    (moto_web, moto_bg), (fake_web, fake_bg) = (a["services"] for a in answers)
    assert set(fake_web) - set(moto_web) == FAKE_ONLY_SERVICE_KEYS and set(moto_web) <= set(fake_web)
    assert set(fake_bg) - set(moto_bg) == FAKE_ONLY_SERVICE_KEYS - {"currentServiceDeployment"}
    assert set(moto_bg) <= set(fake_bg)
    for field in ("schedulingStrategy", "desiredCount", "status", "deploymentController", "serviceName", "serviceArn"):
        assert moto_web[field] == fake_web[field], field
    assert moto_bg["deploymentController"] == fake_bg["deploymentController"] == {"type": "CODE_DEPLOY"}

    (moto_lb,), (fake_lb,) = moto_web["loadBalancers"], fake_web["loadBalancers"]
    assert {k: v for k, v in moto_lb.items() if k != "targetGroupArn"} == {"containerName": "app", "containerPort": 80}
    assert set(moto_lb) == set(fake_lb) and fake_lb["targetGroupArn"] == fake.target_group
    assert [set(d) for d in moto_web["deployments"]] == [set(d) for d in fake_web["deployments"]]
    assert (
        [d["status"] for d in moto_web["deployments"]] == [d["status"] for d in fake_web["deployments"]] == ["PRIMARY"]
    )
    assert moto_web["taskDefinition"] == fake_web["taskDefinition"]

    (moto_set,), (fake_set,) = moto_bg["taskSets"], fake_bg["taskSets"]
    assert set(fake_set) - set(moto_set) == FAKE_ONLY_TASK_SET_KEYS
    assert set(moto_set) - set(fake_set) == MOTO_ONLY_TASK_SET_KEYS
    assert moto_bg["deployments"] == fake_bg["deployments"] == []


def test_describe_task_definition_answers_with_the_same_keys(moto: World, fake: World) -> None:
    answers = [w.ecs.describe_task_definition(taskDefinition="web:1") for w in (moto, fake)]
    assert keys(answers[0]) == keys(answers[1]) == {"taskDefinition"}
    moto_definition, fake_definition = (a["taskDefinition"] for a in answers)
    assert set(fake_definition) - set(moto_definition) == FAKE_ONLY_TASK_DEFINITION_KEYS
    assert set(moto_definition) <= set(fake_definition)
    assert moto_definition["taskDefinitionArn"] == fake_definition["taskDefinitionArn"]
    moto_containers, fake_containers = moto_definition["containerDefinitions"], fake_definition["containerDefinitions"]
    assert [set(c) for c in moto_containers] == [set(c) for c in fake_containers]  # stopTimeout only where set
    assert (
        [c.get("stopTimeout") for c in moto_containers] == [c.get("stopTimeout") for c in fake_containers] == [60, None]
    )


def test_list_services_answers_with_the_same_services(moto: World, fake: World) -> None:
    moto_answer = moto.ecs.list_services(cluster="demo", maxResults=1)
    fake_pages = list(
        fake.ecs.get_paginator("list_services").paginate(cluster="demo", PaginationConfig={"PageSize": 1})
    )
    assert keys(moto_answer) == {"serviceArns"} and all(
        keys(page) <= {"serviceArns", "nextToken"} for page in fake_pages
    )
    fake_arns = {arn for page in fake_pages for arn in page["serviceArns"]}
    assert len(fake_pages) == 2 and fake_arns == {
        f"arn:aws:ecs:us-east-1:123456789012:service/demo/{n}" for n in ("web", "bg")
    }
    assert fake_arns <= set(moto_answer["serviceArns"])  # the same ARNs (moto's may hold other tests' services)


def test_scalable_targets_answer_with_the_same_keys_and_update_alike(moto: World, fake: World) -> None:
    target = {"ServiceNamespace": "ecs", "ResourceId": "service/demo/scaled", "ScalableDimension": DIMENSION}
    for world in (moto, fake):
        world.add_service("scaled")
        world.autoscaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4)
        answer = world.autoscaling.register_scalable_target(
            **target, SuspendedState={"DynamicScalingOutSuspended": True}
        )
        assert keys(answer) == {"ScalableTargetARN"}
        world.autoscaling.register_scalable_target(**target, MaxCapacity=6)
    answers = [
        w.autoscaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/demo/scaled"])
        for w in (moto, fake)
    ]
    assert keys(answers[0]) == keys(answers[1]) == {"ScalableTargets"}
    (moto_target,), (fake_target,) = (a["ScalableTargets"] for a in answers)
    assert set(fake_target) - set(moto_target) == FAKE_ONLY_SCALABLE_TARGET_KEYS - set(moto_target)
    assert set(moto_target) <= set(fake_target)
    for field in ("ServiceNamespace", "ResourceId", "ScalableDimension", "MinCapacity", "MaxCapacity"):
        assert moto_target[field] == fake_target[field], field  # what was not given stayed as it was
    assert (fake_target["MinCapacity"], fake_target["MaxCapacity"]) == (1, 6)
    assert (
        moto_target["SuspendedState"]["DynamicScalingOutSuspended"]
        is fake_target["SuspendedState"]["DynamicScalingOutSuspended"]
        is True
    )


def test_target_group_attributes_answer_with_the_same_keys(moto: World, fake: World) -> None:
    answers = [w.elbv2.describe_target_group_attributes(TargetGroupArn=w.target_group) for w in (moto, fake)]
    assert keys(answers[0]) == keys(answers[1]) == {"Attributes"}
    moto_attributes, fake_attributes = ({a["Key"]: a["Value"] for a in answer["Attributes"]} for answer in answers)
    assert all(set(a) == {"Key", "Value"} for answer in answers for a in answer["Attributes"])
    assert set(moto_attributes) <= set(fake_attributes)
    assert moto_attributes[DELAY_KEY] == fake_attributes[DELAY_KEY] == "300"
    for world in (moto, fake):
        group = world.add_target_group("attributes")
        change = [{"Key": DELAY_KEY, "Value": "15"}]
        answer = world.elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=change)
        assert keys(answer) == {"Attributes"} and {"Key": DELAY_KEY, "Value": "15"} in answer["Attributes"]
        after = world.elbv2.describe_target_group_attributes(TargetGroupArn=group)["Attributes"]
        assert {"Key": DELAY_KEY, "Value": "15"} in after


# --- the same errors ------------------------------------------------------------------------------------------------

SAME_ERRORS: list[tuple[str, str, str, Callable[[World], dict[str, Any]], str]] = [
    (
        "cluster-missing",
        "ecs",
        "describe_services",
        lambda w: {"cluster": "nope", "services": ["web"]},
        "ClusterNotFoundException",
    ),
    ("list-cluster-missing", "ecs", "list_services", lambda w: {"cluster": "nope"}, "ClusterNotFoundException"),
    ("definition-missing", "ecs", "describe_task_definition", lambda w: {"taskDefinition": "web:9"}, "ClientException"),
    (
        "delete-missing",
        "ecs",
        "delete_service",
        lambda w: {"cluster": "demo", "service": "nope"},
        "ServiceNotFoundException",
    ),
    (
        "delete-scaled",
        "ecs",
        "delete_service",
        lambda w: {"cluster": "demo", "service": "web"},
        "InvalidParameterException",
    ),
    (
        "register-unknown-service",
        "application-autoscaling",
        "register_scalable_target",
        lambda w: {
            "ServiceNamespace": "ecs",
            "ResourceId": "service/demo/nope",
            "ScalableDimension": DIMENSION,
            "MinCapacity": 0,
            "MaxCapacity": 1,
        },
        "ValidationException",
    ),
    (
        "group-missing",
        "elbv2",
        "describe_target_group_attributes",
        lambda w: {"TargetGroupArn": MISSING_GROUP},
        "TargetGroupNotFound",
    ),
    (
        "modify-group-missing",
        "elbv2",
        "modify_target_group_attributes",
        lambda w: {"TargetGroupArn": MISSING_GROUP, "Attributes": [{"Key": DELAY_KEY, "Value": "5"}]},
        "TargetGroupNotFound",
    ),
    (
        "delay-too-long",
        "elbv2",
        "modify_target_group_attributes",
        lambda w: {"TargetGroupArn": w.target_group, "Attributes": [{"Key": DELAY_KEY, "Value": "4000"}]},
        "ValidationError",
    ),
    (
        "delay-negative",
        "elbv2",
        "modify_target_group_attributes",
        lambda w: {"TargetGroupArn": w.target_group, "Attributes": [{"Key": DELAY_KEY, "Value": "-1"}]},
        "ValidationError",
    ),
]


@pytest.mark.parametrize(
    ("client", "method", "arguments", "expected"),
    [case[1:] for case in SAME_ERRORS],
    ids=[case[0] for case in SAME_ERRORS],
)
def test_the_same_failing_calls_fail_with_the_same_codes(moto, fake, client, method, arguments, expected) -> None:
    moto_code, moto_message = outcome(lambda: getattr(moto.client(client), method)(**arguments(moto)))
    fake_code, fake_message = outcome(lambda: getattr(fake.client(client), method)(**arguments(fake)))
    assert moto_code == fake_code == expected
    if method in ("modify_target_group_attributes", "describe_task_definition") or moto_message == SCALED_ABOVE_ZERO:
        assert moto_message == fake_message  # where moto copies AWS's words, so do the fakes


def test_known_divergences_each_side_as_it_stands(moto: World, fake: World) -> None:
    """moto's answer and the fake's, where they differ; the fake follows AWS's documentation and models."""
    missing = {"ServiceNamespace": "ecs", "ResourceId": "service/demo/unscaled", "ScalableDimension": DIMENSION}
    groups = []
    for world in (moto, fake):
        world.add_service("unscaled")
        groups.append(world.add_target_group("divergent"))
    # DeregisterScalableTarget of an unknown target: the model lists ObjectNotFoundException for it
    assert [outcome(lambda w=w: w.autoscaling.deregister_scalable_target(**missing))[0] for w in (moto, fake)] == [
        "ValidationException",
        "ObjectNotFoundException",
    ]
    # a new target without MinCapacity/MaxCapacity: "This property is required when registering a new scalable target"
    assert [outcome(lambda w=w: w.autoscaling.register_scalable_target(**missing))[0] for w in (moto, fake)] == [
        "ok",
        "ValidationException",
    ]
    # an attribute key the target group does not have, and the delay's upper bound ("The range is 0-3600 seconds")
    for attribute, expected in (
        ({"Key": "no.such.key", "Value": "1"}, ["ok", "ValidationError"]),
        ({"Key": DELAY_KEY, "Value": "3600"}, ["ValidationError", "ok"]),
    ):
        answers = [
            outcome(
                lambda w=w, g=g, a=attribute: w.elbv2.modify_target_group_attributes(TargetGroupArn=g, Attributes=[a])
            )[0]
            for w, g in zip((moto, fake), groups, strict=True)
        ]
        assert answers == expected, attribute
    # ListServices pages at maxResults (ECS API reference); moto answers everything at once
    assert len(moto.ecs.list_services(cluster="demo", maxResults=1)["serviceArns"]) > 1
    assert len(fake.ecs.list_services(cluster="demo", maxResults=1)["serviceArns"]) == 1


# --- the fakes' answers fit botocore's output shapes ------------------------------------------------------------------


def fake_answers() -> Iterator[tuple[str, str, dict[str, Any]]]:
    aws = FakeAws()
    aws.add_lb_service("web", containers=(("app", 60),), rollout_s=float("inf"))
    aws.add(FakeService("bg", deployment_controller="CODE_DEPLOY", rollout_s=100.0, containers=(("app", None),)))
    aws.add(FakeService("ext", deployment_controller="EXTERNAL", resource_management="ECS"))
    aws.autoscaling.add_target("demo", "web", 1, 4)
    described = aws.ecs.describe_services(cluster="demo", services=["web", "bg", "ext", "nope"], include=["TAGS"])
    yield "ecs", "DescribeServices", described
    deployment = described["services"][0]["currentServiceDeployment"]
    yield "ecs", "ListServices", aws.ecs.list_services(cluster="demo", maxResults=1)
    yield "ecs", "DescribeTaskDefinition", aws.ecs.describe_task_definition(taskDefinition="web:2", include=["TAGS"])
    yield "ecs", "UpdateService", aws.ecs.update_service(cluster="demo", service="web", desiredCount=0)
    yield (
        "ecs",
        "StopServiceDeployment",
        aws.ecs.stop_service_deployment(serviceDeploymentArn=deployment, stopType="ROLLBACK"),
    )
    yield (
        "ecs",
        "DescribeServiceDeployments",
        aws.ecs.describe_service_deployments(serviceDeploymentArns=[deployment, "x"]),
    )
    yield "ecs", "DeleteService", aws.ecs.delete_service(cluster="demo", service="web", force=True)
    yield (
        "ecs",
        "DeleteExpressGatewayService",
        aws.ecs.delete_express_gateway_service(serviceArn=described["services"][2]["serviceArn"]),
    )
    target = {"ServiceNamespace": "ecs", "ResourceId": "service/demo/web", "ScalableDimension": DIMENSION}
    yield (
        "application-autoscaling",
        "DescribeScalableTargets",
        aws.autoscaling.describe_scalable_targets(ServiceNamespace="ecs"),
    )
    yield (
        "application-autoscaling",
        "RegisterScalableTarget",
        aws.autoscaling.register_scalable_target(**target, MinCapacity=0),
    )
    yield "application-autoscaling", "DeregisterScalableTarget", aws.autoscaling.deregister_scalable_target(**target)
    group = aws.ecs.services[("demo", "web")].target_groups[0]
    yield "elbv2", "DescribeTargetGroupAttributes", aws.elbv2.describe_target_group_attributes(TargetGroupArn=group)
    change = [{"Key": DELAY_KEY, "Value": "0"}]
    yield (
        "elbv2",
        "ModifyTargetGroupAttributes",
        aws.elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=change),
    )


def test_every_fake_answer_fits_botocore_output_shape() -> None:
    seen = set()
    for service, operation, answer in fake_answers():
        shape = service_model(service).operation_model(operation).output_shape
        report = ParamValidator().validate(answer, shape)
        assert not report.has_errors(), f"{service} {operation}: {report.generate_report()}"
        seen.add(operation)
    assert len(seen) == 13
