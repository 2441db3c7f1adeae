"""The permissions of a drain that fits the service (issue 13), as IAM will hold them: stopping a service deployment,
listing a cluster's services, reading a task definition's stopTimeout, a target group's deregistration delay and an
ECS service's scalable target, suspending and restoring that target's scaling, what Application Auto Scaling checks
its caller for, and, only with AllowFastDrain=true, lowering a target group's deregistration delay. Each resolved from
the SAM-transformed template per partition, then asked which requests it allows and denies."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from typing import Any

import iam_policy
import pytest
from botocore.loaders import Loader
from cfn_template import ROOT, RejectedError, Resolver, load_template
from iam_policy import allows, condition_holds, reference_errors, required_resource_types
from resolved_policy import ACCOUNT, OTHER_ACCOUNT, PARTITIONS, Statements, resolver_for, role_policies

STOP = "ecs:StopServiceDeployment"
LIST = "ecs:ListServices"
REGISTER = "application-autoscaling:RegisterScalableTarget"
MODIFY_TARGET_GROUP = "elasticloadbalancing:ModifyTargetGroupAttributes"
TARGET_HEALTH = "elasticloadbalancing:DescribeTargetHealth"
READS = ["ecs:DescribeTaskDefinition", "elasticloadbalancing:DescribeTargetGroupAttributes"]
READS += ["application-autoscaling:DescribeScalableTargets"]
VALIDATED = ["cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"]
# What the handler sends on RegisterScalableTarget (ServiceNamespace, ScalableDimension), as IAM's context keys.
ECS_SCALING = {
    "application-autoscaling:service-namespace": "ecs",
    "application-autoscaling:scalable-dimension": "ecs:service:DesiredCount",
}


def arn(partition: str, service: str, resource: str, region: str | None = None, account: str = ACCOUNT) -> str:
    return f"arn:{partition}:{service}:{region or PARTITIONS[partition][0]}:{account}:{resource}"


def may_stop(statements: Statements, cluster: str, partition: str = "aws", **where: str) -> bool:
    """StopServiceDeployment on a deployment of `cluster`'s service web: the action requires both of its resource
    types (the service and the service deployment), so both must be allowed."""
    service = arn(partition, "ecs", f"service/{cluster}/web", **where)
    deployment = arn(partition, "ecs", f"service-deployment/{cluster}/web/Ab3dE5fG7hI9", **where)
    return allows(statements, STOP, service) and allows(statements, STOP, deployment)


def may_list(statements: Statements, cluster: str, partition: str = "aws", **where: str) -> bool:
    """ListServices takes no resource: it is authorized against "*" with the cluster's ARN as ecs:cluster."""
    return allows(statements, LIST, "*", {"ecs:cluster": arn(partition, "ecs", f"cluster/{cluster}", **where)})


def may_register(statements: Statements, context: dict[str, str], partition: str = "aws", **where: str) -> bool:
    target = arn(partition, "application-autoscaling", "scalable-target/0ec1a2b3c4d5e6f708192a3b4c5d6e7f8", **where)
    return allows(statements, REGISTER, target, context)


def actions_of(statements: Statements) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


# --- ECS: deployments and the cluster's other services ---------------------------------------------------------------


@pytest.mark.parametrize("partition", PARTITIONS)
def test_named_clusters_may_stop_their_deployments_and_list_their_services_only(
    policy: Callable[..., Statements], partition: str
) -> None:
    statements = policy("prod, staging", partition)
    region, other_region = PARTITIONS[partition]
    other_partition = next(p for p in PARTITIONS if p != partition)
    for cluster in ["prod", "staging"]:
        assert may_stop(statements, cluster, partition) and may_list(statements, cluster, partition), cluster
    for cluster in ["prod2", "xprod", "pro", "Prod", "staging-old", "default"]:
        assert not may_stop(statements, cluster, partition), cluster
        assert not may_list(statements, cluster, partition), cluster
    for where in [{"region": other_region}, {"account": OTHER_ACCOUNT}]:
        assert not may_stop(statements, "prod", partition, **where), where
        assert not may_list(statements, "prod", partition, **where), where
    assert not may_stop(statements, "prod", other_partition, region=region)
    assert not may_list(statements, "prod", other_partition, region=region)
    assert not allows(statements, LIST, "*"), "ListServices without a cluster in its context"
    deployment = arn(partition, "ecs", "service-deployment/prod/web/Ab3dE5fG7hI9")
    for action in ["ecs:DescribeServiceDeployments", "ecs:UpdateService", "ecs:DeleteService"]:
        assert not allows(statements, action, deployment), action


@pytest.mark.parametrize("partition", PARTITIONS)
def test_any_cluster_may_stop_and_list_in_this_account_and_region(
    policy: Callable[..., Statements], partition: str
) -> None:
    statements = policy("*", partition)
    other_region = PARTITIONS[partition][1]
    for cluster in ["prod", "default", "x_y-z"]:
        assert may_stop(statements, cluster, partition) and may_list(statements, cluster, partition), cluster
    for where in [{"region": other_region}, {"account": OTHER_ACCOUNT}]:
        assert not may_stop(statements, "prod", partition, **where), where
        assert not may_list(statements, "prod", partition, **where), where


def test_every_slot_reaches_deployments_and_listing_and_no_name_past_them(policy: Callable[..., Statements]) -> None:
    names = [f"cluster{i}" for i in range(1, 13)]
    statements = policy(",".join(names))  # 12 names: IAM refuses the role (test_function_policy); never wider
    assert [may_stop(statements, name) for name in names] == [True] * 10 + [False, False]
    assert [may_list(statements, name) for name in names] == [True] * 10 + [False, False]


# --- reading what a drain takes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("partition", PARTITIONS)
def test_the_reads_take_any_resource_and_no_write_comes_with_them(
    policy: Callable[..., Statements], partition: str
) -> None:
    statements = policy("prod", partition)
    for action in READS:
        assert allows(statements, action, "*"), action
        # None takes a resource type in the Service Authorization Reference: "*" is the only grant IAM offers.
        assert required_resource_types(action) == set(), action
    task_definition = arn(partition, "ecs", "task-definition/web:3")
    target_group = arn(partition, "elasticloadbalancing", "targetgroup/web/0123456789abcdef")
    for action, resource in [
        ("ecs:RegisterTaskDefinition", "*"),
        ("ecs:DeregisterTaskDefinition", task_definition),
        ("ecs:DeleteTaskDefinitions", task_definition),
        ("elasticloadbalancing:DescribeTargetGroups", "*"),
        ("elasticloadbalancing:DeleteTargetGroup", target_group),
        (MODIFY_TARGET_GROUP, target_group),  # the default: AllowFastDrain=false
        ("application-autoscaling:DescribeScalingPolicies", "*"),
    ]:
        assert not allows(statements, action, resource), action


# --- Application Auto Scaling ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize("clusters", ["prod", "*"])
def test_scaling_may_be_suspended_and_restored_on_ecs_services_only(
    policy: Callable[..., Statements], partition: str, clusters: str
) -> None:
    statements = policy(clusters, partition)
    other_region = PARTITIONS[partition][1]
    assert may_register(statements, ECS_SCALING, partition)
    dynamodb = {
        "application-autoscaling:service-namespace": "dynamodb",
        "application-autoscaling:scalable-dimension": "dynamodb:table:ReadCapacityUnits",
    }
    for context in [
        dynamodb,
        {**ECS_SCALING, "application-autoscaling:service-namespace": "dynamodb"},
        {**ECS_SCALING, "application-autoscaling:scalable-dimension": "dynamodb:table:ReadCapacityUnits"},
        {**ECS_SCALING, "application-autoscaling:scalable-dimension": "ECS:service:DesiredCount"},
        {"application-autoscaling:service-namespace": "ecs"},
        {},
    ]:
        assert not may_register(statements, context, partition), context
    assert not may_register(statements, ECS_SCALING, partition, region=other_region)
    assert not may_register(statements, ECS_SCALING, partition, account=OTHER_ACCOUNT)
    target = arn(partition, "application-autoscaling", "scalable-target/0ec1a2b3c4d5e6f708192a3b4c5d6e7f8")
    for action in ["DeregisterScalableTarget", "PutScalingPolicy", "DeleteScalingPolicy", "PutScheduledAction"]:
        assert not allows(statements, f"application-autoscaling:{action}", target, ECS_SCALING), action
    assert not allows(statements, "application-autoscaling:TagResource", target)
    role = f"arn:{partition}:iam::{ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/x"
    assert not allows(statements, "iam:CreateServiceLinkedRole", role)


def test_the_scaling_conditions_carry_the_values_the_api_sends(policy: Callable[..., Statements]) -> None:
    """The condition values are the API's own enum values (botocore's model of Application Auto Scaling)."""
    (statement,) = [s for s in policy("prod") if s["Action"] == REGISTER]
    values = statement["Condition"]["StringEquals"]
    shapes = Loader().load_service_model("application-autoscaling", "service-2")["shapes"]
    assert values["application-autoscaling:service-namespace"] in shapes["ServiceNamespace"]["enum"]
    assert values["application-autoscaling:scalable-dimension"] in shapes["ScalableDimension"]["enum"]
    assert values == ECS_SCALING


@pytest.mark.parametrize("partition", PARTITIONS)
def test_application_auto_scaling_may_check_cloudwatch_alarms_of_this_account_and_region_only(
    policy: Callable[..., Statements], partition: str
) -> None:
    statements = policy("prod", partition)
    other_region = PARTITIONS[partition][1]
    alarm = arn(partition, "cloudwatch", "alarm:TargetTracking-service/prod/web-AlarmHigh-0a1b2c3d")
    for action in VALIDATED:
        assert allows(statements, action, alarm), action
        assert allows(statements, action, arn(partition, "cloudwatch", "alarm:")), "the nameless validation call"
        assert not allows(statements, action, arn(partition, "cloudwatch", "alarm:x", region=other_region))
        assert not allows(statements, action, arn(partition, "cloudwatch", "alarm:x", account=OTHER_ACCOUNT))
    for action in ["cloudwatch:SetAlarmState", "cloudwatch:DisableAlarmActions", "cloudwatch:PutMetricData"]:
        assert not allows(statements, action, alarm), action
    assert not allows(statements, "cloudwatch:DeleteDashboards", f"arn:{partition}:cloudwatch::{ACCOUNT}:dashboard/x")


# --- the opt-in fast drain ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize("fast_drain", [None, "false", "true"])
def test_target_groups_may_be_modified_only_with_allow_fast_drain(
    policy: Callable[..., Statements], partition: str, fast_drain: str | None
) -> None:
    statements = policy("prod", partition, fast_drain=fast_drain)
    other_region = PARTITIONS[partition][1]
    target_group = arn(partition, "elasticloadbalancing", "targetgroup/web/0123456789abcdef")
    if fast_drain != "true":
        assert MODIFY_TARGET_GROUP not in actions_of(statements)
        assert not [a for a in actions_of(statements) if a.startswith("elasticloadbalancing:Modify")]
        assert not allows(statements, MODIFY_TARGET_GROUP, target_group)
        return
    assert allows(statements, MODIFY_TARGET_GROUP, target_group)
    assert not allows(statements, MODIFY_TARGET_GROUP, target_group.replace(PARTITIONS[partition][0], other_region))
    assert not allows(statements, MODIFY_TARGET_GROUP, target_group.replace(ACCOUNT, OTHER_ACCOUNT))
    load_balancer = arn(partition, "elasticloadbalancing", "loadbalancer/app/web/0123456789abcdef")
    assert not allows(statements, MODIFY_TARGET_GROUP, load_balancer)
    for action in ["DeleteTargetGroup", "DeregisterTargets", "ModifyTargetGroup", "ModifyListener"]:
        assert not allows(statements, f"elasticloadbalancing:{action}", target_group), action
    assert reference_errors(statements, partition=partition, region=PARTITIONS[partition][0], account=ACCOUNT) == []


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize("fast_drain", [None, "false", "true"])
def test_target_health_is_read_only_with_allow_fast_drain(
    policy: Callable[..., Statements], partition: str, fast_drain: str | None
) -> None:
    """DescribeTargetHealth is called only before a fast drain lowers a delay. The Service Authorization Reference
    gives it no resource type and no condition key: "*", alone in its statement, is the only grant IAM offers."""
    statements = policy("prod", partition, fast_drain=fast_drain)
    target_group = arn(partition, "elasticloadbalancing", "targetgroup/web/0123456789abcdef")
    if fast_drain != "true":
        assert TARGET_HEALTH not in actions_of(statements)
        assert not allows(statements, TARGET_HEALTH, "*")
        return
    assert required_resource_types(TARGET_HEALTH) == set() and iam_policy.condition_keys_of(TARGET_HEALTH) == set()
    assert allows(statements, TARGET_HEALTH, "*")
    (statement,) = [s for s in statements if TARGET_HEALTH in actions_of([s])]
    assert statement["Action"] == TARGET_HEALTH and statement["Resource"] == "*" and "Condition" not in statement
    for action in ["RegisterTargets", "DeregisterTargets", "DescribeTargetGroups", "DescribeLoadBalancers"]:
        assert not allows(statements, f"elasticloadbalancing:{action}", "*"), action
        assert not allows(statements, f"elasticloadbalancing:{action}", target_group), action
    assert reference_errors(statements, partition=partition, region=PARTITIONS[partition][0], account=ACCOUNT) == []


@pytest.mark.parametrize(("value", "refused"), [("true", False), ("false", False), ("True", True), ("yes", True)])
def test_allow_fast_drain_takes_true_or_false_and_tells_the_function(
    transformed: dict[str, Any], value: str, refused: bool
) -> None:
    assert transformed["Parameters"]["AllowFastDrain"]["Default"] == "false"
    parameters = {"AllowedClusters": "prod", "AllowFastDrain": value}
    if refused:
        with pytest.raises(RejectedError, match="is not allowed"):
            Resolver(transformed, parameters, partition="aws", region="us-east-1", account=ACCOUNT)
        return
    resolver = resolver_for(transformed, parameters, "aws", "us-east-1")
    function = resolver.resolve(transformed["Resources"]["TeardownFunction"]["Properties"])
    assert function["Environment"]["Variables"]["ECS_TEARDOWN_FAST_DRAIN_ALLOWED"] == value


# --- the check itself, on what these statements could get wrong -----------------------------------------------------


def errors_of(*statements: dict[str, Any]) -> list[str]:
    return reference_errors(list(statements), partition="aws", region="us-east-1", account=ACCOUNT)


def grant(action: str, resource: str | list[str], condition: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Action": action,
        "Resource": resource,
        **({"Condition": condition} if condition else {}),
    }


SERVICE = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/prod/*"
DEPLOYMENT = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service-deployment/prod/*/*"
TARGETS = f"arn:aws:application-autoscaling:us-east-1:{ACCOUNT}:scalable-target/*"


def test_the_check_wants_every_required_resource_type_of_stop_service_deployment() -> None:
    assert required_resource_types(STOP) == {"service", "service-deployment"}
    assert errors_of(grant(STOP, [SERVICE, DEPLOYMENT])) == []
    assert errors_of(grant(STOP, SERVICE), grant(STOP, DEPLOYMENT)) == []
    assert errors_of(grant(STOP, DEPLOYMENT)) == [
        f"{STOP}: requires the resource type service too, and no statement grants it on one"
    ]


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        (
            grant(REGISTER, "*", {"StringEquals": ECS_SCALING}),
            f"{REGISTER}: \"*\" where the action takes ['ScalableTarget']",
        ),
        (
            grant(REGISTER, TARGETS, {"StringEquals": {"ecs:cluster": "x"}}),
            "condition key ecs:cluster is not supported",
        ),
        (grant(LIST, "*", {"ArnMatches": {"ecs:cluster": "x"}}), "no condition operator ArnMatches"),
        (grant(LIST, "*", {"StringEquals": {"ecs:service": "x"}}), "condition key ecs:service is not supported"),
        (grant(READS[0], f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/web:3"), "the action takes []"),
    ],
    ids=["* for a target", "key of another service", "unknown operator", "unsupported key", "ARN where none is taken"],
)
def test_the_check_refuses_what_these_statements_could_get_wrong(statement: dict[str, Any], error: str) -> None:
    errors = errors_of(statement)
    assert len(errors) == 1 and error in errors[0], errors


def test_register_scalable_target_needs_tag_resource_only_to_tag(monkeypatch: pytest.MonkeyPatch) -> None:
    register = grant(REGISTER, TARGETS, {"StringEquals": ECS_SCALING})
    assert errors_of(register) == []
    monkeypatch.setattr(iam_policy, "DEPENDENT_ACTIONS_NOT_NEEDED", {})
    assert errors_of(register) == [f"{REGISTER}: depends on application-autoscaling:TagResource, which is not granted"]


def test_the_condition_model_ands_keys_and_ors_values() -> None:
    condition = {"StringEquals": {"a:x": ["1", "2"], "a:y": "3"}, "ArnLike": {"a:z": "arn:aws:s:r:1:t/*"}}
    holds = {"a:x": "2", "A:Y": "3", "a:z": "arn:aws:s:r:1:t/q"}
    assert condition_holds(condition, holds)
    assert not condition_holds(condition, {**holds, "a:x": "4"})
    assert not condition_holds(condition, {**holds, "a:z": "arn:aws:s:r:2:t/q"})
    assert not condition_holds(condition, {"a:x": "1", "a:y": "3"}), "a key the request lacks never matches"


# --- the role's size, the README and samconfig ---------------------------------------------------------------------

# IAM: "Role policy size cannot exceed 10,240 characters" for a role's inline policies together; "IAM doesn't count
# white space" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
ROLE_POLICY_LIMIT = 10_240
NAME_LENGTH_THAT_FITS = 190  # the README's figure for 10 cluster names


def role_policy_size(transformed: dict[str, Any], clusters: list[str]) -> int:
    """The role's inline policies in the longest setting: aws-us-gov, a region name longer than any today, a stack
    name of 54 characters (the README keeps them under 55), AllowFastDrain=true."""
    parameters = {"AllowedClusters": ",".join(clusters), "AllowFastDrain": "true"}
    resolver = resolver_for(transformed, parameters, "aws-us-gov", "us-gov-northwest-9", stack_name="s" * 54)
    documents = [p["PolicyDocument"] for p in role_policies(resolver, transformed)]
    return sum(len(json.dumps(d, separators=(",", ":"))) for d in documents)


def test_ten_cluster_names_of_the_documented_length_fit_in_the_role(transformed: dict[str, Any]) -> None:
    fits = [f"{i}".rjust(NAME_LENGTH_THAT_FITS, "c") for i in range(10)]
    assert role_policy_size(transformed, fits) <= ROLE_POLICY_LIMIT
    # Past it IAM refuses the role (LimitExceeded), so the deploy fails: it never widens.
    longest = [f"{i}".rjust(255, "c") for i in range(10)]
    assert role_policy_size(transformed, longest) > ROLE_POLICY_LIMIT
    iam_section = readme_iam_section()
    assert f"{NAME_LENGTH_THAT_FITS} characters" in iam_section


def readme_iam_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("### IAM: least privilege")
    return text[start : text.index("\n### ", start + 1)]


@pytest.mark.parametrize("fast_drain", ["false", "true"])
def test_the_readme_names_every_permission(policy: Callable[..., Statements], fast_drain: str) -> None:
    section = readme_iam_section()
    missing = [a for a in sorted(actions_of(policy("prod", fast_drain=fast_drain))) if f"`{a}`" not in section]
    assert not missing, f"the README's IAM section does not name {missing}"
    assert "`AllowFastDrain`" in section


def test_samconfig_names_every_parameter_of_the_template() -> None:
    deploy = tomllib.loads((ROOT / "samconfig.toml").read_text())["default"]["deploy"]["parameters"]
    named = dict(re.findall(r'(\w+)="([^"]*)"', deploy["parameter_overrides"]))
    parameters = load_template(ROOT / "template.yaml")["Parameters"]
    assert set(named) == set(parameters)
    assert named["AllowFastDrain"] == parameters["AllowFastDrain"]["Default"] == "false"
