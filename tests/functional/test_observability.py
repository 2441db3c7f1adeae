"""Logs, metrics, the cold start's imports, and the hand-over call: what an operator sees and pays for."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ecs_teardown.aws.lambda_invoke import SelfInvoke
from ecs_teardown.core.budget import HANDOVER_KEY
from support.driver import run_handler
from support.fake_ecs import FakeClock, FakeEcs, FakeService, throttle_fraction

HANDLER_DIR = Path(__file__).resolve().parents[2] / "handler"
SIGNATURE = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
STEP_KEYS = {"cluster", "ecs_service", "phase", "desired", "running", "pending", "elapsed_s"}
REQUEST_KEYS = {"request_type", "cfn_request_id", "stack_id", "logical_resource_id"}


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs(FakeClock())


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_every_step_is_a_json_line_and_no_line_holds_the_response_url(
    monkeypatch, answers, event_for, ecs, app_logs, level
):
    import app

    previous = app.function.logger.log_level
    app.function.logger.setLevel(level)
    try:
        ecs.add(FakeService("web", task_stop_s=90, draining_s=10))  # a drain long enough to be seen
        ecs.fault = throttle_fraction(0.2)
        event = event_for("delete.json")
        run = run_handler(monkeypatch, answers, event, ecs)
    finally:
        app.function.logger.setLevel(previous)
    assert run.answer["Status"] == "SUCCESS"
    records = app_logs.records()
    steps = [r for r in records if r.get("phase")]
    assert {s["phase"] for s in steps} >= {"scaling-down", "draining-tasks", "draining", "gone"}
    for step in steps:
        assert step.keys() >= STEP_KEYS, step
        assert step.keys() >= REQUEST_KEYS, step
        assert step["cfn_request_id"] == event["RequestId"]
    whole = "\n".join(app_logs.lines)
    assert SIGNATURE not in whole and "X-Amz-Signature" not in whole and "X-Amz-Credential" not in whole
    path = event["ResponseURL"].split("?")[0]
    assert path not in whole, "not even the URL's path is logged"


def test_crhelper_debug_lines_never_carry_the_event(monkeypatch, answers, event_for, ecs, app_logs):
    logging.getLogger("crhelper").setLevel(logging.DEBUG)  # as a user setting DEBUG everywhere would
    try:
        run = run_handler(monkeypatch, answers, event_for("delete-after-failed-create.json"), ecs)
    finally:
        logging.getLogger("crhelper").setLevel(logging.INFO)
    assert run.answer["Status"] == "SUCCESS"
    assert SIGNATURE not in "\n".join(app_logs.lines)


def emf_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            lines.append(json.loads(line))
    return lines


def test_metrics_per_teardown(monkeypatch, answers, event_for, ecs, capsys):
    properties = {"Cluster": "demo", "Service": "web", "DrainTimeoutSeconds": "30"}
    ecs.add(FakeService("web", task_stop_s=300))
    ecs.fault = throttle_fraction(0.3, seed=3)
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs)
    assert run.answer["Status"] == "SUCCESS"
    metrics = emf_lines(capsys.readouterr().out)
    assert metrics, "one EMF document per invocation"
    last = metrics[-1]
    names = {m["Name"] for m in last["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"TeardownDuration", "ForcedDeletes", "TeardownSucceeded", "Throttles"} <= names
    assert last["ForcedDeletes"] == [1.0]
    assert last["Throttles"][0] >= 1
    assert last["TeardownDuration"][0] >= 30
    assert last["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "EcsTeardown"


def test_failed_teardown_counts_as_failed(monkeypatch, answers, event_for, ecs, capsys):
    properties = {"Cluster": "demo", "Service": "web", "DrainTimeoutSeconds": "30", "ForceDelete": "never"}
    ecs.add(FakeService("web", task_stop_s=300))
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs)
    assert run.answer["Status"] == "FAILED"
    last = emf_lines(capsys.readouterr().out)[-1]
    assert last.get("TeardownFailed") == [1.0] and "TeardownSucceeded" not in last


def test_importing_the_handler_builds_no_client_and_no_tracer() -> None:
    probe = (
        "import sys, boto3, app; "
        "print(boto3.DEFAULT_SESSION is None, 'aws_xray_sdk' in sys.modules, 'moto' in sys.modules)"
    )
    env = {"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=HANDLER_DIR, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "False", "False"], "cold start: no boto3 session, no X-Ray SDK, no test tooling"


def test_hand_over_invokes_the_same_function_asynchronously_with_the_start_time() -> None:
    client = boto3.client("lambda", region_name="us-east-1")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:ecs-teardown:live"
    event = {"RequestType": "Delete", HANDOVER_KEY: {"StartedAt": 1.5, "Generation": 2}}
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": arn, "InvocationType": "Event", "Payload": ANY},
        )
        SelfInvoke(arn, client)(event)
        stub.assert_no_pending_responses()


def test_hand_over_that_cannot_invoke_answers_failed(monkeypatch, answers, event_for, ecs):
    from ecs_teardown.aws.ecs import EcsGateway
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown.cfn.protocol import CustomResource
    from ecs_teardown_tools.local import LocalContext

    def refuse(event: dict) -> None:
        raise RuntimeError("AccessDeniedException: not allowed to invoke")

    ecs.add(FakeService("web", task_stop_s=30, draining_s=3000))
    clock = ecs.clock
    function = CustomResource(Edges(ecs=lambda: EcsGateway(ecs), clock=clock, sleep=clock.sleep, hand_over=refuse))
    function.handle(event_for("delete.json"), LocalContext(timeout_s=300, clock=clock))
    received = answers.wait_for(1)
    assert received[-1].body["Status"] == "FAILED"
    assert "fresh invocation" in received[-1].body["Reason"] and "AccessDenied" in received[-1].body["Reason"]
