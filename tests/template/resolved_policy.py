"""The function's policy as IAM will hold it: the SAM-transformed template resolved for given parameters, in a
partition, a region and our account."""

from __future__ import annotations

from typing import Any

from cfn_template import Resolver

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
PARTITIONS = {
    "aws": ("us-east-1", "eu-west-1"),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-west-1", "us-gov-east-1"),
}

Statements = list[dict[str, Any]]


def resolver_for(
    transformed: dict[str, Any], parameters: dict[str, str], partition: str, region: str, **pseudo: str
) -> Resolver:
    resolver = Resolver(transformed, parameters, partition=partition, region=region, account=ACCOUNT, **pseudo)
    assert resolver.failed_rules() == [], f"CloudFormation refuses {parameters}"
    return resolver


def role_policies(resolver: Resolver, transformed: dict[str, Any]) -> list[dict[str, Any]]:
    """The inline policies of the function's role (the SAM transform makes one of the function's Policies)."""
    role = resolver.resolve(transformed["Resources"]["TeardownFunctionRole"]["Properties"])
    policies: list[dict[str, Any]] = role["Policies"]
    return policies


def statements_for(
    transformed: dict[str, Any],
    clusters: str,
    partition: str = "aws",
    region: str | None = None,
    fast_drain: str | None = None,
) -> Statements:
    """The role's statements for AllowedClusters=`clusters` (and AllowFastDrain=`fast_drain`, the template's default
    when None), resolved in `partition` (its first region unless given, our account)."""
    parameters = {"AllowedClusters": clusters} | ({"AllowFastDrain": fast_drain} if fast_drain else {})
    resolver = resolver_for(transformed, parameters, partition, region or PARTITIONS[partition][0])
    return [statement for p in role_policies(resolver, transformed) for statement in p["PolicyDocument"]["Statement"]]
