"""What the core needs from outside, as protocols the edges implement (aws/), and what they report back.

ECS's answers are translated at the edge into `CallResult`s and `EcsCallError`s, so the core decides on outcomes,
never on error codes or message text.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .drain import FastDrain, Preparation
from .model import ServiceSnapshot


class CallOutcome(enum.Enum):
    ACCEPTED = "accepted"
    GONE = "gone"  # the service or its cluster does not exist
    NOT_ACTIVE = "not-active"  # ServiceNotActiveException: already being deleted
    RETRY_LATER = "retry-later"  # throttled, 5xx, or a refusal that passes with time
    NEEDS_FORCE = "needs-force"  # ECS refused in a way that only a forced delete gets past
    DEPLOYMENTS_ACTIVE = "deployments-active"  # DeleteService: "The service cannot be stopped while deployments..."


@dataclass(frozen=True)
class CallResult:
    outcome: CallOutcome
    detail: str = ""  # ECS's words, for a refusal
    throttled: bool = False  # ECS said "slow down": the round's other writes wait


class EcsCallError(Exception):
    """An ECS call failed in a way that waiting will not fix (access denied, invalid input)."""

    def __init__(self, cluster: str, service: str, phase: str, detail: str) -> None:
        where = f"service {service!r} in cluster {cluster!r}" if service else f"cluster {cluster!r}"
        super().__init__(f"{phase} of {where} failed: {detail}")
        self.cluster, self.service, self.phase, self.detail = cluster, service, phase, detail


class Gateway(Protocol):
    """The operations a teardown needs: ECS's, and those of the service's auto scaling and target groups."""

    @property
    def throttles(self) -> int: ...  # throttled calls so far (retried ones included)

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]: ...
    def scale_to_zero(self, cluster: str, service: str) -> CallResult: ...
    def delete(self, cluster: str, service: str, force: bool) -> CallResult: ...
    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult: ...

    def begin_teardown(self) -> None:
        """A teardown begins (one run of the engine: in the Lambda, one invocation's share of it). What the gateway
        learned for an earlier one is forgotten (how many rounds each preparation waited, a cluster's services):
        a gateway may outlive a request, as in a warm Lambda. Its clients are kept."""
        ...

    def prepare(
        self,
        cluster: str,
        service: str,
        snapshot: ServiceSnapshot,
        fast_drain: FastDrain | None,
        may_call: Callable[[], bool] | None = None,
    ) -> Preparation | None:
        """Read the service's scalable target, target groups and stop timeout; suspend its scaling; with
        `fast_drain` (None: leave the target groups), lower to `fast_drain.seconds` the deregistration delay of
        its target groups that only the request's services use and on which no drain is under way. Never raises
        for a part that fails: the Preparation's notes say what was not read or done. None: not now (no time left
        in this invocation, or the stack's status not read yet, or a read that failed for a moment): a later round
        prepares. `may_call` is asked before each of its calls (None: always yes); once it says no, what was
        already changed is recorded in the result and nothing more is done."""
        ...

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: Callable[[], bool] | None = None
    ) -> list[str]:
        """Undo what `prepare` changed (the service is kept); returns what could not be undone."""
        ...


@dataclass(frozen=True)
class StackRecord:
    """What CloudFormation's DescribeStacks says of a stack."""

    status: str
    root_id: str = ""  # the root stack's id for a nested stack; '' for a root stack


class StackReadError(Exception):
    """CloudFormation's record of the stack could not be read (access denied, throttled, no such stack)."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient  # throttled or unavailable: reading again later may work


class StackReader(Protocol):
    def describe(self, stack_id: str) -> StackRecord: ...


class LedgerError(Exception):
    """The answer ledger could not be read or written."""


class Ledger(Protocol):
    """Which request was answered, by any invocation (aws/ledger.py); NoLedger where none is configured."""

    def answer_of(self, request_id: str) -> str: ...
    def record_answer(self, request_id: str, status: str, expires_at: int) -> bool: ...


class NoLedger:
    """No shared record (local runs): this process's own decision is the only one."""

    def answer_of(self, request_id: str) -> str:
        return ""

    def record_answer(self, request_id: str, status: str, expires_at: int) -> bool:
        return True
