"""`make demo`: the main job end to end on an embedded AWS, no account and no Docker needed.

moto's server on 127.0.0.1 plays ECS (with drains that take seconds, see emulator.py), with moto's elbv2 and
Application Auto Scaling around it; a local HTTPS endpoint stands in for CloudFormation. A cluster gets four
services (a REPLICA behind a target group with ELB's default 300 s deregistration delay, a REPLICA with a scalable
target whose scale-out alarm fights a scale-down, a DAEMON, one already DRAINING) and the stack names a fifth that
is missing. CloudFormation's Delete events (with `DeregistrationDelaySeconds: 2`) go through the real Lambda
handler; every step, every write to AWS and every answer is shown as it happens.
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
    ("web", "REPLICA", 3, 3, 2.0, 2.0),  # behind a target group (demo_around.BEHIND_ALB)
    ("worker", "REPLICA", 2, 2, 9.0, 2.0),  # with a scalable target (demo_around.SCALED)
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
        ECS_TEARDOWN_FAST_DRAIN_ALLOWED="true",  # the template's AllowFastDrain=true: DeregistrationDelaySeconds
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
    with EmbeddedAws(notify=show) as aws:
        _environment(aws.url)
        show(f"embedded AWS (moto) on {aws.url}; CloudFormation stand-in on https://127.0.0.1")
        _create_services(aws, show)
        return _tear_down(aws, show)


def _create_services(aws: Any, show: Show) -> None:
    from .demo_around import BEHIND_ALB, scalable_target, target_group
    from .emulator import Timeline

    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    load_balancer = target_group(aws, show)
    for name, scheduling, desired, tasks, stop_s, draining_s in SERVICES:
        extra: dict[str, Any] = {"desiredCount": desired} if scheduling == "REPLICA" else {}
        definition = BEHIND_ALB if name == BEHIND_ALB else "app"
        if name == BEHIND_ALB:
            extra["loadBalancers"] = [load_balancer]
        ecs.create_service(
            cluster=CLUSTER, serviceName=name, taskDefinition=definition, schedulingStrategy=scheduling, **extra
        )
        aws.play(CLUSTER, name, Timeline(task_stop_s=stop_s, draining_s=draining_s, tasks=tasks))
        after = " after the deregistration delay" if name == BEHIND_ALB else ""
        show(f"created {scheduling:<7} service {name!r}: {tasks} task(s) running, stop in {stop_s:g} s{after}")
    scalable_target(aws, CLUSTER, show)
    aws.start_draining(CLUSTER, "legacy")
    show("service 'legacy' is already DRAINING; service 'ghost' does not exist")


def _function(show: Show, calls: list[tuple[str, str, bool]]) -> Any:
    """The Lambda function as app.py builds it, with the demo's observers: each write to AWS and each step shown."""
    from ecs_teardown.aws.ecs import EcsGateway, make_ecs_client
    from ecs_teardown.aws.siblings import sibling_clients
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown.cfn.protocol import CustomResource
    from ecs_teardown.config import Config
    from ecs_teardown.core.engine import Step
    from ecs_teardown.core.polling import PollPolicy

    def observed(client: Any, event: str = "before-parameter-build") -> Any:
        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            service = str(params.get("service") or params.get("ResourceId") or params.get("TargetGroupArn") or "")
            calls.append((model.name, service.rsplit("/", 1)[-1], bool(params.get("force"))))
            if not model.name.startswith(("Describe", "List")):  # the writes; the reads are counted at the end
                show(f"  {client.meta.service_model.service_id} call: {model.name}({_arguments(params)})")

        client.meta.events.register(event, record)
        return client

    def gateway() -> EcsGateway:
        client = observed(make_ecs_client(), "before-parameter-build.ecs")
        around = sibling_clients(client, (False, False))  # Application Auto Scaling and ELBv2, as the gateway's own
        return EcsGateway(client, clients=lambda name: observed(around(name)))

    def step(event: Step) -> None:
        counts = event.snapshot.counts() if event.snapshot and event.snapshot.status != "MISSING" else "-"
        status = event.snapshot.status if event.snapshot else "?"
        show(f"  {event.service.name:<7} {event.phase.value:<15} {status:<9} {counts}   {event.why}")

    # The demo's drains take seconds, not minutes: its polling is scaled down alike, so each change shows.
    policy = PollPolicy(fast_s=0.5, settle_s=1.0, imminent_cap_s=1.0, slow_cap_s=2.0, growth=2.0)
    config = replace(Config.from_environment(), allow_local_response_url=True)
    return CustomResource(Edges(ecs=gateway, on_step=step, poll_policy=policy, config=config))


def _arguments(params: dict[str, Any]) -> str:
    """A call's parameters, short: ARNs by their last part, attributes as Key=Value, the obvious ones left out."""

    def short(value: Any) -> str:
        if isinstance(value, str) and value.startswith("arn:"):
            return value.rsplit(":", 1)[-1]
        if isinstance(value, list) and all(isinstance(v, dict) and "Key" in v for v in value):
            return "[" + ", ".join(f"{v['Key']}={v.get('Value')}" for v in value) + "]"
        return str(value)

    quiet = ("cluster", "ServiceNamespace", "ScalableDimension")
    return ", ".join(f"{k}={short(v)}" for k, v in params.items() if k not in quiet)


def _plan(stack_id: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(title, events/ file, the stack's status meanwhile, changes to the event), in the order CloudFormation
    would send them over the stack's life."""
    from ecs_teardown.cfn import identity
    from ecs_teardown.cfn.properties import parse_properties

    from .demo_around import FAST_DRAIN_S

    names = [name for name, *_ in SERVICES] + [MISSING]
    properties = {
        "Cluster": CLUSTER,
        "Services": names,
        "DeregistrationDelaySeconds": str(FAST_DRAIN_S),  # fast drain; DrainTimeoutSeconds: auto (the default)
        "ServiceTimeout": "300",
    }
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
                + f"  ({len(calls) - before} AWS calls)"
            )
            answers_ok = answers_ok and answer["Status"] == "SUCCESS"
            if stack_status != "DELETE_IN_PROGRESS":  # nothing to tear down: no write at all
                untouched = all(op.startswith(("Describe", "List")) for op, *_ in calls[before:])
                show(f"  no AWS write: {'right' if untouched else 'WRONG'} (the stack is {stack_status})")
                answers_ok = answers_ok and untouched
    return _summary(aws, show, answers_ok, calls)


def _summary(aws: Any, show: Show, answers_ok: bool, calls: list[tuple[str, str, bool]]) -> int:
    from .demo_around import judge

    answer = aws.client("ecs").describe_services(cluster=CLUSTER, services=[name for name, *_ in SERVICES] + [MISSING])
    final = {s["serviceName"]: s["status"] for s in answer["services"]}
    final.update({f["arn"].rsplit("/", 1)[-1]: "MISSING" for f in answer["failures"]})
    print("\nsummary")
    ok = answers_ok
    for name, status in final.items():
        right = status in ("INACTIVE", "MISSING")
        ok = ok and right
        print(f"  {name:<8} {status:<9} {'ok' if right else 'WRONG'}")
    ok = judge(aws, CLUSTER) and ok
    scaled = sorted(service for op, service, _ in calls if op == "UpdateService")
    forced = any(force for _, _, force in calls)
    right = scaled == ["web", "worker"] and not forced
    ok = ok and right
    counts: dict[str, int] = {}
    for op, *_ in calls:
        counts[op] = counts.get(op, 0) + 1
    print(f"  AWS calls: {counts}")
    print(
        f"  scaled to zero: {', '.join(scaled)} (once each, never the DAEMON); "
        f"{'a forced delete' if forced else 'no forced delete'}  {'ok' if right else 'WRONG'}"
    )
    show("demo: OK, every service is gone and CloudFormation got its answers" if ok else "demo: FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
