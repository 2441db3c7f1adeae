"""The boto3 edge: batched DescribeServices, scale to zero, delete. ECS errors are translated where they enter.

ServiceNotFound / ClusterNotFound / MISSING -> gone; throttling, 5xx and dropped connections -> try again later;
anything else -> EcsCallError, whose message names the cluster, the service and the phase (it becomes the Reason).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.drain import FastDrain, Preparation
from ..core.model import ECS_CONTROLLER, MISSING, REPLICA, UNREADABLE, ServiceSnapshot
from ..core.ports import CallOutcome, CallResult, EcsCallError
from .bounded import bounded_config, worst_case_s
from .errors import DESCRIBE_BATCH, THROTTLE_CODES, error_code, error_message, is_transient
from .targets import classic_balancers_of, groups_of

__all__ = ["CALL_WORST_S", "EcsGateway"]

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

    from .surroundings import Surroundings


_GONE_CODES = {"ServiceNotFoundException", "ClusterNotFoundException"}
# Refusals that pass once ECS has caught up with our own previous call.
_RETRY_LATER_MESSAGES = ("scaled above 0",)
DEPLOYMENTS_ACTIVE_WORDS = "deployments are active"  # "The service cannot be stopped while deployments are active."


CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS = 3, 6, 3
# The invocation starts a call only if this much time is left (core/window.py).
CALL_WORST_S = worst_case_s(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS)


def client_config(retries_configured: tuple[bool, bool] = (False, False)) -> Any:
    """The ECS and CloudFormation clients' bounded timeouts and attempts."""
    return bounded_config(CONNECT_TIMEOUT_S, READ_TIMEOUT_S, ATTEMPTS, retries_configured)


def make_ecs_client(
    session: Any = None,
    endpoint_url: str | None = None,
    retries_configured: tuple[bool, bool] = (False, False),
    region: str | None = None,
) -> ECSClient:
    """An ECS client with `client_config()`. Without `endpoint_url` the endpoint is left to boto3, so
    AWS_ENDPOINT_URL_ECS / AWS_ENDPOINT_URL can point it at an emulator."""
    import boto3

    factory = session.client if session is not None else boto3.client
    config = client_config(retries_configured)
    client: ECSClient = factory("ecs", config=config, endpoint_url=endpoint_url, region_name=region)
    return client


def _snapshot(cluster: str, name: str, service: dict[str, Any]) -> ServiceSnapshot:
    """A service as DescribeServices showed it; a field the teardown decides on that is missing, null or of the
    wrong type makes the reading UNREADABLE (a count never defaults to zero: that would delete a running service)."""
    status = service.get("status")
    counts: dict[str, Any] = {key: service.get(key) for key in ("desiredCount", "runningCount", "pendingCount")}
    wrong = [key for key, value in counts.items() if not isinstance(value, int) or isinstance(value, bool)]
    if not isinstance(status, str) or not status:
        wrong.insert(0, "status")
    if wrong:
        fields = ", ".join(wrong)
        return ServiceSnapshot(
            UNREADABLE,
            arn=str(service.get("serviceArn", "")),
            problem=f"DescribeServices returned no usable {fields} for service {name!r} in cluster {cluster!r}",
        )
    return ServiceSnapshot(
        status=str(status),
        scheduling=str(service.get("schedulingStrategy") or REPLICA),
        desired=int(counts["desiredCount"]),
        running=int(counts["runningCount"]),
        pending=int(counts["pendingCount"]),
        arn=str(service.get("serviceArn", "")),
        created_at=_epoch(service.get("createdAt")),
        **_surroundings(service),
    )


def _surroundings(service: dict[str, Any]) -> dict[str, Any]:
    """What else DescribeServices says that the teardown acts on (ECS API reference, Service)."""
    controller = (service.get("deploymentController") or {}).get("type") or ECS_CONTROLLER
    rolling = any(
        isinstance(d, dict) and d.get("rolloutState") == "IN_PROGRESS" for d in service.get("deployments") or []
    )
    return {
        "controller": str(controller),
        "express": service.get("resourceManagementType") == "ECS",
        "target_groups": tuple(groups_of(service)),
        "classic_balancers": tuple(classic_balancers_of(service)),
        "task_definition": str(service.get("taskDefinition") or ""),
        "rollout": str(service.get("currentServiceDeployment") or "") if rolling else "",
        "codedeploy": _codedeploy_in_progress(service.get("taskSets")),
    }


def _codedeploy_in_progress(task_sets: Any) -> tuple[str, ...]:
    """The CodeDeploy deployment in progress: the one that created the newest of two or more task sets ("If an AWS
    CodeDeploy deployment created a task set, the externalId parameter contains the AWS CodeDeploy deployment ID",
    ECS API reference, TaskSet). It is ACTIVE before traffic moves to it and PRIMARY after, while the original is
    still there; where the creation times do not tell, the ACTIVE one."""
    sets = [t for t in task_sets or [] if isinstance(t, dict) and t.get("status") in ("PRIMARY", "ACTIVE")]
    if len(sets) < 2:
        return ()
    newest = max(sets, key=lambda t: (_epoch(t.get("createdAt")) or 0.0, t.get("status") == "ACTIVE"))
    return (str(newest["externalId"]),) if newest.get("externalId") else ()


def _epoch(value: Any) -> float | None:
    """boto3 gives datetimes; anything else that is not a number means 'unknown'."""
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _name_of(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1]


class EcsGateway:
    """The three ECS operations a teardown needs, with errors already translated. Counts what it saw.

    One gateway may serve many teardowns (the Lambda keeps it for its execution environment): its clients and
    counts last; what a teardown learns around its services lasts until the next `begin_teardown`."""

    def __init__(
        self,
        client: ECSClient | None = None,
        retries_configured: tuple[bool, bool] = (False, False),
        clients: Callable[[str], Any] | None = None,
    ) -> None:
        """`clients` builds the Application Auto Scaling and ELBv2 clients when first needed; by default, boto3's
        in the ECS client's region and at its endpoint (sibling_clients)."""
        self._client = client if client is not None else make_ecs_client(retries_configured=retries_configured)
        self.calls: dict[str, int] = {}
        self.throttles = 0
        self._count_retried_throttles()
        self._clients, self._retries_configured = clients, retries_configured
        self._siblings: dict[str, Any] = {}  # built once, kept for every later teardown (boto3 clients are slow)
        self._around_made: Surroundings | None = None  # this teardown's; the next one makes its own

    def begin_teardown(self) -> None:
        """The gateway outlives a request in a warm Lambda: the next preparation starts a Surroundings afresh
        (no rounds waited, no cluster's services read), on the clients already built."""
        self._around_made = None

    @property
    def _around(self) -> Surroundings:
        # Made (and its module imported) at the teardown's first preparation, not at the cold start: a Delete with
        # nothing left to do, and every Create, never needs it.
        if self._around_made is None:
            from .surroundings import Surroundings

            self._around_made = Surroundings(self._client, self._sibling, self._count)
        return self._around_made

    def _sibling(self, name: str) -> Any:
        """The Application Auto Scaling or ELBv2 client (None: not available), built when first needed."""
        if name not in self._siblings:
            if self._clients is None:
                from .siblings import sibling_clients

                self._clients = sibling_clients(self._client, self._retries_configured)
            self._siblings[name] = self._clients(name)
        return self._siblings[name]

    def _count(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1

    def _count_retried_throttles(self) -> None:
        # botocore retries throttles silently; this hook sees each throttled attempt, so metrics tell the truth.
        def on_needs_retry(response: Any = None, **_: Any) -> None:
            parsed = response[1] if response else None
            if isinstance(parsed, dict) and parsed.get("Error", {}).get("Code") in THROTTLE_CODES:
                self.throttles += 1

        events = getattr(getattr(self._client, "meta", None), "events", None)
        self._hooked = events is not None
        if events is not None:
            events.register("needs-retry.ecs", on_needs_retry)

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        self._count(operation)
        result: dict[str, Any] = getattr(self._client, operation)(**kwargs)
        return result

    def describe(self, cluster: str, names: Sequence[str]) -> dict[str, ServiceSnapshot]:
        """Snapshots by service name, in batches of 10. A name left out could not be read this time (transient)."""
        snapshots: dict[str, ServiceSnapshot] = {}
        for start in range(0, len(names), DESCRIBE_BATCH):
            batch = list(names[start : start + DESCRIBE_BATCH])
            try:
                answer = self._call("describe_services", cluster=cluster, services=batch)
            except (ClientError, BotoCoreError) as error:
                if error_code(error) == "ClusterNotFoundException":
                    snapshots.update({name: ServiceSnapshot(MISSING, missing_what="cluster") for name in batch})
                    continue
                if is_transient(error):
                    self._note_transient(error)
                    continue
                raise EcsCallError(cluster, "", "DescribeServices", _explain(error)) from error
            snapshots.update(self._read_batch(cluster, answer))
        return snapshots

    def _read_batch(self, cluster: str, answer: dict[str, Any]) -> Iterable[tuple[str, ServiceSnapshot]]:
        for service in answer.get("services", []):
            name = str(service.get("serviceName") or _name_of(str(service.get("serviceArn", ""))))
            yield name, _snapshot(cluster, name, service)
        for failure in answer.get("failures", []):
            # A failure belongs to its own service: MISSING means gone; any other reason fails that service alone.
            name = _name_of(str(failure.get("arn", "")))
            if failure.get("reason") == MISSING:
                yield name, ServiceSnapshot(MISSING, missing_what="service")
            else:
                why = f"{failure.get('reason')} {failure.get('detail') or ''}".strip()
                problem = f"DescribeServices of service {name!r} in cluster {cluster!r} failed: {why}"
                yield name, ServiceSnapshot(UNREADABLE, problem=problem)

    def scale_to_zero(self, cluster: str, service: str) -> CallResult:
        return self._act("UpdateService", cluster, service, "update_service", desiredCount=0)

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        return self._act("DeleteService", cluster, service, "delete_service", force=force)

    def stop_deployment(self, cluster: str, service: str, deployment_arn: str) -> CallResult:
        """StopServiceDeployment with ROLLBACK, the stop type ECS documents (API reference, StopServiceDeployment)."""
        if not deployment_arn:
            return CallResult(CallOutcome.NEEDS_FORCE, "no service deployment in progress to stop")
        kwargs = {"serviceDeploymentArn": deployment_arn, "stopType": "ROLLBACK"}
        return self._act("StopServiceDeployment", cluster, service, "stop_service_deployment", **kwargs)

    def prepare(
        self,
        cluster: str,
        service: str,
        snapshot: ServiceSnapshot,
        fast_drain: FastDrain | None,
        may_call: Callable[[], bool] | None = None,
    ) -> Preparation | None:
        return self._around.prepare(cluster, service, snapshot, fast_drain, may_call)

    def restore(
        self, cluster: str, service: str, preparation: Preparation, may_call: Callable[[], bool] | None = None
    ) -> list[str]:
        return self._around.restore(cluster, service, preparation, may_call)

    def _act(self, phase: str, cluster: str, service: str, operation: str, **kwargs: Any) -> CallResult:
        try:
            if operation == "stop_service_deployment":  # it names its deployment, not the cluster and service
                self._call(operation, **kwargs)
            else:
                self._call(operation, cluster=cluster, service=service, **kwargs)
        except (ClientError, BotoCoreError) as error:
            code, message = error_code(error), error_message(error)
            if code in _GONE_CODES:
                return CallResult(CallOutcome.GONE, code)
            if code == "ServiceNotActiveException":
                return CallResult(CallOutcome.NOT_ACTIVE, message)
            if is_transient(error):
                self._note_transient(error)
                return CallResult(CallOutcome.RETRY_LATER, f"{code}: {message}", throttled=code in THROTTLE_CODES)
            if code == "InvalidParameterException":
                if DEPLOYMENTS_ACTIVE_WORDS in message:
                    return CallResult(CallOutcome.DEPLOYMENTS_ACTIVE, message)
                if any(words in message for words in _RETRY_LATER_MESSAGES):
                    return CallResult(CallOutcome.RETRY_LATER, message)
                if not kwargs.get("force"):
                    return CallResult(CallOutcome.NEEDS_FORCE, message)
            if phase == "StopServiceDeployment":
                # Refused (the rollout just ended or is rolling back: ConflictException, ServiceDeploymentNotFound;
                # not allowed): stopping it will not help, and waiting, then force, still may.
                return CallResult(CallOutcome.NEEDS_FORCE, _explain(error))
            raise EcsCallError(cluster, service, phase, _explain(error)) from error
        return CallResult(CallOutcome.ACCEPTED)

    def _note_transient(self, error: Exception) -> None:
        # With botocore's hook in place every throttled attempt is already counted, the last one included.
        if not self._hooked and error_code(error) in THROTTLE_CODES:
            self.throttles += 1


def _explain(error: Exception) -> str:
    code, message = error_code(error), error_message(error)
    hint = ""
    if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedOperation"):
        hint = " (the function's role lacks this permission for this cluster)"
    return f"{code}: {message}{hint}"
