"""The command line's gateway: every call refused once Ctrl-C was pressed (the first press stops all writes at once),
and a record of what was changed around each service, to undo it when the run stops early."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.core.drain import FastDrain, Preparation
from ecs_teardown.core.machine import Outcome, Phase
from ecs_teardown.core.model import ServiceRef, ServiceSnapshot
from ecs_teardown.core.ports import CallOutcome, CallResult
from ecs_teardown.core.restore import restore_each
from ecs_teardown.core.results import ServiceResult, TeardownResult


class StoppedError(Exception):
    """Ctrl-C: this run makes no further ECS call."""


class StopGate:
    """A gateway that refuses every call once `stop` is set (the first Ctrl-C)."""

    def __init__(self, gateway: EcsGateway, stop: threading.Event) -> None:
        self._gateway, self._stop = gateway, stop
        self.prepared: dict[str, Preparation] = {}  # what was changed around each service, to undo after Ctrl-C
        self.deleted: set[str] = set()
        self.readings: dict[str, ServiceSnapshot] = {}  # each service's last, for the target groups it uses

    @property
    def throttles(self) -> int:
        return self._gateway.throttles

    def _check(self) -> None:
        if self._stop.is_set():
            raise StoppedError()

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        self._check()
        readings = self._gateway.describe(cluster, names)
        self.readings.update(readings)
        return readings

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        self._check()
        return self._gateway.scale_to_zero(cluster, service)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        self._check()
        result = self._gateway.delete(cluster, service, force)
        if result.outcome in (CallOutcome.ACCEPTED, CallOutcome.NOT_ACTIVE, CallOutcome.GONE):
            self.deleted.add(service)
        return result

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        self._check()
        return self._gateway.stop_deployment(cluster, service, deployment_arn)

    def begin_teardown(self) -> None:
        self._gateway.begin_teardown()  # no call to AWS

    def prepare(
        self,
        cluster: str,
        service: str,
        snapshot: ServiceSnapshot,
        fast_drain: FastDrain | None,
        may_call: Callable[[], bool] | None = None,
    ) -> Preparation | None:
        self._check()  # it suspends auto scaling and lowers delays: writes, each refused once Ctrl-C was pressed
        preparation = self._gateway.prepare(
            cluster,
            service,
            snapshot,
            fast_drain,
            lambda: not self._stop.is_set() and (may_call is None or may_call()),
        )
        if preparation is not None:
            self.prepared[service] = preparation
        return preparation

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: Callable[[], bool] | None = None
    ) -> list[str]:
        return self._gateway.restore(cluster, service, preparation, may_call)  # undoing is never refused

    def restore_after_stop(self, cluster: str) -> dict[str, list[str]]:
        """After Ctrl-C: undo what was changed around each service not yet deleted, as a kept service's restore does
        (core/restore.py: a shared group once, also for a service never prepared). The engine's result is lost, so
        the services' ends are what this gate saw."""
        services = tuple(
            ServiceResult(
                ServiceRef(cluster, name),
                Outcome.DONE if name in self.deleted else Outcome.UNFINISHED,
                Phase.DELETE_ACCEPTED if name in self.deleted else Phase.OBSERVING,
                "interrupted",
                self.readings.get(name),
                False,
            )
            for name in dict.fromkeys([*self.readings, *self.prepared])
        )
        seen = TeardownResult(services, elapsed_s=0.0, rounds=0, throttles=0, preparations=dict(self.prepared))
        return {ref.name: problems for ref, problems in restore_each(seen, self._gateway)}
