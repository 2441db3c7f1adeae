"""How long to wait before the next reading of ECS: quick where the end is near, patient while a drain runs."""

from __future__ import annotations

from dataclasses import dataclass

from .machine import Action, Phase
from .model import ServiceSnapshot


@dataclass(frozen=True)
class PollPolicy:
    """Adaptive polling.

    Quick (`fast_s`, never longer than `imminent_cap_s`) where the next reading is likely to end a wait: inside a
    service's drain window (engine.in_drain_window: from the end of its deregistration delay to the end of its stop
    timeout), after a call ECS accepted, and while only ECS's bookkeeping is left (DRAINING, no tasks). Patient
    elsewhere: `settle_s` after a change, then growing by `growth` up to `slow_cap_s`; the engine also wakes when a
    drain window opens, so a known deregistration delay is never noticed a slow interval late.

    bench/run.py measured these numbers on seeded timelines behind target groups with known delays (5- and
    20-minute drains, an ALB at 300 s and at 60 s, no load balancer): a drained service's DeleteService follows its
    last task by at most 2.2 s at p90, and the whole teardown ECS's own time by at most 4.3 s at p90 (2.5 s quick
    polls: 3 s would leave no margin on the 5 s target). The price is ECS calls: 1.0-1.6x the 15 s waiter's on
    drains of minutes, 2.8-3.7x on the short ones (whose waiter makes 7-12 calls), 0.5x per service at 50 services
    (batched). The slow cap is 30 s rather than 60 s for services whose delay could not be read: their last task is
    noticed 15 s late at p90 rather than 45 s.
    """

    fast_s: float = 2.5  # when an end is imminent and something just moved
    settle_s: float = 8.0  # after a change while no end is imminent (tasks stopping one by one)
    imminent_cap_s: float = 2.5  # the longest wait while an end is imminent
    slow_cap_s: float = 30.0  # the longest wait while nothing moves (before a drain window, or none known)
    growth: float = 2.0

    def next_interval(self, previous_s: float, changed: bool, imminent: bool) -> float:
        if imminent:
            return self.fast_s if changed else min(max(self.fast_s, previous_s * self.growth), self.imminent_cap_s)
        if changed:
            return self.settle_s
        return min(max(self.fast_s, previous_s * self.growth), self.slow_cap_s)


def is_imminent(snapshot: ServiceSnapshot | None, action: Action) -> bool:
    """True where the next reading is likely to end the service's wait: no tasks left, only ECS's bookkeeping."""
    return snapshot is not None and action.phase is Phase.DRAINING and snapshot.tasks == 0
