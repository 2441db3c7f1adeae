"""What the ECS edge makes of DescribeServices: a per-service failure stays with its service, and a reading with a
missing, null or mistyped field is UNREADABLE with a message naming the field, the service and the call (a count is
never taken as zero: that would delete a service whose tasks still run)."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.core.machine import Kind, Progress, Settings, decide
from ecs_teardown.core.model import ACTIVE, MISSING, UNREADABLE, ForceMode

GOOD = {"serviceName": "web", "status": "ACTIVE", "desiredCount": 0, "runningCount": 2, "pendingCount": 0}


class Answers:
    """A client that answers DescribeServices with what it is given."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    def describe_services(self, **_: Any) -> dict[str, Any]:
        return self.answer


def read(answer: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return EcsGateway(Answers(answer)).describe("demo", names)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"desiredCount": None}, "desiredCount"),
        ({"runningCount": None}, "runningCount"),
        ({"pendingCount": "1"}, "pendingCount"),
        ({"runningCount": True}, "runningCount"),
        ({"status": None}, "status"),
        ({"status": ""}, "status"),
        ({"desiredCount": None, "runningCount": None}, "desiredCount, runningCount"),
    ],
)
def test_a_field_missing_or_null_is_unreadable_and_named(change: dict[str, Any], fields: str) -> None:
    service = {**GOOD, **change}
    snapshot = read({"services": [service], "failures": []}, ["web"])["web"]
    assert snapshot.status == UNREADABLE
    assert snapshot.problem == f"DescribeServices returned no usable {fields} for service 'web' in cluster 'demo'"


@pytest.mark.parametrize("dropped", ["desiredCount", "runningCount", "pendingCount", "status"])
def test_a_field_left_out_is_unreadable(dropped: str) -> None:
    service = {k: v for k, v in GOOD.items() if k != dropped}
    snapshot = read({"services": [service], "failures": []}, ["web"])["web"]
    assert snapshot.status == UNREADABLE and f"no usable {dropped} " in snapshot.problem


def test_an_unreadable_service_fails_and_is_never_deleted() -> None:
    snapshot = read({"services": [{**GOOD, "runningCount": None}], "failures": []}, ["web"])["web"]
    action = decide(snapshot, Progress(), 10_000.0, Settings(300, ForceMode.AUTO, True))
    assert action.kind is Kind.FAIL and action.why == snapshot.problem


def test_a_failure_stays_with_its_own_service() -> None:
    answer = {
        "services": [GOOD, {**GOOD, "serviceName": "api"}],
        "failures": [
            {"arn": "arn:aws:ecs:us-east-1:123456789012:service/demo/worker", "reason": "ACCESS_DENIED", "detail": "x"},
            {"arn": "arn:aws:ecs:us-east-1:123456789012:service/demo/ghost", "reason": "MISSING"},
        ],
    }
    readings = read(answer, ["web", "api", "worker", "ghost"])
    assert readings["web"].status == readings["api"].status == ACTIVE
    assert readings["ghost"].status == MISSING
    assert readings["worker"].status == UNREADABLE
    assert (
        readings["worker"].problem == "DescribeServices of service 'worker' in cluster 'demo' failed: ACCESS_DENIED x"
    )


def task_set(status: str, deployment: str, created: float) -> dict[str, Any]:
    return {"status": status, "externalId": deployment, "createdAt": created}


@pytest.mark.parametrize(
    ("task_sets", "named"),
    [
        ([task_set("PRIMARY", "d-OLD", 100.0), task_set("ACTIVE", "d-NEW", 200.0)], ("d-NEW",)),  # before the shift
        ([task_set("ACTIVE", "d-OLD", 100.0), task_set("PRIMARY", "d-NEW", 200.0)], ("d-NEW",)),  # after it
        ([task_set("PRIMARY", "d-OLD", 100.0), task_set("ACTIVE", "d-NEW", 100.0)], ("d-NEW",)),  # a tie: ACTIVE
        ([task_set("PRIMARY", "d-OLD", 100.0)], ()),  # one task set: nothing in progress
        ([task_set("PRIMARY", "d-OLD", 100.0), task_set("DRAINING", "d-NEW", 200.0)], ()),  # being removed
    ],
    ids=["before the traffic shift", "after it", "same creation time", "one", "draining"],
)
def test_the_codedeploy_deployment_named_is_the_one_that_made_the_newest_task_set(task_sets, named) -> None:
    service = {**GOOD, "deploymentController": {"type": "CODE_DEPLOY"}, "taskSets": task_sets}

    assert read({"services": [service], "failures": []}, ["web"])["web"].codedeploy == named
