"""core/drain.py's figures and words at their edges: a hand-over's delays and stop timeout at the limits of what is
accepted (and the types that are not), the summary of scaling kept and of a delay not read, and the drain window of a
stop timeout other than ECS's default. tests/unit/test_drain.py has the ordinary cases."""

from __future__ import annotations

import pytest

from ecs_teardown.core.drain import WINDOW_SLACK_S, Preparation, Scaling
from ecs_teardown.core.model import MAX_DRAIN_TIMEOUT_S

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"


@pytest.mark.parametrize("seconds", [0, 1, MAX_DRAIN_TIMEOUT_S])
def test_a_hand_over_s_delay_is_taken_from_0_to_3600_s(seconds: int) -> None:
    wire = {"StopTimeout": 30, "Delays": [[TG, seconds]], "Lowered": [[TG, seconds]]}
    assert Preparation.from_wire(wire) == Preparation(delays=((TG, seconds),), lowered=((TG, seconds),))


@pytest.mark.parametrize("seconds", [-1, MAX_DRAIN_TIMEOUT_S + 1, 5.0, True, False, "5", None])
def test_a_hand_over_s_delay_that_is_not_a_whole_number_of_seconds_in_range_drops_it(seconds: object) -> None:
    assert Preparation.from_wire({"StopTimeout": 30, "Delays": [[TG, seconds]]}) is None
    assert Preparation.from_wire({"StopTimeout": 30, "Lowered": [[TG, seconds]]}) is None


@pytest.mark.parametrize("pair", [[TG], [TG, 5, 5], [5, 5], (TG, 5), TG])
def test_a_hand_over_s_delay_that_is_not_a_pair_drops_it(pair: object) -> None:
    assert Preparation.from_wire({"Delays": [pair]}) is None


@pytest.mark.parametrize("stop", [0, 1, 120])
def test_a_hand_over_s_stop_timeout_is_taken_from_0(stop: int) -> None:
    assert Preparation.from_wire({"StopTimeout": stop}) == Preparation(stop_timeout_s=stop)


@pytest.mark.parametrize("stop", [-1, 1.5, "30", True])
def test_a_hand_over_s_stop_timeout_that_is_not_a_whole_number_drops_it(stop: object) -> None:
    assert Preparation.from_wire({"StopTimeout": stop}) is None


@pytest.mark.parametrize("flags", [[True, False, False], [False, True, False], [False, False, True]])
def test_scaling_found_partly_suspended_and_left_so_is_kept(flags: list[bool]) -> None:
    preparation = Preparation(Scaling(*flags), stop_timeout_s=20)
    assert not preparation.scaling.fully_suspended  # type: ignore[union-attr]
    assert preparation.summary(80) == "auto scaling kept; stop timeout 20 s; drain timeout 80 s"


def test_a_delay_not_read_is_named_by_its_target_group_s_name() -> None:
    preparation = Preparation(stop_timeout_s=None, unread=(TG,))
    assert preparation.summary(300) == (
        "no auto scaling; targetgroup/web/0123456789abcdef deregistration delay not read (counted as 300 s); "
        "stop timeout unknown; drain timeout 300 s"
    )


@pytest.mark.parametrize("stop", [0, 10, 120])
def test_the_drain_window_closes_after_the_stop_timeout_found(stop: int) -> None:
    preparation = Preparation(delays=((TG, 60),), stop_timeout_s=stop)
    assert preparation.window(1000.0) == (1060.0, 1060.0 + stop + WINDOW_SLACK_S)


def test_a_hand_over_s_scaling_without_a_min_capacity_found_zero() -> None:
    assert Preparation.from_wire({"Scaling": [True, False, True], "Suspended": True}) == Preparation(
        Scaling(True, False, True, min_capacity=0), suspended=True, stop_timeout_s=None
    )
    assert Preparation.from_wire({"Scaling": [False, False, False], "MinCapacity": 3, "MinLowered": True}) == (
        Preparation(Scaling(min_capacity=3), stop_timeout_s=None, min_lowered=True)
    )


@pytest.mark.parametrize("minimum", [-1, 1.5, True, "2", None])
def test_a_hand_over_s_min_capacity_that_is_not_a_whole_number_drops_it(minimum: object) -> None:
    assert Preparation.from_wire({"Scaling": [True, True, True], "MinCapacity": minimum}) is None


@pytest.mark.parametrize("flags", ["abc", {"a": 1, "b": 2, "c": 3}, (True, True, True), [True, True], True])
def test_a_hand_over_s_scaling_that_is_not_three_flags_drops_it(flags: object) -> None:
    assert Preparation.from_wire({"Scaling": flags}) is None
