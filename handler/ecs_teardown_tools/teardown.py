"""`ecs-teardown services` and `ecs-teardown stack`: the engine for teardown scripts and pipelines.

Targets come from the command line or from a CloudFormation stack (nested stacks too); each cluster's services
are torn down by one engine run (at most 50 at a time), clusters in parallel threads. Progress goes to stdout:
a live table on a terminal, one line per step otherwise, one JSON object per line with --json.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import IO, Any

from ecs_teardown.aws.ecs import EcsGateway, make_ecs_client
from ecs_teardown.cfn.properties import SERVICE_ARN_RE, PropertyError, parse_properties
from ecs_teardown.core.engine import ServiceResult, Step, TeardownResult, run_teardown
from ecs_teardown.core.machine import Kind, Outcome, Progress, Settings, decide
from ecs_teardown.core.model import MAX_SERVICES, ForceMode, TeardownRequest
from ecs_teardown.core.ports import EcsCallError

from .exits import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError


@dataclass(frozen=True)
class Options:
    drain_timeout_s: int
    force: ForceMode
    timeout_s: float
    wait_for_inactive: bool = True


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
        message = error.response.get("Error", {}).get("Message", str(error))
        if "does not exist" in message:
            raise UsageError(f"stack {stack!r} does not exist in this account and region ({message})") from None
        raise UsageError(f"cannot list the resources of stack {stack!r}: {message}") from None


class Reporter:
    """Prints steps as they come, from several threads: JSON lines, a live table on a terminal, or plain lines."""

    def __init__(self, out: IO[str], as_json: bool, live: bool) -> None:
        self.out, self.as_json, self.live = out, as_json, live and not as_json
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._rows: dict[str, str] = {}
        self._drawn = 0
        self.width = 0  # of the service column, so the table's columns line up

    def expect(self, requests: list[TeardownRequest]) -> None:
        """Size the service column for every target, before the first step arrives."""
        self.width = max((len(str(ref)) for request in requests for ref in request.services), default=0)

    def emit(self, record: dict[str, Any]) -> None:
        with self._lock:
            self.out.write(json.dumps(record) + "\n")
            self.out.flush()

    def step(self, step: Step) -> None:
        snapshot = step.snapshot
        if self.as_json:
            self.emit({"event": "step", **step.fields()})
            return
        counts = snapshot.counts() if snapshot and snapshot.status != "MISSING" else ""
        status = snapshot.status if snapshot else ""
        call = f" [{step.kind.value}{' force' if step.force else ''}: {step.result}]" if step.result else ""
        row = f"{step.service!s:<{self.width}}  {step.phase.value:<15} {status:<9} {counts}{call}"
        with self._lock:
            if not self.live:
                self.out.write(f"{time.monotonic() - self.started:7.1f}s  {row}\n")
            else:
                self._rows[str(step.service)] = f"{step.elapsed_s:7.1f}s  {row}"
                self._redraw()
            self.out.flush()

    def _redraw(self) -> None:
        # Move up over the table drawn last time, then draw it again: one line per service, newest state.
        if self._drawn:
            self.out.write(f"\x1b[{self._drawn}A")
        for row in self._rows.values():
            self.out.write(f"\x1b[2K{row}\n")
        self._drawn = len(self._rows)

    def line(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()


def plan(requests: list[TeardownRequest], gateway: EcsGateway, reporter: Reporter) -> None:
    """--dry-run: what the first round would do to each service; nothing is changed."""
    for request in requests:
        settings = Settings(request.drain_timeout_s, request.force, request.wait_for_inactive)
        snapshots = gateway.describe(request.cluster, [ref.name for ref in request.services])
        for ref in request.services:
            snapshot = snapshots.get(ref.name)
            action = decide(snapshot, Progress(), 0.0, settings)
            then = {
                Kind.SCALE_TO_ZERO: "scale to zero, wait for the tasks, delete, wait for INACTIVE",
                Kind.DELETE: f"delete{' with force' if action.force else ''}, wait for INACTIVE",
                Kind.WAIT: "wait",
                Kind.DONE: "nothing (already gone)",
                Kind.FAIL: "fail",
            }[action.kind]
            status = snapshot.status if snapshot else "unreadable"
            counts = snapshot.counts() if snapshot and snapshot.status != "MISSING" else ""
            if reporter.as_json:
                reporter.emit(
                    {
                        "event": "plan",
                        "cluster": ref.cluster,
                        "service": ref.name,
                        "status": status,
                        "desired": snapshot.desired if snapshot else None,
                        "running": snapshot.running if snapshot else None,
                        "action": action.kind.value,
                        "force": action.force,
                        "plan": then,
                    }
                )
            else:
                reporter.line(f"{ref!s:<{reporter.width}}  {status:<9} {counts:<36} would: {then}")


def tear_down(
    requests: list[TeardownRequest],
    gateway_for: Callable[[], EcsGateway],
    options: Options,
    reporter: Reporter,
) -> list[TeardownResult]:
    """Run every request at once (one thread each) until done or `options.timeout_s`."""
    started = time.time()
    deadline = started + options.timeout_s

    def one(request: TeardownRequest) -> TeardownResult:
        return run_teardown(
            request,
            gateway_for(),
            started_at=started,
            deadline=deadline,
            clock=time.time,
            sleep=time.sleep,
            on_step=reporter.step,
        )

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(requests)))) as pool:
        return list(pool.map(one, requests))


def summarize(results: list[TeardownResult], reporter: Reporter) -> int:
    services: list[ServiceResult] = [s for result in results for s in result.services]
    done = [s for s in services if s.outcome is Outcome.DONE]
    failed = [s for s in services if s.outcome is not Outcome.DONE]
    forced = sum(1 for s in services if s.forced)
    if reporter.as_json:
        reporter.emit(
            {
                "event": "summary",
                "services": len(services),
                "done": len(done),
                "failed": len(failed),
                "forced_deletes": forced,
                "failures": [
                    {"cluster": s.service.cluster, "service": s.service.name, "phase": s.phase.value, "why": s.why}
                    for s in failed
                ],
            }
        )
    else:
        reporter.line(f"\n{len(done)} of {len(services)} service(s) gone ({forced} deleted with force)")
        for s in failed:
            reporter.line(f"  NOT DONE {s.service}: {s.phase.value}: {s.why}. {_advice(s)}")
    return EXIT_OK if not failed else EXIT_FAILED


def _advice(result: ServiceResult) -> str:
    if result.outcome is Outcome.UNFINISHED:
        return "Run the same command again to resume (it re-reads ECS), or raise --timeout."
    if "ForceDelete is never" in result.why:
        return "Use --force auto (or always) to delete it with force, or raise --drain-timeout."
    if "AccessDenied" in result.why:
        return "Grant ecs:UpdateService / ecs:DeleteService on it to the identity you run as."
    return "Fix the cause above and run the same command again."


def run(args: Any) -> int:
    """The `services` and `stack` commands (args from cli.py's parser)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    options = Options(drain_timeout_s=args.drain_timeout, force=ForceMode(args.force), timeout_s=args.timeout)
    live = not args.json and sys.stdout.isatty()
    reporter = Reporter(sys.stdout, as_json=args.json, live=live)
    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        if args.command == "stack":
            cloudformation = session.client("cloudformation", endpoint_url=args.endpoint_url)
            targets = stack_services(cloudformation, args.stack_name)
            if not targets:
                reporter.line(f"stack {args.stack_name!r} has no ECS services left: nothing to do")
                return EXIT_OK
        else:
            targets = {args.cluster: list(args.service)}
        requests = [r for cluster, names in targets.items() for r in requests_for(cluster, names, options)]
        reporter.expect(requests)

        def gateway_for() -> EcsGateway:
            return EcsGateway(make_ecs_client(session, args.endpoint_url))

        if args.dry_run:
            plan(requests, gateway_for(), reporter)
            return EXIT_OK
        return summarize(tear_down(requests, gateway_for, options, reporter), reporter)
    except UsageError as error:
        print(f"ecs-teardown: {error}", file=sys.stderr)
        return EXIT_USAGE
    except EcsCallError as error:
        print(f"ecs-teardown: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (BotoCoreError, ClientError) as error:  # no credentials, no region, unknown profile...
        print(f"ecs-teardown: cannot reach AWS: {error}", file=sys.stderr)
        return EXIT_USAGE
