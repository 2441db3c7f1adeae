"""What surrounds two of the demo's services (demo.py), in moto's elbv2 and Application Auto Scaling: `web` behind a
target group with ELB's default 300 s deregistration delay (the stack asks for a fast drain, `FAST_DRAIN_S`), and
`worker` with a scalable target whose scale-out alarm fights a scale-down (emulator.py). Set up before the
teardown, and judged after it: scaling suspended and never raised, the delay lowered, `web` gone in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecs_teardown.aws.surroundings import DELAY_KEY, SCALABLE_DIMENSION

BEHIND_ALB, ALB_DELAY_S, STOP_TIMEOUT_S = "web", 300, 2  # its target group's delay (ELB's default), its stopTimeout
FAST_DRAIN_S = 2  # the stack's DeregistrationDelaySeconds
FAST_ENOUGH_S = 15.0  # the service behind the target group is gone this soon after its scale-down, or WRONG
SCALED, MIN_CAPACITY, MAX_CAPACITY = "worker", 2, 6  # the scalable target: its alarm raises desired back to 2
SUSPENDED = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


def target_group(aws: Any, show: Callable[[str], None]) -> dict[str, Any]:
    """The target group BEHIND_ALB's tasks are registered in (ELB's default delay) and its task definition (a
    demo-sized stopTimeout); the service's loadBalancers entry."""
    vpc = aws.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    elbv2 = aws.client("elbv2")
    group = elbv2.create_target_group(Name=BEHIND_ALB, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    arn = group["TargetGroups"][0]["TargetGroupArn"]
    container = {"name": BEHIND_ALB, "image": "nginx", "memory": 64, "stopTimeout": STOP_TIMEOUT_S}
    container["portMappings"] = [{"containerPort": 80}]
    aws.client("ecs").register_task_definition(family=BEHIND_ALB, containerDefinitions=[container])
    show(
        f"target group {BEHIND_ALB!r}: deregistration delay {delay(aws)} s (ELB's default); task definition "
        f"{BEHIND_ALB!r}: stopTimeout {STOP_TIMEOUT_S} s"
    )
    return {"targetGroupArn": arn, "containerName": BEHIND_ALB, "containerPort": 80}


def scalable_target(aws: Any, cluster: str, show: Callable[[str], None]) -> None:
    """SCALED's scalable target: MinCapacity above 0, so its scale-out alarm raises desired after a scale-down."""
    aws.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{cluster}/{SCALED}",
        ScalableDimension=SCALABLE_DIMENSION,
        MinCapacity=MIN_CAPACITY,
        MaxCapacity=MAX_CAPACITY,
    )
    show(f"service {SCALED!r} has a scalable target (MinCapacity {MIN_CAPACITY}): its alarm fights a scale-down")


def delay(aws: Any) -> str:
    """BEHIND_ALB's target group's deregistration delay, as ELBv2 reports it."""
    elbv2 = aws.client("elbv2")
    arn = elbv2.describe_target_groups(Names=[BEHIND_ALB])["TargetGroups"][0]["TargetGroupArn"]
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    return str({a["Key"]: a["Value"] for a in attributes}[DELAY_KEY])


def judge(aws: Any, cluster: str) -> bool:
    """The summary's lines on auto scaling and fast drain; whether both came out right."""
    return _judge_scaling(aws, cluster) & _judge_fast_drain(aws, cluster)


def _judge_scaling(aws: Any, cluster: str) -> bool:
    targets = aws.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{SCALED}"]
    )["ScalableTargets"]
    state = (targets[0].get("SuspendedState") or {}) if targets else {}
    suspended = all(state.get(flag) is True for flag in SUSPENDED)
    alarms = [s for s in aws.timed.scale_outs if s.service == SCALED]
    never_raised = bool(alarms) and not any(s.raised_to for s in aws.timed.scale_outs)
    ok = suspended and never_raised
    print(
        f"  auto scaling: {SCALED}'s scalable target (MinCapacity {MIN_CAPACITY}) "
        f"{'suspended' if suspended else 'NOT suspended'} before its scale-down; its scale-out alarm fired "
        f"{len(alarms)} time(s), desired {'never raised' if never_raised else 'RAISED (or no alarm)'}  "
        + ("ok" if ok else "WRONG")
    )
    return ok


def _judge_fast_drain(aws: Any, cluster: str) -> bool:
    lowered = delay(aws)
    scaled_at = next((at for _, name, at in aws.timed.writes if name == BEHIND_ALB), None)
    gone_at = aws.timelines[(cluster, BEHIND_ALB)].inactive_at()
    took = None if scaled_at is None or gone_at is None else gone_at - scaled_at
    ok = lowered == str(FAST_DRAIN_S) and took is not None and took < FAST_ENOUGH_S
    print(
        f"  fast drain: {BEHIND_ALB}'s deregistration delay {ALB_DELAY_S} s -> {lowered} s; INACTIVE "
        + (f"{took:.1f} s after its scale-down" if took is not None else "never")
        + f" (at {ALB_DELAY_S} s, its tasks alone would take {ALB_DELAY_S + STOP_TIMEOUT_S} s)  "
        + ("ok" if ok else "WRONG")
    )
    return ok
