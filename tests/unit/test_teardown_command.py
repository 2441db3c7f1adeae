"""The command line's pure parts: splitting into requests, stack discovery, and the three output forms."""

from __future__ import annotations

import io
import json

import pytest

from ecs_teardown.core.engine import Step
from ecs_teardown.core.machine import Kind, Phase
from ecs_teardown.core.model import ForceMode, ServiceRef, ServiceSnapshot
from ecs_teardown_tools.teardown import Options, Reporter, UsageError, requests_for, stack_services

OPTIONS = Options(drain_timeout_s=60, force=ForceMode.NEVER, timeout_s=100)


def test_more_than_50_services_are_split_into_requests_of_50():
    names = [f"svc{i:03d}" for i in range(120)]
    requests = requests_for("prod", names, OPTIONS)
    assert [len(r.services) for r in requests] == [50, 50, 20]
    assert all(r.force is ForceMode.NEVER and r.drain_timeout_s == 60 for r in requests)
    assert [ref.name for r in requests for ref in r.services] == names


def test_bad_names_are_usage_errors_that_name_the_option():
    with pytest.raises(UsageError, match="--service"):
        requests_for("prod", ["ok", "not ok"], OPTIONS)
    with pytest.raises(UsageError, match="--cluster"):
        requests_for("bad cluster", ["web"], OPTIONS)


class FakeCloudFormation:
    """list_stack_resources pages for a few stacks."""

    def __init__(self, stacks: dict[str, list[dict[str, str]]]) -> None:
        self.stacks = stacks

    def get_paginator(self, name: str) -> FakeCloudFormation:
        assert name == "list_stack_resources"
        return self

    def paginate(self, StackName: str):  # noqa: N803 - boto3's spelling
        resources = self.stacks[StackName]
        for start in range(0, len(resources), 2):  # two per page: pagination is followed
            yield {"StackResourceSummaries": resources[start : start + 2]}


def service(arn_tail: str, status: str = "CREATE_COMPLETE") -> dict[str, str]:
    return {
        "ResourceType": "AWS::ECS::Service",
        "LogicalResourceId": arn_tail.replace("/", ""),
        "PhysicalResourceId": f"arn:aws:ecs:us-east-1:123456789012:service/{arn_tail}",
        "ResourceStatus": status,
    }


def test_stack_discovery_walks_nested_stacks_and_skips_deleted_resources():
    child = "arn:aws:cloudformation:us-east-1:123456789012:stack/child/1"
    fake = FakeCloudFormation(
        {
            "app": [
                service("prod/web"),
                {
                    "ResourceType": "AWS::ECS::Cluster",
                    "PhysicalResourceId": "prod",
                    "ResourceStatus": "CREATE_COMPLETE",
                },
                service("prod/old", status="DELETE_COMPLETE"),
                {
                    "ResourceType": "AWS::CloudFormation::Stack",
                    "PhysicalResourceId": child,
                    "ResourceStatus": "CREATE_COMPLETE",
                },
                service("prod/api"),
            ],
            child: [service("jobs/worker"), service("prod/web")],
        }
    )
    assert stack_services(fake, "app") == {"prod": ["web", "api"], "jobs": ["worker"]}


def test_old_format_service_arns_are_a_usage_error_with_advice():
    fake = FakeCloudFormation(
        {
            "app": [
                {
                    "ResourceType": "AWS::ECS::Service",
                    "LogicalResourceId": "Old",
                    "PhysicalResourceId": "arn:aws:ecs:us-east-1:123456789012:service/web",
                    "ResourceStatus": "CREATE_COMPLETE",
                }
            ]
        }
    )
    with pytest.raises(UsageError, match="ecs-teardown services --cluster"):
        stack_services(fake, "app")


def step(name: str, phase: Phase, running: int) -> Step:
    snapshot = ServiceSnapshot("ACTIVE", desired=0, running=running)
    return Step(ServiceRef("prod", name), phase, Kind.WAIT, "", snapshot, 3.0)


def test_json_output_is_one_object_per_step():
    out = io.StringIO()
    reporter = Reporter(out, as_json=True, live=True)  # --json wins over a terminal
    reporter.step(step("web", Phase.DRAINING_TASKS, 2))
    record = json.loads(out.getvalue())
    assert record["event"] == "step" and record["service"] == "web" and record["running"] == 2
    assert "\x1b[" not in out.getvalue()


# The live table (rich) is tested in tests/unit/test_live_view_layout.py and, on a pseudo-terminal, in
# tests/integration/test_live_view.py.


def test_plain_output_is_one_line_per_step_without_escapes():
    out = io.StringIO()
    reporter = Reporter(out, as_json=False, live=False)
    reporter.step(step("web", Phase.DRAINING_TASKS, 2))
    reporter.step(step("web", Phase.DRAINING_TASKS, 1))
    assert out.getvalue().count("\n") == 2 and "\x1b[" not in out.getvalue()


def test_readme_and_help_agree_on_every_option():
    import argparse
    from pathlib import Path

    from ecs_teardown_tools.cli import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        assert f"ecs-teardown {name}" in readme, name
        for action in command._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert f"`{flag}" in readme, f"{name} {flag} is not in the README"
