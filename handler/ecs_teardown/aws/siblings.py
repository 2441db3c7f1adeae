"""The Application Auto Scaling and ELBv2 clients next to an ECS client, made when a service is first prepared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ClientFor = Callable[[str], Any]  # "application-autoscaling" / "elbv2" -> a boto3 client (or None: not available)


def sibling_clients(ecs: Any, retries_configured: tuple[bool, bool]) -> ClientFor:
    """Clients next to an ECS client: the tests' fakes hand out their own (`sibling`); a boto3 client's siblings
    share its region, its bounded config and, when it talks to an emulator rather than AWS, its endpoint. Anything
    else (a bare fake) has none, and the parts that need them are skipped."""
    own = getattr(ecs, "sibling", None)
    if callable(own):
        return lambda name: own(name)
    meta = getattr(ecs, "meta", None)
    region = getattr(meta, "region_name", None)
    if not isinstance(region, str):
        return lambda name: None
    endpoint = str(getattr(meta, "endpoint_url", "") or "")
    emulator = endpoint if not _aws_host(endpoint) else None

    def make(name: str) -> Any:
        import boto3

        from .ecs import client_config

        factory: Any = boto3.client  # the service is chosen at run time: its typed overloads do not apply
        return factory(name, region_name=region, endpoint_url=emulator, config=client_config(retries_configured))

    return make


def _aws_host(endpoint: str) -> bool:
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazonaws.eu")) or ".api.aws" in host
