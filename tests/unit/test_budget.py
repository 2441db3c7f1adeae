"""core/budget.py: the answer's margin, the advice when a Timeout cannot cover a ServiceTimeout (word for word),
the hand-over's wire format, and the moments one invocation works towards."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ecs_teardown.core.budget import (
    HANDOVER_KEY,
    LAMBDA_RESERVE_S,
    MAX_INVOCATIONS,
    Budget,
    HandOver,
    answer_margin_s,
    coverage_problem,
)
from ecs_teardown.core.drain import Preparation, Scaling
from ecs_teardown.core.model import MAX_DEREGISTRATION_DELAY_S, MAX_SERVICES
from ecs_teardown.core.results import TeardownResult


@pytest.mark.parametrize(
    ("service_timeout_s", "margin_s"),
    [(1, 0.5), (2, 1.0), (9, 4.5), (10, 5.0), (50, 5.0), (60, 6.0), (600, 60.0), (601, 60.0), (3600, 60.0)],
)
def test_answer_margin(service_timeout_s: int, margin_s: float) -> None:
    assert answer_margin_s(service_timeout_s) == pytest.approx(margin_s)


def advice(service_timeout_s: int, timeout_s: int, work_s: int, covered_s: int, least_s: int, serves: str) -> str:
    return (
        f"{service_timeout_s} s cannot be covered by this function: its Timeout (about {timeout_s} s) leaves "
        f"{work_s} s of work per invocation after a 60 s reserve, and hand-overs stop at 10 invocations (below "
        f"Lambda's recursive loop detection), {covered_s} s in all. Give the function a Timeout of at least {least_s} s; with this "
        f"one it can serve {serves}"
    )


@pytest.mark.parametrize(
    ("service_timeout_s", "timeout_s", "expected"),
    [
        # under the reserve: no work at all per invocation (never a negative amount)
        (60, 45.0, advice(60, 45, 0, 0, 68, "no ServiceTimeout at all")),
        # the smallest ServiceTimeout that fits: 1 s (its margin is half a second)
        (3600, 60.08, advice(3600, 60, 0, 1, 416, "a ServiceTimeout of at most 1 s")),
        # 900 s covered: 960 s less its 60 s margin fits exactly
        (3600, 150.0, advice(3600, 150, 90, 900, 416, "a ServiceTimeout of at most 960 s")),
        # 1 s short of the longest ServiceTimeout
        (3600, 413.95, advice(3600, 414, 354, 3540, 416, "a ServiceTimeout of at most 3599 s")),
        (1000, 153.9, advice(1000, 154, 94, 939, 156, "a ServiceTimeout of at most 999 s")),
    ],
)
def test_coverage_problem_says_exactly_what_to_do(service_timeout_s: int, timeout_s: float, expected: str) -> None:
    assert coverage_problem(service_timeout_s, timeout_s) == expected


@pytest.mark.parametrize(("service_timeout_s", "timeout_s"), [(1000, 154.0), (3600, 414.0), (3600, 900.0), (1, 61.0)])
def test_coverage_is_enough_when_it_covers_the_budget_exactly_or_more(service_timeout_s: int, timeout_s: float) -> None:
    assert coverage_problem(service_timeout_s, timeout_s) == ""


def test_the_advised_timeout_is_itself_enough_and_two_seconds_less_is_not() -> None:
    for service_timeout_s in (60, 300, 1000, 3600):
        least = math.ceil((service_timeout_s - answer_margin_s(service_timeout_s)) / MAX_INVOCATIONS + LAMBDA_RESERVE_S)
        assert coverage_problem(service_timeout_s, least + 2) == ""
        assert coverage_problem(service_timeout_s, least - 1) != ""


# ---------------------------------------------------------------------------------------------------------------
# The hand-over: its wire format (an event key and its fields), how it is read back, and how large it can grow
# ---------------------------------------------------------------------------------------------------------------


def test_the_hand_over_s_wire_format() -> None:
    assert HANDOVER_KEY == "EcsTeardownContinuation"
    found = Preparation(Scaling(dynamic_in=True), suspended=True, delays=(("tg-arn", 300),), lowered=(("tg-arn", 5),))
    carried = HandOver(
        started_at=100.0,
        invocation=3,
        drain_started={"web": 150.0},
        preparations={"web": found},
        blocked_since={"web": 160.0, "api": 170.5},
        rollout_stop_requested=frozenset({"web"}),
    )
    event = carried.to_event()
    assert event == {
        "StartedAt": 100.0,
        "Generation": 3,
        "DrainStartedAt": {"web": 150.0},
        "Prepared": {
            "web": {
                "StopTimeout": 30,
                "Delays": [["tg-arn", 300]],
                "Scaling": [True, False, False],
                "Suspended": True,
                "MinCapacity": 0,
                "MinLowered": False,
                "Lowered": [["tg-arn", 5]],
            }
        },
        "DeploymentsBlocked": {"web": [160.0, True], "api": [170.5, False]},
    }
    assert HandOver.from_event(json.loads(json.dumps(event)), now=200.0) == carried


NOW = 1_000.0
EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, HandOver(NOW)),
        ("StartedAt=1", HandOver(NOW)),
        ({}, HandOver(NOW)),
        ({"StartedAt": 900, "Generation": 2}, HandOver(900.0, 2)),
        ({"Generation": 2}, HandOver(NOW, 2)),  # no start carried: from now, still the third invocation
        ({"StartedAt": "900.5", "Generation": "2"}, HandOver(900.5, 2)),
        ({"StartedAt": NOW, "Generation": 1}, HandOver(NOW, 1)),  # a start at `now` is a start
        ({"StartedAt": NOW + 1, "Generation": 1}, HandOver(NOW, 1)),  # in the future: counts from now
        ({"StartedAt": math.nan, "Generation": 1}, HandOver(NOW, 1)),
        ({"StartedAt": "soon", "Generation": 4}, HandOver(NOW, 0)),
        ({"StartedAt": 900, "Generation": None}, HandOver(NOW, 0)),
        ({"StartedAt": 900, "Generation": math.inf}, HandOver(NOW, 0)),
        ({"StartedAt": 900, "Generation": -3}, HandOver(900.0, 0)),
        (
            {"StartedAt": 900, "DrainStartedAt": {"a": 900, "b": 950.5, "c": NOW, "d": 899, "e": NOW + 1}},
            HandOver(900.0, 0, {"a": 900.0, "b": 950.5, "c": NOW}),
        ),
        (
            {"StartedAt": 900, "DrainStartedAt": {"a": "950", "b": None, "c": math.nan, "d": math.inf, 7: 950}},
            HandOver(900.0, 0, {"7": 950.0}),
        ),
        ({"StartedAt": 900, "DrainStartedAt": [["a", 950]]}, HandOver(900.0)),
        ({"StartedAt": 0, "DrainStartedAt": {"a": True, "b": False, "c": 1}}, HandOver(0.0, 0, {"c": 1.0})),
        # since when a deployment has blocked each service's delete, and whether its rollout's stop was sent
        (
            {"StartedAt": 900, "DeploymentsBlocked": {"a": [900, True], "b": [950.5, False], "c": [NOW, True]}},
            HandOver(900.0, blocked_since={"a": 900.0, "b": 950.5, "c": NOW}, rollout_stop_requested=frozenset("ac")),
        ),
        (  # a moment before the start or after now, or no number: the service waits afresh (and may stop again)
            {
                "StartedAt": 900,
                "DeploymentsBlocked": {
                    "early": [899, True],
                    "late": [NOW + 1, True],
                    "text": ["950", True],
                    "none": [None, True],
                    "nan": [math.nan, True],
                    "inf": [math.inf, True],
                    "bool": [True, True],
                    "ok": [950, True],
                    7: [950, False],
                },
            },
            HandOver(900.0, blocked_since={"ok": 950.0, "7": 950.0}, rollout_stop_requested=frozenset({"ok"})),
        ),
        (  # only `true` is a stop sent
            {"StartedAt": 900, "DeploymentsBlocked": {"a": [950, 1], "b": [950, "true"], "c": [950, None]}},
            HandOver(900.0, blocked_since={"a": 950.0, "b": 950.0, "c": 950.0}),
        ),
        (  # not a pair: left out
            {
                "StartedAt": 900,
                "DeploymentsBlocked": {"a": 950, "b": [950], "c": [950, True, True], "d": (950, True), "e": {}},
            },
            HandOver(900.0),
        ),
        ({"StartedAt": 900, "DeploymentsBlocked": [["a", 950, True]]}, HandOver(900.0)),
        ({"StartedAt": 900, "DeploymentsBlocked": "a"}, HandOver(900.0)),
    ],
)
def test_a_hand_over_is_read_back_safely(value: object, expected: HandOver) -> None:
    carried = HandOver.from_event(value, NOW)
    assert carried == expected
    assert all(type(at) is float for at in carried.drain_started.values())
    assert all(type(at) is float for at in carried.blocked_since.values())
    assert type(carried.started_at) is float


def test_the_next_invocation_is_handed_the_same_start_and_all_the_teardown_learned() -> None:
    found = Preparation(stop_timeout_s=10)
    result = TeardownResult(
        (),
        elapsed_s=50.0,
        rounds=4,
        throttles=0,
        drain_started={"web": 120.0},
        preparations={"web": found},
        blocked_since={"api": 130.0},
        rollout_stop_requested=frozenset({"api"}),
    )
    earlier = HandOver(100.0, 2, {"old": 101.0}, {"old": Preparation()}, {"old": 102.0}, frozenset({"old"}))

    assert earlier.following(result) == HandOver(
        100.0, 3, {"web": 120.0}, {"web": found}, {"api": 130.0}, frozenset({"api"})
    )


def test_a_hand_over_from_before_deployments_were_carried_blocks_nothing() -> None:
    """A hand-over written without DeploymentsBlocked (an invocation of the previous version): no service has
    been blocked, none has had its rollout stopped."""
    carried = HandOver.from_event({"StartedAt": 900, "Generation": 1, "DrainStartedAt": {"web": 950}}, NOW)
    assert carried == HandOver(900.0, 1, {"web": 950.0})


def test_the_largest_hand_over_fits_an_asynchronous_invoke() -> None:
    """MAX_SERVICES services with the longest names, each with every field a hand-over carries at its largest (five
    target groups, each found, lowered, shared and unread), on the Delete event naming them all by their longest
    ARNs: within the 256 KB Lambda accepts as an asynchronous invoke's payload (Lambda quotas)."""
    names = [f"{i:02d}" + "s" * 253 for i in range(MAX_SERVICES)]
    cluster = "c" * 255
    groups = tuple(
        f"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/{'t' * 30}{k:02d}/0123456789abcdef"
        for k in range(5)
    )
    largest = Preparation(
        Scaling(True, True, True, min_capacity=2**31),
        suspended=True,
        delays=tuple((arn, MAX_DEREGISTRATION_DELAY_S) for arn in groups),
        lowered=tuple((arn, 0) for arn in groups),
        shared=groups,
        stop_timeout_s=120,
        unread=groups,
        min_lowered=True,
    )
    moment = 1_800_000_000.123456789
    carried = HandOver(
        moment,
        MAX_INVOCATIONS - 1,
        {name: moment for name in names},
        {name: largest for name in names},
        {name: moment for name in names},
        frozenset(names),
    )
    event = json.loads((EVENTS / "delete-services.json").read_text())
    arns = [f"arn:aws-us-gov:ecs:us-gov-west-1:123456789012:service/{cluster}/{name}" for name in names]
    event["ResourceProperties"].update(Cluster=cluster, Services=arns)
    event[HANDOVER_KEY] = carried.to_event()
    assert len(json.dumps(event).encode()) <= 256 * 1024
    assert HandOver.from_event(json.loads(json.dumps(event[HANDOVER_KEY])), now=moment) == carried


# ---------------------------------------------------------------------------------------------------------------
# Budget: the answer's deadline, the invocation's end, and the earlier of the two
# ---------------------------------------------------------------------------------------------------------------


def test_budget_of_a_request() -> None:
    budget = Budget.of(started_at=1000.0, service_timeout_s=600, now=1100.0, remaining_s=900.0)
    assert budget == Budget(started_at=1000.0, answer_by=1000.0 + 600 - 60.0, invocation_ends=1100.0 + 900 - 60.0)
    assert budget.deadline == 1540.0  # the answer's deadline comes first


def test_budget_deadline_is_the_invocation_s_end_when_that_comes_first() -> None:
    budget = Budget.of(started_at=1000.0, service_timeout_s=3600, now=1100.0, remaining_s=300.0)
    assert (budget.answer_by, budget.invocation_ends, budget.deadline) == (4540.0, 1340.0, 1340.0)
