"""What the command line's arguments name: services by name or ARN (an ARN's region is honoured: its services
are torn down there; an ARN of another account is refused, since these credentials cannot reach it, and so is one
whose partition is not its region's), or every service of a cluster."""

from __future__ import annotations

import functools
import re
from typing import Any

from ecs_teardown.aws.errors import error_code
from ecs_teardown.cfn.properties import CLUSTER_ARN_RE, NAME_RE, SERVICE_ARN_RE

from .exits import NotFoundError, UsageError

Targets = dict[tuple[str, str], list[str]]  # (region, cluster name) -> service names


class Unstated(str):
    """A default, as opposed to what the user wrote: `--cluster` not given is the cluster 'default' but leaves each
    service ARN its own cluster, while a `--cluster default` that was written refuses an ARN of another cluster."""


DEFAULT_CLUSTER = Unstated("default")


def resolve_targets(session: Any, endpoint_url: str | None, cluster: str, services: list[str]) -> Targets:
    default_region = str(session.region_name)
    cluster_region, cluster_name, cluster_account = _cluster("--cluster", cluster, default_region)
    targets: Targets = {}
    accounts: set[str] = {cluster_account} if cluster_account else set()
    for text in services:
        match = SERVICE_ARN_RE.fullmatch(text)
        if match:
            _check_partition(f"--service {text}", match)
            accounts.add(match.group("account"))
            region = match.group("region")
            in_cluster = match.group("cluster") or cluster_name
            if not isinstance(cluster, Unstated) and in_cluster != cluster_name:
                raise UsageError(f"--service {text}: its cluster is {in_cluster!r}, but --cluster is {cluster_name!r}")
            if cluster_account and region != cluster_region:  # --cluster is an ARN: its region is stated
                raise UsageError(f"--service {text}: its region is {region!r}, but --cluster is in {cluster_region!r}")
            targets.setdefault((region, in_cluster), []).append(match.group("name"))
        elif NAME_RE.fullmatch(text):
            targets.setdefault((cluster_region, cluster_name), []).append(text)
        else:
            raise UsageError(f"--service {text!r} is neither a service name nor a service ARN")
    _check_accounts(session, endpoint_url, accounts)
    return targets


def _cluster(label: str, cluster: str, default_region: str) -> tuple[str, str, str | None]:
    """(region, name, account): an ARN's own, or a name's in the default region (no account stated)."""
    match = CLUSTER_ARN_RE.fullmatch(cluster)
    if match:
        _check_partition(f"{label} {cluster}", match)
        return match.group("region"), match.group("name"), match.group("account")
    if not NAME_RE.fullmatch(cluster):
        raise UsageError(f"{label} {cluster!r} is neither a cluster name nor a cluster ARN")
    return default_region, cluster, None


def _check_partition(label: str, arn: re.Match[str]) -> None:
    """An ARN's partition is its region's: `arn:aws-cn:ecs:us-east-1:...` names nothing, and must never be taken for
    the aws partition's service of the same name (as the custom resource refuses another partition than its own)."""
    partition, region = arn.group("partition"), arn.group("region")
    expected = _partition_of(region)
    if expected is None:
        raise UsageError(f"{label}: region {region!r} is in no AWS partition (botocore's endpoint data)")
    if partition != expected:
        raise UsageError(f"{label}: partition {partition!r} is not the partition of region {region!r} ({expected!r})")


@functools.cache
def _partition_of(region: str) -> str | None:
    """The partition of a region, from botocore's endpoint data (its known regions, then each one's region regex)."""
    import botocore.session
    from botocore.exceptions import UnknownRegionError

    try:
        return str(botocore.session.get_session().get_partition_for_region(region))
    except UnknownRegionError:
        return None


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

    region, name, account = _cluster("cluster", cluster, str(session.region_name))
    _check_accounts(session, endpoint_url, {account} if account else set())  # not ours: not a same name here
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
