"""The demo's embedded AWS: moto's server on 127.0.0.1, with ECS timelines played on top of it.

moto answers with ECS's real API shapes and error codes, but its services stop their tasks and go INACTIVE the
instant they are asked. Here its ECS backend (in this process, behind its HTTP server) is wrapped so that tasks
take seconds to stop, DeleteService leaves a service DRAINING for a while, DAEMON services refuse a desiredCount,
and a DRAINING service refuses UpdateService, as ECS does. Each service's tasks and status over time are its
`Timeline`, a `ServiceTimeline` (timeline.py, the model the tests' fake ECS plays too). For demos and local trials
only.

`python -m ecs_teardown_tools.emulator --port 5000` (`make emulator`) serves it on its own, with a cluster `demo`
to tear down, until Ctrl-C (or `--for SECONDS`): the README's emulator examples run against it.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .timeline import ACTIVE, DRAINING, ServiceTimeline

DAEMON_REFUSAL = "The daemon scheduling strategy does not support a desired count for services."


@dataclass
class Timeline(ServiceTimeline):
    """A `ServiceTimeline` with the demo's defaults: its tasks stop evenly over 4 s, then 3 s DRAINING."""

    tasks: int = 0  # running tasks at the start (moto starts services with none running)
    task_stop_s: float = 4.0
    draining_s: float = 3.0


class EmbeddedAws:
    """moto's server on 127.0.0.1 (a free port), its ECS backend playing `Timeline`s. Use as a context manager."""

    def __init__(
        self,
        account: str = "123456789012",
        region: str = "us-east-1",
        clock: Callable[[], float] = time.monotonic,
        port: int = 0,
    ) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
        self.account, self.region, self.clock = account, region, clock
        self.timelines: dict[tuple[str, str], ServiceTimeline] = {}
        self._lock = threading.Lock()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.url = ""

    def __enter__(self) -> EmbeddedAws:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self.timed = _TimedBackend(self._backend(), self.timelines, self.clock, self._lock)
        self.timed.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
        backend = self._backend()
        for name in _TimedBackend.CALLS:
            backend.__dict__.pop(name, None)  # moto's backends are shared by the process: unwrap

    def play(self, cluster: str, service: str, timeline: ServiceTimeline) -> ServiceTimeline:
        with self._lock:
            self.timelines[(cluster, service)] = timeline
        return timeline

    def start_draining(self, cluster: str, service: str) -> None:
        """As if someone had already called DeleteService: the service is DRAINING when the demo starts."""
        self.timelines[(cluster, service)].delete(self.clock())
        self._backend().services[f"{cluster}:{service}"].status = DRAINING

    def create_stack(self, name: str) -> str:
        """A stack in moto's CloudFormation (one placeholder resource), whose StackId a request can name."""
        import boto3

        template = '{"Resources": {"Placeholder": {"Type": "AWS::SQS::Queue"}}}'
        client: Any = boto3.client("cloudformation", endpoint_url=self.url, region_name=self.region)
        return str(client.create_stack(StackName=name, TemplateBody=template)["StackId"])

    def set_stack_status(self, stack_id: str, status: str) -> None:
        """Show the stack as CloudFormation would while it sends a request (moto never sends Update or Delete)."""
        from moto.cloudformation.models import cloudformation_backends

        cloudformation_backends[self.account][self.region].stacks[stack_id].status = status

    def _backend(self) -> Any:
        from moto.ecs.models import ecs_backends

        return ecs_backends[self.account][self.region]


class _TimedBackend:
    """moto's ECS backend with `ServiceTimeline`s played on top, for the three calls the engine makes: a service
    that has a timeline shows its running tasks and status as the timeline says, and is refused as ECS refuses."""

    CALLS = ("describe_services", "update_service", "delete_service")

    def __init__(
        self,
        backend: Any,
        timelines: dict[tuple[str, str], ServiceTimeline],
        clock: Callable[[], float],
        lock: threading.Lock,
    ) -> None:
        self.backend, self.timelines, self.clock, self.lock = backend, timelines, clock, lock
        self.writes: list[tuple[str, str, float]] = []  # (call, service, clock) of every write, for tests
        self.describe, self.update, self.delete = (
            backend.describe_services,
            backend.update_service,
            backend.delete_service,
        )

    def install(self) -> None:
        for name in self.CALLS:
            setattr(self.backend, name, getattr(self, name))

    def describe_services(self, cluster_str: str, names: list[str]) -> Any:
        with self.lock:
            found, failures = self.describe(cluster_str, names)
            for service in found:
                self._refresh(service)
            return found, failures

    def update_service(self, properties: dict[str, Any]) -> Any:
        from moto.ecs.exceptions import InvalidParameterException

        with self.lock:
            self.writes.append(("update_service", str(properties["service"]), self.clock()))
            timeline, service = self._timeline_of(properties.get("cluster", "default"), properties["service"])
            if timeline is None:
                return self.update(properties)
            self._refuse_unless_active(service)
            if properties.get("desired_count") is not None and service.scheduling_strategy == "DAEMON":
                raise InvalidParameterException(DAEMON_REFUSAL)
            result = self.update(properties)
            if properties.get("desired_count") == 0:
                timeline.stop(self.clock())
            self._refresh(service)
            return result

    def delete_service(self, cluster_str: str, service_str: str, force: bool) -> Any:
        with self.lock:
            self.writes.append(("delete_service", service_str, self.clock()))
            timeline, service = self._timeline_of(cluster_str, service_str)
            if timeline is None:
                return self.delete(cluster_str, service_str, force)
            self._refuse_unless_active(service)
            if service.scheduling_strategy == "DAEMON":
                service.desired_count = 0  # ECS stops a DAEMON's tasks itself on DeleteService
            result = self.delete(cluster_str, service_str, force)
            timeline.delete(self.clock())
            self._refresh(service)
            return result

    def _timeline_of(self, cluster_str: str, service_str: str) -> tuple[ServiceTimeline | None, Any]:
        service = self.backend._get_service(cluster_str, service_str)
        return self.timelines.get((service.cluster_name, service.name)), service

    def _refresh(self, service: Any) -> None:
        timeline = self.timelines.get((service.cluster_name, service.name))
        if timeline is None:
            return
        now = self.clock()
        service.running_count, service.pending_count = timeline.running(now), 0
        service.status = timeline.status(now)

    def _refuse_unless_active(self, service: Any) -> None:
        from moto.ecs.exceptions import ECSException

        self._refresh(service)
        if service.status != ACTIVE:
            raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")


# The emulator command's cluster: name, running tasks, seconds for them to stop, seconds DRAINING.
DEMO_CLUSTER = "demo"
DEMO_SERVICES = (("web", 3, 3.0, 2.0), ("worker", 2, 3.0, 2.0))
DEMO_FOR_S = 3600.0  # the emulator stops on its own after this long, unless told otherwise


def main(argv: list[str] | None = None) -> int:
    """The embedded AWS on its own, on 127.0.0.1:PORT, with cluster `demo`, until Ctrl-C or `--for` runs out."""
    parser = argparse.ArgumentParser(
        prog="python -m ecs_teardown_tools.emulator",
        description="moto's server on 127.0.0.1 playing ECS (drains take seconds), with a cluster 'demo' holding "
        "the services 'web' and 'worker'. Any credentials are accepted. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--port", type=_port, default=5000, help="the port on 127.0.0.1 (default 5000; 0: any free one)"
    )
    parser.add_argument(
        "--for",
        dest="seconds",
        type=float,
        default=DEMO_FOR_S,
        metavar="SECONDS",
        help=f"stop after this long (default {DEMO_FOR_S:g})",
    )
    args = parser.parse_args(argv)
    if not _port_free(args.port):
        print(f"emulator: 127.0.0.1:{args.port} is in use: give another --port", file=sys.stderr)
        return 2
    for stop in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or `kill`, even where a shell ignores Ctrl-C for it
        signal.signal(stop, signal.default_int_handler)
    try:
        with EmbeddedAws(port=args.port) as aws:
            _demo_cluster(aws)
            names = ", ".join(f"{name} ({tasks} tasks)" for name, tasks, *_ in DEMO_SERVICES)
            print(f"emulator: moto's server on {aws.url} (account {aws.account}, region {aws.region})", flush=True)
            print(f"emulator: cluster {DEMO_CLUSTER}: {names}; any credentials are accepted", flush=True)
            print(f"emulator: stops after {args.seconds:g} s, or on Ctrl-C", flush=True)
            threading.Event().wait(args.seconds)
    except KeyboardInterrupt:
        pass
    print("emulator: stopped", flush=True)
    return 0


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return int(text)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: a port in TIME_WAIT is free
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _demo_cluster(aws: EmbeddedAws) -> None:
    import boto3

    ecs: Any = boto3.client(
        "ecs",
        endpoint_url=aws.url,
        region_name=aws.region,
        aws_access_key_id="emulator",
        aws_secret_access_key="emulator",
    )
    ecs.create_cluster(clusterName=DEMO_CLUSTER)
    ecs.register_task_definition(family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64}])
    for name, tasks, stop_s, draining_s in DEMO_SERVICES:
        ecs.create_service(cluster=DEMO_CLUSTER, serviceName=name, taskDefinition="app", desiredCount=tasks)
        aws.play(DEMO_CLUSTER, name, Timeline(tasks=tasks, task_stop_s=stop_s, draining_s=draining_s))


if __name__ == "__main__":
    sys.exit(main())
