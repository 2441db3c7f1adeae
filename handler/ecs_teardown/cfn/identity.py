"""Physical resource ids: which ids this handler issues, and what a Delete or Update may do with one.

Since 0.2 a Create answers an id that names the resource, not its services:
`ecs-teardown/STACK_NAME/LOGICAL_ID/DIGEST`, where DIGEST hashes the StackId (an ARN with the stack's unique id)
and the LogicalResourceId. An Update answers the id it was sent, whatever the new properties name, so an Update is
never a replacement and CloudFormation never sends a cleanup Delete for the services an Update moved away from
(CloudFormation user guide, custom resources: a new PhysicalResourceId makes the Update a replacement).

Ids that 0.1 issued keep working for Update and Delete: the service's ARN (one service) and
`ecs-teardown/CLUSTER/N-services/DIGEST` (several). A failed Create answers `ecs-teardown/failed-create/REQUEST_ID`,
which a Delete recognizes as "nothing to do".
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass

from .properties import SERVICE_ARN_RE

PREFIX = "ecs-teardown"
MAX_ID_BYTES = 1024  # CloudFormation's limit for a PhysicalResourceId
_DIGEST_CHARS = 24
# Stack names: a letter, then letters, digits and '-', at most 128. Logical ids: letters and digits, at most 255.
_STACK_NAME = r"[A-Za-z][A-Za-z0-9-]{0,127}"
_LOGICAL_ID = r"[A-Za-z0-9]{1,255}"
_RESOURCE_RE = re.compile(
    rf"{PREFIX}/(?P<stack>{_STACK_NAME})/(?P<logical>{_LOGICAL_ID})/(?P<digest>[0-9a-f]{{{_DIGEST_CHARS}}})", re.ASCII
)
_STACK_ID_NAME_RE = re.compile(rf"arn:[a-z-]+:cloudformation:[^:]*:[^:]*:stack/(?P<name>{_STACK_NAME})/", re.ASCII)
_LEGACY_SERVICES_RE = re.compile(
    rf"{PREFIX}/(?P<cluster>[A-Za-z0-9_-]{{1,255}})/(?P<count>\d{{1,2}})-services/(?P<digest>[0-9a-f]{{32}})", re.ASCII
)


class IdKind(enum.Enum):
    RESOURCE = "resource"  # ecs-teardown/STACK/LOGICAL_ID/DIGEST (0.2 on)
    SERVICE_ARN = "service-arn"  # 0.1, one service
    SERVICES_DIGEST = "services-digest"  # 0.1, several services


@dataclass(frozen=True)
class IssuedId:
    """An id this handler issued, and which kind. A Delete acts on the properties it carries, whichever stack or
    logical id the id was first issued for (CloudFormation can move a resource between stacks), within the stack
    status rules of custom_resource.StackGuard."""

    kind: IdKind


def _digest(stack_id: str, logical_id: str) -> str:
    return hashlib.sha256(f"{stack_id}\n{logical_id}".encode()).hexdigest()[:_DIGEST_CHARS]


def resource_id(stack_id: str, logical_id: str) -> str:
    """The id a Create answers: stable for the resource, readable in the console, at most ~420 bytes."""
    stack = _STACK_ID_NAME_RE.match(stack_id)
    stack_name = stack.group("name") if stack else "stack"
    logical = re.sub(r"[^A-Za-z0-9]", "", logical_id)[:255] or "resource"
    return f"{PREFIX}/{stack_name}/{logical}/{_digest(stack_id, logical_id)}"


def failed_create_id(request_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9-]", "", request_id)[:64] or "unknown"
    return f"{PREFIX}/failed-create/{safe}"


def parse_id(physical_id: object) -> IssuedId | None:
    """What kind of id this handler issued this is, or None when it did not issue it (a failed Create's id, say)."""
    if not isinstance(physical_id, str) or len(physical_id.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        return None
    resource = _RESOURCE_RE.fullmatch(physical_id)
    if resource:
        return IssuedId(IdKind.RESOURCE)
    if SERVICE_ARN_RE.fullmatch(physical_id):
        return IssuedId(IdKind.SERVICE_ARN)
    if _LEGACY_SERVICES_RE.fullmatch(physical_id):
        return IssuedId(IdKind.SERVICES_DIGEST)
    return None
