"""`ecs-teardown services` and `ecs-teardown stack` end to end against moto's server, each command, each exit code."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from ecs_teardown_tools import cli
from ecs_teardown_tools.emulator import EmbeddedAws, Timeline

pytestmark = pytest.mark.integration

SERVICE_TEMPLATE = {
    "Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "{cluster}"}},
        "TaskDefinition": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "{cluster}-app",
                "ContainerDefinitions": [{"Name": "app", "Image": "nginx", "Memory": 64}],
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "ServiceName": "{service}",
                "TaskDefinition": {"Ref": "TaskDefinition"},
                "DesiredCount": 2,
            },
        },
    }
}


def ecs_client(url: str) -> Any:
    return boto3.client("ecs", endpoint_url=url)


def make_services(url: str, cluster: str, *names: str) -> Any:
    ecs = ecs_client(url)
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    for name in names:
        ecs.create_service(cluster=cluster, serviceName=name, taskDefinition="app", desiredCount=2)
    return ecs


def status(ecs: Any, cluster: str, name: str) -> str:
    found = ecs.describe_services(cluster=cluster, services=[name])["services"]
    return str(found[0]["status"]) if found else "MISSING"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_services_tears_down_every_named_service(moto_url, capsys):
    ecs = make_services(moto_url, "prod", "web", "api", "bystander")
    code, out, _ = run(
        capsys, "services", "--cluster", "prod", "--service", "web", "--service", "api", "--endpoint-url", moto_url
    )
    assert code == 0, out
    assert status(ecs, "prod", "web") == status(ecs, "prod", "api") == "INACTIVE"
    assert status(ecs, "prod", "bystander") == "ACTIVE", "only the named services are touched"
    assert "2 of 2 service(s) gone" in out


def test_services_json_is_one_object_per_line(moto_url, capsys):
    make_services(moto_url, "prod", "web")
    code, out, _ = run(
        capsys, "services", "--cluster", "prod", "--service", "web", "--json", "--endpoint-url", moto_url
    )
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert {r["event"] for r in records} == {"step", "summary"}
    assert records[-1] == {
        "event": "summary",
        "services": 1,
        "done": 1,
        "failed": 0,
        "forced_deletes": 0,
        "failures": [],
    }
    steps = [r for r in records if r["event"] == "step"]
    assert steps[0]["phase"] == "scaling-down" and steps[-1]["phase"] == "gone"
    assert all(s["service"] == "web" and s["cluster"] == "prod" for s in steps)


def test_dry_run_prints_the_plan_and_changes_nothing(moto_url, capsys):
    ecs = make_services(moto_url, "prod", "web")
    code, out, _ = run(
        capsys,
        "services",
        "--cluster",
        "prod",
        "--service",
        "web",
        "--service",
        "gone-already",
        "--dry-run",
        "--endpoint-url",
        moto_url,
    )
    assert code == 0
    assert "prod/web" in out and "would: scale to zero" in out
    assert "prod/gone-already" in out and "nothing (already gone)" in out
    service = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["status"] == "ACTIVE" and service["desiredCount"] == 2


def test_missing_services_and_clusters_count_as_gone(moto_url, capsys):
    code, out, _ = run(capsys, "services", "--cluster", "nowhere", "--service", "web", "--endpoint-url", moto_url)
    assert code == 0
    assert "1 of 1 service(s) gone" in out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["services", "--cluster", "prod"], "--service"),
        (["services", "--service", "web", "--drain-timeout", "soon"], "drain-timeout"),
        (["services", "--service", "web", "--force", "sometimes"], "--force"),
        (["services", "--service", "bad name!"], "bad name!"),
        (["services", "--service", "web", "--service", "web"], "more than once"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_usage_exits_2_and_says_why(moto_url, capsys, argv, says):
    code, _, err = run(capsys, *argv, *(["--endpoint-url", moto_url] if argv[0] == "services" else []))
    assert code == 2
    assert says in err


def test_stack_that_does_not_exist_exits_2(moto_url, capsys):
    code, _, err = run(capsys, "stack", "no-such-stack", "--endpoint-url", moto_url)
    assert code == 2
    assert "'no-such-stack' does not exist" in err


def _template(cluster: str, service: str) -> str:
    text = json.dumps(SERVICE_TEMPLATE)
    return text.replace("{cluster}", cluster).replace("{service}", service)


def test_stack_finds_services_in_the_stack_and_its_nested_stacks(moto_url, capsys):
    s3 = boto3.client("s3", endpoint_url=moto_url)
    s3.create_bucket(Bucket="templates")
    s3.put_object(Bucket="templates", Key="child.json", Body=_template("child-cluster", "worker").encode())
    parent = json.loads(_template("parent-cluster", "web"))
    parent["Resources"]["Child"] = {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": "https://s3.amazonaws.com/templates/child.json"},
    }
    cloudformation = boto3.client("cloudformation", endpoint_url=moto_url)
    cloudformation.create_stack(StackName="app", TemplateBody=json.dumps(parent))
    ecs = ecs_client(moto_url)
    assert status(ecs, "child-cluster", "worker") == "ACTIVE", "moto created the nested stack's service"

    code, out, _ = run(capsys, "stack", "app", "--endpoint-url", moto_url)
    assert code == 0, out
    assert status(ecs, "parent-cluster", "web") == "INACTIVE"
    assert status(ecs, "child-cluster", "worker") == "INACTIVE"
    assert "2 of 2 service(s) gone" in out
    stacks = cloudformation.describe_stacks(StackName="app")["Stacks"]
    assert stacks[0]["StackStatus"] == "CREATE_COMPLETE", "the stack itself is not touched"


def test_a_stack_without_services_is_nothing_to_do(moto_url, capsys):
    cloudformation = boto3.client("cloudformation", endpoint_url=moto_url)
    template = {"Resources": {"Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "empty"}}}}
    cloudformation.create_stack(StackName="empty", TemplateBody=json.dumps(template))
    code, out, _ = run(capsys, "stack", "empty", "--endpoint-url", moto_url)
    assert code == 0
    assert "nothing to do" in out


def test_a_failed_service_exits_1_and_says_what_to_do(capsys):
    with EmbeddedAws() as aws:  # moto with drains that take time: the tasks outlast the drain timeout
        ecs = make_services(aws.url, "prod", "stuck")
        aws.play("prod", "stuck", Timeline(task_stop_s=60, draining_s=1, tasks=2))
        code, out, _ = run(
            capsys,
            "services",
            "--cluster",
            "prod",
            "--service",
            "stuck",
            "--drain-timeout",
            "1",
            "--force",
            "never",
            "--endpoint-url",
            aws.url,
        )
        assert code == 1
        assert "NOT DONE prod/stuck" in out and "--force auto" in out
        assert status(ecs, "prod", "stuck") == "ACTIVE", "never means never: not deleted"


def test_unfinished_by_the_timeout_exits_1_and_says_how_to_resume(capsys):
    with EmbeddedAws() as aws:
        make_services(aws.url, "prod", "slow")
        aws.play("prod", "slow", Timeline(task_stop_s=60, draining_s=1, tasks=2))
        code, out, _ = run(
            capsys, "services", "--cluster", "prod", "--service", "slow", "--timeout", "2", "--endpoint-url", aws.url
        )
        assert code == 1
        assert "NOT DONE prod/slow: draining-tasks" in out and "run the same command again" in out.lower()


def test_stack_with_a_service_that_cannot_finish_exits_1(capsys):
    with EmbeddedAws() as aws:
        cloudformation = boto3.client("cloudformation", endpoint_url=aws.url)
        cloudformation.create_stack(StackName="app", TemplateBody=_template("prod", "stuck"))
        aws.play("prod", "stuck", Timeline(task_stop_s=60, draining_s=1, tasks=2))
        code, out, _ = run(
            capsys, "stack", "app", "--drain-timeout", "1", "--force", "never", "--json", "--endpoint-url", aws.url
        )
        assert code == 1
        summary = json.loads(out.splitlines()[-1])
        assert summary["failed"] == 1 and summary["failures"][0]["service"] == "stuck"
