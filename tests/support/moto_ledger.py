"""The answer ledger's table in moto's DynamoDB, as the template creates it (TTL aside: moto does not expire)."""

from __future__ import annotations

import boto3


def ledger_table(moto_url: str, name: str = "stack-answers") -> str:
    client = boto3.client("dynamodb", endpoint_url=moto_url)
    client.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "RequestId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "RequestId", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name
