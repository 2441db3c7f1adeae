"""The demo's embedded AWS: moto's server on 127.0.0.1, with ECS timelines played on top of it.

moto answers with ECS's real API shapes and error codes, but its services stop their tasks and go INACTIVE the
instant they are asked. Here its ECS backend (in this process, behind its HTTP server) is wrapped so that tasks
take seconds to stop, DeleteService leaves a service DRAINING for a while, DAEMON services refuse a desiredCount,
and a DRAINING service refuses UpdateService, as ECS does. For demos and local trials only.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DAEMON_REFUSAL = "The daemon scheduling strategy does not support a desired count for services."


@dataclass
class Timeline:
    """How one service behaves once asked to stop: seconds for its tasks to stop, then seconds DRAINING."""

    task_stop_s: float = 4.0
    draining_s: float = 3.0
    tasks: int = 0  # running tasks at the start (moto starts services with none running)
    stop_started_at: float | None = None
    deleted_at: float | None = None

    def running(self, now: float) -> int:
        if self.stop_started_at is None:
            return self.tasks
        left = 1.0 - (now - self.stop_started_at) / self.task_stop_s if self.task_stop_s > 0 else 0.0
        return max(0, math.ceil(self.tasks * left - 1e-9))

    def status(self, now: float) -> str:
        if self.deleted_at is None:
            return "ACTIVE"
        tasks_gone = (self.stop_started_at or self.deleted_at) + self.task_stop_s
        return "DRAINING" if now < max(self.deleted_at, tasks_gone) + self.draining_s else "INACTIVE"


class EmbeddedAws:
    """moto's server on 127.0.0.1 (a free port), its ECS backend playing `Timeline`s. Use as a context manager."""

    def __init__(
        self, account: str = "123456789012", region: str = "us-east-1", clock: Callable[[], float] = time.monotonic
    ) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
        self.account, self.region, self.clock = account, region, clock
        self.timelines: dict[tuple[str, str], Timeline] = {}
        self._lock = threading.Lock()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def __enter__(self) -> EmbeddedAws:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        self._wrap_backend()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()
        backend = self._backend()
        for name in ("describe_services", "update_service", "delete_service"):
            backend.__dict__.pop(name, None)  # moto's backends are shared by the process: unwrap

    def play(self, cluster: str, service: str, timeline: Timeline) -> Timeline:
        with self._lock:
            self.timelines[(cluster, service)] = timeline
        return timeline

    def start_draining(self, cluster: str, service: str) -> None:
        """As if someone had already called DeleteService: the service is DRAINING when the demo starts."""
        timeline = self.timelines[(cluster, service)]
        now = self.clock()
        timeline.stop_started_at = timeline.stop_started_at or now
        timeline.deleted_at = now
        self._backend().services[f"{cluster}:{service}"].status = "DRAINING"

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

    def _wrap_backend(self) -> None:
        from moto.ecs.exceptions import ECSException, InvalidParameterException

        backend = self._backend()
        describe, update, delete = backend.describe_services, backend.update_service, backend.delete_service

        def timeline_of(cluster_str: str, service_str: str) -> tuple[Timeline | None, Any]:
            service = backend._get_service(cluster_str, service_str)
            return self.timelines.get((service.cluster_name, service.name)), service

        def refresh(service: Any) -> None:
            timeline = self.timelines.get((service.cluster_name, service.name))
            if timeline is None:
                return
            now = self.clock()
            service.running_count, service.pending_count = timeline.running(now), 0
            service.status = timeline.status(now)

        def describe_services(cluster_str: str, names: list[str]) -> Any:
            with self._lock:
                found, failures = describe(cluster_str, names)
                for service in found:
                    refresh(service)
                return found, failures

        def update_service(properties: dict[str, Any]) -> Any:
            with self._lock:
                timeline, service = timeline_of(properties.get("cluster", "default"), properties["service"])
                if timeline is None:
                    return update(properties)
                refresh(service)
                if service.status != "ACTIVE":
                    raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")
                if properties.get("desired_count") is not None and service.scheduling_strategy == "DAEMON":
                    raise InvalidParameterException(DAEMON_REFUSAL)
                result = update(properties)
                if properties.get("desired_count") == 0 and timeline.stop_started_at is None:
                    timeline.stop_started_at = self.clock()
                refresh(service)
                return result

        def delete_service(cluster_str: str, service_str: str, force: bool) -> Any:
            with self._lock:
                timeline, service = timeline_of(cluster_str, service_str)
                if timeline is None:
                    return delete(cluster_str, service_str, force)
                refresh(service)
                if service.status != "ACTIVE":
                    raise ECSException("ServiceNotActiveException", "Service was not ACTIVE.")
                if service.scheduling_strategy == "DAEMON":
                    service.desired_count = 0  # ECS stops a DAEMON's tasks itself on DeleteService
                result = delete(cluster_str, service_str, force)
                now = self.clock()
                timeline.stop_started_at = timeline.stop_started_at or now
                timeline.deleted_at = now
                refresh(service)
                return result

        backend.describe_services = describe_services
        backend.update_service = update_service
        backend.delete_service = delete_service
