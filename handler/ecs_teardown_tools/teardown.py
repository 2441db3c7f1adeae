"""`ecs-teardown services` and `ecs-teardown stack`: the engine for teardown scripts and pipelines.

Targets come from the command line or from a CloudFormation stack (nested stacks too); each cluster's services
are torn down by one engine run (at most 50 at a time), clusters in parallel threads. Progress goes to stdout:
a live table on a terminal, one line per step otherwise, one JSON object per line with --json.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import IO, Any

from ecs_teardown.aws.ecs import EcsGateway
from ecs_teardown.aws.errors import error_code, error_message
from ecs_teardown.cfn.properties import SERVICE_ARN_RE, PropertyError, parse_properties
from ecs_teardown.core.engine import ServiceResult, Step, TeardownResult, run_teardown
from ecs_teardown.core.machine import Outcome
from ecs_teardown.core.model import MAX_SERVICES, ForceMode, TeardownRequest
from ecs_teardown.core.restore import restore_each

from .exits import EXIT_FAILED, EXIT_OK, UsageError, write_through
from .gate import StopGate, StoppedError

JSON_SCHEMA_VERSION = 1  # of the --json output (README: "JSON output"); bumped when a field changes meaning


@dataclass(frozen=True)
class Options:
    drain_timeout_s: int | None  # None: auto
    force: ForceMode
    timeout_s: float
    wait_for_inactive: bool = True
    deregistration_delay_s: int | None = None  # fast drain; None: leave the target groups' delay alone


def requests_for(cluster: str, names: list[str], options: Options) -> list[TeardownRequest]:
    """Validated engine requests for one cluster's services, 50 at the most in each."""
    requests = []
    for start in range(0, len(names), MAX_SERVICES):
        chunk = names[start : start + MAX_SERVICES]
        try:
            request = parse_properties({"Cluster": cluster, "Services": chunk})
        except PropertyError as error:
            message = str(error).replace("Property Services", "--service").replace("Property Cluster", "--cluster")
            raise UsageError(message) from None
        requests.append(
            replace(
                request,
                drain_timeout_s=options.drain_timeout_s,
                force=options.force,
                wait_for_inactive=options.wait_for_inactive,
                deregistration_delay_s=options.deregistration_delay_s,
            )
        )
    return requests


def stack_services(cloudformation: Any, stack: str) -> dict[str, list[str]]:
    """Every AWS::ECS::Service of a stack and its nested stacks, by cluster name (deleted ones left out)."""
    found: dict[str, list[str]] = {}
    seen_stacks: set[str] = set()

    def walk(stack_id: str, depth: int) -> None:
        if stack_id in seen_stacks or depth > 10:  # nesting is bounded; a cycle cannot happen, but stay finite
            return
        seen_stacks.add(stack_id)
        for resource in _stack_resources(cloudformation, stack_id):
            kind, physical = resource.get("ResourceType"), resource.get("PhysicalResourceId") or ""
            if resource.get("ResourceStatus") == "DELETE_COMPLETE" or not physical:
                continue
            if kind == "AWS::CloudFormation::Stack":
                walk(physical, depth + 1)
            elif kind == "AWS::ECS::Service":
                match = SERVICE_ARN_RE.fullmatch(physical)
                if not match or not match.group("cluster"):
                    raise UsageError(
                        f"stack {stack_id}: service {physical!r} ({resource.get('LogicalResourceId')}) has no "
                        "cluster in its ARN (an old-format ARN); tear it down with: "
                        "ecs-teardown services --cluster CLUSTER --service NAME"
                    )
                names = found.setdefault(match.group("cluster"), [])
                if match.group("name") not in names:
                    names.append(match.group("name"))

    walk(stack, 0)
    return found


def _stack_resources(cloudformation: Any, stack: str) -> Iterator[dict[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack):
            yield from page.get("StackResourceSummaries", [])
    except ClientError as error:
        code, message = error_code(error), error_message(error)
        if code == "ValidationError" and message.startswith("Stack with id") and message.endswith("does not exist"):
            raise UsageError(f"stack {stack!r} does not exist in this account and region ({message})") from None
        raise UsageError(f"cannot list the resources of stack {stack!r}: {message}") from None


class Reporter:
    """Prints steps as they come, from several threads: JSON lines, a live table on a terminal, or plain lines."""

    def __init__(self, out: IO[str], as_json: bool, live: bool) -> None:
        self.out, self.as_json, self.live = out, as_json, live and not as_json
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self.width = 0  # of the service column, so the plain lines' columns line up
        self.view: LiveView | None = None
        if self.live:
            from .live import LiveView  # rich, for the live table, is loaded only on a terminal

            self.view = LiveView(out, started=self.started)

    def expect(self, requests: list[TeardownRequest]) -> None:
        """Size the service column for every target, before the first step arrives."""
        self.width = max((len(str(ref)) for request in requests for ref in request.services), default=0)
        if self.view is not None:
            self.view.expect(requests)

    def emit(self, record: dict[str, Any]) -> None:
        self._write(json.dumps({"schema": JSON_SCHEMA_VERSION, **record}) + "\n")

    def step(self, step: Step) -> None:
        snapshot = step.snapshot
        if self.as_json:
            self.emit({"event": "step", **step.fields()})
            return
        if self.view is not None:
            self.view.step(step)
            return
        counts = snapshot.counts() if snapshot and snapshot.status != "MISSING" else ""
        status = snapshot.status if snapshot else ""
        call = f" [{step.kind.value}{' force' if step.force else ''}: {step.result}]" if step.result else ""
        row = f"{step.service!s:<{self.width}}  {step.phase.value:<15} {status:<9} {counts}{call}"
        self._write(f"{time.monotonic() - self.started:7.1f}s  {row}\n")

    def line(self, text: str) -> None:
        if self.view is not None:  # ends the live table, which stays on screen above the line
            self.view.line(text)
            return
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        """From several threads; a reader that went away ends the output, not the teardown (write_through)."""
        with self._lock:
            write_through(self.out, text)

    def stop(self) -> None:
        """End the live table, if any, leaving its last state on screen."""
        if self.view is not None:
            self.view.stop()


def tear_down(
    requests: list[TeardownRequest],
    gateway_for: Callable[[TeardownRequest], EcsGateway],
    options: Options,
    reporter: Reporter,
    stop: threading.Event | None = None,
) -> list[TeardownResult]:
    """Run every request at once (one thread each) until done, `options.timeout_s`, or `stop` (Ctrl-C)."""
    started = time.time()
    deadline = started + options.timeout_s
    stop = stop or threading.Event()

    def _pause(seconds: float) -> None:
        stop.wait(seconds)  # a wait that a Ctrl-C ends at once

    def one(request: TeardownRequest) -> TeardownResult | None:
        gate = StopGate(gateway_for(request), stop)
        try:
            result = run_teardown(
                request,
                gate,
                started_at=started,
                deadline=deadline,
                clock=time.time,
                sleep=_pause,
                on_step=reporter.step,
            )
        except StoppedError:
            # The services stay: put back their auto scaling and deregistration delays (a re-run prepares afresh).
            for name, problems in gate.restore_after_stop(request.cluster).items():
                _report_restore(reporter, request.cluster, name, problems)
            return None
        for ref, problems in restore_each(result, gate):  # a service left in place is kept as it was found
            _report_restore(reporter, ref.cluster, ref.name, problems)
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(requests)))) as pool:
        futures = [pool.submit(one, request) for request in requests]
        results = [future.result() for future in futures]
    return [result for result in results if result is not None]


def _report_restore(reporter: Reporter, cluster: str, service: str, problems: list[str]) -> None:
    if reporter.as_json:
        reporter.emit({"event": "restored", "cluster": cluster, "service": service, "problems": problems})
        return
    what = f"not all put back: {'; '.join(problems)}" if problems else "put back as found"
    reporter.line(f"  {cluster}/{service}: its auto scaling and deregistration delays {what}")


def summarize(results: list[TeardownResult], reporter: Reporter, not_found: int = 0) -> int:
    services: list[ServiceResult] = [s for result in results for s in result.services]
    done = [s for s in services if s.outcome is Outcome.DONE]
    failed = [s for s in services if s.outcome is not Outcome.DONE]
    forced = sum(1 for s in services if s.forced)
    if reporter.as_json:
        reporter.emit(
            {
                "event": "summary",
                "services": len(services) + not_found,
                "done": len(done),
                "not_found": not_found,
                "failed": len(failed),
                "forced_deletes": forced,
                "failures": [
                    {"cluster": s.service.cluster, "service": s.service.name, "phase": s.phase.value, "why": s.why}
                    for s in failed
                ],
            }
        )
    else:
        reporter.line(f"\n{len(done)} of {len(services) + not_found} service(s) gone ({forced} deleted with force)")
        if not_found:
            reporter.line(f"  {not_found} not found (see above): check the names, or pass --ignore-not-found")
        for s in failed:
            reporter.line(f"  NOT DONE {s.service}: {s.phase.value}: {cli_words(s.why)}. {_advice(s)}")
    return EXIT_OK if not failed else EXIT_FAILED


def _advice(result: ServiceResult) -> str:
    if result.outcome is Outcome.UNFINISHED:
        return "Run the same command again to resume (it re-reads ECS), or raise --timeout."
    if "ForceDelete is never" in result.why:  # the engine's words; cli_words shows them as the options
        if "deployments are active" in result.why:  # its drain was over: a longer drain timeout would not help
            return "Stop its deployment (or let it finish) and run the same command again, or use --force auto."
        return "Use --force auto (or always) to delete it with force, or raise --drain-timeout."
    if "AccessDenied" in result.why:
        return "Grant ecs:UpdateService / ecs:DeleteService on it to the identity you run as."
    return "Fix the cause above and run the same command again."


def cli_words(text: str) -> str:
    """The engine speaks CloudFormation's properties; the command line's user knows its options."""
    for words, option in (
        ("ForceDelete is", "--force"),
        ("WaitForInactive is", "--no-wait:"),
        ("DrainTimeoutSeconds", "--drain-timeout"),
    ):
        text = text.replace(words, option)
    return text
