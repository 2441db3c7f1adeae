"""The CloudFormation edge: what CloudFormation's own record says of the stack that sent a request.

CloudFormation sends a custom resource a Delete when the stack is deleted (DELETE_IN_PROGRESS), when its creation
is rolled back (ROLLBACK_IN_PROGRESS), and also when the resource is removed from the template or replaced in an
update (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) or a failed update rolls back (UPDATE_ROLLBACK_...). The request does
not say which; DescribeStacks on its StackId does (CloudFormation API reference, DescribeStacks: a stack id also
finds a deleted stack). A nested stack shows DELETE_IN_PROGRESS both when its root is deleted and when a root's
update removes it, so for a nested stack the root's status decides (its RootId, in the same answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .ecs import client_config, error_code, error_message, is_transient

# The stack statuses in which a Delete request means "the services are going away with the stack".
STACK_GOING_AWAY = frozenset({"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"})
# With TeardownOnRemoval: also the cleanup after an update removed the resource (never an update's rollback, which
# puts back the template whose services the resource may well name).
STACK_REMOVING_IT = STACK_GOING_AWAY | {"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}


@dataclass(frozen=True)
class StackRecord:
    status: str
    root_id: str = ""  # the root stack's id for a nested stack; '' for a root stack


class StackReadError(Exception):
    """CloudFormation's record of the stack could not be read (access denied, throttled, no such stack)."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient  # throttled or unavailable: reading again later may work


class StackReader(Protocol):
    def describe(self, stack_id: str) -> StackRecord: ...


class CloudFormationStacks:
    """DescribeStacks through boto3, with the ECS edge's bounded timeouts and botocore's standard retries."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def describe(self, stack_id: str) -> StackRecord:
        if self._client is None:
            import boto3  # only a Delete that is about to act pays for this client

            self._client = boto3.client("cloudformation", config=client_config())
        try:
            stacks = self._client.describe_stacks(StackName=stack_id).get("Stacks") or []
        except (ClientError, BotoCoreError) as error:
            hint = ""
            if error_code(error) in ("AccessDenied", "AccessDeniedException"):
                hint = " (the function's role needs cloudformation:DescribeStacks)"
            raise StackReadError(
                f"DescribeStacks of {stack_id[:300]!r} failed: {error_code(error)}: {error_message(error)}{hint}",
                transient=is_transient(error),
            ) from error
        stack = stacks[0] if stacks else {}
        status = stack.get("StackStatus")
        if not isinstance(status, str) or not status:
            raise StackReadError(f"DescribeStacks of {stack_id[:300]!r} returned no stack status")
        root = stack.get("RootId")
        return StackRecord(status, root if isinstance(root, str) and root != stack_id else "")
