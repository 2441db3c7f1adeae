"""Which Deletes may tear down: CloudFormation sends a custom resource a Delete when the stack is deleted or its
creation rolled back, and also when an update removes or replaces the resource or rolls back; only the stack's
status tells which (CloudFormation user guide, custom resources; DescribeStacks).

`StackGuard` wraps the ECS gateway so that the stack's record is read before the teardown acts on, or waits for,
any service; a Delete with nothing left to do reads nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .drain import FastDrain, Preparation
from .model import ServiceSnapshot
from .ports import CallOutcome, CallResult, Gateway, StackReader, StackReadError

log = logging.getLogger(__name__)

# The stack statuses in which a Delete request means "the services are going away with the stack".
STACK_GOING_AWAY = frozenset({"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"})
# With TeardownOnRemoval: also the cleanup after an update removed the resource (never an update's rollback, which
# puts back the template whose services the resource may well name).
STACK_REMOVING_IT = STACK_GOING_AWAY | {"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}


class StackStaysError(Exception):
    """The stack that sent this Delete is not going away: no ECS write may happen."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class StackUnreadableError(Exception):
    """The stack's record cannot be read, and waiting will not change that (access denied, no such stack)."""


class StackGuard:
    """The gateway, gated on the stack's status. A stack that is not going away stops the teardown
    (`StackStaysError`); one that cannot be read fails it (`StackUnreadableError`), or, when CloudFormation only
    throttled or was unavailable, holds it back until a later round reads it."""

    def __init__(self, gateway: Gateway, stacks: StackReader, stack_id: str, accepted: frozenset[str]) -> None:
        self._gateway, self._stacks, self._stack_id, self._accepted = gateway, stacks, stack_id, accepted
        self._going_away = False
        self.unread = ""  # why the stack's status could not be read yet (a transient error)

    @property
    def throttles(self) -> int:
        return self._gateway.throttles

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        snapshots = self._gateway.describe(cluster, names)
        live = any(not s.gone for s in snapshots.values())
        if live and not self._check():
            return {}  # no reading this round: nothing is decided, nothing is written
        return snapshots

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        return self._write(self._gateway.scale_to_zero, cluster, service)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        return self._write(self._gateway.delete, cluster, service, force)

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        return self._write(self._gateway.stop_deployment, cluster, service, deployment_arn)

    def _write(self, call: Callable[..., CallResult], *args: Any) -> CallResult:
        if not self._check():
            return CallResult(CallOutcome.RETRY_LATER, f"stack status not read yet: {self.unread}")
        return call(*args)

    def begin_teardown(self) -> None:
        self._gateway.begin_teardown()  # no call to AWS: nothing to check

    def prepare(
        self,
        cluster: str,
        service: str,
        snapshot: ServiceSnapshot,
        fast_drain: FastDrain | None,
        may_call: Callable[[], bool] | None = None,
    ) -> Preparation | None:
        if not self._check():
            return None
        return self._gateway.prepare(cluster, service, snapshot, fast_drain, may_call=may_call)

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: Callable[[], bool] | None = None
    ) -> list[str]:
        # Only ever undoes this teardown's own changes: no stack check needed.
        return self._gateway.restore(cluster, service, preparation, may_call=may_call)

    def unread_note(self) -> str:
        return f". The stack's status could not be read, so nothing was done: {self.unread}" if self.unread else ""

    def _check(self) -> bool:
        """True once the stack is known to be going away; False while it cannot be read for a transient reason."""
        if self._going_away:
            return True
        try:
            status = self._status_of(self._stack_id)
        except StackReadError as error:
            if not error.transient:
                raise StackUnreadableError(str(error)) from error
            self.unread = str(error)
            return False
        if status not in self._accepted:
            raise StackStaysError(status)
        log.info("stack is going away: teardown goes ahead", extra={"stack_status": status})
        self._going_away, self.unread = True, ""
        return True

    def _status_of(self, stack_id: str) -> str:
        """The stack's status; for a nested stack that is going away, its root's decides (a root's update that
        removes the nested stack also shows it DELETE_IN_PROGRESS, and the services it names may stay)."""
        record = self._stacks.describe(stack_id)
        if record.status not in self._accepted or not record.root_id:
            return record.status
        root = self._stacks.describe(record.root_id)
        if root.status in self._accepted:
            return record.status
        return f"{record.status} (nested; its root stack {record.root_id[:300]!r} is {root.status})"
