"""`make demo`: the main job end to end on an embedded AWS, no account and no Docker needed.

moto's server on 127.0.0.1 plays ECS (with drains that take seconds, see emulator.py); a local HTTPS endpoint
stands in for CloudFormation. A cluster gets four services (a REPLICA with running tasks, a second REPLICA, a
DAEMON, one already DRAINING) and the stack names a fifth that is missing. CloudFormation's Delete events go
through the real Lambda handler; every step, every ECS call and every answer is shown as it happens.
Exit status 0 only when every outcome is right.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"  # the checkout's sample events
CLUSTER = "demo"
# name, scheduling, desired count, running tasks, seconds for the tasks to stop, seconds DRAINING
SERVICES = [
    ("web", "REPLICA", 3, 3, 6.0, 3.0),
    ("worker", "REPLICA", 2, 2, 9.0, 2.0),
    ("agent", "DAEMON", 0, 2, 4.0, 2.0),
    ("legacy", "REPLICA", 0, 1, 2.0, 8.0),  # someone already called DeleteService: DRAINING from the start
]
MISSING = "ghost"  # named by the stack, deleted by hand long ago


class Show:
    """Prints each line with the seconds since the start, so the timeline is visible."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, text: str) -> None:
        print(f"{time.monotonic() - self.started:6.1f}s  {text}", flush=True)


def _environment(endpoint_url: str) -> None:
    os.environ.update(
        AWS_ENDPOINT_URL_ECS=endpoint_url,
        AWS_ENDPOINT_URL_CLOUDFORMATION=endpoint_url,
        AWS_ACCESS_KEY_ID="demo",
        AWS_SECRET_ACCESS_KEY="demo",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        POWERTOOLS_LOG_LEVEL=os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        POWERTOOLS_METRICS_DISABLED="true",
        ECS_TEARDOWN_ALLOWED_CLUSTERS=CLUSTER,
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


def _event(name: str, response_url: str, **changes: Any) -> dict[str, Any]:
    with open(EVENTS / name) as handle:
        event: dict[str, Any] = json.load(handle)
    event.update(changes, ResponseURL=response_url)
    return event


def main() -> int:
    from .emulator import EmbeddedAws

    show = Show()
    with EmbeddedAws() as aws:
        _environment(aws.url)
        show(f"embedded AWS (moto) on {aws.url}; CloudFormation stand-in on https://127.0.0.1")
        _create_services(aws, show)
        return _tear_down(aws, show)


def _create_services(aws: Any, show: Show) -> None:
    import boto3

    from .emulator import Timeline

    ecs: Any = boto3.client("ecs")  # Any: the stubs' TypedDicts do not take a **kwargs spelling
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    for name, scheduling, desired, tasks, stop_s, draining_s in SERVICES:
        extra = {"desiredCount": desired} if scheduling == "REPLICA" else {}
        ecs.create_service(
            cluster=CLUSTER, serviceName=name, taskDefinition="app", schedulingStrategy=scheduling, **extra
        )
        aws.play(CLUSTER, name, Timeline(task_stop_s=stop_s, draining_s=draining_s, tasks=tasks))
        show(f"created {scheduling:<7} service {name!r}: {tasks} task(s) running, stop in {stop_s:g} s")
    aws.start_draining(CLUSTER, "legacy")
    show("service 'legacy' is already DRAINING; service 'ghost' does not exist")


def _function(show: Show, calls: list[tuple[str, str, bool]]) -> Any:
    """The Lambda function as app.py builds it, with the demo's observers: each ECS write and each step shown."""
    from ecs_teardown.aws.ecs import EcsGateway, make_ecs_client
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown.cfn.protocol import CustomResource
    from ecs_teardown.config import Config
    from ecs_teardown.core.engine import Step
    from ecs_teardown.core.polling import PollPolicy

    def gateway() -> EcsGateway:
        client = make_ecs_client()

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls.append((model.name, str(params.get("service", "")), bool(params.get("force"))))
            if model.name != "DescribeServices":
                args = ", ".join(f"{k}={v}" for k, v in params.items() if k != "cluster")
                show(f"  ECS call: {model.name}({args})")

        client.meta.events.register("before-parameter-build.ecs", record)
        return EcsGateway(client)

    def step(event: Step) -> None:
        counts = event.snapshot.counts() if event.snapshot and event.snapshot.status != "MISSING" else "-"
        status = event.snapshot.status if event.snapshot else "?"
        show(f"  {event.service.name:<7} {event.phase.value:<15} {status:<9} {counts}   {event.why}")

    # The demo's drains take seconds, not minutes: its polling is scaled down alike, so each change shows.
    policy = PollPolicy(fast_s=0.5, settle_s=1.0, imminent_cap_s=1.0, slow_cap_s=2.0, growth=2.0)
    config = replace(Config.from_environment(), allow_local_response_url=True)
    return CustomResource(Edges(ecs=gateway, on_step=step, poll_policy=policy, config=config))


def _plan(stack_id: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(title, events/ file, the stack's status meanwhile, changes to the event), in the order CloudFormation
    would send them over the stack's life."""
    from ecs_teardown.cfn import identity
    from ecs_teardown.cfn.properties import parse_properties

    names = [name for name, *_ in SERVICES] + [MISSING]
    properties = {"Cluster": CLUSTER, "Services": names, "DrainTimeoutSeconds": "30", "ServiceTimeout": "300"}
    parse_properties(properties)  # the demo's own properties are valid, or it stops here
    resource = {
        "ResourceProperties": {"ServiceToken": "demo", **properties},
        "PhysicalResourceId": identity.resource_id(stack_id, "Teardown"),  # what the resource's Create answered
        "StackId": stack_id,
    }
    removed = "Delete of the Teardown resource, removed from the template (stack UPDATE_COMPLETE_CLEANUP_IN_PROGRESS)"
    deleted = "Delete of the Teardown resource, the stack being deleted (stack DELETE_IN_PROGRESS)"
    return [
        (removed, "delete-services.json", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", resource),
        (deleted, "delete-services.json", "DELETE_IN_PROGRESS", resource),
        ("Delete of a resource whose Create had failed", "delete-after-failed-create.json", "ROLLBACK_IN_PROGRESS", {}),
    ]


def _tear_down(aws: Any, show: Show) -> int:
    from .local import AnswerEndpoint, LocalContext

    calls: list[tuple[str, str, bool]] = []  # (operation, service, force)
    function = _function(show, calls)
    stack_id = aws.create_stack("demo-app")
    answers_ok = True
    with AnswerEndpoint() as answers:
        answers.trust()
        for title, name, stack_status, changes in _plan(stack_id):
            event = _event(name, answers.url(name.removesuffix(".json")), **changes)
            if event["StackId"] == stack_id:
                aws.set_stack_status(stack_id, stack_status)
            show(f"CloudFormation -> lambda_handler: {title}")
            before = len(calls)
            function.handle(event, LocalContext(timeout_s=300))
            answer = answers.wait_for(len(answers.answers))[-1].body
            show(
                f"CloudFormation <- {answer['Status']} for {answer['PhysicalResourceId']}"
                + (f": {answer['Reason']}" if answer["Reason"] else "")
                + f"  ({len(calls) - before} ECS calls)"
            )
            answers_ok = answers_ok and answer["Status"] == "SUCCESS"
            if stack_status != "DELETE_IN_PROGRESS":  # nothing to tear down: no ECS write at all
                untouched = all(op == "DescribeServices" for op, *_ in calls[before:])
                show(f"  no ECS write: {'right' if untouched else 'WRONG'} (the stack is {stack_status})")
                answers_ok = answers_ok and untouched
    return _summary(show, answers_ok, calls)


def _summary(show: Show, answers_ok: bool, calls: list[tuple[str, str, bool]]) -> int:
    import boto3

    ecs = boto3.client("ecs")
    answer = ecs.describe_services(cluster=CLUSTER, services=[name for name, *_ in SERVICES] + [MISSING])
    final = {s["serviceName"]: s["status"] for s in answer["services"]}
    final.update({f["arn"].rsplit("/", 1)[-1]: "MISSING" for f in answer["failures"]})
    print("\nsummary")
    ok = answers_ok
    for name, status in final.items():
        right = status in ("INACTIVE", "MISSING")
        ok = ok and right
        print(f"  {name:<8} {status:<9} {'ok' if right else 'WRONG'}")
    scaled = sorted({service for op, service, _ in calls if op == "UpdateService"})
    forced = any(force for _, _, force in calls)
    ok = ok and scaled == ["web", "worker"] and not forced
    counts = {
        op: sum(1 for name, *_ in calls if name == op) for op in ("DescribeServices", "UpdateService", "DeleteService")
    }
    print(f"  ECS calls: {counts}; scaled to zero: {', '.join(scaled)} (never the DAEMON); no forced delete")
    show("demo: OK, every service is gone and CloudFormation got its answers" if ok else "demo: FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
