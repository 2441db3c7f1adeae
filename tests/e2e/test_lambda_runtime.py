"""The built function under Lambda's own runtime, no Docker, no network: the `sam build` output (python3.13 with
nothing but boto3 and the built layer) runs under awslambdaric, AWS's runtime interface client, started as the
python3.13 bootstrap starts it and fed by a Lambda Runtime API on 127.0.0.1 (support/runtime_api.py). AWS is moto's
server, CloudFormation's ResponseURL the local HTTPS AnswerEndpoint.

So the handler meets the real bootstrap (handler import, stdout, the root logger's handler), the real context object
(`memory_limit_in_mb` a string, the deadline from Lambda-Runtime-Deadline-Ms, the request id from the API), the
response marshalling, a warm second invocation in the same process, and a frozen environment between invocations.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from ecs_teardown_tools.local import AnswerEndpoint
from support.built_function import (
    ACCOUNT,
    FUNCTION_ARN,
    FUNCTION_NAME,
    MEMORY_MB,
    REGION,
    RUNTIME_PYTHON,
    STACK_TEMPLATE,
    WAIT_S,
    answer_to,
    set_stack_status,
)
from support.runtime_api import Invocation, LambdaFunction, RuntimeApi, RuntimeProcess
from support.secrets import find_secrets


@dataclass
class MotoAws:
    ecs: Any
    cloudformation: Any
    stack_id: str
    service_arn: str

    def service_status(self) -> str:
        found = self.ecs.describe_services(cluster="demo", services=["web"])["services"]
        return str(found[0]["status"]) if found else "MISSING"

    def desired_count(self) -> int:
        return int(self.ecs.describe_services(cluster="demo", services=["web"])["services"][0]["desiredCount"])

    def set_stack_status(self, status: str) -> None:
        set_stack_status(self.cloudformation, self.stack_id, status)


@pytest.fixture
def aws(moto_url: str) -> MotoAws:
    """A cluster `demo` with an ACTIVE service `web` (desiredCount 2), and the stack the custom resource is in."""
    ecs = boto3.client("ecs", endpoint_url=moto_url, region_name=REGION)
    cloudformation = boto3.client("cloudformation", endpoint_url=moto_url, region_name=REGION)
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    service = ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    stack = cloudformation.create_stack(StackName="demo-app", TemplateBody=STACK_TEMPLATE)
    return MotoAws(ecs, cloudformation, stack["StackId"], service["service"]["serviceArn"])


def records_of(runtime: RuntimeProcess, request_id: str) -> list[dict[str, Any]]:
    return [r for r in runtime.json_lines() if r.get("function_request_id") == request_id]


def check_no_secrets(runtime: RuntimeProcess, events: list[dict[str, Any]]) -> None:
    output = runtime.output()
    assert not find_secrets(output), find_secrets(output)
    for event in events:  # the presigned URL's query string (X-Amz-Credential, X-Amz-Signature), whole
        query = urlsplit(event["ResponseURL"]).query
        assert query and query not in output


def create(
    runtime: RuntimeProcess,
    aws: MotoAws,
    answers: AnswerEndpoint,
    event_for: Callable[..., dict[str, Any]],
    **fields: Any,
) -> tuple[dict[str, Any], Invocation, str]:
    """A Create of the resource for `demo`/`web` in the stack; returns the event, the invocation and the id."""
    event = event_for("create.json", StackId=aws.stack_id, **fields)
    invocation = runtime.invoke(event, wait_s=WAIT_S)
    assert invocation.outcome == "response", invocation.payload
    assert invocation.json() is None  # the handler returns None; the runtime marshals it as null
    # Every answer is finished before the handler returns: Lambda freezes the environment after the response.
    assert event["RequestId"] in invocation.probe_at_result
    answer = answer_to(answers, event)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["ServiceArn"] == aws.service_arn and answer["Data"]["Cluster"] == "demo"
    assert isinstance(answer["PhysicalResourceId"], str) and answer["PhysicalResourceId"]
    return event, invocation, answer["PhysicalResourceId"]


def test_create_then_delete_in_one_execution_environment(
    runtime: RuntimeProcess, aws: MotoAws, answers: AnswerEndpoint, event_for: Callable[..., dict[str, Any]]
) -> None:
    # Create (a cold start): the service exists, so SUCCESS with its ARN in Data.
    create_event, created, physical_id = create(runtime, aws, answers, event_for)

    # Delete (warm: the same process) while CloudFormation deletes the stack: scale down, delete, INACTIVE.
    aws.set_stack_status("DELETE_IN_PROGRESS")
    assert aws.service_status() == "ACTIVE" and aws.desired_count() == 2
    delete_event = event_for("delete.json", StackId=aws.stack_id, PhysicalResourceId=physical_id)
    deleted = runtime.invoke(delete_event, wait_s=WAIT_S)
    assert deleted.outcome == "response", deleted.payload
    assert deleted.json() is None
    assert delete_event["RequestId"] in deleted.probe_at_result
    answer = answer_to(answers, delete_event)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == physical_id  # the same id in every answer for the resource
    assert aws.service_status() in {"INACTIVE", "MISSING"}

    # The runtime took both in one process and now waits, frozen, for the next event; it never reported an error.
    assert runtime.api.wait_until_idle(timeout_s=WAIT_S) and runtime.alive()
    assert runtime.api.frozen and runtime.stopped()
    assert runtime.api.init_errors == [] and runtime.api.next_calls == 3

    # The context as the runtime builds it, seen through the function's own JSON log lines.
    create_logs, delete_logs = records_of(runtime, created.request_id), records_of(runtime, deleted.request_id)
    assert create_logs and delete_logs, runtime.output()[-3000:]
    for records, invocation, event in ((create_logs, created, create_event), (delete_logs, deleted, delete_event)):
        for record in records:
            assert record["function_memory_size"] == str(MEMORY_MB)  # a string, as the runtime hands it over
            assert record["function_arn"] == FUNCTION_ARN and record["function_name"] == FUNCTION_NAME
            assert record["xray_trace_id"] == invocation.trace_id.split(";")[0].removeprefix("Root=")
            assert record["cfn_request_id"] == event["RequestId"]
    assert {r["cold_start"] for r in create_logs} == {True} and {r["cold_start"] for r in delete_logs} == {False}
    check_no_secrets(runtime, [create_event, delete_event])


def test_delete_in_an_update_cleanup_touches_nothing(
    runtime: RuntimeProcess, aws: MotoAws, answers: AnswerEndpoint, event_for: Callable[..., dict[str, Any]]
) -> None:
    """The resource left the template (or was replaced) in an update: CloudFormation sends a Delete while the stack is
    UPDATE_COMPLETE_CLEANUP_IN_PROGRESS. The services stay; the answer is SUCCESS all the same."""
    _, _, physical_id = create(runtime, aws, answers, event_for)
    aws.set_stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    delete_event = event_for("delete.json", StackId=aws.stack_id, PhysicalResourceId=physical_id)
    deleted = runtime.invoke(delete_event, wait_s=WAIT_S)
    assert deleted.outcome == "response", deleted.payload
    assert delete_event["RequestId"] in deleted.probe_at_result
    answer = answer_to(answers, delete_event)
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["PhysicalResourceId"] == physical_id
    assert aws.service_status() == "ACTIVE" and aws.desired_count() == 2
    records = records_of(runtime, deleted.request_id)
    assert records and all(r["function_memory_size"] == str(MEMORY_MB) for r in records)
    check_no_secrets(runtime, [delete_event])


def test_the_handler_keeps_the_deadline_the_runtime_gives(
    runtime: RuntimeProcess, aws: MotoAws, answers: AnswerEndpoint, event_for: Callable[..., dict[str, Any]]
) -> None:
    """The time left comes from Lambda-Runtime-Deadline-Ms: with a 300 s function timeout, ten invocations cannot
    cover the event's ServiceTimeout (3600 s), and the Create says so; the next one, with 900 s, succeeds."""
    short = event_for("create.json", StackId=aws.stack_id, RequestId=str(uuid.uuid4()))
    refused = runtime.invoke(short, wait_s=WAIT_S, timeout_s=300.0)
    assert refused.outcome == "response" and short["RequestId"] in refused.probe_at_result
    answer = answer_to(answers, short)
    assert answer["Status"] == "FAILED"
    assert "ServiceTimeout" in answer["Reason"] and re.search(r"\b(299|300) s\b", answer["Reason"]), answer["Reason"]
    second, _, _ = create(runtime, aws, answers, event_for, RequestId=str(uuid.uuid4()))  # the same function, 900 s
    check_no_secrets(runtime, [short, second])


def test_the_runtime_api_takes_errors_as_lambda_does(tmp_path: Path) -> None:
    """The Runtime API's error routes, with the real client: a handler that raises is reported on
    /invocation/{id}/error (and the runtime goes on), a handler that cannot be imported on /init/error."""
    task_root = tmp_path / "task"
    task_root.mkdir()
    (task_root / "probe.py").write_text(
        "def fail(event, context):\n    raise ValueError(f'{event[\"n\"]} of {context.memory_limit_in_mb!r}')\n"
    )
    function = LambdaFunction(task_root=task_root, layer_paths=[], handler="probe.fail", name="probe", memory_mb=128)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:probe"
    with (
        RuntimeApi(arn, idle_limit_s=WAIT_S) as api,
        RuntimeProcess(api, RUNTIME_PYTHON, function, task_root.parent, {}) as process,
    ):
        for n in (1, 2):
            failed = process.invoke({"n": n}, wait_s=WAIT_S)
            assert failed.outcome == "error"
            assert failed.json()["errorType"] == "ValueError" and failed.json()["errorMessage"] == f"{n} of '128'"
            assert failed.json()["requestId"] == failed.request_id
        assert api.init_errors == [] and process.alive()

    missing = LambdaFunction(task_root=task_root, layer_paths=[], handler="absent.handler", name="probe")
    (tmp_path / "init").mkdir()
    with (
        RuntimeApi(arn, idle_limit_s=WAIT_S) as api,
        RuntimeProcess(api, RUNTIME_PYTHON, missing, tmp_path / "init", {}) as process,
    ):
        with pytest.raises(AssertionError, match="init error"):
            process.invoke({}, wait_s=WAIT_S)
        assert [e.error_type for e in api.init_errors] == ["Runtime.ImportModuleError"]
        assert process.process is not None and process.process.wait(timeout=WAIT_S) != 0
