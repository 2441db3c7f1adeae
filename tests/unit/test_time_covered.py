"""check_time_covered: a ServiceTimeout the function's Timeout cannot cover is refused, and the advice it gives
is itself accepted (the time left when it runs is a little under the Timeout)."""

from __future__ import annotations

import re

import pytest

from ecs_teardown.cfn.properties import PropertyError, parse_properties
from ecs_teardown.cfn.requests import check_time_covered
from ecs_teardown.core.budget import MAX_INVOCATIONS
from ecs_teardown_tools.local import LocalContext


def request(service_timeout: int):  # type: ignore[no-untyped-def]
    return parse_properties({"Service": "web", "ServiceTimeout": str(service_timeout)})


def context(timeout_s: float) -> LocalContext:
    return LocalContext(timeout_s=timeout_s - 0.05)  # as it runs: a little of the invocation is gone


@pytest.mark.parametrize(
    ("timeout_s", "service_timeout"), [(60, 300), (75, 3600), (75, 400), (120, 3600), (300, 3600), (45, 60), (46, 60)]
)
def test_refusal_names_the_timeout_and_its_advice_is_accepted(timeout_s: int, service_timeout: int) -> None:
    with pytest.raises(PropertyError) as refused:
        check_time_covered(request(service_timeout), context(timeout_s))
    reason = str(refused.value)
    assert reason.startswith(f"Property ServiceTimeout: {service_timeout} s cannot be covered by this function: ")
    assert (
        f"its Timeout (about {timeout_s} s)" in reason and f"hand-overs stop at {MAX_INVOCATIONS} invocations" in reason
    )
    advised_timeout = int(re.search(r"a Timeout of at least (\d+) s", reason).group(1))  # type: ignore[union-attr]
    check_time_covered(request(service_timeout), context(advised_timeout))
    with pytest.raises(PropertyError):
        check_time_covered(request(service_timeout), context(advised_timeout - 3))
    longest = re.search(r"a ServiceTimeout of at most (\d+) s", reason)
    if longest:
        check_time_covered(request(int(longest.group(1))), context(timeout_s))
        with pytest.raises(PropertyError):
            check_time_covered(request(int(longest.group(1)) + 1), context(timeout_s))
    else:
        assert "no ServiceTimeout at all" in reason


@pytest.mark.parametrize(("timeout_s", "service_timeout"), [(900, 3600), (416, 3600), (120, 300), (65, 45)])
def test_a_coverable_service_timeout_passes(timeout_s: int, service_timeout: int) -> None:
    check_time_covered(request(service_timeout), context(timeout_s))


def test_a_context_without_a_deadline_counts_as_lambda_s_longest_timeout() -> None:
    check_time_covered(request(3600), object())
