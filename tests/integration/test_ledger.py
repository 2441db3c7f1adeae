"""The answer ledger's edge against moto's DynamoDB over real HTTP: the first answer is recorded, a second is
refused, a read finds it; a table that does not exist is a LedgerError, never an answer lost."""

from __future__ import annotations

import boto3
import pytest

from ecs_teardown.aws.ledger import DynamoDbLedger
from ecs_teardown.core.ports import LedgerError
from support.moto_ledger import ledger_table

pytestmark = pytest.mark.integration


def test_the_first_answer_wins_and_is_read_back(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_url)
    ledger = DynamoDbLedger(ledger_table(moto_url))
    assert ledger.answer_of("req-1") == ""
    assert ledger.record_answer("req-1", "FAILED", 2_000_000_000) is True
    assert ledger.record_answer("req-1", "SUCCESS", 2_000_000_000) is False, "a second answer is refused"
    assert ledger.answer_of("req-1") == "FAILED"
    assert ledger.answer_of("req-2") == ""
    item = boto3.client("dynamodb", endpoint_url=moto_url).get_item(
        TableName="stack-answers", Key={"RequestId": {"S": "req-1"}}
    )["Item"]
    assert item["ExpiresAt"] == {"N": "2000000000"}, "the TTL attribute the template enables"


def test_a_missing_table_is_a_ledger_error(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_url)
    ledger = DynamoDbLedger("no-such-table")
    with pytest.raises(LedgerError, match="ResourceNotFoundException"):
        ledger.answer_of("req-1")
    with pytest.raises(LedgerError, match="ResourceNotFoundException"):
        ledger.record_answer("req-1", "SUCCESS", 1)
