"""The CloudFormation edge: what CloudFormation's own record says of the stack that sent a request.

CloudFormation sends a custom resource a Delete when the stack is deleted (DELETE_IN_PROGRESS), when its creation
is rolled back (ROLLBACK_IN_PROGRESS), and also when the resource is removed from the template or replaced in an
update (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS) or a failed update rolls back (UPDATE_ROLLBACK_...). The request does
not say which; DescribeStacks on its StackId does (CloudFormation API reference, DescribeStacks: a stack id also
finds a deleted stack). Only the first two mean that the stack's services are going away.
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .ecs import client_config, error_code, error_message

# The stack statuses in which a Delete request means "the services are going away with the stack".
STACK_GOING_AWAY = frozenset({"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"})


class StackReadError(Exception):
    """CloudFormation's record of the stack could not be read (access denied, throttled, no such stack)."""


class StackReader(Protocol):
    def status(self, stack_id: str) -> str: ...


class CloudFormationStacks:
    """DescribeStacks through boto3, with the ECS edge's bounded timeouts and botocore's standard retries."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def status(self, stack_id: str) -> str:
        if self._client is None:
            import boto3  # only a Delete that is about to write pays for this client

            self._client = boto3.client("cloudformation", config=client_config())
        try:
            stacks = self._client.describe_stacks(StackName=stack_id).get("Stacks") or []
        except (ClientError, BotoCoreError) as error:
            hint = ""
            if error_code(error) in ("AccessDenied", "AccessDeniedException"):
                hint = " (the function's role needs cloudformation:DescribeStacks)"
            raise StackReadError(
                f"DescribeStacks of {stack_id[:300]!r} failed: {error_code(error)}: {error_message(error)}{hint}"
            ) from error
        status = stacks[0].get("StackStatus") if stacks else None
        if not isinstance(status, str) or not status:
            raise StackReadError(f"DescribeStacks of {stack_id[:300]!r} returned no stack status")
        return status
