"""ResourceProperties (all strings, as CloudFormation sends them) -> a frozen, validated request.

Every error names the property and what was wrong, because its message becomes the Reason that the stack's
owner reads in the CloudFormation console.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.model import (
    DEFAULT_CLUSTER,
    MAX_DEREGISTRATION_DELAY_S,
    MAX_DRAIN_TIMEOUT_S,
    MAX_SERVICE_TIMEOUT_S,
    MAX_SERVICES,
    ForceMode,
    ServiceRef,
    TeardownRequest,
)
from . import partitions

_NAME = r"[A-Za-z0-9_-]{1,255}"
NAME_RE = re.compile(rf"{_NAME}", re.ASCII)  # cluster and service names alike
_PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}"  # eusc-de-east-1 too: botocore partitions.json regionRegex
_ACCOUNT = r"\d{12}"
# Used with fullmatch(): `$` would let a trailing newline through, and re.ASCII keeps \d to 0-9.
CLUSTER_ARN_RE = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):ecs:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):cluster/(?P<name>{_NAME})",
    re.ASCII,
)
# Services have a long ARN format (service/CLUSTER/NAME) and, in older accounts, a short one (service/NAME).
SERVICE_ARN_RE = re.compile(
    rf"arn:(?P<partition>{_PARTITION}):ecs:(?P<region>{_REGION}):(?P<account>{_ACCOUNT}):"
    rf"service/(?:(?P<cluster>{_NAME})/)?(?P<name>{_NAME})",
    re.ASCII,
)


class PropertyError(ValueError):
    """A ResourceProperties value is missing, unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class ArnScope:
    """Where this function acts: an ARN of another partition, region or account is refused."""

    partition: str
    region: str
    account: str

    @classmethod
    def from_arn(cls, arn: str) -> ArnScope | None:
        """Scope of any ARN (the function's own, a StackId); None when it is not an ARN."""
        parts = arn.split(":")
        if len(parts) < 6 or parts[0] != "arn" or not parts[1] or not parts[3] or not parts[4]:
            return None
        return cls(partition=parts[1], region=parts[3], account=parts[4])


KNOWN_PROPERTIES = (
    "ServiceToken",
    "ServiceTimeout",
    "Cluster",
    "Service",
    "Services",
    "DrainTimeoutSeconds",
    "DeregistrationDelaySeconds",
    "ForceDelete",
    "WaitForInactive",
    "TeardownOnRemoval",
)


def _show(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it, cut short so a huge input cannot swamp the Reason."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_properties(properties: Any, scope: ArnScope | None = None) -> TeardownRequest:
    """Validate ResourceProperties. `scope`, when known, is the partition/region/account the function acts in."""
    if properties is None:
        properties = {}
    if not isinstance(properties, Mapping):
        raise PropertyError(f"ResourceProperties: expected an object, got {type(properties).__name__}")
    for key in properties:
        if key not in KNOWN_PROPERTIES:
            import difflib  # only for a typo's hint: not at every cold start

            hint = difflib.get_close_matches(str(key), KNOWN_PROPERTIES, n=1)
            suggestion = f" (did you mean {hint[0]}?)" if hint else ""
            known = ", ".join(k for k in KNOWN_PROPERTIES if k != "ServiceToken")
            raise PropertyError(f"Unknown property {_show(key)}{suggestion}. Known properties: {known}")

    written = _service_list(properties)
    labels = ["Service"] if "Service" in properties else [f"Services[{i}]" for i in range(len(written))]
    cluster_given = properties.get("Cluster")
    given_cluster = _cluster_name(cluster_given, scope) if cluster_given is not None else None
    # ARN clusters are read first: with Cluster omitted, the services' own ARNs say which cluster it is.
    written_refs = [_service_ref(label, text, scope) for label, text in zip(labels, written, strict=True)]
    cluster = given_cluster or next((ref.cluster for ref in written_refs if ref.cluster), DEFAULT_CLUSTER)
    services: list[ServiceRef] = []
    for label, text, ref in zip(labels, written, written_refs, strict=True):
        if ref.cluster and ref.cluster != cluster:
            where = "Cluster is" if given_cluster else "the other services are in cluster"
            raise PropertyError(
                f"Property {label}: {_show(text)} is in cluster {ref.cluster!r}, but {where} {cluster!r}; "
                "one resource tears down the services of one cluster"
            )
        services.append(ServiceRef(cluster, ref.name))
    seen: set[ServiceRef] = set()
    for label, ref in zip(labels, services, strict=True):
        if ref in seen:
            raise PropertyError(f"Property {label}: service {ref.name!r} is listed more than once")
        seen.add(ref)

    service_timeout = _whole_number(properties, "ServiceTimeout", MAX_SERVICE_TIMEOUT_S, 1, MAX_SERVICE_TIMEOUT_S)
    return TeardownRequest(
        cluster=cluster,
        services=tuple(services),
        drain_timeout_s=_drain_timeout(properties),
        deregistration_delay_s=_optional_number(
            properties, "DeregistrationDelaySeconds", 0, MAX_DEREGISTRATION_DELAY_S
        ),
        force=_force_mode(properties.get("ForceDelete")),
        wait_for_inactive=_boolean(properties, "WaitForInactive", True),
        service_timeout_s=service_timeout,
        teardown_on_removal=_boolean(properties, "TeardownOnRemoval", False),
    )


def _service_list(properties: Mapping[str, Any]) -> list[str]:
    has_one, has_many = "Service" in properties, "Services" in properties
    if has_one and has_many:
        raise PropertyError("Properties Service and Services: give exactly one of the two, not both")
    if not has_one and not has_many:
        raise PropertyError("Property Service (or Services): one of the two is required; neither was given")
    if has_one:
        value = properties["Service"]
        if not isinstance(value, str):
            raise PropertyError(f"Property Service: expected a service name or ARN, got {type(value).__name__}")
        return [value]
    values = properties["Services"]
    if not isinstance(values, list):
        raise PropertyError(f"Property Services: expected a list of service names or ARNs, got {_show(values)}")
    if not values:
        raise PropertyError("Property Services: the list is empty; give 1 to 50 service names or ARNs")
    if len(values) > MAX_SERVICES:
        raise PropertyError(f"Property Services: {len(values)} services given; at most {MAX_SERVICES} are allowed")
    for index, value in enumerate(values):
        if not isinstance(value, str):
            raise PropertyError(
                f"Property Services[{index}]: expected a service name or ARN, got {type(value).__name__}"
            )
    return values


def _check_scope(label: str, text: str, match: re.Match[str], scope: ArnScope | None) -> None:
    check_partition(f"Property {label}", match.group("partition"))
    if scope is None:
        return
    for part in ("partition", "region", "account"):
        theirs, ours = match.group(part), getattr(scope, part)
        if theirs != ours:
            raise PropertyError(
                f"Property {label}: {_show(text)} is in {part} {theirs!r}, "
                f"but this function tears down services in {part} {ours!r} only"
            )


def check_partition(label: str, partition: str) -> None:
    """A partition whose ResponseURL this function cannot answer to is refused before anything is accepted."""
    if not partitions.is_known(partition):
        known = ", ".join(sorted(partitions.DNS_SUFFIXES))
        raise PropertyError(
            f"{label}: partition {_show(partition)} is not one this function can answer CloudFormation in "
            f"(known: {known})"
        )


def _cluster_name(value: Any, scope: ArnScope | None) -> str:
    if not isinstance(value, str):
        raise PropertyError(f"Property Cluster: expected a cluster name or ARN, got {type(value).__name__}")
    if NAME_RE.fullmatch(value):
        return value
    match = CLUSTER_ARN_RE.fullmatch(value)
    if not match:
        raise PropertyError(
            f"Property Cluster: {_show(value)} is neither a cluster name (1-255 letters, digits, '-' or '_') "
            "nor a cluster ARN (arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME)"
        )
    _check_scope("Cluster", value, match, scope)
    return match.group("name")


def _service_ref(label: str, value: str, scope: ArnScope | None) -> ServiceRef:
    """A service as written; its cluster is '' when the text does not say (a name, or a short ARN)."""
    if NAME_RE.fullmatch(value):
        return ServiceRef("", value)
    match = SERVICE_ARN_RE.fullmatch(value)
    if not match:
        raise PropertyError(
            f"Property {label}: {_show(value)} is neither a service name (1-255 letters, digits, '-' or '_') "
            "nor a service ARN (arn:PARTITION:ecs:REGION:ACCOUNT:service/CLUSTER/NAME)"
        )
    _check_scope(label, value, match, scope)
    return ServiceRef(match.group("cluster") or "", match.group("name"))


def _drain_timeout(properties: Mapping[str, Any]) -> int | None:
    """DrainTimeoutSeconds: `auto` (the default: from the service's target groups and stop timeout, core/drain.py)
    or a whole number of seconds."""
    value = properties.get("DrainTimeoutSeconds")
    if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
        return None
    try:
        return _whole_number(properties, "DrainTimeoutSeconds", 0, 0, MAX_DRAIN_TIMEOUT_S)
    except PropertyError:
        raise PropertyError(
            f"Property DrainTimeoutSeconds: expected auto or a whole number of seconds from 0 to "
            f"{MAX_DRAIN_TIMEOUT_S}, got {_show(value)}"
        ) from None


def _optional_number(properties: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    return None if properties.get(key) is None else _whole_number(properties, key, 0, low, high)


def _whole_number(properties: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = properties.get(key)
    if value is None:
        return default
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        number = int(value.strip())  # at most 9 digits: never Python's 4300-digit conversion limit
    if number is None or not low <= number <= high:
        raise PropertyError(
            f"Property {key}: expected a whole number of seconds from {low} to {high}, got {_show(value)}"
        )
    return number


def _boolean(properties: Mapping[str, Any], key: str, default: bool) -> bool:
    value = properties.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PropertyError(f"Property {key}: expected 'true' or 'false', got {_show(value)}")


def _force_mode(value: Any) -> ForceMode:
    if value is None:
        return ForceMode.AUTO
    if isinstance(value, str):
        for mode in ForceMode:
            if value.strip().lower() == mode.value:
                return mode
    raise PropertyError(f"Property ForceDelete: expected 'auto', 'always' or 'never', got {_show(value)}")
