"""What a teardown reports: a step for the logs and the command line, each service's result, and the Reason of a
FAILED answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from .drain import Preparation
from .machine import Kind, Outcome, Phase
from .model import MISSING, ServiceRef, ServiceSnapshot


@dataclass(frozen=True)
class Step:
    """One meaningful step of one service, for the logs and the command line."""

    service: ServiceRef
    phase: Phase
    kind: Kind
    why: str
    snapshot: ServiceSnapshot | None
    elapsed_s: float
    force: bool = False
    result: str = ""  # the outcome of the ECS call the step made, if any

    def fields(self) -> dict[str, object]:
        """The step as flat fields, for a JSON log line or a JSON output line."""
        snapshot = self.snapshot
        return {
            "cluster": self.service.cluster,
            "service": self.service.name,
            "phase": self.phase.value,
            "action": self.kind.value,
            "result": self.result or None,
            "force": self.force,
            "status": snapshot.status if snapshot else None,
            "desired": snapshot.desired if snapshot else None,
            "running": snapshot.running if snapshot else None,
            "pending": snapshot.pending if snapshot else None,
            "elapsed_s": round(self.elapsed_s, 1),
            "why": self.why,
        }


@dataclass(frozen=True)
class ServiceResult:
    service: ServiceRef
    outcome: Outcome
    phase: Phase
    why: str
    snapshot: ServiceSnapshot | None
    forced: bool

    def describe(self) -> str:
        counts = f"; {self.snapshot.counts()}" if self.snapshot and self.snapshot.status != MISSING else ""
        return f"{self.service.name} ({self.phase.value}: {self.why}{counts})"


@dataclass(frozen=True)
class TeardownResult:
    services: tuple[ServiceResult, ...]
    elapsed_s: float
    rounds: int
    throttles: int
    drain_started: dict[str, float] = field(default_factory=dict)  # by service name, for a hand-over to carry
    preparations: dict[str, Preparation] = field(default_factory=dict)  # by service name, likewise
    # When each service's DeleteService first said "deployments are active", and the services whose rollout
    # StopServiceDeployment was sent for (core/machine.py Progress): likewise.
    blocked_since: dict[str, float] = field(default_factory=dict)
    rollout_stop_requested: frozenset[str] = frozenset()

    def with_outcome(self, outcome: Outcome) -> list[ServiceResult]:
        return [s for s in self.services if s.outcome is outcome]

    @property
    def all_done(self) -> bool:
        return all(s.outcome is Outcome.DONE for s in self.services)

    @property
    def forced_deletes(self) -> int:
        return sum(1 for s in self.services if s.forced)


def summarize(result: TeardownResult, budget_ran_out: bool) -> str:
    """The Reason of a FAILED answer: every service that is not done, with its phase and counts."""
    failed = result.with_outcome(Outcome.FAILED)
    unfinished = result.with_outcome(Outcome.UNFINISHED)
    total = len(result.services)
    parts = []
    if failed:
        parts.append(f"{len(failed)} of {total} service(s) failed: " + "; ".join(s.describe() for s in failed))
    if unfinished:
        lead = "still in progress when the time budget ran out" if budget_ran_out else "not finished"
        parts.append(
            f"{len(unfinished)} of {total} service(s) {lead} after {result.elapsed_s:.0f} s: "
            + "; ".join(s.describe() for s in unfinished)
        )
    return ". ".join(parts)
