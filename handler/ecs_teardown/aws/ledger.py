"""The answer ledger's edge: which CloudFormation request was answered, by any invocation, in a DynamoDB table.

Lambda can run one request more than once: an asynchronous event may be delivered twice, and a hand-over whose
Invoke timed out may have been queued after all (Lambda developer guide, asynchronous invocation). One conditional
PutItem per answer (attribute_not_exists) decides which invocation answers; the others see the record and neither
answer nor act. Items expire with the ResponseURL (two hours) through the table's TTL.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.ports import LedgerError
from .bounded import bounded_config
from .errors import error_code, error_message

CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS = 2, 3, 2


class DynamoDbLedger:
    def __init__(self, table: str, client: Any = None) -> None:
        self.table, self._client = table, client

    def _dynamodb(self) -> Any:
        if self._client is None:
            import boto3  # built on first use: a request that answers nothing pays nothing

            config = bounded_config(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS)
            self._client = boto3.client("dynamodb", config=config)
        return self._client

    def answer_of(self, request_id: str) -> str:
        """The Status answered for this request, or '' while none was."""
        try:
            item = (
                self._dynamodb()
                .get_item(TableName=self.table, Key={"RequestId": {"S": request_id}}, ConsistentRead=True)
                .get("Item")
            )
        except (ClientError, BotoCoreError) as error:
            raise LedgerError(f"GetItem on {self.table}: {error_code(error)}: {error_message(error)}") from error
        return str(item.get("Status", {}).get("S", "")) if item else ""

    def record_answer(self, request_id: str, status: str, expires_at: int) -> bool:
        """Record this invocation's answer; False when another invocation recorded one first."""
        item = {"RequestId": {"S": request_id}, "Status": {"S": status}, "ExpiresAt": {"N": str(expires_at)}}
        try:
            self._dynamodb().put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(RequestId)"
            )
        except (ClientError, BotoCoreError) as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise LedgerError(f"PutItem on {self.table}: {error_code(error)}: {error_message(error)}") from error
        return True
