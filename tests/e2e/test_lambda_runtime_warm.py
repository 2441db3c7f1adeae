"""A warm execution environment under awslambdaric: what one request learned around its services must not decide the
next request's. The built function keeps its gateway (and its boto3 clients) for the life of the process, so the
second Delete below runs in the same Python process as the first, a few seconds later, as Lambda would run it.

AWS is moto's server over HTTP: ECS, ELBv2 (target groups, their delay and targets' health) and CloudFormation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from ecs_teardown.aws.surroundings import DELAY_KEY
from ecs_teardown_tools.local import AnswerEndpoint
from support.built_function import REGION, STACK_TEMPLATE, WAIT_S, answer_to, set_stack_status
from support.runtime_api import RuntimeProcess

FAST_DRAIN = "5"  # DeregistrationDelaySeconds of both requests
DEFAULT_DELAY = "300"  # ELBv2's default deregistration delay


@dataclass
class Cluster:
    ecs: Any
    elbv2: Any
    vpc: str

    def group(self, name: str) -> str:
        """A target group with two healthy targets (moto registers none for a service), at the default delay."""
        made = self.elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=self.vpc, TargetType="ip")
        arn = str(made["TargetGroups"][0]["TargetGroupArn"])
        self.elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.0.1.7"}, {"Id": "10.0.2.9"}])
        return arn

    def service(self, name: str, group: str) -> None:
        balancer = {"targetGroupArn": group, "containerName": "web", "containerPort": 80}
        self.ecs.create_service(
            cluster="demo", serviceName=name, taskDefinition="web", desiredCount=1, loadBalancers=[balancer]
        )

    def delay_of(self, group: str) -> str:
        attributes = self.elbv2.describe_target_group_attributes(TargetGroupArn=group)["Attributes"]
        return str({a["Key"]: a["Value"] for a in attributes}[DELAY_KEY])

    def status_and_desired(self, name: str) -> tuple[str, int]:
        (found,) = self.ecs.describe_services(cluster="demo", services=[name])["services"]
        return str(found["status"]), int(found["desiredCount"])


@pytest.fixture
def cluster(moto_url: str) -> Cluster:
    ecs = boto3.client("ecs", endpoint_url=moto_url, region_name=REGION)
    elbv2 = boto3.client("elbv2", endpoint_url=moto_url, region_name=REGION)
    ec2 = boto3.client("ec2", endpoint_url=moto_url, region_name=REGION)
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    return Cluster(ecs, elbv2, ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"])


def delete(
    runtime: RuntimeProcess,
    answers: AnswerEndpoint,
    event: dict[str, Any],
) -> dict[str, Any]:
    invocation = runtime.invoke(event, wait_s=WAIT_S)
    assert invocation.outcome == "response", invocation.payload
    assert event["RequestId"] in invocation.probe_at_result  # answered before the handler returned
    return answer_to(answers, event)


def test_a_service_made_between_two_requests_keeps_the_delay_of_the_group_it_shares(
    runtime: RuntimeProcess,
    cluster: Cluster,
    moto_url: str,
    answers: AnswerEndpoint,
    event_for: Callable[..., dict[str, Any]],
) -> None:
    """Request 1 tears down `web` with a fast drain and reads the cluster's services (web alone). Seconds later, in
    the same process, a new stack has made `api` and `batch` on one target group, and request 2 tears down `api`
    with a fast drain. `batch` is live on the group: its delay must stay as it is, whatever request 1 read."""
    cloudformation = boto3.client("cloudformation", endpoint_url=moto_url, region_name=REGION)
    first_stack = cloudformation.create_stack(StackName="first", TemplateBody=STACK_TEMPLATE)["StackId"]
    second_stack = cloudformation.create_stack(StackName="second", TemplateBody=STACK_TEMPLATE)["StackId"]
    set_stack_status(cloudformation, first_stack, "DELETE_IN_PROGRESS")
    set_stack_status(cloudformation, second_stack, "DELETE_IN_PROGRESS")
    web_group = cluster.group("web")
    cluster.service("web", web_group)

    first = event_for(
        "delete.json",
        {"Cluster": "demo", "Service": "web", "DeregistrationDelaySeconds": FAST_DRAIN},
        StackId=first_stack,
        RequestId="first-request",
    )
    answer = delete(runtime, answers, first)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert cluster.delay_of(web_group) == FAST_DRAIN, "web alone used its group: lowered"
    assert cluster.status_and_desired("web")[0] == "INACTIVE"

    shared_group = cluster.group("shared")
    cluster.service("api", shared_group)
    cluster.service("batch", shared_group)
    second = event_for(
        "delete.json",
        {"Cluster": "demo", "Service": "api", "DeregistrationDelaySeconds": FAST_DRAIN},
        StackId=second_stack,
        RequestId="second-request",
    )
    answer = delete(runtime, answers, second)

    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert cluster.status_and_desired("api")[0] == "INACTIVE"
    assert cluster.delay_of(shared_group) == DEFAULT_DELAY, "batch still uses the group: its delay is untouched"
    assert cluster.status_and_desired("batch") == ("ACTIVE", 1)
    assert runtime.api.next_calls == 3 and runtime.api.init_errors == []  # one process took both requests
