"""The handler as Lambda runs it, on a real clock: a process per invocation that ends when the handler returns
(and is killed at its deadline, as Lambda's timeout does), against a Lambda API that is slow or silent, an answer
endpoint that is slow, and an ECS endpoint that never replies. Every scenario counts the answers per request (at
most one) and the ECS writes after the first answer (none).

The invocation's planned worst cases are scaled down (tests/support/lambda_invocation.py) so that a 10 s
invocation has the shape of a 15-minute one: the same arithmetic decides when a call may start, when to hand over
and when the timer answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_teardown.cfn.identity import resource_id
from ecs_teardown.core.budget import HANDOVER_KEY
from support.endpoints import EcsRecorder, LambdaApi
from support.moto_ledger import ledger_table
from support.moto_stacks import stack_in_moto

pytestmark = pytest.mark.integration
DRIVER = Path(__file__).resolve().parents[1] / "support" / "lambda_invocation.py"
SCALE = {
    "ecs_connect_s": 0.3,
    "ecs_read_s": 0.5,
    "invoke_connect_s": 0.3,
    "invoke_read_s": 0.5,
    "answer_timeout_s": 0.6,
    "timer_margin_s": 1.0,
}
TIMEOUT_S = 10.0
LEDGER = "ecs-teardown-answers"


@dataclass
class Invocation:
    returned: bool  # the handler returned (else Lambda's timeout ended it)
    took_s: float
    output: str


@dataclass
class World:
    moto_url: str
    answers: Any
    ecs: EcsRecorder
    lambda_api: LambdaApi
    event: dict[str, Any]

    def env(self) -> dict[str, str]:
        drop = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "PYTHONPATH")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env.update(
            AWS_ENDPOINT_URL_ECS=self.ecs.url,
            AWS_ENDPOINT_URL_CLOUDFORMATION=self.moto_url,
            AWS_ENDPOINT_URL_LAMBDA=self.lambda_api.url,
            SSL_CERT_FILE=self.answers.cert_path,
            ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL="true",
            POWERTOOLS_METRICS_DISABLED="true",
            AWS_ENDPOINT_URL_DYNAMODB=self.moto_url,
            ECS_TEARDOWN_LEDGER_TABLE=LEDGER,
        )
        return env

    def invoke(self, event: dict[str, Any], scale: dict[str, float] | None = None) -> Invocation:
        deadline_at = time.time() + TIMEOUT_S
        config = json.dumps({"event": event, "deadline_at": deadline_at, "scale": {**SCALE, **(scale or {})}})
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, str(DRIVER), config], env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            output, _ = process.communicate(timeout=TIMEOUT_S)
            return Invocation(True, time.monotonic() - started, output.decode(errors="replace"))
        except subprocess.TimeoutExpired:
            process.kill()  # Lambda's timeout: the environment is gone, whatever its threads were doing
            output, _ = process.communicate()
            return Invocation(False, time.monotonic() - started, output.decode(errors="replace"))

    def answers_received(self) -> list[dict[str, Any]]:
        return [received.body for received in self.answers.answers]


@pytest.fixture
def world(moto_url: str, answers: Any, event_for: Any) -> Any:
    ecs = boto3.client("ecs", endpoint_url=moto_url)
    ecs.create_cluster(clusterName="demo")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}])
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    stack_id = stack_in_moto(moto_url, "DELETE_IN_PROGRESS")
    ledger_table(moto_url, LEDGER)
    event = event_for("delete.json", StackId=stack_id, PhysicalResourceId=resource_id(stack_id, "Teardown"))
    return World(moto_url, answers, EcsRecorder(moto_url), LambdaApi(), event)


def writes_after_first_answer(world: World) -> list[str]:
    first = min((a.arrived_at for a in world.answers.answers), default=float("inf"))
    return [call.name for call in world.ecs.writes() if call.at > first]


def test_ecs_that_never_replies_hands_over_in_time_and_the_chain_answers_once(world: World) -> None:
    with world.ecs, world.lambda_api:
        world.ecs.silent = True
        first = world.invoke(world.event)
        assert first.returned and first.took_s < TIMEOUT_S - SCALE["timer_margin_s"], first.output
        assert world.answers_received() == [], "handed over: this invocation does not answer"
        assert [invoke.body[HANDOVER_KEY]["Generation"] for invoke in world.lambda_api.invokes] == [1]
        world.ecs.silent = False  # ECS is back: the next invocation finishes the teardown
        second = world.invoke(world.lambda_api.invokes[0].body)
        assert second.returned, second.output
    bodies = world.answers_received()
    assert [b["Status"] for b in bodies] == ["SUCCESS"], bodies
    assert writes_after_first_answer(world) == []


def test_a_slow_lambda_api_still_hands_over_and_the_timer_stays_silent(world: World) -> None:
    world.lambda_api.delay_s = 0.3  # slower than usual, within the client's read timeout
    with world.ecs, world.lambda_api:
        world.ecs.silent = True
        run = world.invoke(world.event)
    assert run.returned, run.output
    assert len(world.lambda_api.invokes) == 1
    assert world.answers_received() == [], "the hand-over is this invocation's one decision: no answer too"


def test_a_silent_lambda_api_ends_in_one_failed_answer_before_the_deadline(world: World) -> None:
    world.lambda_api.delay_s = None
    with world.ecs, world.lambda_api:
        world.ecs.silent = True
        run = world.invoke(world.event)
    assert run.returned and run.took_s < TIMEOUT_S, run.output
    bodies = world.answers_received()
    assert [b["Status"] for b in bodies] == ["FAILED"], bodies
    assert "could not start one" in bodies[0]["Reason"]
    assert world.ecs.writes() == []


def test_an_ecs_call_stuck_past_its_plan_gets_the_timer_s_one_answer_before_lambda_ends(world: World) -> None:
    """The ECS client waits longer than the invocation planned for (a stuck endpoint): the timer answers FAILED
    before Lambda's timeout, its answer is delivered although the endpoint is slow, and nothing is written."""
    world.answers.script = [0.3]  # the answer endpoint takes its time
    stuck = {"ecs_read_s": 6.0, "planned_call_worst_s": 0.2}  # two attempts of 6 s: past the timer
    with world.ecs, world.lambda_api:
        world.ecs.silent = True
        run = world.invoke(world.event, stuck)
    assert not run.returned, "Lambda's timeout ended it, mid-call"
    bodies = world.answers_received()
    assert [b["Status"] for b in bodies] == ["FAILED"] and "timed out" in bodies[0]["Reason"], bodies
    assert bodies[0]["PhysicalResourceId"] == world.event["PhysicalResourceId"]
    assert world.lambda_api.invokes == [] and world.ecs.writes() == []


def test_the_answer_is_delivered_before_the_handler_returns_even_when_the_endpoint_is_slow(
    world: World, event_for: Any
) -> None:
    world.answers.script = [0.4, 0.4]
    event = event_for("delete-after-failed-create.json")  # nothing to do: the answer is the whole invocation
    with world.ecs, world.lambda_api:
        run = world.invoke(event)
    assert run.returned, run.output
    assert [b["Status"] for b in world.answers_received()] == ["SUCCESS"], "delivered, though the process ended"


def test_lambda_s_retry_after_a_timeout_neither_answers_again_nor_writes(world: World) -> None:
    """The timer answered FAILED and Lambda ended the invocation; a retry of the same event (Lambda's, were retries
    on; or a duplicate delivery) finds the answer in the ledger: no second answer, no ECS write, though ECS is back."""
    stuck = {"ecs_read_s": 6.0, "planned_call_worst_s": 0.2}
    with world.ecs, world.lambda_api:
        world.ecs.silent = True
        first = world.invoke(world.event, stuck)
        assert not first.returned and [b["Status"] for b in world.answers_received()] == ["FAILED"]
        world.ecs.silent = False
        retry = world.invoke(world.event)
    assert retry.returned, retry.output
    assert [b["Status"] for b in world.answers_received()] == ["FAILED"], "one answer per request"
    assert world.ecs.writes() == [], "nothing written after the FAILED"
    assert "answered FAILED already" in retry.output


def test_a_hand_over_queued_after_its_invoke_timed_out_does_nothing(world: World) -> None:
    """The Invoke timed out (so the invocation answered FAILED), but Lambda had queued the event after all: the
    continuation finds the answer and stops."""
    world.lambda_api.delay_s = None  # silent: recorded, never answered
    with world.ecs, world.lambda_api:
        world.ecs.silent = True
        first = world.invoke(world.event)
        assert first.returned and [b["Status"] for b in world.answers_received()] == ["FAILED"]
        queued = world.lambda_api.invokes[0].body  # what Lambda may run all the same
        world.ecs.silent = False
        late = world.invoke(queued)
    assert late.returned, late.output
    assert [b["Status"] for b in world.answers_received()] == ["FAILED"]
    assert world.ecs.writes() == []


def test_a_timer_answer_still_in_flight_is_finished_before_the_handler_returns(world: World) -> None:
    """The timer answers 1 s before the deadline through a slow endpoint (0.6 s); the stuck ECS call gives up 0.7 s
    before the deadline, and the handler returns while that answer is still on its way. Lambda would freeze the
    process then; here it ends with os._exit: the answer arrives only because the handler waits for it."""
    world.answers.script = [0.6]
    stuck = {
        "ecs_read_s": 1.0,
        "ecs_read_ends_before_deadline_s": 0.7,
        "ecs_attempts": 1,
        "planned_call_worst_s": 0.2,
        "answer_timeout_s": 1.5,
    }
    with world.ecs, world.lambda_api:
        world.ecs.silent = True
        run = world.invoke(world.event, stuck)
    assert run.returned, "the handler returned before Lambda's deadline"
    bodies = world.answers_received()
    assert [b["Status"] for b in bodies] == ["FAILED"] and "timed out" in bodies[0]["Reason"], bodies
    assert world.ecs.writes() == []
