"""A rolling deployment in progress on the embedded AWS, over real HTTP on 127.0.0.1: what ECS shows and answers
(currentServiceDeployment, the deployments, DeleteService's "deployments are active", StopServiceDeployment), and
the engine's handling of it through the real EcsGateway and boto3, on a clock that skips the engine's sleeps so that
two minutes of refusals take a second or two (the engine and the emulator read the same clock; nothing is patched).
"""

from __future__ import annotations

import io
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ecs_teardown.aws.ecs import DEPLOYMENTS_ACTIVE_WORDS, EcsGateway, client_config, make_ecs_client
from ecs_teardown.core.engine import Step, TeardownResult, run_teardown
from ecs_teardown.core.machine import DEPLOYMENT_WAIT_S, Kind, Outcome, Phase
from ecs_teardown.core.model import ForceMode
from ecs_teardown_tools.emulator import DEPLOYMENTS_ACTIVE, DeploymentCall, EmbeddedAws, Rollout, Timeline
from ecs_teardown_tools.exits import EXIT_FAILED
from ecs_teardown_tools.teardown import Options, Reporter, requests_for, summarize
from support.fake_ecs import DEPLOYMENTS_ACTIVE as FAKE_DEPLOYMENTS_ACTIVE
from support.skipping_clock import SkippingClock

pytestmark = pytest.mark.integration

CLUSTER = "deploys"  # moto's backends outlive one EmbeddedAws: this module's own cluster, a service name per test
ARN_RE = r"arn:aws:ecs:us-east-1:123456789012:service-deployment/{cluster}/{name}/[A-Za-z0-9_-]{{22}}"
TIMEOUT_S = 600.0  # on the skipping clock


@pytest.fixture
def clock() -> SkippingClock:
    return SkippingClock()


@pytest.fixture
def heard() -> list[str]:
    return []


@pytest.fixture
def aws(clock: SkippingClock, heard: list[str]) -> Iterator[EmbeddedAws]:
    with EmbeddedAws(clock=clock, notify=heard.append) as embedded:
        ecs = embedded.client("ecs")
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64, "stopTimeout": 2}]
        )
        yield embedded


def service(aws: EmbeddedAws, name: str, rollout: Rollout | None) -> Any:
    """A REPLICA service with 2 tasks (they stop over 2 s; DRAINING lasts 2 s), its rollout in progress from now."""
    ecs = aws.client("ecs")
    ecs.create_service(cluster=CLUSTER, serviceName=name, taskDefinition="app", desiredCount=2)
    aws.play(CLUSTER, name, Timeline(tasks=2, task_stop_s=2, draining_s=2, rollout=rollout))
    return ecs


def described(ecs: Any, name: str) -> dict[str, Any]:
    (found,) = ecs.describe_services(cluster=CLUSTER, services=[name])["services"]
    return dict(found)


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def teardown(aws: EmbeddedAws, clock: SkippingClock, name: str, force: ForceMode) -> tuple[TeardownResult, list[Step]]:
    """The command line's engine run for one service (its request, the real EcsGateway over boto3 at the emulator's
    endpoint), on the skipping clock."""
    session = boto3.session.Session(
        aws_access_key_id="emulator", aws_secret_access_key="emulator", region_name=aws.region
    )

    def siblings(service_name: str) -> Any:
        return session.client(service_name, endpoint_url=aws.url, config=client_config())  # type: ignore[call-overload]

    gateway = EcsGateway(make_ecs_client(session, aws.url, region=aws.region), clients=siblings)
    (request,) = requests_for(CLUSTER, [name], Options(drain_timeout_s=None, force=force, timeout_s=TIMEOUT_S))
    steps: list[Step] = []
    started = clock()
    result = run_teardown(
        request,
        gateway,
        started_at=started,
        deadline=started + TIMEOUT_S,
        clock=clock,
        sleep=clock.sleep,
        on_step=steps.append,
    )
    return result, steps


def calls(aws: EmbeddedAws, call: str) -> list[DeploymentCall]:
    return [c for c in aws.timed.deployment_calls if c.call == call]


# --- what the emulator shows and answers ---------------------------------------------------------------------------


def test_a_rollout_in_progress_shows_its_deployment_and_refuses_the_delete_until_stopped(aws, clock, heard) -> None:
    ecs = service(aws, "shown", Rollout(rollback_s=3))
    seen = described(ecs, "shown")
    arn = seen["currentServiceDeployment"]
    assert re.fullmatch(ARN_RE.format(cluster=CLUSTER, name="shown"), arn), arn
    (primary, replaced) = seen["deployments"]
    assert (primary["status"], primary["rolloutState"]) == ("PRIMARY", "IN_PROGRESS")
    assert primary["rolloutStateReason"] == f"ECS deployment {primary['id']} in progress."
    assert (replaced["status"], replaced["rolloutState"]) == ("ACTIVE", "COMPLETED")
    assert primary["runningCount"] + replaced["runningCount"] == seen["runningCount"] == 2

    assert refusal(lambda: ecs.delete_service(cluster=CLUSTER, service="shown")) == (
        "InvalidParameterException",
        "The service cannot be stopped while it is scaled above 0.",
    ), "scaled above zero: moto's own refusal comes first"
    ecs.update_service(cluster=CLUSTER, service="shown", desiredCount=0)
    clock.skipped += 5  # the tasks are gone
    assert refusal(lambda: ecs.delete_service(cluster=CLUSTER, service="shown")) == (
        "InvalidParameterException",
        DEPLOYMENTS_ACTIVE,
    )
    assert DEPLOYMENTS_ACTIVE == FAKE_DEPLOYMENTS_ACTIVE and DEPLOYMENTS_ACTIVE_WORDS in DEPLOYMENTS_ACTIVE

    stop = ecs.stop_service_deployment
    assert refusal(lambda: stop(serviceDeploymentArn=arn, stopType="ABORT")) == (
        "InvalidParameterException",
        "The valid values are ROLLBACK.",
    )
    assert refusal(lambda: stop(serviceDeploymentArn=arn[:-1] + "x"))[0] == "ServiceDeploymentNotFoundException"
    answer = stop(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert {k: v for k, v in answer.items() if k != "ResponseMetadata"} == {"serviceDeploymentArn": arn}
    assert "  AWS: shown's rolling deployment is stopped and rolls back (this rollback takes 3 s)" in heard

    clock.skipped += 2.9
    rolling_back = described(ecs, "shown")
    assert [(d["status"], d["rolloutState"]) for d in rolling_back["deployments"]] == [
        ("PRIMARY", "IN_PROGRESS"),
        ("ACTIVE", "COMPLETED"),
    ]
    assert rolling_back["deployments"][1]["id"] == primary["id"], "the rollout's deployment is the one replaced now"
    assert stop(serviceDeploymentArn=arn)["serviceDeploymentArn"] == arn, "no stopType: ROLLBACK; it continues"
    assert refusal(lambda: ecs.delete_service(cluster=CLUSTER, service="shown"))[1] == DEPLOYMENTS_ACTIVE

    clock.skipped += 0.1  # the rollback is over
    done = described(ecs, "shown")
    assert [(d["status"], d["rolloutState"]) for d in done["deployments"]] == [("PRIMARY", "COMPLETED")]
    assert done["currentServiceDeployment"] == arn
    assert refusal(lambda: stop(serviceDeploymentArn=arn, stopType="ROLLBACK"))[0] == "ConflictException"
    assert ecs.delete_service(cluster=CLUSTER, service="shown")["service"]["status"] == "DRAINING"
    answers = [(c.call, c.detail, c.answer) for c in aws.timed.deployment_calls]
    assert answers == [
        ("DeleteService", "", "InvalidParameterException"),
        ("StopServiceDeployment", "ABORT", "InvalidParameterException"),
        ("StopServiceDeployment", "ROLLBACK", "ServiceDeploymentNotFoundException"),
        ("StopServiceDeployment", "ROLLBACK", "accepted"),
        ("StopServiceDeployment", "ROLLBACK", "accepted"),
        ("DeleteService", "", "InvalidParameterException"),
        ("StopServiceDeployment", "ROLLBACK", "ConflictException"),
        ("DeleteService", "", "accepted"),
    ]


def test_a_service_without_a_rollout_shows_one_completed_deployment_and_no_service_deployment(aws) -> None:
    ecs = service(aws, "steady", None)
    seen = described(ecs, "steady")
    assert "currentServiceDeployment" not in seen
    assert [(d["status"], d["rolloutState"], d["runningCount"]) for d in seen["deployments"]] == [
        ("PRIMARY", "COMPLETED", 2)
    ], "moto alone shows IN_PROGRESS for ever"


def test_a_rollout_that_ends_by_itself_lets_the_delete_through_then(aws, clock) -> None:
    rollout = Rollout(ends_after_s=20)
    ecs = service(aws, "ends", rollout)
    ecs.update_service(cluster=CLUSTER, service="ends", desiredCount=0)
    assert rollout.started_at is not None
    clock.skipped += rollout.started_at + 19.9 - clock()
    assert refusal(lambda: ecs.delete_service(cluster=CLUSTER, service="ends"))[1] == DEPLOYMENTS_ACTIVE
    clock.skipped += 0.2
    assert [d["rolloutState"] for d in described(ecs, "ends")["deployments"]] == ["COMPLETED"]
    assert ecs.delete_service(cluster=CLUSTER, service="ends")["service"]["status"] == "DRAINING"


def test_stop_service_deployment_is_gone_from_moto_once_the_emulator_stops(clock) -> None:
    from moto.ecs.responses import EC2ContainerServiceResponse

    with EmbeddedAws(clock=clock):
        assert hasattr(EC2ContainerServiceResponse, "stop_service_deployment")
    assert not hasattr(EC2ContainerServiceResponse, "stop_service_deployment"), "moto is left as it was found"


# --- the engine against it ------------------------------------------------------------------------------------------


def test_the_teardown_stops_a_rollout_after_the_wait_and_deletes_without_force(aws, clock) -> None:
    ecs = service(aws, "web", Rollout(rollback_s=3))
    arn = described(ecs, "web")["currentServiceDeployment"]

    (result, steps) = teardown(aws, clock, "web", ForceMode.AUTO)

    (web,) = result.services
    assert (web.outcome, web.phase, web.forced) == (Outcome.DONE, Phase.GONE, False), web.describe()
    assert described(ecs, "web")["status"] == "INACTIVE"
    refused = [c.at for c in calls(aws, "DeleteService") if c.answer == "InvalidParameterException"]
    (stopped,) = calls(aws, "StopServiceDeployment")
    assert (stopped.detail, stopped.answer) == ("ROLLBACK", "accepted")
    assert DEPLOYMENT_WAIT_S <= stopped.at - refused[0] < 2 * DEPLOYMENT_WAIT_S, "stopped after the wait, not before"
    (deleted,) = [c for c in calls(aws, "DeleteService") if c.answer == "accepted"]
    assert deleted.detail == "", "the rollback made force unnecessary"
    assert stopped.at + 3 <= deleted.at < stopped.at + 3 + 10, "deleted soon after the rollback completed"
    stopping = [s for s in steps if s.kind is Kind.STOP_DEPLOYMENT]
    assert stopping and stopping[0].phase is Phase.STOPPING_DEPLOYMENT and arn in stopping[0].why
    assert not any(s.force for s in steps)


@pytest.mark.parametrize("force", [ForceMode.NEVER, ForceMode.AUTO])
def test_a_rollout_whose_rollback_never_ends_fails_with_force_never_and_is_forced_with_auto(aws, clock, force) -> None:
    name = f"stuck-{force.value}"
    ecs = service(aws, name, Rollout(rollback_s=math.inf))  # the previous revision cannot start either
    arn = described(ecs, name)["currentServiceDeployment"]

    (result, _) = teardown(aws, clock, name, force)

    (stuck,) = result.services
    refused = [c.at for c in calls(aws, "DeleteService") if c.answer == "InvalidParameterException"]
    assert [c.answer for c in calls(aws, "StopServiceDeployment")] == ["accepted"], "stopped once, not again"
    accepted = [c for c in calls(aws, "DeleteService") if c.answer == "accepted"]
    if force is ForceMode.NEVER:
        assert (stuck.outcome, stuck.phase, stuck.forced) == (Outcome.FAILED, Phase.FAILED, False)
        waited = re.fullmatch(r"DeleteService refused for (\d+) s: deployments are active \((.*)\); (.*)", stuck.why)
        assert waited is not None, stuck.why
        assert 2 * DEPLOYMENT_WAIT_S <= int(waited[1]) < 2 * DEPLOYMENT_WAIT_S + 10, "failed soon after 120 s"
        assert waited[2] == arn and waited[3] == "ForceDelete is never, so it was not deleted with force"
        assert accepted == [] and described(ecs, name)["status"] == "ACTIVE", "left as it is"
        assert refused[-1] - refused[0] < 2 * DEPLOYMENT_WAIT_S <= result.elapsed_s
        out = io.StringIO()
        assert summarize([result], Reporter(out, as_json=False, live=False)) == EXIT_FAILED
        (line,) = [line for line in out.getvalue().splitlines() if "NOT DONE" in line]
        assert line == (
            f"  NOT DONE {CLUSTER}/{name}: failed: DeleteService refused for {waited[1]} s: deployments are active "
            f"({arn}); --force never, so it was not deleted with force. Stop its deployment (or let it finish) and "
            "run the same command again, or use --force auto."
        ), line
    else:
        assert (stuck.outcome, stuck.phase, stuck.forced) == (Outcome.DONE, Phase.GONE, True), stuck.describe()
        assert [c.detail for c in accepted] == ["force"]
        assert accepted[0].at - refused[0] >= 2 * DEPLOYMENT_WAIT_S
        assert described(ecs, name)["status"] == "INACTIVE"


def test_a_rollout_that_ends_before_the_wait_is_never_stopped(aws, clock) -> None:
    ecs = service(aws, "brief", Rollout(ends_after_s=20))

    (result, _) = teardown(aws, clock, "brief", ForceMode.AUTO)

    (brief,) = result.services
    assert (brief.outcome, brief.forced) == (Outcome.DONE, False), brief.describe()
    assert calls(aws, "StopServiceDeployment") == []
    assert [c.detail for c in calls(aws, "DeleteService") if c.answer == "accepted"] == [""]
    assert calls(aws, "DeleteService")[0].answer == "InvalidParameterException", "it did block the delete at first"
    assert described(ecs, "brief")["status"] == "INACTIVE"


# --- the emulator command ------------------------------------------------------------------------------------------


def test_the_emulator_command_starts_web_with_a_rollout_in_progress() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_TEARDOWN_"))}
    command = [sys.executable, "-m", "ecs_teardown_tools.emulator", "--port", "0", "--for", "30", "--rollout", "web"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(4)]
        url = lines[0].split("moto's server on ", 1)[1].split(" ", 1)[0]
        assert re.fullmatch(
            "emulator: web has a rolling deployment in progress \\("
            + ARN_RE.format(cluster="demo", name="web")
            + "\\); it never ends by itself, or rolls back in 2 s on StopServiceDeployment",
            lines[2],
        ), lines
        ecs = boto3.client(
            "ecs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        web, worker = ecs.describe_services(cluster="demo", services=["web", "worker"])["services"]
        assert web["currentServiceDeployment"] in lines[2] and "currentServiceDeployment" not in worker
        assert [d["rolloutState"] for d in web["deployments"]] == ["IN_PROGRESS", "COMPLETED"]
    finally:
        process.terminate()
        process.communicate(timeout=30)

    bad = subprocess.run([*command[:-1], "ghost=5"], env=env, capture_output=True, text=True, timeout=60)
    assert (
        bad.returncode == 2
        and "expected one of the cluster's services (web, api, worker, agent), got 'ghost'" in bad.stderr
    )
