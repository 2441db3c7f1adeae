"""End to end through moto's CloudFormation engine: stacks are created with CreateStack, and moto's own `Custom::`
resource path invokes the real Lambda handler (`CustomResource.handle`, as app.py builds it), which answers to moto over HTTPS; no Docker, no network.

Two stacks, as a deployment has them: a function stack (an `AWS::Lambda::Function` whose dummy code moto never
runs, exporting its ARN as the ServiceToken) and a consumer stack (an ECS cluster, a task definition, services A
and B, and a `Custom::EcsServiceTeardown` whose ServiceToken is `Fn::ImportValue` of that export, with Cluster and
Service from `Ref` and `Fn::GetAtt`, and an Output `Fn::GetAtt [Teardown, ServiceArn]`).
tests/support/moto_cloudformation.py says how moto is adapted (TLS, the ResponseURL's host, the Lambda run).

What this proves: moto's engine resolves the intrinsic functions into the ResourceProperties our handler gets,
the handler reaches moto's ECS and CloudFormation APIs through AWS_ENDPOINT_URL, its Create answer is accepted by
moto (the stack reaches CREATE_COMPLETE) and its Data feeds `Fn::GetAtt` in the stack's Outputs.

What moto (5.2.5) does NOT check that real CloudFormation does (read in its cloudformation/parsing.py,
custom_model.py, responses.py), so these tests check it themselves or leave it to other suites:
- moto sends Create only, and invokes Lambda only through Docker (the adapter runs the handler in-process).
  It never sends Update: UpdateStack drops a modified custom resource from its resource map (CustomModel has no
  update) without invoking anything. It never sends Delete: DeleteStack and a resource removed from the template
  delete nothing for a custom resource. So the tests send Update and Delete themselves, shaped as CloudFormation's,
  and write the stack status CloudFormation would show during them (UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS,
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) into moto's backend, where the handler's DescribeStacks reads it.
- moto acts only on Status SUCCESS: a FAILED answer leaves the stack CREATE_IN_PROGRESS forever (no rollback, so
  no Delete after a failed Create either, and no ROLLBACK_IN_PROGRESS status), and it never reads Reason.
- moto ignores the answer's PhysicalResourceId: it neither requires it (non-empty, at most 1 KB) nor keeps it
  (DescribeStackResources shows moto's own generated name, e.g. `shop-Teardown-ANASS4Z0GRTI`), nor checks that
  every answer for a resource carries the same id, nor treats a changed id on Update as a replacement (with a
  cleanup Delete of the old id). The adapter records the answer moto received so the tests can check the id.
- moto does not enforce the 4096-byte answer body, the ServiceTimeout (it waits forever for an answer), the
  presigned S3 ResponseURL (its URL is plain, unsigned, no X-Amz-Date or expiry), nor one answer per request.
- moto passes ResourceProperties as the template wrote them (a number stays a number); CloudFormation sends
  strings, so the templates here write strings.
- moto reads an Output the first time DescribeStacks asks and keeps it: asked before the answer, a GetAtt of the
  custom resource stays empty; nor does it re-read Data after an Update. The tests read the stack only after the
  handler has answered.
- moto's DescribeStacks finds a stack only while moto keeps its record; real CloudFormation finds its own stacks
  by id even when deleted, so "cannot read the stack" there means AccessDenied or throttling.
- moto's ECS has no timelines (no tasks drain, DeleteService makes a service INACTIVE at once): the drain and
  its timing are the functional and reliability suites' job.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.core.polling import PollPolicy
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext
from support.moto_cloudformation import CustomResourceBridge, Invocation, TlsMotoServer
from support.moto_stacks import stack_in_moto_shows

# DescribeStacks goes to moto's server through boto3, not to conftest's in-process stand-in.
pytestmark = pytest.mark.real_stacks

REGION = "us-east-1"
FUNCTION_STACK = "ecs-teardown"
CONSUMER_STACK = "shop"
CLUSTER = "shop-cluster"
SERVICE_A = "web-a"
SERVICE_B = "web-b"
DESIRED = 2
# moto's ECS has nothing to drain: poll quickly so a teardown takes milliseconds of real time, not the defaults' 8 s.
QUICK = PollPolicy(fast_s=0.05, settle_s=0.05, imminent_cap_s=0.1, slow_cap_s=0.2, growth=2.0)

FUNCTION_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            },
        },
        "Function": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "python3.13",
                "Handler": "app.lambda_handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Timeout": 120,
                # moto never runs this: the bridge runs the real handler in its place.
                "Code": {"ZipFile": "def lambda_handler(event, context):\n    raise RuntimeError('not this code')\n"},
            },
        },
    },
    "Outputs": {
        "ServiceToken": {
            "Value": {"Fn::GetAtt": ["Function", "Arn"]},
            "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-ServiceToken"}},
        }
    },
}


def service_resource(name: str) -> dict[str, Any]:
    return {
        "Type": "AWS::ECS::Service",
        "Properties": {
            "ServiceName": name,
            "Cluster": {"Ref": "Cluster"},
            "TaskDefinition": {"Ref": "TaskDefinition"},
            "DesiredCount": DESIRED,
            "LaunchType": "FARGATE",
        },
    }


CONSUMER_TEMPLATE = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"TeardownStackName": {"Type": "String", "Default": FUNCTION_STACK}},
    "Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": CLUSTER}},
        "TaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "shop-web",
                "ContainerDefinitions": [
                    {"Name": "web", "Image": "public.ecr.aws/nginx/nginx:stable", "Memory": 512, "Essential": True}
                ],
            },
        },
        "ServiceA": service_resource(SERVICE_A),
        "ServiceB": service_resource(SERVICE_B),
        "Teardown": {
            "Type": "Custom::EcsServiceTeardown",
            # Last in moto's creation order, so its answer cannot race moto's creation of other resources.
            "DependsOn": ["ServiceA", "ServiceB"],
            "Properties": {
                "ServiceToken": {"Fn::ImportValue": {"Fn::Sub": "${TeardownStackName}-ServiceToken"}},
                # Strings, as CloudFormation sends them (moto would pass numbers through). A short budget bounds
                # the test: a teardown that never ends answers FAILED within 60 s, not the default hour.
                "ServiceTimeout": "60",
                "Cluster": {"Ref": "Cluster"},
                "Service": {"Fn::GetAtt": ["ServiceA", "Name"]},
                "DrainTimeoutSeconds": "30",
                "ForceDelete": "auto",
            },
        },
    },
    "Outputs": {"TornDownBy": {"Value": {"Fn::GetAtt": ["Teardown", "ServiceArn"]}}},
}


@pytest.fixture
def tls_moto(answers: AnswerEndpoint) -> Iterator[TlsMotoServer]:
    """moto over HTTPS on 127.0.0.1, with a clean account.

    It serves the answer endpoint's own certificate (make_self_signed_cert writes key.pem beside cert.pem): two
    such certificates share one subject name, and OpenSSL, given both in one CA file, checks a server's
    certificate against the first one of that name only. One certificate, one CA file for both endpoints."""
    key_path = Path(answers.cert_path).with_name("key.pem")
    assert key_path.is_file(), f"no key beside {answers.cert_path}"
    with TlsMotoServer(answers.cert_path, str(key_path)) as server:
        server.reset()  # moto's backends live in this process and outlive a server: empty them
        yield server


@dataclass
class World:
    """The two stacks, created to CREATE_COMPLETE by moto's engine with the handler answering the Create."""

    bridge: CustomResourceBridge
    answers: AnswerEndpoint
    handovers: list[dict[str, Any]]
    cloudformation: Any
    ecs: Any
    function_arn: str
    stack_id: str
    create: Invocation  # the Create event moto sent, as the handler received it
    create_answer: dict[str, Any]  # the body the handler PUT to moto for it

    def set_stack_status(self, status: str) -> None:
        """What DescribeStacks shows during a request CloudFormation would send (moto never sends it)."""
        stack_in_moto_shows(self.stack_id, status, REGION)

    def forget_stack(self) -> None:
        """Drop moto's record of the consumer stack, so that DescribeStacks on its id fails."""
        from moto.cloudformation.models import cloudformation_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        backend = cloudformation_backends[DEFAULT_ACCOUNT_ID][REGION]
        assert backend.stacks.pop(self.stack_id, None) is not None
        backend.deleted_stacks.pop(self.stack_id, None)

    def stack(self) -> dict[str, Any]:
        stack: dict[str, Any] = self.cloudformation.describe_stacks(StackName=self.stack_id)["Stacks"][0]
        return stack

    def service(self, name: str) -> dict[str, Any]:
        """The service as ECS describes it; {'status': 'MISSING'} once it is gone."""
        found = self.ecs.describe_services(cluster=CLUSTER, services=[name])
        if found["services"]:
            service: dict[str, Any] = found["services"][0]
            return service
        return {"status": "MISSING"}

    def send(self, request_type: str, properties: dict[str, Any], **fields: Any) -> dict[str, Any]:
        """Send a request as CloudFormation would (moto never sends Update or Delete); return the one answer.

        Shaped like CloudFormation's: a fresh RequestId, a presigned-looking ResponseURL signed now (to the local
        answer endpoint: moto's cfnresponse would mark the stack CREATE_COMPLETE again), the consumer stack's real
        StackId, the PhysicalResourceId of the Create's answer, the ServiceToken.
        """
        request_id = str(uuid.uuid4())
        event = {
            "RequestType": request_type,
            "ServiceToken": self.function_arn,
            "ResponseURL": self.answers.url(request_id, signed_at=time.time()),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": "Teardown",
            "ResourceType": "Custom::EcsServiceTeardown",
            "PhysicalResourceId": self.create_answer["PhysicalResourceId"],
            "ResourceProperties": properties,
        }
        event.update(fields)
        event = {key: value for key, value in event.items() if value is not None}
        before = len(self.answers.answers)
        self.bridge.handle(event)
        received = self.answers.wait_for(before + 1, timeout_s=10.0)
        assert len(received) == before + 1, f"the {request_type} got no answer"
        answer = received[-1]
        assert len(answer.raw) <= 4096, "CloudFormation refuses an answer over 4096 bytes (moto does not)"
        assert answer.body["RequestId"] == request_id and answer.body["StackId"] == event["StackId"]
        return answer.body

    def properties(self, **changes: str) -> dict[str, Any]:
        """The Create's ResourceProperties (as moto resolved them), with changes."""
        return {**self.create.event["ResourceProperties"], **changes}


@pytest.fixture
def world(tls_moto: TlsMotoServer, answers: AnswerEndpoint, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("SSL_CERT_FILE", answers.cert_path)  # the handler's answer PUT (ssl.create_default_context)
    monkeypatch.setenv("AWS_CA_BUNDLE", answers.cert_path)  # boto3 (botocore ignores SSL_CERT_FILE)
    monkeypatch.setenv("AWS_ENDPOINT_URL", tls_moto.url)  # the handler's boto3 clients reach moto
    monkeypatch.setenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", "true")
    handovers: list[dict[str, Any]] = []
    # A fresh function: its ECS client is built from this environment (never a shared one built earlier).
    function = CustomResource(Edges(poll_policy=QUICK, hand_over=handovers.append))

    cloudformation = boto3.client("cloudformation", region_name=REGION)
    ecs = boto3.client("ecs", region_name=REGION)

    # The function stack: moto creates the function (it would run its code only in Docker).
    cloudformation.create_stack(StackName=FUNCTION_STACK, TemplateBody=json.dumps(FUNCTION_TEMPLATE))
    function_stack = cloudformation.describe_stacks(StackName=FUNCTION_STACK)["Stacks"][0]
    assert function_stack["StackStatus"] == "CREATE_COMPLETE"
    function_arn = next(o["OutputValue"] for o in function_stack["Outputs"] if o["OutputKey"] == "ServiceToken")
    configuration = boto3.client("lambda", region_name=REGION).get_function_configuration(FunctionName=function_arn)

    def make_context() -> LocalContext:
        # The context Lambda would pass that function: its own ARN (the handler's partition, region, account) and
        # its configured Timeout as the time left.
        return LocalContext(
            timeout_s=float(configuration["Timeout"]), function_name=configuration["FunctionName"], region=REGION
        )

    bridge = CustomResourceBridge(tls_moto, monkeypatch, make_context, function.handle)
    bridge.install()
    bridge.attach(function_arn, REGION)

    # The consumer stack: moto resolves ImportValue/Ref/GetAtt, sends the Create (in a thread of its own) and
    # waits for the answer PUT to its ResponseURL. CloudFormation would also give up after ServiceTimeout; moto
    # waits forever, so the wait is bounded here.
    stack_id = cloudformation.create_stack(StackName=CONSUMER_STACK, TemplateBody=json.dumps(CONSUMER_TEMPLATE))[
        "StackId"
    ]
    invocations = bridge.wait_for_invocations(1, timeout_s=15.0)
    assert len(invocations) == 1, "moto did not invoke the ServiceToken's function for the custom resource"
    assert not invocations[0].error, invocations[0].error
    assert len(bridge.received) == 1, "the handler's Create answer did not reach moto"
    return World(
        bridge=bridge,
        answers=answers,
        handovers=handovers,
        cloudformation=cloudformation,
        ecs=ecs,
        function_arn=function_arn,
        stack_id=stack_id,
        create=invocations[0],
        create_answer=bridge.received[0].body,
    )


def _arn_of(world: World, name: str) -> str:
    arn: str = world.service(name)["serviceArn"]
    return arn


def test_create_through_moto_reaches_create_complete_with_the_getatt_output(world: World) -> None:
    event = world.create.event
    # moto's own Create event, resolved by its engine: our handler saw what a template author wrote, resolved.
    assert event["RequestType"] == "Create"
    assert event["StackId"] == world.stack_id and event["LogicalResourceId"] == "Teardown"
    assert event["ResponseURL"].startswith(f"https://127.0.0.1:{world.bridge.server.port}/cloudformation_{REGION}/")
    properties = event["ResourceProperties"]
    assert properties["ServiceToken"] == world.function_arn  # Fn::ImportValue of the function stack's export
    assert properties["Cluster"] == CLUSTER and properties["Service"] == SERVICE_A  # Ref, Fn::GetAtt

    # The answer as moto received it. moto checks only Status == SUCCESS; the rest is checked here.
    answer, raw = world.create_answer, world.bridge.received[0].raw
    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert len(raw) <= 4096  # CloudFormation's limit; moto takes any size
    assert answer["RequestId"] == event["RequestId"] and answer["LogicalResourceId"] == "Teardown"
    physical_id = answer["PhysicalResourceId"]
    # Derived from the request (stack and logical id), not the target: an Update re-pointing it keeps it.
    # moto neither checks nor keeps this id.
    assert physical_id.startswith("ecs-teardown/"), physical_id
    assert 0 < len(physical_id.encode()) <= 1024
    service_a = _arn_of(world, SERVICE_A)
    assert answer["Data"]["ServiceArn"] == service_a

    # moto marked the stack CREATE_COMPLETE on that answer and resolved Fn::GetAtt [Teardown, ServiceArn] from Data.
    stack = world.stack()
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["TornDownBy"] == service_a

    # Stable: the same request delivered again (Lambda delivers at least once) answers the same id.
    # moto never re-delivers; CloudFormation requires every answer for a resource to carry one id.
    again = world.send("Create", properties, PhysicalResourceId=None)
    assert again["Status"] == "SUCCESS", again.get("Reason")
    assert again["PhysicalResourceId"] == physical_id
    # Create touched nothing in ECS.
    assert world.service(SERVICE_A)["status"] == "ACTIVE" and world.service(SERVICE_A)["desiredCount"] == DESIRED
    assert world.handovers == []


def test_update_repointing_the_service_keeps_the_id_and_answers_the_new_target(world: World) -> None:
    # moto never sends an Update (UpdateStack leaves a custom resource alone): sent here as CloudFormation would,
    # while the stack shows UPDATE_IN_PROGRESS.
    world.set_stack_status("UPDATE_IN_PROGRESS")
    old = world.properties()
    answer = world.send("Update", world.properties(Service=SERVICE_B), OldResourceProperties=old)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    # The same id: CloudFormation would take a new one as a replacement and later send a Delete for the old id,
    # tearing down the service just un-targeted. moto would accept any id here.
    assert answer["PhysicalResourceId"] == world.create_answer["PhysicalResourceId"]
    assert answer["Data"]["ServiceArn"] == _arn_of(world, SERVICE_B)
    assert answer["Data"]["ServiceArn"] != world.create_answer["Data"]["ServiceArn"]
    # An Update tears nothing down: both services are as the stack made them.
    for name in (SERVICE_A, SERVICE_B):
        service = world.service(name)
        assert (service["status"], service["desiredCount"]) == ("ACTIVE", DESIRED), name
    assert world.handovers == []


def test_delete_during_update_cleanup_leaves_the_service_alone(world: World) -> None:
    # The resource was removed from the template (or replaced): CloudFormation's cleanup phase sends a Delete
    # while the stack shows UPDATE_COMPLETE_CLEANUP_IN_PROGRESS. moto never sends this Delete.
    world.set_stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    answer = world.send("Delete", world.properties())

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert answer["PhysicalResourceId"] == world.create_answer["PhysicalResourceId"]
    service = world.service(SERVICE_A)
    assert (service["status"], service["desiredCount"]) == ("ACTIVE", DESIRED), (
        "a removed resource tore its service down"
    )
    assert world.handovers == []


def test_delete_during_update_cleanup_tears_down_when_told_to(world: World) -> None:
    # The opt-in: TeardownOnRemoval "true" (a string, as CloudFormation sends it) tears down on removal too.
    world.set_stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    answer = world.send("Delete", world.properties(TeardownOnRemoval="true"))

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert world.service(SERVICE_A)["status"] in ("INACTIVE", "MISSING")
    assert world.service(SERVICE_B)["status"] == "ACTIVE"  # only the target
    assert world.handovers == []


def test_delete_during_stack_delete_tears_the_service_down(world: World) -> None:
    # DeleteStack: CloudFormation sends the Delete while the stack shows DELETE_IN_PROGRESS. moto's DeleteStack
    # would delete the stack without ever invoking the function, so the Delete is sent here first.
    world.set_stack_status("DELETE_IN_PROGRESS")
    answer = world.send("Delete", world.properties())
    service_a = _arn_of(world, SERVICE_A)

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert answer["PhysicalResourceId"] == world.create_answer["PhysicalResourceId"]
    assert world.service(SERVICE_A)["status"] in ("INACTIVE", "MISSING")
    assert world.service(SERVICE_B)["status"] == "ACTIVE"  # only the target
    assert world.handovers == []

    # Then moto's own DeleteStack: it completes without a single further invocation (it never sends Delete), and
    # its ECS delete of the already INACTIVE service does not bring it back.
    world.cloudformation.delete_stack(StackName=world.stack_id)
    assert world.stack()["StackStatus"] == "DELETE_COMPLETE"
    assert len(world.bridge.invocations) == 1
    assert world.service(SERVICE_A).get("serviceArn", service_a) == service_a
    assert world.service(SERVICE_A)["status"] in ("INACTIVE", "MISSING")


def test_delete_during_create_rollback_tears_the_service_down(world: World) -> None:
    # Another resource failed after this one was created: CloudFormation rolls the creation back and sends the
    # Delete while the stack shows ROLLBACK_IN_PROGRESS. moto never rolls back (nor sends this Delete).
    world.set_stack_status("ROLLBACK_IN_PROGRESS")
    answer = world.send("Delete", world.properties())

    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert world.service(SERVICE_A)["status"] in ("INACTIVE", "MISSING")
    assert world.service(SERVICE_B)["status"] == "ACTIVE"
    assert world.handovers == []


def test_delete_when_the_stack_cannot_be_read_fails_and_touches_nothing(world: World) -> None:
    # DescribeStacks on the event's StackId fails: which operation sent the Delete is unknown, so the answer is
    # FAILED and the service is left as it is. Real CloudFormation finds its own stacks by id, even deleted ones;
    # there the cause would be AccessDenied or throttling. Here moto's record of the stack is dropped, so moto
    # answers ValidationError "Stack with id ... does not exist".
    world.forget_stack()
    answer = world.send("Delete", world.properties())

    assert answer["Status"] == "FAILED"
    assert answer["Reason"]
    service = world.service(SERVICE_A)
    assert (service["status"], service["desiredCount"]) == ("ACTIVE", DESIRED)
    assert world.handovers == []
