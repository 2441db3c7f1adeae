"""Time: CloudFormation's budget for the answer, Lambda's for one invocation, and what a hand-over carries.

A teardown may need up to ServiceTimeout (one hour); one Lambda invocation lives at most 15 minutes. So a long
teardown hands over to a fresh invocation, carrying only what ECS cannot tell it (when the teardown began, when
each service's drain began, what was changed around it, since when a rollout has blocked its delete and whether
that rollout's stop was asked for) under the event key HANDOVER_KEY.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .drain import Preparation
from .model import MAX_SERVICE_TIMEOUT_S
from .results import TeardownResult

# Lambda's recursive loop detection stops a chain of invocations of one function after about 16 (Lambda developer
# guide, "Recursive loop detection"): it stops the next one and only notifies the account. 10 invocations stay below
# it, and with the template's 900 s Timeout cover 10 x (900 - 60) = 8400 s, more than the longest ServiceTimeout.
MAX_INVOCATIONS = 10
# Kept back from the invocation's end for what follows the last ECS call: a hand-over and, should it fail, the answer
# (cfn/delete.py computes the exact window; tests/unit/test_window.py checks this covers it).
LAMBDA_RESERVE_S = 60.0
HANDOVER_KEY = "EcsTeardownContinuation"  # the event key a hand-over adds (a wire format: its name stays)


def answer_margin_s(service_timeout_s: int) -> float:
    """How long before CloudFormation's own timeout the answer goes out: 10% of it, at most 60 s, and for short
    budgets half of it, at most 5 s (so a budget of a few seconds still leaves time to look and answer)."""
    return min(60.0, max(service_timeout_s * 0.1, min(5.0, service_timeout_s * 0.5)))


def coverage_problem(service_timeout_s: int, timeout_s: float) -> str:
    """Why an invocation Timeout of `timeout_s` cannot cover a ServiceTimeout, or '' when it can.

    `timeout_s` is the time left at the start of an invocation: a little under the function's Timeout."""
    per_invocation_s = max(0.0, timeout_s - LAMBDA_RESERVE_S)
    covered_s = per_invocation_s * MAX_INVOCATIONS
    needed_s = service_timeout_s - answer_margin_s(service_timeout_s)
    if covered_s >= needed_s:
        return ""
    least_timeout_s = math.ceil(needed_s / MAX_INVOCATIONS + LAMBDA_RESERVE_S) + 2  # a few seconds to spare
    longest = max((s for s in range(1, MAX_SERVICE_TIMEOUT_S + 1) if s - answer_margin_s(s) <= covered_s), default=0)
    longest_text = f"a ServiceTimeout of at most {longest} s" if longest else "no ServiceTimeout at all"
    return (
        f"{service_timeout_s} s cannot be covered by this function: its Timeout (about {timeout_s:.0f} s) leaves "
        f"{per_invocation_s:.0f} s of work per invocation after a {LAMBDA_RESERVE_S:.0f} s reserve, and hand-overs "
        f"stop at {MAX_INVOCATIONS} invocations (below Lambda's recursive loop detection), {covered_s:.0f} s in all. "
        "Give the "
        f"function a Timeout of at least {least_timeout_s} s; with this one it can serve {longest_text}"
    )


@dataclass(frozen=True)
class HandOver:
    """What one invocation hands the next: when the teardown and each service's drain began, what was changed
    around each service, how far each service blocked by a deployment has come, and which invocation of the chain
    this is (0 for the first; the wire name is `Generation`). Every map is keyed by the request's service names
    (at most MAX_SERVICES, each at most 255 characters), so even the largest hand-over, with the event it rides on,
    stays within the 256 KB that Lambda accepts for an asynchronous invoke (tests/unit/test_budget.py checks it)."""

    started_at: float
    invocation: int = 0
    drain_started: Mapping[str, float] = field(default_factory=dict)
    # What each service's preparation found and changed (auto scaling suspended, delays lowered): to restore it.
    preparations: Mapping[str, Preparation] = field(default_factory=dict)
    # When DeleteService first said "deployments are active" (core/machine.py's DEPLOYMENT_WAIT_S counts from it),
    # and the services whose rollout StopServiceDeployment was already sent for: a fresh invocation neither waits
    # the minute again nor stops the rollout twice. On the wire one pair per blocked service, [since, stop sent]:
    # a stop is sent only once the delete has been blocked (core/machine.py), so it rides with that moment.
    blocked_since: Mapping[str, float] = field(default_factory=dict)
    rollout_stop_requested: frozenset[str] = frozenset()

    def following(self, result: TeardownResult) -> HandOver:
        """What the next invocation is handed, once this one's teardown came to `result`: the same start, and what
        the teardown has learned so far (result carries it all on)."""
        return HandOver(
            self.started_at,
            self.invocation + 1,
            result.drain_started,
            result.preparations,
            result.blocked_since,
            result.rollout_stop_requested,
        )

    def to_event(self) -> dict[str, Any]:
        return {
            "StartedAt": self.started_at,
            "Generation": self.invocation,
            "DrainStartedAt": dict(self.drain_started),
            "Prepared": {name: preparation.to_wire() for name, preparation in self.preparations.items()},
            "DeploymentsBlocked": {
                name: [at, name in self.rollout_stop_requested] for name, at in self.blocked_since.items()
            },
        }

    @classmethod
    def from_event(cls, value: Any, now: float) -> HandOver:
        """Read what a hand-over carried; anything malformed counts as a first invocation starting now, and
        nothing in it may start in the future or void a drain timeout or the wait for a deployment (NaN,
        infinities, negative numbers): a moment that is not sane is left out, and its service counts afresh."""
        carried = value if isinstance(value, dict) else {}
        try:
            started_at = float(carried.get("StartedAt", now))
            invocation = int(carried.get("Generation", 0))
        except (TypeError, ValueError, OverflowError):
            started_at, invocation = now, 0
        if not started_at <= now:  # a start in the future (or NaN) is no start: count from now
            started_at = now
        prepared = carried.get("Prepared")
        preparations = {
            str(name): preparation
            for name, wire in (prepared.items() if isinstance(prepared, dict) else [])
            if (preparation := Preparation.from_wire(wire)) is not None
        }
        blocked = carried.get("DeploymentsBlocked")
        pairs = {
            str(name): pair
            for name, pair in (blocked.items() if isinstance(blocked, dict) else [])
            if isinstance(pair, list) and len(pair) == 2
        }
        blocked_since = _moments({name: since for name, (since, _) in pairs.items()}, started_at, now)
        return cls(
            started_at,
            max(0, invocation),
            _moments(carried.get("DrainStartedAt"), started_at, now),
            preparations,
            blocked_since,
            frozenset(name for name in blocked_since if pairs[name][1] is True),
        )


def _moments(value: Any, started_at: float, now: float) -> dict[str, float]:
    """Moments by service name, each within the teardown so far (from its start to now). Anything else is left
    out: a moment before the start or in the future (a timeout counted from it would end at once or never), NaN,
    an infinity, a value that is no number (a string, a boolean, null)."""
    return {
        str(name): float(at)
        for name, at in (value.items() if isinstance(value, dict) else [])
        if isinstance(at, int | float) and not isinstance(at, bool) and started_at <= at <= now
    }


@dataclass(frozen=True)
class Budget:
    """The moments one invocation works towards: the answer's deadline and the invocation's own end."""

    started_at: float
    answer_by: float  # CloudFormation's deadline for the answer, less its margin
    invocation_ends: float  # this invocation's end, less the reserve for the answer or a hand-over

    @classmethod
    def of(cls, started_at: float, service_timeout_s: int, now: float, remaining_s: float) -> Budget:
        answer_by = started_at + service_timeout_s - answer_margin_s(service_timeout_s)
        return cls(started_at, answer_by, now + remaining_s - LAMBDA_RESERVE_S)

    @property
    def deadline(self) -> float:
        return min(self.answer_by, self.invocation_ends)
