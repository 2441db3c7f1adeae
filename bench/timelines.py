"""ECS timelines for the benchmarks: the tests' fake ECS (tests/support/fake_ecs.py) with task stops that cluster
around the load balancer's deregistration delay, seeded so every strategy plays exactly the same timelines.

The tests' services stop their tasks evenly over `task_stop_s`; behind a load balancer they rather all wait out the
deregistration delay and then stop within their stopTimeout of each other, so here each task has its own stop
offset (a staggered ServiceTimeline, ecs_teardown_tools/timeline.py). A service's whole life is a pure function of
the fake clock and the calls it received, so the moment ECS first reports INACTIVE is known exactly
(`FakeService.inactive_at`), and "answer latency" is measured against it, not guessed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from support.fake_ecs import FakeClock, FakeEcs, FakeService, client_error

CLUSTER = "bench"


@dataclass(frozen=True)
class TimelineSpec:
    """How one family of timelines is drawn (all durations in seconds, uniform between the bounds)."""

    label: str
    dereg_delay: tuple[float, float]  # scale-down -> the first task may stop (the ALB deregistration delay)
    stop_spread: tuple[float, float]  # each task's own stop time after that (SIGTERM, stopTimeout)
    draining: tuple[float, float]  # DRAINING -> INACTIVE once the delete is accepted and no task is left
    tasks: tuple[int, int] = (1, 6)
    deployments_busy: tuple[float, float] = (0.0, 10.0)  # DeleteService says "deployments are active" this long


FIVE_MINUTES = TimelineSpec("5-min", dereg_delay=(200.0, 260.0), stop_spread=(0.0, 30.0), draining=(5.0, 60.0))
TWENTY_MINUTES = TimelineSpec("20-min", dereg_delay=(1020.0, 1080.0), stop_spread=(0.0, 30.0), draining=(10.0, 120.0))


@dataclass(frozen=True)
class Timeline:
    """One drawn timeline: enough to build the same service any number of times."""

    seed: int
    name: str
    stop_offsets: tuple[float, ...]
    draining_s: float
    deployments_busy_s: float

    def service(self) -> FakeService:
        """A REPLICA service whose tasks stop one by one at their own offsets after the scale-down (or the delete)."""
        return FakeService(
            name=self.name,
            cluster=CLUSTER,
            desired=len(self.stop_offsets),
            draining_s=self.draining_s,
            deployments_busy_s=self.deployments_busy_s,
            stop_offsets=self.stop_offsets,
        )

    @property
    def drain_s(self) -> float:
        return max(self.stop_offsets)


def draw(spec: TimelineSpec, seed: int, name: str = "web") -> Timeline:
    rng = random.Random(f"{spec.label}/{seed}")  # a string seed: the same timeline on every run and platform
    dereg = rng.uniform(*spec.dereg_delay)
    offsets = tuple(sorted(dereg + rng.uniform(*spec.stop_spread) for _ in range(rng.randint(*spec.tasks))))
    return Timeline(
        seed=seed,
        name=name,
        stop_offsets=offsets,
        draining_s=rng.uniform(*spec.draining),
        deployments_busy_s=rng.uniform(*spec.deployments_busy),
    )


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


def new_ecs(services: list[FakeService], start: float = 1_800_000_000.0) -> FakeEcs:
    ecs = FakeEcs(FakeClock(start), clusters={CLUSTER})
    for service in services:
        ecs.add(service)
    return ecs


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100), as numpy's default does; no numpy needed."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
