"""ECS timelines for the benchmarks: the tests' fakes (tests/support/fake_aws.py: ECS, Application Auto Scaling and
ELBv2 on one clock), seeded so every strategy plays exactly the same timelines.

Each timeline is an `LbTimeline`: after the scale-down its tasks run for the deregistration delay in force then, and
each exits at its own offset within the stopTimeout; deleted, the service is DRAINING until its last task is gone,
then `draining_s` more. How the engine can learn that delay is the family's `balancer`:

- KNOWN: the service is behind a target group whose delay the fake ELBv2 holds; its task definition names its
  stopTimeout. The engine's preparation reads both (and may lower the delay first).
- NONE: no load balancer; the tasks exit within the stopTimeout of the scale-down.
- UNKNOWN: the earlier benchmarks' service, the same delay and exits but nothing to read them from (no target
  group, no task definition shown): the engine polls without a drain window.

A service's whole life is a pure function of the fake clock and the calls it received, so the moment its last task
stopped, the moment DeleteService was accepted and the moment ECS first reports INACTIVE are all known exactly, as
is ECS's own time (`LbTimeline.ecs_time_s`: the same calls made at the ideal moments).
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field
from typing import Any

from support.fake_aws import FakeAws, LbTimeline, draw_lb_timeline
from support.fake_ecs import FakeClock, FakeService, client_error

CLUSTER = "bench"
START = 1_800_000_000.0


class Balancer(enum.Enum):
    KNOWN = "known"
    NONE = "none"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TimelineSpec:
    """How one family of timelines is drawn (durations in seconds, uniform between the bounds)."""

    label: str
    balancer: Balancer
    dereg_delay: tuple[int, int]  # scale-down -> the tasks are sent SIGTERM (the target groups' deregistration delay)
    draining: tuple[float, float]  # DRAINING -> INACTIVE once the delete is accepted and no task is left
    stop_timeout_s: int = 30  # each task exits within it after SIGTERM (uniformly)
    tasks: tuple[int, int] = (1, 6)
    deployments_busy: tuple[float, float] = (0.0, 10.0)  # DeleteService says "deployments are active" this long
    draws_as: str = ""  # another family's label: the same draws as that family (its label by default)

    def describe(self) -> str:
        low, high = self.dereg_delay
        delay = f"{low} s" if low == high else f"{low}-{high} s"
        where = {
            Balancer.KNOWN: f"behind a target group, deregistration delay {delay}",
            Balancer.NONE: "no load balancer",
            Balancer.UNKNOWN: f"tasks held {delay} as by a deregistration delay, nothing to read it from",
        }[self.balancer]
        return (
            f"{self.label}: {where}; {self.tasks[0]}-{self.tasks[1]} tasks exit within stopTimeout "
            f"{self.stop_timeout_s} s; DRAINING {self.draining[0]:g}-{self.draining[1]:g} s once deleted and drained"
        )


# The earlier benchmarks' families, now behind target groups whose delay the engine reads, and the same drains with
# nothing to read them from; then the common cases of issue 13: an ALB at its default delay, an ALB at 60 s, none.
FIVE_MINUTES = TimelineSpec("5-min", Balancer.KNOWN, dereg_delay=(200, 260), draining=(5.0, 60.0))
TWENTY_MINUTES = TimelineSpec("20-min", Balancer.KNOWN, dereg_delay=(1020, 1080), draining=(10.0, 120.0))
FIVE_UNKNOWN = TimelineSpec(
    "5-min unread", Balancer.UNKNOWN, dereg_delay=(200, 260), draining=(5.0, 60.0), draws_as=FIVE_MINUTES.label
)
ALB_DEFAULT = TimelineSpec("ALB 300 s", Balancer.KNOWN, dereg_delay=(300, 300), draining=(5.0, 60.0))
ALB_60 = TimelineSpec("ALB 60 s", Balancer.KNOWN, dereg_delay=(60, 60), draining=(5.0, 60.0))
NO_LB = TimelineSpec("no LB", Balancer.NONE, dereg_delay=(0, 0), draining=(5.0, 60.0))
FAMILIES = (FIVE_MINUTES, TWENTY_MINUTES, ALB_DEFAULT, ALB_60, NO_LB, FIVE_UNKNOWN)


@dataclass(frozen=True)
class Timeline:
    """One drawn timeline: enough to build the same service any number of times."""

    seed: int
    spec: TimelineSpec
    lb: LbTimeline

    @property
    def name(self) -> str:
        return self.lb.name

    def install(self, aws: FakeAws) -> FakeService:
        """The service in the fake AWS, as the family says (see the module's docstring)."""
        lb = self.lb
        if self.spec.balancer is Balancer.KNOWN:
            return lb.install(aws, CLUSTER)
        aws.clusters.add(CLUSTER)
        common: dict[str, Any] = {
            "desired": len(lb.exit_offsets),
            "draining_s": lb.draining_s,
            "deployments_busy_s": lb.deployments_busy_s,
            "stop_offsets": tuple(lb.deregistration_delay_s + x for x in lb.exit_offsets),
        }
        if self.spec.balancer is Balancer.NONE:
            common["containers"] = (("app", lb.stop_timeout_s),)  # its task definition names the stopTimeout
        return aws.add(FakeService(lb.name, CLUSTER, **common))

    def ecs_time_s(self, delay_s: float | None = None) -> float:
        """ECS's own time from the scale-down to INACTIVE (the delete sent the moment it can be), for the delay in
        force at the scale-down (the timeline's own unless lowered)."""
        return self.lb.ecs_time_s(delay_s)


def draw(spec: TimelineSpec, seed: int, name: str = "web") -> Timeline:
    """The same timeline for the same (family, seed) on every run and platform."""
    key = f"{spec.draws_as or spec.label}/{seed}"
    delay = random.Random(key).randint(*spec.dereg_delay)
    lb = draw_lb_timeline(
        key,
        name=name,
        deregistration_delay_s=delay,
        stop_timeout_s=spec.stop_timeout_s,
        tasks=spec.tasks,
        draining=spec.draining,
        deployments_busy=spec.deployments_busy,
    )
    return Timeline(seed, spec, lb)


@dataclass
class TokenBucket:
    """ECS's throttling model: `burst` tokens at most, refilled at `rate` per second; a call without a token fails."""

    rate: float
    burst: float
    tokens: float = -1.0
    last: float | None = None

    def take(self, now: float) -> bool:
        if self.last is None:
            self.tokens, self.last = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class RateLimits:
    """A token bucket per operation, plugged into FakeEcs as its `fault` hook (throttled calls are still counted)."""

    clock: FakeClock
    buckets: dict[str, TokenBucket]
    throttled: dict[str, int] = field(default_factory=dict)

    def __call__(self, operation: str, kwargs: dict[str, Any]) -> Exception | None:
        bucket = self.buckets.get(operation)
        if bucket is None or bucket.take(self.clock.now):
            return None
        self.throttled[operation] = self.throttled.get(operation, 0) + 1
        return client_error("ThrottlingException", "Rate exceeded", operation)


def new_aws(timelines: list[Timeline], start: float = START) -> tuple[FakeAws, list[FakeService]]:
    """A fresh fake AWS on its own clock, holding the timelines' services."""
    aws = FakeAws(FakeClock(start), clusters={CLUSTER})
    return aws, [timeline.install(aws) for timeline in timelines]


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default does; no numpy needed."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
