"""The teardown's vocabulary: what is asked for (a request and its services) and what ECS shows of a service."""

from __future__ import annotations

import enum
from dataclasses import dataclass

MAX_SERVICES = 50
MAX_SERVICE_TIMEOUT_S = 3600  # CloudFormation's own limit for a custom resource's ServiceTimeout
DEFAULT_DRAIN_TIMEOUT_S = 300
MAX_DRAIN_TIMEOUT_S = 3600
MAX_DEREGISTRATION_DELAY_S = 3600  # a target group's deregistration_delay.timeout_seconds: 0-3600 (ELB user guide)
DEFAULT_CLUSTER = "default"

ACTIVE, DRAINING, INACTIVE, MISSING = "ACTIVE", "DRAINING", "INACTIVE", "MISSING"
# Not ECS's: a reading of one service that cannot be trusted (a per-service failure, a field missing or null).
UNREADABLE = "UNREADABLE"
DAEMON, REPLICA = "DAEMON", "REPLICA"
# deploymentController.type (ECS API reference, DeploymentController)
ECS_CONTROLLER, CODE_DEPLOY, EXTERNAL = "ECS", "CODE_DEPLOY", "EXTERNAL"


class ForceMode(enum.Enum):
    AUTO = "auto"  # force only when the drain timed out or a scale-down is impossible
    ALWAYS = "always"  # delete with force at once
    NEVER = "never"  # fail rather than force


@dataclass(frozen=True, order=True)
class ServiceRef:
    """One target service, by cluster name and service name (the identity ECS uses in a region)."""

    cluster: str
    name: str

    def __str__(self) -> str:
        return f"{self.cluster}/{self.name}"


@dataclass(frozen=True)
class TeardownRequest:
    cluster: str  # cluster name
    services: tuple[ServiceRef, ...]
    drain_timeout_s: int | None = None  # None: `auto`, from the service's load balancers and stop timeout
    force: ForceMode = ForceMode.AUTO
    wait_for_inactive: bool = True
    service_timeout_s: int = MAX_SERVICE_TIMEOUT_S
    # False: a Delete tears down only while CloudFormation deletes the stack (or rolls its creation back), not
    # when the resource is merely removed from the template or replaced. True: in the removal case too.
    teardown_on_removal: bool = False
    # Lower the service's target groups' deregistration delay to this before the scale-down (None: leave it).
    deregistration_delay_s: int | None = None


@dataclass(frozen=True)
class ServiceSnapshot:
    """One DescribeServices reading of a service (MISSING: purged, never created, or its cluster is gone)."""

    status: str
    scheduling: str = REPLICA
    desired: int = 0
    running: int = 0
    pending: int = 0
    arn: str = ""
    missing_what: str = ""  # "cluster" or "service", for MISSING
    problem: str = ""  # what was wrong with the reading, for UNREADABLE
    created_at: float | None = None  # epoch seconds, where ECS says (it does; moto does not)
    controller: str = ECS_CONTROLLER  # deploymentController.type
    express: bool = False  # resourceManagementType ECS: an ECS Express Mode service, which ECS manages
    target_groups: tuple[str, ...] = ()  # loadBalancers[]: targetGroupArn and the blue/green alternate
    classic_balancers: tuple[str, ...] = ()  # loadBalancers[].loadBalancerName without a target group
    task_definition: str = ""
    rollout: str = ""  # the current service deployment's ARN while a deployment's rollout is IN_PROGRESS
    codedeploy: tuple[str, ...] = ()  # CODE_DEPLOY: the CodeDeploy deployment ids of the task sets

    @property
    def tasks(self) -> int:
        return self.running + self.pending

    @property
    def gone(self) -> bool:
        return self.status in (INACTIVE, MISSING)

    def counts(self) -> str:
        return f"desired {self.desired}, running {self.running}, pending {self.pending}"
