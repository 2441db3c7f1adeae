"""Security: answers go only to allowed hosts (no connection is even attempted to any other), the cluster
allow-list holds whatever the stack author writes, nothing secret reaches the logs, and the template grants no
wildcard and no permission the code does not use."""

from __future__ import annotations

import ast
import copy
import json
import logging
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore import xform_name
from botocore.loaders import Loader

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.cfn import answer as response
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.config import ALLOWED_CLUSTERS_ENV
from ecs_teardown_tools.local import LocalContext
from support.driver import run_handler
from support.fake_ecs import FakeClock, FakeEcs, FakeService
from support.netwatch import ConnectionWatch
from support.secrets import SECRET_KEY, SESSION_TOKEN, SIGNATURE, find_secrets

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
HANDLER = ROOT / "handler"
WEB_ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo/web"


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs(FakeClock())


# --- where answers may go ------------------------------------------------------------------------------------------

REFUSED_ALWAYS = [
    "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc",
    "ftp://s3.amazonaws.com/x",
    "//s3.amazonaws.com/x",
    "https:s3.amazonaws.com/x",
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://169.254.170.2/v2/credentials",
    "https://[fd00:ec2::254]/latest/meta-data/",
    "https://[::ffff:169.254.169.254]/",
    "https://10.0.0.1/x",
    "https://172.16.0.1/x",
    "https://172.31.255.254/x",
    "https://192.168.1.1/x",
    "https://amazonaws.com/x",
    "https://amazonaws.com.evil.example/x",
    "https://s3.amazonaws.com.evil.example/x",
    "https://evil-amazonaws.com/x",
    "https://evilamazonaws.com/x",
    "https://s3.amazonaws.co/x",
    "https://s3.amazonaws.com.cn.evil.example/x",
    "https://s3.amazonaws.com@evil.example/x",
    "https://s3.amazonaws.com:443@169.254.169.254/x",
    "https://user:pass@s3.amazonaws.com/x",
    "https://evil.example\\@s3.amazonaws.com/x",
    "https://s3.amazonaws.com;@evil.example/x",
    "https://evil.example#@s3.amazonaws.com/x",
    "https://evil.example?.s3.amazonaws.com/x",
    "https://s3.amazonaws.com%2eevil.example/x",
    "https://s3\u3002amazonaws.com/x",
    "https://s3\uff0eamazonaws.com/x",
    "https://\uff533.amazonaws.com/x",
    "https://s3.amazonaws.com./x",
    "https://s3.amazonaws.com:8443/x",
    "https://s3.amazonaws.com:0/x",
    "https://s3.amazonaws.com:99999/x",
    "https://s3.amazonaws.com\r\nHost: evil.example/x",
    "https://169.254.169.254.nip.io/x",
    "https://0xa9.0xfe.0xa9.0xfe/x",
    "https://2852039166/x",
    "https:///x",
    "https://",
    "",
    "not a url",
]
REFUSED_EVEN_WITH_LOCAL_OPT_IN = [
    "https://127.0.0.1.evil.example/x",
    "https://localhost.evil.example/x",
    "https://evil-localhost/x",
    "https://127.0.0.2/x",
    "https://127.1/x",
    "https://0x7f000001/x",
    "https://2130706433/x",
    "https://[::1]/x",
    "https://0.0.0.0/x",
    "http://127.0.0.1/x",
    "https://user@127.0.0.1/x",
]
LOCAL_WITHOUT_OPT_IN = ["https://127.0.0.1/x", "https://localhost/x", "https://127.0.0.1:8443/x"]


def delete_event(url: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "delete.json").read_text())
    event["ResponseURL"] = url
    return event


def invoke(monkeypatch: pytest.MonkeyPatch, event: dict[str, Any], ecs: FakeEcs) -> None:
    edges = Edges(ecs=lambda: EcsGateway(ecs), clock=ecs.clock, sleep=ecs.clock.sleep)  # type: ignore[arg-type]
    CustomResource(edges).handle(event, LocalContext(clock=ecs.clock))


@pytest.mark.parametrize(
    ("url", "local_opt_in"),
    [(u, False) for u in REFUSED_ALWAYS + REFUSED_EVEN_WITH_LOCAL_OPT_IN + LOCAL_WITHOUT_OPT_IN]
    + [(u, True) for u in REFUSED_ALWAYS + REFUSED_EVEN_WITH_LOCAL_OPT_IN],
)
def test_no_answer_and_no_connection_to_a_host_that_is_not_cloudformations(
    monkeypatch, app_logs, ecs, url, local_opt_in
):
    if local_opt_in:
        monkeypatch.setenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", "true")
    else:
        monkeypatch.delenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", raising=False)
    ecs.add(FakeService("web"))
    watch = ConnectionWatch(monkeypatch, dial=False)
    invoke(monkeypatch, delete_event(url), ecs)
    assert watch.attempts == 0, f"a connection was attempted: {watch.https or watch.sockets}"
    assert ecs.calls == [], "a request that cannot be answered touches nothing"
    refusals = [r for r in app_logs.records() if r["message"].startswith("cannot answer this request")]
    assert len(refusals) == 1 and refusals[0]["level"] == "ERROR"
    assert response.send_response(url, {"Status": "SUCCESS"}, sleep=lambda s: None) is False
    assert watch.attempts == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=abc",
        "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/x",
        "HTTPS://S3.AMAZONAWS.COM/x",
        "https://s3.amazonaws.com:443/x",
        "https://s3.amazonaws.com#@evil.example/x",
        "https://s3.amazonaws.com?@evil.example/x",
        " https://s3.amazonaws.com/x",
    ],
)
def test_an_aws_response_url_is_dialled_only_at_its_aws_host(monkeypatch, url):
    watch = ConnectionWatch(monkeypatch, dial=False)
    monkeypatch.delenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL", raising=False)
    delivered = response.send_response(url, {"Status": "SUCCESS"}, sleep=lambda s: None)
    assert delivered is False and len(watch.https) == 4, "dialled, refused by the test, retried 4 times in all"
    for host, port in watch.https:
        assert re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?", host), host
        assert port in (None, 443)


# --- the cluster allow-list ----------------------------------------------------------------------------------------

ALLOW_LIST_CASES = [
    # (allow-list, properties, refused cluster or None when allowed)
    ("prod,staging", {"Cluster": "demo", "Service": "web"}, "demo"),
    ("demo", {"Cluster": "demo", "Service": "web"}, None),
    (" prod , demo ", {"Cluster": "demo", "Service": "web"}, None),
    ("arn:aws:ecs:us-east-1:123456789012:cluster/demo", {"Cluster": "demo", "Service": "web"}, None),
    ("*", {"Cluster": "demo", "Service": "web"}, None),
    ("", {"Cluster": "demo", "Service": "web"}, "demo"),
    (",", {"Cluster": "demo", "Service": "web"}, "demo"),
    ("Demo", {"Cluster": "demo", "Service": "web"}, "demo"),
    ("dem*", {"Cluster": "demo", "Service": "web"}, "demo"),
    ("demo-prod,demo_", {"Cluster": "demo", "Service": "web"}, "demo"),
    ("prod", {"Service": WEB_ARN}, "demo"),  # the cluster named only inside the service's ARN
    ("prod", {"Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/demo", "Service": "web"}, "demo"),
    ("prod", {"Services": [WEB_ARN, WEB_ARN.replace("/web", "/api")]}, "demo"),
    ("prod", {"Service": "web"}, "default"),  # no cluster given: the default one, which is not allowed either
]


def allow_list_world(ecs: FakeEcs) -> None:
    for name in ("web", "api"):
        ecs.add(FakeService(name, task_stop_s=5, draining_s=5))
        ecs.add(FakeService(name, cluster="default", task_stop_s=5, draining_s=5))


def allow_list_event(event_for: Any, request_file: str, properties: dict[str, Any], refused: str | None) -> Any:
    event = event_for(request_file, properties)
    if request_file != "create.json" and refused == "default":
        event["PhysicalResourceId"] = "arn:aws:ecs:us-east-1:123456789012:service/default/web"
    return event


def assert_allow_list_outcome(run: Any, ecs: FakeEcs, request_file: str, properties: dict[str, Any], refused: Any):
    if refused is None:
        assert run.answer["Status"] == "SUCCESS", run.answer.get("Reason")
        if request_file == "delete.json":
            writes = [op for _, op, _ in ecs.calls if not op.startswith("Describe")]
            assert writes == ["UpdateService", "DeleteService"]
        return
    assert run.answer["Status"] == "FAILED"
    reason = run.answer["Reason"]
    assert f"cluster {refused!r}" in reason and "allowed clusters" in reason, reason
    for service in properties.get("Services", [properties.get("Service")]):
        assert str(service).rsplit("/", 1)[-1] in reason
    assert ecs.calls == [], "refused before any ECS call, reads included"


@pytest.mark.parametrize("request_file", ["create.json", "update.json", "delete.json"])
@pytest.mark.parametrize(("allowed", "properties", "refused"), ALLOW_LIST_CASES)
def test_the_cluster_allow_list_from_the_environment(
    monkeypatch, answers, event_for, ecs, request_file, allowed, properties, refused
):
    allow_list_world(ecs)
    monkeypatch.setenv(ALLOWED_CLUSTERS_ENV, allowed)
    run = run_handler(monkeypatch, answers, allow_list_event(event_for, request_file, properties, refused), ecs)
    assert_allow_list_outcome(run, ecs, request_file, properties, refused)


@pytest.mark.parametrize("request_file", ["create.json", "update.json", "delete.json"])
@pytest.mark.parametrize(("runtime_list", "env_list", "refused"), [("prod", "*", "demo"), ("demo", "prod", None)])
def test_the_runtimes_allow_list_wins_over_the_environment(
    monkeypatch, answers, event_for, ecs, request_file, runtime_list, env_list, refused
):
    allow_list_world(ecs)
    properties = {"Cluster": "demo", "Service": "web"}
    monkeypatch.setenv(ALLOWED_CLUSTERS_ENV, env_list)
    event = allow_list_event(event_for, request_file, properties, refused)
    run = run_handler(monkeypatch, answers, event, ecs, allowed_clusters=runtime_list)
    assert_allow_list_outcome(run, ecs, request_file, properties, refused)


# --- secrets in the logs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "planted",
    [
        SIGNATURE,
        SECRET_KEY,
        SESSION_TOKEN,
        "X-Amz-Signature=abc",
        "X-Amz-Credential=AKIAEXAMPLE%2F20260101",
        "https://127.0.0.1:40123/44444444-4444-4444-4444-444444444444",
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn",
    ],
)
def test_the_secret_scan_finds_what_it_looks_for(planted):
    assert find_secrets(f'{{"message": "something {planted} leaked"}}')
    assert not find_secrets('{"message": "answer delivered to CloudFormation", "host": "127.0.0.1"}')


@pytest.mark.integration
def test_nothing_secret_in_the_logs_at_debug_over_real_http(monkeypatch, moto_url, answers, event_for, app_logs):
    """The most the deployer can turn up (LogLevel=DEBUG), a real session with a token, real HTTP, hand-over
    included: the suite-wide scan of this test's output must find nothing, and there must be output to scan."""
    import boto3

    client = boto3.client("ecs", endpoint_url=moto_url)
    client.create_cluster(clusterName="demo")
    client.register_task_definition(
        family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 64}]
    )
    client.create_service(cluster="demo", serviceName="web", taskDefinition="web", desiredCount=2)
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", moto_url)
    handed: list[dict[str, Any]] = []
    function = CustomResource(Edges(sleep=lambda s: time.sleep(min(s, 0.02)), hand_over=handed.append))
    previous = function.logger.log_level
    function.logger.setLevel("DEBUG")
    logging.getLogger("crhelper").setLevel(logging.DEBUG)
    try:
        event = event_for("delete.json")
        function.handle(copy.deepcopy(event), LocalContext())
        function.handle(event_for("create.json", {"Cluster": "demo", "Service": "nope"}), LocalContext())
        bad = event_for("delete.json")
        del bad["StackId"]
        function.handle(bad, LocalContext())
    finally:
        function.logger.setLevel(previous)
        logging.getLogger("crhelper").setLevel(logging.INFO)
    bodies = [received.body for received in answers.wait_for(3)]
    assert [b["Status"] for b in bodies] == ["SUCCESS", "FAILED", "FAILED"]
    assert len(app_logs.lines) >= 10
    assert any(r["level"] == "DEBUG" for r in app_logs.records()) or any(
        "request received" in line for line in app_logs.lines
    )
    # The answers themselves carry no secret either (a Reason is shown in the console).
    assert not find_secrets(json.dumps(bodies))


# --- the template's permissions ------------------------------------------------------------------------------------


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Sub, !If, ...), each read as its long form {"Fn::Sub": ...}."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    name = "Ref" if suffix == "Ref" else "Fn::GetAtt" if suffix == "GetAtt" else f"Fn::{suffix}"
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader=CloudFormationLoader)
    return loaded


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def _module_path(dotted: str) -> Path | None:
    base = HANDLER.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imported(path: Path) -> list[Path]:
    """The handler modules a module imports (absolute or relative), packages' __init__ included."""
    package = ".".join(path.relative_to(HANDLER).with_suffix("").parts[:-1])
    found: list[Path] = []
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".") if package else []
            anchor = ".".join(parts[: len(parts) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (anchor, node.module or "") if part)
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for name in names:
            pieces = name.split(".")
            for depth in range(1, len(pieces) + 1):
                located = _module_path(".".join(pieces[:depth]))
                if located is not None:
                    found.append(located)
    return found


def lambda_modules() -> list[Path]:
    """app.py and every handler module it imports, directly or not: the code the Lambda runs."""
    seen: dict[str, Path] = {}
    todo = [HANDLER / "app.py"]
    while todo:
        path = todo.pop()
        if str(path) not in seen:
            seen[str(path)] = path
            todo.extend(_imported(path))
    return sorted(seen.values())


def operations_called(service: str) -> set[str]:
    """API operations of `service` whose botocore (snake_case) names appear in the Lambda's code."""
    model = Loader().load_service_model(service, "service-2")
    by_snake = {xform_name(op): op for op in model["operations"]}
    found: set[str] = set()
    for path in lambda_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in by_snake:
                found.add(by_snake[node.value])
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in by_snake:
                found.add(by_snake[node.func.attr])  # a call (client.put_item(...)), not any attribute (url.query)
    return found


IAM_ACTION_OF = {("lambda", "Invoke"): "lambda:InvokeFunction"}


def test_the_lambda_code_is_what_the_scan_reads():
    names = {str(path.relative_to(HANDLER)) for path in lambda_modules()}
    expected = {"app.py", "ecs_teardown/cfn/requests.py", "ecs_teardown/aws/ecs.py", "ecs_teardown/core/engine.py"}
    assert expected | {"ecs_teardown/cfn/answer.py", "ecs_teardown/cfn/protocol.py"} <= names
    assert not [name for name in names if name.startswith("ecs_teardown_tools")], "tools are not the Lambda's code"
    assert operations_called("ecs") >= {"DescribeServices"}, "the scan sees the gateway's calls"


def test_the_policy_grants_exactly_what_the_code_calls_and_no_wildcard(ecs, monkeypatch, answers, event_for):
    template = load_template(ROOT / "template.yaml")
    resources = template["Resources"]
    assert not [name for name, r in resources.items() if str(r["Type"]).startswith("AWS::IAM::")], "no IAM resources"
    function = resources["TeardownFunction"]["Properties"]
    # A statement under Fn::If (AllowFastDrain) is read as if its condition held: every grant is checked.
    statements = [
        s["Fn::If"][1] if "Fn::If" in s else s for policy in function["Policies"] for s in policy["Statement"]
    ]
    assert all(isinstance(policy, dict) for policy in function["Policies"]), "no managed policies"
    assert all(s["Effect"] == "Allow" for s in statements) and not any("NotAction" in s for s in statements)
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [a for a in actions if "*" in a or "?" in a], f"wildcard actions: {actions}"
    # Each action once, but StopServiceDeployment: it needs both its service and its service-deployment granted.
    assert sorted(a for a in set(actions) if actions.count(a) > 1) == ["ecs:StopServiceDeployment"]
    used = {f"ecs:{op}" for op in operations_called("ecs")}
    used |= {IAM_ACTION_OF.get(("lambda", op), f"lambda:{op}") for op in operations_called("lambda")}
    used |= {f"cloudformation:{op}" for op in operations_called("cloudformation")}
    used |= {f"dynamodb:{op}" for op in operations_called("dynamodb")}
    used |= {f"application-autoscaling:{op}" for op in operations_called("application-autoscaling")}
    used |= {f"elasticloadbalancing:{op}" for op in operations_called("elbv2")}
    # Application Auto Scaling checks that the caller of RegisterScalableTarget holds these (its user guide,
    # "Permissions validation"); the code never calls them itself.
    validated_for_auto_scaling = {"cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"}
    assert set(actions) - validated_for_auto_scaling == used
    assert used == {
        "ecs:DescribeServices",
        "ecs:UpdateService",
        "ecs:DeleteService",
        "ecs:StopServiceDeployment",
        "ecs:ListServices",
        "ecs:DescribeTaskDefinition",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "lambda:InvokeFunction",
        "cloudformation:DescribeStacks",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    }
    # What a teardown really calls, on the fake, is within what the scan found.
    ecs.add(FakeService("web", task_stop_s=5, draining_s=5))
    run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert {f"ecs:{op}" for _, op, _ in ecs.calls} <= used
    takes_no_resource = {
        "ecs:ListServices",
        "ecs:DescribeTaskDefinition",
        "application-autoscaling:DescribeScalableTargets",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetHealth",
    }
    for statement in statements:
        resources_of = strings_in(statement["Resource"])
        statement_actions = set(strings_in(statement["Action"]))
        if resources_of == ["*"]:
            assert statement_actions <= takes_no_resource, f"'*' only where IAM offers nothing else: {statement}"
            continue
        assert resources_of and "*" not in resources_of, statement["Sid"]
        account_wide = {
            "application-autoscaling:RegisterScalableTarget",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
        }
        if statement_actions & account_wide or statement_actions <= validated_for_auto_scaling:
            assert all(":${AWS::Region}:${AWS::AccountId}:" in r for r in resources_of), "this account and region"
        elif any(a.startswith("ecs:") for a in strings_in(statement["Action"])):
            arns = [r for r in resources_of if r.startswith("arn:")]
            assert arns and all(":service/" in r or ":service-deployment/" in r for r in arns), "ECS: services only"
        elif strings_in(statement["Action"]) == ["cloudformation:DescribeStacks"]:
            assert resources_of == [
                "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/*/*"
            ], "the stacks of this account and region"
        elif any(a.startswith("dynamodb:") for a in strings_in(statement["Action"])):
            assert resources_of == [
                "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-answers"
            ], "its own ledger table only"
        else:
            assert all("function:${AWS::StackName}-teardown" in r for r in resources_of), "only itself"
