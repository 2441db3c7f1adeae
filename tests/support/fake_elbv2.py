"""A fake Elastic Load Balancing (v2) client: target groups and their attributes, the deregistration delay above all.

It quacks like boto3's `elbv2` client for DescribeTargetGroupAttributes, ModifyTargetGroupAttributes and
DescribeTargetHealth, checks parameters against botocore's model, raises botocore's modeled errors, and records every
call. The fake ECS reads `delay_of(arn)` when a service's tasks are asked to stop: the delay in force at that moment
is the one they wait out. With `ecs` wired (the fake ECS), a group's targets are the tasks of the services that name
it, as that fake plays them: healthy while they run (`initial` for tasks auto scaling started, until they are
ready), `draining` from their stop for the delay they wait out, then deregistered (no longer listed); without it, a
group has no targets.

Facts (ELB API reference, TargetGroupAttribute,
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html):
deregistration_delay.timeout_seconds is 0-3600, 300 by default, and not supported by Lambda targets; an unknown
target group is TargetGroupNotFound (botocore's TargetGroupNotFoundException). ModifyTargetGroupAttributes answers
with all the group's attributes (moto answers with the changed ones only). The default keys below are the ones that
reference documents for an ALB (HTTP/HTTPS, instance or ip targets) or an NLB (TCP/UDP/TLS) target group, with their
documented defaults; a key the group does not have is a ValidationError ("... is not recognized"; moto accepts it).
DescribeTargetHealth (ELB API reference, DescribeTargetHealth and TargetHealth): TargetHealthDescriptions[] of
Target {Id, Port}, HealthCheckPort and TargetHealth {State, Reason, Description}. "The initial state of a
deregistering target is draining. After the deregistration delay elapses, the deregistration process completes and
the state of the target is unused"; even when it completes early, "the status of the target is displayed as draining
until the deregistration delay timeout expires" (ALB user guide, "Edit target group attributes", Deregistration
delay). A target named in Targets but not registered is `unused`, Target.NotRegistered (moto says `unavailable`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from support.fake_ecs import ACCOUNT, REGION, FakeClient, FakeClock, Fault, ident

DELAY_KEY = "deregistration_delay.timeout_seconds"
MAX_DELAY_S = 3600

ALB_DEFAULTS = {
    "stickiness.enabled": "false",
    DELAY_KEY: "300",
    "stickiness.type": "lb_cookie",
    "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "",
    "stickiness.app_cookie.duration_seconds": "86400",
    "slow_start.duration_seconds": "0",
    "load_balancing.algorithm.type": "round_robin",
    "load_balancing.algorithm.anomaly_mitigation": "off",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
    "waf.fail_open.enabled": "false",
}
NLB_DEFAULTS = {
    "stickiness.enabled": "false",
    DELAY_KEY: "300",
    "stickiness.type": "source_ip",
    "deregistration_delay.connection_termination.enabled": "false",
    "proxy_protocol_v2.enabled": "false",
    "preserve_client_ip.enabled": "false",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
    "target_health_state.unhealthy.connection_termination.enabled": "true",
    "target_health_state.unhealthy.draining_interval_seconds": "0",
}


@dataclass
class TargetGroup:
    arn: str
    protocol: str
    attributes: dict[str, str]
    history: list[tuple[float, int]] = field(default_factory=list)  # (when, deregistration delay from then on)

    @property
    def delay_s(self) -> int:
        return int(self.attributes[DELAY_KEY])


@dataclass
class FakeElbv2(FakeClient):
    clock: FakeClock
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    fault: Fault | None = None  # called before each call; an exception it returns is raised
    calls: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    ecs: Any = None  # the fake ECS whose services' tasks are the targets (None: no targets registered)

    SERVICE = "elbv2"

    def add_target_group(self, name: str, deregistration_delay_s: int = 300, protocol: str = "HTTP") -> str:
        """A target group with AWS's default attributes (but the delay); returns its ARN."""
        suffix = ident("0123456789abcdef", 16, "targetgroup", name)
        arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{name}/{suffix}"
        defaults = ALB_DEFAULTS if protocol in ("HTTP", "HTTPS") else NLB_DEFAULTS
        attributes = {**defaults, DELAY_KEY: str(deregistration_delay_s)}
        self.target_groups[arn] = TargetGroup(arn, protocol, attributes, [(self.clock.now, deregistration_delay_s)])
        return arn

    def delay_of(self, arn: str) -> int:
        """The deregistration delay in force now (what a target deregistered now waits out)."""
        assert arn in self.target_groups, f"the service names a target group the fake ELBv2 does not have: {arn}"
        return self.target_groups[arn].delay_s

    def _group(self, operation: str, kwargs: dict[str, Any]) -> TargetGroup:
        self._record(operation, kwargs)
        group = self.target_groups.get(str(kwargs["TargetGroupArn"]))
        if group is None:
            raise self._error("TargetGroupNotFound", "One or more target groups not found", operation)
        return group

    def describe_target_group_attributes(self, **kwargs: Any) -> dict[str, Any]:
        group = self._group("DescribeTargetGroupAttributes", kwargs)
        return {"Attributes": [{"Key": key, "Value": value} for key, value in group.attributes.items()]}

    def modify_target_group_attributes(self, **kwargs: Any) -> dict[str, Any]:
        operation = "ModifyTargetGroupAttributes"
        group = self._group(operation, kwargs)
        changes = {str(a.get("Key")): str(a.get("Value")) for a in kwargs["Attributes"]}
        for key, value in changes.items():
            if key not in group.attributes:
                raise self._error("ValidationError", f"Target group attribute key '{key}' is not recognized", operation)
            if key == DELAY_KEY and not _valid_delay(value):
                message = f"'{DELAY_KEY}' value '{value}' must be between '0-{MAX_DELAY_S}' inclusive"
                raise self._error("ValidationError", message, operation)
        group.attributes.update(changes)
        if DELAY_KEY in changes:
            group.history.append((self.clock.now, group.delay_s))
        return {"Attributes": [{"Key": key, "Value": value} for key, value in group.attributes.items()]}

    def describe_target_health(self, **kwargs: Any) -> dict[str, Any]:
        group = self._group("DescribeTargetHealth", kwargs)
        registered = {d["Target"]["Id"]: d for d in self.targets_of(group.arn)}
        named = kwargs.get("Targets")
        if not named:
            return {"TargetHealthDescriptions": list(registered.values())}
        return {"TargetHealthDescriptions": [registered.get(t["Id"]) or _unused(t) for t in named]}

    def targets_of(self, arn: str) -> list[dict[str, Any]]:
        """The group's registered targets now, as DescribeTargetHealth describes them."""
        now, targets = self.clock.now, []
        for service in self.ecs.services.values() if self.ecs is not None else []:
            if arn not in service.target_groups or service.status(now) == "MISSING":
                continue
            timelines = [(service.timeline, None), *((r.timeline, r.ready_at) for r in service.relaunches)]
            for index, (timeline, ready_at) in enumerate(timelines):
                for task, state in enumerate(_task_states(service, timeline, ready_at, now)):
                    if state is not None:
                        target = {"Id": _ip(service.cluster, service.name, index, task), "Port": service.container_port}
                        targets.append(_described(target, state))
        return targets


def _task_states(service: Any, timeline: Any, ready_at: float | None, now: float) -> list[str | None]:
    """Each task's target state (None: deregistered). Once asked to stop, a task drains for the delay it waits
    out (the fake ECS records it with the stop), or, where none was recorded, until it stops."""
    if timeline.stop_started_at is None:
        return ["initial" if ready_at is not None and now < ready_at else "healthy"] * timeline.tasks
    start, count = timeline.stop_started_at, timeline.tasks
    offsets = timeline.stop_offsets or tuple(timeline.task_stop_s * (k + 1) / count for k in range(count))
    delay = next((d for at, d, o in service.stop_rounds if at == start and o == offsets), None)
    return ["draining" if now < start + (offset if delay is None else delay) else None for offset in offsets]


_HEALTH = {
    "healthy": {"State": "healthy"},
    "initial": {
        "State": "initial",
        "Reason": "Elb.RegistrationInProgress",
        "Description": "Target registration is in progress",
    },
    "draining": {
        "State": "draining",
        "Reason": "Target.DeregistrationInProgress",
        "Description": "Target deregistration is in progress",
    },
}


def _described(target: dict[str, Any], state: str) -> dict[str, Any]:
    return {"Target": target, "HealthCheckPort": str(target["Port"]), "TargetHealth": dict(_HEALTH[state])}


def _unused(target: dict[str, Any]) -> dict[str, Any]:
    health = {
        "State": "unused",
        "Reason": "Target.NotRegistered",
        "Description": "Target is not registered to the target group",
    }
    return {"Target": dict(target), "TargetHealth": health}


def _ip(cluster: str, service: str, timeline: int, task: int) -> str:
    """A stable private address for a task (awsvpc tasks are registered by IP)."""
    digest = hashlib.sha256(f"{cluster}/{service}/{timeline}/{task}".encode()).digest()
    return f"10.{digest[0]}.{digest[1]}.{digest[2] % 254 + 1}"


def _valid_delay(value: str) -> bool:
    try:
        return 0 <= int(value) <= MAX_DELAY_S
    except ValueError:
        return False
