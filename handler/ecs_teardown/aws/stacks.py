"""The CloudFormation edge: DescribeStacks, for what CloudFormation's own record says of the stack that sent a
request (its status, and its root's id for a nested stack). A stack id also finds a deleted stack (CloudFormation
API reference, DescribeStacks). What the status means for a Delete is core/guard.py's business.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.ports import StackReadError, StackRecord
from .ecs import client_config
from .errors import error_code, error_message, is_transient


class CloudFormationStacks:
    """DescribeStacks through boto3, with the ECS edge's bounded timeouts and botocore's standard retries."""

    def __init__(self, client: Any = None, retries_configured: tuple[bool, bool] = (False, False)) -> None:
        self._client, self._retries_configured = client, retries_configured

    def describe(self, stack_id: str) -> StackRecord:
        if self._client is None:
            import boto3  # only a Delete that is about to act pays for this client

            self._client = boto3.client("cloudformation", config=client_config(self._retries_configured))
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
