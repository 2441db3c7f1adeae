"""The demo's embedded AWS: moto's server on 127.0.0.1, with ECS timelines played on top of it.

moto answers with ECS's real API shapes and error codes, but its services stop their tasks and go INACTIVE the
instant they are asked. Here its ECS backend (in this process, behind its HTTP server) is wrapped (`TimedBackend`,
timed_ecs.py) so that tasks take seconds to stop, DeleteService leaves a service DRAINING for a while, DAEMON
services refuse a desiredCount, and a DRAINING service refuses UpdateService, as ECS does; a service behind a
target group keeps its tasks for the group's deregistration delay, and one with an Application Auto Scaling target
is scaled back up to MinCapacity after a scale-down unless its scale-out is suspended (both read from moto's own
elbv2 and application-autoscaling backends). Each service's tasks and status over time are its `Timeline`, a
`ServiceTimeline` (timeline.py, the model the tests' fake ECS plays too). A `Timeline` with a `Rollout` plays a
rolling deployment in progress (rollouts.py), which keeps DeleteService refusing until it ends or
StopServiceDeployment (which moto lacks, and the emulator adds) rolls it back; one with a `BlueGreen`, a CodeDeploy
deployment in progress (two task sets, moto's own), which keeps it refusing until it ends; one with `express`, an ECS
Express Mode service. For demos and local trials only.

`python -m ecs_teardown_tools.emulator --port 5000` (`make emulator`) serves it on its own, with a cluster `demo`
to tear down (`web`, `api`, `worker` and the DAEMON `agent`: every service the sample events in events/ name), until
Ctrl-C (or `--for SECONDS`): the README's emulator examples and the sample events run against it. `--rollout web`
(or `web=SECONDS`) starts `web` with a rolling deployment in progress.
"""

from __future__ import annotations

import argparse
import math
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from .rollouts import DEPLOYMENTS_ACTIVE, ROLLBACK_S, DeploymentCall, Rollout
from .timed_ecs import DAEMON_REFUSAL, SCALE_OUT_AFTER_S, BlueGreen, ScaleOut, TimedBackend, Timeline
from .timeline import DRAINING

__all__ = [
    "DAEMON_REFUSAL",
    "DEPLOYMENTS_ACTIVE",
    "BlueGreen",
    "DeploymentCall",
    "EmbeddedAws",
    "Rollout",
    "ScaleOut",
    "Timeline",
    "main",
]


class EmbeddedAws:
    """moto's server on 127.0.0.1 (a free port), its ECS backend playing `Timeline`s. Use as a context manager.
    `scale_out_after_s`: how soon auto scaling fights a scale-down; `notify` hears what happens around services."""

    def __init__(
        self,
        account: str = "123456789012",
        region: str = "us-east-1",
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
        scale_out_after_s: float = SCALE_OUT_AFTER_S,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
        self.account, self.region, self.clock = account, region, clock
        self.scale_out_after_s, self.notify = scale_out_after_s, notify
        self.timelines: dict[tuple[str, str], Timeline] = {}
        self._lock = threading.Lock()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.url = ""

    def __enter__(self) -> EmbeddedAws:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.timed = TimedBackend(
            self._backend(), self.timelines, self.clock, self._lock, self.scale_out_after_s, self.notify
        )
        self.timed.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
        self.timed.uninstall()  # moto's backends are shared by the process: unwrap

    def play(self, cluster: str, service: str, timeline: Timeline) -> Timeline:
        """The service (created already) plays `timeline` from now on; its `rollout` or `blue_green`, if any, starts
        now; with `express`, it is an ECS Express Mode service from now on."""
        played = self._backend()._get_service(cluster, service)
        if timeline.blue_green is not None and timeline.blue_green.started_at is None:  # moto's calls take the lock
            _begin_blue_green(self._backend(), played, timeline.blue_green, self.clock())
        with self._lock:
            if timeline.rollout is not None and timeline.rollout.started_at is None:
                self.timed.rollouts.begin(cluster, service, timeline.rollout)
            if timeline.express:
                played.resource_management_type = "ECS"  # moto's Service lacks it; its responses show the attribute
            self.timelines[(cluster, service)] = timeline
        return timeline

    def client(self, name: str) -> Any:
        """A boto3 client of this embedded AWS (any service moto serves), with dummy credentials."""
        import boto3

        factory: Any = boto3.client  # the service is chosen at run time: its typed overloads do not apply
        return factory(
            name,
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
        )

    def start_draining(self, cluster: str, service: str) -> None:
        """As if someone had already called DeleteService: the service is DRAINING when the demo starts."""
        with self._lock:
            self.timelines[(cluster, service)].delete(self.clock())
            self._backend().services[f"{cluster}:{service}"].status = DRAINING

    def create_stack(self, name: str) -> str:
        """A stack in moto's CloudFormation (one placeholder resource), whose StackId a request can name."""
        template = '{"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}}}'
        return str(self.client("cloudformation").create_stack(StackName=name, TemplateBody=template)["StackId"])

    def set_stack_status(self, stack_id: str, status: str) -> None:
        """Show the stack as CloudFormation would while it sends a request (moto never sends Update or Delete)."""
        from moto.cloudformation.models import cloudformation_backends

        cloudformation_backends[self.account][self.region].stacks[stack_id].status = status

    def _backend(self) -> Any:
        from moto.ecs.models import ecs_backends

        return ecs_backends[self.account][self.region]


def _begin_blue_green(backend: Any, service: Any, blue_green: BlueGreen, now: float) -> None:
    """A CodeDeploy deployment starts now: the original task set (PRIMARY) and the replacement (ACTIVE), behind the
    service's load balancers, made with moto's own CreateTaskSet and UpdateServicePrimaryTaskSet in process (the API
    reference documents CreateTaskSet for the EXTERNAL controller: CodeDeploy makes a CODE_DEPLOY service's)."""
    if service.deployment_controller.get("type") != "CODE_DEPLOY":
        raise ValueError(f"{service.name}: only a service of the CODE_DEPLOY controller has a CodeDeploy deployment")
    balancers = list(service.load_balancers or [])  # moto's UpdateServicePrimaryTaskSet gives the service its set's
    made = [
        backend.create_task_set(
            service.arn, service.cluster_arn, service.task_definition, external_id=deployment, load_balancers=balancers
        )
        for deployment in (blue_green.original_id, blue_green.deployment_id)
    ]
    blue_green.task_sets, blue_green.started_at = (made[0].task_set_arn, made[1].task_set_arn), now
    backend.update_service_primary_task_set(service.cluster_arn, service.arn, blue_green.task_sets[0])


# The emulator command's cluster, holding every service the sample events in events/ name: name, scheduling,
# running tasks, seconds for them to stop, seconds DRAINING.
DEMO_CLUSTER = "demo"
DEMO_SERVICES = (
    ("web", "REPLICA", 3, 3.0, 2.0),
    ("api", "REPLICA", 2, 3.0, 2.0),
    ("worker", "REPLICA", 2, 3.0, 2.0),
    ("agent", "DAEMON", 2, 3.0, 2.0),
)
DEMO_FOR_S = 3600.0  # the emulator stops on its own after this long, unless told otherwise


def main(argv: list[str] | None = None) -> int:
    """The embedded AWS on its own, on 127.0.0.1:PORT, with cluster `demo`, until Ctrl-C or `--for` runs out."""
    args = _parser().parse_args(argv)
    if not _port_free(args.port):
        print(f"emulator: 127.0.0.1:{args.port} is in use: give another --port", file=sys.stderr)
        return 2
    for stop in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or `kill`, even where a shell ignores Ctrl-C for it
        signal.signal(stop, signal.default_int_handler)
    try:
        with EmbeddedAws(port=args.port) as aws:
            rollouts = dict(args.rollout)
            _demo_cluster(aws, rollouts)
            _announce(aws, rollouts, args.seconds)
            threading.Event().wait(args.seconds)
    except KeyboardInterrupt:
        pass
    print("emulator: stopped", flush=True)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ecs_teardown_tools.emulator",
        description="moto's server on 127.0.0.1 playing ECS (drains take seconds), with a cluster 'demo' holding "
        "the REPLICA services 'web', 'api' and 'worker' and the DAEMON service 'agent' (every service the sample "
        "events name). Any credentials are accepted. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--port", type=_port, default=5000, help="the port on 127.0.0.1 (default 5000; 0: any free one)"
    )
    parser.add_argument(
        "--rollout",
        type=_rollout,
        action="append",
        default=[],
        metavar="SERVICE[=SECONDS]",
        help="start SERVICE with a rolling deployment in progress, which keeps DeleteService refusing ('deployments "
        "are active') until it ends after SECONDS (default: never) or StopServiceDeployment rolls it back "
        f"({ROLLBACK_S:g} s); repeatable",
    )
    parser.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=DEMO_FOR_S,
        metavar="SECONDS",
        help=f"stop after this long (default {DEMO_FOR_S:g})",
    )
    return parser


def _announce(aws: EmbeddedAws, rollouts: dict[str, Rollout], seconds: float) -> None:
    """What it serves, where, and until when: printed once it serves."""
    names = ", ".join(
        f"{name} ({tasks} tasks{', DAEMON' if scheduling == 'DAEMON' else ''})"
        for name, scheduling, tasks, *_ in DEMO_SERVICES
    )
    print(f"emulator: moto's server on {aws.url} (account {aws.account}, region {aws.region})", flush=True)
    print(f"emulator: cluster {DEMO_CLUSTER}: {names}; any credentials are accepted", flush=True)
    for name, rollout in rollouts.items():
        ends = "never ends by itself" if math.isinf(rollout.ends_after_s) else f"ends after {rollout.ends_after_s:g} s"
        print(
            f"emulator: {name} has a rolling deployment in progress ({rollout.arn}); it {ends}, or rolls back "
            f"in {rollout.rollback_s:g} s on StopServiceDeployment",
            flush=True,
        )
    print(f"emulator: stops after {seconds:g} s, or on Ctrl-C", flush=True)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def _rollout(text: str) -> tuple[str, Rollout]:
    name, _, seconds = text.partition("=")
    if name not in {service for service, *_ in DEMO_SERVICES}:
        names = ", ".join(service for service, *_ in DEMO_SERVICES)
        raise argparse.ArgumentTypeError(f"expected one of the cluster's services ({names}), got {name!r}")
    if not seconds:
        return name, Rollout()
    try:
        ends_after_s = float(seconds)
    except ValueError:
        ends_after_s = -1.0
    if not 0 < ends_after_s < math.inf:
        raise argparse.ArgumentTypeError(f"expected SERVICE=SECONDS with SECONDS above 0, got {text!r}")
    return name, Rollout(ends_after_s=ends_after_s)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: a port in TIME_WAIT is free
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _demo_cluster(aws: EmbeddedAws, rollouts: dict[str, Rollout]) -> None:
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName=DEMO_CLUSTER)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    for name, scheduling, tasks, stop_s, draining_s in DEMO_SERVICES:
        count = {"desiredCount": tasks} if scheduling == "REPLICA" else {}  # ECS refuses a DAEMON's desiredCount
        ecs.create_service(
            cluster=DEMO_CLUSTER, serviceName=name, taskDefinition="app", schedulingStrategy=scheduling, **count
        )
        if scheduling == "DAEMON":  # ECS counts a DAEMON's desired tasks itself (one an instance); moto leaves 0
            aws._backend().services[f"{DEMO_CLUSTER}:{name}"].desired_count = tasks
        timeline = Timeline(tasks=tasks, task_stop_s=stop_s, draining_s=draining_s, rollout=rollouts.get(name))
        aws.play(DEMO_CLUSTER, name, timeline)


if __name__ == "__main__":
    sys.exit(main())
