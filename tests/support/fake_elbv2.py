"""A fake Elastic Load Balancing (v2) client: target groups and their attributes, the deregistration delay above all.

It quacks like boto3's `elbv2` client for DescribeTargetGroupAttributes and ModifyTargetGroupAttributes, checks
parameters against botocore's model, raises botocore's modeled errors, and records every call. The fake ECS reads
`delay_of(arn)` when a service's tasks are asked to stop: the delay in force at that moment is the one they wait out.

Facts (ELB API reference, TargetGroupAttribute,
https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html):
deregistration_delay.timeout_seconds is 0-3600, 300 by default, and not supported by Lambda targets; an unknown
target group is TargetGroupNotFound (botocore's TargetGroupNotFoundException). ModifyTargetGroupAttributes answers
with all the group's attributes (moto answers with the changed ones only). The default keys below are the ones that
reference documents for an ALB (HTTP/HTTPS, instance or ip targets) or an NLB (TCP/UDP/TLS) target group, with their
documented defaults; a key the group does not have is a ValidationError ("... is not recognized"; moto accepts it).
"""

from __future__ import annotations

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


def _valid_delay(value: str) -> bool:
    try:
        return 0 <= int(value) <= MAX_DELAY_S
    except ValueError:
        return False
