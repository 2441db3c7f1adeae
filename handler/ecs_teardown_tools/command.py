"""`ecs-teardown services | cluster | stack`: from the arguments to a teardown and one exit code per cause.

0: every target is gone. 1: a teardown did not finish, or a named target does not exist (kubectl's convention;
--ignore-not-found accepts it). 2: usage or configuration (no region, no credentials, no confirmation).
130: interrupted (Ctrl-C); the first press stops every write at once, a second one exits at once.
"""

from __future__ import annotations

import dataclasses
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from ecs_teardown.aws.ecs import EcsGateway, make_ecs_client
from ecs_teardown.core.model import MISSING, ForceMode, ServiceRef, TeardownRequest
from ecs_teardown.core.ports import EcsCallError

from .exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, NotFoundError, UsageError, to_stderr
from .plan import plan
from .targets import cluster_services, resolve_targets
from .teardown import Options, Reporter, requests_for, stack_services, summarize, tear_down

NOT_FOUND = "not found: never existed, or deleted and purged"
ANSWER_WAIT_S = 3600.0  # an unanswered question is a "no" after an hour
GatewayFor = Callable[[TeardownRequest], EcsGateway]


@dataclass
class Run:
    """One command's parts: its arguments, where it writes, and the stop flag Ctrl-C sets."""

    args: Any
    reporter: Reporter
    stop: threading.Event


def run(args: Any) -> int:
    """The teardown commands (args from cli.py's parser)."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    reporter = Reporter(sys.stdout, as_json=args.json, live=not args.json and sys.stdout.isatty())
    try:
        return _run(Run(args, reporter, threading.Event()))
    except UsageError as error:
        return _fail(reporter, str(error), EXIT_USAGE)
    except (NoRegionError, NoCredentialsError) as error:
        return _fail(reporter, f"{error} (give --region / --profile, or set AWS_REGION and credentials)", EXIT_USAGE)
    except (EcsCallError, NotFoundError) as error:
        return _fail(reporter, str(error), EXIT_FAILED)
    except (BotoCoreError, ClientError) as error:
        return _fail(reporter, f"cannot reach AWS: {error}", EXIT_USAGE)
    finally:
        reporter.stop()  # the live table ends, and the terminal's cursor comes back


def _fail(reporter: Reporter, message: str, code: int) -> int:
    """One line, no traceback: on stderr, and as a JSON object on stdout with --json."""
    to_stderr(f"ecs-teardown: {message}")
    if reporter.as_json:
        reporter.emit({"event": "error", "message": message, "exit_code": code})
    return code


def _say(reporter: Reporter, event: str, text: str, **fields: Any) -> None:
    """A line for people, or a JSON object for pipelines: never both, never plain text with --json."""
    if reporter.as_json:
        reporter.emit({"event": event, "message": text, **fields})
    else:
        reporter.line(text)


def _run(command: Run) -> int:
    args, reporter = command.args, command.reporter
    session = _session(args)
    try:
        targets = _targets(args, session)
    except NotFoundError as missing:  # the `cluster` command's cluster
        if not args.ignore_not_found:
            raise
        _say(reporter, "not-found", f"{missing} (ignored: --ignore-not-found)", cluster=args.cluster_name, service=None)
        return EXIT_OK
    if not targets:
        what = getattr(args, "stack_name", None) or getattr(args, "cluster_name", None) or args.cluster
        _say(reporter, "nothing", f"{args.command} {what!r} has no ECS services left: nothing to do")
        return EXIT_OK
    regions: dict[int, str] = {}  # each request's region, by the request's identity (the requests stay alive)
    requests: list[TeardownRequest] = []
    for (region, cluster), names in targets.items():
        for request in requests_for(cluster, names, _options(args)):
            regions[id(request)] = region
            requests.append(request)

    def gateway_for(request: TeardownRequest) -> EcsGateway:
        region = regions[id(request)]
        with _SESSION_LOCK:
            client = make_ecs_client(session, args.endpoint_url, region=region)
        return EcsGateway(client, clients=_siblings(session, args.endpoint_url, region))

    return _tear_down(command, requests, gateway_for, regions)


# The clusters' teardowns run in threads that build their clients from one boto3 Session, and "Session objects
# are not thread safe and should not be shared across threads" (boto3 guide, "Session"): one client at a time.
_SESSION_LOCK = threading.Lock()


def _siblings(session: Any, endpoint_url: str | None, region: str) -> Callable[[str], Any]:
    """The Application Auto Scaling and ELBv2 clients a teardown reads before its first write: from the command's
    session (its --profile, or an emulator's dummy credentials), in the service's region, at --endpoint-url."""
    from ecs_teardown.aws.ecs import client_config

    def make(name: str) -> Any:
        with _SESSION_LOCK:
            return session.client(name, region_name=region, endpoint_url=endpoint_url, config=client_config())

    return make


def _options(args: Any) -> Options:
    return Options(
        args.drain_timeout,
        ForceMode(args.force),
        args.timeout,
        wait_for_inactive=not args.no_wait,
        deregistration_delay_s=args.deregistration_delay,
    )


def _tear_down(command: Run, requests: list[TeardownRequest], gateway_for: GatewayFor, regions: dict[int, str]) -> int:
    args, reporter = command.args, command.reporter
    requests, not_found = _preflight(requests, gateway_for, regions, must_exist=args.command != "stack")
    for ref, why in not_found:
        ignored = " (ignored: --ignore-not-found)" if args.ignore_not_found else ""
        _say(reporter, "not-found", f"{ref}: {why}{ignored}", cluster=ref.cluster, service=ref.name)
    missed = bool(not_found) and not args.ignore_not_found
    reporter.expect(requests)
    if args.dry_run:
        plan(requests, gateway_for, reporter)
        count = sum(len(request.services) for request in requests)
        summary = f"dry run: {count} service(s) planned, {len(not_found)} not found; nothing was changed"
        _say(reporter, "summary", summary, dry_run=True, services=count, not_found=len(not_found))
        return EXIT_FAILED if missed else EXIT_OK
    if requests and not _confirmed(args, requests, gateway_for, reporter):  # none left: nothing to confirm
        return EXIT_USAGE
    with _Interruptible(command):
        results = tear_down(requests, gateway_for, _options(args), reporter, stop=command.stop)
    if command.stop.is_set():
        return _interrupted(requests, gateway_for, reporter)
    code = summarize(results, reporter, not_found=0 if args.ignore_not_found else len(not_found))
    return code if code else (EXIT_FAILED if missed else EXIT_OK)


def _session(args: Any) -> Any:
    import boto3

    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    session = boto3.Session(profile_name=args.profile, region_name=region)
    if not session.region_name:
        raise UsageError("no AWS region: give --region, or set AWS_REGION")
    if args.endpoint_url and session.get_credentials() is None:
        # An emulator takes any credentials; AWS itself never sees these.
        session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=region)
    elif session.get_credentials() is None:
        raise UsageError("no AWS credentials: give --profile, or configure credentials as for the AWS CLI")
    return session


def _targets(args: Any, session: Any) -> dict[tuple[str, str], list[str]]:
    """{(region, cluster): [service names]} for the command."""
    if args.command == "stack":
        client = session.client("cloudformation", endpoint_url=args.endpoint_url)
        found = stack_services(client, args.stack_name)
        return {(str(session.region_name), cluster): names for cluster, names in found.items()}
    if args.command == "cluster":
        return cluster_services(session, args.endpoint_url, args.cluster_name)
    return resolve_targets(session, args.endpoint_url, args.cluster, list(args.service))


def _preflight(
    requests: list[TeardownRequest], gateway_for: GatewayFor, regions: dict[int, str], must_exist: bool
) -> tuple[list[TeardownRequest], list[tuple[ServiceRef, str]]]:
    """Named targets that do not exist (MISSING: never existed, or deleted and purged; or their cluster is missing)
    come out of the requests; INACTIVE ones stay (already deleted: success). A stack's services may be gone."""
    if not must_exist:
        return requests, []
    kept: list[TeardownRequest] = []
    missing: list[tuple[ServiceRef, str]] = []
    for request in requests:
        readings = gateway_for(request).describe(request.cluster, [ref.name for ref in request.services])
        gone = set()
        for ref in request.services:
            snapshot = readings.get(ref.name)
            if snapshot is not None and snapshot.status == MISSING:
                missing.append(
                    (ref, f"cluster {ref.cluster!r} not found" if snapshot.missing_what == "cluster" else NOT_FOUND)
                )
                gone.add(ref)
        left = tuple(ref for ref in request.services if ref not in gone)
        if left:
            narrowed = dataclasses.replace(request, services=left)
            regions[id(narrowed)] = regions[id(request)]
            kept.append(narrowed)
    return kept, missing


def _confirmed(args: Any, requests: list[TeardownRequest], gateway_for: GatewayFor, reporter: Reporter) -> bool:
    """terraform's convention: --yes, or 'yes' typed on a terminal; never a silent go-ahead without either."""
    if args.yes:
        return True
    count = sum(len(request.services) for request in requests)
    if not sys.stdin.isatty():
        to_stderr(f"ecs-teardown: this would tear down {count} service(s); --yes is needed without a terminal")
        return False
    plan(requests, gateway_for, reporter)
    # With --json, stdout is for JSON lines only: the question goes where the person is, stderr.
    answer = _ask(f"Tear down these {count} service(s)? Only 'yes' goes ahead: ", sys.stderr if args.json else None)
    if answer.strip().lower() != "yes":
        _fail(reporter, "not confirmed; nothing was changed", EXIT_USAGE)
        return False
    return True


def _ask(prompt: str, out: IO[str] | None = None, wait_s: float = ANSWER_WAIT_S) -> str:
    """A line typed on the terminal, or '' after `wait_s`. Not input(): a Ctrl-C that lands just before input()'s
    blocking read is only acted on after Enter; waiting in short select() turns lets it interrupt at once."""
    out = out or sys.stdout
    out.write(prompt)
    out.flush()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sys.stdin], [], [], 0.2)
        if ready:
            return sys.stdin.readline()
    return ""


class _Interruptible:
    """Ctrl-C: the first press stops every write at once (tear_down's gateways refuse them), a second one exits."""

    def __init__(self, command: Run) -> None:
        self.command = command
        self.previous: Any = None

    def __enter__(self) -> None:
        def on_interrupt(signum: int, frame: Any) -> None:
            if self.command.stop.is_set():
                self.command.reporter.stop()  # os._exit skips atexit: bring the cursor back first
                os._exit(EXIT_INTERRUPTED)
            self.command.stop.set()
            to_stderr("\necs-teardown: stopping: no further writes (Ctrl-C again to quit at once)")

        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, on_interrupt)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _interrupted(requests: list[TeardownRequest], gateway_for: GatewayFor, reporter: Reporter) -> int:
    """Each service's state as ECS shows it now, and how to resume."""
    for request in requests:
        readings = gateway_for(request).describe(request.cluster, [ref.name for ref in request.services])
        for ref in request.services:
            snapshot = readings.get(ref.name)
            state = f"{snapshot.status} ({snapshot.counts()})" if snapshot else "unreadable"
            _say(reporter, "state", f"{ref}: {state}", cluster=ref.cluster, service=ref.name, state=state)
    _say(reporter, "interrupted", "interrupted: run the same command again to resume (it re-reads ECS)")
    return EXIT_INTERRUPTED
