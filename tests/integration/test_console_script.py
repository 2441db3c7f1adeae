"""Issue 12, point by point, as a user meets it: the installed `ecs-teardown` console script run as a subprocess
against moto's server over HTTP on 127.0.0.1 (the embedded AWS, whose drains take seconds where a test plays a
timeline), with no terminal unless a test gives it a pseudo-terminal. One server for the module; each test has
clusters of its own. tests/integration/test_cli.py covers the same ground in-process, in more detail."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from ecs_teardown_tools.emulator import EmbeddedAws, Timeline

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("ecs-teardown")
REGION = "us-east-1"
NOT_FOUND = "not found: never existed, or deleted and purged"
NO_REGION = "ecs-teardown: no AWS region: give --region, or set AWS_REGION\n"
NO_CREDENTIALS = "ecs-teardown: no AWS credentials: give --profile, or configure credentials as for the AWS CLI\n"


@pytest.fixture(scope="module")
def aws() -> Iterator[EmbeddedAws]:
    assert SCRIPT.exists(), f"{SCRIPT}: the console script is installed into the venv by `make`"
    with EmbeddedAws() as embedded:
        yield embedded


def user_env(**changes: str | None) -> dict[str, str]:
    """The user's environment with dummy credentials and a region, and nothing of the developer's AWS setup
    (no ~/.aws files, no instance metadata); `changes` set variables, or drop them (None)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_TEARDOWN_", "NO_COLOR", "COLUMNS"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_CONFIG_FILE="/nonexistent/config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/credentials",
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(*argv: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The console script with no terminal: stdin is not a terminal, stdout and stderr are pipes."""
    return subprocess.run(
        [str(SCRIPT), *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env or user_env(),
        timeout=timeout,
        cwd=ROOT,
    )


def ecs(aws: EmbeddedAws, region: str = REGION) -> Any:
    return boto3.client(
        "ecs", endpoint_url=aws.url, region_name=region, aws_access_key_id="t", aws_secret_access_key="t"
    )


def make_services(aws: EmbeddedAws, cluster: str, *names: str, region: str = REGION) -> Any:
    client = ecs(aws, region)
    client.create_cluster(clusterName=cluster)
    client.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}]
    )
    for name in names:
        client.create_service(cluster=cluster, serviceName=name, taskDefinition="app", desiredCount=2)
    return client


def state(client: Any, cluster: str, name: str) -> tuple[str, int]:
    """(status, desiredCount) as ECS shows it, or ('MISSING', 0)."""
    found = client.describe_services(cluster=cluster, services=[name])["services"]
    return (str(found[0]["status"]), int(found[0]["desiredCount"])) if found else ("MISSING", 0)


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_named_targets_that_do_not_exist_exit_1_naming_each(aws) -> None:
    client = make_services(aws, "nf", "web")
    done = run(
        "services",
        "--cluster",
        "nf",
        "--service",
        "web",
        "--service",
        "wbe",
        "--service",
        "old",
        "--yes",
        "--endpoint-url",
        aws.url,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    out = lines(done.stdout)
    assert f"nf/wbe: {NOT_FOUND}" in out and f"nf/old: {NOT_FOUND}" in out
    assert "1 of 3 service(s) gone (0 deleted with force)" in out, "the one that exists is torn down all the same"
    assert "  2 not found (see above): check the names, or pass --ignore-not-found" in out
    assert state(client, "nf", "web") == ("INACTIVE", 0)
    typo = run("services", "--cluster", "nf-typo", "--service", "web", "--yes", "--endpoint-url", aws.url)
    assert typo.returncode == 1 and typo.stderr == ""
    assert lines(typo.stdout) == [
        "nf-typo/web: cluster 'nf-typo' not found",
        "",
        "0 of 1 service(s) gone (0 deleted with force)",
        "  1 not found (see above): check the names, or pass --ignore-not-found",
    ]


def test_ignore_not_found_accepts_them_and_exits_0(aws) -> None:
    make_services(aws, "nf-ok")
    done = run(
        "services", "--cluster", "nf-ok", "--service", "ghost", "--ignore-not-found", "--yes", "--endpoint-url", aws.url
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert lines(done.stdout) == [
        f"nf-ok/ghost: {NOT_FOUND} (ignored: --ignore-not-found)",
        "",
        "0 of 0 service(s) gone (0 deleted with force)",
    ]


def test_inactive_stays_success_and_a_re_run_after_success_exits_0(aws) -> None:
    client = make_services(aws, "again", "web", "deleted-by-hand")
    client.delete_service(cluster="again", service="deleted-by-hand", force=True)
    assert state(client, "again", "deleted-by-hand")[0] == "INACTIVE"
    argv = ("services", "--cluster", "again", "--service", "web", "--service", "deleted-by-hand", "--yes")
    first = run(*argv, "--endpoint-url", aws.url)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 of 2 service(s) gone (0 deleted with force)" in lines(first.stdout)
    again = run(*argv, "--endpoint-url", aws.url)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 of 2 service(s) gone (0 deleted with force)" in lines(again.stdout)
    assert state(client, "again", "web") == ("INACTIVE", 0)


def test_an_arn_of_another_region_is_torn_down_in_that_region(aws) -> None:
    west = make_services(aws, "regional", "web", region="eu-west-1")
    east = make_services(aws, "regional", "web")  # the same names in the session's region: left alone
    arn = west.describe_services(cluster="regional", services=["web"])["services"][0]["serviceArn"]
    assert ":eu-west-1:" in arn
    done = run("services", "--service", arn, "--region", REGION, "--yes", "--endpoint-url", aws.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 of 1 service(s) gone (0 deleted with force)" in lines(done.stdout)
    assert state(west, "regional", "web") == ("INACTIVE", 0)
    assert state(east, "regional", "web") == ("ACTIVE", 2)


def test_an_arn_of_another_account_is_refused_and_nothing_is_reported_gone(aws) -> None:
    client = make_services(aws, "foreign", "web")
    arn = "arn:aws:ecs:us-east-1:999999999999:service/foreign/web"
    done = run("services", "--service", arn, "--yes", "--endpoint-url", aws.url)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "ecs-teardown: ARNs of account 999999999999, but these credentials are for account 123456789012: "
        "run with credentials (--profile) of that account\n"
    )
    assert state(client, "foreign", "web") == ("ACTIVE", 2)


def test_without_a_terminal_and_without_yes_it_exits_2_saying_yes_is_needed(aws) -> None:
    client = make_services(aws, "unconfirmed", "web")
    done = run("services", "--cluster", "unconfirmed", "--service", "web", "--endpoint-url", aws.url)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "ecs-teardown: this would tear down 1 service(s); --yes is needed without a terminal\n"
    assert state(client, "unconfirmed", "web") == ("ACTIVE", 2)


def test_dry_run_never_asks_even_on_a_terminal(aws) -> None:
    """stdin a pseudo-terminal, where a destructive run would ask and wait for an answer: a dry run does not."""
    client = make_services(aws, "dry", "web")
    primary, secondary = os.openpty()
    try:
        done = subprocess.run(
            [str(SCRIPT), "services", "--cluster", "dry", "--service", "web", "--dry-run", "--endpoint-url", aws.url],
            stdin=secondary,
            capture_output=True,
            text=True,
            env=user_env(),
            timeout=30,  # a question would wait for an answer until then
        )
    finally:
        os.close(secondary)
        os.close(primary)
    assert (done.returncode, done.stderr) == (0, "")
    assert lines(done.stdout) == [
        "dry/web  ACTIVE  desired 2, running 0, pending 2  would: scale to zero, wait for the tasks, delete, wait for "
        "INACTIVE",
        "dry run: 1 service(s) planned, 0 not found; nothing was changed",
    ]
    assert state(client, "dry", "web") == ("ACTIVE", 2)


def as_from_a_terminal() -> None:
    """In the child, before exec: SIGINT as a terminal's shell gives it. A shell without job control starts a
    background command (CI runs the python3.13 pass in the background) with SIGINT ignored, and a blocked signal
    stays blocked across exec: Python would inherit either, and a Ctrl-C would never arrive."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def read_until_asked(process: subprocess.Popen[bytes], stream: Any) -> bytes:
    """What the command wrote to `stream` until it asked its question (at most 30 s, or until it exits)."""
    shown, deadline = b"", time.monotonic() + 30
    while b"Only 'yes' goes ahead: " not in shown and time.monotonic() < deadline and process.poll() is None:
        if select.select([stream], [], [], 0.2)[0]:
            shown += os.read(stream.fileno(), 4096)
    return shown


def test_ctrl_c_at_the_question_exits_130_and_changes_nothing(aws) -> None:
    """On a terminal a destructive run asks first; a real SIGINT while it waits for the answer is an interruption
    (130), not a failure, and nothing was written."""
    client = make_services(aws, "asked", "web")
    primary, secondary = os.openpty()
    process = subprocess.Popen(
        [str(SCRIPT), "services", "--cluster", "asked", "--service", "web", "--endpoint-url", aws.url],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=user_env(),
        preexec_fn=as_from_a_terminal,
    )
    try:
        assert process.stdout is not None
        shown = read_until_asked(process, process.stdout)
        assert shown.endswith(b"Tear down these 1 service(s)? Only 'yes' goes ahead: "), shown
        process.send_signal(signal.SIGINT)  # at once: also while it is between the prompt and the wait
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
        os.close(secondary)
        os.close(primary)
    assert process.returncode == 130
    assert err == b"\necs-teardown: interrupted; run the same command again to resume (it re-reads ECS)\n"
    assert out == b""
    assert state(client, "asked", "web") == ("ACTIVE", 2)


def json_lines(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in lines(done.stdout)]
    assert records and all(isinstance(r, dict) and r["schema"] == 1 and "event" in r for r in records), done.stdout
    return records


def test_json_every_stdout_line_is_an_object_with_the_schema_version(aws) -> None:
    make_services(aws, "js", "web")
    make_services(aws, "js-empty")
    planned = json_lines(
        run(
            "services",
            "--cluster",
            "js",
            "--service",
            "web",
            "--service",
            "ghost",
            "--dry-run",
            "--json",
            "--endpoint-url",
            aws.url,
        )
    )
    assert [r["event"] for r in planned] == ["not-found", "plan", "summary"]
    assert planned[1] == {
        "schema": 1,
        "event": "plan",
        "cluster": "js",
        "service": "web",
        "status": "ACTIVE",
        "desired": 2,
        "running": 0,
        "action": "scale_to_zero",
        "force": False,
        "plan": "scale to zero, wait for the tasks, delete, wait for INACTIVE",
    }
    assert planned[2] == {
        "schema": 1,
        "event": "summary",
        "message": "dry run: 1 service(s) planned, 1 not found; nothing was changed",
        "dry_run": True,
        "services": 1,
        "not_found": 1,
    }
    torn = json_lines(
        run("services", "--cluster", "js", "--service", "web", "--json", "--yes", "--endpoint-url", aws.url)
    )
    assert {r["event"] for r in torn[:-1]} == {"step"} and torn[-1]["event"] == "summary"
    assert torn[-1] == {
        "schema": 1,
        "event": "summary",
        "services": 1,
        "done": 1,
        "not_found": 0,
        "failed": 0,
        "forced_deletes": 0,
        "failures": [],
    }
    nothing = json_lines(run("cluster", "js-empty", "--json", "--yes", "--endpoint-url", aws.url))
    assert nothing == [
        {"schema": 1, "event": "nothing", "message": "cluster 'js-empty' has no ECS services left: nothing to do"}
    ]
    failed = run("cluster", "js-nowhere", "--json", "--yes", "--endpoint-url", aws.url)
    assert failed.returncode == 1
    assert json_lines(failed) == [
        {"schema": 1, "event": "error", "message": "cluster 'js-nowhere' not found in us-east-1", "exit_code": 1}
    ]


def test_version_is_the_project_s() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    done = run("--version")
    assert (done.returncode, done.stdout, done.stderr) == (0, f"ecs-teardown {version}\n", "")


def test_no_wait_is_done_once_ecs_accepted_the_delete(aws) -> None:
    client = make_services(aws, "nowait", "web")
    aws.play("nowait", "web", Timeline(tasks=1, task_stop_s=0.5, draining_s=120))  # INACTIVE only in 2 minutes
    started = time.monotonic()
    done = run(
        "services", "--cluster", "nowait", "--service", "web", "--no-wait", "--json", "--yes", "--endpoint-url", aws.url
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    records = json_lines(done)
    assert records[-2]["phase"] == "delete-accepted" and records[-2]["status"] in ("ACTIVE", "DRAINING")
    assert records[-1]["done"] == 1
    assert state(client, "nowait", "web") == ("DRAINING", 0)
    assert took < 30


def test_the_cluster_command_tears_down_every_service_of_that_cluster_only(aws) -> None:
    client = make_services(aws, "whole", "web", "api")
    make_services(aws, "whole-other", "keep")
    done = run("cluster", "whole", "--yes", "--endpoint-url", aws.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 of 2 service(s) gone (0 deleted with force)" in lines(done.stdout)
    assert state(client, "whole", "web") == state(client, "whole", "api") == ("INACTIVE", 0)
    assert state(client, "whole-other", "keep") == ("ACTIVE", 2)
    unconfirmed = run("cluster", "whole-other", "--endpoint-url", aws.url)
    assert unconfirmed.returncode == 2, "the same safety as `services`: --yes without a terminal"
    assert unconfirmed.stderr == "ecs-teardown: this would tear down 1 service(s); --yes is needed without a terminal\n"


@pytest.mark.parametrize(
    ("argv", "env", "stderr"),
    [
        (["services", "--service", "web"], {"AWS_REGION": None}, NO_REGION),
        (["cluster", "prod"], {"AWS_REGION": ""}, NO_REGION),
        (["stack", "my-app"], {"AWS_REGION": None, "AWS_DEFAULT_REGION": ""}, NO_REGION),
        (["services", "--service", "web"], {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}, NO_CREDENTIALS),
        (["cluster", "prod"], {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}, NO_CREDENTIALS),
        (["stack", "my-app"], {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}, NO_CREDENTIALS),
        (
            ["services", "--service", "web", "--frce", "never"],
            {},
            "ecs-teardown: unrecognized arguments: --frce never (see: ecs-teardown --help)\n",
        ),
        (
            ["services", "--service", "web", "--force", "sometimes"],
            {},
            "ecs-teardown services: argument --force: invalid choice: 'sometimes' (choose from ",
        ),
        (
            ["services", "--service", "bad name!"],
            {},
            "ecs-teardown: --service 'bad name!' is neither a service name nor a service ARN\n",
        ),
    ],
    ids=[
        "services-no-region",
        "cluster-empty-region",
        "stack-no-region",
        "services-no-credentials",
        "cluster-no-credentials",
        "stack-no-credentials",
        "unknown-option",
        "force-sometimes",
        "bad-service-name",
    ],
)
def test_configuration_and_usage_errors_exit_2_on_one_line(argv: list[str], env: dict[str, Any], stderr: str) -> None:
    """No region, no credentials (no --endpoint-url: real AWS would be asked), an unknown option, a value of the
    wrong kind: exit 2, one line on stderr, no traceback, whichever command. Nothing is reached over the network."""
    done = run(*argv, "--yes", env=user_env(**env))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    if stderr.endswith("\n"):
        assert done.stderr == stderr
    else:  # argparse spells the choices differently from one Python to the next
        assert done.stderr.startswith(stderr), done.stderr


def test_a_teardown_that_did_not_finish_exits_1_and_says_how_to_resume(aws) -> None:
    client = make_services(aws, "slow", "web")
    aws.play("slow", "web", Timeline(tasks=2, task_stop_s=120, draining_s=1))
    done = run(
        "services", "--cluster", "slow", "--service", "web", "--timeout", "2", "--yes", "--endpoint-url", aws.url
    )
    assert (done.returncode, done.stderr) == (1, "")
    out = lines(done.stdout)
    assert "0 of 1 service(s) gone (0 deleted with force)" in out
    resume = "Run the same command again to resume (it re-reads ECS), or raise --timeout."
    assert [line for line in out if line.startswith("  NOT DONE")] == [
        f"  NOT DONE slow/web: draining-tasks: desired 0, running 2, pending 0. {resume}"
    ]
    assert state(client, "slow", "web")[0] == "ACTIVE"


def test_messages_speak_the_command_line_s_words(aws) -> None:
    """--force never, not ForceDelete (the custom resource's property) in anything the command prints."""
    client = make_services(aws, "never", "web")
    aws.play("never", "web", Timeline(tasks=2, task_stop_s=120, draining_s=1))
    done = run(
        "services",
        "--cluster",
        "never",
        "--service",
        "web",
        "--drain-timeout",
        "1",
        "--force",
        "never",
        "--yes",
        "--endpoint-url",
        aws.url,
    )
    assert (done.returncode, done.stderr) == (1, "")
    assert [line for line in lines(done.stdout) if line.startswith("  NOT DONE")] == [
        "  NOT DONE never/web: failed: tasks still running after the drain timeout of 1 s (desired 0, running 2, "
        "pending 0); --force never, so it was not deleted with force. Use --force auto (or always) to delete it "
        "with force, or raise --drain-timeout."
    ]
    for words in ("ForceDelete", "DrainTimeoutSeconds", "WaitForInactive", "Property "):
        assert words not in done.stdout + done.stderr
    assert state(client, "never", "web") == ("ACTIVE", 0), "never means never: scaled down, not deleted"


def autoscaling_and_group(aws: EmbeddedAws, cluster: str) -> tuple[Any, Any, str]:
    """A service `web` of `cluster` behind a target group (300 s delay) with a scalable target (MinCapacity 1)."""
    elbv2 = boto3.client(
        "elbv2", endpoint_url=aws.url, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
    )
    ec2 = boto3.client(
        "ec2", endpoint_url=aws.url, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
    )
    scaling = boto3.client(
        "application-autoscaling",
        endpoint_url=aws.url,
        region_name=REGION,
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = elbv2.create_target_group(Name=f"{cluster}-web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    arn = group["TargetGroups"][0]["TargetGroupArn"]
    client = ecs(aws)
    client.create_cluster(clusterName=cluster)
    client.register_task_definition(
        family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}]
    )
    client.create_service(
        cluster=cluster,
        serviceName="web",
        taskDefinition="app",
        desiredCount=2,
        loadBalancers=[{"targetGroupArn": arn, "containerName": "app", "containerPort": 80}],
    )
    scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{cluster}/web",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
    )
    return elbv2, scaling, arn


def suspension(scaling: Any, cluster: str) -> dict[str, bool]:
    target = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/web"])
    return dict(target["ScalableTargets"][0].get("SuspendedState") or {})


def delay(elbv2: Any, arn: str) -> str:
    attributes = elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    return str({a["Key"]: a["Value"] for a in attributes}["deregistration_delay.timeout_seconds"])


def test_auto_scaling_and_the_delay_are_changed_for_the_teardown_and_put_back_when_the_service_is_kept(aws) -> None:
    elbv2, scaling, arn = autoscaling_and_group(aws, "kept")
    aws.play("kept", "web", Timeline(tasks=2, task_stop_s=120, draining_s=1))
    argv = ["services", "--cluster", "kept", "--service", "web", "--deregistration-delay", "5", "--yes", "--json"]
    done = run(*argv, "--force", "never", "--drain-timeout", "1", "--endpoint-url", aws.url)
    assert (done.returncode, done.stderr) == (1, "")
    records = [json.loads(line) for line in lines(done.stdout)]
    prepared = [r for r in records if r.get("event") == "step" and r["phase"] == "preparing"]
    assert len(prepared) == 1
    assert prepared[0]["why"].startswith("auto scaling suspended; targetgroup/kept-web/")
    assert "deregistration delay 300 s -> 5 s" in prepared[0]["why"]
    assert [r for r in records if r.get("event") == "restored"] == [
        {"schema": 1, "event": "restored", "cluster": "kept", "service": "web", "problems": []}
    ]
    assert suspension(scaling, "kept") == {
        "DynamicScalingInSuspended": False,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }
    assert delay(elbv2, arn) == "300"


def test_a_service_torn_down_keeps_its_scaling_suspended_and_the_lowered_delay(aws) -> None:
    elbv2, scaling, arn = autoscaling_and_group(aws, "fast")
    aws.play("fast", "web", Timeline(tasks=2, task_stop_s=1, draining_s=1))
    done = run(
        "services", "--cluster", "fast", "--service", "web", "--deregistration-delay", "5", "--yes",
        "--endpoint-url", aws.url,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    assert "1 of 1 service(s) gone (0 deleted with force)" in lines(done.stdout)
    assert state(ecs(aws), "fast", "web")[0] == "INACTIVE"
    assert set(suspension(scaling, "fast").values()) == {True}  # the target goes with the service's stack
    assert delay(elbv2, arn) == "5"


def read_first_line_then_go_away(argv: list[str]) -> tuple[int, str, str]:
    """The command piped into `head -1`: its first line is read, then the reader closes the pipe while the
    teardown goes on. Returns (exit code, the line, stderr)."""
    process = subprocess.Popen(
        [str(SCRIPT), *argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=user_env(), cwd=ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read()
        return process.wait(timeout=60), first, err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("json_output", [False, True])
def test_a_reader_that_goes_away_ends_the_output_not_the_teardown_nor_the_restore(aws, json_output: bool) -> None:
    """`| head -1` on a teardown whose service is kept (it cannot drain in time, and force is refused): the rest
    of the run still happens, its auto scaling and delay are put back, and the exit code says it was kept."""
    cluster = f"pipe-{'json' if json_output else 'text'}"
    elbv2, scaling, arn = autoscaling_and_group(aws, cluster)
    aws.play(cluster, "web", Timeline(tasks=2, task_stop_s=120, draining_s=1))
    argv = ["services", "--cluster", cluster, "--service", "web", "--deregistration-delay", "5", "--yes"]
    argv += [
        "--force",
        "never",
        "--drain-timeout",
        "1",
        "--endpoint-url",
        aws.url,
        *(["--json"] if json_output else []),
    ]
    code, first, err = read_first_line_then_go_away(argv)
    assert (code, err) == (1, ""), err
    assert first.strip()
    assert set(suspension(scaling, cluster).values()) == {False} and delay(elbv2, arn) == "300"


def test_a_reader_that_goes_away_does_not_stop_a_teardown_that_succeeds(aws) -> None:
    client = make_services(aws, "pipe-ok", "web", "api")
    aws.play("pipe-ok", "web", Timeline(tasks=2, task_stop_s=1, draining_s=1))
    argv = ["services", "--cluster", "pipe-ok", "--service", "web", "--service", "api", "--yes", "--json"]
    code, first, err = read_first_line_then_go_away([*argv, "--endpoint-url", aws.url])
    assert (code, err) == (0, "")
    assert json.loads(first)["schema"] == 1
    assert state(client, "pipe-ok", "web")[0] == state(client, "pipe-ok", "api")[0] == "INACTIVE"


@pytest.mark.parametrize(("answer", "code"), [(b"yes\n", 0), (b"no\n", 2)])
def test_with_json_the_question_goes_to_stderr_and_stdout_stays_json(aws, answer: bytes, code: int) -> None:
    cluster = f"asked-json-{code}"
    client = make_services(aws, cluster, "web")
    primary, secondary = os.openpty()
    process = subprocess.Popen(
        [str(SCRIPT), "services", "--cluster", cluster, "--service", "web", "--json", "--endpoint-url", aws.url],
        stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=user_env(),
    )  # fmt: skip
    try:
        assert process.stderr is not None
        asked = read_until_asked(process, process.stderr)
        assert asked == b"Tear down these 1 service(s)? Only 'yes' goes ahead: "
        os.write(primary, answer)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
        os.close(secondary)
        os.close(primary)
    records = [json.loads(line) for line in out.decode().splitlines()]  # every line JSON
    assert process.returncode == code and records[0]["event"] == "plan"
    if code == 0:
        assert records[-1]["event"] == "summary" and state(client, cluster, "web")[0] == "INACTIVE"
    else:
        assert records[-1] == {
            "schema": 1, "event": "error", "message": "not confirmed; nothing was changed", "exit_code": 2
        }  # fmt: skip
        assert err == b"ecs-teardown: not confirmed; nothing was changed\n"
        assert state(client, cluster, "web") == ("ACTIVE", 2)
