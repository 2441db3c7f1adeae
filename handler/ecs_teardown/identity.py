"""Physical resource ids: which ids this handler issues, and whether a Delete's id is one of them.

One service: its ARN, as ECS returns it. Several: `ecs-teardown/CLUSTER/N-services/DIGEST`, where DIGEST hashes the
sorted service names. Both depend only on the (cluster, service names) set, so a service written by name or by ARN,
or a changed timeout, keeps the id; pointing at other services changes it (a replacement).
A failed Create answers `ecs-teardown/failed-create/REQUEST_ID`, which a Delete recognizes as "nothing to do".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .properties import SERVICE_ARN_RE, ServiceRef, TeardownRequest

PREFIX = "ecs-teardown"
_MULTI_RE = re.compile(
    rf"^{PREFIX}/(?P<cluster>[A-Za-z0-9_-]{{1,255}})/(?P<count>\d{{1,2}})-services/(?P<digest>[0-9a-f]{{32}})$"
)
MAX_ID_BYTES = 1024


@dataclass(frozen=True)
class IssuedId:
    """What an id issued by this handler says about its targets."""

    cluster: str  # '' for a short-format service ARN, which does not name its cluster
    service: str  # '' for a several-service id
    digest: str = ""

    def matches(self, request: TeardownRequest) -> bool:
        if self.service:
            if len(request.services) != 1:
                return False
            only = request.services[0]
            return only.name == self.service and self.cluster in ("", only.cluster)
        return self.cluster == request.cluster and self.digest == digest_of(request.services)


def digest_of(services: tuple[ServiceRef, ...] | list[ServiceRef]) -> str:
    names = "\n".join(sorted(ref.name for ref in services))
    return hashlib.sha256(names.encode()).hexdigest()[:32]


def issue_id(request: TeardownRequest, service_arns: list[str]) -> str:
    """The physical id for a resolved request (`service_arns` as DescribeServices returned them)."""
    if len(request.services) == 1:
        return service_arns[0]
    return f"{PREFIX}/{request.cluster}/{len(request.services)}-services/{digest_of(request.services)}"


def failed_create_id(request_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9-]", "", request_id)[:64] or "unknown"
    return f"{PREFIX}/failed-create/{safe}"


def parse_id(physical_id: object) -> IssuedId | None:
    """The targets an id names, or None when this handler did not issue it (a failed Create's id, say)."""
    if not isinstance(physical_id, str) or len(physical_id.encode()) > MAX_ID_BYTES:
        return None
    single = SERVICE_ARN_RE.fullmatch(physical_id)
    if single:
        return IssuedId(cluster=single.group("cluster") or "", service=single.group("name"))
    several = _MULTI_RE.fullmatch(physical_id)
    if several:
        return IssuedId(cluster=several.group("cluster"), service="", digest=several.group("digest"))
    return None
