"""`ecs-teardown invoke`: the Docker-free local invoke, as a user runs it, against moto's server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def invoke(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL")}
    return subprocess.run(
        [sys.executable, "-m", "ecs_teardown_tools.cli", "invoke", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_invoke_tears_down_and_prints_the_answer(moto_url: str) -> None:
    ecs = boto3.client("ecs", endpoint_url=moto_url)
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    done = invoke("events/delete.json", "--endpoint-url", moto_url, "--stack-status", "DELETE_IN_PROGRESS")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)  # stdout holds the answer alone; logs went to stderr
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == "ecs-teardown/demo-app/Teardown/b9d8f0bf1be39bf7402122a7"
    assert ecs.describe_services(cluster="demo", services=["web"])["services"][0]["status"] == "INACTIVE"
    assert "X-Amz-Signature" not in done.stderr


@pytest.mark.parametrize("stack_status", ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None])
def test_invoke_reads_the_stack_status_at_the_endpoint_or_as_told(moto_url: str, stack_status: str | None) -> None:
    """Without --stack-status the handler asks the endpoint's CloudFormation, which knows no stack demo-app: a
    FAILED that says so, nothing touched. With a status of a stack that stays: SUCCESS, nothing touched."""
    ecs = boto3.client("ecs", endpoint_url=moto_url)
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    extra = ["--stack-status", stack_status] if stack_status else []
    done = invoke("events/delete.json", "--endpoint-url", moto_url, *extra)
    answer = json.loads(done.stdout)
    if stack_status:
        assert (done.returncode, answer["Status"]) == (0, "SUCCESS"), done.stderr
    else:
        assert (done.returncode, answer["Status"]) == (1, "FAILED")
        assert "does not exist" in answer["Reason"] and "nothing was touched" in answer["Reason"]
    service = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert (service["status"], service["desiredCount"]) == ("ACTIVE", 2)


def test_invoke_exits_1_on_a_failed_answer(moto_url: str) -> None:
    done = invoke("events/create.json", "--endpoint-url", moto_url)  # the cluster does not exist
    assert done.returncode == 1
    assert json.loads(done.stdout)["Status"] == "FAILED"


@pytest.mark.parametrize("args", [["no-such-event.json"], ["README.md"], []])
def test_invoke_exits_2_on_bad_usage(args: list[str]) -> None:
    done = invoke(*args)
    assert done.returncode == 2
    assert "ecs-teardown" in done.stderr or "usage" in done.stderr


@pytest.mark.parametrize("request_id", ["a b", "x/../y?z#w%41", "ünïcode"])
def test_invoke_answers_whatever_the_request_id(moto_url: str, tmp_path: Path, request_id: str) -> None:
    """The local answer URL is built from the RequestId: any text, escaped, still gets the handler's answer."""
    ecs = boto3.client("ecs", endpoint_url=moto_url)
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    event = json.loads((ROOT / "events" / "delete.json").read_text())
    event["RequestId"] = request_id
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    done = invoke(str(path), "--endpoint-url", moto_url, "--stack-status", "DELETE_IN_PROGRESS")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["Status"], answer["RequestId"]) == ("SUCCESS", request_id)
