"""Many services in one request: every preparation comes before the first ECS write, and the scale-downs go longest
drain first, so the services that ECS's write rate limit makes wait are the quickest to drain. The real EcsGateway
and engine against the fake ECS, Application Auto Scaling and ELBv2 on one clock (tests/support/fake_aws.py)."""

from __future__ import annotations

from typing import Any

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn.properties import parse_properties
from ecs_teardown.core.engine import run_teardown
from ecs_teardown.core.machine import Outcome
from support.fake_aws import FakeAws
from support.fake_ecs import client_error

# (name, deregistration delay, stopTimeout): the request names them shortest drain first.
SERVICES = (("api", 20, 10), ("web", 300, 30), ("jobs", 120, 60), ("cron", 120, 5))
LONGEST_FIRST = ["web", "jobs", "cron", "api"]  # 330, 180, 125, 30 s


def teardown(aws: FakeAws) -> list[str]:
    for name, delay, stop in SERVICES:
        aws.add_lb_service(name, tasks=2, deregistration_delay_s=delay, stop_timeout_s=stop)
        aws.autoscaling.add_target("demo", name, 1, 4)
    request = parse_properties({"Cluster": "demo", "Services": [name for name, _, _ in SERVICES]})
    clock = aws.clock
    result = run_teardown(
        request, EcsGateway(aws.ecs), started_at=clock(), deadline=clock() + 3000, clock=clock, sleep=clock.sleep
    )  # type: ignore[arg-type]  # the fake quacks like boto3's ECS client
    assert result.all_done, [s.describe() for s in result.services if s.outcome is not Outcome.DONE]
    return [kwargs["service"] for _, op, kwargs in aws.ecs.calls if op == "UpdateService"]


def test_every_service_is_prepared_before_the_first_scale_down_and_the_longest_drain_goes_first() -> None:
    aws = FakeAws()

    scaled = teardown(aws)

    assert scaled == LONGEST_FIRST
    first_write = min(at for at, op, _ in aws.ecs.calls if op == "UpdateService")
    suspended = [kwargs["ResourceId"] for _, op, kwargs in aws.autoscaling.calls if op == "RegisterScalableTarget"]
    assert sorted(suspended) == sorted(f"service/demo/{name}" for name, _, _ in SERVICES)
    assert max(at for at, op, _ in aws.autoscaling.calls if op == "RegisterScalableTarget") <= first_write
    assert aws.elbv2.calls and max(at for at, _, _ in aws.elbv2.calls) <= first_write


def test_under_a_write_rate_limit_the_throttled_scale_downs_are_the_shortest_drains() -> None:
    aws = FakeAws()
    granted: list[tuple[float, str]] = []

    def one_write_a_round(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        """ECS grants one UpdateService per moment of the clock: the round's other writes are throttled."""
        if operation != "UpdateService":
            return None
        if granted and granted[-1][0] == aws.clock():
            return client_error("ThrottlingException", "Rate exceeded", operation)
        granted.append((aws.clock(), kwargs["service"]))
        return None

    aws.ecs.fault = one_write_a_round

    scaled = teardown(aws)

    assert [name for _, name in granted] == LONGEST_FIRST
    assert len(scaled) > len(granted), "some scale-downs were throttled and sent again"
