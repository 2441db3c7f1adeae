"""The sample events are CloudFormation requests as CloudFormation sends them (`sam local invoke -e` passes them to
the handler as they are): the fields of a custom resource request (CloudFormation user guide, "Custom resource
request objects"), a ResponseURL whose object key is the stack, the logical id and the request id, and one request
id per request (a hand-over carries its request's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

EVENTS = Path(__file__).resolve().parents[2] / "events"
REQUESTS = sorted(path.name for path in EVENTS.glob("*.json") if path.name != "local-env.json")
COMMON = {"RequestType", "ServiceToken", "ResponseURL", "StackId", "RequestId", "LogicalResourceId", "ResourceType"}


def load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def test_every_sample_request_is_found() -> None:
    assert len(REQUESTS) >= 10 and "delete.json" in REQUESTS


@pytest.mark.parametrize("name", REQUESTS)
def test_a_sample_has_the_fields_of_its_request_type(name: str) -> None:
    event = load(name)
    assert event.keys() >= COMMON and event["ResourceType"] == "Custom::EcsServiceTeardown"
    assert event["ResourceProperties"]["ServiceToken"] == event["ServiceToken"]
    assert ("PhysicalResourceId" in event) == (event["RequestType"] != "Create")
    assert ("OldResourceProperties" in event) == (event["RequestType"] == "Update")


@pytest.mark.parametrize("name", REQUESTS)
def test_the_response_url_names_the_sample_s_own_request(name: str) -> None:
    event = load(name)
    stack, logical_id, request_id = unquote(urlsplit(event["ResponseURL"]).path.lstrip("/")).split("|")
    assert (stack, logical_id, request_id) == (event["StackId"], event["LogicalResourceId"], event["RequestId"])


def test_each_request_has_its_own_id_and_a_hand_over_carries_its_request_s() -> None:
    by_id: dict[str, list[str]] = {}
    for name in REQUESTS:
        by_id.setdefault(load(name)["RequestId"], []).append(name)
    shared = {request_id: names for request_id, names in by_id.items() if len(names) > 1}
    assert shared == {load("delete.json")["RequestId"]: ["delete-continuation.json", "delete.json"]}
    continuation = load("delete-continuation.json")
    assert "EcsTeardownContinuation" in continuation
    assert {k: v for k, v in continuation.items() if k != "EcsTeardownContinuation"} == load("delete.json")
