"""The real handler, boto3 and botocore's standard retries over real HTTP, through a TCP proxy that resets some
connections in front of moto's server: requests that never arrive and replies lost after moto acted."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from ecs_teardown.aws.ecs import ATTEMPTS
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.identity import resource_id
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext
from support.faults import FaultProxy

pytestmark = pytest.mark.integration

NAMES = ["web", "api", "worker"]


@pytest.fixture
def moto_ecs(moto_url: str) -> Any:
    """A client straight to moto (no proxy): the test's own view of ECS."""
    client = boto3.client("ecs", endpoint_url=moto_url)
    client.create_cluster(clusterName="demo")
    client.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}]
    )
    return client


def proxy_for(
    moto_url: str, reset_requests: float, reset_replies: float, seed: int, reset_first: int = 1
) -> FaultProxy:
    host, port = moto_url.removeprefix("http://").split(":")
    return FaultProxy((host, int(port)), reset_requests, reset_replies, seed, reset_first)


def invoke_through(proxy: FaultProxy, monkeypatch, event: dict[str, Any], answers: AnswerEndpoint) -> dict[str, Any]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", proxy.url)
    # The real gateway, client, retries and clock; only the engine's waits between polls are shortened.
    function = CustomResource(Edges(sleep=lambda seconds: time.sleep(min(seconds, 0.02))))
    before = len(answers.answers)
    started = time.monotonic()
    function.handle(event, LocalContext())
    assert time.monotonic() - started < 20
    received = answers.wait_for(before + 1)
    assert len(received) == before + 1, "exactly one answer"
    return received[-1].body


def status_of(client: Any, name: str) -> str:
    found = client.describe_services(cluster="demo", services=[name])["services"]
    return str(found[0]["status"]) if found else "MISSING"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_teardown_through_a_proxy_that_resets_connections(moto_ecs, moto_url, monkeypatch, answers, event_for, seed):
    moto_ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    moto_ecs.create_service(cluster="demo", serviceName="api", taskDefinition="web", desiredCount=1)
    moto_ecs.create_service(
        cluster="demo", serviceName="worker", taskDefinition="web", desiredCount=0, schedulingStrategy="DAEMON"
    )
    event = event_for("delete-services.json")
    with proxy_for(moto_url, reset_requests=0.25, reset_replies=0.25, seed=seed) as proxy:
        answer = invoke_through(proxy, monkeypatch, event, answers)
    assert proxy.requests_reset + proxy.replies_reset >= 2, "the proxy reset connections"
    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    assert answer["PhysicalResourceId"] == event["PhysicalResourceId"]
    assert {name: status_of(moto_ecs, name) for name in NAMES} == dict.fromkeys(NAMES, "INACTIVE")


@pytest.mark.parametrize("seed", [4, 5])
def test_create_through_a_proxy_that_resets_connections(moto_ecs, moto_url, monkeypatch, answers, event_for, seed):
    for name in NAMES:
        moto_ecs.create_service(cluster="demo", serviceName=name, taskDefinition="web", desiredCount=1)
    with proxy_for(moto_url, reset_requests=0.4, reset_replies=0.4, seed=seed) as proxy:
        answer = invoke_through(proxy, monkeypatch, event_for("create-services.json"), answers)
    assert proxy.requests_reset >= 1
    assert answer["Status"] == "SUCCESS", answer.get("Reason")
    event = event_for("create-services.json")
    assert answer["PhysicalResourceId"] == resource_id(event["StackId"], event["LogicalResourceId"])
    assert {name: status_of(moto_ecs, name) for name in NAMES} == dict.fromkeys(NAMES, "ACTIVE")


def test_create_through_a_proxy_that_resets_everything_fails_clearly(
    moto_ecs, moto_url, monkeypatch, answers, event_for
):
    moto_ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=1)
    with proxy_for(moto_url, reset_requests=1.0, reset_replies=1.0, seed=6) as proxy:
        answer = invoke_through(proxy, monkeypatch, event_for("create.json"), answers)
    assert proxy.requests_reset >= 5 * ATTEMPTS, "five reads, each with botocore's attempts"
    assert proxy.forwarded == 0
    assert answer["Status"] == "FAILED"
    assert "web" in answer["Reason"] and "try again" in answer["Reason"]


def test_delete_through_a_dead_network_ends_failed_and_touches_nothing(
    moto_ecs, moto_url, monkeypatch, answers, event_for
):
    moto_ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    event = event_for("delete.json", {"Cluster": "demo", "Service": "web", "ServiceTimeout": "6"})
    with proxy_for(moto_url, reset_requests=1.0, reset_replies=0.0, seed=7) as proxy:
        answer = invoke_through(proxy, monkeypatch, event, answers)
    assert proxy.requests_reset >= 5
    assert answer["Status"] == "FAILED"
    assert "web (observing" in answer["Reason"] and "time budget" in answer["Reason"]
    service = moto_ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert service["status"] == "ACTIVE" and service["desiredCount"] == 2
