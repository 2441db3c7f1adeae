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
    """The command as a pipeline runs it: no terminal, so a destructive run says --yes (tested on its own below)."""
    destructive = argv and argv[0] in ("services", "cluster", "stack") and "--dry-run" not in argv
    code = cli.main(
        [*argv, "--yes"] if destructive and "--no-yes" not in argv else [a for a in argv if a != "--no-yes"]
    )
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
        "schema": 1,
        "event": "summary",
        "services": 1,
        "not_found": 0,
        "done": 1,
        "failed": 0,
        "forced_deletes": 0,
        "failures": [],
    }
    steps = [r for r in records if r["event"] == "step"]
    phases = [s["phase"] for s in steps if s["phase"] != "preparing"]  # reading its auto scaling etc. comes first
    assert phases[0] == "scaling-down" and phases[-1] == "gone"
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
    assert code == 1, "gone-already was never created: an error, as for a real run"
    assert "prod/web" in out and "would: scale to zero" in out
    assert "prod/gone-already: not found" in out and "nothing was changed" in out
    service = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["status"] == "ACTIVE" and service["desiredCount"] == 2


def test_a_missing_cluster_or_service_is_an_error_naming_it(moto_url, capsys):
    make_services(moto_url, "prod", "web")
    code, out, _ = run(capsys, "services", "--cluster", "prdo", "--service", "web", "--endpoint-url", moto_url)
    assert code == 1
    assert "prdo/web: cluster 'prdo' not found" in out
    code, out, _ = run(
        capsys, "services", "--cluster", "prod", "--service", "web", "--service", "wbe", "--endpoint-url", moto_url
    )
    assert code == 1
    assert "prod/wbe: not found: never existed, or deleted and purged" in out
    assert "1 of 2 service(s) gone" in out, "the service that exists is torn down all the same"


def test_ignore_not_found_accepts_missing_targets(moto_url, capsys):
    code, out, _ = run(
        capsys, "services", "--cluster", "nowhere", "--service", "web", "--ignore-not-found", "--endpoint-url", moto_url
    )
    assert code == 0, out
    assert "(ignored: --ignore-not-found)" in out


def test_re_running_after_a_success_exits_0(moto_url, capsys):
    make_services(moto_url, "prod", "web")
    argv = ("services", "--cluster", "prod", "--service", "web", "--endpoint-url", moto_url)
    assert run(capsys, *argv)[0] == 0
    code, out, _ = run(capsys, *argv)
    assert code == 0, out  # INACTIVE: already deleted, no error


def test_a_destructive_run_without_a_terminal_needs_yes(moto_url, capsys):
    ecs = make_services(moto_url, "prod", "web")
    code, _, err = run(
        capsys, "services", "--cluster", "prod", "--service", "web", "--no-yes", "--endpoint-url", moto_url
    )
    assert code == 2 and "--yes is needed" in err
    assert status(ecs, "prod", "web") == "ACTIVE"


def test_cluster_tears_down_every_service_of_the_cluster(moto_url, capsys):
    ecs = make_services(moto_url, "prod", "web", "api")
    make_services(moto_url, "other", "keep")
    code, out, _ = run(capsys, "cluster", "prod", "--endpoint-url", moto_url)
    assert code == 0, out
    assert status(ecs, "prod", "web") == status(ecs, "prod", "api") == "INACTIVE"
    assert status(ecs, "other", "keep") == "ACTIVE"
    code, _, err = run(capsys, "cluster", "nowhere", "--endpoint-url", moto_url)
    assert code == 1 and "cluster 'nowhere' not found" in err


def test_cluster_with_ignore_not_found_accepts_a_missing_cluster(moto_url, capsys):
    code, out, err = run(capsys, "cluster", "nowhere", "--ignore-not-found", "--endpoint-url", moto_url)
    assert code == 0 and err == ""
    assert "cluster 'nowhere' not found" in out and "(ignored: --ignore-not-found)" in out
    code, out, _ = run(capsys, "cluster", "nowhere", "--ignore-not-found", "--json", "--endpoint-url", moto_url)
    (line,) = [json.loads(text) for text in out.splitlines()]
    assert code == 0 and line["event"] == "not-found" and line["cluster"] == "nowhere" and line["service"] is None


def test_a_cluster_arn_of_another_account_is_refused_not_taken_for_the_same_name_here(moto_url, capsys):
    ecs = make_services(moto_url, "prod", "web")  # this account's cluster of the same name: left alone
    code, out, err = run(
        capsys, "cluster", "arn:aws:ecs:us-east-1:999999999999:cluster/prod", "--yes", "--endpoint-url", moto_url
    )
    assert code == 2 and "account 999999999999" in err and "gone" not in out
    assert status(ecs, "prod", "web") == "ACTIVE"
    code, out, _ = run(capsys, "cluster", "arn:aws:ecs:us-east-1:123456789012:cluster/prod", "--endpoint-url", moto_url)
    assert code == 0, out  # this account's ARN: torn down
    assert status(ecs, "prod", "web") == "INACTIVE"


def test_json_is_json_on_every_line_with_a_schema_version(moto_url, capsys):
    make_services(moto_url, "prod", "web")
    for argv in (
        ("services", "--cluster", "prod", "--service", "web", "--service", "ghost", "--dry-run", "--json"),
        ("services", "--cluster", "prod", "--service", "web", "--json"),
        ("cluster", "empty", "--json"),
    ):
        if argv[0] == "cluster":
            boto3.client("ecs", endpoint_url=moto_url).create_cluster(clusterName="empty")
        _, out, _ = run(capsys, *argv, "--endpoint-url", moto_url)
        records = [json.loads(line) for line in out.splitlines()]
        assert records and all(record["schema"] == 1 for record in records), out
        assert records[-1]["event"] in ("summary", "nothing"), records[-1]


def test_version_is_the_package_s(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == "ecs-teardown 0.2.0"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["services", "--cluster", "prod"], "--service"),
        (["services", "--service", "web", "--drain-timeout", "soon"], "drain-timeout"),
        (["services", "--service", "web", "--force", "sometimes"], "--force"),
        (["services", "--service", "bad name!"], "bad name!"),
        (["services", "--service", "web", "--service", "web"], "more than once"),
        (["nonsense"], "invalid choice"),
        (["invoke", "events/delete.json", "--timeout", "-5"], "--timeout: expected whole seconds from 1 to 900"),
        (["invoke", "events/delete.json", "--timeout", "901"], "--timeout: expected whole seconds from 1 to 900"),
        (["invoke", "events/delete.json", "--stack-status", "DELETE_INPROGRESS"], "did you mean DELETE_IN_PROGRESS?"),
        (["invoke", "events/delete.json", "--stack-status", "BOGUS"], "'BOGUS' is not a CloudFormation stack status"),
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


def test_a_service_arn_of_another_region_is_torn_down_there(moto_url, capsys):
    west = boto3.client("ecs", endpoint_url=moto_url, region_name="eu-west-1")
    west.create_cluster(clusterName="prod")
    west.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    arn = west.create_service(cluster="prod", serviceName="web", taskDefinition="app", desiredCount=1)["service"][
        "serviceArn"
    ]
    east = make_services(moto_url, "prod", "web")  # the same names in the session's region: left alone
    code, out, _ = run(capsys, "services", "--service", arn, "--region", "us-east-1", "--endpoint-url", moto_url)
    assert code == 0, out
    assert west.describe_services(cluster="prod", services=["web"])["services"][0]["status"] == "INACTIVE"
    assert status(east, "prod", "web") == "ACTIVE"


def test_an_arn_of_another_account_is_refused_and_nothing_is_reported_gone(moto_url, capsys):
    arn = "arn:aws:ecs:us-east-1:999999999999:service/prod/web"
    code, out, err = run(capsys, "services", "--service", arn, "--endpoint-url", moto_url)
    assert code == 2
    assert "account 999999999999" in err and "gone" not in out


@pytest.mark.parametrize("region", ["", None])
def test_no_region_is_a_one_line_usage_error(moto_url, capsys, monkeypatch, region):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if region is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, region)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    code, _, err = run(capsys, "services", "--cluster", "prod", "--service", "web", "--endpoint-url", moto_url)
    assert code == 2
    assert err.strip() == "ecs-teardown: no AWS region: give --region, or set AWS_REGION"


def test_no_credentials_is_the_same_usage_error_for_every_command(moto_url, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for argv in (["services", "--service", "web"], ["stack", "my-app"], ["cluster", "prod"]):
        code, _, err = run(capsys, *argv)
        assert (code, err.count("\n")) == (2, 1), err
        assert "no AWS credentials" in err


def test_no_wait_is_done_once_the_delete_is_accepted(capsys):
    with EmbeddedAws() as aws:  # DRAINING lasts 30 s: waiting for INACTIVE would outlast this test's timeout
        ecs = make_services(aws.url, "prod", "web")
        aws.play("prod", "web", Timeline(task_stop_s=0.5, draining_s=30, tasks=1))
        argv = ("services", "--cluster", "prod", "--service", "web", "--endpoint-url", aws.url, "--json")
        code, out, _ = run(capsys, *argv, "--no-wait", "--timeout", "20")
        assert status(ecs, "prod", "web") == "DRAINING"
    assert code == 0, out
    assert json.loads(out.splitlines()[-1])["done"] == 1
    assert any(json.loads(line).get("phase") == "delete-accepted" for line in out.splitlines())


@pytest.mark.parametrize("cluster", [["--cluster", "default"], ["--cluster", "prod"]])
def test_a_service_arn_of_another_cluster_than_the_given_one_is_refused(moto_url, capsys, cluster):
    ecs = make_services(moto_url, "other", "web")
    arn = "arn:aws:ecs:us-east-1:123456789012:service/other/web"
    code, out, err = run(capsys, "services", *cluster, "--service", arn, "--endpoint-url", moto_url)
    assert code == 2 and f"--service {arn}: its cluster is 'other', but --cluster is '{cluster[1]}'" in err, err
    assert status(ecs, "other", "web") == "ACTIVE" and "gone" not in out
    code, out, _ = run(capsys, "services", "--service", arn, "--endpoint-url", moto_url)  # no --cluster: the ARN's
    assert code == 0, out
    assert status(ecs, "other", "web") == "INACTIVE"


def test_a_service_arn_of_another_region_than_the_cluster_arn_s_is_refused(moto_url, capsys):
    ecs = make_services(moto_url, "prod", "web")
    cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
    for service in (
        "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        "arn:aws:ecs:us-east-1:123456789012:service/web",
    ):
        code, out, err = run(capsys, "services", "--cluster", cluster, "--service", service, "--endpoint-url", moto_url)
        assert code == 2, out
        assert f"--service {service}: its region is 'us-east-1', but --cluster is in 'eu-west-1'" in err, err
    assert status(ecs, "prod", "web") == "ACTIVE"


@pytest.mark.parametrize(
    "argv",
    [
        ["services", "--service", "arn:aws-bogus:ecs:us-east-1:123456789012:service/prod/web"],
        ["services", "--service", "arn:aws-cn:ecs:us-east-1:123456789012:service/prod/web"],
        ["services", "--service", "arn:aws:ecs:cn-north-1:123456789012:service/prod/web"],
        ["services", "--cluster", "arn:aws-bogus:ecs:us-east-1:123456789012:cluster/prod", "--service", "web"],
        ["cluster", "arn:aws-bogus:ecs:us-east-1:123456789012:cluster/prod"],
        ["cluster", "arn:aws-us-gov:ecs:us-east-1:123456789012:cluster/prod", "--dry-run"],
    ],
)
def test_an_arn_whose_partition_is_not_its_region_s_is_refused(moto_url, capsys, argv):
    ecs = make_services(moto_url, "prod", "web")  # the aws partition's service of the same name: left alone
    code, out, err = run(capsys, *argv, "--endpoint-url", moto_url)
    assert code == 2 and err.count("\n") == 1, err
    assert "is not the partition of region" in err and out == ""
    assert status(ecs, "prod", "web") == "ACTIVE"


def test_an_arn_of_a_region_no_partition_has_is_refused(moto_url, capsys):
    code, out, err = run(
        capsys,
        "services",
        "--service",
        "arn:aws:ecs:xx-nowhere-1:123456789012:service/prod/web",
        "--endpoint-url",
        moto_url,
    )
    assert code == 2 and "region 'xx-nowhere-1' is in no AWS partition" in err and out == "", err
