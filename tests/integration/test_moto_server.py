"""The real handler over real HTTP: boto3 (standard retries) against moto's server, answers to a local HTTPS
recorder. moto gives the real API shapes and error codes; it has no timelines (services go INACTIVE at once)."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.identity import resource_id
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext
from support.moto_stacks import stack_in_moto, stack_in_moto_shows

pytestmark = pytest.mark.integration


@pytest.fixture
def ecs(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", moto_url)
    client = boto3.client("ecs", endpoint_url=moto_url)
    client.create_cluster(clusterName="demo")
    client.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}]
    )
    return client


@pytest.fixture
def runtime(answers: AnswerEndpoint) -> Edges:
    """Built after the answer endpoint: the function reads its environment (the local-answer opt-in) when built."""
    # The real gateway, client and clock; only the waits between polls are shortened.
    return Edges(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))


def invoke(event: dict[str, Any], answers: AnswerEndpoint, edges: Edges) -> dict[str, Any]:
    before = len(answers.answers)
    CustomResource(edges).handle(event, LocalContext())
    received = answers.wait_for(before + 1)
    assert len(received) == before + 1
    return received[-1].body


def create_service(ecs: Any, name: str, desired: int = 2, scheduling: str = "REPLICA") -> str:
    service = ecs.create_service(
        cluster="demo", serviceName=name, taskDefinition="web", desiredCount=desired, schedulingStrategy=scheduling
    )
    return str(service["service"]["serviceArn"])


def status_of(ecs: Any, name: str) -> str:
    answer = ecs.describe_services(cluster="demo", services=[name])
    return str(answer["services"][0]["status"]) if answer["services"] else "MISSING"


@pytest.mark.real_stacks
def test_create_then_delete_round_trip(ecs, runtime, answers, event_for, moto_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", moto_url)
    stack_id = stack_in_moto(moto_url, "CREATE_IN_PROGRESS")
    arn = create_service(ecs, "web", desired=3)
    created = invoke(event_for("create.json", StackId=stack_id), answers, runtime)
    assert created["Status"] == "SUCCESS", created["Reason"]
    assert created["PhysicalResourceId"] == resource_id(stack_id, "Teardown")
    assert created["Data"]["ServiceArn"] == arn
    stack_in_moto_shows(stack_id, "DELETE_IN_PROGRESS")
    deleted = invoke(
        event_for("delete.json", StackId=stack_id, PhysicalResourceId=created["PhysicalResourceId"]), answers, runtime
    )
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert status_of(ecs, "web") == "INACTIVE"
    calls = runtime.gateway().calls
    assert calls["update_service"] == 1 and calls["delete_service"] == 1


@pytest.mark.real_stacks
def test_delete_while_moto_shows_the_stack_staying_touches_nothing(
    ecs, runtime, answers, event_for, moto_url, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", moto_url)
    stack_id = stack_in_moto(moto_url, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    create_service(ecs, "web", desired=3)
    deleted = invoke(
        event_for("delete.json", StackId=stack_id, PhysicalResourceId=resource_id(stack_id, "Teardown")),
        answers,
        runtime,
    )
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert status_of(ecs, "web") == "ACTIVE"
    assert "update_service" not in runtime.gateway().calls and "delete_service" not in runtime.gateway().calls


@pytest.mark.real_stacks
def test_delete_for_a_stack_moto_does_not_know_fails_and_touches_nothing(
    ecs, runtime, answers, event_for, moto_url, monkeypatch
):
    """DescribeStacks answers ValidationError ("Stack ... does not exist"): the edge turns it into a clear Reason."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", moto_url)
    create_service(ecs, "web", desired=3)
    deleted = invoke(event_for("delete.json"), answers, runtime)
    assert deleted["Status"] == "FAILED"
    assert "nothing was touched: DescribeStacks of " in deleted["Reason"] and "ValidationError" in deleted["Reason"]
    assert status_of(ecs, "web") == "ACTIVE"


def test_create_of_a_missing_service_names_it(ecs, runtime, answers, event_for):
    answer = invoke(event_for("create.json"), answers, runtime)
    assert answer["Status"] == "FAILED"
    assert "'web'" in answer["Reason"] and "not found" in answer["Reason"]


def test_create_in_a_missing_cluster_names_it(ecs, runtime, answers, event_for):
    answer = invoke(event_for("create.json", {"Cluster": "ghost", "Service": "web"}), answers, runtime)
    assert answer["Status"] == "FAILED"
    assert "'ghost'" in answer["Reason"]


def test_daemon_is_deleted_without_a_scale_down(ecs, runtime, answers, event_for):
    create_service(ecs, "agent", desired=0, scheduling="DAEMON")
    answer = invoke(event_for("delete-daemon.json"), answers, runtime)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert status_of(ecs, "agent") == "INACTIVE"
    assert "update_service" not in runtime.gateway().calls


def test_delete_of_an_already_deleted_service_succeeds(ecs, runtime, answers, event_for):
    create_service(ecs, "web", desired=0)
    ecs.delete_service(cluster="demo", service="web")
    answer = invoke(event_for("delete.json"), answers, runtime)
    assert answer["Status"] == "SUCCESS"
    assert "delete_service" not in runtime.gateway().calls


def test_delete_after_the_cluster_is_gone_succeeds(ecs, runtime, answers, event_for):
    ecs.delete_cluster(cluster="demo")
    answer = invoke(event_for("delete.json"), answers, runtime)
    assert answer["Status"] == "SUCCESS", answer["Reason"]


def test_twelve_services_in_one_resource(ecs, runtime, answers, event_for):
    names = [f"svc{i:02d}" for i in range(12)]
    for name in names:
        create_service(ecs, name)
    created = invoke(event_for("create-services.json", {"Cluster": "demo", "Services": names}), answers, runtime)
    assert created["Status"] == "SUCCESS", created["Reason"]
    event = event_for("create-services.json")
    assert created["PhysicalResourceId"] == resource_id(event["StackId"], event["LogicalResourceId"])
    event = event_for("delete-services.json", {"Cluster": "demo", "Services": names})
    event["PhysicalResourceId"] = created["PhysicalResourceId"]
    deleted = invoke(event, answers, runtime)
    assert deleted["Status"] == "SUCCESS", deleted["Reason"]
    assert {status_of(ecs, name) for name in names} == {"INACTIVE"}
    assert runtime.gateway().calls["describe_services"] % 2 == 0, "12 services: 2 DescribeServices per round"


def test_a_service_outside_the_request_is_never_touched(ecs, runtime, answers, event_for):
    create_service(ecs, "web")
    create_service(ecs, "bystander", desired=2)
    answer = invoke(event_for("delete.json"), answers, runtime)
    assert answer["Status"] == "SUCCESS"
    bystander = ecs.describe_services(cluster="demo", services=["bystander"])["services"][0]
    assert bystander["status"] == "ACTIVE" and bystander["desiredCount"] == 2
