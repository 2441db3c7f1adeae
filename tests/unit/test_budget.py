"""core/budget.py: the answer's margin, the advice when a Timeout cannot cover a ServiceTimeout (word for word),
the hand-over's wire format, and the moments one invocation works towards."""

from __future__ import annotations

import json
import math

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


@pytest.mark.parametrize(
    ("service_timeout_s", "margin_s"),
    [(1, 0.5), (2, 1.0), (9, 4.5), (10, 5.0), (50, 5.0), (60, 6.0), (600, 60.0), (601, 60.0), (3600, 60.0)],
)
def test_answer_margin(service_timeout_s: int, margin_s: float) -> None:
    assert answer_margin_s(service_timeout_s) == pytest.approx(margin_s)


def advice(service_timeout_s: int, timeout_s: int, work_s: int, covered_s: int, least_s: int, serves: str) -> str:
    return (
        f"{service_timeout_s} s cannot be covered by this function: its Timeout (about {timeout_s} s) leaves "
        f"{work_s} s of work per invocation after a 60 s reserve, and Lambda's recursive loop detection allows 10 "
        f"invocations in a row, {covered_s} s in all. Give the function a Timeout of at least {least_s} s; with this "
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
# The hand-over: its wire format (an event key and three fields) and how it is read back
# ---------------------------------------------------------------------------------------------------------------


def test_the_hand_over_s_wire_format() -> None:
    assert HANDOVER_KEY == "EcsTeardownContinuation"
    found = Preparation(Scaling(dynamic_in=True), suspended=True, delays=(("tg-arn", 300),), lowered=(("tg-arn", 5),))
    carried = HandOver(started_at=100.0, invocation=3, drain_started={"web": 150.0}, preparations={"web": found})
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
    }
    assert HandOver.from_event(json.loads(json.dumps(event)), now=200.0) == carried


NOW = 1_000.0


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
    ],
)
def test_a_hand_over_is_read_back_safely(value: object, expected: HandOver) -> None:
    carried = HandOver.from_event(value, NOW)
    assert carried == expected
    assert all(type(at) is float for at in carried.drain_started.values())
    assert type(carried.started_at) is float


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
