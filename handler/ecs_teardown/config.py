"""Every environment variable the function reads, read once, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

ALLOWED_CLUSTERS_ENV = "ECS_TEARDOWN_ALLOWED_CLUSTERS"
ALLOW_LOCAL_ENV = "ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL"
TRACER_ENV = "ECS_TEARDOWN_TRACER"
LEDGER_TABLE_ENV = "ECS_TEARDOWN_LEDGER_TABLE"
FAST_DRAIN_ENV = "ECS_TEARDOWN_FAST_DRAIN_ALLOWED"


@dataclass(frozen=True)
class Config:
    # The deployer's allow-list of clusters (names or ARNs, comma-separated; '*' alone for any): the template sets it.
    allowed_clusters: str = "*"
    # Answers to https://127.0.0.1 and https://localhost too: local runs and tests only.
    allow_local_response_url: bool = False
    # Powertools' Tracer around the handler (needs aws-xray-sdk, which the layer leaves out).
    tracer: bool = False
    service_name: str = "ecs-teardown"
    metrics_namespace: str = "EcsTeardown"
    # The DynamoDB table that records which request was answered (the template creates it); '' for none.
    ledger_table: str = ""
    # Whether AWS_RETRY_MODE / AWS_MAX_ATTEMPTS are set: then they win over the clients' own retry settings.
    retries_configured: tuple[bool, bool] = (False, False)
    # Whether the role may lower target groups' deregistration delay (the template's AllowFastDrain); unset: yes.
    fast_drain_allowed: bool = True

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        return cls(
            allowed_clusters=env.get(ALLOWED_CLUSTERS_ENV, "*"),
            allow_local_response_url=_true(env.get(ALLOW_LOCAL_ENV)),
            tracer=_true(env.get(TRACER_ENV)),
            service_name=env.get("POWERTOOLS_SERVICE_NAME", "ecs-teardown"),
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "EcsTeardown"),
            ledger_table=env.get(LEDGER_TABLE_ENV, "").strip(),
            retries_configured=("AWS_RETRY_MODE" in env, "AWS_MAX_ATTEMPTS" in env),
            fast_drain_allowed=_true(env.get(FAST_DRAIN_ENV, "true")),
        )


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"
