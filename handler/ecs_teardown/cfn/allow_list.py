"""The deployer's allow-list of clusters: it wins over whatever the stack author wrote."""

from __future__ import annotations

from ..config import ALLOWED_CLUSTERS_ENV
from ..core.model import TeardownRequest
from .properties import NAME_RE, PropertyError


def allowed_cluster_names(text: str) -> set[str] | None:
    """The allow-list's cluster names; None for '*' (any). An ARN entry counts by its cluster name; anything else
    (a wildcard inside a name or an ARN, a service ARN) matches nothing, so a typo can only narrow the list."""
    names: set[str] = set()
    for entry in (part.strip() for part in text.split(",")):
        if entry == "*":
            return None
        if NAME_RE.fullmatch(entry):
            names.add(entry)
        elif entry.startswith("arn:") and ":cluster/" in entry:
            name = entry.split(":cluster/", 1)[1]
            if NAME_RE.fullmatch(name):
                names.add(name)
    return names


def check_allowed(request: TeardownRequest, allowed: str) -> None:
    """Refuse a request for a cluster outside the list (names or ARNs, '*' for any); nothing is touched."""
    names = allowed_cluster_names(allowed)
    if names is None or request.cluster in names:
        return
    shown = ", ".join(sorted(names)) or "none"
    raise PropertyError(
        f"Property Cluster: cluster {request.cluster!r} is not in this function's allowed clusters ({shown}); "
        f"services {', '.join(s.name for s in request.services)} were not touched. "
        f"The deployer sets the list ({ALLOWED_CLUSTERS_ENV})"
    )
