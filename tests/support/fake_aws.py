"""A wired set of fakes on one clock: ECS, Application Auto Scaling and ELBv2 that see each other.

    aws = FakeAws()
    web = aws.add_lb_service("web", tasks=3, deregistration_delay_s=300, stop_timeout_s=30)
    aws.autoscaling.add_target("demo", "web", 2, 6, alarms=(ScaleOutAlarm(after_s=45),))
    gateway = EcsGateway(aws.ecs)  # the engine finds the other two through `aws.ecs.sibling(name)`

`aws.client(name)` hands out the fake for a boto3 service name ("ecs", "application-autoscaling", "elbv2").
`LbTimeline` is a load-balanced service drawn with a known deregistration delay, for the benchmarks and the tests:
its tasks stop `delay + exit` after the scale-down, where the delay is the one in force at the scale-down.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from support.fake_autoscaling import FakeAutoScaling, ScaleOutAlarm, ScheduledAction
from support.fake_ecs import DEFAULT_STOP_TIMEOUT_S, FakeClock, FakeEcs, FakeService
from support.fake_elbv2 import FakeElbv2

__all__ = ["FakeAws", "LbTimeline", "ScaleOutAlarm", "ScheduledAction", "draw_lb_timeline"]


@dataclass
class FakeAws:
    clock: FakeClock = field(default_factory=FakeClock)
    clusters: set[str] = field(default_factory=lambda: {"demo"})
    ecs: FakeEcs = field(init=False)
    autoscaling: FakeAutoScaling = field(init=False)
    elbv2: FakeElbv2 = field(init=False)

    def __post_init__(self) -> None:
        self.elbv2 = FakeElbv2(self.clock)
        self.ecs = FakeEcs(self.clock, clusters=set(self.clusters), elbv2=self.elbv2)
        self.elbv2.ecs = self.ecs  # its target groups' targets are the fake ECS's tasks (DescribeTargetHealth)
        self.autoscaling = FakeAutoScaling(self.clock, ecs=self.ecs)
        self.ecs.autoscaling = self.autoscaling
        self.journal: list[tuple[float, str, dict[str, Any]]] = []
        for fake in (self.ecs, self.autoscaling, self.elbv2):
            fake.journal = self.journal

    def client(self, name: str) -> Any:
        return {"ecs": self.ecs, "application-autoscaling": self.autoscaling, "elbv2": self.elbv2}[name]

    def add(self, service: FakeService) -> FakeService:
        return self.ecs.add(service)

    def add_lb_service(
        self,
        name: str,
        tasks: int = 2,
        deregistration_delay_s: int | tuple[int, ...] = 300,  # one per target group
        stop_timeout_s: int | None = None,  # the container's stopTimeout (None: absent, ECS's 30 s)
        exit_offsets: tuple[float, ...] | None = None,  # each task's exit after SIGTERM (seeded when None)
        cluster: str = "demo",
        **service: Any,  # any other FakeService argument
    ) -> FakeService:
        """A service behind one target group per delay given (each created in the fake ELBv2, named after it)."""
        delays = deregistration_delay_s if isinstance(deregistration_delay_s, tuple) else (deregistration_delay_s,)
        groups = tuple(
            self.elbv2.add_target_group(f"{name}-{index}" if index else name, delay)
            for index, delay in enumerate(delays)
        )
        if exit_offsets is not None:
            tasks = len(exit_offsets)
        service.setdefault("desired", tasks)
        service.setdefault("containers", (("app", stop_timeout_s),))
        made = FakeService(name, cluster, tasks=tasks, target_groups=groups, exit_offsets=exit_offsets, **service)
        return self.ecs.add(made)

    def settle(self) -> None:
        """Let auto scaling act on everything due by now (calls do it anyway; a test reading state directly may not)."""
        self.autoscaling.catch_up()

    def calls(self) -> list[tuple[float, str, dict[str, Any]]]:
        """Every call to the three fakes, in the order they came (each fake's `calls` holds its own)."""
        return list(self.journal)


@dataclass(frozen=True)
class LbTimeline:
    """One load-balanced service's teardown with a known deregistration delay (seconds).

    After the scale-down its tasks run for the delay in force then (`deregistration_delay_s` unless lowered first),
    and task k exits `exit_offsets[k]` later (within `stop_timeout_s`); deleted, the service is DRAINING until its
    last task is gone, then `draining_s` more.
    """

    name: str
    deregistration_delay_s: int
    exit_offsets: tuple[float, ...]
    stop_timeout_s: int = DEFAULT_STOP_TIMEOUT_S
    draining_s: float = 0.0
    deployments_busy_s: float = 0.0

    def install(self, aws: FakeAws, cluster: str = "demo") -> FakeService:
        aws.clusters.add(cluster)
        aws.ecs.clusters.add(cluster)
        return aws.add_lb_service(
            self.name,
            deregistration_delay_s=self.deregistration_delay_s,
            stop_timeout_s=self.stop_timeout_s,
            exit_offsets=self.exit_offsets,
            cluster=cluster,
            draining_s=self.draining_s,
            deployments_busy_s=self.deployments_busy_s,
        )

    def drain_s(self, delay_s: float | None = None) -> float:
        """From the scale-down to the last task gone, with the delay in force at the scale-down."""
        delay = self.deregistration_delay_s if delay_s is None else delay_s
        return delay + max(self.exit_offsets, default=0.0)

    def ecs_time_s(self, delay_s: float | None = None) -> float:
        """ECS's own time: from the scale-down to INACTIVE, for a delete sent the moment the tasks are gone."""
        return max(self.drain_s(delay_s), self.deployments_busy_s) + self.draining_s


def draw_lb_timeline(
    seed: int | str,
    name: str = "web",
    deregistration_delay_s: int = 300,
    stop_timeout_s: int = DEFAULT_STOP_TIMEOUT_S,
    tasks: tuple[int, int] = (1, 6),
    draining: tuple[float, float] = (5.0, 60.0),
    deployments_busy: tuple[float, float] = (0.0, 10.0),
) -> LbTimeline:
    """A seeded LbTimeline: the same one on every run and platform for the same arguments."""
    rng = random.Random(f"lb/{deregistration_delay_s}/{stop_timeout_s}/{seed}")
    exits = tuple(sorted(rng.uniform(0.0, float(stop_timeout_s)) for _ in range(rng.randint(*tasks))))
    return LbTimeline(
        name=name,
        deregistration_delay_s=deregistration_delay_s,
        exit_offsets=exits,
        stop_timeout_s=stop_timeout_s,
        draining_s=rng.uniform(*draining),
        deployments_busy_s=rng.uniform(*deployments_busy),
    )


def delays_set(aws: FakeAws, group: str) -> list[int]:
    """Every deregistration delay the group had, in order (the first as it was made)."""
    return [delay for _, delay in aws.elbv2.target_groups[group].history]
