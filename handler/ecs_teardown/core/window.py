"""One invocation's window for calls: every ECS or CloudFormation call starts only if its worst case (from the
edge's timeouts and attempts) ends before `hard_end`, which leaves room for the answer or a hand-over before Lambda
ends the invocation; and no call starts once the request was answered (crhelper's timer may answer FAILED while a
round is under way: nothing may be written after that answer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .drain import FastDrain, Preparation
from .model import ServiceSnapshot
from .ports import CallOutcome, CallResult, Gateway, StackReader, StackReadError, StackRecord


class AnsweredError(Exception):
    """The request was answered while the teardown ran (the invocation's timer): no ECS call may follow."""


class InvocationWindow:
    """Wraps the gateway (and the stack reader) of one invocation."""

    def __init__(
        self,
        gateway: Gateway,
        clock: Callable[[], float],
        hard_end: float,
        call_worst_s: float,
        answered: Callable[[], bool],
        answered_anywhere: Callable[[], bool] = lambda: False,
    ) -> None:
        self._gateway, self._clock, self._hard_end = gateway, clock, hard_end
        self._call_worst_s, self._answered = call_worst_s, answered
        # Before a write: did any invocation of this request answer (the ledger)? A duplicate running at the same
        # time stops writing once the other one has answered.
        self._answered_anywhere = answered_anywhere

    @property
    def throttles(self) -> int:
        return self._gateway.throttles

    def fits(self) -> bool:
        """May another call start? Raises AnsweredError once the request was answered."""
        if self._answered():
            raise AnsweredError("the request was answered while the teardown ran (the invocation's timer)")
        return self._in_time()

    def _in_time(self) -> bool:
        return self._clock() + self._call_worst_s <= self._hard_end

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        return self._gateway.describe(cluster, names) if self.fits() else {}

    def _may_write(self) -> bool:
        if not self.fits():
            return False
        if self._answered_anywhere():
            raise AnsweredError("another invocation answered this request")
        return True

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        return self._write(self._gateway.scale_to_zero, cluster, service)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        return self._write(self._gateway.delete, cluster, service, force)

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        return self._write(self._gateway.stop_deployment, cluster, service, deployment_arn)

    def _write(self, call: Callable[..., CallResult], *args: Any) -> CallResult:
        if not self._may_write():
            return CallResult(CallOutcome.RETRY_LATER, "no time left in this invocation for another ECS call")
        return call(*args)

    def begin_teardown(self) -> None:
        self._gateway.begin_teardown()  # no call to AWS

    def prepare(
        self,
        cluster: str,
        service: str,
        snapshot: ServiceSnapshot,
        fast_drain: FastDrain | None,
        may_call: Callable[[], bool] | None = None,
    ) -> Preparation | None:
        # A few calls (the task definition, auto scaling, target groups), each started only while one more fits.
        if not self._may_write():
            return None
        return self._gateway.prepare(cluster, service, snapshot, fast_drain, may_call=self._fits_also(may_call))

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: Callable[[], bool] | None = None
    ) -> list[str]:
        return self._gateway.restore(cluster, service, preparation, may_call=self._fits_also(may_call))

    def _fits_also(self, may_call: Callable[[], bool] | None) -> Callable[[], bool]:
        """Asked before each call of a preparation or a restore: no call once this invocation's answer went out
        (what was already changed is recorded and left), none past the window, none the caller refuses."""

        def may() -> bool:
            return not self._answered() and self._in_time() and (may_call is None or may_call())

        return may

    def stacks(self, reader: StackReader) -> StackReader:
        """The stack reader, under the same window."""
        return _WindowedStacks(self, reader)


class _WindowedStacks:
    def __init__(self, window: InvocationWindow, reader: StackReader) -> None:
        self._window, self._reader = window, reader

    def describe(self, stack_id: str) -> StackRecord:
        if not self._window.fits():
            raise StackReadError("no time left in this invocation for DescribeStacks", transient=True)
        return self._reader.describe(stack_id)
