"""The hand-over's edge: this same function invoked asynchronously, with the event and what it must carry.

No EventBridge rule and no Lambda permission are created, so nothing is left behind whatever happens.
"""

from __future__ import annotations

import json
from typing import Any

from .bounded import bounded_config, worst_case_s

CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS = 2, 3, 2
# An asynchronous Invoke answers 202 as soon as Lambda has queued the event; this bounds a slow or silent endpoint.
HANDOVER_WORST_S = worst_case_s(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS)


class SelfInvoke:
    """Invokes this same function (same qualifier) asynchronously."""

    def __init__(self, function_arn: str, client: Any = None) -> None:
        if not function_arn:
            raise ValueError("cannot hand over: the Lambda context has no invoked_function_arn")
        self.function_arn = function_arn
        self._client = client

    def __call__(self, event: dict[str, Any]) -> None:
        if self._client is None:
            import boto3  # only a hand-over pays for a Lambda client

            config = bounded_config(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS)
            self._client = boto3.client("lambda", config=config)
        self._client.invoke(FunctionName=self.function_arn, InvocationType="Event", Payload=json.dumps(event).encode())
