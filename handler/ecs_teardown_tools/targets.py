"""What the command line's arguments name: services by name or ARN (an ARN's region is honoured: its services
are torn down there; an ARN of another account is refused, since these credentials cannot reach it), or every
service of a cluster."""

from __future__ import annotations

from typing import Any

from ecs_teardown.aws.errors import error_code
from ecs_teardown.cfn.properties import CLUSTER_ARN_RE, NAME_RE, SERVICE_ARN_RE

from .exits import NotFoundError, UsageError

Targets = dict[tuple[str, str], list[str]]  # (region, cluster name) -> service names


def resolve_targets(session: Any, endpoint_url: str | None, cluster: str, services: list[str]) -> Targets:
    default_region = str(session.region_name)
    cluster_region, cluster_name = _cluster(cluster, default_region)
    targets: Targets = {}
    accounts: set[str] = set()
    for text in services:
        match = SERVICE_ARN_RE.fullmatch(text)
        if match:
            accounts.add(match.group("account"))
            region = match.group("region")
            in_cluster = match.group("cluster") or cluster_name
            if match.group("cluster") and cluster != "default" and in_cluster != cluster_name:
                raise UsageError(f"--service {text}: its cluster is {in_cluster!r}, but --cluster is {cluster_name!r}")
            targets.setdefault((region, in_cluster), []).append(match.group("name"))
        elif NAME_RE.fullmatch(text):
            targets.setdefault((cluster_region, cluster_name), []).append(text)
        else:
            raise UsageError(f"--service {text!r} is neither a service name nor a service ARN")
    match = CLUSTER_ARN_RE.fullmatch(cluster)
    if match:
        accounts.add(match.group("account"))
    _check_accounts(session, endpoint_url, accounts)
    return targets


def _cluster(cluster: str, default_region: str) -> tuple[str, str]:
    match = CLUSTER_ARN_RE.fullmatch(cluster)
    if match:
        return match.group("region"), match.group("name")
    if not NAME_RE.fullmatch(cluster):
        raise UsageError(f"--cluster {cluster!r} is neither a cluster name nor a cluster ARN")
    return default_region, cluster


def _check_accounts(session: Any, endpoint_url: str | None, accounts: set[str]) -> None:
    """ARNs of another account name services these credentials cannot reach: refuse them, never report them gone."""
    if not accounts:
        return
    identity = session.client("sts", endpoint_url=endpoint_url).get_caller_identity()
    ours = str(identity.get("Account", ""))
    others = sorted(account for account in accounts if account != ours)
    if others:
        raise UsageError(
            f"ARNs of account {', '.join(others)}, but these credentials are for account {ours}: "
            "run with credentials (--profile) of that account"
        )


def cluster_services(session: Any, endpoint_url: str | None, cluster: str) -> Targets:
    """Every service of a cluster (ListServices); a cluster that does not exist is an error."""
    from botocore.exceptions import ClientError

    region, name = _cluster(cluster, str(session.region_name))
    match = CLUSTER_ARN_RE.fullmatch(cluster)
    _check_accounts(session, endpoint_url, {match.group("account")} if match else set())  # not ours: not a same name
    client = session.client("ecs", region_name=region, endpoint_url=endpoint_url)
    names: list[str] = []
    try:
        for page in client.get_paginator("list_services").paginate(cluster=name):
            names.extend(arn.rsplit("/", 1)[-1] for arn in page.get("serviceArns", []))
    except ClientError as error:
        if error_code(error) == "ClusterNotFoundException":
            raise NotFoundError(f"cluster {name!r} not found in {region}") from None
        raise
    return {(region, name): names} if names else {}
