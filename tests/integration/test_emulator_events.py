"""Every sample event in events/, run as the README's "Trying it locally" runs it (`ecs-teardown invoke EVENT
--endpoint-url URL`, the console script in its own process), each against a fresh emulator: the embedded AWS with
the cluster `demo` that `python -m ecs_teardown_tools.emulator` serves, holding every service the events name. Each
does what the README's events table says it does, and touches nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ecs_teardown_tools.emulator import DEMO_SERVICES, EmbeddedAws, _demo_cluster

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
SCRIPT = Path(sys.executable).with_name("ecs-teardown")
PHYSICAL_ID = "ecs-teardown/demo-app/Teardown/b9d8f0bf1be39bf7402122a7"  # what the samples' Create answers
ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo/{}"
NAMES = [name for name, *_ in DEMO_SERVICES]
AT_START = {name: ("ACTIVE", tasks, tasks) for name, _, tasks, *_ in DEMO_SERVICES}  # (status, desired, running)
GONE = ("INACTIVE", 0, 0)


@pytest.fixture
def aws() -> Iterator[EmbeddedAws]:
    """A fresh emulator, as the emulator command starts it. moto's backends are the process's, and other tests leave
    a cluster `demo` behind: they are emptied first, as moto's own /moto-api/reset does (a reset over HTTP once the
    emulator serves would also wipe what it plays on top)."""
    from moto.moto_api._internal import moto_api_backend

    moto_api_backend.reset()
    with EmbeddedAws() as embedded:
        _demo_cluster(embedded, {})
        assert services(embedded) == AT_START
        yield embedded


def services(aws: EmbeddedAws) -> dict[str, tuple[str, int, int]]:
    found = aws.client("ecs").describe_services(cluster="demo", services=NAMES)["services"]
    return {s["serviceName"]: (s["status"], s["desiredCount"], s["runningCount"]) for s in found}


def writes(aws: EmbeddedAws) -> list[tuple[str, str]]:
    """The ECS writes the emulator received (UpdateService, DeleteService), in order, by service name."""
    return [(operation, service.rsplit("/", 1)[-1]) for operation, service, _ in aws.timed.writes]


def invoke(aws: EmbeddedAws, event: str, stack_status: str | None = None) -> tuple[int, dict[str, Any]]:
    """`ecs-teardown invoke events/EVENT --endpoint-url URL [--stack-status S]` with no AWS configuration at all;
    its exit code and the answer it printed. A teardown's drains take seconds here: 60 s bounds it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_TEARDOWN_", "SSL_CERT"))}
    env.update(
        AWS_CONFIG_FILE="/nonexistent/config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials",
        AWS_EC2_METADATA_DISABLED="true",
    )
    extra = ["--stack-status", stack_status] if stack_status else []
    done = subprocess.run(
        [str(SCRIPT), "invoke", f"events/{event}", "--endpoint-url", aws.url, *extra],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_create_of_one_service_answers_its_arn_and_touches_nothing(aws: EmbeddedAws) -> None:
    code, answer = invoke(aws, "create.json")
    assert (code, answer["Status"], answer["PhysicalResourceId"]) == (0, "SUCCESS", PHYSICAL_ID), answer
    assert answer["Data"]["ServiceArn"] == answer["Data"]["ServiceArns"] == ARN.format("web")
    assert (writes(aws), services(aws)) == ([], AT_START)


def test_create_of_three_services_answers_their_arns(aws: EmbeddedAws) -> None:
    code, answer = invoke(aws, "create-services.json")
    assert (code, answer["Status"], answer["PhysicalResourceId"]) == (0, "SUCCESS", PHYSICAL_ID), answer
    three = ["web", "api", "worker"]
    assert answer["Data"]["ServiceArns"] == ",".join(ARN.format(name) for name in three)
    assert (answer["Data"]["ServiceNames"], answer["Data"]["ServiceCount"]) == (",".join(three), "3")
    assert "ServiceArn" not in answer["Data"], "one ServiceArn only for one service"
    assert (writes(aws), services(aws)) == ([], AT_START)


def test_update_that_respells_the_service_keeps_the_physical_id(aws: EmbeddedAws) -> None:
    code, answer = invoke(aws, "update.json")
    assert (code, answer["Status"], answer["PhysicalResourceId"]) == (0, "SUCCESS", PHYSICAL_ID), answer
    assert answer["Data"]["ServiceArn"] == ARN.format("web")
    assert (writes(aws), services(aws)) == ([], AT_START)


def test_update_to_another_service_keeps_the_physical_id_and_answers_the_new_arn(aws: EmbeddedAws) -> None:
    code, answer = invoke(aws, "update-repoint.json")
    assert (code, answer["Status"], answer["PhysicalResourceId"]) == (0, "SUCCESS", PHYSICAL_ID), answer
    assert answer["Data"]["ServiceArn"] == ARN.format("api")
    assert (writes(aws), services(aws)) == ([], AT_START), "the service it no longer names (web) is left as it is"


@pytest.mark.parametrize(
    ("event", "torn_down", "physical_id"),
    [
        ("delete.json", ["web"], PHYSICAL_ID),
        ("delete-services.json", ["web", "api", "worker"], PHYSICAL_ID),
        ("delete-legacy-id.json", ["web"], ARN.format("web")),  # version 0.1's id: the service's ARN
    ],
)
def test_delete_of_replica_services_scales_each_to_zero_then_deletes_it(
    aws: EmbeddedAws, event: str, torn_down: list[str], physical_id: str
) -> None:
    code, answer = invoke(aws, event, "DELETE_IN_PROGRESS")
    assert (code, answer["Status"], answer["Reason"]) == (0, "SUCCESS", ""), answer
    assert answer["PhysicalResourceId"] == physical_id
    assert services(aws) == {name: GONE if name in torn_down else AT_START[name] for name in NAMES}
    assert sorted(writes(aws)) == sorted(
        (operation, name) for name in torn_down for operation in ("update_service", "delete_service")
    ), "each once: a scale-down, then a delete without force"


def test_delete_of_a_daemon_deletes_it_without_a_scale_down(aws: EmbeddedAws) -> None:
    code, answer = invoke(aws, "delete-daemon.json", "DELETE_IN_PROGRESS")
    assert (code, answer["Status"], answer["PhysicalResourceId"]) == (0, "SUCCESS", PHYSICAL_ID), answer
    assert services(aws) == {**AT_START, "agent": GONE}, "ECS stopped its tasks itself"
    assert writes(aws) == [("delete_service", "agent")], "no UpdateService: a DAEMON refuses a desiredCount"


def test_delete_carrying_a_failed_create_s_id_touches_nothing(aws: EmbeddedAws) -> None:
    code, answer = invoke(aws, "delete-after-failed-create.json", "DELETE_IN_PROGRESS")
    assert (code, answer["Status"]) == (0, "SUCCESS"), answer
    assert answer["PhysicalResourceId"] == "ecs-teardown/failed-create/11111111-1111-1111-1111-111111111111"
    assert (writes(aws), services(aws)) == ([], AT_START)


def test_a_hand_over_whose_budget_is_spent_fails_and_touches_nothing(aws: EmbeddedAws) -> None:
    event = json.loads((EVENTS / "delete-continuation.json").read_text())
    spent_at = event["EcsTeardownContinuation"]["StartedAt"] + float(event["ResourceProperties"]["ServiceTimeout"])
    assert time.time() > spent_at, "the sample's StartedAt is not long past yet: a start in the future counts as now"
    code, answer = invoke(aws, "delete-continuation.json", "DELETE_IN_PROGRESS")
    assert (code, answer["Status"], answer["PhysicalResourceId"]) == (1, "FAILED", PHYSICAL_ID), answer
    assert "time budget (ServiceTimeout 3600 s) ran out" in answer["Reason"]
    assert answer["Reason"].endswith("nothing was touched")
    assert (writes(aws), services(aws)) == ([], AT_START)
