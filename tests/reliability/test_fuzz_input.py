"""Bad input, fuzzed with hypothesis: ResourceProperties and whole events (missing fields, wrong types, huge
strings, unicode, ARNs of other regions, accounts and partitions, malformed ARNs, keys crhelper reads), through the
real handler, its real sender and a local HTTPS endpoint, against the fake ECS.

Invariants: an invocation never raises; with a usable ResponseURL there is exactly one answer, within 4096 bytes,
and a FAILED one has a Reason; with an unusable one there is no answer, no connection and no ECS call; a Create or
an Update never changes ECS, and a bad one is FAILED with a Reason that names what was wrong; a SUCCESS for a
Create or an Update carries an id a later Delete will act on; a Delete that should be a no-op changes nothing.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn import identity
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.properties import KNOWN_PROPERTIES
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext
from support.fake_ecs import FakeClock, FakeEcs, FakeService
from support.netwatch import ConnectionWatch

EVENTS = Path(__file__).resolve().parents[2] / "events"
EVENT_FILES = sorted(p.name for p in EVENTS.glob("*.json") if p.name != "local-env.json")
BASE_EVENTS = {name: json.loads((EVENTS / name).read_text()) for name in EVENT_FILES}
TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:ecs-teardown"
WEB_ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo/web"
MAX_ANSWER = 4096
MUTATING = ("UpdateService", "DeleteService")


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.large_base_example,
        ],
    )


# --- strategies ----------------------------------------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)
huge = st.builds(lambda unit, times: unit * times, st.text(min_size=1, max_size=4), st.integers(1_000, 40_000))
weird_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x80), min_size=1, max_size=20),  # unicode only
    st.sampled_from(
        [
            "",
            " ",
            "\n",
            "web\n",
            " web",
            "we b",
            "web/",
            "a" * 256,
            "\u0663\u0660\u0660",
            "\uff13\uff10\uff10",
            "web\x00",
            "../web",
        ]
    ),
    huge,
)
partitions = st.sampled_from(["aws", "aws-cn", "aws-us-gov", "aws-iso-b", "AWS", "", "aws "])
regions = st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "US-EAST-1", "", "us-east-1a"])
accounts = st.sampled_from(
    [
        "123456789012",
        "999999999999",
        "12345678901",
        "1234567890123",
        "",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12",
    ]
)
any_arn = st.one_of(
    st.builds(
        lambda p, r, a, c, n: f"arn:{p}:ecs:{r}:{a}:service/{c}/{n}", partitions, regions, accounts, names, names
    ),
    st.builds(lambda p, r, a, n: f"arn:{p}:ecs:{r}:{a}:service/{n}", partitions, regions, accounts, names),
    st.builds(lambda p, r, a, n: f"arn:{p}:ecs:{r}:{a}:cluster/{n}", partitions, regions, accounts, names),
    st.sampled_from(
        [
            "arn:aws:ecs",
            "arn:aws:ecs:us-east-1:123456789012:service/",
            "arn:aws:ecs:us-east-1:123456789012:service/demo/",
            "arn:aws:ecs:us-east-1:123456789012:service/demo/web/extra",
            "arn:aws:ecs:us-east-1:123456789012:task/demo/web",
            "arn:aws:ecs:us-east-1:123456789012:service/demo/web\n",
            "arn:aws:lambda:us-east-1:123456789012:function:web",
            "ARN:aws:ecs:us-east-1:123456789012:service/demo/web",
        ]
    ),
)
strings = st.one_of(names, weird_text, any_arn, st.sampled_from(["true", "false", "300", "-1", "3601", "0", "auto"]))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**15), 10**15), st.floats(), strings)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=10,
)
property_keys = st.one_of(
    st.sampled_from(KNOWN_PROPERTIES), st.sampled_from(["service", "Servcie", "Cluster "]), st.text(max_size=30)
)
resource_properties = st.one_of(
    st.dictionaries(property_keys, json_values, max_size=6),
    st.dictionaries(st.sampled_from(KNOWN_PROPERTIES), json_values, max_size=8),
    json_values,  # not even an object
)


# --- harness ------------------------------------------------------------------------------------------------------


class Harness:
    """The handler, wired to a fresh fake ECS per example, with every HTTPS connection it opens recorded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: AnswerEndpoint) -> None:
        self.monkeypatch, self.answers = monkeypatch, answers
        self.watch = ConnectionWatch(monkeypatch)

    def world(self) -> FakeEcs:
        ecs = FakeEcs(FakeClock())
        for name in ("web", "api", "worker"):
            ecs.add(FakeService(name, desired=1, tasks=1, task_stop_s=3, draining_s=3))
        ecs.add(FakeService("agent", scheduling="DAEMON", desired=0, tasks=1, task_stop_s=3, draining_s=3))
        return ecs

    def invoke(self, event: Any, ecs: FakeEcs) -> tuple[list[Any], int]:
        """Returns the answers this invocation sent and how many connections it opened."""
        edges = Edges(
            ecs=lambda: EcsGateway(ecs),  # type: ignore[arg-type]
            clock=ecs.clock,
            sleep=ecs.clock.sleep,
            hand_over=lambda follow_up: pytest.fail("no hand-over expected within 900 s"),
        )
        answers_before, attempts_before = len(self.answers.answers), self.watch.attempts
        CustomResource(edges).handle(event, LocalContext(clock=ecs.clock))  # never raises, whatever the event
        return self.answers.answers[answers_before:], self.watch.attempts - attempts_before


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch, answers: AnswerEndpoint, quick_sender: Any) -> Harness:
    quick_sender(timeout_s=1.0, backoff_s=0.001)  # a dead local endpoint in the mix: give up on it quickly
    return Harness(monkeypatch, answers)


def mutating_calls(ecs: FakeEcs) -> list[str]:
    return [op for _, op, _ in ecs.calls if op in MUTATING]


# A FAILED Reason the stack's owner can act on: it names a property, a cluster or a service, or the event's problem.
CLEAR_REASON = re.compile(
    r"Propert(y|ies) |ResourceProperties|Unknown property|cluster '|services? .* in cluster|ecs-teardown: "
)


def check_answer(sent: list[Any]) -> dict[str, Any]:
    assert len(sent) == 1, f"exactly one answer, got {len(sent)}"
    body: dict[str, Any] = sent[0].body
    assert body["Status"] in ("SUCCESS", "FAILED")
    if body["Status"] == "FAILED":
        assert isinstance(body["Reason"], str) and body["Reason"].strip(), "a FAILED answer has a Reason"
    return body


# --- ResourceProperties --------------------------------------------------------------------------------------------


@fuzz_settings(250)
@given(request_type=st.sampled_from(["Create", "Update"]), properties=resource_properties)
def test_fuzzed_properties_of_a_create_or_update(harness, answers, request_type, properties):
    event = copy.deepcopy(BASE_EVENTS["create.json" if request_type == "Create" else "update.json"])
    event["ResourceProperties"] = properties
    event["ResponseURL"] = answers.url("fuzz")
    ecs = harness.world()
    sent, _ = harness.invoke(event, ecs)
    body = check_answer(sent)
    assert len(sent[0].raw) <= MAX_ANSWER
    assert mutating_calls(ecs) == [], "a Create or an Update only reads"
    if body["Status"] == "FAILED":
        assert CLEAR_REASON.search(body["Reason"]), f"unclear Reason: {body['Reason'][:300]!r}"
    else:
        assert identity.parse_id(body["PhysicalResourceId"]) is not None, "a later Delete must act on this id"
        assert body["Data"]["ServiceArns"]


def one_defect() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(a word the Reason must contain, a change that makes valid properties invalid in exactly one way)."""
    defects = [
        st.builds(
            lambda k: ("Unknown property", {k: "x"}),
            st.text(min_size=1, max_size=30).filter(lambda k: k not in KNOWN_PROPERTIES),
        ),
        st.builds(lambda k: ("Unknown property", {k: "x"}), huge.filter(lambda k: k not in KNOWN_PROPERTIES)),
        st.builds(
            lambda v: ("Service", {"Service": v}),
            st.one_of(weird_text, any_arn, st.integers(), st.lists(names, max_size=2)).filter(
                lambda v: not (isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,255}", v))
            ),
        ),
        st.builds(
            lambda v: ("Cluster", {"Cluster": v}),
            st.one_of(weird_text, st.integers(), st.booleans(), st.lists(names, max_size=2)).filter(
                lambda v: not (isinstance(v, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,255}", v))
            ),
        ),
        st.builds(
            lambda v: ("DrainTimeoutSeconds", {"DrainTimeoutSeconds": v}),
            st.one_of(
                st.integers(3601, 10**12),
                st.integers(max_value=-1),
                st.floats(),
                st.sampled_from(["-1", "3601", "1e3", "300.0", "\u0663\u0660\u0660", "soon", "9" * 5000, ""]),
                st.booleans(),
            ),
        ),
        st.builds(
            lambda v: ("ServiceTimeout", {"ServiceTimeout": v}),
            st.one_of(
                st.integers(3601, 10**12),
                st.integers(max_value=0),
                st.sampled_from(["0", "3601", "7200", "\uff11\uff10", "x"]),
            ),
        ),
        st.builds(
            lambda v: ("ForceDelete", {"ForceDelete": v}),
            st.one_of(weird_text, st.booleans(), st.integers()).filter(
                lambda v: not (isinstance(v, str) and v.strip().lower() in ("auto", "always", "never"))
            ),
        ),
        st.builds(
            lambda v: ("WaitForInactive", {"WaitForInactive": v}),
            st.one_of(weird_text, st.integers(), st.sampled_from(["yes", "1", "TRUEE"])).filter(
                lambda v: not (isinstance(v, str) and v.strip().lower() in ("true", "false"))
            ),
        ),
        st.builds(
            lambda p, r, a: ("Service", {"Service": f"arn:{p}:ecs:{r}:{a}:service/demo/web"}),
            st.sampled_from(["aws-cn", "aws-us-gov"]),
            st.just("us-east-1"),
            st.just("123456789012"),
        ),
        st.builds(
            lambda r: ("Service", {"Service": f"arn:aws:ecs:{r}:123456789012:service/demo/web"}),
            st.sampled_from(["eu-west-1", "us-west-2", "ap-south-1"]),
        ),
        st.builds(
            lambda a: ("Service", {"Service": f"arn:aws:ecs:us-east-1:{a}:service/demo/web"}),
            st.sampled_from(["999999999999", "000000000000"]),
        ),
        st.builds(
            lambda r: ("Cluster", {"Cluster": f"arn:aws:ecs:{r}:123456789012:cluster/demo"}),
            st.sampled_from(["eu-west-1", "cn-north-1"]),
        ),
        st.just(("Service", {"Service": "arn:aws:ecs:us-east-1:123456789012:service/other/web"})),  # not Cluster demo
        st.just(("Services", {"Service": None, "Services": []})),
        st.just(("Services", {"Service": None, "Services": [f"s{i}" for i in range(51)]})),
        st.just(("Services", {"Service": None, "Services": ["web", "api", "web"]})),
        st.just(("Services", {"Service": None, "Services": ["web", WEB_ARN]})),
        st.just(("Services", {"Service": None, "Services": "web,api"})),
        st.just(("Services", {"Service": None, "Services": ["web", 7]})),
        st.just(("Service", {"Services": ["api"]})),  # both Service and Services
        st.just(("Service", {"Service": None})),  # neither
    ]
    return st.one_of(*defects)


@fuzz_settings(250)
@given(request_type=st.sampled_from(["Create", "Update"]), defect=one_defect())
def test_one_defect_in_valid_properties_fails_naming_it(harness, answers, request_type, defect):
    label, change = defect
    properties: dict[str, Any] = {"ServiceToken": TOKEN, "Cluster": "demo", "Service": "web"}
    for key, value in change.items():
        if value is None:
            properties.pop(key, None)
        else:
            properties[key] = value
    event = copy.deepcopy(BASE_EVENTS["create.json" if request_type == "Create" else "update.json"])
    event["ResourceProperties"] = properties
    event["ResponseURL"] = answers.url("fuzz")
    ecs = harness.world()
    sent, _ = harness.invoke(event, ecs)
    body = check_answer(sent)
    assert len(sent[0].raw) <= MAX_ANSWER
    assert body["Status"] == "FAILED", f"{change!r:.200} was accepted"
    assert label in body["Reason"], f"the Reason does not name {label}: {body['Reason'][:300]!r}"
    assert ecs.calls == [], "bad input touches nothing, not even a read"
    if request_type == "Update":
        assert body["PhysicalResourceId"] == event["PhysicalResourceId"], "a failed Update keeps its id"


# --- whole events --------------------------------------------------------------------------------------------------

UNUSABLE_URLS = [
    None,
    42,
    ["https://s3.amazonaws.com/x"],
    "",
    "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc",
    "https://169.254.169.254/latest/meta-data/",
    "https://amazonaws.com.evil.example/x",
    "https://s3.amazonaws.com@evil.example/x",
    "https://evil.example/x?host=s3.amazonaws.com",
    "https://s3.amazonaws.com:8443/x",
    "ftp://s3.amazonaws.com/x",
    "https://[::1]/x",
    "https://127.0.0.2/x",
    "https://127.0.0.1:1/x?signature",  # allowed host, closed port: usable, but nobody listens (see below)
]
EXTRA_KEYS = ["CrHelperPoll", "CrHelperData", "CrHelperRule", "CrHelperPermission", "EcsTeardownContinuation", "NoEcho"]
EVENT_KEYS = sorted({key for event in BASE_EVENTS.values() for key in event} | set(EXTRA_KEYS))
foreign_ids = st.one_of(
    st.builds(lambda p, r, a: f"arn:{p}:ecs:{r}:{a}:service/demo/web", partitions, regions, accounts).filter(
        lambda arn: arn != WEB_ARN
    ),
    st.sampled_from(["ecs-teardown/failed-create/abc", "web", WEB_ARN + " ", "ecs-teardown/demo-app/Teardown/x"]),
    weird_text,
)


@st.composite
def mutated_events(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[str]]:
    name = draw(st.sampled_from(EVENT_FILES))
    event = copy.deepcopy(BASE_EVENTS[name])
    event["ResponseURL"] = "USABLE"
    changed: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["drop", "set", "set", "url", "request-type", "physical-id", "property"]))
        if kind == "drop" and event:
            key = draw(st.sampled_from(sorted(event)))
            del event[key]
            changed.append(key)
        elif kind == "set":
            key = draw(st.one_of(st.sampled_from(EVENT_KEYS), st.text(max_size=12)))
            event[key] = draw(json_values)
            changed.append(key)
        elif kind == "url":
            event["ResponseURL"] = draw(st.sampled_from(UNUSABLE_URLS))
        elif kind == "request-type":
            event["RequestType"] = draw(
                st.one_of(st.sampled_from(["Create", "Update", "Delete", "delete", "DELETE"]), json_values)
            )
            changed.append("RequestType")
        elif kind == "physical-id":
            event["PhysicalResourceId"] = draw(foreign_ids)
            changed.append("PhysicalResourceId")
        elif kind == "property" and isinstance(event.get("ResourceProperties"), dict):
            key = draw(property_keys)
            event["ResourceProperties"][key] = draw(json_values)
            changed.append(f"ResourceProperties.{key}")
    return name, event, changed


def event_type(fuzzed: dict[str, Any]) -> str:
    request_type = fuzzed.get("RequestType")
    return request_type if request_type in ("Create", "Update", "Delete") else "other RequestType"


def usable(url: Any) -> bool:
    return url == "USABLE"


@fuzz_settings(300)
@given(case=mutated_events())
def test_fuzzed_whole_events(harness, answers, case):
    name, fuzzed, changed = case
    base = BASE_EVENTS[name]
    url_usable = usable(fuzzed.get("ResponseURL"))
    if url_usable:
        fuzzed["ResponseURL"] = answers.url("fuzz-event")
    ecs = harness.world()
    sent, connections = harness.invoke(fuzzed, ecs)
    event(f"{'usable' if url_usable else 'unusable'} ResponseURL; {str(event_type(fuzzed))[:20]}")
    if not url_usable:
        assert sent == [], "no answer to an unusable ResponseURL"
        if fuzzed.get("ResponseURL") != "https://127.0.0.1:1/x?signature":
            assert connections == 0, f"a connection was attempted to {fuzzed.get('ResponseURL')!r}"
            assert ecs.calls == [], "nothing is read or touched for a request that cannot be answered"
        return
    body = check_answer(sent)
    event(f"answered {body['Status']}")
    echoed = sum(
        len(json.dumps(fuzzed.get(k, ""))) for k in ("StackId", "RequestId", "LogicalResourceId", "PhysicalResourceId")
    )
    if echoed < 2000:
        assert len(sent[0].raw) <= MAX_ANSWER
    request_type = fuzzed.get("RequestType")
    if request_type in ("Create", "Update"):
        assert mutating_calls(ecs) == []
        if body["Status"] == "SUCCESS":
            assert identity.parse_id(body["PhysicalResourceId"]) is not None, (
                f"SUCCESS for a {request_type} with an id no Delete will act on: {body['PhysicalResourceId']!r}"
            )
    issued = identity.parse_id(fuzzed.get("PhysicalResourceId"))
    targets_kept = (
        request_type == "Delete"
        and issued is not None
        and isinstance(fuzzed.get("ResourceProperties"), dict)
        and all(
            fuzzed["ResourceProperties"].get(k) == base["ResourceProperties"].get(k)
            for k in ("Cluster", "Service", "Services")
        )
    )
    if not targets_kept:
        assert mutating_calls(ecs) == [], f"a Delete that should be a no-op changed ECS ({changed})"


@fuzz_settings(200)
@given(physical_id=foreign_ids, by_arn=st.booleans())
def test_a_delete_whose_id_was_not_issued_for_these_services_touches_nothing(harness, answers, physical_id, by_arn):
    """An id this function did not issue: an ARN of another partition, region or account, a failed Create's id, or
    junk; whatever the properties name, nothing is read or changed."""
    assume(physical_id not in (WEB_ARN, "arn:aws:ecs:us-east-1:123456789012:service/web"))
    event = copy.deepcopy(BASE_EVENTS["delete.json"])
    event["ResourceProperties"]["Service"] = WEB_ARN if by_arn else "web"
    event["PhysicalResourceId"] = physical_id
    event["ResponseURL"] = answers.url("fuzz-delete")
    ecs = harness.world()
    sent, _ = harness.invoke(event, ecs)
    body = check_answer(sent)
    assert ecs.calls == [], f"id {physical_id[:120]!r} is not this handler's for demo/web"
    if body["Status"] == "FAILED":  # an ARN of another partition, region or account: said so, loudly
        assert body["Reason"].startswith("PhysicalResourceId "), body["Reason"]


# --- what the fuzzing found, pinned ----------------------------------------------------------------------------------

CRHELPER_KEYS = [
    {"CrHelperPoll": True},
    {"CrHelperData": 1},
    {"CrHelperData": ["not", "an", "object"]},
    {"CrHelperData": {"ServiceArn": "arn:aws:ecs:us-east-1:999999999999:service/x/y"}},
    {"CrHelperPoll": True, "CrHelperRule": "arn:aws:events:us-east-1:123456789012:rule/x", "CrHelperPermission": "p"},
]


@pytest.mark.parametrize("extra", CRHELPER_KEYS, ids=[json.dumps(k) for k in CRHELPER_KEYS])
@pytest.mark.parametrize("request_file", ["create.json", "delete.json"])
def test_keys_crhelper_reads_do_not_steer_the_handler(harness, answers, extra, request_file):
    """crhelper reads CrHelperPoll (it skipped the handler: a bad Create answered SUCCESS, a Delete tore nothing
    down) and CrHelperData (it became the answer's Data; one that was not an object left the request unanswered)."""
    event = copy.deepcopy(BASE_EVENTS[request_file])
    if request_file == "create.json":
        event["ResourceProperties"]["Service"] = "no-such-service"
    event.update(copy.deepcopy(extra))
    event["ResponseURL"] = answers.url("crhelper-keys")
    ecs = harness.world()
    sent, _ = harness.invoke(event, ecs)
    body = check_answer(sent)
    assert "arn:aws:ecs:us-east-1:999999999999" not in json.dumps(body)
    if request_file == "create.json":
        assert body["Status"] == "FAILED" and "'no-such-service'" in body["Reason"]
    else:
        assert body["Status"] == "SUCCESS"
        assert ecs.services[("demo", "web")].status(ecs.clock.now) == "INACTIVE", "the Delete did its work"


@pytest.mark.parametrize("properties", [1, "Service=web", ["web"], True, 2.5], ids=repr)
@pytest.mark.parametrize("request_file", ["create.json", "update.json", "delete.json"])
def test_resource_properties_that_are_not_an_object_fail_naming_them(harness, answers, properties, request_file):
    event = copy.deepcopy(BASE_EVENTS[request_file])
    event["ResourceProperties"] = properties
    event["ResponseURL"] = answers.url("not-an-object")
    ecs = harness.world()
    sent, _ = harness.invoke(event, ecs)
    body = check_answer(sent)
    assert body["Status"] == "FAILED"
    assert body["Reason"].startswith("ResourceProperties: expected an object"), body["Reason"]
    assert ecs.calls == []
